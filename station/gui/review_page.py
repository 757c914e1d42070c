"""Step 3, Review: every print of the booking as a thumbnail with its quality, in a grid that
reflows with the width; minutiae overlay on demand; a zoom window (double-click or Enter); the
sequence check as a report (each slap segment beside its rolled print)."""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from station.core.overlay import draw_overlay
from station.core.template import Template
from station.core.vocabulary import FINGERS, Impression

from . import theme
from .imaging import to_pixmap
from .sequence_report import SequenceReport
from .session import BookingSession, SlotState, slot_name
from .widgets import PrintView, plain
from .workers import TaskRunner

__all__ = ["ReviewPage", "ZoomDialog", "render_thumbnails"]

log = logging.getLogger(__name__)

_THUMB = 200
#: Thumbnail side in the review grid (px) and the caption lines under it.
_TILE = 132
_CAPTION_LINES = 2


def _shrink(image: np.ndarray, size: int) -> np.ndarray:
    step = max(1, int(np.ceil(max(image.shape[:2]) / size)))
    return np.ascontiguousarray(image[::step, ::step])


def render_thumbnails(
    prints: dict[str, tuple[np.ndarray, Template | None]], overlay: bool, size: int = _THUMB
) -> dict[str, np.ndarray]:
    """Small pictures of the prints, with the minutiae drawn when ``overlay`` (pure).

    Parameters
    ----------
    prints : dict of str to (image, template)
        Slot → full-resolution print and its template (``None`` for a slap).
    overlay : bool
        Draw minutiae and singular points.
    size : int
        Longest side of a thumbnail (px).

    Returns
    -------
    dict of str to ndarray
        Slot → grey or RGB uint8 thumbnail.
    """
    out = {}
    for code, (image, template) in prints.items():
        picture = draw_overlay(image, template) if overlay and template is not None else image
        out[code] = _shrink(picture, size)
    return out


class ZoomDialog(QDialog):
    """One print, zoomable, with its overlay if asked (non-modal)."""

    def __init__(self, title: str, image: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("zoomDialog")
        self.setWindowTitle(title)
        self.view = PrintView()
        self.view.setObjectName("zoomView")
        close = QPushButton("Close")
        close.setObjectName("zoomCloseButton")
        close.clicked.connect(self.close)
        layout = QVBoxLayout(self)
        hint = QLabel("Wheel or +/- zoom, 0 fits, drag to pan, Esc closes")
        layout.addWidget(hint)
        layout.addWidget(self.view, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)
        self.resize(760, 760)
        self.view.set_image(image)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.view.fit()


class ReviewPage(QWidget):
    """All prints of the booking with quality; overlay toggle; zoom.

    Signals
    -------
    recapture_requested(str)
        The officer wants this slot captured again.
    """

    recapture_requested = Signal(str)

    def __init__(
        self, session: BookingSession, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reviewPage")
        self.session = session
        self.tasks = tasks
        self._generation = 0
        self.zoom_dialog: ZoomDialog | None = None

        title = QLabel("Review the prints before you submit")
        title.setObjectName("pageTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        title.setFont(font)
        self.summary = plain(QLabel())
        self.summary.setObjectName("reviewSummaryLabel")
        self.summary.setWordWrap(True)
        self.overlay = QCheckBox("Show &minutiae (Ctrl+M)")
        self.overlay.setObjectName("overlayCheck")
        self.overlay.toggled.connect(self.refresh)
        self.zoom_button = QPushButton("&Zoom (Enter)")
        self.zoom_button.setObjectName("zoomButton")
        self.zoom_button.clicked.connect(self.zoom)
        self.recapture_button = QPushButton("Recapture selected")
        self.recapture_button.setObjectName("reviewRecaptureButton")
        self.recapture_button.clicked.connect(self._recapture)
        self.list = QListWidget()
        self.list.setObjectName("reviewList")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(_TILE, _TILE))
        # a fixed grid cell: tiles reflow with the width and never overlap; long captions
        # are elided to the cell instead of running into the next tile
        lines = self.fontMetrics().lineSpacing() * _CAPTION_LINES
        self.list.setGridSize(QSize(_TILE + 40, _TILE + lines + 14))
        self.list.setWordWrap(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setWrapping(True)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.sequence_report = SequenceReport()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("reviewTabs")
        self.tabs.addTab(self.list, "Prints")
        self.tabs.addTab(self.sequence_report, "Sequence check")
        self.list.itemActivated.connect(lambda _item: self.zoom())
        QShortcut(QKeySequence("Ctrl+M"), self, activated=self.overlay.toggle)

        bar = QHBoxLayout()
        bar.addWidget(self.overlay)
        bar.addStretch(1)
        bar.addWidget(self.zoom_button)
        bar.addWidget(self.recapture_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.summary)
        layout.addLayout(bar)
        layout.addWidget(self.tabs, 1)

    def refresh(self) -> None:
        """List the booking's prints; thumbnails are drawn on a worker."""
        s = self.session
        self.list.clear()
        prints: dict[str, tuple[np.ndarray, Template | None]] = {}
        low = []
        for code in s.order:
            slot = s.slots[code]
            item = QListWidgetItem(self._caption(slot))
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setForeground(
                theme.level_colour(slot.level) if slot.done else theme.level_colour(None)
            )
            self.list.addItem(item)
            if slot.image is not None:
                prints[code] = (slot.image, slot.template)
            if slot.status == "captured" and (slot.level or 0) >= 4:
                low.append(code)
        done = sum(1 for c in s.order if s.slots[c].done)
        text = f"{done} of {len(s.order)} slots done."
        if low:
            text += f" Poor quality: {', '.join(low)} — consider recapturing them."
        if s.sequence:
            text += " " + str(s.sequence.get("message", ""))
            if not s.sequence.get("passed", True):
                text += " (see the Sequence check tab)."
        self.summary.setText(text)
        self._refresh_report()
        self._generation += 1
        gen = self._generation
        overlay = self.overlay.isChecked()
        self.tasks.submit(
            lambda _token: render_thumbnails(prints, overlay),
            lambda thumbs: self._thumbs(gen, thumbs),
            lambda exc: log.error("thumbnails failed: %r", exc),
            name="thumbnails",
        )
        if self.list.count():
            self.list.setCurrentRow(0)

    def _refresh_report(self) -> None:
        """The sequence report: the booking's slap segments (from the gallery) and rolled
        prints (from the session)."""
        s = self.session
        segments: dict[str, np.ndarray | None] = {}
        if s.sequence and s.booking_id is not None:
            try:
                for p in s.service.gallery.booking_prints(s.booking_id, with_images=True):
                    if p["impression"] == Impression.FLAT and p["finger"] in FINGERS:
                        segments[p["finger"]] = p["image"]  # the latest slap's segment wins
            except Exception as exc:  # the report shows what it has; the log says why
                log.error("slap segments could not be read: %r", exc)
        rolled = {f: s.slots[f].image for f in FINGERS if f in s.slots}
        self.sequence_report.set_result(s.sequence, segments, rolled)
        self.tabs.setTabText(
            1,
            "Sequence check"
            + ("" if not s.sequence else " ✓" if s.sequence.get("passed") else " ✗ failed"),
        )

    def _caption(self, slot: SlotState) -> str:
        if slot.status == "annotated":
            return f"{slot.finger} — {slot.annotation}"
        if slot.status == "pending":
            return f"{slot.finger} — not captured"
        if slot.is_slap:
            return f"{slot.finger} — slap\nworst level {slot.level} {theme.level_word(slot.level)}"
        return (
            f"{slot.finger} — level {slot.level} {theme.level_word(slot.level)}\n"
            f"q {slot.quality} · {slot.minutiae} minutiae"
        )

    def _thumbs(self, gen: int, thumbs: dict[str, np.ndarray]) -> None:
        if gen != self._generation:
            return
        for i in range(self.list.count()):
            item = self.list.item(i)
            code = item.data(Qt.ItemDataRole.UserRole)
            if code in thumbs:
                item.setIcon(QIcon(to_pixmap(thumbs[code])))

    def selected(self) -> str | None:
        """The slot of the selected thumbnail."""
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def zoom(self) -> None:
        """Open the selected print in a zoom window."""
        code = self.selected()
        if code is None:
            return
        slot = self.session.slots[code]
        if slot.image is None:
            return
        image = slot.image
        if self.overlay.isChecked() and slot.template is not None:
            image = draw_overlay(slot.image, slot.template)
        if self.zoom_dialog is not None:
            self.zoom_dialog.close()
        self.zoom_dialog = ZoomDialog(f"{code} — {slot_name(code)}", image, self)
        self.zoom_dialog.show()

    def _recapture(self) -> None:
        code = self.selected()
        if code is not None:
            self.recapture_requested.emit(code)
