"""The one interface of an emulated agency, and the plain data it takes and gives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from station.core.vocabulary import System, SystemStatus

__all__ = ["AGENCY_ORI", "Agency", "AgencyAnswer", "AgencyRequest"]

#: Each agency's originating agency identifier in its answers (nine letters or digits; made up).
AGENCY_ORI: dict[System, str] = {
    System.STATE: "NYDCJS000",
    System.NGI: "WVIAFIS0Z",
    System.IDENT: "DHSIDENT0",
    System.LESC: "ICELESC00",
}


@dataclass(frozen=True)
class AgencyRequest:
    """One message to an agency.

    Parameters
    ----------
    system : System
        Who it goes to.
    tcn : str
        The message's own number (the queue's row).
    booking_tcn : str
        The booking's TCN.
    tot : str
        ``CAR`` (or ``CNA``) to the biometric agencies, ``IAQ`` to LESC.
    ori : str
        The booking station's agency.
    date : datetime.date
    message : bytes
        The request as sent: the booking's EBTS transaction, or the IAQ text.
    candidates : tuple of (int, float)
        The station's search candidates: gallery subject id and fused score, best first.
    charge_levels : tuple of int
        Levels 1-3 of the booking's current charges (empty when it has none).
    subject_id : int, optional
        LESC: the subject IDENT matched.
    """

    system: System
    tcn: str
    booking_tcn: str
    tot: str
    ori: str
    date: dt.date
    message: bytes = b""
    candidates: tuple[tuple[int, float], ...] = ()
    charge_levels: tuple[int, ...] = ()
    subject_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "system", System.parse(self.system, what="system"))
        for name in ("tcn", "booking_tcn", "tot", "ori"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"request {name} must be non-empty text, got {value!r}")
        if any(v not in (1, 2, 3) for v in self.charge_levels):
            raise ValueError(f"charge levels are 1-3, got {self.charge_levels!r}")
        if self.system is System.LESC and self.subject_id is None:
            raise ValueError("an IAQ to LESC names the subject IDENT matched (subject_id)")
        object.__setattr__(
            self, "candidates", tuple((int(s), float(v)) for s, v in self.candidates)
        )
        object.__setattr__(self, "charge_levels", tuple(self.charge_levels))


@dataclass(frozen=True)
class AgencyAnswer:
    """An agency's answer.

    Attributes
    ----------
    status : SystemStatus
        ``answered``, or ``error`` (the agency sent an ERRT).
    response_tot : str
        ``SRE``, ``ERRT`` or ``IAR``.
    result : str
        ``ident`` / ``non-ident`` (state, NGI), ``match`` / ``no match`` (IDENT),
        ``removable`` / ``not removable`` (LESC), or the ERRT's reason.
    details : dict
        What the answer says, as JSON-able data (numbers, history, status, level …).
    response : bytes
        The answer as sent.
    subject_id : int or None
        The gallery subject the agency identified (``None``: none).
    """

    status: SystemStatus
    response_tot: str
    result: str
    details: dict[str, Any] = field(default_factory=dict)
    response: bytes = b""
    subject_id: int | None = None

    @property
    def identified(self) -> bool:
        """Whether the agency identified the subject (ident or match)."""
        return self.subject_id is not None


@runtime_checkable
class Agency(Protocol):
    """An emulated agency: its system and its answer to a request."""

    @property
    def system(self) -> System:
        """Which system this agency is."""
        ...

    def answer(self, request: AgencyRequest) -> AgencyAnswer:
        """The agency's answer to ``request`` (from its own holdings)."""
        ...
