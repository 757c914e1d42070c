"""Secure Communities: a booking's prints go to the state bureau, FBI NGI and DHS IDENT; an
IDENT match sends ICE's LESC an immigration alien query. Plain data in, typed results out.

The flow (the states are :class:`~station.core.vocabulary.SystemStatus`)::

    booking responded ──send──▶ STATE  pending ──▶ answered (ident / non-ident) | error | timeout
                           ├──▶ NGI    pending ──▶ answered (ident / non-ident) | error | timeout
                           └──▶ IDENT  pending ──▶ answered (match / no match) | error | timeout
                                                      │ match
                                                      ▼
                                       LESC   pending ──▶ answered (IAR) | error | timeout

Every message is a row of the gallery's agency queue (``agency_messages``), so every station
on the same gallery sees, answers and shows the same messages. :meth:`SecureCommunities.send`
queues the booking's EBTS submission (its CAR or CNA) to the three biometric agencies;
:meth:`SecureCommunities.pump` answers every message that is due — each agency answers after
its delay from the settings (``[agencies]``), an agency set ``down`` answers ERRT "system
unavailable", a message not answered by its deadline (``timeout`` seconds after it was sent)
times out — and fans out the IAQ to LESC on an IDENT match. The answer's time is the time the
agency answered (sent + delay), whenever the pump runs. Two stations pumping one queue never
answer one message twice (the gallery settles a message only while it is pending).

API, as the GUI uses it:

- :meth:`~SecureCommunities.send` ``(booking_id)``: after the search responded; queues STATE,
  NGI, IDENT; returns their :class:`~station.service.results.SystemAnswer` (pending).
- :meth:`~SecureCommunities.pump` ``(now=None) -> int``: settle what is due; how many settled.
- :meth:`~SecureCommunities.systems` ``(booking_id)``: the latest message per system.
- :meth:`~SecureCommunities.history` ``(booking_id)``: every message, resubmitted ones too.
- :meth:`~SecureCommunities.in_flight` ``()``: every pending message of every booking.
- :meth:`~SecureCommunities.wait` ``(booking_id, timeout)``: pump until all are final.
- :meth:`~SecureCommunities.resubmit` ``(booking_id, system)``: after an error or a time-out,
  a new message (the old row stays; the new one answers).
- :meth:`~SecureCommunities.overall` ``(booking_id)``: the booking's disposition with the
  agencies' answers: HIT when the station's own search or any agency identified the subject.

Examples
--------
>>> sc = SecureCommunities(service)  # doctest: +SKIP
>>> sc.send(booking_id)  # doctest: +SKIP
>>> [(a.system.value, a.status.value, a.result) for a in sc.wait(booking_id, 5)]  # doctest: +SKIP
[('STATE', 'answered', 'ident'), ('NGI', 'answered', 'ident'), ('IDENT', 'answered', 'match'),
 ('LESC', 'answered', 'removable')]
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from station.agencies import AgencyAnswer, AgencyRequest, agency_for
from station.core.arrest import Arrest
from station.core.vocabulary import Disposition, System, SystemStatus
from station.gallery import Gallery, GalleryError
from station.gallery.agencies import message_digest
from station.interchange import write_transaction
from station.interchange.ice import AlienQuery
from station.settings import AgencySettings, get_settings

from .accounts import Permission
from .booking import BookingService
from .results import SystemAnswer

__all__ = [
    "BIOMETRIC_SYSTEMS",
    "FAN_OUT",
    "RESUBMITTABLE",
    "SecureCommunities",
    "booking_charge_levels",
]

log = logging.getLogger(__name__)

#: The systems a booking's prints go to, in the order they are queued and shown.
BIOMETRIC_SYSTEMS: tuple[System, ...] = (System.STATE, System.NGI, System.IDENT)
#: The fan-out: when the key system identifies the subject, the value system is queried
#: (an IDENT match sends LESC the immigration alien query).
FAN_OUT: dict[System, System] = {System.IDENT: System.LESC}
#: The statuses a message is resubmitted from (:meth:`SecureCommunities.resubmit`).
RESUBMITTABLE: tuple[SystemStatus, ...] = (SystemStatus.ERROR, SystemStatus.TIMEOUT)
_ORDER = {s: i for i, s in enumerate(System)}
_SEARCHED = (Disposition.HIT, Disposition.NO_HIT, Disposition.REVIEW)


def _utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return dt.datetime.now(dt.UTC)
    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise ValueError(f"now must be a datetime with a time zone, got {now!r}")
    return now.astimezone(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC)


def booking_charge_levels(gallery: Gallery, booking_id: int) -> tuple[int, ...]:
    """Levels 1-3 of a booking's current charges, from its arrest data (A2's ``arrests``).

    Parameters
    ----------
    gallery : Gallery
        The gallery holding the booking.
    booking_id : int
        The booking.

    Returns
    -------
    tuple of int
        One level per charge of the booking's arrest, in the arrest's order; empty when the
        booking has no arrest data.

    Examples
    --------
    >>> booking_charge_levels(gallery, booking_id)  # doctest: +SKIP
    (1, 3)
    """
    row = gallery.arrest(booking_id)
    if row is None:
        return ()
    return tuple(charge.level for charge in Arrest.from_json(row).charges)


def _answer(row: Mapping[str, Any]) -> SystemAnswer:
    return SystemAnswer(
        system=System(row["system"]),
        tot=row["tot"],
        status=SystemStatus(row["status"]),
        result=row["result"],
        sent_at=row["sent_at"],
        answered_at=row["answered_at"],
        details=dict(row["details"] or {}),
        response_tot=row["response_tot"],
        tcn=row["tcn"],
        booking_id=int(row["booking_id"]),
        replaces=row["replaces"],
        message_id=int(row["id"]),
    )


class SecureCommunities:
    """The booking's messages to the agencies, on the booking service's gallery.

    Parameters
    ----------
    service : BookingService
        The booking service (its gallery, policy, station id and operator).
    settings : AgencySettings, optional
        Delays, time-out and agencies down (default: the settings in force, ``[agencies]``).
    ori : str, optional
        The station's agency identifier (default: ``[station] ori``).
    """

    def __init__(
        self,
        service: BookingService,
        *,
        settings: AgencySettings | None = None,
        ori: str | None = None,
    ) -> None:
        if not isinstance(service, BookingService):
            raise ValueError(f"service must be a BookingService, got {service!r}")
        if settings is not None and not isinstance(settings, AgencySettings):
            raise ValueError(f"settings must be AgencySettings, got {settings!r}")
        self.service = service
        self.settings = settings if settings is not None else get_settings().agencies
        self.ori = ori or get_settings().station.ori

    @property
    def gallery(self) -> Gallery:
        """The gallery the queue lives in."""
        return self.service.gallery

    # --- sending ------------------------------------------------------------------------

    def _schedule(self, system: System, sent: dt.datetime) -> dict[str, str]:
        return {
            "sent_at": _stamp(sent),
            "due_at": _stamp(sent + dt.timedelta(seconds=self.settings.delay(system))),
            "deadline_at": _stamp(sent + dt.timedelta(seconds=self.settings.timeout)),
        }

    def _search_response(self, booking_id: int) -> Any:
        response = self.service.latest_response(booking_id)
        if response.disposition not in _SEARCHED:
            raise GalleryError(
                f"booking {response.tcn} was not searched ({response.disposition}): the "
                "agencies get a booking whose search responded"
            )
        return response

    def send(self, booking_id: int, *, now: dt.datetime | None = None) -> tuple[SystemAnswer, ...]:
        """Queue the booking's submission to the state bureau, NGI and IDENT.

        Parameters
        ----------
        booking_id : int
            A booking whose search responded (HIT, NO HIT or REVIEW).
        now : datetime, optional
            When it is sent (default: now).

        Returns
        -------
        tuple of SystemAnswer
            The three pending messages.

        Raises
        ------
        GalleryError
            The booking was not searched, or was sent already (use :meth:`resubmit`).
        """
        from .transactions import submission_transaction

        self.service.allow(Permission.BOOK)
        _utc(now)  # checked before anything is built
        response = self._search_response(booking_id)
        if self.gallery.agency_messages(booking_id):
            raise GalleryError(
                f"booking {response.tcn} was sent to the agencies already: resubmit a system"
            )
        data = write_transaction(submission_transaction(self.service, booking_id, ori=self.ori))
        digest = message_digest(data)
        booking = self.gallery.booking(booking_id)
        sent = _utc(now)  # once the transaction is built: the agencies' delays start here
        with self.gallery.transaction():
            for system in BIOMETRIC_SYSTEMS:
                self.gallery.add_agency_message(
                    booking_id,
                    tcn=f"{booking['tcn']}-{system}",
                    system=system,
                    tot=booking["transaction_type"],
                    request_digest=digest,
                    details={"bytes": len(data)},
                    **self._schedule(system, sent),
                )
            self.gallery.audit(
                "send to agencies",
                actor=self.service.actor,
                booking_id=booking_id,
                detail={"systems": [str(s) for s in BIOMETRIC_SYSTEMS], "digest": digest},
            )
        return self.systems(booking_id)

    def resubmit(
        self, booking_id: int, system: str, *, now: dt.datetime | None = None
    ) -> SystemAnswer:
        """Send ``system`` the booking's message again after an error or a time-out.

        The old message stays as it is (the booking's history keeps it); the new one, which
        names it in ``replaces``, is the one :meth:`systems` shows and the agency answers.

        Raises
        ------
        GalleryError
            The booking never sent ``system`` a message, or its latest one is pending or was
            answered.
        """
        self.service.allow(Permission.BOOK)
        code = System.parse(system, what="system")
        sent = _utc(now)
        latest = {a.system: a for a in self.systems(booking_id)}.get(code)
        booking = self.gallery.booking(booking_id)
        if latest is None:
            raise GalleryError(f"booking {booking['tcn']} sent {code} nothing to resubmit")
        if latest.status not in RESUBMITTABLE:
            raise GalleryError(
                f"{code} for booking {booking['tcn']} is {latest.status}: only an error or a "
                "time-out is resubmitted"
            )
        old = self.gallery.agency_message(latest.message_id)
        count = sum(1 for m in self.gallery.agency_messages(booking_id) if m["system"] == code)
        keep = ("bytes", "subject_id", "fin", "a_number")
        details = {k: v for k, v in old["details"].items() if k in keep}
        with self.gallery.transaction():
            new_id = self.gallery.add_agency_message(
                booking_id,
                tcn=f"{booking['tcn']}-{code}-{count + 1}",
                system=code,
                tot=old["tot"],
                request_digest=old["request_digest"],
                replaces=old["id"],
                details=details,
                **self._schedule(code, sent),
            )
            self.gallery.audit(
                "resubmit to agency",
                actor=self.service.actor,
                booking_id=booking_id,
                detail={"system": str(code), "replaces": old["tcn"], "message_id": new_id},
            )
        return _answer(self.gallery.agency_message(new_id))

    # --- answering ----------------------------------------------------------------------

    def pump(self, now: dt.datetime | None = None) -> int:
        """Settle every message that is due by ``now``: answers, errors and time-outs.

        A message is answered when its agency's delay has passed (at ``due_at``), unless
        its deadline came first: then it times out. An IDENT match queues LESC's IAQ in the
        same transaction, sent when IDENT answered; it is settled in the same call when it is
        due too.

        Returns
        -------
        int
            How many messages this call settled (another station's settlements not counted).
        """
        moment = _utc(now)
        settled = 0
        while True:
            changed = 0
            for row in self.gallery.agency_messages(status=SystemStatus.PENDING):
                due, deadline = _parse(row["due_at"]), _parse(row["deadline_at"])
                if due <= deadline and moment >= due:
                    changed += self._answer(row, due)
                elif moment >= deadline:
                    changed += self._time_out(row, deadline)
            settled += changed
            if not changed:
                return settled

    def _request(self, row: Mapping[str, Any], at: dt.datetime) -> AgencyRequest:
        system = System(row["system"])
        booking = self.gallery.booking(row["booking_id"])
        charges = booking_charge_levels(self.gallery, int(row["booking_id"]))
        if system is System.LESC:
            subject_id = int(row["details"]["subject_id"])
            query = AlienQuery(
                tcn=row["tcn"],
                tcr=booking["tcn"],
                ori=self.ori,
                date=at.date(),
                fin=str(row["details"].get("fin") or "unknown"),
                a_number=row["details"].get("a_number"),
                charge_levels=charges,
            )
            return AgencyRequest(
                system=system,
                tcn=row["tcn"],
                booking_tcn=booking["tcn"],
                tot=row["tot"],
                ori=self.ori,
                date=at.date(),
                message=query.to_bytes(),
                charge_levels=charges,
                subject_id=subject_id,
            )
        response = self._search_response(int(row["booking_id"]))
        return AgencyRequest(
            system=system,
            tcn=row["tcn"],
            booking_tcn=booking["tcn"],
            tot=row["tot"],
            ori=self.ori,
            date=at.date(),
            candidates=tuple((c.subject_id, c.score) for c in response.candidates),
            charge_levels=charges,
        )

    def _answer(self, row: Mapping[str, Any], at: dt.datetime) -> int:
        system = System(row["system"])
        request = self._request(row, at)
        agency = agency_for(
            system, self.gallery, self.service.policy, down=self.settings.is_down(system)
        )
        answer: AgencyAnswer = agency.answer(request)
        with self.gallery.transaction():
            if not self.gallery.settle_agency_message(
                row["id"],
                status=answer.status,
                answered_by=self.service.station_id,
                answered_at=_stamp(at),
                response_tot=answer.response_tot,
                result=answer.result,
                details=answer.details,
                response=answer.response,
            ):
                return 0  # another station answered it first
            if FAN_OUT.get(system) is System.LESC and answer.identified:
                query = AgencyRequest(
                    system=System.LESC,
                    tcn=f"{request.booking_tcn}-LESC",
                    booking_tcn=request.booking_tcn,
                    tot="IAQ",
                    ori=self.ori,
                    date=at.date(),
                    subject_id=answer.subject_id,
                )
                lesc = self._request_of_query(query, answer, request.charge_levels)
                self.gallery.add_agency_message(
                    row["booking_id"],
                    tcn=self._unique_tcn(query.tcn),
                    system=System.LESC,
                    tot="IAQ",
                    request_digest=message_digest(lesc),
                    details={
                        "subject_id": answer.subject_id,
                        "fin": answer.details.get("fin"),
                        "a_number": answer.details.get("a_number"),
                    },
                    **self._schedule(System.LESC, at),
                )
        return 1

    def _request_of_query(
        self, query: AgencyRequest, answer: AgencyAnswer, charges: tuple[int, ...]
    ) -> bytes:
        return AlienQuery(
            tcn=query.tcn,
            tcr=query.booking_tcn,
            ori=self.ori,
            date=query.date,
            fin=str(answer.details.get("fin") or "unknown"),
            a_number=answer.details.get("a_number"),
            name=answer.details.get("name"),
            charge_levels=charges,
        ).to_bytes()

    def _unique_tcn(self, tcn: str) -> str:
        taken = {m["tcn"] for m in self.gallery.agency_messages()}
        if tcn not in taken:
            return tcn
        n = 2
        while f"{tcn}-{n}" in taken:
            n += 1
        return f"{tcn}-{n}"

    def _time_out(self, row: Mapping[str, Any], at: dt.datetime) -> int:
        with self.gallery.transaction():
            return int(
                self.gallery.settle_agency_message(
                    row["id"],
                    status=SystemStatus.TIMEOUT,
                    answered_by=self.service.station_id,
                    answered_at=_stamp(at),
                    details={"timeout": self.settings.timeout},
                )
            )

    # --- reading ------------------------------------------------------------------------

    def history(self, booking_id: int) -> tuple[SystemAnswer, ...]:
        """Every message of the booking, oldest first (resubmitted ones included)."""
        return tuple(_answer(r) for r in self.gallery.agency_messages(booking_id))

    def systems(self, booking_id: int) -> tuple[SystemAnswer, ...]:
        """The latest message to each system, in the order STATE, NGI, IDENT, LESC."""
        latest: dict[System, SystemAnswer] = {}
        for answer in self.history(booking_id):
            latest[answer.system] = answer
        return tuple(sorted(latest.values(), key=lambda a: _ORDER[a.system]))

    def in_flight(self) -> tuple[SystemAnswer, ...]:
        """Every pending message of every booking, oldest first (a transactions panel)."""
        return tuple(_answer(r) for r in self.gallery.agency_messages(status=SystemStatus.PENDING))

    def done(self, booking_id: int) -> bool:
        """Whether every system of the booking has its final answer (LESC included)."""
        answers = self.systems(booking_id)
        return bool(answers) and all(a.final for a in answers)

    def wait(
        self,
        booking_id: int,
        timeout: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> tuple[SystemAnswer, ...]:
        """Pump until every answer of the booking is final, or ``timeout`` seconds passed.

        Returns
        -------
        tuple of SystemAnswer
            As :meth:`systems`; pending ones remain when the time ran out.
        """
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
            raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        end = clock() + float(timeout)
        while True:
            self.pump()
            if self.done(booking_id) or not self.systems(booking_id):
                return self.systems(booking_id)
            left = end - clock()
            if left <= 0:
                return self.systems(booking_id)
            sleep(min(left, self._next_event(booking_id)))

    def _next_event(self, booking_id: int) -> float:
        """Seconds until the booking's next pending message is due or times out (>= 10 ms)."""
        now = dt.datetime.now(dt.UTC)
        waits = []
        for a in self.systems(booking_id):
            if a.final:
                continue
            row = self.gallery.agency_message(a.message_id)
            event = min(_parse(row["due_at"]), _parse(row["deadline_at"]))
            waits.append((event - now).total_seconds())
        return max(0.01, min(waits, default=0.05))

    def overall(self, booking_id: int) -> Disposition:
        """The booking's disposition with the agencies: HIT when the station's search (and
        its examiner) or any agency identified the subject, else the station's own."""
        own = self.service.outcome(booking_id).disposition
        if own is Disposition.HIT or any(a.identified for a in self.systems(booking_id)):
            return Disposition.HIT
        return own
