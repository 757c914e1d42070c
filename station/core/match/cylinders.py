"""Minutia Cylinder-Code descriptors: a fixed-length local descriptor per minutia.

Each minutia gets a cylinder: a grid of ``cells × cells`` spatial cells turned to the
minutia's direction, stacked over ``sections`` angle sections. A cell holds how strongly
neighbouring minutiae near it have the relative direction of its section (Cappelli et al.
2010). Descriptors are invariant to rotation and translation, and a neighbour that moves a
little (skin distortion) changes a cell a little.

Cells are stored as bits, the bit-based variant of the paper (section 4.2): a cell is set when
the neighbours' summed contribution exceeds ``mu_psi`` — where the float cylinder's sigmoid
(steepness 400) passes one half, so the float cell values were 0 or 1 but for a sliver. Two
cylinders are then compared by counting common set bits (see :mod:`.compare`).

A cell is *valid* where the print could have shown a neighbour: within ``valid_margin`` of the
convex hull of the template's minutiae (the paper's section 3, Ω = 50 px; the paper also
intersects it with the foreground mask, which a template does not keep). Cylinders are
compared over the cells valid in both (section 4, ``c_{a|b}``), so a minutia near the edge of a
small print is not penalised for neighbours the other print shows where the first saw none.

With the cylinders a template keeps the pairwise geometry of its minutiae (distance, relative
direction, radial angle), which every comparison's consolidation reads instead of
recomputing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..angles import wrap_angle
from ..template import Template
from .params import MatchParameters

__all__ = ["Cylinders", "cylinders"]


@dataclass(frozen=True, eq=False)
class Cylinders:
    """Descriptors of one template.

    Attributes
    ----------
    minutiae : (K, 4) ndarray of float32
        The minutiae that kept a cylinder (x, y, angle, type).
    bits : (K, W) ndarray of uint64
        Binary cylinders, cell ``c`` in bit ``c % 64`` of word ``c // 64``.
    counts : (K,) ndarray of int64
        Set bits per cylinder.
    valid : (K, W) ndarray of uint64
        Valid cells, packed like ``bits`` (a set cell is always valid).
    geometry : (3, K, K) ndarray of float32
        For minutiae ``i``, ``j``: the distance (px), the direction of ``i`` less that of
        ``j`` and the direction in which ``j`` lies seen from ``i`` less ``i``'s direction
        (rad, wrapped into [-pi, pi)).
    cells : int
        Cells per cylinder (bits used in each row of ``bits``).
    """

    minutiae: np.ndarray
    bits: np.ndarray
    counts: np.ndarray
    valid: np.ndarray
    geometry: np.ndarray
    cells: int

    def __len__(self) -> int:
        return len(self.minutiae)

    @property
    def vectors(self) -> np.ndarray:
        """(K, cells) float32 cylinders, unit-normalised rows (zero rows stay zero)."""
        unpacked = np.unpackbits(self.bits.view(np.uint8), axis=1, bitorder="little")
        values = unpacked[:, : self.cells].astype(np.float32)
        norms = np.sqrt(self.counts.astype(np.float32))[:, None]
        return values / np.maximum(norms, 1.0)


def _geometry(m: np.ndarray) -> np.ndarray:
    """Distance, relative direction and radial angle of every ordered minutia pair."""
    dx = m[None, :, 0] - m[:, None, 0]
    dy = m[None, :, 1] - m[:, None, 1]
    dist = np.hypot(dx, dy)
    turn = wrap_angle(m[:, None, 2] - m[None, :, 2])
    radial = wrap_angle(np.arctan2(dy, dx) - m[:, None, 2])
    return np.stack([dist, turn, radial]).astype(np.float32)


def _pack(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(K, C) booleans as (K, ceil(C / 64)) uint64 words and their set-bit counts."""
    words = -(-cells.shape[1] // 64)
    padded = np.zeros((cells.shape[0], words * 64), np.uint8)
    padded[:, : cells.shape[1]] = cells
    packed = np.packbits(padded, axis=1, bitorder="little").view("<u8").astype(np.uint64)
    return packed, cells.sum(axis=1).astype(np.int64)


def _hull(points: np.ndarray) -> np.ndarray:
    """Corners of the convex hull of (N, 2) points, counter-clockwise for x right and y up
    (Andrew's monotone chain); fewer than three when the points are fewer or on one line."""
    unique = np.unique(points, axis=0)  # sorted by x, then y
    if len(unique) < 3:
        return unique

    def chain(seq: np.ndarray) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for p in seq:
            while len(out) >= 2:
                o, a = out[-2], out[-1]
                if (a[0] - o[0]) * (p[1] - o[1]) - (a[1] - o[1]) * (p[0] - o[0]) > 0:
                    break
                out.pop()
            out.append(p)
        return out

    corners = chain(unique)[:-1] + chain(unique[::-1])[:-1]
    return np.array(corners) if len(corners) >= 3 else unique[[0, -1]]


def _near_hull(points: np.ndarray, corners: np.ndarray, margin: float) -> np.ndarray:
    """Which of (M, 2) points lie inside the convex polygon ``corners`` (from :func:`_hull`)
    or within ``margin`` of its boundary — of the one point or the segment when there are
    fewer than three corners."""
    if len(corners) == 0:
        return np.zeros(len(points), bool)
    ends = np.roll(corners, -1, axis=0)
    edge = ends - corners  # (E, 2)
    rel = points[:, None, :] - corners[None, :, :]  # (M, E, 2)
    length2 = np.maximum((edge**2).sum(axis=1), 1e-12)
    t = np.clip((rel * edge[None]).sum(axis=2) / length2[None], 0.0, 1.0)
    gap = rel - t[:, :, None] * edge[None]
    near = ((gap**2).sum(axis=2) <= margin**2).any(axis=1)
    if len(corners) >= 3:
        cross = edge[None, :, 0] * rel[:, :, 1] - edge[None, :, 1] * rel[:, :, 0]
        near |= (cross >= 0).all(axis=1)
    return near


def cylinders(template: Template, params: MatchParameters) -> Cylinders:
    """Compute the cylinders of a template.

    Parameters
    ----------
    template : Template
        Minutiae in pixels at 500 ppi.
    params : MatchParameters
        Cylinder geometry and the cell threshold ``mu_psi``.

    Returns
    -------
    cyl : Cylinders
        Only minutiae with at least ``params.min_neighbours`` neighbours inside the cylinder.
    """
    m = np.asarray(template.minutiae, np.float64)
    n = len(m)
    x, y, theta = m[:, 0], m[:, 1], m[:, 2]
    step = 2 * params.radius / params.cells
    offsets = (np.arange(params.cells) - (params.cells - 1) / 2) * step
    ci, cj = np.meshgrid(offsets, offsets, indexing="xy")  # cell centres, minutia frame
    ci, cj = ci.ravel(), cj.ravel()
    inside = np.hypot(ci, cj) <= params.radius
    ci, cj = ci[inside], cj[inside]
    if n == 0:
        bits, counts = _pack(np.zeros((0, len(ci) * params.sections), bool))
        return Cylinders(
            m.astype(np.float32), bits, counts, bits, _geometry(m), len(ci) * params.sections
        )
    # Neighbours that can reach a cell: within radius + 3 sigma_s. Padded to the largest
    # count (k) so every minutia is one row; padding has zero weight.
    reach = params.radius + 3 * params.sigma_s
    dist = np.hypot(x[None, :] - x[:, None], y[None, :] - y[:, None])
    near = dist <= reach
    np.fill_diagonal(near, False)
    neighbours = near.sum(axis=1)
    k = max(int(neighbours.max()), 1)
    idx = np.argsort(~near, axis=1, kind="stable")[:, :k]  # neighbours first
    valid = np.take_along_axis(near, idx, axis=1)  # (n, k)
    cos, sin = np.cos(theta), np.sin(theta)
    # Cell centres in image coordinates: (n, cells_in)
    px = x[:, None] + cos[:, None] * ci[None, :] - sin[:, None] * cj[None, :]
    py = y[:, None] + sin[:, None] * ci[None, :] + cos[:, None] * cj[None, :]
    # Spatial contribution of neighbour t to cell c of minutia s: (n, cells_in, k)
    d2 = (px[:, :, None] - x[idx][:, None, :]) ** 2 + (py[:, :, None] - y[idx][:, None, :]) ** 2
    spatial = np.exp(-d2 / (2 * params.sigma_s**2))
    spatial *= (d2 <= (3 * params.sigma_s) ** 2) & valid[:, None, :]
    # Directional contribution: relative direction of neighbour t vs minutia s, per section.
    rel = wrap_angle(theta[idx] - theta[:, None])  # (n, k)
    centres = -np.pi + (np.arange(params.sections) + 0.5) * 2 * np.pi / params.sections
    diff = wrap_angle(centres[None, None, :] - rel[:, :, None])  # (n, k, sections)
    # Integral of a Gaussian over the section width, approximated at its centre.
    width = 2 * np.pi / params.sections
    directional = (
        np.exp(-(diff**2) / (2 * params.sigma_d**2)) * width / (np.sqrt(2 * np.pi) * params.sigma_d)
    )
    total = np.matmul(spatial, directional)  # (n, cells_in, sections)
    # A cell is set where the contribution passes mu_psi; a cell nobody is near stays clear.
    # Valid cells (the same for every section): near the minutiae's convex hull.
    centres = np.column_stack([px.ravel(), py.ravel()])
    valid = _near_hull(centres, _hull(m[:, :2]), params.valid_margin).reshape(n, -1, 1)
    valid = np.repeat(valid, params.sections, axis=2)  # (n, cells_in, sections)
    cells = (total > params.mu_psi) & (spatial.sum(axis=2) > 1e-3)[:, :, None] & valid
    keep = neighbours >= params.min_neighbours
    bits, counts = _pack(cells.reshape(n, -1)[keep])
    valid_bits, _ = _pack(valid.reshape(n, -1)[keep])
    kept = m[keep].astype(np.float32)
    return Cylinders(
        kept, bits, counts, valid_bits, _geometry(kept.astype(np.float64)), cells[0].size
    )
