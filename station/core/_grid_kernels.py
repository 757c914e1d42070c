"""Compiled loops on grids shared by the generator and the extractor (numba): bilinear
sampling (:func:`station.core.interpolation.bilinear`'s loop) and the city-block distance
behind their binary dilations and erosions. Imported on first use, so that the station
starts without the compiler."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["bilinear_samples", "city_block"]

#: Farthest sample position accepted, in grid steps either way.
_FARTHEST = float(2**31)


@njit(cache=True)
def bilinear_samples(
    values: np.ndarray, rows: np.ndarray, cols: np.ndarray, out: np.ndarray
) -> bool:
    """Fill ``out`` with the samples; False (``out`` partly written) at a position that is
    not a number within :data:`_FARTHEST` (beyond it the whole-number conversion of its
    floor would overflow)."""
    n_rows, n_cols = values.shape
    for k in range(rows.size):
        y, x = rows[k], cols[k]
        if not (abs(y) <= _FARTHEST and abs(x) <= _FARTHEST):  # NaN fails too
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


@njit(cache=True)
def city_block(on: np.ndarray, cap: int, outside: bool) -> np.ndarray:
    """City-block (4-connected) distance from every pixel to the nearest pixel that is not
    ``on``, capped at ``cap``; with ``outside`` the pixels beyond the edge count as not on.

    Two raster passes, forward then backward, give the exact distance (Rosenfeld and Pfaltz,
    "Sequential operations in digital picture processing", J. ACM 13, 1966): a shortest
    4-connected path between two pixels of a rectangle runs inside it. Capping every value
    keeps the passes exact below the cap. ``r`` dilations by the 4-neighbour cross (ndimage's
    ``binary_dilation``, border unset) set the pixels within ``r`` of the mask, and ``r``
    erosions (border unset) keep those farther than ``r`` from every unset pixel and from
    the outside: one distance each, whatever ``r``.

    Parameters
    ----------
    on : (M, N) ndarray of bool
    cap : int
        Largest distance reported (at least 1).
    outside : bool
        Whether the pixels beyond the edge count as not on.

    Returns
    -------
    distance : (M, N) ndarray of int64
    """
    rows, cols = on.shape
    dist = np.empty((rows, cols), np.int64)
    for r in range(rows):
        for c in range(cols):
            if not on[r, c]:
                d = 0
            elif outside:
                d = min(cap, r + 1, c + 1, rows - r, cols - c)
            else:
                d = cap
            if r > 0 and dist[r - 1, c] + 1 < d:
                d = dist[r - 1, c] + 1
            if c > 0 and dist[r, c - 1] + 1 < d:
                d = dist[r, c - 1] + 1
            dist[r, c] = d
    for r in range(rows - 1, -1, -1):
        for c in range(cols - 1, -1, -1):
            d = dist[r, c]
            if r < rows - 1 and dist[r + 1, c] + 1 < d:
                d = dist[r + 1, c] + 1
            if c < cols - 1 and dist[r, c + 1] + 1 < d:
                d = dist[r, c + 1] + 1
            dist[r, c] = d
    return dist
