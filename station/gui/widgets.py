"""Small custom widgets of the station: step bar, hand diagram, quality bar, image canvas,
zoomable print view, alert bar. Each renders what it is given and emits what the officer did.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QWidget,
)

from . import theme
from .imaging import to_pixmap
from .session import SlotState

__all__ = [
    "CARD_ROWS",
    "AlertBar",
    "HandDiagram",
    "ImageCanvas",
    "PrintView",
    "QualityBar",
    "StepBar",
    "esc",
    "fit_columns",
    "fit_height",
    "plain",
    "rich_tooltip",
]

log = logging.getLogger(__name__)


def esc(value: object) -> str:
    """``value`` as text safe inside a rich-text label (``<``, ``>``, ``&`` and quotes escaped).

    Every name, TCN, reason or other stored or typed text goes through this before it is put
    in a label that uses markup, so that a last name ``<b>NO HIT</b>`` shows as written.

    Examples
    --------
    >>> esc("<b>NO HIT</b>")
    '&lt;b&gt;NO HIT&lt;/b&gt;'
    """
    return html.escape(str(value))


def rich_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` as written, lines kept (Qt guesses a tooltip's format)."""
    return "<qt>" + esc(text).replace("\n", "<br>") + "</qt>"


def plain(label: QLabel) -> QLabel:
    """``label`` set to show its text as written, never as markup (returns it)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


class StepBar(QWidget):
    """The booking steps, the current one highlighted, done ones ticked.

    Parameters
    ----------
    steps : sequence of str
        Step titles in order.
    parent : QWidget, optional
    """

    def __init__(self, steps: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("stepBar")
        self.steps = list(steps)
        self.current = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_current(self, index: int) -> None:
        """Highlight step ``index`` (0-based)."""
        self.current = index
        self.setAccessibleDescription(f"Step {index + 1} of {len(self.steps)}: {self.steps[index]}")
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(600, int(self.fontMetrics().height() * 2.2))

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#eef2f7"))
        n = len(self.steps)
        width = self.width() / n
        h = self.height()
        for i, title in enumerate(self.steps):
            x = i * width
            if i < self.current:
                fill, text = QColor("#cfe3d5"), QColor("#1d5a31")
            elif i == self.current:
                fill, text = QColor(theme.BLUE), QColor("white")
            else:
                fill, text = QColor("#eef2f7"), QColor(theme.MUTED)
            tip = h * 0.35
            poly = [
                QPointF(x + 2, 2),
                QPointF(x + width - tip, 2),
                QPointF(x + width, h / 2),
                QPointF(x + width - tip, h - 2),
                QPointF(x + 2, h - 2),
                QPointF(x + 2 + (tip if i else 0), h / 2),
            ]
            painter.setBrush(fill)
            painter.setPen(QPen(QColor("#c3ccd7"), 1))
            painter.drawPolygon(poly)
            painter.setPen(text)
            font = QFont(self.font())
            font.setBold(i == self.current)
            painter.setFont(font)
            mark = "✓ " if i < self.current else f"{i + 1}  "
            painter.drawText(
                QRectF(x + tip, 0, width - 2 * tip, h), Qt.AlignmentFlag.AlignCenter, mark + title
            )
        painter.end()


class QualityBar(QWidget):
    """A horizontal bar of quality 0-100 coloured by level (grey when nothing captured)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("qualityBar")
        self.quality: int | None = None
        self.level: int | None = None
        self.text = "No print yet"
        self.setMinimumHeight(self.fontMetrics().height() + 10)

    def set_quality(self, quality: int | None, level: int | None, text: str) -> None:
        """Show ``quality`` (0-100) at ``level`` (1-5) with a caption."""
        self.quality, self.level, self.text = quality, level, text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(300, self.fontMetrics().height() + 12)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(QPen(QColor("#b5bfcb"), 1))
        painter.setBrush(QColor("#f3f5f8"))
        painter.drawRoundedRect(r, 4, 4)
        if self.quality is not None:
            fill = QRectF(r.x(), r.y(), r.width() * max(0.02, self.quality / 100.0), r.height())
            # a light tint of the level's colour, so the dark caption stays readable on it
            colour = theme.level_colour(self.level)
            painter.setBrush(QColor(theme.tint(colour.name())))
            painter.setPen(QPen(colour, 1))
            painter.drawRoundedRect(fill, 4, 4)
        painter.setPen(QColor("#10161d"))
        painter.drawText(r, Qt.AlignmentFlag.AlignCenter, self.text)
        painter.end()


#: Rows of the hand diagram in the order of the FBI fingerprint card (FD-249): the right hand
#: R1-R5 on the top row, the left hand L1-L5 below, then the plain impressions in the card's
#: order (left four fingers, both thumbs, right four fingers).
CARD_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("RIGHT HAND", ("R1", "R2", "R3", "R4", "R5")),
    ("LEFT HAND", ("L1", "L2", "L3", "L4", "L5")),
    ("SLAPS", ("LS", "TS", "RS")),
)


class HandDiagram(QWidget):
    """Ten finger tiles in card order (right hand, then left hand) and the three slaps.

    Grey: not captured; green/amber/red: quality level 1-2/3/4-5, and the tile says the level
    and its word (colour never carries the meaning alone); hatched with ``XX`` or ``UP``:
    annotated missing. The selected slot has a thick blue outline. Click a tile (or use the
    arrow keys and Enter) to choose the slot to capture.

    Signals
    -------
    slot_clicked(str)
        The officer chose a slot.
    """

    slot_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("handDiagram")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Hand diagram")
        self.setToolTip(
            "Fingers in card order (right hand, left hand) and slaps: the level and its word on "
            "each tile (green good, amber fair, red poor, grey not captured), hatched XX/UP "
            "annotated. Click a tile (or arrows + Enter) to capture it again."
        )
        self.slots: dict[str, SlotState] = {}
        self.order: list[str] = []
        self.current = ""
        self._rects: dict[str, QRectF] = {}
        self.setMinimumSize(300, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_state(self, slots: Mapping[str, SlotState], order: Sequence[str], current: str) -> None:
        """Render these slots; ``order`` lists the slots in use, ``current`` is highlighted."""
        self.slots = dict(slots)
        self.order = list(order)
        self.current = current
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(440, 260)

    def tile_rect(self, code: str) -> QRectF:
        """Where the tile of slot ``code`` is drawn, in the diagram's coordinates.

        Scripts click the tile's centre to choose a slot as an officer does (the test kit's
        ``capture.roll("R1")``).

        Parameters
        ----------
        code : str
            A slot code: R1 … L5, RS, LS or TS.

        Returns
        -------
        QRectF
            The tile's rectangle at the diagram's current size.

        Examples
        --------
        >>> diagram.tile_rect("R1").center()  # doctest: +SKIP
        """
        rects = self._layout()
        if code not in rects:
            raise ValueError(f"no tile {code!r} on the hand diagram: choose one of {list(rects)}")
        return rects[code]

    def _layout(self) -> dict[str, QRectF]:
        """Tile rectangles: one row per :data:`CARD_ROWS` entry, each under its caption."""
        w, h = float(self.width()), float(self.height())
        pad = 6.0
        caption = self.fontMetrics().height() + 2.0
        # two finger rows and a slightly lower slap row share what the captions leave
        free = max(30.0, h - 3 * caption - 4 * pad)
        heights = (free * 0.36, free * 0.36, free * 0.28)
        rects: dict[str, QRectF] = {}
        top = pad
        for (_title, codes), row_h in zip(CARD_ROWS, heights, strict=True):
            top += caption
            n = len(codes)
            tile_w = (w - (n + 1) * pad) / n
            for i, code in enumerate(codes):
                rects[code] = QRectF(pad + i * (tile_w + pad), top, tile_w, row_h)
            top += row_h + pad
        return rects

    def _captions(self) -> list[tuple[str, QRectF]]:
        """Where each row's caption is written (just above its tiles)."""
        rects = self._layout()
        fm_h = float(self.fontMetrics().height())
        return [
            (title, QRectF(6.0, rects[codes[0]].top() - fm_h - 2.0, self.width() - 12.0, fm_h))
            for title, codes in CARD_ROWS
        ]

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(theme.CANVAS))
        self._rects = self._layout()
        painter.setPen(QColor("#44505e"))
        for title, where in self._captions():
            painter.drawText(
                where, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, title
            )
        for code, rect in self._rects.items():
            self._paint_tile(painter, code, rect)
        painter.end()

    def _paint_tile(self, painter: QPainter, code: str, rect: QRectF) -> None:
        slot = self.slots.get(code)
        in_use = code in self.order
        radius = min(rect.width(), rect.height()) * (
            0.45 if len(code) == 2 and code[1] in "12345" else 0.12
        )
        if slot is None or not in_use:
            fill = QColor("#eceff3")
        elif slot.status == "annotated":
            fill = QColor("#d9dde3")
        elif slot.status == "captured":
            fill = theme.level_colour(slot.level)
        else:
            fill = QColor("#c5cbd3")
        painter.setBrush(fill)
        selected = code == self.current
        pen = QPen(QColor(theme.BLUE), 4) if selected else QPen(QColor("#6b7785"), 1)
        if selected and self.hasFocus():
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(rect, radius, radius)
        if slot is not None and slot.status == "annotated":
            painter.setBrush(QBrush(QColor("#5b6470"), Qt.BrushStyle.BDiagPattern))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect.adjusted(2, 2, -2, -2), radius, radius)
        painter.setPen(QColor("white") if slot and slot.status == "captured" else QColor("#222a33"))
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        label = code
        if slot is not None and slot.status == "annotated":
            label = f"{code}\n{slot.annotation}"
        elif slot is not None and slot.status == "captured" and slot.level is not None:
            word = f"{slot.level} {theme.level_word(slot.level)}"
            fits = QFontMetrics(font).horizontalAdvance(word) <= rect.width() - 4
            label = f"{code}\n{word if fits else slot.level}"
        if not in_use:
            label = f"{code}\n(skip)"
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        for code, rect in self._rects.items():
            if rect.contains(event.position()) and code in self.order:
                self.slot_clicked.emit(code)
                return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if not self.order:
            return super().keyPressEvent(event)
        i = self.order.index(self.current) if self.current in self.order else 0
        if event.key() in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            self.current = self.order[(i + 1) % len(self.order)]
            self.update()
        elif event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.current = self.order[(i - 1) % len(self.order)]
            self.update()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.slot_clicked.emit(self.current)
        else:
            super().keyPressEvent(event)


class ImageCanvas(QWidget):
    """A picture scaled to fit (aspect kept) with an optional caption over it."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None, *, placeholder: str = "") -> None:
        super().__init__(parent)
        self.pixmap: QPixmap | None = None
        self.caption = ""
        self.caption_colour = QColor("#10161d")
        self.placeholder = placeholder
        self.border = QColor("#c3ccd7")
        self.setMinimumSize(120, 120)

    def set_image(self, image: np.ndarray | None) -> None:
        """Show a grey or RGB uint8 image (``None`` clears)."""
        self.pixmap = None if image is None else to_pixmap(image)
        self.update()

    def set_caption(self, text: str, colour: QColor | str | None = None) -> None:
        """Text drawn on a band at the bottom of the picture."""
        self.caption = text
        if colour is not None:
            self.caption_colour = QColor(colour)
        self.update()

    def image_rect(self) -> QRectF:
        """Where the picture is drawn inside the widget."""
        if self.pixmap is None or self.pixmap.isNull():
            return QRectF(self.rect())
        pw, ph = self.pixmap.width(), self.pixmap.height()
        scale = min(self.width() / pw, self.height() / ph)
        w, h = pw * scale, ph * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt override)
        self.clicked.emit()
        super().mousePressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), QColor("#f4f6f9"))
        if self.pixmap is not None:
            painter.drawPixmap(self.image_rect(), self.pixmap, QRectF(self.pixmap.rect()))
        elif self.placeholder:
            painter.setPen(QColor("#7d8895"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
        self.paint_over(painter)
        if self.caption:
            band_h = self.fontMetrics().height() * 1.8
            band = QRectF(0, self.height() - band_h, self.width(), band_h)
            painter.fillRect(band, QColor(255, 255, 255, 215))
            painter.setPen(self.caption_colour)
            font = QFont(self.font())
            font.setBold(True)
            painter.setFont(font)
            painter.drawText(band, Qt.AlignmentFlag.AlignCenter, self.caption)
        painter.setPen(QPen(self.border, 2 if self.hasFocus() else 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()

    def paint_over(self, painter: QPainter) -> None:
        """Hook for subclasses: draw over the picture (before the caption)."""


class PrintView(QGraphicsView):
    """A zoomable print: mouse wheel or ``+``/``-`` zoom, ``0`` fits, drag pans."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("printView")
        self._scene = QGraphicsScene(self)
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._item)
        self.setScene(self._scene)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setToolTip("Wheel or +/- to zoom, 0 to fit, drag to pan")

    def set_image(self, image: np.ndarray) -> None:
        """Show a grey or RGB uint8 image and fit it."""
        self._item.setPixmap(to_pixmap(image))
        self._scene.setSceneRect(self._item.boundingRect())
        self.fit()

    def fit(self) -> None:
        """Fit the whole print in the view."""
        self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self, factor: float) -> None:
        """Zoom by ``factor`` (>1 in)."""
        self.scale(factor, factor)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 (Qt override)
        self.zoom(1.25 if event.angleDelta().y() > 0 else 0.8)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(1.25)
        elif event.key() == Qt.Key.Key_Minus:
            self.zoom(0.8)
        elif event.key() == Qt.Key.Key_0:
            self.fit()
        else:
            super().keyPressEvent(event)


class AlertBar(QFrame):
    """A strip at the top of the window: what went wrong and what to do next.

    Shown by :meth:`show_message`, hidden by its Dismiss button (or Esc).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alertBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = plain(QLabel())
        self.label.setObjectName("alertText")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setObjectName("alertDismissButton")
        self.dismiss.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss)
        self.hide()

    def show_message(self, text: str, *, level: str = "error") -> None:
        """Show ``text``; ``level`` is ``'error'`` (red) or ``'info'`` (blue)."""
        self.setProperty("level", level)
        self.style().unpolish(self)
        self.style().polish(self)
        self.label.setText(text)
        self.show()


def fit_columns(table: QTableWidget, stretch: int, *, wrap: bool = False) -> None:
    """Size a table's columns to what they show, one column taking the rest of the width.

    The other columns fit their contents (header included, so no header is cut); the
    ``stretch`` column gets what is left and elides (or wraps, with ``wrap``) its text, so the
    table needs no horizontal scrolling as long as the fitted columns fit.

    Parameters
    ----------
    table : QTableWidget
    stretch : int
        Column that takes the remaining width.
    wrap : bool
        Wrap that column's text onto more lines (rows grow) instead of eliding it.
    """
    if not 0 <= stretch < table.columnCount():
        raise ValueError(f"stretch column {stretch} is not one of the {table.columnCount()}")
    header = table.horizontalHeader()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.setWordWrap(wrap)
    table.setTextElideMode(Qt.TextElideMode.ElideRight)
    if wrap:
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)


def fit_height(table: QTableWidget, max_rows: int = 4) -> None:
    """Make a table as tall as its rows (at most ``max_rows``; more rows scroll).

    Parameters
    ----------
    table : QTableWidget
    max_rows : int
        Rows shown without scrolling (at least 1).
    """
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}")
    table.resizeRowsToContents()
    rows = min(max(table.rowCount(), 1), max_rows)
    height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(min(rows, table.rowCount())))
    height += table.verticalHeader().defaultSectionSize() * max(0, rows - table.rowCount())
    table.setMaximumHeight(height + 2)
