"""Step 5, Response: the disposition banner, the subject's records on a HIT, the candidate
list with per-finger scores, the examiner's comparison with Confirm / Reject, and enrolment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from station.core.match import threshold
from station.core.vocabulary import (
    FINGERS,
    Decision,
    Disposition,
    Impression,
    Repository,
    System,
)
from station.service import CandidateResult, Outcome, Response, SubjectSummary
from station.service.accounts import Permission
from station.service.transactions import TransactionFile

from . import theme
from .agencies import AgencyAnswersBox, AgencySnapshot, BookingAgencies
from .dialogs import DecisionDialog
from .examiner import MatchResult, MatchView, match_pairs
from .session import BookingSession
from .transactions import PathChooser, choose_save_path, export_refusal, save_transaction
from .widgets import esc, fit_columns, fit_height, plain
from .workers import TaskRunner

__all__ = ["ResponsePage", "banner_text", "finger_summary"]

log = logging.getLogger(__name__)

#: False match rate below whose 1:1 threshold the examiner view draws no matched minutiae:
#: pairs of a comparison that scores like two different fingers mean nothing.
PAIRS_FMR = 1e-3


def _name(subject: SubjectSummary | None) -> str:
    if subject is None:
        return "?"
    demo = subject.demographics
    return f"{demo.get('last_name') or '?'}, {demo.get('first_name') or '?'}"


def _subject_ref(subject: SubjectSummary | None) -> str:
    """``'gallery subject #14, synthetic subject 16'`` (the synthetic number when known)."""
    if subject is None:
        return "gallery subject ?"
    text = f"gallery subject #{subject.subject_id}"
    if subject.synthetic_id is not None:
        text += f", synthetic subject {subject.synthetic_id}"
    return text


def _repos(repos: Sequence[str] | None) -> str:
    return ", ".join(Repository.describe(r) for r in (repos or [])) or "no repository"


def finger_summary(scores: Mapping[str, float], best: int = 3) -> str:
    """The ``best`` highest per-finger scores in a few characters, e.g. ``'R2 .91 L1 .85 +6'``.

    Examples
    --------
    >>> finger_summary({"R1": 0.5, "R2": 0.91, "L1": 0.85, "L2": 0.1})
    'R2 .91 L1 .85 R1 .50 +1'
    >>> finger_summary({})
    '—'
    """
    if not scores:
        return "—"
    ranked = sorted(scores, key=lambda f: -scores[f])
    text = " ".join(f"{f} {scores[f]:.2f}".replace(" 0.", " .") for f in ranked[:best])
    return text + (f" +{len(ranked) - best}" if len(ranked) > best else "")


def _finger_tooltip(scores: Mapping[str, float]) -> str:
    return "Per-finger scores: " + (
        ", ".join(f"{f} {scores[f]:.2f}" if f in scores else f"{f} —" for f in FINGERS) or "none"
    )


def banner_text(response: Response, outcome: Outcome | None, enrolled: int | None = None) -> str:
    """The banner: the disposition word first, then what it means and what to do.

    Parameters
    ----------
    response : Response
        The stored response.
    outcome : Outcome, optional
        After an examiner's decision (``BookingService.outcome``).
    enrolled : int, optional
        Subject id the booking was enrolled as.
    """
    word = (outcome or response).disposition
    decided = outcome is not None and outcome.disposition != response.disposition
    confirmed = bool(outcome and outcome.confirmed)
    if word is Disposition.HIT:
        subject = (outcome.subject if outcome else None) or response.subject
        level = subject.highest_offence_level if subject else None
        text = (
            f"HIT — {_name(subject)} ({_subject_ref(subject)}), "
            f"{_repos(subject.repositories if subject else None)}"
        )
        if level:
            text += f", highest offence level {level}"
        if confirmed:
            text += " — confirmed by the examiner"
    elif word is Disposition.NO_HIT and enrolled is not None:
        text = (
            "NO HIT — the examiner rejected every candidate"
            if decided
            else "NO HIT — not found in the gallery"
        )
    elif word is Disposition.NO_HIT:
        if decided:
            text = "NO HIT — the examiner rejected every candidate; enrol the subject"
        else:
            text = "NO HIT — not found in the gallery; enrol the subject as new"
    elif word is Disposition.REVIEW:
        n = len(response.review or ()) or len(response.candidates)
        text = (
            f"REVIEW — {n} candidate(s) need an examiner: compare the prints, then "
            "Confirm or Reject"
        )
    elif word is Disposition.RECAPTURE:
        fingers = ", ".join(r.finger for r in response.recapture or ())
        text = f"RECAPTURE — quality too low on {fingers}: recapture these fingers, then submit"
    else:
        text = f"ERROR — {response.reason or 'the booking failed'}"
        if "capture" not in text:
            text += "; check the prints and submit again, or start a new booking"
    if enrolled is not None:
        text += (
            f" · enrolled as a new encounter of subject #{enrolled}"
            if word is Disposition.HIT
            else f" · enrolled as subject #{enrolled}"
        )
    return text


class ResponsePage(QWidget):
    """Renders a booking's response and takes the examiner's and officer's decisions.

    Signals
    -------
    recapture_requested(list)
        The officer chose Recapture on a RECAPTURE response (the fingers, in order).
    new_booking_requested()
    problem(str)
    acted(str, dict)
        What the examiner or officer did, for the booking recorder: ``("decide", {"decision",
        "subject", "reason"})`` and ``("undo", {"reason"})`` once recorded, ``("enrol", {})``
        and ``("recapture_listed", {"fingers"})``.
    """

    recapture_requested = Signal(list)
    acted = Signal(str, dict)
    new_booking_requested = Signal()
    problem = Signal(str)

    def __init__(
        self,
        session: BookingSession,
        tasks: TaskRunner,
        examiner: str = "examiner",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("responsePage")
        self.session = session
        self.tasks = tasks
        self.examiner = examiner
        self._decide_refusal: str | None = None
        self.pairs_threshold = threshold(PAIRS_FMR)
        self._generation = 0
        self._shown_subject: int | None = None
        self._probe_cache: dict[str, tuple[np.ndarray | None, Any]] = {}
        #: A note on how the search was made (the first start's partial gallery), or "".
        self.note = ""

        self.banner = plain(QLabel("—"))
        self.banner.setObjectName("dispositionBanner")
        self.banner.setWordWrap(True)
        self.banner.setMargin(12)
        font = self.banner.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.banner.setFont(font)
        self.banner.setAccessibleName("Disposition")
        self.detail = plain(QLabel())
        self.detail.setObjectName("responseDetailLabel")
        self.detail.setWordWrap(True)

        # HIT: subject and records
        self.subject_box = QGroupBox("Subject identified")
        self.subject_box.setObjectName("subjectBox")
        sl = QVBoxLayout(self.subject_box)
        self.subject_label = QLabel()
        self.subject_label.setObjectName("subjectLabel")
        self.subject_label.setWordWrap(True)
        self.records = QTableWidget(0, 4)
        self.records.setObjectName("recordsTable")
        self.records.setHorizontalHeaderLabels(
            ["Repository", "Record number", "Offence level", "Charge"]
        )
        self._table_setup(self.records)
        fit_columns(self.records, 3, wrap=True)  # the charge wraps, never cut
        sl.addWidget(self.subject_label)
        sl.addWidget(self.records)

        # RECAPTURE
        self.recapture_box = QGroupBox("Fingers to recapture")
        self.recapture_box.setObjectName("recaptureBox")
        rl = QHBoxLayout(self.recapture_box)
        self.recapture_label = plain(QLabel())
        self.recapture_label.setObjectName("recaptureListLabel")
        self.recapture_label.setWordWrap(True)
        self.recapture_button = QPushButton("&Recapture these fingers")
        self.recapture_button.setObjectName("recaptureListedButton")
        self.recapture_button.setToolTip("Back to Capture, on the first listed finger (Ctrl+R)")
        self.recapture_button.clicked.connect(self._recapture)
        rl.addWidget(self.recapture_label, 1)
        rl.addWidget(self.recapture_button)
        self.subject_box.hide()  # shown by render() for the dispositions that have them
        self.recapture_box.hide()

        # candidates
        self.candidates = QTableWidget(0, 6)
        self.candidates.setObjectName("candidateTable")
        self.candidates.setHorizontalHeaderLabels(
            ["Rank", "Name", "Score", "Repositories", "Subject", "Best fingers"]
        )
        self._table_setup(self.candidates)
        # repositories elide (full text in the tooltip); three rows always show (five and more
        # at 1366 x 768: the table takes the height the boxes above leave)
        fit_columns(self.candidates, 3)
        rows = self.candidates.verticalHeader().defaultSectionSize()
        self.candidates.setMinimumHeight(
            self.candidates.horizontalHeader().sizeHint().height() + 3 * rows + 4
        )
        self.candidates.setToolTip("Candidates, best first; select one to compare")
        self.candidates.itemSelectionChanged.connect(self._candidate_selected)
        # the officer picking a candidate wants to compare: the examiner's tab comes forward
        self.candidates.cellClicked.connect(
            lambda _r, _c: self.side_tabs.setCurrentWidget(self.examiner_box)
        )

        # examiner
        self.examiner_box = QGroupBox("Examiner comparison")
        self.examiner_box.setObjectName("examinerBox")
        el = QVBoxLayout(self.examiner_box)
        top = QHBoxLayout()
        self.finger = QComboBox()
        self.finger.setObjectName("examinerFingerCombo")
        self.finger.setToolTip("Finger to compare")
        self.finger.currentIndexChanged.connect(self._compare)
        self.match_label = plain(QLabel())
        self.match_label.setObjectName("matchScoreLabel")
        top.addWidget(QLabel("Finger"))
        top.addWidget(self.finger)
        top.addWidget(self.match_label, 1)
        self.view = MatchView()
        self.confirm = QPushButton("✓ &Confirm match")
        self.confirm.setObjectName("confirmMatchButton")
        self.confirm.setToolTip("The selected candidate is this person (Ctrl+Shift+C)")
        self.confirm.clicked.connect(lambda: self._decide(Decision.CONFIRM))
        self.reject = QPushButton("✗ Re&ject")
        self.reject.setObjectName("rejectMatchButton")
        self.reject.setToolTip("The selected candidate is not this person (Ctrl+Shift+J)")
        self.reject.clicked.connect(lambda: self._decide(Decision.REJECT))
        self.undo = QPushButton("↶ &Undo decision")
        self.undo.setObjectName("undoDecisionButton")
        self.undo.setToolTip("Undo the examiner's last decision (until the booking is enrolled)")
        self.undo.clicked.connect(self._undo)
        self.decision_label = QLabel()
        self.decision_label.setObjectName("decisionHintLabel")
        self.decision_label.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.decision_label, 1)
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.reject)
        buttons.addWidget(self.undo)
        el.addLayout(top)
        el.addWidget(self.view, 1)

        # actions
        self.enroll = QPushButton("&Enrol subject")
        self.enroll.setObjectName("enrollButton")
        self.enroll.setToolTip("Add this booking's prints to the gallery (Ctrl+E)")
        self.enroll.clicked.connect(self._enrol)
        self.new_booking = QPushButton("&New booking")
        self.new_booking.setObjectName("newBookingButton")
        self.new_booking.setToolTip("Start the next booking (Ctrl+Shift+N)")
        self.new_booking.clicked.connect(self.new_booking_requested)
        self.save_transaction = QPushButton("Save &transaction…")
        self.save_transaction.setObjectName("saveTransactionButton")
        self.save_transaction.setToolTip("Write this booking's EBTS CAR/CNA transaction to a file")
        self.save_transaction.clicked.connect(lambda: self.save(response=False))
        self.save_response = QPushButton("Save res&ponse…")
        self.save_response.setObjectName("saveResponseButton")
        self.save_response.setToolTip("Write the answer (EBTS SRE, or ERRT) to a file")
        self.save_response.clicked.connect(lambda: self.save(response=True))
        self.saved_label = plain(QLabel())
        self.saved_label.setObjectName("transactionSavedLabel")
        #: ``chooser(title, suggested name)`` → path or ``None``; tests replace it.
        self.path_chooser: PathChooser = choose_save_path(self)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.subject_box)
        ll.addWidget(self.recapture_box)
        self.candidates_title = cand_label = QLabel("Candidates")
        cand_label.setObjectName("candidatesTitle")
        ll.addWidget(cand_label)
        ll.addWidget(self.candidates, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("responseSplitter")
        # Secure Communities: each agency's answer in its own panel, above the examiner's
        # comparison (in a scroll area: long histories never make the page taller)
        self.agencies_box = AgencyAnswersBox(columns=2)
        self._agency_snapshot = AgencySnapshot()
        self.agencies_scroll = QScrollArea()
        self.agencies_scroll.setObjectName("agenciesScroll")
        self.agencies_scroll.setWidgetResizable(True)
        self.agencies_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.agencies_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.agencies_scroll.setWidget(self.agencies_box)
        # the agencies and the examiner's comparison share the right column as two tabs; the
        # decision buttons stay below them, whichever tab is on screen
        self.side_tabs = QTabWidget()
        self.side_tabs.setObjectName("responseSideTabs")
        self.side_tabs.addTab(self.agencies_scroll, "Agencies")
        self.side_tabs.addTab(self.examiner_box, "Examiner comparison")
        self.examiner_box.setTitle("")
        self.examiner_box.setFlat(True)
        self.side = side = QWidget()
        side.setObjectName("responseSide")
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.side_tabs, 1)
        side_layout.addLayout(buttons)
        split.addWidget(left)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])  # the tables get the wider part
        actions = QHBoxLayout()
        actions.addWidget(self.saved_label, 1)
        actions.addWidget(self.save_transaction)
        actions.addWidget(self.save_response)
        actions.addWidget(self.enroll)
        actions.addWidget(self.new_booking)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.detail)
        layout.addWidget(split, 1)
        layout.addLayout(actions)
        for a, b in (
            (self.candidates, self.finger),
            (self.finger, self.confirm),
            (self.confirm, self.reject),
            (self.reject, self.undo),
            (self.undo, self.recapture_button),
            (self.recapture_button, self.enroll),
            (self.enroll, self.new_booking),
            (self.new_booking, self.save_transaction),
            (self.save_transaction, self.save_response),
        ):
            QWidget.setTabOrder(a, b)
        session.response_changed.connect(lambda _r: self.render())
        session.reset_done.connect(self._clear)

    @staticmethod
    def _table_setup(table: QTableWidget) -> None:
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)

    # --- rendering ------------------------------------------------------------------------

    def _clear(self) -> None:
        self.note = ""
        self.agencies_box.show_booking(None, None)
        self.banner.setText("—")
        self.banner.setStyleSheet("")
        self.detail.clear()
        self.candidates.setRowCount(0)
        self.records.setRowCount(0)
        self._probe_cache = {}
        self._shown_subject = None
        self.finger.clear()
        self.match_label.clear()
        self.view.set_prints(None, None, None, "Select a candidate to compare")
        self.saved_label.clear()
        self.save_transaction.setEnabled(False)
        self.save_response.setEnabled(False)

    def show_agencies(self, snapshot: AgencySnapshot) -> None:
        """The agencies' latest answers (a pump job's snapshot): this booking's panels fill in."""
        self._agency_snapshot = snapshot
        booking_id = self.session.booking_id if self.session.response is not None else None
        entry = snapshot.of(booking_id) if booking_id is not None else None
        if booking_id is not None:
            self.agencies_box.show_booking(booking_id, entry)
            self._agency_tab_text(entry)

    def _agency_tab_text(self, entry: BookingAgencies | None) -> None:
        """The Agencies tab says how many answered, and ICE's level once it is known."""
        text = "Agencies"
        if entry is not None:
            final = sum(1 for a in entry.systems if a.final)
            text += f" ({final}/{len(entry.systems)})"
            lesc = next((a for a in entry.systems if a.system is System.LESC), None)
            level = lesc.details.get("level") if lesc is not None else None
            if level:
                text += f" · ICE Level {level}"
        self.side_tabs.setTabText(self.side_tabs.indexOf(self.agencies_scroll), text)

    def render(self) -> None:
        """Show the session's response (and the outcome after decisions)."""
        s = self.session
        response = s.response
        if response is None:
            self._clear()
            return
        searched_ok = response.disposition in (
            Disposition.HIT,
            Disposition.NO_HIT,
            Disposition.REVIEW,
        )
        if self.agencies_box.booking_id != s.booking_id:
            # a new response: REVIEW needs the examiner's comparison, the others show the
            # agencies' answers as they come in
            review = response.disposition is Disposition.REVIEW or not searched_ok
            self.side_tabs.setCurrentWidget(self.examiner_box if review else self.agencies_scroll)
            entry = self._agency_snapshot.of(s.booking_id) if s.booking_id else None
            self.agencies_box.show_booking(s.booking_id, entry)
            self._agency_tab_text(entry)
        word = s.disposition()
        self.banner.setText(banner_text(response, s.outcome, s.enrolled_subject))
        colour = theme.DISPOSITION_COLOURS.get(word, theme.GREY)
        self.banner.setStyleSheet(
            f"background: {colour}; color: white; border-radius: 4px; font-weight: bold;"
        )
        parts = [f"TCN {response.tcn}"]
        if response.fingers_searched:
            parts.append(f"fingers searched: {', '.join(response.fingers_searched)}")
        if response.search_ms is not None:
            parts.append(f"search {response.search_ms:.0f} ms")
        if response.sequence is not None:
            parts.append(response.sequence.message())
        if self.note:
            parts.append(self.note)
        self.detail.setText(" · ".join(parts))
        subject = (s.outcome.subject if s.outcome else None) or response.subject
        self.subject_box.setVisible(word is Disposition.HIT and subject is not None)
        if word is Disposition.HIT and subject is not None:
            self._render_subject(subject)
        self.recapture_box.setVisible(word is Disposition.RECAPTURE)
        if word is Disposition.RECAPTURE:
            self.recapture_label.setText(
                "; ".join(
                    f"{r.finger} ({r.name}): level {r.level}, {r.reason}, {r.attempts} attempt(s)"
                    for r in response.recapture or ()
                )
            )
        searched = word not in (Disposition.RECAPTURE, Disposition.ERROR)
        for widget in (self.candidates_title, self.candidates, self.side):
            widget.setVisible(searched)
        self._render_candidates(response.candidates, response.review or ())
        self._update_buttons()

    def _render_subject(self, subject: SubjectSummary) -> None:
        demo = subject.demographics
        initial = demo.get("middle_initial")
        lines = [
            f"<b>{esc(_name(subject))}</b>"
            + (f" (middle initial {esc(initial)})" if initial else "")
            + f" — {esc(_subject_ref(subject))}",
            f"Born {esc(demo.get('date_of_birth') or '?')}, sex {esc(demo.get('sex') or '?')}, "
            f"place of birth {esc(demo.get('place_of_birth') or '?')}",
            f"Repositories: {esc(_repos(subject.repositories))}",
        ]
        if subject.highest_offence_level:
            lines.append(f"Highest offence level: {esc(subject.highest_offence_level)}")
        self.subject_label.setText("<br>".join(lines))
        records = subject.records
        self.records.setRowCount(len(records))
        for row, record in enumerate(records):
            values = [
                Repository.describe(record.repository),
                record.record_number or "",
                "" if record.offence_level is None else f"Level {record.offence_level}",
                record.charge or "",
            ]
            for col, value in enumerate(values):
                self.records.setItem(row, col, QTableWidgetItem(str(value)))
        fit_height(self.records)

    def _render_candidates(
        self, candidates: Sequence[CandidateResult], review: Sequence[int]
    ) -> None:
        self.candidates.blockSignals(True)
        self.candidates.setRowCount(len(candidates))
        for row, c in enumerate(candidates):
            values = [
                str(c.rank),
                str(c.name),
                f"{float(c.score):.3f}",
                _repos(c.repositories),
                f"#{c.subject_id}" + (" (review)" if c.subject_id in review else ""),
            ]
            values.append(finger_summary(c.finger_scores))
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, c.subject_id)
                item.setToolTip(_finger_tooltip(c.finger_scores) if col == 5 else value)
                self.candidates.setItem(row, col, item)
        self.candidates.blockSignals(False)
        if candidates:
            wanted = self._subject_to_show()
            ids = [c.subject_id for c in candidates]
            row = ids.index(wanted) if wanted in ids else 0
            if row == self.candidates.currentRow() and self._shown_subject == ids[row]:
                return  # the comparison on screen is already this candidate's
            self.candidates.clearSelection()
            self.candidates.selectRow(row)
        else:
            self._shown_subject = None
            self.finger.clear()
            self.view.set_prints(None, None, None, "No candidates")
            self.match_label.clear()

    def set_examiner(self, username: str | None, refusal: str | None) -> None:
        """Who decides: the signed-in examiner's user name, or ``None`` and why Confirm and
        Reject stay disabled (their tooltip says it)."""
        self.examiner = username or ""
        self._decide_refusal = None if username else (refusal or "Only an examiner decides")
        if self._decide_refusal:
            self.confirm.setToolTip(self._decide_refusal)
            self.reject.setToolTip(self._decide_refusal)
        else:
            self.confirm.setToolTip("The selected candidate is this person (Ctrl+Shift+C)")
            self.reject.setToolTip("The selected candidate is not this person (Ctrl+Shift+J)")
        self._update_buttons()

    def _subject_to_show(self) -> int | None:
        """The candidate the comparison must show: the one the banner names (a HIT, or a
        confirmed candidate), else the one the examiner was looking at."""
        s = self.session
        if s.outcome is not None and s.outcome.confirmed and s.outcome.subject is not None:
            return s.outcome.subject.subject_id
        if s.disposition() is Disposition.HIT and s.response and s.response.subject is not None:
            return s.response.subject.subject_id
        return self._shown_subject

    def _update_buttons(self) -> None:
        s = self.session
        word = s.disposition()
        decided_final = (
            s.outcome is not None
            and s.response is not None
            and s.outcome.disposition != s.response.disposition
        )
        subject = self.selected_subject()
        response = s.response
        can_decide = (
            word in (Disposition.REVIEW, Disposition.HIT)
            and subject is not None
            and s.enrolled_subject is None
            and not decided_final
            and not (s.outcome is not None and s.outcome.confirmed)
            and self._decide_refusal is None
        )
        in_force = s.decisions_in_force() if response is not None else []
        rejected = {d["subject_id"] for d in in_force if d["decision"] == Decision.REJECT}
        flagged = set(response.review or ()) if response is not None else set()
        if response is not None and response.subject is not None:
            flagged.add(response.subject.subject_id)
        self.confirm.setEnabled(can_decide and subject in flagged and subject not in rejected)
        self.reject.setEnabled(can_decide and subject not in rejected)
        self.undo.setEnabled(bool(in_force) and s.enrolled_subject is None)
        if can_decide and subject not in flagged:
            self.decision_label.setText(
                "This candidate was not flagged for review: it can be rejected, not confirmed."
            )
        elif can_decide and subject in rejected:
            self.decision_label.setText("This candidate is rejected (Undo to change that).")
        else:
            self.decision_label.clear()
        self.enroll.setEnabled(
            word in (Disposition.HIT, Disposition.NO_HIT) and s.enrolled_subject is None
        )
        self.enroll.setText(
            "&Enrol as a new encounter" if word == Disposition.HIT else "&Enrol as a new subject"
        )
        self.recapture_button.setEnabled(word == Disposition.RECAPTURE)
        submitted = response is not None and s.booking_id is not None
        refusal = export_refusal(s.service, Permission.BOOK)  # the booking in hand
        for button, tip in (
            (self.save_transaction, "Write this booking's EBTS CAR/CNA transaction to a file"),
            (self.save_response, "Write the answer (EBTS SRE, or ERRT) to a file"),
        ):
            button.setEnabled(submitted and refusal is None)
            button.setToolTip(tip if refusal is None else refusal)

    # --- transactions ---------------------------------------------------------------------

    def save(self, *, response: bool) -> None:
        """Ask where, then write the booking's CAR/CNA (or its SRE/ERRT) on a worker."""
        s = self.session
        if s.booking_id is None or s.response is None:
            return
        kind = "response" if response else "transaction"
        suggested = f"{s.response.tcn}{'-response' if response else ''}.eft"
        path = self.path_chooser(f"Save the booking's {kind}", suggested)
        if not path:
            return
        self.saved_label.setText(f"Writing the {kind} …")
        save_transaction(
            self.tasks,
            s.service,
            s.booking_id,
            path,
            response=response,
            done=self._saved,
            failed=lambda exc: self._save_failed(kind, exc),
            permission=Permission.BOOK,
        )

    def _saved(self, written: TransactionFile) -> None:
        self.saved_label.setText(
            f"Saved {written.tot} {written.tcn} to {written.path} ({written.size:,} bytes)"
        )

    def _save_failed(self, kind: str, exc: BaseException) -> None:
        self.saved_label.setText(f"The {kind} was not saved: {exc}")
        self.problem.emit(f"The {kind} could not be saved: {exc}")

    # --- examiner -------------------------------------------------------------------------

    def selected_subject(self) -> int | None:
        """Subject id of the selected candidate row."""
        rows = self.candidates.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.candidates.item(rows[0].row(), 0)
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _candidate_selected(self) -> None:
        self._update_buttons()
        row = self.candidates.currentRow()
        response = self.session.response
        candidates = response.candidates if response is not None else ()
        if not 0 <= row < len(candidates):
            return
        self._shown_subject = candidates[row].subject_id
        scores = candidates[row].finger_scores
        fingers = sorted(scores, key=lambda f: -scores[f]) or list(response.fingers_searched or ())
        self.finger.blockSignals(True)
        self.finger.clear()
        for f in fingers:
            self.finger.addItem(f"{f} ({scores.get(f, 0.0):.2f})", f)
        self.finger.blockSignals(False)
        self._compare()

    def _probe(self, finger: str) -> tuple[np.ndarray | None, Any]:
        if finger not in self._probe_cache:
            gallery = self.session.service.gallery
            booking_id = self.session.booking_id
            image = None
            for p in gallery.booking_prints(booking_id, with_images=True):
                if p["finger"] == finger and p["impression"] == Impression.ROLLED:
                    image = p["image"]
            template = gallery.booking_templates(booking_id, impression=Impression.ROLLED).get(
                finger
            )
            self._probe_cache[finger] = (image, template)
        return self._probe_cache[finger]

    def _compare(self) -> None:
        subject = self.selected_subject()
        finger = self.finger.currentData()
        if subject is None or finger is None or self.session.booking_id is None:
            return
        try:
            probe_image, probe_t = self._probe(finger)
            gallery = self.session.service.gallery
            prints = [
                p
                for p in gallery.prints(int(subject))
                if p["finger"] == finger
                and p["impression"] == Impression.ROLLED
                and p["has_template"]
            ]
            if not prints or probe_t is None or probe_image is None:
                self.view.set_prints(probe_image, None, None, f"No {finger} print to compare")
                self.match_label.clear()
                return
            best = max(prints, key=lambda p: p.get("quality") or 0)
            cand_image = gallery.print_image(best["id"])
            cand_t = gallery.template(best["id"])
        except Exception as exc:  # shown; the response stays usable
            log.exception("loading prints for the examiner failed")
            self.problem.emit(f"Could not load the prints to compare: {exc}")
            return
        self.view.set_prints(probe_image, cand_image, None, "Comparing …")
        self._generation += 1
        gen = self._generation
        self.tasks.submit(
            lambda _token: match_pairs(probe_t, cand_t),
            lambda result: self._compared(gen, probe_image, cand_image, result),
            lambda exc: self.problem.emit(f"The comparison failed: {exc}"),
            name="examiner comparison",
        )

    def _compared(
        self, gen: int, probe: np.ndarray, candidate: np.ndarray, result: MatchResult
    ) -> None:
        if gen != self._generation:
            return
        if result.score < self.pairs_threshold:
            self.view.set_prints(probe, candidate, None, "No match: the prints do not correspond")
            self.match_label.setText(
                f"1:1 score {result.score:.3f} — below the match threshold "
                f"({self.pairs_threshold:.3f}): no matched minutiae"
            )
            return
        n = len(result.probe_xy)
        self.view.set_prints(probe, candidate, result, f"{n} matched minutiae")
        self.match_label.setText(f"1:1 score {result.score:.3f}, {n} matched minutiae")

    def _candidate_name(self, subject: int) -> str:
        response = self.session.response
        for c in response.candidates if response is not None else ():
            if c.subject_id == subject:
                return f"{c.name} (subject #{subject})"
        return f"subject #{subject}"

    def _decide(self, decision: str) -> None:
        """Confirm or Reject: ask for the examiner's reason, then record the decision."""
        subject = self.selected_subject()
        button = self.confirm if decision == Decision.CONFIRM else self.reject
        if subject is None or not button.isEnabled():
            return
        dialog = DecisionDialog(self, action=decision, candidate=self._candidate_name(subject))
        dialog.accepted.connect(lambda: self._decided(decision, int(subject), dialog.reason()))
        dialog.open()

    def _decided(self, decision: str, subject: int, reason: str) -> None:
        self._shown_subject = subject
        try:
            self.session.decide(decision, subject, self.examiner, reason)
        except Exception as exc:
            log.exception("examiner decision failed")
            self.problem.emit(f"The decision could not be saved: {exc}")
        else:
            decided = {"decision": str(decision), "subject": subject, "reason": reason}
            self.acted.emit("decide", decided)
        self._update_buttons()

    def _undo(self) -> None:
        """Undo the last decision in force (with a reason), while the booking is open."""
        in_force = self.session.decisions_in_force()
        if not in_force or not self.undo.isEnabled():
            return
        last = in_force[-1]
        what = f"{last['decision']} of {self._candidate_name(last['subject_id'])}"
        dialog = DecisionDialog(self, action="undo", candidate=what)
        dialog.accepted.connect(lambda: self._undone(dialog.reason()))
        dialog.open()

    def _undone(self, reason: str) -> None:
        try:
            self.session.undo_decision(self.examiner, reason)
        except Exception as exc:
            log.exception("undoing a decision failed")
            self.problem.emit(f"The decision could not be undone: {exc}")
        else:
            self.acted.emit("undo", {"reason": reason})
        self._update_buttons()

    def _enrol(self) -> None:
        """Enrol; after a rejection of a candidate that scored above the HIT threshold, ask
        first: enrolling as new would give that person a second identity."""
        s = self.session
        if not self.enroll.isEnabled() or s.booking_id is None:
            return
        risky = ()
        if s.disposition() is Disposition.NO_HIT and s.response is not None:
            try:
                risky = s.service.rejected_above_hit(s.booking_id)
            except Exception:
                log.exception("checking rejected candidates failed")
        if not risky:
            self._do_enrol()
            return
        names = "; ".join(f"{c.name} (subject #{c.subject_id}, score {c.score:.2f})" for c in risky)
        box = QMessageBox(self)
        box.setObjectName("secondIdentityDialog")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Enrol as a new subject?")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"The examiner rejected {names}, which scored above the HIT threshold "
            f"({s.service.policy.hit:.2f}). Enrolling this booking as a new subject gives that "
            "person a second identity if the rejection was wrong."
        )
        enrol = box.addButton("Enrol as new anyway", QMessageBox.ButtonRole.AcceptRole)
        enrol.setObjectName("enrolAnywayButton")
        cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        cancel.setObjectName("enrolCancelButton")
        box.setDefaultButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(lambda b: self._do_enrol() if b is enrol else None)
        box.open()

    def _do_enrol(self) -> None:
        self.acted.emit("enrol", {})
        try:
            self.session.enrol()
        except Exception as exc:
            log.exception("enrolment failed")
            self.problem.emit(f"Enrolment failed: {exc} — the booking is unchanged")
        self._update_buttons()

    def _recapture(self) -> None:
        response = self.session.response
        fingers = [r.finger for r in (response.recapture if response else None) or ()]
        if fingers:
            self.acted.emit("recapture_listed", {"fingers": list(fingers)})
            self.recapture_requested.emit(fingers)
