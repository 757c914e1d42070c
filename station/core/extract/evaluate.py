"""Scoring an extractor against ground truth."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..angles import wrap_angle

__all__ = ["match_minutiae"]


def match_minutiae(
    truth: Sequence[Sequence[float]] | np.ndarray,
    found: np.ndarray,
    *,
    radius: float = 12.0,
    max_angle: float = np.radians(30.0),
) -> int:
    """Number of one-to-one pairs between true and found minutiae.

    A pair needs its two points within ``radius`` px and directions within ``max_angle``;
    pairs are taken greedily, closest first (the usual protocol for scoring extractors
    against ground truth).

    Parameters
    ----------
    truth : (N, >=3) array_like
        ``x, y, angle`` of the true minutiae.
    found : (M, >=3) ndarray
        ``x, y, angle`` of the extracted ones.
    radius : float, optional
        Match radius (px).
    max_angle : float, optional
        Largest direction difference (rad).

    Returns
    -------
    pairs : int
        Recall is ``pairs / N``, precision ``pairs / M``.
    """
    t = np.asarray(truth, float).reshape(-1, np.shape(truth)[1] if len(truth) else 3)
    f = np.asarray(found, float)
    if len(t) == 0 or len(f) == 0:
        return 0
    dist = np.hypot(t[:, None, 0] - f[None, :, 0], t[:, None, 1] - f[None, :, 1])
    turn = np.abs(wrap_angle(t[:, None, 2] - f[None, :, 2]))
    dist = np.where((dist <= radius) & (turn <= max_angle), dist, np.inf)
    pairs = 0
    order = np.argsort(dist, axis=None)
    used_t = np.zeros(len(t), bool)
    used_f = np.zeros(len(f), bool)
    for flat in order:
        i, j = divmod(int(flat), len(f))
        if not np.isfinite(dist[i, j]):
            break
        if not used_t[i] and not used_f[j]:
            used_t[i] = used_f[j] = True
            pairs += 1
    return pairs
