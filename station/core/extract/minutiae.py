"""Minutiae from the enhanced ridges: skeleton, crossing number, tracing, spurious filters.

Endings are skeleton pixels with crossing number 1, bifurcations those with 3 (Arcelli and
Sanniti di Baja's crossing number as used by NIST's mindtct and most skeleton extractors).
Direction convention, as in :mod:`station.core.synth`: radians from +x toward +y (y down);
an ending points along its ridge, a bifurcation along the valley between its two branches.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage
from skimage.morphology import remove_small_holes, remove_small_objects, skeletonize

from ..angles import wrap_angle
from ..vocabulary import MinutiaType
from .orientation import OrientationField
from .params import ExtractParameters

__all__ = ["find_minutiae", "skeleton"]

# 8-neighbours in circular order (row, col offsets).
_RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))


def skeleton(ridges: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """One-pixel-wide ridge skeleton inside the mask.

    Parameters
    ----------
    ridges : (M, N) ndarray
        Enhanced ridge signal, positive on ridges.
    mask : (M, N) ndarray of bool
        Foreground.

    Returns
    -------
    skel : (M, N) ndarray of bool
    """
    skel = np.zeros(mask.shape, bool)
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    if rows.size == 0:
        return skel
    # Work on the mask's bounding box with a one-pixel frame of background: the frame keeps
    # every background region that reaches the box's edge connected to the outside, as in
    # the whole image, so hole filling and thinning give the same pixels.
    box = (
        slice(max(int(rows[0]) - 1, 0), int(rows[-1]) + 2),
        slice(max(int(cols[0]) - 1, 0), int(cols[-1]) + 2),
    )
    binary = (ridges[box] > 0) & mask[box]
    binary = remove_small_objects(binary, max_size=20)
    binary = remove_small_holes(binary, max_size=20)
    skel[box] = skeletonize(binary)
    return skel


def _crossing_number(skel: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Crossing number of the skeleton pixels ``(rows, cols)``: half the number of on/off
    changes around their 8 neighbours (1 ending, 2 ridge, 3 bifurcation)."""
    width = skel.shape[1] + 2
    flat = np.pad(skel, 1).astype(np.int8).ravel()
    centre = (rows + 1) * width + cols + 1
    ring = [flat[centre + (dr * width + dc)] for dr, dc in _RING]
    cn = np.zeros(rows.shape, np.int8)
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        cn += np.abs(a - b)
    return cn // 2


class _Skeleton:
    """A skeleton and its feature pixels, for walking it pixel by pixel.

    The skeleton is kept as a flat byte string with a one-pixel frame of zeros: indexing
    bytes with an int costs a fraction of indexing an array with a tuple, and the frame
    stands for "outside the image", so no bounds checks are needed.
    """

    def __init__(self, skel: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
        self.width = skel.shape[1] + 2
        self.on = np.pad(skel, 1).astype(np.uint8).tobytes()
        self.offsets = [dr * self.width + dc for dr, dc in _RING]
        #: Label (1-based index) of every feature pixel.
        self.labels = {
            (int(r), int(c)): i + 1 for i, (r, c) in enumerate(zip(rows, cols, strict=True))
        }

    def neighbours(self, r: int, c: int) -> list[bool]:
        """Which of the 8 neighbours of (r, c) are skeleton pixels, in ``_RING`` order."""
        base = (r + 1) * self.width + c + 1
        on = self.on
        return [on[base + off] != 0 for off in self.offsets]


def _branch_starts(skel: _Skeleton, r: int, c: int) -> list[tuple[int, int]]:
    """One neighbour pixel per skeleton branch leaving (r, c)."""
    on = skel.neighbours(r, c)
    starts = []
    for i in range(8):
        if on[i] and not on[i - 1]:
            # A run of neighbours; prefer its 4-connected member.
            j, best = i, i
            while on[j % 8] and j < i + 8:
                if _RING[j % 8][0] == 0 or _RING[j % 8][1] == 0:
                    best = j % 8
                j += 1
            starts.append((r + _RING[best][0], c + _RING[best][1]))
    if not starts and any(on):  # a closed ring of neighbours
        i = on.index(True)
        starts.append((r + _RING[i][0], c + _RING[i][1]))
    return starts


def _trace(
    skel: _Skeleton,
    start: tuple[int, int],
    first: tuple[int, int],
    length: int,
) -> tuple[int, int, int, int]:
    """Walk along the skeleton from ``start`` through ``first`` for up to ``length`` steps.

    Returns ``(row, col, steps, hit)`` where ``hit`` is the label of another feature pixel
    met on the way (0 if none).
    """
    labels = skel.labels
    prev, cur = start, first
    visited = {start, first}
    steps = 1
    while steps < length:
        label = labels.get(cur, 0)
        if label and steps > 1:
            return cur[0], cur[1], steps, label
        nxt = None
        far = -1
        for (dr, dc), on in zip(_RING, skel.neighbours(*cur), strict=True):
            if on:
                q = (cur[0] + dr, cur[1] + dc)
                if q not in visited:
                    dist = (q[0] - prev[0]) ** 2 + (q[1] - prev[1]) ** 2
                    if dist > far:
                        nxt, far = q, dist
        if nxt is None:
            return cur[0], cur[1], steps, labels.get(cur, 0) if steps > 1 else 0
        visited.add(nxt)
        prev, cur = cur, nxt
        steps += 1
    return cur[0], cur[1], steps, labels.get(cur, 0)


def _border_distance(mask: np.ndarray, step: int) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Distance to the foreground edge (px), computed on a ``step`` grid.

    Returns a function giving it at pixels ``(rows, cols)`` (0 outside the mask): each pixel
    reads its grid cell.
    """
    small = mask[::step, ::step]
    dist = ndimage.distance_transform_edt(np.pad(small, 1))[1:-1, 1:-1] * step

    def at(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return dist[rows // step, cols // step] * mask[rows, cols]

    return at


def find_minutiae(
    skel: np.ndarray,
    mask: np.ndarray,
    field: OrientationField,
    params: ExtractParameters,
) -> tuple[np.ndarray, np.ndarray]:
    """Detect minutiae on a skeleton and drop the spurious ones.

    Parameters
    ----------
    skel : (M, N) ndarray of bool
        Ridge skeleton.
    mask : (M, N) ndarray of bool
        Foreground.
    field : OrientationField
        Ridge orientation (snaps directions to the smoothed flow).
    params : ExtractParameters
        Filter distances and the trace length.

    Returns
    -------
    minutiae : (K, 4) ndarray of float64
        ``x, y, angle, type`` (px, rad, 0 ending / 1 bifurcation).
    border_distance : (K,) ndarray
        Distance of each minutia to the foreground edge (px).
    """
    rows, cols = np.nonzero(skel)
    cn = _crossing_number(skel, rows, cols)
    distance = _border_distance(mask, field.step)
    cand = ((cn == 1) | (cn == 3)) & (distance(rows, cols) >= params.border_margin * 0.5)
    rows, cols, cn = rows[cand], cols[cand], cn[cand]
    if rows.size == 0:
        return np.zeros((0, 4)), np.zeros(0)
    walker = _Skeleton(skel, rows, cols)
    kinds = np.where(cn == 3, MinutiaType.BIFURCATION, MinutiaType.ENDING)
    n = rows.size
    spurious = np.zeros(n, bool)
    traced = np.full(n, np.nan)
    reach = max(params.trace_length, int(params.short_ridge))
    for i in range(n):
        start = (int(rows[i]), int(cols[i]))
        vectors = []
        for first in _branch_starts(walker, *start):
            r, c, steps, hit = _trace(walker, start, first, reach)
            if hit and hit != i + 1 and steps <= params.short_ridge:
                spurious[i] = True
                spurious[hit - 1] = True
            vectors.append((c - start[1], r - start[0]))
        if kinds[i] == MinutiaType.ENDING and len(vectors) == 1:
            traced[i] = np.arctan2(vectors[0][1], vectors[0][0])
        elif kinds[i] == MinutiaType.BIFURCATION and len(vectors) == 3:
            ang = np.array([np.arctan2(v[1], v[0]) for v in vectors])
            gaps = [abs(float(wrap_angle(ang[a] - ang[b]))) for a, b in ((1, 2), (0, 2), (0, 1))]
            # gaps[i] is the angle between the two branches other than i: the two fork
            # branches are the closest pair, so the stem is the branch opposite it.
            stem = int(np.argmin(gaps))
            traced[i] = ang[stem] + np.pi
        else:
            spurious[i] = True
    keep = ~spurious & np.isfinite(traced)
    rows, cols, kinds, traced = rows[keep], cols[keep], kinds[keep], traced[keep]
    x, y = cols.astype(float), rows.astype(float)
    # Snap the traced direction to the smoothed ridge flow (keeping its sense).
    axis = field.at(x, y)
    flip = np.cos(traced - axis) < 0
    angle = np.mod(np.where(flip, axis + np.pi, axis), 2 * np.pi)
    border = distance(rows, cols)
    keep = border >= params.border_margin
    x, y, angle, kinds, border = x[keep], y[keep], angle[keep], kinds[keep], border[keep]

    # Broken ridges: two endings facing each other across a short gap.
    drop = np.zeros(x.size, bool)
    ends = np.nonzero(kinds == MinutiaType.ENDING)[0]
    for a_i, a in enumerate(ends):
        for b in ends[a_i + 1 :]:
            dx, dy = x[b] - x[a], y[b] - y[a]
            dist = np.hypot(dx, dy)
            if dist > params.break_distance or dist == 0:
                continue
            opposite = np.cos(angle[a] - angle[b]) < -0.7
            facing = (dx * np.cos(angle[a]) + dy * np.sin(angle[a])) / dist < -0.5
            if opposite and facing:
                drop[a] = drop[b] = True
    # Clusters: minutiae crowded together are noise.
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    crowd = (dx**2 + dy**2 < params.cluster_distance**2).sum(axis=1) > 1
    keep = ~(drop | crowd)
    minutiae = np.column_stack([x[keep], y[keep], angle[keep], kinds[keep].astype(float)])
    return minutiae, border[keep]
