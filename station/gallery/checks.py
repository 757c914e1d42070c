"""Argument checks of the gallery's methods: a ``ValueError`` naming the problem, raised
before anything is written; and small conversions of rows on their way out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from station.core.template import Template
from station.core.vocabulary import FINGERS, SLAPS, validate_finger

from .schema import DEMOGRAPHIC_FIELDS

__all__ = [
    "MAX_TEXT",
    "booking_dict",
    "choice",
    "count",
    "finger_or_slap",
    "flags",
    "like",
    "row_id",
    "score",
    "template_blob",
    "text",
]

#: Longest free text accepted (names, devices, actions), in characters.
MAX_TEXT = 200


def row_id(value: object, name: str) -> int:
    """A row id: a whole number >= 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


def count(value: object, name: str) -> int:
    """An offset, limit or synthetic id: a whole number >= 0."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


def text(value: object, name: str, *, optional: bool = False, limit: int = MAX_TEXT) -> Any:
    """Non-empty text of at most ``limit`` characters, stripped (``None`` if optional)."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be non-empty text, got {value!r}")
    value = value.strip()
    if len(value) > limit:
        raise ValueError(f"{name} is longer than {limit} characters")
    return value


def choice(value: object, choices: Sequence[str], name: str) -> str:
    """One of ``choices``, exactly."""
    if value not in choices:
        raise ValueError(f"unknown {name} {value!r}: use one of {', '.join(choices)}")
    return str(value)


def score(value: object, name: str, low: int, high: int) -> int | None:
    """A whole number in ``low..high``, or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number {low}-{high}, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be {low}-{high}, got {value}")
    return int(value)


def template_blob(template: object) -> bytes | None:
    """The stored form of a ``Template`` (``None`` stays ``None``)."""
    if template is None:
        return None
    if not isinstance(template, Template):
        raise ValueError(f"template must be a Template, got {type(template).__name__}")
    return template.to_bytes()


def finger_or_slap(code: object) -> str:
    """A finger code ``R1`` … ``L5`` or a slap code ``RS``, ``LS``, ``TS`` (upper-cased)."""
    if isinstance(code, str) and code.strip().upper() in SLAPS:
        return code.strip().upper()
    try:
        return validate_finger(code)
    except ValueError:
        raise ValueError(
            f"unknown finger code {code!r}: use one of {', '.join(FINGERS + SLAPS)}"
        ) from None


def like(term: str) -> str:
    """A ``LIKE … ESCAPE '\\'`` pattern that finds ``term`` literally anywhere in a text."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def flags(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SQLite's 0/1 ``has_template`` as a bool."""
    for row in rows:
        row["has_template"] = bool(row["has_template"])
    return rows


def booking_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A booking row with its demographic columns gathered under ``demographics``."""
    out = {k: v for k, v in row.items() if k not in DEMOGRAPHIC_FIELDS}
    out["demographics"] = {k: row[k] for k in DEMOGRAPHIC_FIELDS}
    return out
