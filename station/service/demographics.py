"""The demographics a booking needs, checked the same way by the window and the headless
``station book --prints``: one plain sentence per problem.

The demographics JSON file of ``station book --prints DIR --demographics FILE.json`` is one
object with these keys (the New booking form's fields):

``last_name``, ``first_name`` (required, with letters), ``middle_initial`` (one letter or
empty), ``date_of_birth`` (``YYYY-MM-DD``, in the past, at most 120 years ago), ``sex`` (``M``,
``F``, ``X`` or ``U``), ``height`` (three digits, feet and inches: ``511``; optional), ``weight``
(pounds; optional), ``eye_colour``, ``hair_colour`` (NCIC codes, optional), ``place_of_birth``
(optional).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

__all__ = ["SEX_CODES", "validate_demographics"]

#: Sex codes (EBTS): male, female, unspecified, unknown.
SEX_CODES: tuple[str, ...] = ("M", "F", "X", "U")


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def validate_demographics(data: Mapping[str, Any], *, today: dt.date | None = None) -> list[str]:
    """Problems with the demographics, one plain sentence each (empty: fine).

    Parameters
    ----------
    data : mapping
        ``last_name, first_name, middle_initial, date_of_birth, sex, height, weight`` … as
        text (the form) or JSON values (a file; numbers are read as their digits).
    today : datetime.date, optional
        Reference date for "in the past" (default: today).

    Returns
    -------
    list of str
        E.g. ``['First name is required']``.

    Examples
    --------
    >>> validate_demographics({"last_name": "Green", "date_of_birth": "1990-02-03",
    ...     "sex": "M"}, today=dt.date(2026, 1, 1))
    ['First name is required']
    """
    today = today or dt.date.today()
    problems = []
    for key, label in (("last_name", "Last name"), ("first_name", "First name")):
        value = _text(data.get(key))
        if not value:
            problems.append(f"{label} is required")
        elif not any(c.isalpha() for c in value):
            problems.append(f"{label} must contain letters")
    mi = _text(data.get("middle_initial"))
    if mi and (len(mi) != 1 or not mi.isalpha()):
        problems.append("Middle initial must be one letter")
    dob_text = _text(data.get("date_of_birth"))
    try:
        dob = dt.date.fromisoformat(dob_text)
    except ValueError:
        problems.append("Date of birth must be a date written YYYY-MM-DD")
    else:
        if dob >= today:
            problems.append("Date of birth must be in the past")
        elif dob.year < today.year - 120:
            problems.append("Date of birth is more than 120 years ago")
    if data.get("sex") not in SEX_CODES:
        problems.append("Sex must be M, F, X or U")
    height = _text(data.get("height"))
    if height and not (height.isdigit() and len(height) == 3):
        problems.append("Height must be three digits, feet and inches (511 for 5 ft 11 in)")
    return problems
