"""Training scenarios: TOML files saying who is on the platen and what the trainee must do.

A scenario file is read once into frozen dataclasses (:class:`Scenario`); anything the
format does not know is refused with a :class:`ScenarioError` naming the file, the key and
the problem. The library ships in ``station/training/scenarios/*.toml``; an instructor adds
files to a folder of their own (``[training] scenarios`` in the settings, or
``--scenarios DIR``), and a file there with the id of a library scenario replaces it.

The format (every key but ``id``, ``title`` and ``[platen]`` is optional)::

    id = "returning-alias"                 # lower-case letters, digits and '-'; unique
    title = "Returning subject under an alias"
    brief = "For the instructor only: ..." # never shown to the trainee
    source = "scanner"                     # or "transaction": booked from an ANSI/NIST file

    [[gallery]]                            # subjects the scenario needs enrolled, by role
    role = "returning"                     # a name the rest of the file refers to
    subject = 0                            # synthetic subject id (population below)
    population = 0                         # the runner enrols it if the gallery lacks it

    [platen]                               # who is on the platen and what the device does
    person = "returning"                   # a [[gallery]] role, or "new"
    subject = 901                          # synthetic id of a new person (person = "new")
    population = 0
    swap = ["R2", "R3"]                    # two rolled prints come out swapped
    wrong_hand = "RS"                      # the first RS slap is taken of the other hand
    dirty_platen = true                    # smudges until the trainee cleans the platen
    disconnect_at = 4                      # the scanner drops off during the 4th placement
    shares = { twin = ["R1", "R2"] }       # a near miss: these fingers are the role's own

    [platen.fingers]                       # per-finger conditions
    L4 = "amputated"                       # amputated, bandaged, dry, wet, scarred

    [demographics]                         # told to the trainee; default: the person's own
    last_name = "Marsh"                    # e.g. a false name for a returning subject

    [arrest]                               # the booking's arrest data (EBTS Type-2)
    charges = ["PL140.25"]                 # offence codes of station.core.offences
    race = "W"                             # 2.025 RAC: A, B, I, U or W (required)
    oca = "75-0412"                        # 2.009 arrest number; default "TR-" + the id
    ori = "NY0307500"                      # arresting agency; default [station] ori
    smt = ["SC L HND"]                     # 2.026 scars, marks, tattoos; default none

    [[expect]]                             # one expected action each, with its points
    action = "annotate"                    # see the kinds below
    finger = "L4"
    annotation = "XX"
    points = 2                             # default 1
    mistake = "did not mark L4 amputated"  # optional: the mistake's name when not met

Expectation kinds (``action``) and their keys:

``annotate`` (``finger``, ``annotation`` XX/UP)
    The finger is annotated with that code (another code, or a capture instead, is wrong).
``recapture`` (``finger``: a finger or a slap; ``below``: quality level 1-5, default 4)
    The slot is captured again after a first capture (for a finger: one at ``below`` or
    worse); accepting the poor print instead is wrong.
``clean platen``
    The platen is cleaned before the booking is submitted.
``reconnect``
    The scanner is reconnected after it dropped off, and the booking goes on.
``refuse``
    The booking is not submitted: the trainee refuses it (closing it with a reason).
    Submitting is wrong.
``submit`` (``done``: default true)
    The booking is submitted (``done = false``: it must not be).
``disposition`` (``any_of``: list of dispositions)
    The booking's final disposition (after any examiner's decision) is one of these.
``decide`` (``decision`` confirm/reject, ``candidate``: a [[gallery]] role)
    The candidate of that role is confirmed / rejected; the other decision is wrong.
``enrol`` (``done``: default true)
    The booking is enrolled (``done = false``: it must not be).
``agency`` (``agency``, ``answer``)
    An agency's answer to the booking (e.g. ``agency = "ICE"``, ``answer = "Level 1"``).
    ``agency`` is a Secure Communities system, ``STATE``, ``NGI``, ``IDENT`` or ``LESC``,
    or the agency behind it: ``FBI`` (NGI), ``DHS`` (IDENT), ``ICE`` (LESC). ``answer`` is
    one of what the system answered: ``ident`` / ``non-ident`` (STATE, NGI), ``match`` /
    ``no match`` (IDENT), and for LESC ``removable`` / ``not removable``, ``Level 1`` …
    ``Level 3`` and ``detainer``; ``error`` or ``timeout`` when it failed (any case). A
    booking that never got a response misses it; an agency that answered something else, or
    never got the query (no IDENT match: no LESC), is wrong; not scored when the agencies
    were not asked.

The arrest
----------
An ``[arrest]`` table gives the booking arrest data as a jail's station has it
(:class:`station.core.arrest.Arrest`): ``charges`` (one or more codes of the offence table
:data:`station.core.offences.OFFENCES`; the level comes from the table) and ``race`` are
required; ``oca``, ``ori`` and ``smt`` default as above; the date of arrest is the day of the
run. Everything is checked at load with the station's own arrest check
(:func:`station.service.arrest.check_arrest`). The runner stores it on a live booking and puts
it in the Type-2 record of a ``source = "transaction"`` scenario's file. Without ``[arrest]``
a booking has no arrest data.

Examples
--------
>>> text = '''
... id = "mini"
... title = "A first-time arrest"
... [platen]
... person = "new"
... subject = 5
... [[expect]]
... action = "enrol"
... '''
>>> scenario = parse_scenario(text, "mini.toml")
>>> scenario.id, scenario.platen.person, scenario.expect[0].action
('mini', 'new', <ExpectedAction.ENROL: 'enrol'>)
>>> try:
...     parse_scenario(text.replace("subject = 5", "subjekt = 5"), "mini.toml")
... except ScenarioError as exc:
...     print(str(exc)[:45])
mini.toml: [platen] unknown key 'subjekt' (us
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from station.core.arrest import Arrest, Charge
from station.core.offences import LEVELS
from station.core.vocabulary import (
    DEMOGRAPHIC_FIELDS,
    FINGERS,
    SLAPS,
    Annotation,
    Decision,
    Disposition,
    ExpectedAction,
    Finger,
    FingerCondition,
    Race,
    Slap,
    System,
)
from station.service.arrest import check_arrest
from station.settings import get_settings

__all__ = [
    "AGENCY_NAMES",
    "NEW_PERSON",
    "Expectation",
    "GalleryRole",
    "Platen",
    "Scenario",
    "ScenarioArrest",
    "ScenarioError",
    "SourceKind",
    "library_dir",
    "load_library",
    "load_scenario",
    "parse_scenario",
]

#: Largest subject, population or count a scenario may name (a signed 32-bit number).
_LARGEST_WHOLE = 2**31 - 1

log = logging.getLogger(__name__)

#: ``[platen] person`` of somebody the gallery does not hold.
NEW_PERSON = "new"

#: Where a booking's prints come from.
SourceKind = str
_SOURCES = ("scanner", "transaction")

_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_ROLE = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_TOP_KEYS = (
    "id",
    "title",
    "brief",
    "source",
    "gallery",
    "platen",
    "demographics",
    "arrest",
    "expect",
)
_GALLERY_KEYS = ("role", "subject", "population")
_PLATEN_KEYS = (
    "person",
    "subject",
    "population",
    "swap",
    "wrong_hand",
    "dirty_platen",
    "disconnect_at",
    "shares",
    "fingers",
)
_ARREST_KEYS = ("charges", "race", "oca", "ori", "smt")
#: Names a scenario may give an agency, and the Secure Communities system each means.
AGENCY_NAMES: dict[str, System] = {
    **{str(s): s for s in System},
    "FBI": System.NGI,
    "IAFIS": System.NGI,
    "DHS": System.IDENT,
    "ICE": System.LESC,
}
#: Keys each expectation kind takes (besides ``action``, ``points`` and ``mistake``).
_EXPECT_KEYS: dict[ExpectedAction, tuple[str, ...]] = {
    ExpectedAction.ANNOTATE: ("finger", "annotation"),
    ExpectedAction.RECAPTURE: ("finger", "below"),
    ExpectedAction.CLEAN_PLATEN: (),
    ExpectedAction.RECONNECT: (),
    ExpectedAction.REFUSE: (),
    ExpectedAction.SUBMIT: ("done",),
    ExpectedAction.DISPOSITION: ("any_of",),
    ExpectedAction.DECIDE: ("decision", "candidate"),
    ExpectedAction.ENROL: ("done",),
    ExpectedAction.AGENCY: ("agency", "answer"),
}
_REQUIRED: dict[ExpectedAction, tuple[str, ...]] = {
    ExpectedAction.ANNOTATE: ("finger", "annotation"),
    ExpectedAction.RECAPTURE: ("finger",),
    ExpectedAction.DISPOSITION: ("any_of",),
    ExpectedAction.DECIDE: ("decision", "candidate"),
    ExpectedAction.AGENCY: ("agency", "answer"),
}
#: Default ``below`` of a ``recapture`` expectation: a print at level 4 or 5 is recaptured.
DEFAULT_RECAPTURE_BELOW = 4


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file, the key and why."""


@dataclass(frozen=True)
class GalleryRole:
    """A subject a scenario needs in the gallery, under a role name.

    Attributes
    ----------
    role : str
        The name the scenario uses (``"returning"``, ``"twin"`` …).
    subject, population : int
        The synthetic subject enrolled for the role (its ten rolled prints, impression 0).
    """

    role: str
    subject: int
    population: int = 0


@dataclass(frozen=True)
class Platen:
    """Who is on the platen and what the device does.

    Attributes
    ----------
    person : str
        A gallery role, or :data:`NEW_PERSON`.
    subject, population : int or None
        The synthetic person of a new person (a role's person is its gallery subject).
    swap : tuple of str or None
        Two fingers whose rolled prints come out swapped.
    wrong_hand : str or None
        A four-finger slap whose first capture is of the other hand.
    dirty_platen : bool
        The platen is dirty until cleaned.
    disconnect_at : int or None
        The scanner drops off during this placement of the booking (1-based).
    shares : tuple of (str, tuple of str)
        A near miss: the fingers that are a gallery role's own (role, fingers).
    fingers : mapping of str to FingerCondition
        Per-finger conditions.
    """

    person: str
    subject: int | None = None
    population: int = 0
    swap: tuple[Finger, Finger] | None = None
    wrong_hand: Slap | None = None
    dirty_platen: bool = False
    disconnect_at: int | None = None
    shares: tuple[tuple[str, tuple[Finger, ...]], ...] = ()
    fingers: Mapping[Finger, FingerCondition] = field(default_factory=dict)

    def with_condition(self, *conditions: FingerCondition) -> tuple[Finger, ...]:
        """The fingers with any of ``conditions``, in capture order."""
        return tuple(f for f in FINGERS if self.fingers.get(f) in conditions)


@dataclass(frozen=True)
class ScenarioArrest:
    """The scenario's arrest data: everything of an :class:`~station.core.arrest.Arrest`
    but the date of arrest, which is the day of the run.

    Attributes
    ----------
    charges : tuple of Charge
        At least one, codes of :data:`station.core.offences.OFFENCES`.
    race : Race
    oca : str
        The arrest number (EBTS 2.009 OCA).
    ori : str or None
        The arresting agency's ORI (None: the station's ``[station] ori``).
    smt : tuple of str
        Scars, marks and tattoos.

    Examples
    --------
    >>> import datetime as dt
    >>> a = ScenarioArrest((Charge("PL160.15"),), Race.B, "TR-1", "NY0303000")
    >>> arrest = a.on(dt.date(2026, 12, 1))
    >>> arrest.level, arrest.date_of_arrest.isoformat(), a.shown()[0]["level"]
    (1, '2026-12-01', 1)
    """

    charges: tuple[Charge, ...]
    race: Race
    oca: str
    ori: str | None = None
    smt: tuple[str, ...] = ()

    def on(self, day: dt.date, *, ori: str | None = None) -> Arrest:
        """The booking's :class:`~station.core.arrest.Arrest`, arrested on ``day``.

        Parameters
        ----------
        day : datetime.date
            The date of arrest (the runner: the day of the run).
        ori : str, optional
            The ORI when the scenario gives none (default: ``[station] ori``).
        """
        return Arrest(
            oca=self.oca,
            ori=self.ori or ori or get_settings().station.ori,
            date_of_arrest=day,
            charges=self.charges,
            race=self.race,
            smt=self.smt,
        )

    def shown(self) -> list[dict[str, Any]]:
        """The charges as the trainee sees them: description, statute and level."""
        return [
            {
                "description": c.offence.description,
                "statute": c.offence.statute,
                "level": c.level,
                "level_text": LEVELS[c.level].split(" — ")[0],
            }
            for c in self.charges
        ]


@dataclass(frozen=True)
class Expectation:
    """One action the scenario expects, with its points (see the module docstring).

    Attributes
    ----------
    action : ExpectedAction
    points : int
        Earned when the expectation is met.
    finger : str or None
        A finger (``annotate``), or a finger or slap (``recapture``).
    annotation : Annotation or None
    below : int
        ``recapture``: the quality level (1 best … 5 worst) at or worse than which the
        finger must be captured again.
    done : bool
        ``submit`` / ``enrol``: whether the trainee must (True) or must not (False).
    any_of : tuple of Disposition
    decision : Decision or None
    candidate : str or None
        ``decide``: the gallery role of the candidate.
    agency, answer : str or None
    mistake : str or None
        The mistake's name when the expectation is not met (default: made from the action).
    """

    action: ExpectedAction
    points: int = 1
    finger: str | None = None
    annotation: Annotation | None = None
    below: int = DEFAULT_RECAPTURE_BELOW
    done: bool = True
    any_of: tuple[Disposition, ...] = ()
    decision: Decision | None = None
    candidate: str | None = None
    agency: str | None = None
    answer: str | None = None
    mistake: str | None = None

    @property
    def system(self) -> System | None:
        """The Secure Communities system of an ``agency`` expectation (``ICE``: LESC)."""
        return None if self.agency is None else AGENCY_NAMES[self.agency.upper()]

    @property
    def label(self) -> str:
        """What is expected, in a few words (``"annotate L4 as XX"``)."""
        a = self.action
        if a is ExpectedAction.ANNOTATE:
            return f"annotate {self.finger} as {self.annotation}"
        if a is ExpectedAction.RECAPTURE:
            return f"recapture {self.finger}"
        if a is ExpectedAction.SUBMIT:
            return "submit the booking" if self.done else "do not submit the booking"
        if a is ExpectedAction.ENROL:
            return "enrol the booking" if self.done else "do not enrol the booking"
        if a is ExpectedAction.REFUSE:
            return "refuse to submit the booking"
        if a is ExpectedAction.DISPOSITION:
            return "end with " + " or ".join(str(d) for d in self.any_of)
        if a is ExpectedAction.DECIDE:
            return f"{self.decision} the {self.candidate} candidate"
        if a is ExpectedAction.AGENCY:
            return f"{self.agency} answers {self.answer}"
        return str(a)


@dataclass(frozen=True)
class Scenario:
    """A training scenario read from a TOML file.

    Attributes
    ----------
    id, title : str
    brief : str
        For the instructor; never shown to the trainee.
    source : {'scanner', 'transaction'}
    gallery : tuple of GalleryRole
    platen : Platen
    demographics : mapping of str to str
        Overrides of the person's own demographics: what the trainee is told.
    arrest : ScenarioArrest or None
        The booking's arrest data (None: the booking has none).
    expect : tuple of Expectation
    path : pathlib.Path or None
        The file it was read from.
    """

    id: str
    title: str
    platen: Platen
    brief: str = ""
    source: SourceKind = "scanner"
    gallery: tuple[GalleryRole, ...] = ()
    demographics: Mapping[str, str] = field(default_factory=dict)
    arrest: ScenarioArrest | None = None
    expect: tuple[Expectation, ...] = ()
    path: Path | None = None

    @property
    def max_points(self) -> int:
        """Points of a perfect run."""
        return sum(e.points for e in self.expect)

    def role(self, name: str) -> GalleryRole:
        """The gallery role called ``name`` (``KeyError`` if there is none)."""
        for r in self.gallery:
            if r.role == name:
                return r
        raise KeyError(name)

    def trainee_view(self) -> dict[str, Any]:
        """What the trainee may see: the title and the charges (by description and level),
        never the id or the brief."""
        return {
            "title": self.title,
            "charges": [] if self.arrest is None else self.arrest.shown(),
        }


# --- parsing ------------------------------------------------------------------------------


class _Where:
    """Error messages naming the file and the table."""

    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, where: str, problem: str) -> ScenarioError:
        prefix = f"{self.name}: " + (f"{where} " if where else "")
        return ScenarioError(prefix + problem)

    def table(self, value: object, where: str, keys: Iterable[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be a table, got {type(value).__name__}")
        keys = tuple(keys)
        for key in value:
            if key not in keys:
                raise self.fail(where, f"unknown key {key!r} (use one of {', '.join(keys)})")
        return value

    def text(self, value: object, where: str, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, f"{key} must be a non-empty string, got {value!r}")
        return value.strip()

    def whole(self, value: object, where: str, key: str, *, least: int = 0) -> int:
        # The gallery stores subject and population numbers as SQLite integers (64-bit):
        # a larger number could be listed here and then fail mid-booking, so it is refused.
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not least <= value <= _LARGEST_WHOLE
        ):
            raise self.fail(
                where,
                f"{key} must be a whole number from {least} to {_LARGEST_WHOLE}, got {value!r}",
            )
        return value

    def flag(self, value: object, where: str, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(where, f"{key} must be true or false, got {value!r}")
        return value

    def code(self, cls: Any, value: object, where: str, key: str) -> Any:
        try:
            return cls.parse(value, what=key)
        except ValueError as exc:
            raise self.fail(where, str(exc)) from None


def parse_scenario(text: str, name: str = "<scenario>", *, path: Path | None = None) -> Scenario:
    """Read a scenario from TOML text; ``name`` is used in error messages.

    Parameters
    ----------
    text : str
        The file's content.
    name : str
        The file name, for messages.
    path : pathlib.Path, optional
        Kept in :attr:`Scenario.path`.

    Returns
    -------
    scenario : Scenario

    Raises
    ------
    ScenarioError
        Invalid TOML, an unknown key, a missing or wrong value, or a role used and not
        defined; the message names the file, the key and the problem.
    """
    w = _Where(name)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise w.fail("", f"is not valid TOML: {exc}") from None
    w.table(data, "", _TOP_KEYS)
    for key in ("id", "title", "platen"):
        if key not in data:
            raise w.fail("", f"needs {key!r}")
    sid = w.text(data["id"], "", "id")
    if not _ID.fullmatch(sid):
        raise w.fail("", f"id must be lower-case letters, digits and '-', got {sid!r}")
    source = data.get("source", "scanner")
    if source not in _SOURCES:
        raise w.fail("", f"source must be one of {', '.join(_SOURCES)}, got {source!r}")
    gallery = _gallery(w, data.get("gallery", []))
    roles = {g.role for g in gallery}
    platen = _platen(w, data["platen"], roles)
    demographics = w.table(data.get("demographics", {}), "[demographics]", DEMOGRAPHIC_FIELDS)
    for key, value in demographics.items():
        w.text(value, "[demographics]", key)
    arrest = None if "arrest" not in data else _arrest(w, data["arrest"], sid)
    expect = data.get("expect", [])
    if not isinstance(expect, list):
        raise w.fail("", "expect must be an array of tables ([[expect]])")
    expectations = tuple(
        _expectation(w, item, f"[[expect]] #{n}", roles) for n, item in enumerate(expect, 1)
    )
    if source == "transaction" and (
        platen.swap or platen.wrong_hand or platen.dirty_platen or platen.disconnect_at
    ):
        raise w.fail("[platen]", "a booking from a transaction file has no scanner faults")
    return Scenario(
        id=sid,
        title=w.text(data["title"], "", "title"),
        brief=str(data.get("brief", "")).strip(),
        source=source,
        gallery=gallery,
        platen=platen,
        demographics={k: v.strip() for k, v in demographics.items()},
        arrest=arrest,
        expect=expectations,
        path=path,
    )


def _arrest(w: _Where, value: object, sid: str) -> ScenarioArrest:
    where = "[arrest]"
    t = w.table(value, where, _ARREST_KEYS)
    for key in ("charges", "race"):
        if key not in t:
            raise w.fail(where, f"needs {key}")
    charges = t["charges"]
    if not isinstance(charges, list) or not charges:
        raise w.fail(where, f"charges must be a list of offence codes, got {charges!r}")
    codes = []
    for n, code in enumerate(charges, 1):
        text = w.text(code, where, f"charges #{n}")
        try:
            codes.append(Charge(text))
        except ValueError as exc:
            raise w.fail(where, f"charges #{n}: {exc}") from None
    smt = t.get("smt", [])
    if not isinstance(smt, list):
        raise w.fail(where, f"smt must be a list of strings, got {smt!r}")
    oca = t.get("oca", _default_oca(sid))
    ori = t.get("ori")
    data = {
        "oca": oca,
        "ori": ori if ori is not None else "NY0303000",  # the station's, checked at run
        "date_of_arrest": dt.date.today(),
        "charges": [c.code for c in codes],
        "race": t["race"],
        "smt": smt,
    }
    problems = check_arrest(data)
    if problems:
        p = problems[0]
        raise w.fail(where, f"{p.field or 'key'}: {p.message}")
    return ScenarioArrest(
        charges=tuple(codes),
        race=Race.parse(t["race"], what="race"),
        oca=str(oca).strip(),
        ori=None if ori is None else str(ori).strip(),
        smt=tuple(s.strip() for s in smt if s.strip()),
    )


def _default_oca(sid: str) -> str:
    """``TR-`` and the scenario id, upper case, cut to the 20 characters of an OCA."""
    return f"TR-{sid.upper()}"[:20].rstrip("-")


def _gallery(w: _Where, items: object) -> tuple[GalleryRole, ...]:
    if not isinstance(items, list):
        raise w.fail("", "gallery must be an array of tables ([[gallery]])")
    roles: list[GalleryRole] = []
    for n, item in enumerate(items, 1):
        where = f"[[gallery]] #{n}"
        w.table(item, where, _GALLERY_KEYS)
        if "role" not in item or "subject" not in item:
            raise w.fail(where, "needs role and subject")
        role = w.text(item["role"], where, "role")
        if not _ROLE.fullmatch(role) or role == NEW_PERSON:
            raise w.fail(where, f"role must be a lower-case name other than 'new', got {role!r}")
        if any(r.role == role for r in roles):
            raise w.fail(where, f"role {role!r} is defined twice")
        roles.append(
            GalleryRole(
                role,
                w.whole(item["subject"], where, "subject"),
                w.whole(item.get("population", 0), where, "population"),
            )
        )
    seen = {(r.subject, r.population) for r in roles}
    if len(seen) != len(roles):
        raise w.fail("[[gallery]]", "two roles name the same synthetic subject")
    return tuple(roles)


def _platen(w: _Where, value: object, roles: set[str]) -> Platen:
    where = "[platen]"
    t = w.table(value, where, _PLATEN_KEYS)
    if "person" not in t:
        raise w.fail(where, "needs person (a [[gallery]] role, or 'new')")
    person = w.text(t["person"], where, "person")
    if person != NEW_PERSON and person not in roles:
        raise w.fail(where, f"person {person!r} is not a [[gallery]] role nor 'new'")
    subject = None
    if person == NEW_PERSON:
        if "subject" not in t:
            raise w.fail(where, "a new person needs subject (a synthetic id)")
        subject = w.whole(t["subject"], where, "subject")
    elif "subject" in t:
        raise w.fail(where, f"subject is for a new person: {person!r} is a gallery role")
    swap = None
    if "swap" in t:
        pair = t["swap"]
        if not isinstance(pair, list) or len(pair) != 2:
            raise w.fail(where, f"swap must be two finger codes, got {pair!r}")
        a, b = (w.code(Finger, f, where, "swap finger") for f in pair)
        if a == b:
            raise w.fail(where, f"swap needs two different fingers, got {pair!r}")
        swap = (a, b)
    wrong_hand = None
    if "wrong_hand" in t:
        wrong_hand = w.code(Slap, t["wrong_hand"], where, "wrong_hand slap")
        if wrong_hand is Slap.TS:
            raise w.fail(where, "wrong_hand must be RS or LS (a four-finger slap)")
    disconnect_at = None
    if "disconnect_at" in t:
        disconnect_at = w.whole(t["disconnect_at"], where, "disconnect_at", least=1)
    fingers_where = "[platen.fingers]"
    conditions = w.table(t.get("fingers", {}), fingers_where, [str(f) for f in FINGERS])
    fingers = {
        Finger(f): w.code(FingerCondition, c, fingers_where, f"condition of {f}")
        for f, c in conditions.items()
    }
    if len(fingers) == len(FINGERS) and all(
        c in (FingerCondition.AMPUTATED, FingerCondition.BANDAGED) for c in fingers.values()
    ):
        raise w.fail(fingers_where, "at least one finger must be printable")
    shares_where = "[platen] shares"
    shares_table = t.get("shares", {})
    if not isinstance(shares_table, dict):
        raise w.fail(shares_where, "must be a table of role = [fingers]")
    shares: list[tuple[str, tuple[Finger, ...]]] = []
    taken: set[Finger] = set()
    for role, fingers_of in shares_table.items():
        if role not in roles or role == person:
            raise w.fail(shares_where, f"{role!r} must be a [[gallery]] role other than person")
        if not isinstance(fingers_of, list) or not fingers_of:
            raise w.fail(shares_where, f"{role} must list finger codes, got {fingers_of!r}")
        codes = tuple(w.code(Finger, f, shares_where, "finger") for f in fingers_of)
        if taken & set(codes):
            raise w.fail(shares_where, "a finger is shared with two roles")
        taken |= set(codes)
        shares.append((role, codes))
    return Platen(
        person=person,
        subject=subject,
        population=w.whole(t.get("population", 0), where, "population"),
        swap=swap,
        wrong_hand=wrong_hand,
        dirty_platen=w.flag(t.get("dirty_platen", False), where, "dirty_platen"),
        disconnect_at=disconnect_at,
        shares=tuple(shares),
        fingers=fingers,
    )


def _expectation(w: _Where, item: object, where: str, roles: set[str]) -> Expectation:
    if not isinstance(item, dict) or "action" not in item:
        raise w.fail(where, "needs action")
    action = w.code(ExpectedAction, item["action"], where, "action")
    allowed = ("action", "points", "mistake", *_EXPECT_KEYS[action])
    w.table(item, f"{where} ({action})", allowed)
    for key in _REQUIRED.get(action, ()):
        if key not in item:
            raise w.fail(where, f"{action} needs {key}")
    values: dict[str, Any] = {"action": action}
    values["points"] = w.whole(item.get("points", 1), where, "points", least=1)
    if "mistake" in item:
        values["mistake"] = w.text(item["mistake"], where, "mistake")
    if "finger" in item:
        code = str(item["finger"]).strip().upper()
        if action is ExpectedAction.RECAPTURE and code in SLAPS:
            values["finger"] = str(Slap(code))
        else:
            values["finger"] = str(w.code(Finger, item["finger"], where, "finger"))
    if "annotation" in item:
        values["annotation"] = w.code(Annotation, item["annotation"], where, "annotation")
    if "below" in item:
        below = w.whole(item["below"], where, "below", least=1)
        if below > 5:
            raise w.fail(where, f"below must be a quality level 1-5, got {below}")
        values["below"] = below
    if "done" in item:
        values["done"] = w.flag(item["done"], where, "done")
    if "any_of" in item:
        codes = item["any_of"]
        if not isinstance(codes, list) or not codes:
            raise w.fail(where, f"any_of must list dispositions, got {codes!r}")
        values["any_of"] = tuple(w.code(Disposition, c, where, "disposition") for c in codes)
    if "decision" in item:
        decision = w.code(Decision, item["decision"], where, "decision")
        if decision is Decision.UNDO:
            raise w.fail(where, "decision must be confirm or reject")
        values["decision"] = decision
    if "candidate" in item:
        candidate = w.text(item["candidate"], where, "candidate")
        if candidate not in roles:
            raise w.fail(where, f"candidate {candidate!r} is not a [[gallery]] role")
        values["candidate"] = candidate
    if "agency" in item:
        agency = w.text(item["agency"], where, "agency")
        if agency.upper() not in AGENCY_NAMES:
            raise w.fail(where, f"unknown agency {agency!r}: use one of {', '.join(AGENCY_NAMES)}")
        values["agency"] = agency
    if "answer" in item:
        values["answer"] = w.text(item["answer"], where, "answer")
    return Expectation(**values)


# --- files --------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """Read one scenario file (``ScenarioError`` naming the file if it cannot be used)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc}") from None
    return parse_scenario(text, str(path), path=path)


def library_dir() -> Path:
    """The folder of the scenarios shipped with the station."""
    return Path(str(resources.files("station.training") / "scenarios"))


def load_library(extra: str | Path | None = None) -> dict[str, Scenario]:
    """The library's scenarios and an instructor's folder of more, by id, in id order.

    Parameters
    ----------
    extra : str or pathlib.Path, optional
        A folder of ``*.toml`` scenario files; one with a library id replaces that one.

    Returns
    -------
    scenarios : dict of str to Scenario

    Raises
    ------
    ScenarioError
        A file cannot be used, two files of one folder share an id, or ``extra`` is not a
        folder.
    """
    found: dict[str, Scenario] = {}
    folders = [library_dir()]
    if extra is not None:
        extra = Path(extra)
        if not extra.is_dir():
            raise ScenarioError(f"{extra}: scenario folder not found")
        folders.append(extra)
    for n, folder in enumerate(folders):
        here: dict[str, Path] = {}
        for path in sorted(folder.glob("*.toml")):
            scenario = load_scenario(path)
            if scenario.id in here:
                raise ScenarioError(
                    f"{path}: id {scenario.id!r} is used by {here[scenario.id].name} too"
                )
            here[scenario.id] = path
            if n and scenario.id in found:
                log.info("scenario %s from %s replaces the library's", scenario.id, path)
            found[scenario.id] = scenario
    return dict(sorted(found.items()))
