"""ICE's immigration alien query (IAQ) and immigration alien response (IAR), as text messages.

On an IDENT match, Secure Communities sends ICE's Law Enforcement Support Center (LESC) an
immigration alien query; LESC answers with the person's immigration status, whether the person
is removable, the priority level of the most serious charge or conviction (Level 1 the most
serious) and, on Level 1, a detainer recommendation (form I-247). The real messages travel
over NLETS as text; these are our own small ``KEY: value`` text form, one field a line, the
first line the message type.

Examples
--------
>>> import datetime as dt
>>> q = AlienQuery("T-1-LESC", "T-1", "NY0303000", dt.date(2026, 12, 1), "FIN-000000009",
...                a_number="A000000009", name="DOE,JOHN", charge_levels=(2,))
>>> parse_query(q.to_bytes()) == q
True
>>> r = AlienResponse("T-1-LESC-R", "T-1-LESC", dt.date(2026, 12, 1), "visa overstay",
...                   removable=True, level=1, detainer=True, a_number="A000000009")
>>> parse_response(r.to_bytes()) == r
True
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .ansi_nist import InterchangeError

__all__ = ["AlienQuery", "AlienResponse", "parse_query", "parse_response"]


def _fields(data: bytes, tot: str) -> dict[str, str]:
    if not isinstance(data, bytes | bytearray):
        raise InterchangeError(f"an {tot} is bytes, got {type(data).__name__}")
    try:
        lines = bytes(data).decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InterchangeError(f"{tot} is not UTF-8 text: {exc}") from None
    if not lines or lines[0].strip() != tot:
        first = lines[0].strip() if lines else ""
        raise InterchangeError(f"not an {tot} message: first line is {first!r}")
    out: dict[str, str] = {}
    for number, line in enumerate(lines[1:], start=2):
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise InterchangeError(f"{tot} line {number} is not 'KEY: value': {line!r}")
        out[key.strip().upper()] = value.strip()
    return out


def _text(tot: str, fields: dict[str, object]) -> bytes:
    lines = [tot]
    for key, value in fields.items():
        if value is None or value == "":
            continue
        text = str(value)
        if "\n" in text or "\r" in text:
            raise ValueError(f"{tot} field {key} must be one line, got {text!r}")
        lines.append(f"{key}: {text}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _need(fields: dict[str, str], key: str, tot: str) -> str:
    value = fields.get(key, "")
    if not value:
        raise InterchangeError(f"{tot} field {key} is missing")
    return value


def _date(text: str, tot: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InterchangeError(f"{tot} field DATE is not an ISO date: {text!r}") from None


def _levels(text: str, tot: str) -> tuple[int, ...]:
    if not text:
        return ()
    try:
        levels = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise InterchangeError(
            f"{tot} field CHARGE-LEVELS is not a list of 1-3: {text!r}"
        ) from None
    if any(v not in (1, 2, 3) for v in levels):
        raise InterchangeError(f"{tot} field CHARGE-LEVELS is not a list of 1-3: {text!r}")
    return levels


@dataclass(frozen=True)
class AlienQuery:
    """An IAQ: who asks about whom.

    Parameters
    ----------
    tcn : str
        The query's own number.
    tcr : str
        The booking's TCN (the submission that matched in IDENT).
    ori : str
        The asking agency.
    date : datetime.date
    fin : str
        The IDENT record (FIN) that matched.
    a_number : str, optional
        The alien registration number IDENT gave.
    name : str, optional
        ``LAST,FIRST`` as booked.
    charge_levels : tuple of int
        Levels of the booking's current charges, if it has any.
    """

    tcn: str
    tcr: str
    ori: str
    date: dt.date
    fin: str
    a_number: str | None = None
    name: str | None = None
    charge_levels: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for key in ("tcn", "tcr", "ori", "fin"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"IAQ {key} must be non-empty text, got {value!r}")
        if any(v not in (1, 2, 3) for v in self.charge_levels):
            raise ValueError(f"IAQ charge levels are 1-3, got {self.charge_levels!r}")
        object.__setattr__(self, "charge_levels", tuple(self.charge_levels))

    def to_bytes(self) -> bytes:
        """The message as text bytes."""
        return _text(
            "IAQ",
            {
                "TCN": self.tcn,
                "TCR": self.tcr,
                "ORI": self.ori,
                "DATE": self.date.isoformat(),
                "FIN": self.fin,
                "A-NUMBER": self.a_number,
                "NAME": self.name,
                "CHARGE-LEVELS": ",".join(str(v) for v in self.charge_levels),
            },
        )


@dataclass(frozen=True)
class AlienResponse:
    """An IAR: LESC's answer.

    Parameters
    ----------
    tcn, tcr : str
        The response's number and the query's.
    date : datetime.date
    status : str
        Immigration status in words (``visa overstay``, ``previously removed`` …).
    removable : bool
    level : int or None
        Priority level 1-3 of the most serious charge or conviction; ``None`` without one.
    detainer : bool
        Whether ICE recommends a detainer (I-247).
    a_number : str, optional
    message : str
        Free text.
    """

    tcn: str
    tcr: str
    date: dt.date
    status: str
    removable: bool
    level: int | None = None
    detainer: bool = False
    a_number: str | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.level is not None and self.level not in (1, 2, 3):
            raise ValueError(f"IAR level is 1-3 or None, got {self.level!r}")
        for key in ("tcn", "tcr", "status"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"IAR {key} must be non-empty text, got {value!r}")

    def to_bytes(self) -> bytes:
        """The message as text bytes."""
        return _text(
            "IAR",
            {
                "TCN": self.tcn,
                "TCR": self.tcr,
                "DATE": self.date.isoformat(),
                "STATUS": self.status,
                "REMOVABLE": "Y" if self.removable else "N",
                "LEVEL": self.level,
                "DETAINER": "I-247" if self.detainer else "N",
                "A-NUMBER": self.a_number,
                "MESSAGE": self.message,
            },
        )


def parse_query(data: bytes) -> AlienQuery:
    """The IAQ in ``data`` (``InterchangeError`` naming what is wrong)."""
    f = _fields(data, "IAQ")
    try:
        return AlienQuery(
            tcn=_need(f, "TCN", "IAQ"),
            tcr=_need(f, "TCR", "IAQ"),
            ori=_need(f, "ORI", "IAQ"),
            date=_date(_need(f, "DATE", "IAQ"), "IAQ"),
            fin=_need(f, "FIN", "IAQ"),
            a_number=f.get("A-NUMBER") or None,
            name=f.get("NAME") or None,
            charge_levels=_levels(f.get("CHARGE-LEVELS", ""), "IAQ"),
        )
    except ValueError as exc:
        raise InterchangeError(str(exc)) from None


def parse_response(data: bytes) -> AlienResponse:
    """The IAR in ``data`` (``InterchangeError`` naming what is wrong)."""
    f = _fields(data, "IAR")
    level = f.get("LEVEL") or None
    if level is not None and level not in ("1", "2", "3"):
        raise InterchangeError(f"IAR field LEVEL is not 1-3: {level!r}")
    try:
        return AlienResponse(
            tcn=_need(f, "TCN", "IAR"),
            tcr=_need(f, "TCR", "IAR"),
            date=_date(_need(f, "DATE", "IAR"), "IAR"),
            status=_need(f, "STATUS", "IAR"),
            removable=_need(f, "REMOVABLE", "IAR") == "Y",
            level=None if level is None else int(level),
            detainer=f.get("DETAINER") == "I-247",
            a_number=f.get("A-NUMBER") or None,
            message=f.get("MESSAGE", ""),
        )
    except ValueError as exc:
        raise InterchangeError(str(exc)) from None
