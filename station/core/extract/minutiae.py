"""Minutiae from the enhanced ridges: skeleton, crossing number, tracing, spurious filters.

Endings are skeleton pixels with crossing number 1, bifurcations those with 3 (Arcelli and
Sanniti di Baja's crossing number as used by NIST's mindtct and most skeleton extractors).
Direction convention, as in :mod:`station.core.synth`: radians from +x toward +y (y down);
an ending points along its ridge, a bifurcation along the valley between its two branches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..vocabulary import MinutiaType
from .orientation import OrientationField
from .params import ExtractParameters
from .segmentation import edge_distance

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
    binary = ((ridges[box] > 0) & mask[box]).view(np.uint8)
    # Ridge specks and holes of at most 20 px go (scikit-image's remove_small_objects, then
    # remove_small_holes, 4-connected; compiled, see _kernels.clear_small).
    kernels = _kernels()
    kernels.clear_small(binary, 1, _SPECK)
    kernels.clear_small(binary, 0, _SPECK)
    # scikit-image's skeletonize (Zhang and Suen's thinning with its own removal table),
    # compiled to revisit only the pixels next to the background: the same pixels.
    skel[box] = kernels.thin(binary, kernels.THINNING_TABLE).view(bool)
    return skel


def _crossing_number(on: np.ndarray, width: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Crossing number of the skeleton pixels ``(rows, cols)``: half the number of on/off
    changes around their 8 neighbours (1 ending, 2 ridge, 3 bifurcation).

    ``on`` is the skeleton as 0/1 bytes with a one-pixel frame of zeros, flattened; ``width``
    its row length. :func:`find_minutiae` gets the same numbers from the compiled
    :func:`._kernels.skeleton_candidates`; this is the specification its tests check.
    """
    flat = on.view(np.int8)
    centre = (rows + 1) * width + cols + 1
    ring = [flat[centre + (dr * width + dc)] for dr, dc in _RING]
    cn = np.zeros(rows.shape, np.int8)
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        cn += np.abs(a - b)
    return cn // 2


_KERNELS: Any = None

#: Ridge specks and holes of at most this many pixels are cleared before thinning.
_SPECK = 20


def _kernels() -> Any:
    """The :mod:`._kernels` module, imported (and numba with it) on first use."""
    global _KERNELS
    if _KERNELS is None:
        from . import _kernels as kernels

        _KERNELS = kernels
    return _KERNELS


def _border_distance(
    mask: np.ndarray, step: int, dist: np.ndarray | None = None
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """Distance to the foreground edge (px), computed on a ``step`` grid
    (:func:`.segmentation.edge_distance`, or ``dist`` when given).

    Returns a function giving it at pixels ``(rows, cols)`` (0 outside the mask): each pixel
    reads its grid cell.
    """
    if dist is None:
        dist = edge_distance(mask, step)

    def at(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return dist[rows // step, cols // step] * mask[rows, cols]

    return at


def find_minutiae(
    skel: np.ndarray,
    mask: np.ndarray,
    field: OrientationField,
    params: ExtractParameters,
    *,
    edge: np.ndarray | None = None,
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
    edge : ndarray, optional
        ``edge_distance(mask, field.step)`` if already computed.

    Returns
    -------
    minutiae : (K, 4) ndarray of float64
        ``x, y, angle, type`` (px, rad, 0 ending / 1 bifurcation).
    border_distance : (K,) ndarray
        Distance of each minutia to the foreground edge (px).
    """
    on = np.pad(skel, 1).astype(np.uint8).ravel()
    width = skel.shape[1] + 2
    if edge is None:
        edge = edge_distance(mask, field.step)
    distance = _border_distance(mask, field.step, edge)
    # Endings and bifurcations (crossing number 1 or 3) not too near the edge, in one
    # compiled scan of the skeleton (see _kernels.skeleton_candidates).
    rows, cols, cn = _kernels().skeleton_candidates(
        on, width, edge, mask, field.step, params.border_margin * 0.5
    )
    if rows.size == 0:
        return np.zeros((0, 4)), np.zeros(0)
    kinds = np.where(cn == 3, MinutiaType.BIFURCATION, MinutiaType.ENDING)
    labels = np.zeros(on.size, np.int64)
    labels[(rows + 1) * width + cols + 1] = np.arange(1, rows.size + 1)
    reach = max(params.trace_length, int(params.short_ridge))
    spurious, traced = _kernels().walk_minutiae(
        on,
        labels,
        width,
        rows.astype(np.int64),
        cols.astype(np.int64),
        cn == 3,
        reach,
        float(params.short_ridge),
    )
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

    # Broken ridges: two endings facing each other across a short gap (every pair a < b).
    drop = np.zeros(x.size, bool)
    ends = np.nonzero(kinds == MinutiaType.ENDING)[0]
    a, b = np.triu_indices(ends.size, 1)
    a, b = ends[a], ends[b]
    dx, dy = x[b] - x[a], y[b] - y[a]
    dist = np.hypot(dx, dy)
    near = (dist <= params.break_distance) & (dist != 0)
    a, b, dx, dy, dist = a[near], b[near], dx[near], dy[near], dist[near]
    opposite = np.cos(angle[a] - angle[b]) < -0.7
    facing = (dx * np.cos(angle[a]) + dy * np.sin(angle[a])) / dist < -0.5
    broken = opposite & facing
    drop[a[broken]] = True
    drop[b[broken]] = True
    # Clusters: minutiae crowded together are noise.
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    crowd = (dx**2 + dy**2 < params.cluster_distance**2).sum(axis=1) > 1
    keep = ~(drop | crowd)
    minutiae = np.column_stack([x[keep], y[keep], angle[keep], kinds[keep].astype(float)])
    return minutiae, border[keep]
