"""Bilinear sampling against ``ndimage.map_coordinates(order=1, mode="nearest")``, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from station.core.interpolation import bilinear


def test_bilinear_on_a_drawn_ramp() -> None:
    ramp = np.add.outer(np.arange(4.0) * 10, np.arange(5.0))  # value 10 r + c
    got = bilinear(ramp, np.array([[1.5, 0.25], [-2.0, 7.0]]), np.array([[2.5, 4.0], [1.0, 9.0]]))
    assert got.shape == (2, 2)
    assert np.array_equal(got, [[17.5, 6.5], [1.0, 34.0]])  # inside exact; beyond: the edge


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bilinear_matches_map_coordinates_inside_and_beyond_the_edges(dtype) -> None:
    rng = np.random.default_rng(3)
    for k in range(300):
        rows, cols = (int(n) for n in rng.integers(1, 40, 2))
        values = (rng.normal(size=(rows, cols)) * 10 ** rng.uniform(-3, 3)).astype(dtype)
        if k % 3 == 0:  # the segmentation's quarter-cell grid, edges included
            r = rng.integers(0, 4 * (rows - 1) + 1, 100) * 0.25
            c = rng.integers(0, 4 * (cols - 1) + 1, 100) * 0.25
        elif k % 3 == 1:  # anywhere inside
            r, c = rng.uniform(0, rows - 1, 100), rng.uniform(0, cols - 1, 100)
        else:  # beyond the edges too, as the generator's displacement grids are sampled
            r, c = rng.uniform(-3, rows + 2, (10, 10)), rng.uniform(-3, cols + 2, (10, 10))
        expected = ndimage.map_coordinates(values, [r, c], order=1, mode="nearest")
        got = bilinear(values, r, c)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got, expected)


def test_bilinear_refuses_what_it_cannot_sample() -> None:
    grid = np.zeros((3, 3))
    for bad in (np.nan, np.inf, -np.inf, 1e300, -(2.0**32)):
        with pytest.raises(ValueError, match="within"):
            bilinear(grid, np.array([bad]), np.array([0.0]))
        with pytest.raises(ValueError, match="within"):
            bilinear(grid, np.array([0.0]), np.array([bad]))
    far = 2.0**31  # the farthest accepted: the edge, as ndimage gives it
    assert np.array_equal(
        bilinear(np.arange(9.0).reshape(3, 3), np.array([far, -far]), np.array([-far, far])),
        ndimage.map_coordinates(
            np.arange(9.0).reshape(3, 3), [[far, -far], [-far, far]], order=1, mode="nearest"
        ),
    )
    with pytest.raises(ValueError, match="shape"):
        bilinear(grid, np.zeros(2), np.zeros(3))
    for bad in (np.zeros((0, 3)), np.zeros(3), np.zeros((3, 3), np.int64)):
        with pytest.raises(ValueError, match="grid"):
            bilinear(bad, np.zeros(1), np.zeros(1))
