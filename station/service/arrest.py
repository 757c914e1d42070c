"""The one check of a booking's arrest data, for the booking form, ``station book`` and the JMS.

:func:`check_arrest` lists every problem, each naming its field, like
:func:`~station.service.demographics.check_demographics`; :func:`clean_arrest` raises
:class:`ArrestError` with all of them or returns the :class:`~station.core.arrest.Arrest`.

Rules (EBTS Type-2 and NCIC formats):

* ``oca`` (arrest number, 2.009 OCA): required, 1-20 characters, letters, digits, spaces and
  ``- / .``, at least one letter or digit;
* ``ori`` (arresting agency): required, 9 characters, NCIC format: two letters (the state),
  then seven letters or digits (``NY0303000``);
* ``date_of_arrest`` (2.045 DOA): required, ``YYYY-MM-DD``, not in the future, not before
  1900, not before the date of birth when one is given;
* ``charges`` (2.047 ASL): one to ten, each an offence code of
  :data:`station.core.offences.OFFENCES` (the level comes from the table, never typed) and an
  optional offence date, not after the date of arrest;
* ``race`` (2.025 RAC): required, ``A``, ``B``, ``I``, ``U`` or ``W``;
* ``smt`` (2.026 SMT): at most ten descriptions of at most 40 characters each.

Control characters and bidirectional overrides are refused in every text field.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from station.core.arrest import Arrest, Charge
from station.core.offences import offence
from station.core.vocabulary import RACES, Race

from .demographics import EARLIEST_BIRTH, DemographicsError, Problem, _hidden

__all__ = [
    "ARREST_FIELDS",
    "MAX_CHARGES",
    "OCA_LENGTH",
    "RACE_NAMES",
    "SMT_LENGTH",
    "ArrestError",
    "check_arrest",
    "clean_arrest",
]

#: Fields of an arrest, in the order the form shows them.
ARREST_FIELDS: tuple[str, ...] = ("oca", "ori", "date_of_arrest", "charges", "race", "smt")
#: Longest arrest number (EBTS 2.009 OCA: 1-20 characters).
OCA_LENGTH = 20
#: Most charges and scars/marks/tattoos per booking, and the longest SMT description.
MAX_CHARGES, MAX_SMT, SMT_LENGTH = 10, 10, 40
#: How the form labels each race code (NCIC race codes).
RACE_NAMES: dict[Race, str] = {
    Race.A: "A — Asian or Pacific Islander",
    Race.B: "B — Black",
    Race.I: "I — American Indian or Alaskan Native",
    Race.U: "U — Unknown",
    Race.W: "W — White",
}

_LABELS = {
    "oca": "Arrest number (OCA)",
    "ori": "Arresting agency ORI",
    "date_of_arrest": "Date of arrest",
    "charges": "Charges",
    "race": "Race",
    "smt": "Scars, marks and tattoos",
}
_OCA = re.compile(r"[A-Za-z0-9 ./-]+")
_ORI = re.compile(r"[A-Z]{2}[A-Z0-9]{7}")


class ArrestError(DemographicsError):
    """Arrest data that cannot be booked; ``problems`` names every field wrong (a
    :class:`~station.service.demographics.DemographicsError`, so the form shows both alike)."""


def _iso(value: object) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _text(data: Mapping[str, Any], field: str, problems: list[Problem]) -> str:
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(Problem(field, f"{_LABELS[field]} must be text"))
        return ""
    hidden = _hidden(value)
    if hidden:
        problems.append(Problem(field, f"{_LABELS[field]} holds {hidden}"))
        return ""
    return value.strip()


def check_arrest(
    data: Mapping[str, Any], *, date_of_birth: str | None = None, today: dt.date | None = None
) -> list[Problem]:
    """Every problem with a booking's arrest data (empty: it can be booked).

    Parameters
    ----------
    data : mapping
        ``oca``, ``ori``, ``date_of_arrest`` (ISO text or a date), ``charges`` (a list of
        offence codes or ``{"code": …, "offence_date": …}`` objects), ``race``, ``smt`` (a
        list of text).
    date_of_birth : str, optional
        The subject's (ISO), for "arrested after birth".
    today : datetime.date, optional
        Reference date for "not in the future" (default: today).

    Returns
    -------
    problems : list of Problem
        In field order, each naming its field.

    Examples
    --------
    >>> [p.field for p in check_arrest({"oca": "24-0001", "ori": "NY03030"})]
    ['ori', 'date_of_arrest', 'charges', 'race']
    """
    today = today or dt.date.today()
    if not isinstance(data, Mapping):
        return [Problem("", f"arrest data must be an object, not {type(data).__name__}")]
    problems: list[Problem] = []
    unknown = sorted(str(k)[:40] for k in data if k not in _LABELS)
    if unknown:
        problems.append(
            Problem(
                "",
                f"unknown arrest field(s) {', '.join(map(repr, unknown[:5]))}: use "
                f"{', '.join(ARREST_FIELDS)}",
            )
        )
    oca = _text(data, "oca", problems)
    if not oca and not any(p.field == "oca" for p in problems):
        problems.append(Problem("oca", "Arrest number (OCA) is required"))
    elif oca and (len(oca) > OCA_LENGTH or not _OCA.fullmatch(oca) or not oca.strip(" ./-")):
        problems.append(
            Problem(
                "oca",
                f"Arrest number (OCA) must be 1-{OCA_LENGTH} letters, digits, spaces, "
                "'-', '/' or '.'",
            )
        )
    ori = _text(data, "ori", problems)
    if not ori and not any(p.field == "ori" for p in problems):
        problems.append(Problem("ori", "Arresting agency ORI is required"))
    elif ori and not _ORI.fullmatch(ori):
        problems.append(
            Problem(
                "ori",
                "Arresting agency ORI must be 9 characters: two letters (the state) then seven "
                f"letters or digits, upper case (NY0303000); got {ori[:20]!r}",
            )
        )
    arrested = _arrest_date(data, date_of_birth, today, problems)
    _charge_problems(data.get("charges"), arrested, today, problems)
    race = data.get("race")
    if race is None or (isinstance(race, str) and not race.strip()):
        problems.append(Problem("race", "Race is required (EBTS 2.025 RAC)"))
    elif not isinstance(race, str) or race.strip().upper() not in {str(r) for r in RACES}:
        problems.append(Problem("race", f"Race must be one of {', '.join(RACES)}"))
    _smt_problems(data.get("smt"), problems)
    return problems


def _arrest_date(
    data: Mapping[str, Any], date_of_birth: str | None, today: dt.date, problems: list[Problem]
) -> dt.date | None:
    value = data.get("date_of_arrest")
    if value is None or value == "":
        problems.append(Problem("date_of_arrest", "Date of arrest is required"))
        return None
    arrested = _iso(value)
    if arrested is None:
        problems.append(
            Problem("date_of_arrest", "Date of arrest must be a date written YYYY-MM-DD")
        )
        return None
    if arrested > today:
        problems.append(Problem("date_of_arrest", "Date of arrest is in the future"))
    elif arrested < EARLIEST_BIRTH:
        problems.append(
            Problem("date_of_arrest", f"Date of arrest is before {EARLIEST_BIRTH.year}")
        )
    else:
        born = _iso(date_of_birth)
        if born is not None and arrested < born:
            problems.append(Problem("date_of_arrest", "Date of arrest is before the date of birth"))
    return arrested


def _charge_problems(
    charges: object, arrested: dt.date | None, today: dt.date, problems: list[Problem]
) -> None:
    if charges is None or (isinstance(charges, list | tuple) and not charges):
        problems.append(Problem("charges", "Charges: at least one charge is required"))
        return
    if not isinstance(charges, list | tuple):
        problems.append(Problem("charges", "Charges must be a list"))
        return
    if len(charges) > MAX_CHARGES:
        problems.append(Problem("charges", f"Charges: at most {MAX_CHARGES}, got {len(charges)}"))
        return
    seen: set[str] = set()
    for number, item in enumerate(charges, start=1):
        if isinstance(item, Charge):
            item = item.to_json()
        code, when = (item, None) if isinstance(item, str) else (None, None)
        if isinstance(item, Mapping):
            code, when = item.get("code"), item.get("offence_date")
        if not isinstance(code, str):
            problems.append(Problem("charges", f"Charge {number} needs an offence code"))
            continue
        try:
            found = offence(code)
        except ValueError:
            problems.append(
                Problem("charges", f"Charge {number}: unknown offence code {code.strip()[:20]!r}")
            )
            continue
        if found.code in seen:
            problems.append(Problem("charges", f"Charge {number}: {found.code} is charged twice"))
        seen.add(found.code)
        if when is None or when == "":
            continue
        committed = _iso(when)
        if committed is None:
            problems.append(
                Problem("charges", f"Charge {number}: offence date must be written YYYY-MM-DD")
            )
        elif committed > today:
            problems.append(Problem("charges", f"Charge {number}: offence date is in the future"))
        elif arrested is not None and committed > arrested:
            problems.append(
                Problem("charges", f"Charge {number}: offence date is after the date of arrest")
            )


def _smt_problems(smt: object, problems: list[Problem]) -> None:
    if smt is None:
        return
    if not isinstance(smt, list | tuple) or not all(isinstance(s, str) for s in smt):
        problems.append(Problem("smt", "Scars, marks and tattoos must be a list of text"))
        return
    entries = [s.strip() for s in smt if s.strip()]
    if len(entries) > MAX_SMT:
        problems.append(
            Problem("smt", f"Scars, marks and tattoos: at most {MAX_SMT}, got {len(entries)}")
        )
    for entry in entries:
        hidden = _hidden(entry)
        if hidden:
            problems.append(Problem("smt", f"Scars, marks and tattoos hold {hidden}"))
        elif len(entry) > SMT_LENGTH:
            problems.append(
                Problem(
                    "smt",
                    f"Scars, marks and tattoos: each at most {SMT_LENGTH} characters "
                    f"({entry[:20]!r}… has {len(entry)})",
                )
            )


def clean_arrest(
    data: Mapping[str, Any] | Arrest,
    *,
    date_of_birth: str | None = None,
    today: dt.date | None = None,
) -> Arrest:
    """The arrest data, checked, as an :class:`~station.core.arrest.Arrest` (text stripped,
    codes upper case, empty SMT lines left out).

    Raises
    ------
    ArrestError
        Every problem :func:`check_arrest` finds, each naming its field.

    Examples
    --------
    >>> a = clean_arrest({"oca": " 26-0042 ", "ori": "NY0303000", "date_of_arrest": "2026-03-04",
    ...                   "charges": ["pl140.25"], "race": "w", "smt": ["TAT R ARM", ""]},
    ...                  today=dt.date(2026, 3, 5))
    >>> a.oca, a.race, a.charges[0].code, a.level, a.smt
    ('26-0042', <Race.W: 'W'>, 'PL140.25', 2, ('TAT R ARM',))
    """
    if isinstance(data, Arrest):
        data = data.to_json()
    problems = check_arrest(data, date_of_birth=date_of_birth, today=today)
    if problems:
        raise ArrestError(problems)
    charges = []
    for item in data["charges"]:
        if isinstance(item, Charge):
            charges.append(item)
        elif isinstance(item, str):
            charges.append(Charge(item))
        else:
            charges.append(Charge(item["code"], item.get("offence_date") or None))
    return Arrest(
        oca=data["oca"].strip(),
        ori=data["ori"].strip(),
        date_of_arrest=_iso(data["date_of_arrest"]),  # type: ignore[arg-type]  # checked
        charges=tuple(charges),
        race=Race.parse(data["race"]),
        smt=tuple(s.strip() for s in data.get("smt") or () if s.strip()),
    )
