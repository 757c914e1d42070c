"""The compiled loop of :func:`station.core.interpolation.bilinear` (numba; imported on the
first sample so that the station starts without the compiler)."""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["bilinear_samples"]


@njit(cache=True)
def bilinear_samples(
    values: np.ndarray, rows: np.ndarray, cols: np.ndarray, out: np.ndarray
) -> bool:
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
