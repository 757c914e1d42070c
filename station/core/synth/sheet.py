"""A contact sheet of synthetic prints, so a person can look at what the generator makes."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .master import master_print

__all__ = ["class_examples", "contact_sheet"]

_CLASSES = ("arch", "tented_arch", "left_loop", "right_loop", "whorl")


def class_examples(finger: str = "R2", *, population: int = 0, limit: int = 400) -> dict[str, int]:
    """The first subject (by number) whose ``finger`` has each Henry class."""
    found: dict[str, int] = {}
    for subject in range(limit):
        pattern = master_print(subject, finger, population=population).pattern
        found.setdefault(pattern, subject)
        if len(found) == len(_CLASSES):
            break
    return found


def _tile(image: np.ndarray, label: str, side: int) -> Image.Image:
    img = Image.fromarray(image)
    img.thumbnail((side, side), Image.Resampling.LANCZOS)
    tile = Image.new("L", (side, side + 22), 255)
    tile.paste(img, ((side - img.width) // 2, (side - img.height) // 2))
    draw = ImageDraw.Draw(tile)
    draw.text((6, side + 4), label, fill=0, font=ImageFont.load_default())
    return tile


def contact_sheet(*, population: int = 0, side: int = 300) -> np.ndarray:
    """One rolled print of each class, then several impressions of one finger.

    Returns
    -------
    sheet : (M, N) ndarray of uint8
        Two rows of labelled tiles.
    """
    from . import impression

    examples = class_examples(population=population)
    top = []
    for pattern in _CLASSES:
        if pattern in examples:
            image, _ = impression(examples[pattern], "R2", 0, population=population)
            top.append(
                _tile(image, f"{pattern.replace('_', ' ')} (subject {examples[pattern]})", side)
            )
    subject = examples.get("right_loop", 0)
    bottom = []
    for n, (kind, degradation) in enumerate(
        [("rolled", 0.1), ("flat", 0.0), ("flat", 0.3), ("flat", 0.6), ("flat", 0.85)]
    ):
        image, truth = impression(
            subject, "R2", n, population=population, kind=kind, degradation=degradation
        )
        bottom.append(
            _tile(image, f"#{n} {kind}, degr. {degradation:.2f}, {len(truth)} min.", side)
        )
    cols = max(len(top), len(bottom))
    sheet = Image.new("L", (cols * side, 2 * (side + 22)), 255)
    for row, tiles in enumerate((top, bottom)):
        for col, tile in enumerate(tiles):
            sheet.paste(tile, (col * side, row * (side + 22)))
    return np.asarray(sheet)
