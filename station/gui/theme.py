"""Colours and the style sheet of the station (one place for the look).

Quality levels follow NFIQ (1 excellent … 5 poor): 1-2 green, 3 amber, 4-5 red; grey means
not captured. Colour never carries meaning alone: tiles show the level number, banners their
word. Every text and fill colour pair meets WCAG 2.1 AA (:data:`CONTRAST_PAIRS`, checked by
the tests with :func:`contrast_ratio`). Fonts are the system's (sizes are relative), so text
scales with it.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from station.core.vocabulary import Disposition

__all__ = [
    "AMBER",
    "CONTRAST_PAIRS",
    "DISPOSITION_COLOURS",
    "GREEN",
    "GREY",
    "RED",
    "STYLE_SHEET",
    "contrast_ratio",
    "level_colour",
    "level_word",
    "tint",
]

# Dark enough for white text (≥ 4.5:1) and for text on white (≥ 4.5:1).
GREEN = "#1e7a3c"
AMBER = "#8f5b00"
RED = "#b3261e"
GREY = "#9aa3ad"
BLUE = "#2f6fd6"
HEADER = "#1d2733"
HEADER_TEXT = "#e8eef5"
#: Background of the window (Qt's default palette) and of the hand diagram.
WINDOW = "#efefef"
CANVAS = "#fbfcfd"
#: Secondary text (hints, steps not reached yet).
MUTED = "#5e6a78"
#: Disabled primary buttons: dark text on light grey.
DISABLED_BG = "#d5dbe3"
DISABLED_TEXT = "#4a5563"

#: Banner background of each disposition (white bold text on it).
DISPOSITION_COLOURS: dict[str, str] = {
    Disposition.HIT: RED,
    Disposition.NO_HIT: GREEN,
    Disposition.REVIEW: AMBER,
    Disposition.RECAPTURE: "#a34d0b",
    Disposition.ERROR: "#6b1f2a",
}


def tint(colour: str, amount: float = 0.7) -> str:
    """``colour`` mixed with white (``amount`` 0 … 1 of white), as ``#rrggbb``.

    Examples
    --------
    >>> tint("#000000", 0.5)
    '#808080'
    """
    text = colour.lstrip("#")
    if len(text) != 6 or not 0.0 <= amount <= 1.0:
        raise ValueError(
            f"tint needs a #rrggbb colour and an amount in 0..1, got {colour!r}, {amount}"
        )
    channels = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in channels)


#: (what, foreground, background, minimum ratio): every colour pair the station draws with
#: meaning. WCAG 2.1 AA: 4.5:1 for text, 3:1 for large text and for graphical objects such
#: as the quality tiles against the diagram.
CONTRAST_PAIRS: tuple[tuple[str, str, str, float], ...] = (
    *((f"banner {word}", "#ffffff", colour, 4.5) for word, colour in DISPOSITION_COLOURS.items()),
    *(
        (f"tile {name} fill", colour, CANVAS, 3.0)
        for name, colour in (("green", GREEN), ("amber", AMBER), ("red", RED))
    ),
    *(
        (f"tile {name} text", "#ffffff", colour, 4.5)
        for name, colour in (("green", GREEN), ("amber", AMBER), ("red", RED))
    ),
    *(
        (f"caption {name}", colour, "#ffffff", 4.5)
        for name, colour in (("green", GREEN), ("amber", AMBER), ("red", RED))
    ),
    *(
        (f"label {name} on window", colour, WINDOW, 4.5)
        for name, colour in (("green", GREEN), ("amber", AMBER), ("red", RED), ("muted", MUTED))
    ),
    *(
        (f"quality bar {name} tint", "#10161d", tint(colour), 4.5)
        for name, colour in (("green", GREEN), ("amber", AMBER), ("red", RED))
    ),
    ("tile not captured text", "#222a33", "#c5cbd3", 4.5),
    ("tile outline", "#6b7785", CANVAS, 3.0),
    ("next/submit enabled", "#ffffff", BLUE, 4.5),
    ("next/submit disabled", DISABLED_TEXT, DISABLED_BG, 4.5),
    ("capture button", "#ffffff", GREEN, 4.5),
    ("header text", HEADER_TEXT, HEADER, 4.5),
    ("step current", "#ffffff", BLUE, 4.5),
    ("step done", "#1d5a31", "#cfe3d5", 4.5),
    ("step to come", MUTED, "#eef2f7", 4.5),
)


def _luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB ``#rrggbb`` colour."""
    text = colour.lstrip("#")
    if len(text) != 6:
        raise ValueError(f"colour {colour!r} is not #rrggbb")
    channels = []
    for i in (0, 2, 4):
        c = int(text[i : i + 2], 16) / 255.0
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio of two ``#rrggbb`` colours, 1 (same) … 21 (black on white).

    ``(L1 + 0.05) / (L2 + 0.05)`` with L1 the lighter relative luminance
    (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).

    Examples
    --------
    >>> round(contrast_ratio("#ffffff", "#000000"), 1)
    21.0
    >>> round(contrast_ratio("#ffffff", "#e0a21b"), 2)
    2.25
    """
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


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
QLabel#shortcutHintLabel {{ color: {MUTED}; }}
QFrame#alertBar {{ background: #fdecea; border: 1px solid {RED}; border-radius: 4px; }}
QFrame#alertBar[level="info"] {{ background: #e8f1fd; border: 1px solid {BLUE}; }}
QFrame#scannerErrorPanel {{ background: #fdecea; border: 2px solid {RED}; border-radius: 4px; }}
QLabel#formErrorLabel {{ color: {RED}; }}
QPushButton {{ padding: 5px 12px; }}
QPushButton#nextButton, QPushButton#submitButton {{
    background: {BLUE}; color: white; border-radius: 3px; padding: 6px 16px; font-weight: bold;
}}
QPushButton#nextButton:disabled, QPushButton#submitButton:disabled {{
    background: {DISABLED_BG}; color: {DISABLED_TEXT};
}}
QPushButton#captureButton {{
    background: {GREEN}; color: white; border-radius: 3px; padding: 8px 18px; font-weight: bold;
}}
QPushButton#captureButton:disabled {{ background: {DISABLED_BG}; color: {DISABLED_TEXT}; }}
QPushButton:focus {{ outline: none; border: 2px solid #8fb8ff; }}
"""
