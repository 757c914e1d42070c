"""What :class:`~station.service.booking.BookingService` returns: typed results with their JSON.

Every result is a frozen dataclass. ``to_json()`` gives the plain JSON object ``station book``
prints and the gallery stores (keys in a fixed order, codes as their string values);
:meth:`Response.from_json` reads a stored response back and refuses one it cannot trust.

Examples
--------
>>> r = Response(tcn="T1", disposition=Disposition.ERROR, reason="no fingers")
>>> r.to_json()
{'tcn': 'T1', 'disposition': 'ERROR', 'subject': None, 'candidates': [], 'reason': 'no fingers'}
>>> Response.from_json(r.to_json()) == r
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from station.core.arrest import Arrest
from station.core.sequence import SequenceResult
from station.core.vocabulary import BookingStatus, Disposition, Impression, System, SystemStatus

__all__ = [
    "BookingReport",
    "CandidateResult",
    "CaptureResult",
    "FingerCaptureResult",
    "Outcome",
    "RecaptureFinger",
    "RecordSummary",
    "Response",
    "ResumeResult",
    "SlapCaptureResult",
    "StaleBooking",
    "SubjectSummary",
    "SystemAnswer",
]

#: Subject columns a summary keeps apart from the demographic fields.
_SUBJECT_KEYS = ("subject_id", "synthetic_id", "population")
_SUMMARY_TAIL = ("repositories", "records", "highest_offence_level")


def _object(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"{what} must be a JSON object, got {data!r}")
    return data


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    """``data[key]``, checked to be of ``kind`` (``None`` allowed when ``kind`` has it)."""
    if key not in data:
        raise ValueError(f"{what} has no {key!r}")
    value = data[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ValueError(f"{what}: {key} must not be true/false, got {value!r}")
    if not isinstance(value, kind):
        raise ValueError(f"{what}: {key} has the wrong type ({value!r})")
    return value


def _optional(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    return _field(data, key, kind, what) if key in data else None


def _list(data: Mapping[str, Any], key: str, what: str) -> list[Any] | None:
    return _optional(data, key, list, what)


# --- captures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FingerCaptureResult:
    """A rolled or flat finger print stored in a booking.

    Attributes
    ----------
    finger : str
        ``R1`` … ``L5``.
    impression : Impression
    attempt : int
        Captures of this slot so far (1 for the first).
    quality, level : int or None
        Quality 0–100 and level 1 (best) … 5; ``None`` without a template.
    reason : str or None
        Why the quality is low (the extractor's words).
    minutiae : int
    """

    finger: str
    impression: Impression
    attempt: int
    quality: int | None = None
    level: int | None = None
    reason: str | None = None
    minutiae: int = 0

    is_slap = False

    def audit_detail(self) -> dict[str, Any]:
        """What the audit trail records of the capture."""
        return self.to_json()

    def to_json(self) -> dict[str, Any]:
        return {
            "finger": str(self.finger),
            "impression": str(self.impression),
            "quality": self.quality,
            "level": self.level,
            "reason": self.reason,
            "minutiae": self.minutiae,
            "attempt": self.attempt,
        }


@dataclass(frozen=True)
class SlapCaptureResult:
    """A slap stored in a booking, with its fingertip segments.

    Attributes
    ----------
    finger : str
        ``RS``, ``LS`` or ``TS``.
    attempt : int
    segments : mapping of str to int
        Finger → quality level of its segment.
    error : str or None
        Why the slap could not be segmented.
    sequence : SequenceResult or None
        The sequence check as far as it can go with this slap stored.
    """

    finger: str
    attempt: int
    segments: Mapping[str, int] = field(default_factory=dict)
    error: str | None = None
    sequence: SequenceResult | None = None

    is_slap = True
    impression = Impression.FLAT

    def audit_detail(self) -> dict[str, Any]:
        """What the audit trail records of the capture (no segments, no sequence check)."""
        return {
            "finger": str(self.finger),
            "impression": str(self.impression),
            "error": self.error,
            "attempt": self.attempt,
        }

    def to_json(self) -> dict[str, Any]:
        out = {
            "finger": str(self.finger),
            "impression": str(self.impression),
            "segments": dict(self.segments),
            "error": self.error,
            "attempt": self.attempt,
        }
        if self.sequence is not None:
            out["sequence"] = self.sequence.as_dict()
        return out


#: What :meth:`BookingService.add_capture` returns.
CaptureResult = FingerCaptureResult | SlapCaptureResult


# --- subjects and candidates -----------------------------------------------------------------


@dataclass(frozen=True)
class RecordSummary:
    """One repository record of a subject."""

    repository: str
    record_number: str
    offence_level: int | None = None
    charge: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "record_number": self.record_number,
            "offence_level": self.offence_level,
            "charge": self.charge,
        }

    @classmethod
    def from_json(cls, data: object) -> RecordSummary:
        what = "a record"
        data = _object(data, what)
        return cls(
            repository=_field(data, "repository", str, what),
            record_number=_field(data, "record_number", str, what),
            offence_level=_optional(data, "offence_level", (int, type(None)), what),
            charge=_optional(data, "charge", (str, type(None)), what),
        )


@dataclass(frozen=True)
class SubjectSummary:
    """A subject as a response shows it: demographics, records and highest offence level.

    Attributes
    ----------
    subject_id : int
    synthetic_id, population : int or None
        Who the synthetic subject is (``None`` for a subject enrolled from a booking).
    demographics : mapping of str to object
        The demographic fields, in the gallery's column order.
    repositories : tuple of str
        Repositories holding a record of the subject, sorted.
    records : tuple of RecordSummary
    highest_offence_level : int or None
        1 (most serious) … 3 over the records that carry one.
    """

    subject_id: int
    synthetic_id: int | None = None
    population: int | None = None
    demographics: Mapping[str, Any] = field(default_factory=dict)
    repositories: tuple[str, ...] = ()
    records: tuple[RecordSummary, ...] = ()
    highest_offence_level: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "subject_id": self.subject_id,
            "synthetic_id": self.synthetic_id,
            "population": self.population,
            **self.demographics,
            "repositories": list(self.repositories),
            "records": [r.to_json() for r in self.records],
            "highest_offence_level": self.highest_offence_level,
        }

    @classmethod
    def from_json(cls, data: object) -> SubjectSummary:
        what = "a subject"
        data = _object(data, what)
        records = _list(data, "records", what) or []
        return cls(
            subject_id=_field(data, "subject_id", int, what),
            synthetic_id=_optional(data, "synthetic_id", (int, type(None)), what),
            population=_optional(data, "population", (int, type(None)), what),
            demographics={k: v for k, v in data.items() if k not in _SUBJECT_KEYS + _SUMMARY_TAIL},
            repositories=tuple(str(r) for r in _list(data, "repositories", what) or []),
            records=tuple(RecordSummary.from_json(r) for r in records),
            highest_offence_level=_optional(data, "highest_offence_level", (int, type(None)), what),
        )


@dataclass(frozen=True)
class CandidateResult:
    """One candidate of a search, as a response lists it.

    Attributes
    ----------
    rank : int
        1 for the best.
    subject_id : int
    name : str
        ``'Last, First'`` (``?`` for a missing part).
    synthetic_id : int or None
    score : float
        Fused score (4 decimals).
    finger_scores : mapping of str to float
        Finger → its score (4 decimals).
    repositories : tuple of str
    """

    rank: int
    subject_id: int
    name: str
    synthetic_id: int | None
    score: float
    finger_scores: Mapping[str, float] = field(default_factory=dict)
    repositories: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "subject_id": self.subject_id,
            "name": self.name,
            "synthetic_id": self.synthetic_id,
            "score": self.score,
            "finger_scores": dict(self.finger_scores),
            "repositories": list(self.repositories),
        }

    @classmethod
    def from_json(cls, data: object) -> CandidateResult:
        what = "a candidate"
        data = _object(data, what)
        scores = _object(_field(data, "finger_scores", Mapping, what), "finger_scores")
        return cls(
            rank=_field(data, "rank", int, what),
            subject_id=_field(data, "subject_id", int, what),
            name=_field(data, "name", str, what),
            synthetic_id=_field(data, "synthetic_id", (int, type(None)), what),
            score=_field(data, "score", (int, float), what),
            finger_scores={str(f): s for f, s in scores.items()},
            repositories=tuple(str(r) for r in _list(data, "repositories", what) or []),
        )


@dataclass(frozen=True)
class RecaptureFinger:
    """A finger a RECAPTURE response asks for again."""

    finger: str
    name: str
    level: int | None
    attempts: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "finger": str(self.finger),
            "name": self.name,
            "level": self.level,
            "attempts": self.attempts,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: object) -> RecaptureFinger:
        what = "a recapture entry"
        data = _object(data, what)
        return cls(
            finger=_field(data, "finger", str, what),
            name=_field(data, "name", str, what),
            level=_field(data, "level", (int, type(None)), what),
            attempts=_field(data, "attempts", int, what),
            reason=_field(data, "reason", str, what),
        )


# --- responses -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    """A booking's response: the disposition and what backs it.

    Attributes
    ----------
    tcn : str
    disposition : Disposition
    subject : SubjectSummary or None
        The identified subject on a HIT.
    candidates : tuple of CandidateResult
        Best first (empty unless a search ran).
    fingers_searched : tuple of str or None
        The probe's fingers, in capture order (after a search).
    search_ms : float or None
        Search time (after a search).
    repositories_hit : tuple of str or None
        On a HIT, the repositories whose threshold the score reached.
    review : tuple of int or None
        On REVIEW, the subject ids an examiner must look at.
    reason : str or None
        Why (REVIEW, RECAPTURE, ERROR).
    recapture : tuple of RecaptureFinger or None
        On RECAPTURE, the fingers to capture again.
    sequence : SequenceResult or None
        The sequence check, when one could run.
    response_id : int or None
        The gallery's id of the stored response (``None`` before it is stored).
    """

    tcn: str
    disposition: Disposition
    subject: SubjectSummary | None = None
    candidates: tuple[CandidateResult, ...] = ()
    fingers_searched: tuple[str, ...] | None = None
    search_ms: float | None = None
    repositories_hit: tuple[str, ...] | None = None
    review: tuple[int, ...] | None = None
    reason: str | None = None
    recapture: tuple[RecaptureFinger, ...] | None = None
    sequence: SequenceResult | None = None
    response_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "disposition", Disposition.parse(self.disposition, what="disposition")
        )

    def stored(self, response_id: int) -> Response:
        """The same response with the gallery's id."""
        return replace(self, response_id=response_id)

    def to_json(self) -> dict[str, Any]:
        """The JSON object: what the gallery stores, plus ``response_id`` once stored."""
        out: dict[str, Any] = {
            "tcn": self.tcn,
            "disposition": str(self.disposition),
            "subject": None if self.subject is None else self.subject.to_json(),
            "candidates": [c.to_json() for c in self.candidates],
        }
        if self.fingers_searched is not None:
            out["fingers_searched"] = list(self.fingers_searched)
        if self.search_ms is not None:
            out["search_ms"] = self.search_ms
        if self.repositories_hit is not None:
            out["repositories_hit"] = list(self.repositories_hit)
        if self.review is not None:
            out["review"] = list(self.review)
        if self.reason is not None:
            out["reason"] = self.reason
        if self.recapture is not None:
            out["recapture"] = [r.to_json() for r in self.recapture]
        if self.sequence is not None:
            out["sequence"] = self.sequence.as_dict()
        if self.response_id is not None:
            out["response_id"] = self.response_id
        return out

    @classmethod
    def from_json(cls, data: object, *, response_id: int | None = None) -> Response:
        """Read a response back from its JSON object (a stored payload or ``to_json()``).

        Parameters
        ----------
        data : mapping
            The JSON object.
        response_id : int, optional
            The gallery's id, when ``data`` has no ``response_id`` (a stored payload).

        Raises
        ------
        ValueError
            Not an object, an unknown disposition, a missing ``tcn``, or a field of the
            wrong shape.
        """
        what = "a response"
        data = _object(data, what)
        disposition = Disposition.parse(_field(data, "disposition", str, what), what="disposition")
        subject = data.get("subject")
        sequence = data.get("sequence")
        ms = _optional(data, "search_ms", (int, float), what)
        searched, hit = _list(data, "fingers_searched", what), _list(data, "repositories_hit", what)
        review, recapture = _list(data, "review", what), _list(data, "recapture", what)
        stored_id = _optional(data, "response_id", int, what)
        return cls(
            tcn=_field(data, "tcn", str, what),
            disposition=disposition,
            subject=None if subject is None else SubjectSummary.from_json(subject),
            candidates=tuple(
                CandidateResult.from_json(c) for c in _list(data, "candidates", what) or []
            ),
            fingers_searched=None if searched is None else tuple(str(f) for f in searched),
            search_ms=None if ms is None else float(ms),
            repositories_hit=None if hit is None else tuple(str(r) for r in hit),
            review=None if review is None else tuple(int(s) for s in review),
            reason=_optional(data, "reason", str, what),
            recapture=None
            if recapture is None
            else tuple(RecaptureFinger.from_json(r) for r in recapture),
            sequence=None if sequence is None else SequenceResult.from_dict(sequence),
            response_id=stored_id if stored_id is not None else response_id,
        )


@dataclass(frozen=True)
class Outcome:
    """A booking's disposition now: its latest response amended by examiners' decisions.

    Attributes
    ----------
    disposition : Disposition
    subject : SubjectSummary or None
        The identified subject on a HIT.
    confirmed : bool
        An examiner confirmed the HIT.
    rejected : tuple of int or None
        The candidates examiners rejected, when that turned the booking into a NO HIT.
    """

    disposition: Disposition
    subject: SubjectSummary | None = None
    confirmed: bool = False
    rejected: tuple[int, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "disposition": str(self.disposition),
            "subject": None if self.subject is None else self.subject.to_json(),
        }
        if self.confirmed:
            out["confirmed"] = True
        if self.rejected is not None:
            out["rejected"] = list(self.rejected)
        return out


@dataclass(frozen=True)
class BookingReport:
    """A whole headless booking (``station book``): its response, booking id, who was booked.

    Attributes
    ----------
    response : Response
    booking_id : int
    booked : mapping of str to int, optional
        ``synthetic_id`` and ``population`` of the subject on the platen (mock scanner).
    arrest : Arrest, optional
        The booking's arrest data, when it has some (``station book --jms``).
    """

    response: Response
    booking_id: int
    booked: Mapping[str, int] | None = None
    arrest: Arrest | None = None

    @property
    def disposition(self) -> Disposition:
        return self.response.disposition

    def to_json(self) -> dict[str, Any]:
        """The JSON ``station book`` prints: the response, ``booking_id`` and ``booked``."""
        out = {**self.response.to_json(), "booking_id": self.booking_id}
        if self.booked is not None:
            out["booked"] = dict(self.booked)
        if self.arrest is not None:
            out["arrest"] = {**self.arrest.to_json(), "level": self.arrest.level}
        return out


def _duration(seconds: float) -> str:
    """``42s``, ``7m 05s``, ``3h 02m``, ``2d 04h``: an age for a person to read."""
    whole = max(0, int(seconds))
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600:02d}h"


@dataclass(frozen=True)
class StaleBooking:
    """A booking left unfinished (``open`` or ``submitted``), idle for a while.

    Attributes
    ----------
    booking_id : int
    tcn : str
    status : BookingStatus
    age_seconds : float
        Seconds since its last change or capture.
    prints : int
        Captures and annotations stored.
    responses : int
        Responses stored (an open booking after a RECAPTURE has one).
    station_id, operator : str

    Examples
    --------
    >>> StaleBooking(7, "BS-01-1", BookingStatus.OPEN, 3725.0, 3, 0, "BS-01", "ann").line()
    'BS-01-1: open, 3 prints, no response, idle 1h 02m (station BS-01, ann)'
    """

    booking_id: int
    tcn: str
    status: BookingStatus
    age_seconds: float
    prints: int
    responses: int
    station_id: str = ""
    operator: str = ""

    def line(self) -> str:
        """One line naming the TCN, status, what it holds and its age."""
        answered = f"{self.responses} response(s)" if self.responses else "no response"
        return (
            f"{self.tcn}: {self.status}, {self.prints} prints, {answered}, idle "
            f"{_duration(self.age_seconds)} (station {self.station_id}, {self.operator})"
        )


@dataclass(frozen=True)
class ResumeResult:
    """What resuming a stale booking did.

    Attributes
    ----------
    booking_id : int
    tcn : str
    response : Response or None
        The response stored by submitting it again; ``None`` when the booking stays open
        for capture.
    pending : tuple of str
        Rolled fingers neither captured nor annotated (capture them, then submit).
    """

    booking_id: int
    tcn: str
    response: Response | None
    pending: tuple[str, ...] = ()


@dataclass(frozen=True)
class SystemAnswer:
    """One agency's message for a booking, as the transactions panel and ``station book``
    show it (:class:`~station.service.secure_communities.SecureCommunities`).

    Attributes
    ----------
    system : System
        ``STATE``, ``NGI``, ``IDENT`` or ``LESC``.
    tot : str
        The request's type of transaction (``CAR``/``CNA`` to the biometric agencies,
        ``IAQ`` to LESC).
    status : SystemStatus
        ``pending``, ``answered``, ``error`` or ``timeout``.
    result : str or None
        ``ident``/``non-ident``, ``match``/``no match``, ``removable``/``not removable``, the
        ERRT's reason, or ``None`` while pending or after a time-out.
    sent_at, answered_at : str or None
        Stored times (ISO-8601 UTC); ``answered_at`` is ``None`` while pending.
    details : dict
        The answer's content: record numbers, criminal history (``arrests``), IDENT
        ``encounters``, LESC's ``status``, ``removable``, ``level``, ``detainer`` …
    response_tot : str or None
        ``SRE``, ``ERRT`` or ``IAR``.
    tcn : str
        The message's own number.
    booking_id : int
    replaces : int or None
        Id of the message this one resubmits.
    message_id : int
        The queue row.

    Examples
    --------
    >>> a = SystemAnswer(System.NGI, "CAR", SystemStatus.PENDING, None, "2026-12-01T10:00:00.000Z",
    ...                  None, {}, None, tcn="T1-NGI", booking_id=1)
    >>> a.to_json()["status"], a.final
    ('pending', False)
    """

    system: System
    tot: str
    status: SystemStatus
    result: str | None
    sent_at: str
    answered_at: str | None
    details: Mapping[str, Any]
    response_tot: str | None
    tcn: str = ""
    booking_id: int = 0
    replaces: int | None = None
    message_id: int = 0

    @property
    def final(self) -> bool:
        """Whether the status will not change any more."""
        return self.status is not SystemStatus.PENDING

    @property
    def identified(self) -> bool:
        """Whether the agency identified the subject (an answered ident or match)."""
        return self.status is SystemStatus.ANSWERED and self.result in ("ident", "match")

    def to_json(self) -> dict[str, Any]:
        """The answer as ``station book`` prints it in ``systems``."""
        return {
            "system": str(self.system),
            "tot": self.tot,
            "status": str(self.status),
            "result": self.result,
            "sent_at": self.sent_at,
            "answered_at": self.answered_at,
            "response_tot": self.response_tot,
            "tcn": self.tcn,
            "details": dict(self.details),
        }
