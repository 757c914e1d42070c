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
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station.core.vocabulary import FINGERS, Decision, Disposition, Impression, Repository
from station.service import CandidateResult, Outcome, Response, SubjectSummary

from . import theme
from .examiner import MatchResult, MatchView, match_pairs
from .session import BookingSession
from .widgets import fit_columns, fit_height
from .workers import TaskRunner

__all__ = ["ResponsePage", "banner_text", "finger_summary"]

log = logging.getLogger(__name__)


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
        text += f" · enrolled as subject #{enrolled}"
    return text


class ResponsePage(QWidget):
    """Renders a booking's response and takes the examiner's and officer's decisions.

    Signals
    -------
    recapture_requested(list)
        The officer chose Recapture on a RECAPTURE response (the fingers, in order).
    new_booking_requested()
    problem(str)
    """

    recapture_requested = Signal(list)
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
        self._generation = 0
        self._probe_cache: dict[str, tuple[np.ndarray | None, Any]] = {}
        #: A note on how the search was made (the first start's partial gallery), or "".
        self.note = ""

        self.banner = QLabel("—")
        self.banner.setObjectName("dispositionBanner")
        self.banner.setWordWrap(True)
        self.banner.setMargin(12)
        font = self.banner.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.banner.setFont(font)
        self.banner.setAccessibleName("Disposition")
        self.detail = QLabel()
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
        self.recapture_label = QLabel()
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

        # examiner
        self.examiner_box = QGroupBox("Examiner comparison")
        self.examiner_box.setObjectName("examinerBox")
        el = QVBoxLayout(self.examiner_box)
        top = QHBoxLayout()
        self.finger = QComboBox()
        self.finger.setObjectName("examinerFingerCombo")
        self.finger.setToolTip("Finger to compare")
        self.finger.currentIndexChanged.connect(self._compare)
        self.match_label = QLabel()
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
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.confirm)
        buttons.addWidget(self.reject)
        el.addLayout(top)
        el.addWidget(self.view, 1)
        el.addLayout(buttons)

        # actions
        self.enroll = QPushButton("&Enrol subject")
        self.enroll.setObjectName("enrollButton")
        self.enroll.setToolTip("Add this booking's prints to the gallery (Ctrl+E)")
        self.enroll.clicked.connect(self._enrol)
        self.new_booking = QPushButton("&New booking")
        self.new_booking.setObjectName("newBookingButton")
        self.new_booking.setToolTip("Start the next booking (Ctrl+Shift+N)")
        self.new_booking.clicked.connect(self.new_booking_requested)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.subject_box)
        ll.addWidget(self.recapture_box)
        cand_label = QLabel("Candidates")
        cand_label.setObjectName("candidatesTitle")
        ll.addWidget(cand_label)
        ll.addWidget(self.candidates, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("responseSplitter")
        split.addWidget(left)
        split.addWidget(self.examiner_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([600, 400])  # the tables get the wider part
        actions = QHBoxLayout()
        actions.addStretch(1)
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
            (self.reject, self.recapture_button),
            (self.recapture_button, self.enroll),
            (self.enroll, self.new_booking),
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
        self.banner.setText("—")
        self.banner.setStyleSheet("")
        self.detail.clear()
        self.candidates.setRowCount(0)
        self.records.setRowCount(0)
        self._probe_cache = {}
        self.view.set_prints(None, None, None, "Select a candidate to compare")

    def render(self) -> None:
        """Show the session's response (and the outcome after decisions)."""
        s = self.session
        response = s.response
        if response is None:
            self._clear()
            return
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
        self._render_candidates(response.candidates, response.review or ())
        self._update_buttons()

    def _render_subject(self, subject: SubjectSummary) -> None:
        demo = subject.demographics
        initial = demo.get("middle_initial")
        lines = [
            f"<b>{_name(subject)}</b>"
            + (f" (middle initial {initial})" if initial else "")
            + f" — {_subject_ref(subject)}",
            f"Born {demo.get('date_of_birth') or '?'}, sex {demo.get('sex') or '?'}, "
            f"place of birth {demo.get('place_of_birth') or '?'}",
            f"Repositories: {_repos(subject.repositories)}",
        ]
        if subject.highest_offence_level:
            lines.append(f"Highest offence level: {subject.highest_offence_level}")
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
            self.candidates.selectRow(0)
        else:
            self.view.set_prints(None, None, None, "No candidates")
            self.match_label.clear()

    def _update_buttons(self) -> None:
        s = self.session
        word = s.disposition()
        decided_final = (
            s.outcome is not None
            and s.response is not None
            and s.outcome.disposition != s.response.disposition
        )
        has_candidate = self.selected_subject() is not None
        can_decide = (
            word in (Disposition.REVIEW, Disposition.HIT)
            and has_candidate
            and s.enrolled_subject is None
            and not decided_final
            and not (s.outcome is not None and s.outcome.confirmed)
        )
        self.confirm.setEnabled(can_decide)
        self.reject.setEnabled(can_decide)
        self.enroll.setEnabled(
            word in (Disposition.HIT, Disposition.NO_HIT) and s.enrolled_subject is None
        )
        self.enroll.setText(
            "&Enrol as a new encounter" if word == Disposition.HIT else "&Enrol as a new subject"
        )
        self.recapture_button.setEnabled(word == Disposition.RECAPTURE)

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
        n = len(result.probe_xy)
        self.view.set_prints(probe, candidate, result, f"{n} matched minutiae")
        self.match_label.setText(f"1:1 score {result.score:.3f}, {n} matched minutiae")

    def _decide(self, decision: str) -> None:
        subject = self.selected_subject()
        if subject is None:
            return
        try:
            self.session.decide(decision, int(subject), self.examiner)
        except Exception as exc:
            log.exception("examiner decision failed")
            self.problem.emit(f"The decision could not be saved: {exc}")
        self._update_buttons()

    def _enrol(self) -> None:
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
            self.recapture_requested.emit(fingers)
