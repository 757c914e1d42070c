"""The booking log: the station's booking history, one booking's details, reopen a response.

The page reads the gallery it is given (on the GUI thread, a page of bookings at a time) and
computes nothing: each booking's current disposition is its latest response amended by the
examiners' decisions, as :meth:`station.service.BookingService.outcome` gives it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station.core.vocabulary import BOOKING_STATUSES, BookingStatus, Decision, Disposition
from station.gallery import Gallery, GalleryError
from station.service import BookingService
from station.service.replay import ReplayService

from .replay import ReplayDialog
from .transactions import PathChooser, choose_save_path, export_refusal, save_transaction
from .widgets import esc, plain
from .workers import TaskRunner

__all__ = [
    "DISPOSITION_COLOURS",
    "BookingLogPage",
    "fill_table",
    "format_time",
    "make_table",
    "page_header",
    "person_name",
]

log = logging.getLogger(__name__)

#: Background colours of the disposition words (light, so black text stays readable).
DISPOSITION_COLOURS: dict[str, str] = {
    Disposition.HIT: "#f4c7c3",
    Disposition.NO_HIT: "#c8e6c9",
    Disposition.REVIEW: "#ffe0b2",
    Disposition.RECAPTURE: "#fff59d",
    Disposition.ERROR: "#e0e0e0",
}

#: Bookings read from the gallery per page.
PAGE_SIZE = 200

_LOG_COLUMNS = ("TCN", "Time", "Name", "Status", "Disposition", "Operator")

#: Statuses of a booking left unfinished (by a crash, or a window closed mid-booking), which
#: can be resumed or closed from the log.
_UNFINISHED = (BookingStatus.OPEN, BookingStatus.SUBMITTED)


# --- small table helpers, shared with the gallery page ----------------------------------------


def make_table(headers: Sequence[str], object_name: str, parent: QWidget | None = None):
    """A read-only, row-selecting table with the given column headers.

    Parameters
    ----------
    headers : sequence of str
    object_name : str
        Its stable ``objectName`` (automation id).
    parent : QWidget, optional

    Returns
    -------
    QTableWidget
    """
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(object_name)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return table


def fill_table(
    table: QTableWidget,
    rows: Sequence[Sequence[Any]],
    *,
    keys: Sequence[Any] | None = None,
    append: bool = False,
) -> None:
    """Put ``rows`` of cell values into ``table`` (numbers right-aligned, ``None`` blank).

    Parameters
    ----------
    table : QTableWidget
    rows : sequence of sequences
        One value per column.
    keys : sequence, optional
        A value per row stored as the first cell's ``Qt.UserRole`` data (e.g. a row id).
    append : bool
        Add after the existing rows instead of replacing them.
    """
    table.setUpdatesEnabled(False)
    try:
        start = table.rowCount() if append else 0
        table.setRowCount(start + len(rows))
        for r, values in enumerate(rows, start=start):
            for c, value in enumerate(values):
                item = QTableWidgetItem("" if value is None else str(value))
                if isinstance(value, int | float) and not isinstance(value, bool):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if c == 0 and keys is not None:
                    item.setData(Qt.ItemDataRole.UserRole, keys[r - start])
                table.setItem(r, c, item)
    finally:
        table.setUpdatesEnabled(True)


def format_time(stamp: str | None) -> str:
    """A stored ISO-8601 UTC time as local ``YYYY-MM-DD HH:MM:SS`` (the text itself if odd)."""
    if not stamp:
        return ""
    try:
        moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def person_name(fields: Mapping[str, Any]) -> str:
    """``LAST, First M.`` from demographic fields (blank parts left out; the middle initial
    marked as an initial by its full stop)."""
    last = (fields.get("last_name") or "").upper()
    initial = fields.get("middle_initial")
    first = " ".join(
        part for part in (fields.get("first_name"), f"{initial}." if initial else None) if part
    )
    return ", ".join(part for part in (last, first) if part)


def page_header(text: str) -> QLabel:
    """A page title: the system font, larger and bold (scales with the system font)."""
    label = QLabel(text)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 1.4)
    font.setBold(True)
    label.setFont(font)
    return label


def _outcome(responses: Sequence[Mapping[str, Any]], decisions: Sequence[Mapping[str, Any]]):
    """The booking's disposition now: its latest response amended by examiners' decisions."""
    if not responses:
        return ""
    latest = responses[-1]
    word = latest["disposition"]
    payload = latest.get("payload") or {}
    mine = [d for d in decisions if d["response_id"] == latest["id"]]
    if any(d["decision"] == Decision.CONFIRM for d in mine):
        return str(Disposition.HIT) if word == Disposition.HIT else f"{word} → {Disposition.HIT}"
    rejected = {d["subject_id"] for d in mine if d["decision"] == Decision.REJECT}
    subject = payload.get("subject") or {}
    if word == Disposition.HIT and subject.get("subject_id") in rejected:
        return f"{Disposition.HIT} → {Disposition.NO_HIT}"
    if word == Disposition.REVIEW and rejected and set(payload.get("review", [])) <= rejected:
        return f"{Disposition.REVIEW} → {Disposition.NO_HIT}"
    return word


def _detail_text(detail: Any) -> str:
    """An audit entry's detail as one short line."""
    if detail is None:
        return ""
    if isinstance(detail, Mapping):
        parts = []
        for key, value in detail.items():
            if isinstance(value, Mapping | list):
                value = json.dumps(value, separators=(",", ":"), default=str)
                if len(value) > 60:
                    value = value[:57] + "…"
            parts.append(f"{key}={value}")
        return ", ".join(parts)
    return str(detail)


class BookingLogPage(QWidget):
    """The booking history, newest first, with a filter and the selected booking's details.

    Parameters
    ----------
    gallery : Gallery
        Open on the GUI thread (the page reads it there).
    parent : QWidget, optional

    Signals
    -------
    reopen(int)
        A booking id: the officer asked to open that booking's response.
    resume_requested(int)
        A booking id: resume this unfinished (open or submitted) booking.
    close_requested(int, str)
        A booking id and the reason the officer gave: close (cancel) that booking.

    Notes
    -----
    Automation ids: ``bookingLogTable`` (TCN, Time, Name, Status, Disposition, Operator),
    ``bookingLogFilter`` (words that must all appear in a row), ``bookingLogStatusCombo``,
    ``bookingLogRefreshButton``, ``bookingLogMoreButton``, ``bookingLogCountLabel``,
    ``bookingDetailLabel``, ``responseTable``, ``decisionTable``, ``auditTable``,
    ``reopenResponseButton``, ``replayBookingButton`` (opens ``replayDialog``, the selected
    booking step by step), ``resumeBookingButton`` and ``closeBookingButton`` (enabled
    for an open or submitted booking), ``closeReasonDialog`` (asks why, on Close),
    ``bookingLogErrorLabel``.
    """

    reopen = Signal(int)
    resume_requested = Signal(int)
    close_requested = Signal(int, str)

    def __init__(
        self,
        gallery: Gallery,
        parent: QWidget | None = None,
        *,
        service: BookingService | None = None,
        tasks: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bookingLogPage")
        self._gallery = gallery
        self._service = service if service is not None else BookingService(gallery)
        self._tasks = tasks if tasks is not None else TaskRunner(self)
        self._rows: list[dict[str, Any]] = []  # loaded bookings, newest first
        self._exhausted = False
        self._selected: int | None = None

        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("bookingLogFilter")
        self.filter_edit.setPlaceholderText("Filter by TCN, name, status, disposition, operator…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._apply_filter)

        self.status_combo = QComboBox()
        self.status_combo.setObjectName("bookingLogStatusCombo")
        self.status_combo.addItem("All statuses", None)
        for status in BOOKING_STATUSES:
            self.status_combo.addItem(status.capitalize(), status)
        self.status_combo.currentIndexChanged.connect(self.refresh)

        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setObjectName("bookingLogRefreshButton")
        self.refresh_button.clicked.connect(self.refresh)

        self.table = make_table(_LOG_COLUMNS, "bookingLogTable")
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.doubleClicked.connect(self._reopen_selected)

        self.more_button = QPushButton("Load more")
        self.more_button.setObjectName("bookingLogMoreButton")
        self.more_button.clicked.connect(self.load_more)
        self.count_label = plain(QLabel())
        self.count_label.setObjectName("bookingLogCountLabel")

        self.error_label = plain(QLabel())
        self.error_label.setObjectName("bookingLogErrorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.error_label.hide()

        # detail pane
        self.detail_label = QLabel("Select a booking to see its responses and audit trail.")
        self.detail_label.setObjectName("bookingDetailLabel")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.response_table = make_table(
            ("Received", "Disposition", "Top candidate", "Score", "Search ms"), "responseTable"
        )
        self.decision_table = make_table(
            ("Decided", "Examiner", "Decision", "Subject", "Note"), "decisionTable"
        )
        self.audit_table = make_table(("Time", "Actor", "Action", "Detail"), "auditTable")
        self.agency_table = make_table(
            ("System", "TCN", "Status", "Sent", "Answered", "Response", "Result"),
            "agencyMessagesTable",
        )
        self.reopen_button = QPushButton("&Open response")
        self.reopen_button.setObjectName("reopenResponseButton")
        self.reopen_button.setToolTip("Show this booking's response on the Response page")
        self.reopen_button.setEnabled(False)
        self.reopen_button.clicked.connect(self._reopen_selected)
        self.replay_button = QPushButton("Re&play")
        self.replay_button.setObjectName("replayBookingButton")
        self.replay_button.setToolTip(
            "Step through this booking as it happened: pages, captures, response, decisions"
        )
        self.replay_button.setEnabled(False)
        self.replay_button.clicked.connect(self.replay_selected)
        self.replay_dialog: ReplayDialog | None = None
        self.resume_button = QPushButton("Res&ume")
        self.resume_button.setObjectName("resumeBookingButton")
        self.resume_button.setToolTip(
            "Carry on with this unfinished booking: capture what is missing, or submit it"
        )
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(self._resume_selected)
        self.close_button = QPushButton("C&lose booking…")
        self.close_button.setObjectName("closeBookingButton")
        self.close_button.setToolTip("Cancel this unfinished booking (asks why; audited)")
        self.close_button.setEnabled(False)
        self.close_button.clicked.connect(self._ask_close_reason)
        self.export_button = QPushButton("E&xport transaction…")
        self.export_button.setObjectName("exportTransactionButton")
        self.export_button.setToolTip("Write this booking's EBTS CAR/CNA transaction to a file")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_selected)
        self.export_label = plain(QLabel())
        self.export_label.setObjectName("exportTransactionLabel")
        self.export_label.setWordWrap(True)
        #: ``chooser(title, suggested name)`` → path or ``None``; tests replace it.
        self.path_chooser: PathChooser = choose_save_path(self)
        self.close_dialog: QInputDialog | None = None
        self._status: str | None = None

        self._build_layout()
        self.refresh()

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.status_combo)
        bar.addWidget(self.refresh_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.table, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.count_label, 1)
        foot.addWidget(self.more_button)
        left_layout.addLayout(foot)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        summary = QGroupBox("Booking")
        summary_layout = QVBoxLayout(summary)
        summary_layout.addWidget(self.detail_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.reopen_button)
        buttons.addWidget(self.replay_button)
        buttons.addWidget(self.export_button)
        summary_layout.addLayout(buttons)
        summary_layout.addWidget(self.export_label)
        right_layout.addWidget(summary)
        boxes = {}
        for title, table in (
            ("Responses", self.response_table),
            ("Examiner decisions", self.decision_table),
            ("Agency transactions", self.agency_table),
            ("Audit trail", self.audit_table),
        ):
            boxes[title] = box = QGroupBox(title)
            box_layout = QVBoxLayout(box)
            box_layout.addWidget(table)
        right_layout.addWidget(boxes["Responses"], 1)
        # every message to the agencies beside the decisions: the page is no taller
        pair = QHBoxLayout()
        pair.addWidget(boxes["Examiner decisions"], 1)
        pair.addWidget(boxes["Agency transactions"], 1)
        right_layout.addLayout(pair, 1)
        right_layout.addWidget(boxes["Audit trail"], 2)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("bookingLogSplitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(page_header("Booking log"))
        layout.addWidget(self.error_label)
        layout.addWidget(splitter, 1)

    # --- loading ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the newest bookings again (keeps the filter and, if still listed, the selection)."""
        keep = self._selected
        self._rows = []
        self._exhausted = False
        self._load(PAGE_SIZE)
        self._apply_filter()
        if keep is not None:
            self.select_booking(keep)

    def load_more(self) -> None:
        """Read the next page of older bookings."""
        self._load(PAGE_SIZE)
        self._apply_filter()

    def _load(self, limit: int) -> None:
        status = self.status_combo.currentData()
        try:
            page = self._gallery.bookings(limit=limit, offset=len(self._rows), status=status)
            for booking in page:
                booking["outcome"] = _outcome(
                    self._gallery.responses(booking["id"]), self._gallery.decisions(booking["id"])
                )
        except GalleryError as exc:
            self._show_error(
                f"The booking log could not be read: {exc}. Check the gallery file, then press "
                "Refresh."
            )
            return
        self._show_error(None)
        self._rows.extend(page)
        self._exhausted = len(page) < limit

    def _show_error(self, text: str | None) -> None:
        self.error_label.setText(text or "")
        self.error_label.setVisible(bool(text))
        if text:
            log.warning("%s", text)

    @staticmethod
    def _cells(booking: Mapping[str, Any]) -> list[Any]:
        return [
            booking["tcn"],
            format_time(booking["created_at"]),
            person_name(booking.get("demographics") or {}),
            booking["status"],
            booking.get("outcome", ""),
            booking["operator"],
        ]

    def _apply_filter(self) -> None:
        words = self.filter_edit.text().lower().split()
        shown = []
        for booking in self._rows:
            text = " ".join(str(v) for v in self._cells(booking)).lower()
            if all(w in text for w in words):
                shown.append(booking)
        keep = self._selected
        self.table.blockSignals(True)
        self.table.clearSelection()
        fill_table(self.table, [self._cells(b) for b in shown], keys=[b["id"] for b in shown])
        for row, booking in enumerate(shown):
            word = str(booking.get("outcome", "")).split(" → ")[-1]
            colour = DISPOSITION_COLOURS.get(word)
            if colour:
                self.table.item(row, 4).setBackground(QColor(colour))
        self.table.blockSignals(False)
        more = "" if self._exhausted else " (older bookings: Load more)"
        self.count_label.setText(f"{len(shown)} of {len(self._rows)} bookings shown{more}")
        self.more_button.setEnabled(not self._exhausted)
        if keep is None or not self.select_booking(keep):
            self._show_booking(None)

    # --- selection and details --------------------------------------------------------------

    def booking_ids(self) -> list[int]:
        """The ids of the bookings listed now, top to bottom."""
        return [
            self.table.item(r, 0).data(Qt.ItemDataRole.UserRole)
            for r in range(self.table.rowCount())
        ]

    def select_booking(self, booking_id: int) -> bool:
        """Select a listed booking by id; False if it is not listed (filtered out or older)."""
        for row, key in enumerate(self.booking_ids()):
            if key == booking_id:
                self.table.selectRow(row)
                self._show_booking(booking_id)
                return True
        return False

    def selected_booking(self) -> int | None:
        """The id of the selected booking, or None."""
        return self._selected

    def _selection_changed(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        key = self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole) if rows else None
        self._show_booking(key)

    def _show_booking(self, booking_id: int | None) -> None:
        self._selected = booking_id
        if booking_id is None:
            self.detail_label.setText("Select a booking to see its responses and audit trail.")
            for table in (
                self.response_table,
                self.decision_table,
                self.audit_table,
                self.agency_table,
            ):
                table.setRowCount(0)
            self.reopen_button.setEnabled(False)
            self.replay_button.setEnabled(False)
            self.export_button.setEnabled(False)
            self._set_unfinished(None)
            return
        try:
            booking = self._gallery.booking(booking_id)
            responses = self._gallery.responses(booking_id)
            decisions = self._gallery.decisions(booking_id)
            audit = self._gallery.audit_log(booking_id=booking_id)
            messages = self._gallery.agency_messages(booking_id)
        except GalleryError as exc:
            self._show_error(
                f"Booking {booking_id} could not be read: {exc}. Press Refresh to try again."
            )
            return
        demo = booking.get("demographics") or {}
        lines = [
            f"<b>{esc(booking['tcn'])}</b> &nbsp; {esc(person_name(demo) or '(no name)')}",
            f"DOB {esc(demo.get('date_of_birth') or '—')} · sex {esc(demo.get('sex') or '—')} · "
            f"{esc(booking['transaction_type'])} · status <b>{esc(booking['status'])}</b>",
            f"Opened {esc(format_time(booking['created_at']))} by {esc(booking['operator'])} at "
            f"{esc(booking['station_id'])}",
        ]
        outcome = _outcome(responses, decisions)
        if outcome:
            lines.append(f"Disposition: <b>{esc(outcome)}</b>")
        if booking.get("subject_id") is not None:
            lines.append(f"Linked to subject {esc(booking['subject_id'])}")
        self.detail_label.setText("<br>".join(lines))

        response_rows = []
        for response in reversed(responses):
            payload = response.get("payload") or {}
            candidates = payload.get("candidates") or []
            top = candidates[0] if candidates else {}
            score, ms = top.get("score"), payload.get("search_ms")
            response_rows.append(
                [
                    format_time(response["received_at"]),
                    response["disposition"],
                    top.get("name") or ("" if not top else f"subject {top.get('subject_id')}"),
                    round(float(score), 3) if isinstance(score, int | float) else score,
                    round(float(ms)) if isinstance(ms, int | float) else ms,
                ]
            )
        fill_table(self.response_table, response_rows)
        for row, response in enumerate(reversed(responses)):
            colour = DISPOSITION_COLOURS.get(response["disposition"])
            if colour:
                self.response_table.item(row, 1).setBackground(QColor(colour))
        fill_table(
            self.decision_table,
            [
                [
                    format_time(d["decided_at"]),
                    d["examiner"],
                    d["decision"],
                    d["subject_id"],
                    d["note"],
                ]
                for d in decisions
            ],
        )
        fill_table(
            self.audit_table,
            [
                [format_time(a["at"]), a["actor"], a["action"], _detail_text(a["detail"])]
                for a in audit
            ],
        )
        fill_table(
            self.agency_table,
            [  # every message to the agencies, resubmitted ones too, oldest first
                [
                    m["system"],
                    m["tcn"],
                    m["status"],
                    format_time(m["sent_at"]),
                    format_time(m["answered_at"]) if m["answered_at"] else "—",
                    f"{m['tot']} → {m['response_tot'] or '—'}",
                    m["result"] or "—",
                ]
                for m in messages
            ],
        )
        self._set_unfinished(booking["status"])
        self.reopen_button.setEnabled(bool(responses))
        self.replay_button.setEnabled(True)
        refusal = export_refusal(self._service)
        self.export_button.setEnabled(bool(responses) and refusal is None)
        tip = "Write this booking's EBTS CAR/CNA transaction to a file"
        self.export_button.setToolTip(tip if refusal is None else refusal)
        self.reopen_button.setToolTip(
            "Show this booking's response on the Response page"
            if responses
            else "This booking has no response yet"
        )

    def replay_selected(self) -> None:
        """Open the selected booking's replay in a dialog of its own (not modal)."""
        if self._selected is None:
            return
        if self.replay_dialog is not None:
            self.replay_dialog.close()
            self.replay_dialog.deleteLater()
        log.info("replay booking %d", self._selected)
        self.replay_dialog = ReplayDialog(ReplayService(self._gallery), int(self._selected), self)
        self.replay_dialog.show()

    def export_selected(self) -> None:
        """Ask where, then write the selected submitted booking's CAR/CNA on a worker."""
        if self._selected is None:
            return
        booking_id = int(self._selected)
        try:
            booking = self._gallery.booking(booking_id)
            submitted = bool(self._gallery.responses(booking_id))
        except GalleryError as exc:
            self.export_label.setText(f"Booking {booking_id} could not be read: {exc}")
            return
        if not submitted:
            self.export_label.setText("Only a submitted booking has a transaction to export.")
            return
        refusal = export_refusal(self._service)
        if refusal is not None:
            self.export_label.setText(refusal)
            return
        path = self.path_chooser("Export the booking's transaction", f"{booking['tcn']}.eft")
        if not path:
            return
        self.export_label.setText("Writing the transaction …")
        save_transaction(
            self._tasks,
            self._service,
            booking_id,
            path,
            response=False,
            done=lambda w: self.export_label.setText(
                f"Exported {w.tot} {w.tcn} to {w.path} ({w.size:,} bytes)"
            ),
            failed=lambda exc: self.export_label.setText(f"The transaction was not saved: {exc}"),
        )

    def _set_unfinished(self, status: str | None) -> None:
        self._status = status
        unfinished = status in _UNFINISHED
        for button in (self.resume_button, self.close_button):
            button.setEnabled(unfinished)

    def _resume_selected(self) -> None:
        if self._selected is None or self._status not in _UNFINISHED:
            return
        log.info("resume booking %d", self._selected)
        self.resume_requested.emit(int(self._selected))

    def _ask_close_reason(self) -> None:
        """Ask why (window-modal, not blocking); closing needs a reason."""
        if self._selected is None or self._status not in _UNFINISHED:
            return
        booking_id = int(self._selected)
        dialog = QInputDialog(self)
        dialog.setObjectName("closeReasonDialog")
        dialog.setWindowTitle("Close booking")
        dialog.setLabelText(
            "Close (cancel) this unfinished booking? It cannot be resumed afterwards.\n"
            "Why is it closed? (written to the audit trail)"
        )
        dialog.setOkButtonText("Close booking")
        dialog.textValueSelected.connect(lambda text: self._close_with(booking_id, text))
        dialog.finished.connect(self._close_dialog_done)
        self.close_dialog = dialog
        dialog.open()

    def _close_dialog_done(self) -> None:
        dialog, self.close_dialog = self.close_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    def _close_with(self, booking_id: int, reason: str) -> None:
        if not reason.strip():
            self._show_error("The booking was not closed: say why it is closed.")
            return
        log.info("close booking %d: %s", booking_id, reason.strip())
        self.close_requested.emit(booking_id, reason.strip())

    def _reopen_selected(self) -> None:
        if self._selected is None or not self.reopen_button.isEnabled():
            return
        log.info("reopen response of booking %d", self._selected)
        self.reopen.emit(int(self._selected))
