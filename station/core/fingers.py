"""Finger codes and positions.

The project names the ten fingers ``R1``–``R5`` and ``L1``–``L5`` (1 = thumb) and maps them to
the finger position codes (FGP) of ANSI/NIST-ITL 1-2011, Table 8: 1–5 right thumb … little,
6–10 left thumb … little. Capture order on a live-scan station is R1 … R5 then L1 … L5.
"""

from __future__ import annotations

__all__ = ["FINGERS", "FINGER_NAMES", "fgp", "finger_index", "validate_finger"]

FINGERS: tuple[str, ...] = ("R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3", "L4", "L5")

FINGER_NAMES: dict[str, str] = {
    "R1": "right thumb",
    "R2": "right index",
    "R3": "right middle",
    "R4": "right ring",
    "R5": "right little",
    "L1": "left thumb",
    "L2": "left index",
    "L3": "left middle",
    "L4": "left ring",
    "L5": "left little",
}


def validate_finger(code: str) -> str:
    """Return the canonical finger code, or raise ``ValueError`` naming the valid ones."""
    if isinstance(code, str) and code.strip().upper() in FINGERS:
        return code.strip().upper()
    raise ValueError(f"unknown finger code {code!r}: use one of {', '.join(FINGERS)}")


def finger_index(code: str) -> int:
    """Index 0–9 of a finger code in capture order (R1 = 0 … L5 = 9)."""
    return FINGERS.index(validate_finger(code))


def fgp(code: str) -> int:
    """ANSI/NIST-ITL finger position code (FGP 1–10) of a finger code."""
    return finger_index(code) + 1
