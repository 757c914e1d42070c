"""Minutiae drawn on a print, for a person to check what the extractor found."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .template import Template

__all__ = ["BIFURCATION_COLOUR", "ENDING_COLOUR", "draw_overlay"]

ENDING_COLOUR = (220, 40, 40)  # red
BIFURCATION_COLOUR = (30, 110, 230)  # blue
CORE_COLOUR = (20, 170, 60)
DELTA_COLOUR = (230, 150, 0)


def draw_overlay(
    image: np.ndarray, template: Template, *, radius: float = 5.0, tick: float = 13.0
) -> np.ndarray:
    """Draw minutiae (circle + direction tick; red endings, blue bifurcations) and singular
    points (green square core, orange triangle delta) on a grey print.

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        The print the template was extracted from, at the template's resolution.
    template : Template
        Its features.
    radius, tick : float, optional
        Circle radius and tick length (px).

    Returns
    -------
    overlay : (M, N, 3) ndarray of uint8
    """
    grey = np.asarray(image)
    if grey.ndim != 2:
        raise ValueError("draw_overlay expects a grey image")
    rgb = Image.fromarray(grey.astype(np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(rgb)
    for (x, y, angle, kind), _q in zip(template.minutiae, template.minutia_quality, strict=True):
        colour = BIFURCATION_COLOUR if kind else ENDING_COLOUR
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=colour, width=2)
        end = (x + tick * np.cos(angle), y + tick * np.sin(angle))
        start = (x + radius * np.cos(angle), y + radius * np.sin(angle))
        draw.line((start, end), fill=colour, width=2)
    for x, y, kind in template.singular_points:
        if kind > 0:
            draw.rectangle((x - 7, y - 7, x + 7, y + 7), outline=CORE_COLOUR, width=2)
        else:
            draw.polygon([(x, y - 8), (x + 8, y + 6), (x - 8, y + 6)], outline=DELTA_COLOUR)
    return np.asarray(rgb)
