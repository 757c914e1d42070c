"""Cylinder cell validity: cells near the convex hull of the minutiae (MCC, section 3)."""

from __future__ import annotations

import numpy as np

from station.core.match import prepare
from station.core.match.cylinders import _hull, _near_hull, cylinders
from station.core.match.params import DEFAULT_PARAMETERS
from station.core.template import Template


def test_hull_of_a_square_keeps_its_corners_only() -> None:
    points = np.array([[0, 0], [100, 0], [100, 100], [0, 100], [50, 50], [50, 0]], float)
    corners = _hull(points)
    assert sorted(map(tuple, corners.tolist())) == [(0, 0), (0, 100), (100, 0), (100, 100)]
    assert len(_hull(points[:2])) == 2  # two points: the segment
    assert len(_hull(np.array([[0, 0], [10, 10], [20, 20]], float))) == 2  # on one line


def test_near_hull_is_inside_or_within_the_margin() -> None:
    corners = _hull(np.array([[0, 0], [100, 0], [100, 100], [0, 100]], float))
    probes = np.array([[50, 50], [-49, 50], [-51, 50], [135, 135], [136, 136]], float)
    # (135, 135) is 49.5 px from the corner (100, 100), (136, 136) 50.9 px.
    assert _near_hull(probes, corners, 50.0).tolist() == [True, True, False, True, False]
    one = _hull(np.array([[10, 10]], float))
    assert _near_hull(np.array([[10, 59], [10, 61]], float), one, 50.0).tolist() == [True, False]
    segment = _hull(np.array([[0, 0], [100, 0]], float))
    assert _near_hull(np.array([[50, 50], [50, 51]], float), segment, 50.0).tolist() == [
        True,
        False,
    ]


def _cells(packed: np.ndarray, count: int) -> np.ndarray:
    return np.unpackbits(packed.view(np.uint8), axis=1, bitorder="little")[:, :count].astype(bool)


def test_cells_beyond_the_hull_margin_are_invalid_and_never_set() -> None:
    # Minutiae along a short horizontal line: the hull is the segment x 100..140 at y 150.
    m = [(100 + 10 * k, 150, 0.0, k % 2) for k in range(5)]
    cyl = cylinders(Template(300, 300, minutiae=m), DEFAULT_PARAMETERS)
    valid = _cells(cyl.valid, cyl.cells)
    bits = _cells(cyl.bits, cyl.cells)
    assert not (bits & ~valid).any()
    # Cylinders are 70 px in radius: the cells more than 50 px above or below the line are
    # invalid, those on it valid, so some but not all cells of every cylinder are valid.
    share = valid.mean(axis=1)
    assert ((share > 0.3) & (share < 0.95)).all(), share
    wide = cylinders(Template(300, 300, minutiae=m), DEFAULT_PARAMETERS.__class__(valid_margin=1e6))
    assert _cells(wide.valid, wide.cells).all()


def test_a_partial_print_matches_its_whole_print_better_with_validity() -> None:
    # The same finger's minutiae on a 300 x 300 grid; the partial print keeps its left part.
    # Cylinders of the partial print near its right edge see nothing beyond it, where the
    # whole print shows neighbours: restricted to the valid cells the two agree.
    rng = np.random.default_rng(7)
    xy = rng.uniform(20, 280, (60, 2))
    m = np.column_stack([xy, rng.uniform(0, 2 * np.pi, 60), rng.integers(0, 2, 60)])
    whole = Template(300, 300, minutiae=m)
    part = Template(300, 300, minutiae=m[m[:, 0] < 130])
    from station.core.match.compare import score_cylinders

    off = DEFAULT_PARAMETERS.__class__(valid_margin=1e6)
    with_validity = score_cylinders(prepare(whole), prepare(part), DEFAULT_PARAMETERS)
    without = score_cylinders(cylinders(whole, off), cylinders(part, off), off)
    assert with_validity > without
