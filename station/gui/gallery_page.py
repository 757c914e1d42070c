"""The gallery browser: enrolled subjects page by page, one subject's records and prints.

Subjects are read a page at a time (``offset``/``limit``), so a gallery of 10 000 subjects
opens as fast as one of ten. Print images are decoded and shrunk to thumbnails on a worker
thread that opens its own read-only connection to the gallery file; the page shows
placeholders until they arrive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from station.core.vocabulary import Repository
from station.gallery import REPOSITORIES, Gallery, GalleryError, open_gallery

from . import theme
from .log_page import fill_table, format_time, make_table, page_header, person_name
from .widgets import esc, fit_columns, plain, rich_tooltip
from .workers import Task, TaskRunner

__all__ = ["GalleryPage", "load_thumbnails"]

log = logging.getLogger(__name__)

#: Subjects read from the gallery per page.
PAGE_SIZE = 100
#: Thumbnail box (width, height) in pixels.
THUMBNAIL = (120, 128)
#: Largest side of the print preview, pixels.
PREVIEW = 480
#: Milliseconds of quiet typing before the search runs.
SEARCH_DELAY_MS = 250

_SUBJECT_COLUMNS = ("ID", "Name", "DOB", "Sex", "Repositories", "Highest offence level")
_RECORD_COLUMNS = ("Repository", "Record number", "Offence level", "Charge", "Added")

#: Item role holding a print's tooltip as plain text.
_TIP_ROLE = Qt.ItemDataRole.UserRole + 1


def load_thumbnails(
    path: str | Path,
    print_ids: Sequence[int],
    box: tuple[int, int],
    *,
    cancelled: Callable[[], bool] | None = None,
) -> dict[int, np.ndarray | str]:
    """Decode prints and shrink them to fit a box (work function: runs on a pool thread).

    Parameters
    ----------
    path : str or Path
        The gallery file; opened read-only on the calling thread.
    print_ids : sequence of int
        Enrolled prints to load.
    box : (int, int)
        Largest (width, height) of a result, pixels; the aspect ratio is kept.
    cancelled : callable, optional
        Polled between prints; when it returns True the prints loaded so far are returned.

    Returns
    -------
    images : dict
        ``print_id -> (M, N) uint8`` image, or a one-line reason when that print could not
        be decoded.
    """
    from PIL import Image

    out: dict[int, np.ndarray | str] = {}
    with open_gallery(path, readonly=True) as gallery:
        for print_id in print_ids:
            if cancelled is not None and cancelled():
                break
            try:
                image = gallery.print_image(print_id)
            except GalleryError as exc:
                out[print_id] = str(exc)
                continue
            picture = Image.fromarray(image)
            picture.thumbnail(box, Image.Resampling.LANCZOS)
            out[print_id] = np.asarray(picture, dtype=np.uint8)
    return out


def _pixmap(image: np.ndarray) -> QPixmap:
    """A QPixmap of an (M, N) uint8 grey image (GUI thread only)."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    rows, cols = image.shape
    qimage = QImage(image.data, cols, rows, image.strides[0], QImage.Format.Format_Grayscale8)
    return QPixmap.fromImage(qimage.copy())


def _placeholder(box: tuple[int, int], text: str) -> QPixmap:
    """A light grey tile with a word in it, shown until the thumbnail is decoded."""
    pixmap = QPixmap(*box)
    pixmap.fill(QColor("#eeeeee"))
    painter = QPainter(pixmap)
    painter.setPen(QColor("#9e9e9e"))
    painter.drawRect(0, 0, box[0] - 1, box[1] - 1)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


class GalleryPage(QWidget):
    """Browse the enrolled subjects: search, page through, see a subject's records and prints.

    Parameters
    ----------
    gallery : Gallery
        Open on the GUI thread; subject pages are read through it. Print images are read by
        a worker through its own read-only connection to ``gallery.path``.
    parent : QWidget, optional
    tasks : TaskRunner, optional
        Where print images are decoded (the window's runner); by default the page's own,
        one load at a time.

    Notes
    -----
    Automation ids: ``gallerySearchEdit``, ``gallerySubjectTable`` (ID, Name, DOB, Sex,
    Repositories, Highest offence level), ``galleryMoreButton``, ``gallerySubjectCountLabel``,
    ``gallerySubjectLabel``, ``galleryRecordTable`` (Repository, Record number, Offence level,
    Charge, Added), ``galleryPrintsView`` (one item per print, its print id as ``Qt.UserRole``
    data), ``galleryPrintPreview``, ``galleryStatsLabel``, ``galleryRefreshButton``,
    ``galleryErrorLabel``.
    """

    def __init__(
        self, gallery: Gallery, parent: QWidget | None = None, *, tasks: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("galleryPage")
        self._gallery = gallery
        self._search = ""
        self._loaded = 0
        self._exhausted = False
        self._selected: int | None = None
        # one subject's prints at a time: selecting another cancels the load in flight
        self._tasks = tasks if tasks is not None else TaskRunner(self, max_threads=1)
        self._loading: Task | None = None
        self._images: dict[int, np.ndarray] = {}
        self._preview_pixmap: QPixmap | None = None

        self.stats_label = plain(QLabel())
        self.stats_label.setObjectName("galleryStatsLabel")
        self.stats_label.setWordWrap(True)
        self.stats_label.setStyleSheet(f"color: {theme.MUTED};")  # WCAG AA on the window

        self.search_edit = QLineEdit()
        self.search_edit.setObjectName("gallerySearchEdit")
        self.search_edit.setPlaceholderText("Search name, date of birth, record number or id…")
        self.search_edit.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.search_edit.returnPressed.connect(self._run_search)

        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setObjectName("galleryRefreshButton")
        self.refresh_button.clicked.connect(self.refresh)

        self.subject_table = make_table(_SUBJECT_COLUMNS, "gallerySubjectTable")
        fit_columns(self.subject_table, _SUBJECT_COLUMNS.index("Repositories"))
        self.subject_table.itemSelectionChanged.connect(self._selection_changed)
        self.more_button = QPushButton("Load more")
        self.more_button.setObjectName("galleryMoreButton")
        self.more_button.clicked.connect(self.load_more)
        self.count_label = plain(QLabel())
        self.count_label.setObjectName("gallerySubjectCountLabel")

        self.error_label = plain(QLabel())
        self.error_label.setObjectName("galleryErrorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.error_label.hide()

        self.subject_label = QLabel("Select a subject to see their records and prints.")
        self.subject_label.setObjectName("gallerySubjectLabel")
        self.subject_label.setWordWrap(True)
        self.subject_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.record_table = make_table(_RECORD_COLUMNS, "galleryRecordTable")
        fit_columns(self.record_table, _RECORD_COLUMNS.index("Charge"), wrap=True)

        self.prints_view = QListWidget()
        self.prints_view.setObjectName("galleryPrintsView")
        self.prints_view.setViewMode(QListView.ViewMode.IconMode)
        self.prints_view.setIconSize(QSize(*THUMBNAIL))
        self.prints_view.setGridSize(QSize(THUMBNAIL[0] + 24, THUMBNAIL[1] + 44))
        self.prints_view.setResizeMode(QListView.ResizeMode.Adjust)
        self.prints_view.setMovement(QListView.Movement.Static)
        self.prints_view.setWrapping(True)
        self.prints_view.setUniformItemSizes(True)
        self.prints_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.prints_view.currentItemChanged.connect(self._print_selected)

        self.preview = QLabel("Select a print to see it larger.")
        self.preview.setObjectName("galleryPrintPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(QSize(160, 160))
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.preview.setWordWrap(True)

        self._build_layout()
        self.refresh()

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.search_edit, 1)
        bar.addWidget(self.refresh_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.subject_table, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.count_label, 1)
        foot.addWidget(self.more_button)
        left_layout.addLayout(foot)

        subject_box = QGroupBox("Subject")
        subject_layout = QVBoxLayout(subject_box)
        subject_layout.addWidget(self.subject_label)
        records_box = QGroupBox("Repository records")
        records_layout = QVBoxLayout(records_box)
        records_layout.addWidget(self.record_table)
        prints_box = QGroupBox("Prints")
        prints_layout = QHBoxLayout(prints_box)
        prints_layout.addWidget(self.prints_view, 3)
        prints_layout.addWidget(self.preview, 2)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(subject_box)
        right_layout.addWidget(records_box, 1)
        right_layout.addWidget(prints_box, 3)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("gallerySplitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([620, 580])

        layout = QVBoxLayout(self)
        layout.addWidget(page_header("Gallery"))
        layout.addWidget(self.stats_label)
        layout.addWidget(self.error_label)
        layout.addWidget(splitter, 1)

    # --- subjects ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the statistics and the first page of subjects again (keeps the search)."""
        self._update_stats()
        self._reload()

    def search(self, text: str) -> None:
        """Show the subjects matching ``text`` now (as typing it and pressing Enter)."""
        self.search_edit.setText(text)
        self._run_search()

    def load_more(self) -> None:
        """Append the next page of subjects."""
        self._load_page(append=True)

    def _run_search(self) -> None:
        self._search_timer.stop()
        self._search = self.search_edit.text().strip()
        self._reload()

    def _reload(self) -> None:
        keep = self._selected
        self._loaded = 0
        self._exhausted = False
        self._load_page(append=False)
        if keep is None or not self.select_subject(keep):
            self._show_subject(None)

    def _update_stats(self) -> None:
        try:
            stats = self._gallery.stats()
        except GalleryError as exc:
            self.stats_label.setText(f"Statistics unavailable: {exc}")
            return
        records = ", ".join(
            f"{Repository.describe(repo)} {stats['records'].get(repo, 0):,}"
            for repo in REPOSITORIES
        )
        bookings = sum(stats["bookings"].values())
        size = (stats["file_size"] + stats["wal_size"]) / 1e6
        self.stats_label.setText(
            f"{stats['subjects']:,} subjects · {stats['prints']:,} prints "
            f"({stats['templates']:,} with templates) · records: {records} · "
            f"{bookings:,} bookings · {size:.1f} MB · {stats['path']}"
        )

    def _load_page(self, *, append: bool) -> None:
        try:
            page = self._gallery.subjects(
                offset=self._loaded, limit=PAGE_SIZE, search=self._search or None
            )
            rows = []
            for subject in page:
                records = self._gallery.records(subject["id"])
                held = {r["repository"] for r in records}
                levels = [r["offence_level"] for r in records if r["offence_level"] is not None]
                rows.append(
                    [
                        subject["id"],
                        person_name(subject),
                        subject.get("date_of_birth"),
                        subject.get("sex"),
                        ", ".join(
                            Repository.describe(repo) for repo in REPOSITORIES if repo in held
                        ),
                        min(levels) if levels else None,
                    ]
                )
        except GalleryError as exc:
            self._show_error(
                f"The gallery could not be read: {exc}. Check the gallery file, then press Refresh."
            )
            return
        self._show_error(None)
        self.subject_table.blockSignals(True)
        if not append:
            self.subject_table.clearSelection()
        fill_table(self.subject_table, rows, keys=[s["id"] for s in page], append=append)
        self.subject_table.blockSignals(False)
        self._loaded += len(page)
        self._exhausted = len(page) < PAGE_SIZE
        self.more_button.setEnabled(not self._exhausted)
        what = f"matching “{self._search}”" if self._search else "in the gallery"
        more = "" if self._exhausted else " — Load more for the next page"
        self.count_label.setText(f"{self._loaded:,} subjects {what} shown{more}")

    def _show_error(self, text: str | None) -> None:
        self.error_label.setText(text or "")
        self.error_label.setVisible(bool(text))
        if text:
            log.warning("%s", text)

    def subject_ids(self) -> list[int]:
        """The ids of the subjects listed now, top to bottom."""
        return [
            self.subject_table.item(r, 0).data(Qt.ItemDataRole.UserRole)
            for r in range(self.subject_table.rowCount())
        ]

    def select_subject(self, subject_id: int) -> bool:
        """Select a listed subject by id; False if it is not listed."""
        for row, key in enumerate(self.subject_ids()):
            if key == subject_id:
                self.subject_table.selectRow(row)
                if self._selected != subject_id:
                    self._show_subject(subject_id)
                return True
        return False

    def selected_subject(self) -> int | None:
        """The id of the selected subject, or None."""
        return self._selected

    def _selection_changed(self) -> None:
        rows = self.subject_table.selectionModel().selectedRows()
        key = (
            self.subject_table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole)
            if rows
            else None
        )
        if key != self._selected:
            self._show_subject(key)

    # --- one subject ------------------------------------------------------------------------

    def _show_subject(self, subject_id: int | None) -> None:
        self._selected = subject_id
        if self._loading is not None:
            self._loading.cancel()  # its images are never delivered
            self._loading = None
        self._images = {}
        self.prints_view.clear()
        self._preview_pixmap = None
        self.preview.clear()
        self.preview.setText("Select a print to see it larger.")
        if subject_id is None:
            self.subject_label.setText("Select a subject to see their records and prints.")
            self.record_table.setRowCount(0)
            return
        try:
            subject = self._gallery.subject(subject_id)
            records = self._gallery.records(subject_id)
            prints = self._gallery.prints(subject_id)
        except GalleryError as exc:
            self._show_error(
                f"Subject {subject_id} could not be read: {exc}. Press Refresh to try again."
            )
            return
        self.subject_label.setText(self._subject_html(subject, len(prints)))
        fill_table(
            self.record_table,
            [
                [
                    Repository.describe(r["repository"]),
                    r["record_number"],
                    r["offence_level"],
                    r["charge"],
                    format_time(r["created_at"]),
                ]
                for r in records
            ],
        )
        for p in prints:
            quality = "—" if p["quality"] is None else p["quality"]
            level = "—" if p["level"] is None else p["level"]
            item = QListWidgetItem(
                QIcon(_placeholder(THUMBNAIL, "loading…")),
                f"{p['finger']} {p['impression']}\nQ {quality} · level {level}",
            )
            item.setData(Qt.ItemDataRole.UserRole, p["id"])
            tip = (
                f"Print {p['id']}: {p['finger']} {p['impression']}, {p['width']}×{p['height']} px"
                f"\nQuality {quality} (level {level}), "
                f"{'template' if p['has_template'] else 'no template'}"
                f"\n{p['device']}, captured {format_time(p['captured_at'])}"
            )
            item.setData(_TIP_ROLE, tip)
            item.setToolTip(rich_tooltip(tip))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.prints_view.addItem(item)
        if prints:
            self._load_images([p["id"] for p in prints], (PREVIEW, PREVIEW))

    @staticmethod
    def _subject_html(subject: Mapping[str, Any], n_prints: int) -> str:
        synthetic = (
            f" · synthetic subject {esc(subject['synthetic_id'])} "
            f"(population {esc(subject['population'])})"
            if subject.get("synthetic_id") is not None
            else ""
        )
        details = [
            f"DOB {esc(subject.get('date_of_birth') or '—')}",
            f"sex {esc(subject.get('sex') or '—')}",
        ]
        for key, label in (
            ("height", "height"),
            ("weight", "weight"),
            ("eye_colour", "eyes"),
            ("hair_colour", "hair"),
            ("place_of_birth", "born"),
        ):
            if subject.get(key):
                unit = " lb" if key == "weight" else ""
                details.append(f"{label} {esc(subject[key])}{unit}")
        return (
            f"<b>{esc(person_name(subject) or '(no name)')}</b> &nbsp; subject "
            f"{esc(subject['id'])}{synthetic}<br>{' · '.join(details)}<br>{n_prints} prints · "
            f"enrolled {esc(format_time(subject.get('created_at')))}"
        )

    def _load_images(self, print_ids: list[int], box: tuple[int, int]) -> None:
        """Decode the prints on a worker; thumbnails and preview come from the same images.

        The work opens its own read-only connection to the gallery file on the worker thread
        (:func:`load_thumbnails`); this page's connection stays on the GUI thread.
        """
        path = Path(self._gallery.path)
        self._loading = self._tasks.submit(
            lambda token: load_thumbnails(path, print_ids, box, cancelled=token),
            self._images_loaded,
            self._images_failed,
            name=f"thumbnails of {len(print_ids)} prints",
        )

    def _images_loaded(self, images: dict[int, np.ndarray | str]) -> None:
        self._loading = None
        for row in range(self.prints_view.count()):
            item = self.prints_view.item(row)
            image = images.get(item.data(Qt.ItemDataRole.UserRole))
            if isinstance(image, np.ndarray):
                self._images[item.data(Qt.ItemDataRole.UserRole)] = image
                pixmap = _pixmap(image).scaled(
                    QSize(*THUMBNAIL),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
                item.setIcon(QIcon(pixmap))
            else:
                item.setIcon(QIcon(_placeholder(THUMBNAIL, "unreadable")))
                if image:
                    tip = f"{item.data(_TIP_ROLE)}\n{image}"
                    item.setData(_TIP_ROLE, tip)
                    item.setToolTip(rich_tooltip(tip))
        current = self.prints_view.currentItem()
        if current is not None:
            self._print_selected(current)

    def _images_failed(self, exc: BaseException) -> None:
        self._loading = None
        for row in range(self.prints_view.count()):
            self.prints_view.item(row).setIcon(QIcon(_placeholder(THUMBNAIL, "unavailable")))
        self._show_error(
            f"The prints could not be shown: {str(exc) or type(exc).__name__}. Check the "
            "gallery file, then press Refresh."
        )

    def thumbnails_ready(self) -> bool:
        """True when the selected subject's print images have been decoded (for tests)."""
        return self._loading is None and len(self._images) == self.prints_view.count()

    def _print_selected(self, item: QListWidgetItem | None, _previous: Any = None) -> None:
        if item is None:
            return
        image = self._images.get(item.data(Qt.ItemDataRole.UserRole))
        if image is None:
            self.preview.setText("Loading…")
            return
        self._preview_pixmap = _pixmap(image)
        self.preview.setToolTip(item.toolTip())
        self._fit_preview()

    def _fit_preview(self) -> None:
        """Show the selected print as large as the preview area allows (aspect ratio kept)."""
        if self._preview_pixmap is None:
            return
        self.preview.setPixmap(
            self._preview_pixmap.scaled(
                self.preview.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Keep the preview fitted to its area."""
        super().resizeEvent(event)
        self._fit_preview()
