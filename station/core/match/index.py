"""Fixed-length descriptors for the first stage of a 1:N search.

A template becomes one unit vector: a soft histogram of its minutia pairs. For every ordered
pair (i, j) closer than ``pair_radius`` the histogram counts the distance, the direction in
which j lies seen from i's own direction, and the direction of j relative to i — three
quantities that neither rotation nor translation changes. Two prints of one finger share
many pairs, so their vectors point the same way; the dot product of two vectors is a cheap
similarity (one matrix-vector product scores a whole gallery). It is a pre-selection, not a
matcher: the full comparison re-scores the shortlist. Pair-geometry histograms for indexing
follow the idea of Germain, Califano and Colville ("Fingerprint matching using transformation
parameter clustering", IEEE CSE 4, 1997) and of minutia-pair indexing in later work.
"""

from __future__ import annotations

import numpy as np

from ..angles import wrap_angle
from ..template import Template
from .params import MatchParameters

__all__ = ["descriptor", "descriptor_size"]


def descriptor_size(params: MatchParameters) -> int:
    """Length of a descriptor vector."""
    return params.index_distance_bins * params.index_angle_bins**2


def descriptor(template: Template, params: MatchParameters) -> np.ndarray:
    """The first-stage vector of a template.

    Parameters
    ----------
    template : Template
        Minutiae in pixels at 500 ppi.
    params : MatchParameters
        ``pair_radius`` (px), ``index_distance_bins`` and ``index_angle_bins``.

    Returns
    -------
    vector : (D,) ndarray of float32
        Square-rooted, unit-length histogram; all zeros for fewer than two minutiae.
    """
    nd, na = params.index_distance_bins, params.index_angle_bins
    out = np.zeros(nd * na * na, np.float64)
    m = np.asarray(template.minutiae, np.float64)
    if len(m) < 2:
        return out.astype(np.float32)
    dx = m[None, :, 0] - m[:, None, 0]
    dy = m[None, :, 1] - m[:, None, 1]
    dist = np.hypot(dx, dy)
    near = (dist > 0) & (dist < params.pair_radius)
    seen = wrap_angle(np.arctan2(dy, dx) - m[:, None, 2])[near]
    turn = wrap_angle(m[None, :, 2] - m[:, None, 2])[near]
    # Continuous bin coordinates; each pair is shared linearly between neighbouring bins
    # (distance clamped at the ends, angles wrapping round).
    coords = (
        dist[near] / params.pair_radius * nd - 0.5,
        (seen + np.pi) / (2 * np.pi) * na - 0.5,
        (turn + np.pi) / (2 * np.pi) * na - 0.5,
    )
    lows = [np.floor(c).astype(int) for c in coords]
    fracs = [c - low for c, low in zip(coords, lows, strict=True)]
    for corner in range(8):
        bits = [(corner >> k) & 1 for k in range(3)]
        weight = np.ones_like(fracs[0])
        for f, b in zip(fracs, bits, strict=True):
            weight = weight * (f if b else 1.0 - f)
        i = np.clip(lows[0] + bits[0], 0, nd - 1)
        j = (lows[1] + bits[1]) % na
        k = (lows[2] + bits[2]) % na
        out += np.bincount((i * na + j) * na + k, weights=weight, minlength=out.size)
    out = np.sqrt(out)
    norm = np.linalg.norm(out)
    return (out / norm if norm > 0 else out).astype(np.float32)
