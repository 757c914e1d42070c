"""The compiled kernel that files subjects into inverted-file cells (numba), kept apart from
:mod:`._preselect` so that the linear scan's code, and the bench caches keyed on it, stay
as they are.

It uses the integer arithmetic of :func:`._preselect.accumulate`: a byte code times an int32
code summed in int32 (exact), then one float64 product with the two scales. A subject's cell
scores therefore do not depend on which other subjects are filed in the same call, nor on
how the gallery is split into shards.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["cell_scores"]


@njit(cache=True, nogil=True)
def cell_scores(
    codes: np.ndarray,
    scales: np.ndarray,
    slots: np.ndarray,
    local: np.ndarray,
    centroids: np.ndarray,
    centroid_scales: np.ndarray,
    out: np.ndarray,
) -> None:
    """Add the inner product of entries ``slots`` with every centroid block, in place.

    Parameters
    ----------
    codes : (N, D) ndarray of uint8
        One finger position's quantised descriptors.
    scales : (N,) ndarray of float32
    slots : (M,) ndarray of int64
        The entries scored.
    local : (M,) ndarray of int64
        Row of ``out`` each entry adds to.
    centroids : (C, D) ndarray of int32
        The same finger position's block of every centroid, quantised.
    centroid_scales : (C,) ndarray of float64
    out : (R, C) ndarray of float64
    """
    d = codes.shape[1]
    n_cells = centroids.shape[0]
    for m in range(slots.shape[0]):
        i = slots[m]
        s = np.float64(scales[i])
        for c in range(n_cells):
            acc = np.int32(0)
            for k in range(d):
                acc += np.int32(codes[i, k]) * centroids[c, k]
            out[local[m], c] += np.float64(acc) * (s * centroid_scales[c])
