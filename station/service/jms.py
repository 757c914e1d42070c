"""A mock jail management system (JMS): booking numbers to demographics and arrest data.

A jail's management system records the arrest before the person reaches the live-scan
station; operators prefer typing its booking number to entering the data again. This one
reads a JSON export::

    {"format": "booking-station-jms", "version": 1,
     "bookings": [{"booking_number": "BK26-00000",
                   "demographics": {"last_name": …, "date_of_birth": "1987-02-14", …},
                   "arrest": {"oca": "26-104233", "ori": "NY0303000",
                              "date_of_arrest": "2026-10-27",
                              "charges": [{"code": "PL140.25", "offence_date": "2026-10-26"}],
                              "race": "W", "smt": ["TAT R ARM"]}}, …]}

``demographics`` holds the fields of :data:`~station.core.vocabulary.DEMOGRAPHIC_FIELDS`,
``arrest`` those of :data:`~station.service.arrest.ARREST_FIELDS`. The station ships one
(``station/data/jms_bookings.json``: booking ``BK26-000KK`` is synthetic subject ``KK`` of
population 0, made by :func:`synthetic_jms_bookings`); a site names its own export with
``[paths] jms`` in the settings (a file, or a folder holding ``jms_bookings.json``). A record
is handed over as it is in the export, so the officer can correct it before the booking opens;
the booking checks it (:func:`~station.service.demographics.check_demographics`,
:func:`~station.service.arrest.check_arrest`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.core.offences import OFFENCES
from station.core.synth.population import demographics
from station.core.vocabulary import Race

__all__ = [
    "JMS_FILE_NAME",
    "JMS_FORMAT",
    "MAX_JMS_BYTES",
    "SHIPPED_JMS",
    "JailManagementSystem",
    "JmsBooking",
    "JmsError",
    "jms_path",
    "synthetic_jms_bookings",
]

log = logging.getLogger(__name__)

#: ``format`` and ``version`` of a JMS export file.
JMS_FORMAT, JMS_VERSION = "booking-station-jms", 1
#: Name of the export in a folder named by ``[paths] jms``.
JMS_FILE_NAME = "jms_bookings.json"
#: The station's own demonstration export (synthetic subjects 0-11 of population 0).
SHIPPED_JMS = Path(__file__).resolve().parent.parent / "data" / JMS_FILE_NAME
#: Largest export read, in bytes (a booking takes about 600).
MAX_JMS_BYTES = 8_000_000
#: Subjects in the shipped export, and the day its arrests are counted back from.
SHIPPED_SUBJECTS, SHIPPED_UNTIL = 12, dt.date(2026, 11, 20)

#: Arresting agencies of the synthetic arrests (NCIC ORI format; made up, New York's "NY").
_AGENCIES = ("NY0303000", "NY0303100", "NY0303200", "NY0304000")
#: Scars, marks and tattoos as NCIC SMT codes write them.
_SMT = ("TAT R ARM", "TAT L ARM", "TAT CHEST", "SC R HND", "SC L CHK", "MOLE FACE", "PRCD EAR")
#: Race codes with their chance in the synthetic arrests (made up, not a statistic).
_RACES = ((Race.W, 0.55), (Race.B, 0.3), (Race.A, 0.07), (Race.I, 0.03), (Race.U, 0.05))
#: Chance of the most serious charge's level (as the synthetic holdings draw it).
_LEVELS = ((1, 0.15), (2, 0.35), (3, 0.5))


class JmsError(ValueError):
    """An unknown booking number, or an export that cannot be read (the message says which)."""


@dataclass(frozen=True)
class JmsBooking:
    """One booking of the jail management system, as its export holds it.

    Attributes
    ----------
    booking_number : str
    demographics : mapping
        Demographic fields as exported (not checked yet).
    arrest : mapping
        Arrest fields as exported (not checked yet).
    """

    booking_number: str
    demographics: Mapping[str, Any]
    arrest: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "booking_number": self.booking_number,
            "demographics": dict(self.demographics),
            "arrest": dict(self.arrest),
        }


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def synthetic_jms_bookings(
    subjects: int, *, population: int = 0, until: dt.date = SHIPPED_UNTIL
) -> list[JmsBooking]:
    """JMS bookings of synthetic subjects ``0 … subjects - 1`` (deterministic).

    Booking ``BK26-000KK`` holds subject ``KK``'s synthetic demographics and a made-up
    arrest: one to three charges (the most serious drawn Level 1 15 %, Level 2 35 %,
    Level 3 50 %, the others no more serious), arrested within 200 days before ``until``,
    each offence up to three days before the arrest.

    Examples
    --------
    >>> b = synthetic_jms_bookings(1)[0]
    >>> b.booking_number, b.demographics == demographics(0).as_dict()
    ('BK26-00000', True)
    """
    if isinstance(subjects, bool) or not isinstance(subjects, int) or subjects < 0:
        raise ValueError(f"subjects must be a whole number >= 0, got {subjects!r}")
    out = []
    for k in range(subjects):
        rng = random.Random(f"jms/{population}/{k}")
        person = demographics(k, population=population).as_dict()
        arrested = until - dt.timedelta(days=rng.randrange(200))
        top = _pick(rng, _LEVELS)
        charges = [rng.choice([o for o in OFFENCES if o.level == top])]
        for _ in range(rng.randrange(3)):
            extra = rng.choice([o for o in OFFENCES if o.level >= top])
            if extra not in charges:
                charges.append(extra)
        arrest = {
            "oca": f"{arrested:%y}-{rng.randrange(100_000, 1_000_000)}",
            "ori": rng.choice(_AGENCIES),
            "date_of_arrest": arrested.isoformat(),
            "charges": [
                {
                    "code": o.code,
                    "offence_date": (arrested - dt.timedelta(days=rng.randrange(4))).isoformat(),
                }
                for o in charges
            ],
            "race": str(_pick(rng, _RACES)),
            "smt": sorted(rng.sample(_SMT, rng.randrange(3))),
        }
        out.append(JmsBooking(f"BK26-{k:05d}", person, arrest))
    return out


def jms_path(setting: str | Path | None = None) -> Path:
    """The export the station reads: ``setting`` (``[paths] jms``; a folder means its
    ``jms_bookings.json``), or the shipped one when it is empty."""
    if setting is None:
        from station.settings import get_settings

        setting = get_settings().paths.jms
    if not str(setting).strip():
        return SHIPPED_JMS
    from station.settings import resolve_path

    path = resolve_path(Path(str(setting)))
    return path / JMS_FILE_NAME if path.is_dir() else path


class JailManagementSystem:
    """The bookings of one JMS export (read once, when made: a file read, so the GUI makes it
    on a worker thread).

    Parameters
    ----------
    path : pathlib.Path, optional
        The export (default: :func:`jms_path` of the settings).

    Raises
    ------
    JmsError
        Missing, too large, not JSON, not a JMS export, or a booking number given twice.

    Examples
    --------
    >>> jms = JailManagementSystem(SHIPPED_JMS)
    >>> jms.booking("bk26-00003").arrest["ori"]
    'NY0303200'
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else jms_path()
        self._bookings = self._read(self.path)

    @staticmethod
    def _read(path: Path) -> dict[str, JmsBooking]:
        where = f"JMS export {path}"
        if not path.is_file():
            raise JmsError(f"{where} not found: set [paths] jms to the jail system's export")
        size = path.stat().st_size
        if size > MAX_JMS_BYTES:
            raise JmsError(f"{where} is {size} bytes, more than {MAX_JMS_BYTES}")
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except RecursionError:
            raise JmsError(f"{where} is nested too deeply") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise JmsError(f"{where} is not valid JSON ({exc})") from None
        if (
            not isinstance(data, dict)
            or data.get("format") != JMS_FORMAT
            or data.get("version") != JMS_VERSION
            or not isinstance(data.get("bookings"), list)
        ):
            raise JmsError(
                f"{where} is not a JMS export: expected an object with format "
                f"{JMS_FORMAT!r}, version {JMS_VERSION} and a bookings list"
            )
        bookings: dict[str, JmsBooking] = {}
        for index, item in enumerate(data["bookings"], start=1):
            number = item.get("booking_number") if isinstance(item, dict) else None
            if not isinstance(number, str) or not number.strip():
                raise JmsError(f"{where}: booking {index} has no booking_number")
            demo, arrest = item.get("demographics"), item.get("arrest")
            if not isinstance(demo, dict) or not isinstance(arrest, dict):
                raise JmsError(f"{where}: booking {number} needs demographics and arrest objects")
            key = number.strip().upper()
            if key in bookings:
                raise JmsError(f"{where}: booking number {number} is given twice")
            bookings[key] = JmsBooking(number.strip(), demo, arrest)
        log.info("read %d JMS bookings from %s", len(bookings), path)
        return bookings

    def __len__(self) -> int:
        return len(self._bookings)

    def numbers(self) -> list[str]:
        """The booking numbers, in the export's order."""
        return [b.booking_number for b in self._bookings.values()]

    def booking(self, number: str) -> JmsBooking:
        """The booking with this number (any case, blanks around ignored).

        Raises
        ------
        JmsError
            No such booking in the export.
        """
        if not isinstance(number, str) or not number.strip():
            raise JmsError("enter a JMS booking number")
        found = self._bookings.get(number.strip().upper())
        if found is None:
            raise JmsError(f"no booking {number.strip()[:40]!r} in the JMS export {self.path}")
        return found
