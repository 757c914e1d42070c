"""The booking transaction, from opening to enrolment — the one path the CLI and GUI share.

A booking goes::

    open_booking → add_capture / annotate (ten rolled prints, the 4-4-2 slaps)
                 → sequence (slap segments against the rolled prints)
                 → submit: quality gate → search → response (HIT, NO HIT, REVIEW, RECAPTURE,
                   ERROR)
                 → decide (an examiner confirms or rejects a candidate)
                 → enrol (a new subject on NO HIT, a new encounter on HIT)

and every step appends to the gallery's audit trail. The service holds the gallery connection,
so its methods run on the thread that opened the gallery; the slow, pure parts —
:func:`process_capture` (extraction) and :func:`run_search` — take and return plain data and
may run on a worker thread (the GUI does that), with the ``prepare_*``/``finish_*`` halves on
the gallery's thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from station.core.arrest import Arrest
from station.core.disposition import DispositionPolicy, FingerStatus, dispose, quality_gate
from station.core.extract import extract
from station.core.match import Candidate, SearchGallery, search, threshold
from station.core.sequence import SequenceResult, sequence_check, slap_crops
from station.core.slap import segment_slap
from station.core.template import Template
from station.core.vocabulary import (
    ANNOTATIONS,
    FINGER_NAMES,
    FINGERS,
    SLAP_FINGERS,
    BookingStatus,
    Decision,
    Disposition,
    ImageFormat,
    Impression,
    Repository,
    TransactionType,
)
from station.gallery import Gallery, GalleryError
from station.gallery.codecs import EncodedImage
from station.scanner.base import Capture

from .accounts import Operator, Permission, RoleError, authorize
from .results import (
    CandidateResult,
    CaptureResult,
    FingerCaptureResult,
    Outcome,
    RecaptureFinger,
    RecordSummary,
    Response,
    ResumeResult,
    SlapCaptureResult,
    StaleBooking,
    SubjectSummary,
)

__all__ = [
    "SEQUENCE_FMR",
    "STALE_AFTER",
    "BookingService",
    "DecisionError",
    "ProcessedCapture",
    "SearchJob",
    "new_tcn",
    "process_capture",
    "run_search",
]

log = logging.getLogger(__name__)

#: False match rate of the sequence check's per-finger threshold: a rolled print and a slap
#: segment of different fingers pass as one finger about once in 10 000 comparisons.
SEQUENCE_FMR = 1e-4

#: Longest TCN (EBTS field 1.009 allows 10-40 characters).
_TCN_MAX = 40

#: Seconds a booking may sit open (or submitted) without activity before it is called
#: stale: ``station gallery check`` and ``station booking list --stale`` list it then.
STALE_AFTER = 600.0

#: Statuses a booking can be submitted from: open, or "submitted" without a response (left
#: by a station before this one committed the submission with its response).
_SUBMITTABLE = (BookingStatus.OPEN, BookingStatus.SUBMITTED)

#: Audit action of an officer accepting a low-quality capture as it is.
_ACCEPT = "accept low quality"

#: Bookings that are closed: no decision can be made or undone on them.
_CLOSED = (BookingStatus.ENROLLED, BookingStatus.CANCELLED)


class DecisionError(GalleryError):
    """An examiner's decision (or its undoing) that the booking's state does not allow."""


@dataclass(frozen=True)
class ProcessedCapture:
    """A capture with its features, ready to store (plain data: safe to pass between threads).

    Attributes
    ----------
    capture : Capture
    template : Template or None
        The rolled or flat print's template; ``None`` for a slap.
    segments : mapping of str to Template
        For a slap: finger → template of its fingertip cut from the slap.
    crops : mapping of str to ndarray
        For a slap: finger → fingertip image.
    error : str or None
        Why a slap could not be segmented (the slap is still stored).
    seconds : float
        Time spent extracting.
    """

    capture: Capture
    template: Template | None = None
    segments: Mapping[str, Template] = field(default_factory=dict)
    crops: Mapping[str, np.ndarray] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0


def process_capture(capture: Capture, absent: Iterable[str] = ()) -> ProcessedCapture:
    """Extract a capture's features (pure: no gallery; may run on a worker thread).

    Parameters
    ----------
    capture : Capture
        A finger (rolled or flat) or a slap (``RS``, ``LS``, ``TS``).
    absent : iterable of str
        Fingers annotated as missing: they are not expected on a slap.

    Returns
    -------
    ProcessedCapture
    """
    start = time.perf_counter()
    if capture.finger not in SLAP_FINGERS:
        template = extract(capture.image)
        return ProcessedCapture(capture, template, seconds=time.perf_counter() - start)
    missing = [f for f in SLAP_FINGERS[capture.finger] if f in set(absent)]
    present = len(SLAP_FINGERS[capture.finger]) - len(missing)
    try:
        if present == 0:
            return ProcessedCapture(capture, seconds=time.perf_counter() - start)
        boxes = [box for _, box in capture.segments] or segment_slap(capture.image, present)
        crops = slap_crops(capture.image, capture.finger, boxes, missing)
    except ValueError as exc:
        return ProcessedCapture(capture, error=str(exc), seconds=time.perf_counter() - start)
    segments = {f: extract(crop) for f, crop in crops.items()}
    return ProcessedCapture(
        capture, segments=segments, crops=crops, seconds=time.perf_counter() - start
    )


@dataclass(frozen=True)
class SearchJob:
    """What a search needs (plain data): the probe fingers and the policy."""

    booking_id: int
    tcn: str
    probe: Mapping[str, Template]
    policy: DispositionPolicy


def run_search(job: SearchJob, index: SearchGallery) -> tuple[list[Candidate], float]:
    """Search the index with the job's probe (pure; may run on a worker thread).

    Returns
    -------
    candidates : list of Candidate
        Best first, at most ``policy.candidates``.
    milliseconds : float
        Search time.
    """
    start = time.perf_counter()
    candidates = search(job.probe, index, limit=job.policy.candidates)
    return candidates, (time.perf_counter() - start) * 1e3


def new_tcn(station_id: str, sequence: int, *, at: datetime | None = None) -> str:
    """A Transaction Control Number: ``<station>-<UTC yyyymmddHHMMSS>-<sequence>``.

    The sequence comes from the gallery (:meth:`Gallery.next_tcn_sequence`, drawn in the
    transaction that opens the booking), so TCNs are unique across processes and stations
    sharing a gallery. The result is 10-40 characters (the EBTS limit of field 1.009) of
    letters, digits and '-': the station id keeps only its ASCII letters, digits, '-', '_'
    and '.', starts with a letter or digit (``BS`` if nothing is left) and is shortened to fit.

    Parameters
    ----------
    station_id : str
    sequence : int
        At least 1; written with at least six digits.
    at : datetime, optional
        The time (aware; default now), written in UTC to the second.

    Returns
    -------
    tcn : str

    Examples
    --------
    >>> new_tcn("BS-01", 42, at=datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC))
    'BS-01-20260301120005-000042'
    >>> new_tcn("../../etc", 7, at=datetime(2026, 3, 1, tzinfo=UTC))
    'etc-20260301000000-000007'
    """
    if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 1:
        raise ValueError(f"TCN sequence must be an integer >= 1, got {sequence!r}")
    if at is not None and at.tzinfo is None:
        raise ValueError("TCN time must be timezone-aware")
    stamp = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d%H%M%S")
    number = f"{sequence:06d}"
    room = _TCN_MAX - len(stamp) - len(number) - 2
    if room < 1:
        raise ValueError(f"TCN sequence {sequence} is too large for a {_TCN_MAX}-character TCN")
    safe = "".join(c for c in str(station_id) if c.isascii() and (c.isalnum() or c in "-_."))
    safe = safe.lstrip("-_.")[:room].rstrip("-_.") or "BS"
    return f"{safe}-{stamp}-{number}"


class BookingService:
    """Bookings against one gallery and its in-memory search index.

    Parameters
    ----------
    gallery : Gallery
        Open for writing, on the calling thread.
    index : SearchGallery, optional
        The gallery's search index (:func:`station.service.index.load_index`); loaded on
        first use when not given.
    policy : DispositionPolicy, optional
        Change it later with :meth:`set_policy` (administrators only, once there are
        accounts).
    station_id : str
        Written into every booking.
    operator : Operator or str or None
        The signed-in operator: their user name is written into every booking and audit
        entry, and their roles decide what they may do (``PERMISSIONS`` in
        :mod:`station.service.accounts`: booking needs officer, trainee, instructor or
        administrator; ``decide`` needs examiner). ``None`` or a plain name is *set-up
        mode*, allowed only while the gallery has no accounts: anyone may do anything and
        the name (default ``"officer"``) is written as before.

    Raises
    ------
    RoleError
        From a method the operator's roles do not allow (or when nobody is signed in on a
        gallery that has accounts).
    """

    def __init__(
        self,
        gallery: Gallery,
        *,
        index: SearchGallery | None = None,
        policy: DispositionPolicy | None = None,
        station_id: str = "BS-01",
        operator: Operator | str | None = None,
    ) -> None:
        self.gallery = gallery
        self._index = index
        self.policy = policy or DispositionPolicy()
        self.station_id = station_id
        self._operator: Operator | None = None
        self._setup_name = "officer"
        self.operator = operator
        self.sequence_threshold = threshold(SEQUENCE_FMR)

    # --- who is working -------------------------------------------------------------------

    @property
    def operator(self) -> Operator | None:
        """The signed-in operator (``None`` in set-up mode)."""
        return self._operator

    @operator.setter
    def operator(self, operator: Operator | str | None) -> None:
        if isinstance(operator, Operator):
            self._operator = operator
        elif operator is None or isinstance(operator, str):
            self._operator = None
            if isinstance(operator, str) and operator.strip():
                self._setup_name = operator.strip()
        else:
            raise TypeError(f"operator must be an Operator, a name or None, got {operator!r}")

    @property
    def actor(self) -> str:
        """The name written into bookings and audit rows: the signed-in user, or the set-up
        mode name."""
        return self._operator.username if self._operator is not None else self._setup_name

    def allow(self, permission: Permission) -> None:
        """Check the operator may do ``permission`` now (``RoleError`` if not)."""
        authorize(self.gallery, self._operator, permission)

    def set_policy(self, policy: DispositionPolicy) -> None:
        """Put new disposition thresholds in force (administrators only once the gallery has
        accounts; setting the same policy again is always allowed)."""
        if not isinstance(policy, DispositionPolicy):
            raise ValueError(f"policy must be a DispositionPolicy, got {type(policy).__name__}")
        if policy != self.policy:
            self.allow(Permission.CHANGE_THRESHOLDS)
            log.info("disposition policy changed by %s", self.actor)
        self.policy = policy

    # --- index ----------------------------------------------------------------------------

    @property
    def index(self) -> SearchGallery:
        """The search index (loaded from the gallery on first use)."""
        if self._index is None:
            from .index import load_index

            self._index = load_index(self.gallery)
        return self._index

    @index.setter
    def index(self, index: SearchGallery) -> None:
        self._index = index

    # --- open and capture -----------------------------------------------------------------

    def open_booking(
        self,
        demographics: Mapping[str, Any],
        *,
        tcn: str | None = None,
        transaction_type: str = TransactionType.CAR,
        arrest: Arrest | Mapping[str, Any] | None = None,
        jms_booking: str | None = None,
    ) -> int:
        """Start a booking; returns its id.

        When ``tcn`` is not given it is made by :func:`new_tcn` from the station id, the time
        and the gallery's TCN sequence, drawn in the same transaction as the booking. The
        ``arrest`` data, when given, is checked first (``ArrestError``, nothing opened) and
        stored with the booking, as :meth:`set_arrest` does.
        """
        self.allow(Permission.BOOK)
        if arrest is not None:
            from .arrest import clean_arrest

            born = (
                demographics.get("date_of_birth")
                if isinstance(demographics, Mapping)
                else getattr(demographics, "date_of_birth", None)
            )
            arrest = clean_arrest(arrest, date_of_birth=born)
        with self.gallery.transaction():
            if not tcn:
                tcn = new_tcn(self.station_id, self.gallery.next_tcn_sequence())
            booking_id = self.gallery.open_booking(
                tcn=tcn,
                operator=self.actor,
                station_id=self.station_id,
                transaction_type=transaction_type,
                demographics=demographics,
            )
            self.gallery.audit(
                "open booking",
                actor=self.actor,
                booking_id=booking_id,
                detail={"tcn": tcn, "transaction_type": transaction_type},
            )
            if arrest is not None:
                self.set_arrest(booking_id, arrest, jms_booking=jms_booking)
        return booking_id

    # --- arrest data (issue 14) -------------------------------------------------------------

    def set_arrest(
        self,
        booking_id: int,
        arrest: Arrest | Mapping[str, Any],
        *,
        jms_booking: str | None = None,
    ) -> Arrest:
        """Check and store the open booking's arrest data (OCA, ORI, date of arrest, charges,
        race, scars/marks/tattoos), replacing what it had; audited.

        Raises
        ------
        ArrestError
            Every problem with the data (:func:`station.service.arrest.check_arrest`).
        GalleryError
            The booking is not open.
        """
        from .arrest import clean_arrest

        self.allow(Permission.BOOK)
        booking = self.gallery.booking(booking_id)
        checked = clean_arrest(arrest, date_of_birth=booking["demographics"].get("date_of_birth"))
        with self.gallery.transaction():
            self.gallery.set_arrest(booking_id, checked, jms_booking=jms_booking)
            self.gallery.audit(
                "arrest data",
                actor=self.actor,
                booking_id=booking_id,
                detail={"oca": checked.oca, "level": checked.level, "jms_booking": jms_booking},
            )
        return checked

    def arrest(self, booking_id: int) -> Arrest | None:
        """The booking's arrest data (its level computed from the offence table), or
        ``None`` when none was entered."""
        row = self.gallery.arrest(booking_id)
        return None if row is None else Arrest.from_json(row)

    def _absent(self, booking_id: int) -> list[str]:
        return [
            p["finger"]
            for p in self.gallery.booking_prints(booking_id)
            if p["annotation"] is not None and p["finger"] in FINGERS
        ]

    def add_capture(self, booking_id: int, processed: ProcessedCapture) -> CaptureResult:
        """Store a processed capture (replacing an earlier one of the same slot).

        Returns
        -------
        result : FingerCaptureResult or SlapCaptureResult
            The attempt, quality and level (for a finger), or the segments' levels, the
            segmentation error and the sequence check as far as it can go (for a slap).
        """
        self.allow(Permission.BOOK)
        capture = processed.capture
        is_slap = capture.finger in SLAP_FINGERS
        with self.gallery.transaction():
            if is_slap:
                print_id = self.gallery.add_booking_print(
                    booking_id,
                    capture.finger,
                    Impression.FLAT,
                    capture.image,
                    device=capture.device,
                    captured_at=capture.captured_at,
                )
                for finger, template in processed.segments.items():
                    self.gallery.add_booking_print(
                        booking_id,
                        finger,
                        Impression.FLAT,
                        processed.crops[finger],
                        template=template,
                        device=f"{capture.device} ({capture.finger} segment)",
                        captured_at=capture.captured_at,
                    )
            else:
                template = processed.template
                print_id = self.gallery.add_booking_print(
                    booking_id,
                    capture.finger,
                    capture.impression,
                    capture.image,
                    template=template,
                    device=capture.device,
                    captured_at=capture.captured_at,
                )
            attempt = next(
                p["attempt"] for p in self.gallery.booking_prints(booking_id) if p["id"] == print_id
            )
            result: CaptureResult
            if is_slap:
                result = SlapCaptureResult(
                    finger=capture.finger,
                    attempt=attempt,
                    segments={f: t.level for f, t in processed.segments.items()},
                    error=processed.error,
                )
            else:
                result = FingerCaptureResult(
                    finger=capture.finger,
                    impression=Impression(capture.impression),
                    attempt=attempt,
                    quality=None if template is None else template.quality,
                    level=None if template is None else template.level,
                    reason=None if template is None else template.reason,
                    minutiae=0 if template is None else len(template),
                )
            self.gallery.audit(
                "capture",
                actor=self.actor,
                booking_id=booking_id,
                detail=result.audit_detail(),
            )
        if isinstance(result, SlapCaptureResult):
            result = replace(result, sequence=self.sequence(booking_id))
        return result

    def capture(self, booking_id: int, capture: Capture) -> CaptureResult:
        """Process and store a capture in one call (headless use)."""
        return self.add_capture(
            booking_id, process_capture(capture, absent=self._absent(booking_id))
        )

    def annotate(
        self, booking_id: int, finger: str, annotation: str, *, reason: str | None = None
    ) -> None:
        """Mark a finger amputated (``XX``) or unable to print (``UP``) instead of capturing it.

        ``reason`` (why: bandaged, injured …) is audited with the annotation when given.
        """
        if annotation not in ANNOTATIONS:
            raise ValueError(
                f"annotation must be XX (amputated) or UP (unable to print), got {annotation!r}"
            )
        if finger not in FINGERS:
            raise ValueError(f"unknown finger code {finger!r}: use one of {', '.join(FINGERS)}")
        self.allow(Permission.BOOK)
        with self.gallery.transaction():
            self.gallery.add_booking_print(
                booking_id, finger, Impression.ROLLED, None, annotation=annotation, device="officer"
            )
            self.gallery.audit(
                "annotate",
                actor=self.actor,
                booking_id=booking_id,
                detail={"finger": finger, "annotation": annotation}
                | ({"reason": reason.strip()} if reason and reason.strip() else {}),
            )

    # --- checks ---------------------------------------------------------------------------

    def accept_quality(self, booking_id: int, finger: str, *, reason: str) -> None:
        """The officer accepts a finger's latest capture although its quality asks for a
        recapture (the quality gate then searches it); the reason is audited.

        Raises
        ------
        ValueError
            Not a finger, no reason, or the finger has no capture.
        """
        self.allow(Permission.BOOK)
        if finger not in FINGERS:
            raise ValueError(f"unknown finger code {finger!r}: use one of {', '.join(FINGERS)}")
        reason = self._reason(reason, "accepting a low-quality print")
        latest = [
            p
            for p in self.gallery.booking_prints(booking_id)
            if p["finger"] == finger and p["impression"] == Impression.ROLLED
        ]
        if not latest or latest[0]["annotation"] is not None:
            raise ValueError(f"{finger} has no captured print to accept")
        self.gallery.audit(
            _ACCEPT,
            actor=self.actor,
            booking_id=booking_id,
            detail={
                "finger": finger,
                "attempt": latest[0]["attempt"],
                "level": latest[0]["level"],
                "reason": reason,
            },
        )

    def _accepted(self, booking_id: int) -> set[tuple[str, int]]:
        """(finger, attempt) of the captures the officer accepted as they are."""
        return {
            (str(e["detail"].get("finger")), int(e["detail"].get("attempt", 0)))
            for e in self.gallery.audit_log(booking_id=booking_id, limit=100_000)
            if e["action"] == _ACCEPT and isinstance(e["detail"], dict)
        }

    def finger_status(self, booking_id: int) -> list[FingerStatus]:
        """The latest state of each rolled finger slot that was captured or annotated."""
        templates = self.gallery.booking_templates(booking_id, impression=Impression.ROLLED)
        accepted = self._accepted(booking_id)
        return [
            FingerStatus(
                finger=p["finger"],
                level=p["level"],
                attempts=p["attempt"],
                annotation=p["annotation"],
                reason=templates[p["finger"]].reason if p["finger"] in templates else "",
                accepted=(p["finger"], p["attempt"]) in accepted,
            )
            for p in self.gallery.booking_prints(booking_id)
            if p["finger"] in FINGERS and p["impression"] == Impression.ROLLED
        ]

    def sequence(self, booking_id: int) -> SequenceResult:
        """Compare the rolled prints with the fingers segmented from the slaps."""
        rolled = self.gallery.booking_templates(booking_id, impression=Impression.ROLLED)
        plain = self.gallery.booking_templates(booking_id, impression=Impression.FLAT)
        plain = {f: t for f, t in plain.items() if len(t) > 0}
        return sequence_check(rolled, plain, threshold=self.sequence_threshold)

    # --- submit ---------------------------------------------------------------------------

    def prepare_submit(self, booking_id: int) -> SearchJob | Response:
        """Run the quality gate; return the search job, or the final RECAPTURE/ERROR response.

        A RECAPTURE or ERROR response is stored (and audited) here; the booking stays open
        for recapture after a RECAPTURE.
        """
        self.allow(Permission.BOOK)
        booking = self.gallery.booking(booking_id)
        # "submitted" without a response: the station stopped mid-search; submit again.
        submitted = booking["status"] == BookingStatus.SUBMITTED
        if booking["status"] not in (BookingStatus.OPEN, BookingStatus.SUBMITTED) or (
            submitted and self.gallery.responses(booking_id)
        ):
            raise GalleryError(
                f"booking {booking['tcn']} was already submitted ({booking['status']})"
            )
        statuses = self.finger_status(booking_id)
        recapture, usable = quality_gate(statuses, self.policy)
        probe_all = self.gallery.booking_templates(booking_id, impression=Impression.ROLLED)
        probe = {f: probe_all[f] for f in usable if f in probe_all and len(probe_all[f]) > 0}
        if recapture:
            response = Response(
                tcn=booking["tcn"],
                disposition=Disposition.RECAPTURE,
                reason="quality too low on "
                + ", ".join(s.finger for s in recapture)
                + ": recapture these fingers",
                recapture=tuple(
                    RecaptureFinger(
                        finger=s.finger,
                        name=FINGER_NAMES[s.finger],
                        level=s.level,
                        attempts=s.attempts,
                        reason=s.reason,
                    )
                    for s in recapture
                ),
            )
            return self._respond(booking_id, response, status=BookingStatus.OPEN)
        if len(probe) < self.policy.min_fingers:
            captured = sum(1 for s in statuses if s.annotation is None)
            reason = (
                "no usable fingerprints to search with"
                if captured
                else "no fingers were captured: capture the rolled prints before submitting"
            )
            return self.fail_submit(booking_id, reason)
        # Nothing is written here: the "submit" entry, the response and the new status are
        # committed together by finish_submit, so a crash during the search leaves the
        # booking as it was (open, resumable), never "submitted" without a response.
        return SearchJob(booking_id, booking["tcn"], probe, self.policy)

    def finish_submit(
        self, job: SearchJob, candidates: list[Candidate], milliseconds: float
    ) -> Response:
        """Turn search candidates into the booking's response, store it and return it."""
        self.allow(Permission.BOOK)
        holdings = {c.subject: self._repositories(int(c.subject)) for c in candidates}
        verdict = dispose([(c.subject, c.score) for c in candidates], holdings, job.policy)
        response = Response(
            tcn=job.tcn,
            disposition=verdict.disposition,
            candidates=tuple(self._candidate(c, holdings[c.subject]) for c in candidates),
            fingers_searched=tuple(sorted(job.probe, key=FINGERS.index)),
            search_ms=round(milliseconds, 1),
        )
        link = None
        if verdict.disposition is Disposition.HIT:
            link = int(verdict.subject)
            response = replace(
                response,
                subject=self.subject_summary(link),
                repositories_hit=tuple(verdict.repositories),
            )
        elif verdict.disposition is Disposition.REVIEW:
            response = replace(
                response,
                review=tuple(int(s) for s in verdict.review),
                reason="a candidate needs an examiner's decision",
            )
        return self._respond(
            job.booking_id,
            response,
            status=BookingStatus.RESPONDED,
            submitted=response.fingers_searched,
            link=link,
        )

    def fail_submit(self, booking_id: int, reason: str) -> Response:
        """Store an ERROR response saying ``reason`` (the booking cannot be searched)."""
        self.allow(Permission.BOOK)
        booking = self.gallery.booking(booking_id)
        response = Response(tcn=booking["tcn"], disposition=Disposition.ERROR, reason=reason)
        return self._respond(booking_id, response, status=BookingStatus.ERROR)

    def submit(self, booking_id: int) -> Response:
        """Quality gate, search and response in one call (headless use)."""
        job = self.prepare_submit(booking_id)
        if not isinstance(job, SearchJob):
            return job
        try:
            candidates, ms = run_search(job, self.index)
        except Exception as exc:  # a search must always end in a response the officer sees
            log.exception("search failed for booking %s", job.tcn)
            return self.fail_submit(booking_id, f"search failed: {exc}")
        return self.finish_submit(job, candidates, ms)

    def _respond(
        self,
        booking_id: int,
        response: Response,
        *,
        status: BookingStatus,
        submitted: tuple[str, ...] | None = None,
        link: int | None = None,
    ) -> Response:
        """Store ``response`` (with the sequence check, if one ran) and move the booking on.

        One transaction: with ``submitted`` (the fingers searched) the "submit" audit entry,
        with ``link`` the HIT subject's link, the response, the status and the "response"
        entry are all kept, or none of them (a crash leaves the booking as it was).
        """
        sequence = self.sequence(booking_id)
        if sequence.scores or sequence.mismatched:
            # As stored (scores to 4 decimals), so the response equals the one read back.
            response = replace(response, sequence=SequenceResult.from_dict(sequence.as_dict()))
        with self.gallery.transaction():
            booking = self.gallery.booking(booking_id)
            if submitted is not None:
                if booking["status"] not in _SUBMITTABLE:
                    raise GalleryError(
                        f"booking {booking['tcn']} was already submitted ({booking['status']})"
                    )
                self.gallery.audit(
                    "submit",
                    actor=self.actor,
                    booking_id=booking_id,
                    detail={"fingers": list(submitted)},
                )
            if link is not None:
                self.gallery.link_booking_subject(booking_id, link)
            response_id = self.gallery.add_response(
                booking_id, response.disposition, response.to_json()
            )
            self.gallery.set_booking_status(booking_id, status)
            self.gallery.audit(
                "response",
                actor="station" if self._operator is None else self._operator.username,
                booking_id=booking_id,
                detail={"disposition": response.disposition, "response_id": response_id},
            )
        return response.stored(response_id)

    # --- stale bookings: left open or submitted by a crash -----------------------------------

    def stale(self, *, older_than: float = STALE_AFTER) -> list[StaleBooking]:
        """Bookings left open or submitted, idle for at least ``older_than`` seconds.

        Examples
        --------
        >>> [b.line() for b in service.stale(older_than=0)]  # doctest: +SKIP
        ['BS-01-20260101120000000-001: open, 10 prints, no response, idle 12m 03s (…)']
        """
        return [
            StaleBooking(
                booking_id=int(row["id"]),
                tcn=row["tcn"],
                status=BookingStatus(row["status"]),
                age_seconds=float(row["age_seconds"]),
                prints=int(row["prints"]),
                responses=int(row["responses"]),
                station_id=row["station_id"],
                operator=row["operator"],
            )
            for row in self.gallery.stale_bookings(older_than=older_than)
        ]

    def _unfinished(self, booking_id: int) -> dict[str, Any]:
        booking = self.gallery.booking(booking_id)
        if booking["status"] not in _SUBMITTABLE:
            raise GalleryError(
                f"booking {booking['tcn']} is {booking['status']}: only an open or submitted "
                "booking can be resumed or closed"
            )
        return booking

    def pending(self, booking_id: int) -> tuple[str, ...]:
        """Rolled fingers of the booking neither captured nor annotated, in capture order."""
        done = {
            p["finger"]
            for p in self.gallery.booking_prints(booking_id)
            if p["impression"] == Impression.ROLLED
        }
        return tuple(f for f in FINGERS if f not in done)

    def resume(self, booking_id: int, *, submit: bool = False) -> ResumeResult:
        """Carry on with a booking a crash (or a closed window) left unfinished.

        A ``submitted`` booking (no response yet) is submitted again. An ``open`` one is
        submitted when every rolled finger is captured or annotated, or when ``submit`` is
        set (the quality gate then decides: RECAPTURE, ERROR or a search); otherwise it
        stays open and the fingers still to capture are returned.

        Parameters
        ----------
        booking_id : int
        submit : bool
            Submit an open booking even with fingers still to capture.

        Returns
        -------
        ResumeResult

        Raises
        ------
        GalleryError
            The booking is not open or submitted.
        """
        self.allow(Permission.BOOK)
        booking = self._unfinished(booking_id)
        pending = self.pending(booking_id)
        if booking["status"] == BookingStatus.OPEN and pending and not submit:
            log.info("booking %s resumed for capture: %s pending", booking["tcn"], pending)
            return ResumeResult(booking_id, booking["tcn"], None, pending)
        log.info("booking %s (%s) resumed: submitting", booking["tcn"], booking["status"])
        return ResumeResult(booking_id, booking["tcn"], self.submit(booking_id), pending)

    def close(self, booking_id: int, reason: str) -> None:
        """Close an unfinished (open or submitted) booking: status ``cancelled``, audited.

        Parameters
        ----------
        booking_id : int
        reason : str
            Why, for the audit trail (required).

        Raises
        ------
        ValueError
            No reason given.
        GalleryError
            The booking is not open or submitted.
        """
        self.allow(Permission.BOOK)
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("say why the booking is closed (a reason is required)")
        with self.gallery.transaction():
            booking = self._unfinished(booking_id)
            self.gallery.set_booking_status(booking_id, BookingStatus.CANCELLED)
            self.gallery.audit(
                "close booking",
                actor=self.actor,
                booking_id=booking_id,
                detail={"reason": reason.strip(), "status": booking["status"]},
            )
        log.info("booking %s closed: %s", booking["tcn"], reason.strip())

    def _repositories(self, subject_id: int) -> list[str]:
        return sorted({r["repository"] for r in self.gallery.records(subject_id)})

    def _candidate(self, c: Candidate, repositories: list[str]) -> CandidateResult:
        subject = self.gallery.subject(int(c.subject))
        return CandidateResult(
            rank=c.rank,
            subject_id=int(c.subject),
            name=f"{subject.get('last_name') or '?'}, {subject.get('first_name') or '?'}",
            synthetic_id=subject.get("synthetic_id"),
            score=round(float(c.score), 4),
            finger_scores={f: round(float(s), 4) for f, s in c.finger_scores.items()},
            repositories=tuple(repositories),
        )

    def subject_summary(self, subject_id: int) -> SubjectSummary:
        """A subject as a response shows it: demographics, records and highest offence level."""
        subject = self.gallery.subject(subject_id)
        records = self.gallery.records(subject_id)
        levels = [r["offence_level"] for r in records if r.get("offence_level")]
        skip = ("id", "created_at", "synthetic_id", "population")
        return SubjectSummary(
            subject_id=subject_id,
            synthetic_id=subject.get("synthetic_id"),
            population=subject.get("population"),
            demographics={k: v for k, v in subject.items() if k not in skip},
            repositories=tuple(sorted({r["repository"] for r in records})),
            records=tuple(
                RecordSummary(
                    repository=r.get("repository"),
                    record_number=r.get("record_number"),
                    offence_level=r.get("offence_level"),
                    charge=r.get("charge"),
                )
                for r in records
            ),
            highest_offence_level=min(levels) if levels else None,
        )

    # --- examiner and enrolment -----------------------------------------------------------

    def latest_response(self, booking_id: int) -> Response:
        """The booking's latest stored response, read back from the gallery.

        Raises
        ------
        GalleryError
            The booking has no response yet.
        ValueError
            The stored response is malformed (unknown disposition, missing fields).
        """
        responses = self.gallery.responses(booking_id)
        if not responses:
            raise GalleryError("the booking has no response yet: submit it first")
        row = responses[-1]
        return Response.from_json(row["payload"], response_id=row["id"])

    def _effective_decisions(self, booking_id: int, response_id: int) -> list[dict[str, Any]]:
        """The decisions on a response still in force: each ``undo`` cancels the latest one
        not undone yet (oldest first)."""
        stack: list[dict[str, Any]] = []
        for d in self.gallery.decisions(booking_id):
            if d["response_id"] != response_id:
                continue
            if d["decision"] == Decision.UNDO:
                if stack:
                    stack.pop()
            else:
                stack.append(d)
        return stack

    def decisions_in_force(self, booking_id: int) -> list[dict[str, Any]]:
        """The examiners' decisions on the booking's latest response that are not undone,
        oldest first (as :meth:`Gallery.decisions` gives them)."""
        response = self.latest_response(booking_id)
        return self._effective_decisions(booking_id, int(response.response_id))

    def _open_for_decisions(self, booking_id: int) -> Response:
        booking = self.gallery.booking(booking_id)
        if booking["status"] in _CLOSED:
            raise DecisionError(
                f"booking {booking['tcn']} is {booking['status']}: its decisions are final"
            )
        response = self.latest_response(booking_id)
        if response.disposition not in (Disposition.HIT, Disposition.REVIEW):
            raise DecisionError(
                f"a {response.disposition} response has no candidate for an examiner to decide on"
            )
        return response

    @staticmethod
    def _reason(note: str | None, what: str) -> str:
        if not isinstance(note, str) or not note.strip():
            raise ValueError(f"{what} needs a reason (a short note), got {note!r}")
        return note.strip()

    def _examiner_name(self, examiner: str | None) -> str:
        """Who decides: the signed-in operator, who must hold the examiner role (``examiner``,
        if given, must be their user name); in set-up mode ``examiner`` or the set-up name."""
        self.allow(Permission.DECIDE)
        if self._operator is not None:
            if examiner and examiner.strip().casefold() != (self._operator.username.casefold()):
                raise RoleError(
                    f"the examiner is the signed-in operator ({self._operator.username}), "
                    f"not {examiner!r}"
                )
            return self._operator.username
        if examiner is None or not examiner.strip():
            return self._setup_name
        return examiner.strip()

    def decide(
        self,
        booking_id: int,
        *,
        decision: str,
        subject_id: int | None,
        examiner: str | None = None,
        note: str | None = None,
    ) -> Outcome:
        """Record an examiner's decision on a REVIEW (or HIT) candidate.

        Parameters
        ----------
        booking_id : int
        decision : {'confirm', 'reject'}
        subject_id : int
            The candidate decided on: one of the response's candidates. Only a candidate
            flagged for review, or the HIT subject, can be confirmed.
        examiner : str, optional
            Once the gallery has accounts the examiner is the signed-in operator, who must
            hold the examiner role; ``examiner``, if given, must be their user name. In set-up
            mode it names who decided (default: the set-up mode name).
        note : str
            The reason (required, stored with the decision and audited).

        Returns
        -------
        outcome : Outcome
            The disposition after the decision (``HIT`` when a candidate is confirmed, ``NO
            HIT`` when every candidate under review is rejected, else still ``REVIEW``) and
            the subject on a confirmed HIT.

        Raises
        ------
        ValueError
            An unknown decision, or no reason.
        DecisionError
            The booking is closed, its response has no candidates, the candidate is not one
            of them (or not flagged for review, to confirm), or the booking is decided
            already (undo that decision first).
        RoleError
            The operator is not an examiner, or ``examiner`` names someone else.
        """
        examiner = self._examiner_name(examiner)
        if decision not in (Decision.CONFIRM, Decision.REJECT):
            raise ValueError(
                f"decision must be confirm or reject, got {decision!r} "
                "(use undo_decision to undo one)"
            )
        note = self._reason(note, f"a {decision}")
        response = self._open_for_decisions(booking_id)
        candidates = {c.subject_id: c for c in response.candidates}
        hit = response.subject.subject_id if response.subject is not None else None
        if subject_id is None or (subject_id not in candidates and subject_id != hit):
            raise DecisionError(f"subject #{subject_id} is not a candidate of this response")
        if (
            decision == Decision.CONFIRM
            and subject_id not in (response.review or ())
            and (subject_id != hit)
        ):
            raise DecisionError(
                f"subject #{subject_id} was not flagged for review: only a candidate under "
                "review (or the HIT candidate) can be confirmed"
            )
        current = self.outcome(booking_id)
        if current.confirmed or current.disposition is Disposition.NO_HIT:
            raise DecisionError(
                "the examiner has decided this booking already: undo that decision first"
            )
        in_force = self._effective_decisions(booking_id, response.response_id)
        if any(d["subject_id"] == subject_id and d["decision"] == decision for d in in_force):
            raise DecisionError(f"subject #{subject_id} is already {decision}ed")
        with self.gallery.transaction():
            decision_id = self.gallery.add_decision(
                booking_id,
                response.response_id,
                examiner=examiner,
                subject_id=subject_id,
                decision=decision,
                note=note,
            )
            self.gallery.audit(
                f"{decision} candidate",
                actor=examiner,
                booking_id=booking_id,
                subject_id=subject_id,
                detail={
                    "response_id": response.response_id,
                    "decision_id": decision_id,
                    "note": note,
                },
            )
            outcome = self._settle(booking_id)
        return outcome

    def undo_decision(
        self, booking_id: int, *, examiner: str | None = None, note: str | None = None
    ) -> Outcome:
        """Undo the latest decision still in force, while the booking is not closed.

        The decisions table is append-only: the undo is a decision row of its own (``undo``,
        naming the same candidate, the note saying which decision it undoes), and audited.

        Parameters
        ----------
        booking_id : int
        examiner : str, optional
            As for :meth:`decide`: the signed-in examiner once the gallery has accounts.
        note : str
            Why (required).

        Returns
        -------
        outcome : Outcome
            The disposition with that decision undone.

        Raises
        ------
        DecisionError
            The booking is enrolled or cancelled, or no decision is in force.
        """
        examiner = self._examiner_name(examiner)
        note = self._reason(note, "an undo")
        response = self._open_for_decisions(booking_id)
        in_force = self._effective_decisions(booking_id, response.response_id)
        if not in_force:
            raise DecisionError("there is no examiner's decision to undo")
        last = in_force[-1]
        with self.gallery.transaction():
            decision_id = self.gallery.add_decision(
                booking_id,
                response.response_id,
                examiner=examiner,
                subject_id=last["subject_id"],
                decision=Decision.UNDO,
                note=f"undoes decision #{last['id']} ({last['decision']}): {note}",
            )
            self.gallery.audit(
                "undo decision",
                actor=examiner,
                booking_id=booking_id,
                subject_id=last["subject_id"],
                detail={
                    "response_id": response.response_id,
                    "decision_id": decision_id,
                    "undoes": last["id"],
                    "undone": last["decision"],
                    "note": note,
                },
            )
            outcome = self._settle(booking_id)
        return outcome

    def _settle(self, booking_id: int) -> Outcome:
        """After a decision or an undo: link the booking to the subject the outcome names
        (none otherwise) and set its status (``decided`` unless still under review)."""
        outcome = self.outcome(booking_id)
        subject = (
            outcome.subject.subject_id
            if outcome.disposition is Disposition.HIT and outcome.subject is not None
            else None
        )
        self.gallery.link_booking_subject(booking_id, subject, replace=True)
        decided = outcome.confirmed or outcome.rejected is not None
        self.gallery.set_booking_status(
            booking_id, BookingStatus.DECIDED if decided else BookingStatus.RESPONDED
        )
        return outcome

    def outcome(self, booking_id: int) -> Outcome:
        """The booking's disposition now: its latest response amended by the examiners'
        decisions in force (undone ones left out)."""
        response = self.latest_response(booking_id)
        word = response.disposition
        decisions = self._effective_decisions(booking_id, response.response_id)
        confirmed = [d for d in decisions if d["decision"] == Decision.CONFIRM]
        if confirmed:
            return Outcome(
                Disposition.HIT,
                subject=self.subject_summary(confirmed[-1]["subject_id"]),
                confirmed=True,
            )
        rejected = {d["subject_id"] for d in decisions if d["decision"] == Decision.REJECT}
        if word is Disposition.HIT and response.subject.subject_id in rejected:
            return Outcome(Disposition.NO_HIT, rejected=tuple(sorted(rejected)))
        if word is Disposition.REVIEW and set(response.review or ()) <= rejected:
            return Outcome(Disposition.NO_HIT, rejected=tuple(sorted(rejected)))
        return Outcome(word, subject=response.subject)

    def rejected_above_hit(self, booking_id: int) -> tuple[CandidateResult, ...]:
        """Candidates rejected (decisions in force) whose score reached the HIT threshold:
        enrolling the booking as a new subject would give such a person a second identity.

        Returns
        -------
        candidates : tuple of CandidateResult
            Best first; empty when none.
        """
        response = self.latest_response(booking_id)
        rejected = {
            d["subject_id"]
            for d in self._effective_decisions(booking_id, response.response_id)
            if d["decision"] == Decision.REJECT
        }
        return tuple(
            c
            for c in response.candidates
            if c.subject_id in rejected and c.score >= self.policy.hit
        )

    def abandon(self, booking_id: int, *, reason: str) -> None:
        """Abandon an open booking: status ``cancelled``, the reason audited.

        Raises
        ------
        ValueError
            No reason.
        GalleryError
            The booking is enrolled or cancelled already.
        """
        self.allow(Permission.BOOK)
        reason = self._reason(reason, "abandoning a booking")
        booking = self.gallery.booking(booking_id)
        if booking["status"] in _CLOSED:
            raise GalleryError(f"booking {booking['tcn']} is {booking['status']} already")
        with self.gallery.transaction():
            self.gallery.set_booking_status(booking_id, BookingStatus.CANCELLED)
            self.gallery.audit(
                "abandon booking",
                actor=self.actor,
                booking_id=booking_id,
                detail={"reason": reason, "status": booking["status"]},
            )

    def enrol(self, booking_id: int) -> int:
        """Enrol the booking: a new subject on NO HIT, a new encounter of the subject on HIT.

        The booking's rolled prints (with templates) are added to the gallery and to the
        in-memory index, and a ``local`` record is written for this booking.

        Returns
        -------
        subject_id : int
        """
        self.allow(Permission.BOOK)
        outcome = self.outcome(booking_id)
        booking = self.gallery.booking(booking_id)
        if booking["status"] == BookingStatus.ENROLLED:
            raise GalleryError(f"booking {booking['tcn']} is already enrolled")
        if booking["status"] == BookingStatus.CANCELLED:
            raise GalleryError(f"booking {booking['tcn']} was abandoned: it cannot be enrolled")
        if outcome.disposition not in (Disposition.HIT, Disposition.NO_HIT):
            raise GalleryError(
                f"a {outcome.disposition} booking cannot be enrolled: "
                + (
                    "an examiner must decide first"
                    if outcome.disposition is Disposition.REVIEW
                    else "resubmit it first"
                )
            )
        prints = [
            p
            for p in self.gallery.booking_prints(booking_id, with_images=True)
            if p["finger"] in FINGERS
            and p["impression"] == Impression.ROLLED
            and p["image"] is not None
        ]
        templates = self.gallery.booking_templates(booking_id, impression=Impression.ROLLED)
        stored = self.gallery.booking_print_data(booking_id)
        demographics = booking["demographics"]
        with self.gallery.transaction():
            if outcome.disposition is Disposition.HIT:
                subject_id = int(outcome.subject.subject_id)
                action = "enrol encounter"
            else:
                subject_id = self.gallery.add_subject(demographics)
                action = "enrol new subject"
            for p in prints:
                self.gallery.add_print(
                    subject_id,
                    p["finger"],
                    Impression.ROLLED,
                    _as_stored(p["image"], stored.get(p["id"])),
                    template=templates.get(p["finger"]),
                    device=p["device"],
                    captured_at=p["captured_at"],
                    booking_id=booking_id,
                )
            self.gallery.add_record(subject_id, Repository.LOCAL, _record_number(booking))
            if outcome.disposition is Disposition.NO_HIT:
                self.gallery.link_booking_subject(booking_id, subject_id, replace=True)
            self.gallery.set_booking_status(booking_id, BookingStatus.ENROLLED)
            self.gallery.audit(
                action,
                actor=self.actor,
                booking_id=booking_id,
                subject_id=subject_id,
                detail={"prints": len(prints)},
            )
        if self._index is not None:
            for finger, template in templates.items():
                self._index.add(subject_id, finger, template)
        return subject_id


def _as_stored(image: np.ndarray, stored: tuple[bytes, str] | None) -> np.ndarray | EncodedImage:
    """A booking capture to enrol: its WSQ bytes as the booking keeps them (a print is never
    compressed a second time), or the decoded print when it is kept in another form (PNG
    captures of older galleries; the gallery encodes it as it stores new prints)."""
    if stored is None or ImageFormat.parse(stored[1], what="image format") is not ImageFormat.WSQ:
        return image
    rows, cols = image.shape
    return EncodedImage(stored[0], ImageFormat.WSQ, cols, rows)


def _record_number(booking: Mapping[str, Any]) -> str:
    """The local record number of an enrolled booking: its TCN, which starts with the station
    id already when the station made it (else the station id is put in front)."""
    tcn, station = str(booking["tcn"]), str(booking["station_id"])
    return (tcn if tcn.startswith(f"{station}-") else f"{station}-{tcn}")[:60]
