"""The one check of a subject's demographics, for the booking form and for ``station book``.

:func:`check_demographics` lists every problem, each naming its field, in plain words (the GUI
shows them all); :func:`clean_demographics` raises :class:`DemographicsError` with the first
and returns the values as the gallery stores them; :func:`read_demographics_file` reads a JSON
file within bounds (size, nesting) before the check.

Rules (EBTS-style fields):

* ``last_name``, ``first_name``: required, at most 50 characters, letters (any alphabet),
  spaces, hyphens, apostrophes and periods, at least one letter;
* ``middle_initial``: one letter;
* ``date_of_birth``: required, an ISO date ``YYYY-MM-DD``, in the past, not before 1900 nor
  more than 120 years ago;
* ``sex``: required, ``M``, ``F``, ``X`` or ``U``;
* ``height``: three digits, feet then inches (``511``: 5 ft 11 in; 3-8 ft, inches 00-11);
* ``weight``: a whole number of pounds, 50-999;
* ``eye_colour``, ``hair_colour``: a three-letter code (``BRO``, ``BLK`` ...);
* ``place_of_birth``: at most 60 characters, letters, digits, spaces and ``-.,'``.

Control characters and bidirectional overrides (U+202A-U+202E, U+2066-U+2069) are refused in
every text field, whatever it allows otherwise: they would let a name display as something
else.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.core.vocabulary import DEMOGRAPHIC_FIELDS

__all__ = [
    "DEMOGRAPHIC_FIELDS",
    "EYES",
    "HAIR",
    "MAX_FILE_BYTES",
    "NAME_LENGTH",
    "PLACE_LENGTH",
    "SEXES",
    "DemographicsError",
    "Problem",
    "check_demographics",
    "clean_demographics",
    "read_demographics_file",
]

#: Sex codes (EBTS SEX) and how the form labels them.
SEXES = (("M", "M — male"), ("F", "F — female"), ("X", "X — unspecified"), ("U", "U — unknown"))
#: Eye and hair colour codes the form offers ("" for not given).
EYES = ("", "BLK", "BLU", "BRO", "GRN", "GRY", "HAZ", "MAR", "MUL", "PNK", "XXX")
HAIR = ("", "BAL", "BLK", "BLN", "BRO", "GRY", "RED", "SDY", "WHI", "XXX")
#: Longest name and place of birth, in characters.
NAME_LENGTH, PLACE_LENGTH = 50, 60
#: Lightest and heaviest weight accepted, pounds.
WEIGHT_RANGE = (50, 999)
#: Oldest date of birth accepted.
EARLIEST_BIRTH = dt.date(1900, 1, 1)
#: Largest demographics file read, in bytes (a subject's fields take a few hundred).
MAX_FILE_BYTES = 64_000

_LABELS = {
    "last_name": "Last name",
    "first_name": "First name",
    "middle_initial": "Middle initial",
    "date_of_birth": "Date of birth",
    "sex": "Sex",
    "height": "Height",
    "weight": "Weight",
    "eye_colour": "Eye colour",
    "hair_colour": "Hair colour",
    "place_of_birth": "Place of birth",
}
_NAME_PUNCTUATION = frozenset(" -'’.")
_PLACE_PUNCTUATION = frozenset(" -'’.,")
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_COLOUR = re.compile(r"[A-Z]{3}")


class DemographicsError(ValueError):
    """Demographics that cannot be booked; the message names each field, as the form does.

    ``problem`` is the first problem, ``problems`` all of them (in the form's order).
    """

    def __init__(self, problems: Problem | Sequence[Problem], *, where: str = "") -> None:
        found = (problems,) if isinstance(problems, Problem) else tuple(problems)
        if not found:
            raise ValueError("a DemographicsError needs at least one problem")
        text = "; ".join(f"{p.message}" + (f" (field {p.field})" if p.field else "") for p in found)
        super().__init__(f"{where}{text}")
        self.problem = found[0]
        self.problems = found


@dataclass(frozen=True)
class Problem:
    """One problem with one field.

    Attributes
    ----------
    field : str
        The field (``"last_name"`` ...), or ``""`` for the whole record.
    message : str
        A plain sentence starting with the field's label, e.g. ``"First name is required"``.
    """

    field: str
    message: str


def _hidden(value: str) -> str | None:
    """Why ``value`` holds a character that hides or disguises text, or ``None``."""
    for c in value:
        if c in _BIDI:
            return f"a bidirectional override (U+{ord(c):04X})"
        if ord(c) < 32 or 127 <= ord(c) < 160:
            return f"a control character (U+{ord(c):04X})"
    return None


def _text(data: Mapping[str, Any], field: str, problems: list[Problem]) -> str:
    """The field as stripped text ('' when missing); a problem if it is not text."""
    value = data.get(field)
    if value is None:
        return ""
    if not isinstance(value, str):
        problems.append(
            Problem(field, f"{_LABELS[field]} must be text, not {type(value).__name__}")
        )
        return ""
    return value.strip()


def _name(value: str, field: str, limit: int, allowed: frozenset[str]) -> str | None:
    label = _LABELS[field]
    if len(value) > limit:
        return f"{label} is longer than {limit} characters ({len(value)})"
    hidden = _hidden(value)
    if hidden:
        return f"{label} holds {hidden}"
    odd = sorted({c for c in value if not (c.isalpha() or c in allowed)})
    if field == "place_of_birth":
        odd = [c for c in odd if not c.isdigit()]
    if odd:
        shown = " ".join(repr(c) for c in odd[:5])
        what = (
            "letters, digits, spaces and - . , '"
            if field == "place_of_birth"
            else ("letters, spaces, hyphens, apostrophes and periods")
        )
        return f"{label} may hold only {what}, not {shown}"
    if not any(c.isalpha() for c in value):
        return f"{label} must contain letters"
    return None


def check_demographics(data: Mapping[str, Any], *, today: dt.date | None = None) -> list[Problem]:
    """Every problem with a subject's demographics (empty: they can be booked).

    Parameters
    ----------
    data : mapping
        Field name to value: text, ``weight`` a whole number; missing or ``None`` optional
        fields are fine.
    today : datetime.date, optional
        Reference date for "in the past" (default: today).

    Returns
    -------
    problems : list of Problem
        In field order, each naming its field.

    Examples
    --------
    >>> [p.field for p in check_demographics({"last_name": "Doe", "sex": "M"})]
    ['first_name', 'date_of_birth']
    """
    today = today or dt.date.today()
    if not isinstance(data, Mapping):
        return [Problem("", f"demographics must be an object, not {type(data).__name__}")]
    problems: list[Problem] = []
    unknown = sorted(str(k)[:40] for k in data if k not in _LABELS)
    if unknown:
        problems.append(
            Problem(
                "",
                f"unknown field(s) {', '.join(map(repr, unknown[:5]))}: use "
                f"{', '.join(DEMOGRAPHIC_FIELDS)}",
            )
        )
    for field in ("last_name", "first_name"):
        value = _text(data, field, problems)
        if not value:
            if not any(p.field == field for p in problems):
                problems.append(Problem(field, f"{_LABELS[field]} is required"))
            continue
        why = _name(value, field, NAME_LENGTH, _NAME_PUNCTUATION)
        if why:
            problems.append(Problem(field, why))
    mi = _text(data, "middle_initial", problems)
    if mi and (len(mi) != 1 or not mi.isalpha()):
        problems.append(Problem("middle_initial", "Middle initial must be one letter"))
    problems.extend(_date_problems(data, problems, today))
    sex = data.get("sex")
    if not isinstance(sex, str) or sex not in {code for code, _ in SEXES}:
        problems.append(Problem("sex", "Sex must be M, F, X or U"))
    height = _text(data, "height", problems)
    if height and not _ebts_height(height):
        problems.append(
            Problem(
                "height",
                "Height must be three digits, feet and inches (511 for 5 ft 11 in; 3-8 ft, "
                "inches 00-11)",
            )
        )
    weight = data.get("weight")
    if weight is not None and (
        isinstance(weight, bool)
        or not isinstance(weight, int)
        or not WEIGHT_RANGE[0] <= weight <= WEIGHT_RANGE[1]
    ):
        shown = repr(weight) if len(repr(weight)) <= 20 else repr(weight)[:20] + "…"
        problems.append(
            Problem(
                "weight",
                f"Weight must be a whole number of pounds, {WEIGHT_RANGE[0]}-{WEIGHT_RANGE[1]} "
                f"(got {shown})",
            )
        )
    for field in ("eye_colour", "hair_colour"):
        value = _text(data, field, problems)
        if value and not _COLOUR.fullmatch(value):
            problems.append(
                Problem(field, f"{_LABELS[field]} must be a three-letter code such as BRO")
            )
    place = _text(data, "place_of_birth", problems)
    if place:
        why = _name(place, "place_of_birth", PLACE_LENGTH, _PLACE_PUNCTUATION)
        if why:
            problems.append(Problem("place_of_birth", why))
    return problems


def _ebts_height(text: str) -> bool:
    """Three ASCII digits: feet 3-8, inches 00-11."""
    return (
        len(text) == 3
        and text.isascii()
        and text.isdigit()
        and 3 <= int(text[0]) <= 8
        and int(text[1:]) <= 11
    )


def _date_problems(
    data: Mapping[str, Any], problems: list[Problem], today: dt.date
) -> list[Problem]:
    text = _text(data, "date_of_birth", problems)
    if any(p.field == "date_of_birth" for p in problems):
        return []
    try:
        if len(text) != 10:
            raise ValueError(text)
        dob = dt.date.fromisoformat(text)
    except ValueError:
        return [Problem("date_of_birth", "Date of birth must be a date written YYYY-MM-DD")]
    if dob >= today:
        return [Problem("date_of_birth", "Date of birth must be in the past")]
    if dob < EARLIEST_BIRTH:
        return [Problem("date_of_birth", f"Date of birth is before {EARLIEST_BIRTH.year}")]
    if dob.year < today.year - 120:
        return [Problem("date_of_birth", "Date of birth is more than 120 years ago")]
    return []


def clean_demographics(data: Mapping[str, Any], *, today: dt.date | None = None) -> dict[str, Any]:
    """The demographics, checked, with text stripped and empty optional fields left out.

    Raises
    ------
    DemographicsError
        Every problem :func:`check_demographics` finds, each naming its field.

    Examples
    --------
    >>> clean_demographics({"last_name": " Doe ", "first_name": "Jane",
    ...                     "date_of_birth": "1990-02-03", "sex": "F", "height": ""})
    {'last_name': 'Doe', 'first_name': 'Jane', 'date_of_birth': '1990-02-03', 'sex': 'F'}
    """
    problems = check_demographics(data, today=today)
    if problems:
        raise DemographicsError(problems)
    out: dict[str, Any] = {}
    for field in DEMOGRAPHIC_FIELDS:
        value = data.get(field)
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None:
            out[field] = value
    return out


def read_demographics_file(path: Path, *, today: dt.date | None = None) -> dict[str, Any]:
    """Read and check a demographics JSON file (one flat object, at most 64 kB).

    Raises
    ------
    ValueError
        Missing, too large (refused before it is read), not UTF-8 JSON, too deeply nested, not
        an object, or a :class:`DemographicsError` naming the field.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"demographics file not found: {path}")
    if not path.is_file():
        raise ValueError(f"demographics file {path} is not a file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(
            f"demographics file {path} is {size} bytes, more than the {MAX_FILE_BYTES} a "
            "subject's fields can need"
        )
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except RecursionError:
        raise ValueError(f"demographics file {path} is nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"demographics file {path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"demographics file {path} must hold a JSON object")
    try:
        return clean_demographics(data, today=today)
    except DemographicsError as exc:
        raise DemographicsError(exc.problems, where=f"demographics file {path}: ") from None
