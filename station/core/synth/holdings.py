"""Synthetic ground truth of who is on record: each subject's profile and agency holdings.

Every synthetic subject ``k`` of population ``s`` has a fixed *profile* and, from it, records
in the repositories the agencies of Secure Communities hold (the jail's own ``local`` records,
the state identification bureau's ``state`` records, the FBI's ``federal-criminal`` records in
NGI/IAFIS, DHS's ``federal-immigration`` records in IDENT). Everything is drawn from the
``HOLDINGS`` random stream of :mod:`station.core.synth.rng`, so it depends only on
``(population, subject)``; the first draw decides, exactly as before profiles existed, whether
the subject is held at all, so the same subjects are enrolled by ``station seed``.

Profiles and their shares
-------------------------
=====================  =====  ==============================================================
profile                share  holdings
=====================  =====  ==============================================================
``unknown``            0.20   none: in the population, never enrolled (booking: NO HIT)
``local-only``         0.16   a local jail record only (0.8 of the held × 0.20)
``criminal``           0.36   a citizen: state and/or FBI criminal history (held × 0.45)
``immigration``        0.12   a non-citizen with IDENT encounters only (held × 0.15)
``both``               0.096  a non-citizen with a criminal history too (held × 0.12)
``removed-returned``   0.064  removed before, came back; IDENT, criminal history on half of
                              them (held × 0.08)
=====================  =====  ==============================================================

Besides, every held subject of the last four profiles has a local jail record with chance
0.6 (as before profiles existed). A criminal history has 1-4 arrests between 1998 and mid
2026; each arrest is in this state with chance 0.8 (the first always is): the state bureau
holds the in-state arrests, NGI holds all of them when the subject has an FBI record (chance
0.8, or always when an arrest was out of state). Charges come from the station's one offence
table, :data:`station.core.offences.OFFENCES`: a level drawn first (Level 1 0.10, Level 2
0.35, Level 3 0.55), then one of that level's offences, each equally likely; the court
disposition is convicted 0.60, dismissed 0.20, pending 0.15, acquitted 0.05. IDENT holds an
immigration status: visa overstay 0.5, lawful permanent resident 0.3, visitor in status 0.2
(removed-returned: previously removed), with the encounters that led to it (visa issuance,
border entry, removal, re-entry), their dates and places, a FIN and an A-number.

Where the numbers come from
---------------------------
Documented fact: ICE's Secure Communities sorted charges into three levels, Level 1 the most
serious (e.g. homicide, rape, kidnapping, major drug offences), Level 2 and 3 lesser ones
(e.g. burglary, serious property crimes; then minor offences); in its first year (2008-2009)
it identified more than 111 000 criminal aliens in local custody, more than 11 000 of them
charged with or convicted of Level 1 crimes — about 10 %, hence the Level 1 share 0.10. The
offences and their levels are :mod:`station.core.offences`' (New York Penal Law and Vehicle
and Traffic Law sections). Our assumptions (no public figure used): every other share
above — profiles, local records, arrests per person, in-state share, court dispositions,
immigration statuses — and the grouping of each offence into a level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from ..offences import OFFENCES
from ..vocabulary import Repository
from . import rng as rngs

__all__ = [
    "COURT_DISPOSITIONS",
    "IMMIGRATION_STATUSES",
    "LEVEL_SHARES",
    "LOCAL_SHARE",
    "NONE_SHARE",
    "PROFILE_SHARES",
    "Arrest",
    "Encounter",
    "Holding",
    "Profile",
    "holdings",
    "profile",
]


class Profile(StrEnum):
    """Which agencies know a synthetic subject."""

    UNKNOWN = "unknown"
    LOCAL_ONLY = "local-only"
    CRIMINAL = "criminal"
    IMMIGRATION = "immigration"
    BOTH = "both"
    REMOVED_RETURNED = "removed-returned"


#: Level of a drawn charge (Level 1 0.10: Secure Communities' first year, 11 000 of 111 000).
LEVEL_SHARES: dict[int, float] = {1: 0.10, 2: 0.35, 3: 0.55}
#: Share of the population held by no repository (never enrolled).
NONE_SHARE = 0.2
#: Profile of a held subject (our assumption).
PROFILE_SHARES: dict[Profile, float] = {
    Profile.LOCAL_ONLY: 0.20,
    Profile.CRIMINAL: 0.45,
    Profile.IMMIGRATION: 0.15,
    Profile.BOTH: 0.12,
    Profile.REMOVED_RETURNED: 0.08,
}
#: Chance of a local jail record besides the agencies' (every profile but local-only).
LOCAL_SHARE = 0.6
#: Court dispositions of an arrest and their chance (our assumption).
COURT_DISPOSITIONS: dict[str, float] = {
    "convicted": 0.60,
    "dismissed": 0.20,
    "pending": 0.15,
    "acquitted": 0.05,
}
#: Immigration status of a non-citizen who was not removed before (our assumption).
IMMIGRATION_STATUSES: dict[str, float] = {
    "visa overstay": 0.5,
    "lawful permanent resident": 0.3,
    "visitor in status": 0.2,
}
_IN_STATE = 0.8
_FBI_SHARE = 0.8
_REMOVED_CRIMINAL = 0.5
_FIRST_DAY = dt.date(1998, 1, 1)
_LAST_DAY = dt.date(2026, 6, 30)
_CONSULATES = (
    "U.S. Consulate General Monterrey, Mexico",
    "U.S. Embassy Manila, Philippines",
    "U.S. Embassy New Delhi, India",
    "U.S. Consulate General Guangzhou, China",
    "U.S. Embassy Santo Domingo, Dominican Republic",
    "U.S. Embassy Lagos, Nigeria",
)
_PORTS = (
    "San Ysidro, CA",
    "Laredo, TX",
    "El Paso, TX",
    "Nogales, AZ",
    "JFK International Airport, NY",
    "Miami International Airport, FL",
)
_PREFIX = {
    Repository.LOCAL: "LOC",
    Repository.STATE: "SID",
    Repository.FEDERAL_CRIMINAL: "FBI",
    Repository.FEDERAL_IMMIGRATION: "FIN",
}


@dataclass(frozen=True)
class Arrest:
    """One arrest of a criminal history.

    Attributes
    ----------
    date : str
        ISO date of the arrest.
    statute, charge : str
        The charge's statute and description, from :data:`station.core.offences.OFFENCES`.
    level : int
        Its level, 1 (most serious) to 3.
    disposition : str
        The court's: ``convicted``, ``dismissed``, ``pending`` or ``acquitted``.
    in_state : bool
        Made in this state (the state bureau holds it).
    """

    date: str
    statute: str
    charge: str
    level: int
    disposition: str
    in_state: bool = True

    def to_json(self) -> dict[str, Any]:
        """The arrest as a JSON object."""
        return {
            "date": self.date,
            "statute": self.statute,
            "charge": self.charge,
            "level": self.level,
            "disposition": self.disposition,
            "in_state": self.in_state,
        }


@dataclass(frozen=True)
class Encounter:
    """One IDENT encounter: ``visa issuance``, ``border entry``, ``removal`` or ``re-entry``."""

    kind: str
    date: str
    place: str

    def to_json(self) -> dict[str, Any]:
        """The encounter as a JSON object."""
        return {"kind": self.kind, "date": self.date, "place": self.place}


@dataclass(frozen=True)
class Holding:
    """A record of a subject in one repository.

    Attributes
    ----------
    repository : Repository
        Which repository holds the record.
    record_number : str
        The repository's number for the subject, e.g. ``"SID-000000042"`` (the FBI number,
        UCN, for NGI; the FIN for IDENT).
    offence_level : int or None
        On criminal records: the most serious level of the record's arrests (1 … 3).
    charge : str or None
        On criminal records: the charge of that level (its first arrest of that level).
    arrests : tuple of Arrest
        Criminal records: the criminal history, oldest first.
    encounters : tuple of Encounter
        IDENT records: the encounter history, oldest first.
    a_number : str or None
        IDENT records: the alien registration number.
    status : str or None
        IDENT records: the immigration status.
    """

    repository: Repository
    record_number: str
    offence_level: int | None = None
    charge: str | None = None
    arrests: tuple[Arrest, ...] = ()
    encounters: tuple[Encounter, ...] = ()
    a_number: str | None = None
    status: str | None = None

    def history(self) -> dict[str, Any] | None:
        """The record's history as the gallery stores it (``None`` for a local record).

        Examples
        --------
        >>> Holding(Repository.LOCAL, "LOC-1").history() is None
        True
        """
        if self.arrests:
            return {"arrests": [a.to_json() for a in self.arrests]}
        if self.encounters:
            return {
                "a_number": self.a_number,
                "status": self.status,
                "encounters": [e.to_json() for e in self.encounters],
            }
        return None


def _pick(rng: np.random.Generator, shares: dict[Any, float]) -> Any:
    keys = list(shares)
    return keys[int(rng.choice(len(keys), p=[shares[k] for k in keys]))]


def _dates(rng: np.random.Generator, count: int, first: dt.date = _FIRST_DAY) -> list[dt.date]:
    span = (_LAST_DAY - first).days
    days = sorted(int(d) for d in rng.integers(0, span, size=count))
    return [first + dt.timedelta(days=d) for d in days]


def _arrests(rng: np.random.Generator) -> list[Arrest]:
    count = int(rng.integers(1, 5))
    out = []
    for i, day in enumerate(_dates(rng, count)):
        level = _pick(rng, LEVEL_SHARES)
        choices = [o for o in OFFENCES if o.level == level]
        offence = choices[int(rng.integers(len(choices)))]
        disposition = _pick(rng, COURT_DISPOSITIONS)
        in_state = i == 0 or bool(rng.random() < _IN_STATE)
        out.append(
            Arrest(
                day.isoformat(), offence.statute, offence.description, level, disposition, in_state
            )
        )
    return out


def _criminal(rng: np.random.Generator) -> list[tuple[Repository, tuple[Arrest, ...]]]:
    arrests = _arrests(rng)
    fbi = bool(rng.random() < _FBI_SHARE) or not all(a.in_state for a in arrests)
    held = [(Repository.STATE, tuple(a for a in arrests if a.in_state))]
    if fbi:
        held.append((Repository.FEDERAL_CRIMINAL, tuple(arrests)))
    return held


def _immigration(rng: np.random.Generator, removed: bool) -> tuple[str, tuple[Encounter, ...]]:
    consulate = _CONSULATES[int(rng.integers(len(_CONSULATES)))]
    port = _PORTS[int(rng.integers(len(_PORTS)))]
    if removed:
        entry, removal, back = _dates(rng, 3)
        again = _PORTS[int(rng.integers(len(_PORTS)))]
        return "previously removed", (
            Encounter("border entry", entry.isoformat(), port),
            Encounter("removal", removal.isoformat(), f"removed via {port}"),
            Encounter("re-entry", back.isoformat(), again),
        )
    status = _pick(rng, IMMIGRATION_STATUSES)
    issued, entered = _dates(rng, 2)
    return status, (
        Encounter("visa issuance", issued.isoformat(), consulate),
        Encounter("border entry", entered.isoformat(), port),
    )


def _draw(subject: int, population: int) -> tuple[Profile, list[Holding]]:
    subject = rngs.check_seed("subject", subject)
    population = rngs.check_seed("population", population)
    rng = rngs.stream(population, subject, rngs.HOLDINGS)
    if rng.random() < NONE_SHARE:
        return Profile.UNKNOWN, []
    kind = _pick(rng, PROFILE_SHARES)
    local = kind is Profile.LOCAL_ONLY or bool(rng.random() < LOCAL_SHARE)
    number = f"{population:02d}{subject:07d}"
    out = []
    if local:
        out.append(Holding(Repository.LOCAL, f"LOC-{number}"))
    criminal = kind in (Profile.CRIMINAL, Profile.BOTH) or (
        kind is Profile.REMOVED_RETURNED and bool(rng.random() < _REMOVED_CRIMINAL)
    )
    if criminal:
        for repo, arrests in _criminal(rng):
            worst = min(arrests, key=lambda a: a.level)
            out.append(
                Holding(
                    repo,
                    f"{_PREFIX[repo]}-{number}",
                    worst.level,
                    worst.charge,
                    arrests=arrests,
                )
            )
    if kind in (Profile.IMMIGRATION, Profile.BOTH, Profile.REMOVED_RETURNED):
        status, encounters = _immigration(rng, kind is Profile.REMOVED_RETURNED)
        out.append(
            Holding(
                Repository.FEDERAL_IMMIGRATION,
                f"FIN-{number}",
                encounters=encounters,
                a_number=f"A{number}",
                status=status,
            )
        )
    return kind, out


def holdings(subject: int, population: int = 0) -> list[Holding]:
    """The repository records of synthetic subject ``subject`` (empty: held by none).

    Parameters
    ----------
    subject : int
        Synthetic subject number (>= 0).
    population : int
        Population seed (>= 0).

    Returns
    -------
    list of Holding
        Local, state, FBI, IDENT records in that order; deterministic in
        ``(population, subject)``.

    Examples
    --------
    >>> [h.repository.value for h in holdings(9)]
    ['state', 'federal-criminal', 'federal-immigration']
    >>> record = holdings(9)[1]
    >>> record.record_number, record.offence_level, record.charge
    ('FBI-000000009', 1, 'Arson in the first degree')
    """
    return _draw(subject, population)[1]


def profile(subject: int, population: int = 0) -> Profile:
    """The profile of synthetic subject ``subject`` (which agencies know the subject).

    Examples
    --------
    >>> profile(3), profile(6)
    (<Profile.CRIMINAL: 'criminal'>, <Profile.UNKNOWN: 'unknown'>)
    """
    return _draw(subject, population)[0]
