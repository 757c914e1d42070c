"""Minutia Cylinder-Code descriptors: a fixed-length local descriptor per minutia.

Each minutia gets a cylinder: a grid of ``cells × cells`` spatial cells turned to the
minutia's direction, stacked over ``sections`` angle sections. A cell holds how strongly
neighbouring minutiae near it have the relative direction of its section (Cappelli et al.
2010). Descriptors are invariant to rotation and translation, and a neighbour that moves a
little (skin distortion) changes a cell a little.
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
    vectors : (K, D) ndarray of float32
        Cylinder values, unit-normalised rows.
    """

    minutiae: np.ndarray
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.minutiae)


def cylinders(template: Template, params: MatchParameters) -> Cylinders:
    """Compute the cylinders of a template.

    Parameters
    ----------
    template : Template
        Minutiae in pixels at 500 ppi.
    params : MatchParameters
        Cylinder geometry and sigmoid.

    Returns
    -------
    cyl : Cylinders
        Only minutiae with at least ``params.min_neighbours`` neighbours inside the cylinder.
    """
    m = np.asarray(template.minutiae, np.float64)
    n = len(m)
    dim = params.cells * params.cells * params.sections
    if n == 0:
        return Cylinders(np.zeros((0, 4), np.float32), np.zeros((0, dim), np.float32))
    x, y, theta = m[:, 0], m[:, 1], m[:, 2]
    step = 2 * params.radius / params.cells
    offsets = (np.arange(params.cells) - (params.cells - 1) / 2) * step
    ci, cj = np.meshgrid(offsets, offsets, indexing="xy")  # cell centres, minutia frame
    ci, cj = ci.ravel(), cj.ravel()
    inside = np.hypot(ci, cj) <= params.radius
    ci, cj = ci[inside], cj[inside]
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
    values = 1.0 / (1.0 + np.exp(-params.tau_psi * (total - params.mu_psi)))
    # A cell nobody is near holds no information: keep it at zero.
    values *= (spatial.sum(axis=2) > 1e-3)[:, :, None]
    keep = neighbours >= params.min_neighbours
    flat = values.reshape(n, -1)[keep]
    norms = np.linalg.norm(flat, axis=1, keepdims=True)
    flat = flat / np.maximum(norms, 1e-9)
    return Cylinders(m[keep].astype(np.float32), flat.astype(np.float32))
