"""Bilinear sampling of a grid: ``scipy.ndimage.map_coordinates(order=1, mode="nearest")``,
compiled.

The extractor samples its block clarity at every orientation cell and the generator its
displacement and phase grids at tens of thousands of points per print; ndimage's general
spline machinery spends most of its time on bookkeeping there. :func:`bilinear` does the same
arithmetic in the same order, so the samples are ndimage's to the last bit (the tests compare
them on random grids and positions, inside and beyond the edges).
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["bilinear"]


@njit(cache=True)
def _bilinear(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, out: np.ndarray) -> bool:
    """Fill ``out`` with the samples; False (``out`` partly written) at a non-finite position."""
    n_rows, n_cols = values.shape
    for k in range(rows.size):
        y, x = rows[k], cols[k]
        if not (np.isfinite(y) and np.isfinite(x)):
            return False
        r0, c0 = int(np.floor(y)), int(np.floor(x))
        ty, tx = y - r0, x - c0
        # Neighbours beyond an edge are the edge's samples ("nearest"), weighted as if not.
        ra, r1 = min(max(r0, 0), n_rows - 1), min(max(r0 + 1, 0), n_rows - 1)
        ca, c1 = min(max(c0, 0), n_cols - 1), min(max(c0 + 1, 0), n_cols - 1)
        wy0, wy1, wx0, wx1 = 1.0 - ty, ty, 1.0 - tx, tx
        total = 0.0  # ndimage's order: value times row weight times column weight
        total += values[ra, ca] * wy0 * wx0
        total += values[ra, c1] * wy0 * wx1
        total += values[r1, ca] * wy1 * wx0
        total += values[r1, c1] * wy1 * wx1
        out[k] = total
    return True


def bilinear(values: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``ndimage.map_coordinates(values, [rows, cols], order=1, mode="nearest")``.

    Parameters
    ----------
    values : (M, N) ndarray of float
        The grid (at least one sample).
    rows, cols : array_like of float
        Sample positions in array indices, the same shape; beyond the grid its edge is
        repeated.

    Returns
    -------
    samples : ndarray
        The shape of ``rows``, in ``values``' float type (computed in float64 and rounded,
        as ndimage writes its output).

    Raises
    ------
    ValueError
        Not a non-empty 2-D float grid, positions of different shapes, or a position that is
        not a finite number.

    Examples
    --------
    >>> bilinear(np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([0.5, 9.0]), np.array([0.5, 0.0]))
    array([1.5, 2. ])
    """
    grid = np.asarray(values)
    if grid.ndim != 2 or grid.size == 0 or grid.dtype.kind != "f":
        raise ValueError(
            f"bilinear samples a non-empty 2-D float grid, got {grid.dtype} {grid.shape}"
        )
    r = np.asarray(rows, np.float64)
    c = np.asarray(cols, np.float64)
    if r.shape != c.shape:
        raise ValueError(f"row and column positions differ in shape: {r.shape} and {c.shape}")
    out = np.empty(r.shape, np.float64)
    if not _bilinear(np.ascontiguousarray(grid, np.float64), r.ravel(), c.ravel(), out.reshape(-1)):
        raise ValueError("bilinear: a sample position is not a finite number")
    return out.astype(grid.dtype, copy=False)
