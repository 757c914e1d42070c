"""The minutiae stage on drawn skeletons: crossing numbers, directions, spurious filters.

Direction convention (README, "Public contract"): radians from +x toward +y (y down); an
ending points along its ridge, into the ridge that ends; a bifurcation along the valley
between its two branches, away from the stem.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage.draw import circle_perimeter, line

from station.core.extract.minutiae import find_minutiae, skeleton
from station.core.extract.orientation import OrientationField
from station.core.extract.params import DEFAULT_PARAMETERS
from station.core.vocabulary import MinutiaType

ENDING, BIFURCATION = MinutiaType.ENDING, MinutiaType.BIFURCATION

SIDE = 96
CENTRE = 48


def _flow(theta: float, shape: tuple[int, int] = (SIDE, SIDE), step: int = 4) -> OrientationField:
    """A perfectly coherent orientation field running at ``theta`` everywhere."""
    grid = (-(-shape[0] // step), -(-shape[1] // step))
    return OrientationField(
        theta=np.full(grid, np.mod(theta, np.pi)),
        coherence=np.ones(grid),
        energy=np.ones(grid),
        step=step,
    )


def _segment(skel: np.ndarray, start: tuple[float, float], end: tuple[float, float]) -> None:
    """Draw a one-pixel 8-connected segment between two (row, col) points."""
    rr, cc = line(round(start[0]), round(start[1]), round(end[0]), round(end[1]))
    skel[rr, cc] = True


def _find(skel: np.ndarray, theta: float, mask: np.ndarray | None = None):
    mask = np.ones(skel.shape, bool) if mask is None else mask
    return find_minutiae(skel, mask, _flow(theta, skel.shape), DEFAULT_PARAMETERS)


def _turn(a: float, b: float) -> float:
    """Absolute difference of two directions (rad), 0..pi."""
    return abs(float(np.angle(np.exp(1j * (a - b)))))


def _at(minutiae: np.ndarray, x: float, y: float, tol: float = 1.5) -> np.ndarray:
    """The one minutia within ``tol`` px of (x, y)."""
    near = np.hypot(minutiae[:, 0] - x, minutiae[:, 1] - y) <= tol
    assert near.sum() == 1, f"expected one minutia near ({x}, {y}), found {minutiae[:, :2]}"
    return minutiae[near][0]


@pytest.mark.parametrize("degrees", [0, 30, 45, 90, 135, 160])
def test_a_straight_ridge_has_two_endings_pointing_into_it(degrees: int) -> None:
    a = np.radians(degrees)
    skel = np.zeros((SIDE, SIDE), bool)
    r0, c0 = round(CENTRE - 25 * np.sin(a)), round(CENTRE - 25 * np.cos(a))
    r1, c1 = round(CENTRE + 25 * np.sin(a)), round(CENTRE + 25 * np.cos(a))
    _segment(skel, (r0, c0), (r1, c1))
    minutiae, border = _find(skel, a)
    assert minutiae.shape == (2, 4) and border.shape == (2,)
    assert (minutiae[:, 3] == ENDING).all()
    first, last = _at(minutiae, c0, r0, 1.0), _at(minutiae, c1, r1, 1.0)
    # Each ending points along the ridge toward the other end.
    assert _turn(first[2], a) < np.radians(2)
    assert _turn(last[2], a + np.pi) < np.radians(2)
    assert (minutiae[:, 2] >= 0).all() and (minutiae[:, 2] < 2 * np.pi).all()
    # Border distance: to the image edge (the mask is the whole image), on the 4 px grid.
    assert (border >= DEFAULT_PARAMETERS.border_margin).all()
    assert (border <= np.minimum(minutiae[:, 0], minutiae[:, 1]) + 4).all()


@pytest.mark.parametrize("degrees", [0, 60, 135, 210, 300])
def test_a_y_has_one_bifurcation_pointing_between_its_branches(degrees: int) -> None:
    # Stem from the junction toward -u, branches toward +u turned by +-40 degrees.
    a = np.radians(degrees)
    skel = np.zeros((SIDE, SIDE), bool)
    tips = [(a + np.pi, 28.0), (a + np.radians(40), 28.0), (a - np.radians(40), 28.0)]
    ends = []
    for direction, length in tips:
        end = (CENTRE + length * np.sin(direction), CENTRE + length * np.cos(direction))
        _segment(skel, (CENTRE, CENTRE), end)
        ends.append((round(end[1]), round(end[0])))
    minutiae, _ = _find(skel, a)
    kinds = minutiae[:, 3]
    assert (kinds == BIFURCATION).sum() == 1 and (kinds == ENDING).sum() == 3
    fork = _at(minutiae, CENTRE, CENTRE, 1.5)
    assert fork[3] == BIFURCATION
    assert _turn(fork[2], a) < np.radians(3)
    for x, y in ends:
        assert _at(minutiae, x, y, 1.5)[3] == ENDING


def test_a_closed_ridge_has_no_minutiae() -> None:
    skel = np.zeros((SIDE, SIDE), bool)
    skel[circle_perimeter(CENTRE, CENTRE, 25)] = True
    minutiae, border = _find(skel, 0.0)
    assert minutiae.shape == (0, 4) and border.shape == (0,)


def test_an_empty_skeleton_has_no_minutiae() -> None:
    minutiae, border = _find(np.zeros((SIDE, SIDE), bool), 0.0)
    assert minutiae.shape == (0, 4) and border.shape == (0,)


def test_endings_near_the_foreground_edge_are_dropped() -> None:
    # The ridge runs from x=20 to x=76; the foreground stops at x=60, so the right-hand
    # ending lies outside it and the one at x=56 (4 px from the edge) is too close to it.
    skel = np.zeros((SIDE, SIDE), bool)
    _segment(skel, (CENTRE, 20), (CENTRE, 76))
    mask = np.zeros((SIDE, SIDE), bool)
    mask[:, :60] = True
    minutiae, border = _find(skel & mask, 0.0, mask)
    assert minutiae.shape == (1, 4)
    assert tuple(minutiae[0, [0, 1, 3]]) == (20.0, CENTRE, ENDING)
    assert border[0] == pytest.approx(20.0, abs=4.0)


def test_a_short_spur_is_not_a_minutia() -> None:
    # A 6 px side branch off a long ridge: its ending and its fork are both spurious.
    skel = np.zeros((SIDE, SIDE), bool)
    _segment(skel, (CENTRE, 16), (CENTRE, 80))
    _segment(skel, (CENTRE, CENTRE), (CENTRE - 6, CENTRE + 6))
    minutiae, _ = _find(skel, 0.0)
    assert sorted(minutiae[:, 0].tolist()) == [16.0, 80.0]
    assert (minutiae[:, 3] == ENDING).all()


def test_endings_facing_each_other_across_a_short_break_are_dropped() -> None:
    # One ridge broken by an 8 px gap (shorter than break_distance): only its two real
    # ends remain.
    skel = np.zeros((SIDE, SIDE), bool)
    _segment(skel, (CENTRE, 14), (CENTRE, 44))
    _segment(skel, (CENTRE, 52), (CENTRE, 82))
    minutiae, _ = _find(skel, 0.0)
    assert sorted(minutiae[:, 0].tolist()) == [14.0, 82.0]
    # A gap longer than break_distance is a real pair of endings.
    skel[:] = False
    _segment(skel, (CENTRE, 10), (CENTRE, 36))
    _segment(skel, (CENTRE, 56), (CENTRE, 86))
    minutiae, _ = _find(skel, 0.0)
    assert sorted(minutiae[:, 0].tolist()) == [10.0, 36.0, 56.0, 86.0]


def test_parallel_ridges_give_their_endings_separately() -> None:
    skel = np.zeros((SIDE, SIDE), bool)
    for row in (30, 40, 50, 60):
        _segment(skel, (row, 20), (row, 76))
    minutiae, _ = _find(skel, 0.0)
    assert minutiae.shape == (8, 4)
    assert sorted(minutiae[:, 1].tolist()) == [30, 30, 40, 40, 50, 50, 60, 60]
    left = minutiae[minutiae[:, 0] == 20]
    right = minutiae[minutiae[:, 0] == 76]
    assert len(left) == len(right) == 4
    assert np.allclose(left[:, 2], 0.0) and np.allclose(right[:, 2], np.pi)


def test_skeleton_of_a_thick_ridge_is_its_one_pixel_centre_line() -> None:
    ridges = np.full((SIDE, SIDE), -1.0)
    ridges[44:53, 16:81] = 1.0  # a 9 px wide ridge, centre row 48
    skel = skeleton(ridges, np.ones((SIDE, SIDE), bool))
    rows, cols = np.nonzero(skel)
    assert set(rows.tolist()) <= {47, 48, 49}
    assert cols.min() <= 20 and cols.max() >= 76
    # One pixel wide and one piece: every pixel has one or two 8-neighbours, two have one.
    padded = np.pad(skel, 1).astype(int)
    neighbours = sum(
        padded[1 + dr : 1 + dr + SIDE, 1 + dc : 1 + dc + SIDE]
        for dr in (-1, 0, 1)
        for dc in (-1, 0, 1)
        if (dr, dc) != (0, 0)
    )[skel]
    assert set(neighbours.tolist()) == {1, 2} and (neighbours == 1).sum() == 2


def test_skeleton_keeps_to_the_mask_and_drops_specks_and_pinholes() -> None:
    ridges = np.full((SIDE, SIDE), -1.0)
    ridges[44:53, 16:81] = 1.0
    ridges[48, 40] = -1.0  # a one-pixel hole in the ridge must not make a loop
    ridges[10:14, 10:14] = 1.0  # a 16 px speck is noise
    mask = np.zeros((SIDE, SIDE), bool)
    mask[:, :60] = True
    skel = skeleton(ridges, mask)
    rows, cols = np.nonzero(skel)
    assert cols.max() < 60  # nothing outside the foreground
    assert set(rows.tolist()) <= {47, 48, 49}  # no speck, no loop round the hole
    assert not skeleton(ridges, np.zeros((SIDE, SIDE), bool)).any()
    assert not skeleton(-np.abs(ridges), np.ones((SIDE, SIDE), bool)).any()
