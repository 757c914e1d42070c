"""The booking in progress, as the window shows it: slots, their state, the response.

:class:`BookingSession` wraps the :class:`~station.service.BookingService` (which owns the
gallery connection, so every call here runs on the GUI thread) and keeps what the pages
render: one :class:`SlotState` per capture slot, the selected slot, the sequence check and
the latest response. It computes nothing itself: extraction and search run in workers and
hand their plain results to :meth:`BookingSession.store` and :meth:`finish_submit`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from station.core.template import Template
from station.core.vocabulary import (
    CAPTURE_ORDER,
    FINGER_NAMES,
    FINGERS,
    SLAP_FINGERS,
    SLAPS,
    BookingStatus,
    Disposition,
    TraineeAction,
    TransactionType,
)
from station.gallery import GalleryError
from station.service import (
    BookingService,
    CaptureResult,
    Outcome,
    ProcessedCapture,
    Response,
    SearchJob,
    SlapCaptureResult,
)

__all__ = ["SLOT_NAMES", "BookingSession", "SlotState", "slot_name"]

log = logging.getLogger(__name__)

#: Officer-facing names of the slaps.
SLOT_NAMES: dict[str, str] = {
    **FINGER_NAMES,
    "RS": "right four-finger slap",
    "LS": "left four-finger slap",
    "TS": "two-thumb slap",
}


def slot_name(code: str) -> str:
    """Plain name of a slot, e.g. ``'right index'`` for ``R2``."""
    return SLOT_NAMES.get(code, code)


@dataclass
class SlotState:
    """What the station knows about one capture slot of the booking.

    Attributes
    ----------
    finger : str
        ``R1``–``L5`` or ``RS``, ``LS``, ``TS``.
    impression : {'rolled', 'flat'}
    status : {'pending', 'captured', 'annotated'}
    level, quality : int or None
        NFIQ-style level 1 (best) … 5, and quality 0-100 (fingers only).
    reason : str
        Why the quality is low ("good" otherwise).
    minutiae : int
    attempt : int
        Captures of this slot so far.
    annotation : {'XX', 'UP'} or None
    segments : dict of str to int
        For a slap: finger → quality level of its segment.
    error : str or None
        For a slap: why it could not be segmented.
    image : ndarray or None
        The captured print (full resolution).
    template : Template or None
    """

    finger: str
    impression: str
    status: str = "pending"
    level: int | None = None
    quality: int | None = None
    reason: str = ""
    minutiae: int = 0
    attempt: int = 0
    annotation: str | None = None
    segments: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    image: np.ndarray | None = None
    template: Template | None = None

    @property
    def done(self) -> bool:
        """Captured or annotated."""
        return self.status != "pending"

    @property
    def is_slap(self) -> bool:
        """True for ``RS``, ``LS``, ``TS``."""
        return self.finger in SLAPS


class BookingSession(QObject):
    """The booking the officer is working on (GUI thread only).

    Parameters
    ----------
    service : BookingService
        Holds the gallery connection opened on this thread.
    parent : QObject, optional

    Signals
    -------
    slots_changed()
        A slot's state or the selected slot changed.
    sequence_changed(dict)
        A new sequence-check result (``SequenceResult.as_dict()``).
    response_changed(object)
        A new :class:`~station.service.Response` (also emitted again after an examiner's
        decision or an enrolment changed the outcome).
    reset_done()
        A new booking was started.
    """

    slots_changed = Signal()
    sequence_changed = Signal(dict)
    response_changed = Signal(object)
    reset_done = Signal()

    def __init__(self, service: BookingService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.take_slaps = True
        #: A class booking's recorder (:class:`~station.training.classes.LiveBooking`): told
        #: what the trainee does, step by step; None outside a class booking.
        self.recorder: Any = None
        self.reset()

    # --- state ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the booking in progress (an open one stays open in the gallery)."""
        self.booking_id: int | None = None
        self.tcn: str | None = None
        self.demographics: dict[str, Any] = {}
        self.slots: dict[str, SlotState] = {f: SlotState(f, imp) for f, imp in CAPTURE_ORDER}
        self.current: str = CAPTURE_ORDER[0][0]
        self.last_captured: str | None = None
        self.recapture_queue: list[str] = []
        self._queued_attempt: dict[str, int] = {}
        self.sequence: dict[str, Any] | None = None
        self.response: Response | None = None
        self.outcome: Outcome | None = None
        self.enrolled_subject: int | None = None
        self.accepted: set[str] = set()
        self.reset_done.emit()
        self.slots_changed.emit()

    @property
    def order(self) -> list[str]:
        """Slots in capture order (slaps left out when the officer does not take them)."""
        return [f for f, _ in CAPTURE_ORDER if self.take_slaps or f not in SLAPS]

    def absent(self) -> list[str]:
        """Fingers annotated missing (XX or UP)."""
        return [f for f in FINGERS if self.slots[f].status == "annotated"]

    def rolled_done(self) -> bool:
        """Every rolled finger is captured or annotated."""
        return all(self.slots[f].done for f in FINGERS)

    def slap_needed(self, code: str) -> bool:
        """A slap is wanted unless all its fingers are annotated missing."""
        return not all(self.slots[f].status == "annotated" for f in SLAP_FINGERS[code])

    def pending(self) -> list[str]:
        """Slots still to capture, in order."""
        return [
            f
            for f in self.order
            if not self.slots[f].done and (f not in SLAPS or self.slap_needed(f))
        ]

    def complete(self) -> bool:
        """Everything in :attr:`order` is done (slaps of missing fingers excepted)."""
        return not self.pending()

    def select(self, finger: str) -> None:
        """Make ``finger`` the slot the next capture fills."""
        if finger not in self.slots:
            raise ValueError(f"unknown slot {finger!r}")
        self.current = finger
        self.slots_changed.emit()

    def advance(self) -> str | None:
        """Select the next slot to capture (the recapture list first); ``None`` when done."""
        while self.recapture_queue:
            nxt = self.recapture_queue[0]
            if self.slots[nxt].attempt <= self._queued_attempt.get(nxt, 0):
                self.select(nxt)
                return nxt
            self.recapture_queue.pop(0)
        pending = self.pending()
        if not pending:
            self.slots_changed.emit()
            return None
        order = self.order
        start = order.index(self.current) if self.current in order else 0
        for f in order[start:] + order[:start]:
            if f in pending:
                self.select(f)
                return f
        return None

    # --- booking steps (gallery writes: GUI thread) ---------------------------------------

    def open(
        self,
        demographics: dict[str, Any],
        transaction_type: str = TransactionType.CAR,
        *,
        arrest: Any = None,
        jms_booking: str | None = None,
    ) -> int:
        """Open the booking in the gallery with the officer's demographics (and the arrest
        data, when entered or fetched from the jail management system)."""
        self.reset()
        self.demographics = dict(demographics)
        self.booking_id = self.service.open_booking(
            self.demographics,
            transaction_type=transaction_type,
            arrest=arrest,
            jms_booking=jms_booking,
        )
        self.tcn = self.service.gallery.booking(self.booking_id)["tcn"]
        if self.recorder is not None:
            self.recorder.booking_id = self.booking_id
        log.info("opened booking %s", self.tcn)
        self.slots_changed.emit()
        return self.booking_id

    def store(self, processed: ProcessedCapture) -> CaptureResult:
        """Store a processed capture and update its slot; returns the service's result."""
        if self.booking_id is None:
            raise RuntimeError("no booking is open")
        result = self.service.add_capture(self.booking_id, processed)
        capture = processed.capture
        slot = self.slots[capture.finger]
        slot.status = "captured"
        slot.annotation = None
        slot.attempt = int(result.attempt)
        slot.image = capture.image
        slot.template = processed.template
        if isinstance(result, SlapCaptureResult):
            slot.segments = dict(result.segments)
            slot.error = result.error
            levels = list(slot.segments.values())
            slot.level = max(levels) if levels else 5
            slot.reason = slot.error or ""
        else:
            slot.level = result.level
            slot.quality = result.quality
            slot.reason = result.reason or ""
            slot.minutiae = int(result.minutiae)
        self.last_captured = capture.finger
        detail: dict[str, Any] = {
            "finger": capture.finger,
            "impression": str(slot.impression),
            "attempt": slot.attempt,
        }
        if isinstance(result, SlapCaptureResult):
            if result.sequence is not None and result.sequence.mismatched:
                detail["mismatched"] = sorted(str(f) for f in result.sequence.mismatched)
        else:
            detail["level"] = result.level
        self._record(TraineeAction.CAPTURE, detail)
        if isinstance(result, SlapCaptureResult) and result.sequence is not None:
            self.sequence = result.sequence.as_dict()
            self.sequence_changed.emit(self.sequence)
        self.slots_changed.emit()
        return result

    def capture_failed(self, message: str) -> None:
        """A capture of the current slot ended without a print (the scanner's ``message``):
        a class booking records it as a capture with its error, as the scripted runner does
        (:mod:`station.training.runner`)."""
        if self.booking_id is None or self.current not in self.slots:
            return
        slot = self.slots[self.current]
        detail = {"finger": str(slot.finger), "impression": str(slot.impression), "error": message}
        self._record(TraineeAction.CAPTURE, detail)

    def annotate(self, finger: str, code: str, reason: str | None = None) -> None:
        """Mark a rolled finger amputated (``XX``) or unable to print (``UP``, with why)."""
        if self.booking_id is None:
            raise RuntimeError("no booking is open")
        self.service.annotate(self.booking_id, finger, code, reason=reason)
        slot = self.slots[finger]
        slot.status = "annotated"
        slot.annotation = code
        slot.level = slot.quality = None
        slot.image = slot.template = None
        slot.attempt += 1
        self.last_captured = finger
        self._record(TraineeAction.ANNOTATE, {"finger": finger, "annotation": str(code)})
        self.slots_changed.emit()

    def queue_recapture(self, fingers: list[str]) -> None:
        """After a RECAPTURE response: capture these fingers again, in this order."""
        self._queued_attempt = {f: self.slots[f].attempt for f in fingers}
        self.recapture_queue = [f for f in fingers if f in self.slots]
        self.response = None
        if self.recapture_queue:
            self.select(self.recapture_queue[0])

    def prepare_submit(self) -> SearchJob | Response:
        """The quality gate: a search job, or the final RECAPTURE/ERROR response."""
        if self.booking_id is None:
            raise RuntimeError("no booking is open")
        job = self.service.prepare_submit(self.booking_id)
        if not isinstance(job, SearchJob):
            self._record_response(job)
            self._set_response(job)
        return job

    def finish_submit(self, job: SearchJob, candidates: list, milliseconds: float) -> Response:
        """Store the search result as the booking's response."""
        response = self.service.finish_submit(job, candidates, milliseconds)
        self._record_response(response)
        self._set_response(response)
        return response

    def fail_submit(self, reason: str) -> Response:
        """The search failed: store an ERROR response with the reason."""
        if self.booking_id is None:
            raise RuntimeError("no booking is open")
        response = self.service.fail_submit(self.booking_id, reason)
        self._record_response(response)
        self._set_response(response)
        return response

    def decide(self, decision: str, subject_id: int, examiner: str, note: str) -> Outcome:
        """An examiner confirms or rejects a candidate, with a reason; returns the outcome."""
        if self.booking_id is None:
            raise RuntimeError("no booking is open")
        self.outcome = self.service.decide(
            self.booking_id, decision=decision, subject_id=subject_id, examiner=examiner, note=note
        )
        self._record(
            TraineeAction.DECIDE,
            {
                "decision": str(decision),
                "subject_id": subject_id,
                "applied": True,
                "outcome": str(self.outcome.disposition),
            },
        )
        if self.response is not None:
            self.response_changed.emit(self.response)
        return self.outcome

    def undo_decision(self, examiner: str, note: str) -> Outcome:
        """Undo the examiner's latest decision in force (until the booking is closed)."""
        if self.booking_id is None:
            raise RuntimeError("no booking is open")
        self.outcome = self.service.undo_decision(self.booking_id, examiner=examiner, note=note)
        if self.response is not None:
            self.response_changed.emit(self.response)
        return self.outcome

    def decisions_in_force(self) -> list[dict[str, Any]]:
        """The examiner's decisions on the latest response that are not undone."""
        if self.booking_id is None or self.response is None:
            return []
        return self.service.decisions_in_force(self.booking_id)

    def accept_quality(self, finger: str, reason: str) -> None:
        """The officer accepts a low-quality capture as it is (the reason is audited)."""
        if self.booking_id is None:
            raise RuntimeError("no booking is open")
        self.service.accept_quality(self.booking_id, finger, reason=reason)
        self._record(TraineeAction.ACCEPT_QUALITY, {"finger": finger})
        self.accepted.add(finger)
        self.slots_changed.emit()

    def unfinished_prints(self) -> int:
        """Prints captured or annotated in a booking that is still open (0 otherwise)."""
        if self.booking_id is None or self.enrolled_subject is not None:
            return 0
        if self.response is not None and self.disposition() is not Disposition.RECAPTURE:
            return 0
        return sum(1 for slot in self.slots.values() if slot.done)

    def abandon(self, reason: str) -> None:
        """Abandon the booking (recorded as cancelled, with the reason) and forget it."""
        if self.booking_id is None:
            raise RuntimeError("no booking is open")
        self.service.abandon(self.booking_id, reason=reason)
        self._record(TraineeAction.REFUSE, {"reason": reason})
        log.info("abandoned booking %s", self.tcn)

    def enrol(self) -> int:
        """Enrol the booking (new subject on NO HIT, new encounter on HIT)."""
        if self.booking_id is None:
            raise RuntimeError("no booking is open")
        self.enrolled_subject = self.service.enrol(self.booking_id)
        self._record(TraineeAction.ENROL, {"subject_id": self.enrolled_subject})
        if self.response is not None:
            self.response_changed.emit(self.response)
        return self.enrolled_subject

    def reopen(self, booking_id: int) -> Response:
        """Show a past booking's latest response (from the booking log)."""
        gallery = self.service.gallery
        booking = gallery.booking(booking_id)
        responses = gallery.responses(booking_id)
        self.reset()
        self.booking_id = booking_id
        self.tcn = booking["tcn"]
        self.demographics = {k: booking.get(k) for k in ("last_name", "first_name")}
        if not responses:
            raise ValueError(f"booking {booking['tcn']} has no response yet")
        response = Response.from_json(responses[-1]["payload"], response_id=responses[-1]["id"])
        self.enrolled_subject = (
            booking.get("subject_id") if booking["status"] == BookingStatus.ENROLLED else None
        )
        self._set_response(response)
        return response

    def resume(self, booking_id: int) -> tuple[str, ...]:
        """Take up an unfinished booking (from the booking log): its captures and annotations
        as stored; returns the slots still to capture (after the current one is selected).

        Raises
        ------
        GalleryError
            The booking is not open or submitted.
        """
        gallery = self.service.gallery
        booking = gallery.booking(booking_id)
        if booking["status"] not in (BookingStatus.OPEN, BookingStatus.SUBMITTED):
            raise GalleryError(
                f"booking {booking['tcn']} is {booking['status']}: only an open or submitted "
                "booking can be resumed"
            )
        prints = gallery.booking_prints(booking_id, with_images=True)
        templates = gallery.booking_templates(booking_id)
        self.reset()
        self.booking_id = booking_id
        self.tcn = booking["tcn"]
        self.demographics = dict(booking.get("demographics") or {})
        for p in prints:
            slot = self.slots.get(p["finger"])
            if slot is None or slot.impression != p["impression"]:
                continue  # a finger cut from a slap: shown with its slap
            slot.attempt = int(p["attempt"])
            slot.annotation = p["annotation"]
            slot.status = "annotated" if p["annotation"] is not None else "captured"
            slot.level, slot.quality, slot.image = p["level"], p["quality"], p["image"]
            slot.template = templates.get(p["finger"]) if not slot.is_slap else None
            if slot.template is not None:
                slot.minutiae = len(slot.template)
                slot.reason = slot.template.reason
        log.info("resumed booking %s (%s)", self.tcn, booking["status"])
        self.advance()
        self.slots_changed.emit()
        return tuple(self.pending())

    def _record(self, action: TraineeAction, detail: dict[str, Any]) -> None:
        if self.recorder is not None and self.booking_id == self.recorder.booking_id:
            self.recorder.record(action, detail)

    def _record_response(self, response: Response) -> None:
        detail: dict[str, Any] = {"disposition": str(response.disposition)}
        if response.candidates:
            detail["candidates"] = [
                {"subject_id": c.subject_id, "score": c.score} for c in response.candidates
            ]
        if response.sequence is not None and response.sequence.mismatched:
            detail["mismatched"] = sorted(str(f) for f in response.sequence.mismatched)
        self._record(TraineeAction.SUBMIT, detail)

    def _set_response(self, response: Response) -> None:
        self.response = response
        self.outcome = None
        if self.booking_id is not None and response.disposition in (
            Disposition.HIT,
            Disposition.REVIEW,
        ):
            try:
                self.outcome = self.service.outcome(self.booking_id)
            except Exception:  # an outcome is a nicety; the response itself is shown
                log.exception("could not read the outcome of booking %s", self.tcn)
        self.response_changed.emit(response)

    def disposition(self) -> Disposition | None:
        """The disposition now (examiner decisions applied); ``None`` before a response."""
        if self.outcome is not None:
            return self.outcome.disposition
        if self.response is not None:
            return self.response.disposition
        return None
