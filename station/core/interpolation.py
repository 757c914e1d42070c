"""Bilinear sampling of a grid: ``scipy.ndimage.map_coordinates(order=1, mode="nearest")``,
compiled.

The extractor samples its block clarity at every orientation cell and the generator its
displacement and phase grids at tens of thousands of points per print; ndimage's general
spline machinery spends most of its time on bookkeeping there. :func:`bilinear` does the same
arithmetic in the same order, so the samples are ndimage's to the last bit (the tests compare
them on random grids and positions, inside and beyond the edges). The compiled loop lives in
:mod:`._grid_kernels`, imported (and numba with it) on the first sample, not at start-up.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bilinear"]


def bilinear(values: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``ndimage.map_coordinates(values, [rows, cols], order=1, mode="nearest")``.

    Parameters
    ----------
    values : (M, N) ndarray of float
        The grid (at least one sample).
    rows, cols : array_like of float
        Sample positions in array indices, the same shape, each within ``±2**31``; beyond
        the grid its edge is repeated.

    Returns
    -------
    samples : ndarray
        The shape of ``rows``, in ``values``' float type (computed in float64 and rounded,
        as ndimage writes its output).

    Raises
    ------
    ValueError
        Not a non-empty 2-D float grid, positions of different shapes, or a position that is
        not a number within ``±2**31``.

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
    from ._grid_kernels import bilinear_samples

    out = np.empty(r.shape, np.float64)
    if not bilinear_samples(
        np.ascontiguousarray(grid, np.float64), r.ravel(), c.ravel(), out.reshape(-1)
    ):
        raise ValueError("bilinear: a sample position is not a number within ±2**31")
    return out.astype(grid.dtype, copy=False)
