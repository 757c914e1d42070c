"""The compiled first-stage kernel (numba): quantised descriptors scored against a probe.

A gallery's stage-1 descriptors are stored as one byte per value (see
:func:`station.core.match.search.quantise`): 512 bytes a finger instead of 2 048 as float32.
Scoring a finger position of 100 000 subjects is a pass over 51 MB of bytes; integer products
summed in int32 are exact, so a subject's score never depends on how the gallery is split
into shards or blocks (a float BLAS product may round differently with the block size).
Imported on the first search, like :mod:`._kernel`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["accumulate", "histogram"]


@njit(cache=True, nogil=True)
def accumulate(
    codes: np.ndarray,
    scales: np.ndarray,
    rows: np.ndarray,
    probe: np.ndarray,
    probe_scale: float,
    out: np.ndarray,
) -> None:
    """Add each entry's dot product with the probe to its subject's total, in place.

    Parameters
    ----------
    codes : (N, D) ndarray of uint8
        Quantised descriptors.
    scales : (N,) ndarray of float32
        Their scales: value = code × scale.
    rows : (N,) ndarray of int64
        Subject row of each entry in ``out``.
    probe : (D,) ndarray of int32
        The probe's quantised descriptor.
    probe_scale : float
    out : ndarray of float64
        Per-subject totals.
    """
    n, d = codes.shape
    for i in range(n):
        acc = np.int32(0)
        for k in range(d):
            acc += np.int32(codes[i, k]) * probe[k]
        out[rows[i]] += np.float64(acc) * (np.float64(scales[i]) * probe_scale)


@njit(cache=True, inline="always")
def _wrap(a: float) -> float:
    """``wrap_angle`` of one value: into [-pi, pi)."""
    return (a + np.pi) % (2.0 * np.pi) - np.pi


@njit(cache=True)
def histogram(minutiae: np.ndarray, radius: float, nd: int, na: int) -> np.ndarray:
    """The raw pair histogram of :func:`station.core.match.index.descriptor` (before the
    square root and normalisation), by the same formulas, one pair at a time.

    Parameters
    ----------
    minutiae : (K, >=3) ndarray of float64
        x, y (px) and direction (rad) of each minutia.
    radius : float
        Pairs closer than this (px) are counted.
    nd, na : int
        Distance bins and angle bins.

    Returns
    -------
    hist : (nd * na * na,) ndarray of float64
    """
    out = np.zeros(nd * na * na)
    n = minutiae.shape[0]
    for i in range(n):
        xi, yi, ti = minutiae[i, 0], minutiae[i, 1], minutiae[i, 2]
        for j in range(n):
            dx = minutiae[j, 0] - xi
            dy = minutiae[j, 1] - yi
            dist = np.hypot(dx, dy)
            if not (dist > 0 and dist < radius):
                continue
            seen = _wrap(np.arctan2(dy, dx) - ti)
            turn = _wrap(minutiae[j, 2] - ti)
            c0 = dist / radius * nd - 0.5
            c1 = (seen + np.pi) / (2.0 * np.pi) * na - 0.5
            c2 = (turn + np.pi) / (2.0 * np.pi) * na - 0.5
            l0, l1, l2 = np.floor(c0), np.floor(c1), np.floor(c2)
            f0, f1, f2 = c0 - l0, c1 - l1, c2 - l2
            for corner in range(8):
                b0, b1, b2 = corner & 1, (corner >> 1) & 1, (corner >> 2) & 1
                w = (f0 if b0 else 1.0 - f0) * (f1 if b1 else 1.0 - f1)
                w *= f2 if b2 else 1.0 - f2
                a = min(max(int(l0) + b0, 0), nd - 1)
                b = (int(l1) + b1) % na
                c = (int(l2) + b2) % na
                out[(a * na + b) * na + c] += w
    return out
