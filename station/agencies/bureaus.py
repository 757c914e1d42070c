"""The four agencies: :class:`StateBureau`, :class:`Ngi`, :class:`Ident` and :class:`Lesc`.

The biometric three share one rule: from the station's search candidates, keep the subjects
that hold a record in the agency's repository; the best of them identifies the subject when
its fused score reaches that repository's HIT threshold (``DispositionPolicy.thresholds``).
The state bureau and NGI answer with an EBTS SRE (ident: the SID or the FBI number, the
criminal history) or, when down, an ERRT; IDENT answers match or no match with its encounter
history, FIN and A-number. LESC answers an IAQ with an IAR (:mod:`station.interchange.ice`).

ICE's rules as emulated here (a simplification; the levels are Secure Communities'):
the priority level is the most serious level among the subject's charges that stand (arrests
convicted or pending; dismissed and acquitted ones do not count) and the booking's current
charges; a detainer (I-247) is recommended on Level 1. Removable: a visa overstay, a person
removed before, a visitor convicted of a Level 1 or 2 offence, a permanent resident convicted
of a Level 1 offence (:func:`removable`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from station.core.disposition import DispositionPolicy
from station.core.vocabulary import Disposition, Repository, System, SystemStatus
from station.gallery import Gallery
from station.interchange import HitSubject, SubmissionResponse, build_response, write_transaction
from station.interchange.ice import AlienResponse

from .base import AGENCY_ORI, Agency, AgencyAnswer, AgencyRequest

__all__ = [
    "Ident",
    "Lesc",
    "Ngi",
    "StateBureau",
    "agency_for",
    "agency_results",
    "priority_level",
    "removable",
]

#: Court dispositions under which a charge still counts for ICE's priority level.
_STANDING = ("convicted", "pending")
#: Immigration statuses removable whatever the record.
_ALWAYS_REMOVABLE = ("visa overstay", "previously removed")


def priority_level(
    arrests: Iterable[Mapping[str, Any]],
    *,
    record_levels: Iterable[int | None] = (),
    charge_levels: Iterable[int] = (),
) -> int | None:
    """ICE's priority level: the most serious standing charge or conviction (1 … 3).

    Parameters
    ----------
    arrests : iterable of mapping
        Criminal history arrests (``level`` and ``disposition``).
    record_levels : iterable of int or None
        Offence levels of records that carry no history (galleries from before schema 6).
    charge_levels : iterable of int
        The booking's current charges.

    Returns
    -------
    int or None
        ``None`` when nothing counts.

    Examples
    --------
    >>> priority_level([{"level": 1, "disposition": "dismissed"},
    ...                 {"level": 3, "disposition": "convicted"}], charge_levels=[2])
    2
    >>> priority_level([]) is None
    True
    """
    levels = [int(a["level"]) for a in arrests if a.get("disposition") in _STANDING]
    levels += [int(v) for v in record_levels if v is not None]
    levels += [int(v) for v in charge_levels]
    return min(levels) if levels else None


def removable(status: str, conviction_levels: Iterable[int]) -> bool:
    """Whether ICE would find the person removable (our simplified rule).

    Examples
    --------
    >>> removable("visa overstay", []), removable("lawful permanent resident", [2])
    (True, False)
    >>> removable("lawful permanent resident", [1]), removable("visitor in status", [2])
    (True, True)
    """
    levels = set(conviction_levels)
    if status in _ALWAYS_REMOVABLE:
        return True
    if status == "lawful permanent resident":
        return 1 in levels
    if status == "visitor in status":
        return bool(levels & {1, 2})
    return False


def _name(subject: Mapping[str, Any]) -> str | None:
    last, first = subject.get("last_name"), subject.get("first_name")
    if not (last or first):
        return None
    return f"{str(last or '').upper()},{str(first or '').upper()}"


def _date(text: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None  # a date of birth the agency cannot read is left out of its answer


def _errt(request: AgencyRequest, reason: str) -> AgencyAnswer:
    response = SubmissionResponse(
        tot="ERRT",
        tcn=f"{request.tcn}-R",
        tcr=request.tcn,
        ori=AGENCY_ORI[request.system],
        dai=request.ori,
        date=request.date,
        disposition=Disposition.ERROR,
        message=reason,
    )
    return AgencyAnswer(
        status=SystemStatus.ERROR,
        response_tot="ERRT",
        result=reason,
        details={"reason": reason},
        response=write_transaction(build_response(response)),
    )


class _Biometric:
    """An agency that identifies from prints against its own repository."""

    system: ClassVar[System]
    #: The answer's result: (identified, not identified).
    results: ClassVar[tuple[str, str]] = ("ident", "non-ident")

    def __init__(self, gallery: Gallery, policy: DispositionPolicy, *, down: bool = False) -> None:
        if not isinstance(policy, DispositionPolicy):
            raise ValueError(f"policy must be a DispositionPolicy, got {policy!r}")
        self.gallery = gallery
        self.policy = policy
        self.down = bool(down)

    @property
    def repository(self) -> Repository:
        """The repository this agency holds."""
        repo = self.system.repository
        assert repo is not None
        return repo

    def answer(self, request: AgencyRequest) -> AgencyAnswer:
        """SRE ident / non-ident (match / no match for IDENT), or ERRT when down."""
        if request.system is not self.system:
            raise ValueError(f"a {request.system} request sent to {self.system}")
        if self.down:
            return _errt(request, f"{self.system.description}: system unavailable")
        hit = self.policy.thresholds(self.repository).hit
        best: tuple[int, float, dict[str, Any]] | None = None
        held = 0
        for subject_id, score in request.candidates:
            record = next(
                (r for r in self.gallery.records(subject_id) if r["repository"] == self.repository),
                None,
            )
            if record is None:
                continue
            held += 1
            if score >= hit and (best is None or score > best[1]):
                best = (subject_id, score, record)
        common = {
            "tcn": f"{request.tcn}-R",
            "tcr": request.tcn,
            "ori": AGENCY_ORI[self.system],
            "dai": request.ori,
            "date": request.date,
        }
        if best is None:
            details = {"candidates_held": held, "threshold": hit}
            sre = SubmissionResponse(tot="SRE", disposition=Disposition.NO_HIT, **common)
            return AgencyAnswer(
                status=SystemStatus.ANSWERED,
                response_tot="SRE",
                result=self.results[1],
                details=details,
                response=write_transaction(build_response(sre)),
            )
        subject_id, score, record = best
        subject = self.gallery.subject(subject_id)
        details = {
            "subject_id": subject_id,
            "score": round(score, 4),
            "name": _name(subject),
            "date_of_birth": subject.get("date_of_birth"),
            **self._details(record),
        }
        sre = SubmissionResponse(
            tot="SRE",
            disposition=Disposition.HIT,
            subject=self._hit_subject(record, subject),
            message=self._message(record),
            **common,
        )
        return AgencyAnswer(
            status=SystemStatus.ANSWERED,
            response_tot="SRE",
            result=self.results[0],
            details=details,
            response=write_transaction(build_response(sre)),
            subject_id=subject_id,
        )

    def _details(self, record: Mapping[str, Any]) -> dict[str, Any]:
        history = record.get("history") or {}
        return {
            "record_number": record["record_number"],
            "offence_level": record.get("offence_level"),
            "charge": record.get("charge"),
            "arrests": list(history.get("arrests", [])),
        }

    def _hit_subject(self, record: Mapping[str, Any], subject: Mapping[str, Any]) -> HitSubject:
        return HitSubject(name=_name(subject), date_of_birth=_date(subject.get("date_of_birth")))

    def _message(self, record: Mapping[str, Any]) -> str:
        return ""


class StateBureau(_Biometric):
    """The state identification bureau: SID and the in-state criminal history."""

    system = System.STATE

    def _details(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return {"sid": record["record_number"], **super()._details(record)}

    def _hit_subject(self, record: Mapping[str, Any], subject: Mapping[str, Any]) -> HitSubject:
        base = super()._hit_subject(record, subject)
        return HitSubject(base.name, sid=record["record_number"], date_of_birth=base.date_of_birth)


class Ngi(_Biometric):
    """FBI NGI (formerly IAFIS): the FBI number (UCN) and the national criminal history."""

    system = System.NGI

    def _details(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return {"ucn": record["record_number"], **super()._details(record)}

    def _hit_subject(self, record: Mapping[str, Any], subject: Mapping[str, Any]) -> HitSubject:
        base = super()._hit_subject(record, subject)
        return HitSubject(base.name, fbi=record["record_number"], date_of_birth=base.date_of_birth)


class Ident(_Biometric):
    """DHS IDENT: match or no match, the encounter history, FIN and A-number."""

    system = System.IDENT
    results = ("match", "no match")

    def _details(self, record: Mapping[str, Any]) -> dict[str, Any]:
        history = record.get("history") or {}
        return {
            "fin": record["record_number"],
            "a_number": history.get("a_number"),
            "status": history.get("status"),
            "encounters": list(history.get("encounters", [])),
        }

    def _message(self, record: Mapping[str, Any]) -> str:
        history = record.get("history") or {}
        a_number = history.get("a_number")
        return f"IDENT match FIN {record['record_number']}" + (
            f" A-number {a_number}" if a_number else ""
        )


class Lesc:
    """ICE's Law Enforcement Support Center: answers an IAQ about the subject IDENT matched."""

    system = System.LESC
    #: The IAR's result: (removable, not removable).
    results: ClassVar[tuple[str, str]] = ("removable", "not removable")

    def __init__(self, gallery: Gallery, *, down: bool = False) -> None:
        self.gallery = gallery
        self.down = bool(down)

    def answer(self, request: AgencyRequest) -> AgencyAnswer:
        """An IAR: status, removable, priority level, detainer; ERRT when down."""
        if request.system is not System.LESC:
            raise ValueError(f"a {request.system} request sent to {self.system}")
        if self.down:
            return _errt(request, f"{self.system.description}: system unavailable")
        assert request.subject_id is not None
        records = self.gallery.records(request.subject_id)
        ident = next(
            (r for r in records if r["repository"] == Repository.FEDERAL_IMMIGRATION), None
        )
        history = (ident or {}).get("history") or {}
        status = history.get("status") or "unknown (no IDENT status on record)"
        arrests: dict[tuple[str, str], Mapping[str, Any]] = {}
        bare: list[int | None] = []
        for r in records:
            if r.get("offence_level") is None:
                continue
            listed = (r.get("history") or {}).get("arrests")
            if listed:
                for a in listed:
                    arrests[(str(a.get("date")), str(a.get("statute")))] = a
            else:
                bare.append(r.get("offence_level"))
        level = priority_level(
            arrests.values(), record_levels=bare, charge_levels=request.charge_levels
        )
        convictions = [int(a["level"]) for a in arrests.values() if a["disposition"] == "convicted"]
        can_remove = removable(status, convictions)
        detainer = level == 1
        iar = AlienResponse(
            tcn=f"{request.tcn}-R",
            tcr=request.tcn,
            date=request.date,
            status=status,
            removable=can_remove,
            level=level,
            detainer=detainer,
            a_number=history.get("a_number"),
            message="detainer (I-247) recommended" if detainer else "",
        )
        details = {
            "subject_id": request.subject_id,
            "status": status,
            "removable": can_remove,
            "level": level,
            "detainer": "I-247" if detainer else None,
            "a_number": history.get("a_number"),
            "fin": None if ident is None else ident["record_number"],
            "current_charge_levels": list(request.charge_levels),
        }
        return AgencyAnswer(
            status=SystemStatus.ANSWERED,
            response_tot="IAR",
            result=self.results[0] if can_remove else self.results[1],
            details=details,
            response=iar.to_bytes(),
            subject_id=request.subject_id,
        )


def agency_results(system: str) -> tuple[str, str]:
    """What ``system`` answers when it identifies the subject, and when it does not.

    Examples
    --------
    >>> agency_results("IDENT"), agency_results("LESC")
    (('match', 'no match'), ('removable', 'not removable'))
    """
    code = System.parse(system, what="system")
    kinds: dict[System, tuple[str, str]] = {
        System.STATE: StateBureau.results,
        System.NGI: Ngi.results,
        System.IDENT: Ident.results,
        System.LESC: Lesc.results,
    }
    return kinds[code]


def agency_for(
    system: str, gallery: Gallery, policy: DispositionPolicy, *, down: bool = False
) -> Agency:
    """The agency of ``system`` on ``gallery`` (``down``: it answers ERRT).

    Examples
    --------
    >>> agency_for("LESC", None, DispositionPolicy()).system  # doctest: +SKIP
    <System.LESC: 'LESC'>
    """
    code = System.parse(system, what="system")
    if code is System.LESC:
        return Lesc(gallery, down=down)
    kinds: dict[System, type[_Biometric]] = {
        System.STATE: StateBureau,
        System.NGI: Ngi,
        System.IDENT: Ident,
    }
    return kinds[code](gallery, policy, down=down)
