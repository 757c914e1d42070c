"""Colours and the style sheet of the station (one place for the look).

Quality levels follow NFIQ (1 excellent … 5 poor): 1-2 green, 3 amber, 4-5 red; grey means
not captured. Fonts are the system's (sizes are relative), so text scales with it.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from station.core.vocabulary import Disposition

__all__ = [
    "DISPOSITION_COLOURS",
    "GREEN",
    "GREY",
    "RED",
    "STYLE_SHEET",
    "level_colour",
    "level_word",
]

GREEN = "#2e9d4f"
AMBER = "#e0a21b"
RED = "#d0393b"
GREY = "#9aa3ad"
BLUE = "#2f6fd6"
HEADER = "#1d2733"
HEADER_TEXT = "#e8eef5"

#: Banner background of each disposition.
DISPOSITION_COLOURS: dict[str, str] = {
    Disposition.HIT: RED,
    Disposition.NO_HIT: GREEN,
    Disposition.REVIEW: AMBER,
    Disposition.RECAPTURE: "#d9731a",
    Disposition.ERROR: "#6b1f2a",
}


def level_colour(level: int | None) -> QColor:
    """Colour of a quality level: 1-2 green, 3 amber, 4-5 red, ``None`` grey."""
    if level is None:
        return QColor(GREY)
    if level <= 2:
        return QColor(GREEN)
    if level == 3:
        return QColor(AMBER)
    return QColor(RED)


def level_word(level: int | None) -> str:
    """Plain word for a quality level, NFIQ-style: 1 excellent … 5 poor."""
    return {1: "excellent", 2: "very good", 3: "good", 4: "fair", 5: "poor"}.get(
        level or 0, "not captured"
    )


STYLE_SHEET = f"""
QWidget#headerBar {{ background: {HEADER}; }}
QWidget#headerBar QLabel {{ color: {HEADER_TEXT}; }}
QLabel#productLabel {{ font-weight: bold; letter-spacing: 1px; }}
QWidget#headerBar QPushButton {{
    color: {HEADER_TEXT}; background: #2c3a4a; border: 1px solid #46586c;
    border-radius: 3px; padding: 4px 10px;
}}
QWidget#headerBar QPushButton:focus {{ border: 1px solid #8fb8ff; }}
QLabel#promptLabel {{ font-weight: bold; color: {HEADER}; }}
QLabel#pageTitle {{ font-weight: bold; color: {HEADER}; }}
QFrame#alertBar {{ background: #fdecea; border: 1px solid {RED}; border-radius: 4px; }}
QFrame#alertBar[level="info"] {{ background: #e8f1fd; border: 1px solid {BLUE}; }}
QFrame#scannerErrorPanel {{ background: #fdecea; border: 2px solid {RED}; border-radius: 4px; }}
QLabel#formErrorLabel {{ color: {RED}; }}
QPushButton {{ padding: 5px 12px; }}
QPushButton#nextButton, QPushButton#submitButton {{
    background: {BLUE}; color: white; border-radius: 3px; padding: 6px 16px; font-weight: bold;
}}
QPushButton#nextButton:disabled, QPushButton#submitButton:disabled {{ background: #b8c4d2; }}
QPushButton#captureButton {{
    background: {GREEN}; color: white; border-radius: 3px; padding: 8px 18px; font-weight: bold;
}}
QPushButton#captureButton:disabled {{ background: #b8c4d2; }}
QPushButton:focus {{ outline: none; border: 2px solid #8fb8ff; }}
"""
