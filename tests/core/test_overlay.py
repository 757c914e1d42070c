"""Minutiae and singular points drawn on a print: colours and places of the marks."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.overlay import (
    BIFURCATION_COLOUR,
    CORE_COLOUR,
    DELTA_COLOUR,
    ENDING_COLOUR,
    draw_overlay,
)
from station.core.template import Template

GREY = (200, 200, 200)


@pytest.fixture
def drawn() -> np.ndarray:
    template = Template(
        96,
        64,
        minutiae=np.array([[30, 40, 0.0, 0], [70, 30, np.pi / 2, 1]], np.float32),
        singular_points=np.array([[20, 15, 1], [75, 48, -1]], np.float32),
    )
    return draw_overlay(np.full((64, 96), 200, np.uint8), template)


def _colour(rgb: np.ndarray, row: int, col: int) -> tuple[int, ...]:
    return tuple(int(v) for v in rgb[row, col])


def test_the_overlay_is_an_rgb_copy_of_the_print(drawn: np.ndarray) -> None:
    assert drawn.shape == (64, 96, 3) and drawn.dtype == np.uint8
    assert _colour(drawn, 0, 0) == GREY and _colour(drawn, 63, 95) == GREY


def test_an_ending_is_a_red_circle_with_a_tick_along_its_direction(drawn: np.ndarray) -> None:
    # Circle of radius 5 round (x=30, y=40); tick from x=35 to x=43 (angle 0: toward +x).
    assert _colour(drawn, 40, 25) == ENDING_COLOUR
    assert _colour(drawn, 35, 30) == ENDING_COLOUR
    assert _colour(drawn, 40, 40) == ENDING_COLOUR
    assert _colour(drawn, 40, 30) == GREY  # the centre is left clear
    assert _colour(drawn, 40, 18) == GREY  # no tick behind it


def test_a_bifurcation_is_a_blue_circle_with_a_tick_along_its_direction(
    drawn: np.ndarray,
) -> None:
    # Circle round (x=70, y=30); angle pi/2 points toward +y (down): tick y=35..43.
    assert _colour(drawn, 25, 70) == BIFURCATION_COLOUR
    assert _colour(drawn, 40, 70) == BIFURCATION_COLOUR
    assert _colour(drawn, 20, 70) == GREY


def test_singular_points_are_a_green_square_and_an_orange_triangle(drawn: np.ndarray) -> None:
    assert _colour(drawn, 8, 20) == CORE_COLOUR  # top side of the square round (20, 15)
    assert _colour(drawn, 15, 13) == CORE_COLOUR  # its left side
    assert _colour(drawn, 54, 75) == DELTA_COLOUR  # base of the triangle round (75, 48)
    assert _colour(drawn, 15, 20) == GREY


def test_an_empty_template_changes_nothing() -> None:
    image = np.arange(64 * 96, dtype=np.uint32).reshape(64, 96).astype(np.uint8)
    rgb = draw_overlay(image, Template(96, 64))
    assert all(np.array_equal(rgb[..., k], image) for k in range(3))


def test_a_colour_image_is_refused() -> None:
    with pytest.raises(ValueError, match="grey"):
        draw_overlay(np.zeros((64, 96, 3), np.uint8), Template(96, 64))
