"""Singular points (cores and deltas) by the Poincaré index of the orientation field."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .orientation import OrientationField
from .segmentation import edge_distance
from .smoothing import gaussian

__all__ = ["MAX_PLAUSIBLE", "singular_points"]

# A closed path of 16 grid samples around a point, two samples out, in circular order.
_PATH = (
    [(-2, c) for c in range(-2, 2)]
    + [(r, 2) for r in range(-2, 2)]
    + [(2, c) for c in range(2, -2, -1)]
    + [(r, -2) for r in range(2, -2, -1)]
)
_PATH_ROWS = np.array([dr for dr, _ in _PATH], np.int64)
_PATH_COLS = np.array([dc for _, dc in _PATH], np.int64)


#: More cores and deltas than a finger can have: a print has at most two of each (a double-loop
#: whorl: two cores, two deltas — Henry's classes). Past this many, the orientation field is
#: noise (a faint, broken print gives dozens of spurious turns) and no point is reported.
MAX_PLAUSIBLE = 8


def singular_points(
    field: OrientationField,
    mask: np.ndarray,
    *,
    margin: float = 16.0,
    edge: np.ndarray | None = None,
) -> np.ndarray:
    """Cores and deltas of a print.

    The orientation is smoothed in the doubled-angle domain, then summed around a closed
    path of 16 samples (16 px across): a total turn of +pi marks a core, -pi a delta.

    Parameters
    ----------
    field : OrientationField
        Ridge orientation.
    mask : (M, N) ndarray of bool
        Foreground (full resolution).
    margin : float, optional
        Points closer than this to the foreground edge (px) are ignored.
    edge : ndarray, optional
        ``edge_distance(mask, field.step)`` if already computed.

    Returns
    -------
    points : (K, 3) ndarray of float64
        ``x, y, kind`` with kind +1 core, -1 delta; pixels. Empty when more than
        :data:`MAX_PLAUSIBLE` are found (the field is noise there).
    """
    step = field.step
    cos2, sin2 = field.doubled
    smooth_cos = gaussian(cos2 * field.coherence, 2.0)
    smooth_sin = gaussian(sin2 * field.coherence, 2.0)
    doubled = np.arctan2(smooth_sin, smooth_cos)
    # The steps b - a around the closed path add up to 0, so their sum wrapped into
    # [-pi, pi) is 2 pi times the net number of wraps: count those (each step lies in
    # [-2 pi, 2 pi], one wrap either way at most), compiled (see _kernels.ring_wraps).
    from ._kernels import ring_wraps

    rows, cols = doubled.shape
    wraps = ring_wraps(doubled, _PATH_ROWS, _PATH_COLS)
    index = np.pi * wraps  # the total turn / 2, back from doubled angles
    if edge is None:
        edge = edge_distance(mask, step)
    inner = edge[:rows, :cols] >= margin
    points = []
    for kind, sign in ((1.0, 1.0), (-1.0, -1.0)):
        hits = (np.abs(index - sign * np.pi) < np.pi / 2) & inner
        labels, count = ndimage.label(hits)
        for lab in range(1, count + 1):
            r, c = np.nonzero(labels == lab)
            points.append((c.mean() * step, r.mean() * step, kind))
    if len(points) > MAX_PLAUSIBLE:
        return np.zeros((0, 3))
    return np.array(points, float).reshape(-1, 3)
