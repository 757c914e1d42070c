"""A booking's arrest data as plain values: the arrest number, the agency, the charges.

:class:`Arrest` is what a booking holds besides the subject's demographics (EBTS Type-2:
2.009 OCA, 2.025 RAC, 2.026 SMT, 2.045 DOA, 2.047 ASL); its level is the most serious
charge's, looked up in :mod:`station.core.offences`. The rules an officer's entry must follow
(ORI format, dates not in the future …) are checked by :mod:`station.service.arrest`; the
types here only refuse values of the wrong kind.

Examples
--------
>>> import datetime as dt
>>> arrest = Arrest(oca="A-1", ori="NY0303000", date_of_arrest=dt.date(2026, 3, 4),
...                 charges=(Charge("PL140.25"), Charge("PL155.25")), race=Race.W)
>>> arrest.level
2
>>> Arrest.from_json(arrest.to_json()) == arrest
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .offences import Offence, level_of, offence
from .vocabulary import Race

__all__ = ["Arrest", "Charge"]


def _date(value: object, what: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{what} must be a date (YYYY-MM-DD), got {value!r}")


@dataclass(frozen=True)
class Charge:
    """One charge: an offence of the table and, when known, the date of the offence.

    Attributes
    ----------
    code : str
        Offence code (:data:`station.core.offences.OFFENCES`), normalised to the table's.
    offence_date : datetime.date or None
        When the offence was committed (EBTS 2.047 ASL's first item).
    """

    code: str
    offence_date: dt.date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", offence(self.code).code)
        if self.offence_date is not None:
            object.__setattr__(self, "offence_date", _date(self.offence_date, "offence date"))

    @property
    def offence(self) -> Offence:
        """The offence charged."""
        return offence(self.code)

    @property
    def level(self) -> int:
        """Its Secure Communities level (1 the most serious)."""
        return self.offence.level

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "offence_date": None if self.offence_date is None else self.offence_date.isoformat(),
        }

    @classmethod
    def from_json(cls, data: object) -> Charge:
        """A charge from :meth:`to_json`'s form (``ValueError`` if it is not one)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("code"), str):
            raise ValueError(f"a charge must be an object with a code, got {data!r}")
        return cls(data["code"], data.get("offence_date"))


@dataclass(frozen=True)
class Arrest:
    """The arrest a booking is for.

    Attributes
    ----------
    oca : str
        Arrest number, the originating agency's case number (EBTS 2.009 OCA).
    ori : str
        Arresting agency's ORI (9 characters, NCIC format).
    date_of_arrest : datetime.date
        EBTS 2.045 DOA.
    charges : tuple of Charge
        At least one (EBTS 2.047 ASL, one subfield each).
    race : Race
        EBTS 2.025 RAC (mandatory in a criminal submission).
    smt : tuple of str
        Scars, marks and tattoos, one description each (EBTS 2.026 SMT).
    """

    oca: str
    ori: str
    date_of_arrest: dt.date
    charges: tuple[Charge, ...]
    race: Race
    smt: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("oca", "ori"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"arrest {name} must be non-empty text")
        object.__setattr__(self, "date_of_arrest", _date(self.date_of_arrest, "date of arrest"))
        charges = tuple(self.charges)
        if not charges or not all(isinstance(c, Charge) for c in charges):
            raise ValueError("an arrest needs one or more Charge values")
        object.__setattr__(self, "charges", charges)
        object.__setattr__(self, "race", Race.parse(self.race, what="race"))
        smt = tuple(self.smt)
        if not all(isinstance(s, str) and s.strip() for s in smt):
            raise ValueError("scars, marks and tattoos must be non-empty text")
        object.__setattr__(self, "smt", smt)

    @property
    def level(self) -> int:
        """The most serious charge's level (1 the most serious)."""
        level = level_of(c.code for c in self.charges)
        assert level is not None  # an arrest has at least one charge
        return level

    def to_json(self) -> dict[str, Any]:
        """Plain JSON values (dates as ISO text); the level is not stored, it is computed."""
        return {
            "oca": self.oca,
            "ori": self.ori,
            "date_of_arrest": self.date_of_arrest.isoformat(),
            "charges": [c.to_json() for c in self.charges],
            "race": str(self.race),
            "smt": list(self.smt),
        }

    @classmethod
    def from_json(cls, data: object) -> Arrest:
        """An arrest from :meth:`to_json`'s form (``ValueError`` if it is not one)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"an arrest must be an object, got {type(data).__name__}")
        charges = data.get("charges")
        if not isinstance(charges, list | tuple):
            raise ValueError("an arrest's charges must be a list")
        return cls(
            oca=data.get("oca"),  # type: ignore[arg-type]  # checked in __post_init__
            ori=data.get("ori"),  # type: ignore[arg-type]
            date_of_arrest=data.get("date_of_arrest"),  # type: ignore[arg-type]
            charges=tuple(Charge.from_json(c) for c in charges),
            race=data.get("race"),  # type: ignore[arg-type]
            smt=tuple(data.get("smt") or ()),
        )
