"""Ridge orientation and its reliability, from the smoothed gradient structure tensor.

References: Bazen and Gerez, "Systematic methods for the computation of the directional
fields and singular points of fingerprints", IEEE TPAMI 24, 2002.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .params import ExtractParameters
from .smoothing import gaussian

__all__ = ["OrientationField", "cell_mean", "orientation_field"]

_STEP = 4  # px: grid of the orientation field


@dataclass(frozen=True)
class OrientationField:
    """Ridge orientation on a grid of ``step`` px.

    Attributes
    ----------
    theta : (M, N) ndarray
        Ridge orientation (rad, 0..pi) from +x toward +y, at pixel ``(r*step, c*step)``.
    coherence : (M, N) ndarray
        0 (no dominant direction) … 1 (perfectly parallel ridges).
    energy : (M, N) ndarray
        Mean squared gradient (grey levels² / px²): how much ridge contrast there is.
    step : int
        Grid spacing (px).
    """

    theta: np.ndarray
    coherence: np.ndarray
    energy: np.ndarray
    step: int

    @functools.cached_property
    def doubled(self) -> tuple[np.ndarray, np.ndarray]:
        """``cos 2θ`` and ``sin 2θ`` (computed on first use, then kept: several stages read
        them)."""
        return np.cos(2 * self.theta), np.sin(2 * self.theta)

    def at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Orientation (rad) at pixel coordinates, interpolated in the doubled-angle domain."""
        coords = [np.asarray(y, float) / self.step, np.asarray(x, float) / self.step]
        cos2, sin2 = self.doubled
        c = ndimage.map_coordinates(cos2, coords, order=1, mode="nearest")
        s = ndimage.map_coordinates(sin2, coords, order=1, mode="nearest")
        return np.mod(0.5 * np.arctan2(s, c), np.pi)

    def coherence_at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Coherence at pixel coordinates (bilinear)."""
        coords = [np.asarray(y, float) / self.step, np.asarray(x, float) / self.step]
        return ndimage.map_coordinates(self.coherence, coords, order=1, mode="nearest")


def cell_mean(a: np.ndarray, step: int) -> np.ndarray:
    """Mean of every ``step`` x ``step`` cell of ``a`` (both sides multiples of ``step``).

    Adds strided slices (each a fast elementwise pass) rather than reducing a 4-D view.
    """
    cols = a[:, 0::step].copy()
    for k in range(1, step):
        cols += a[:, k::step]
    cells = cols[0::step].copy()
    for k in range(1, step):
        cells += cols[k::step]
    cells *= 1.0 / (step * step)
    return cells


def _gradient(a: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.gradient(a)`` (central differences, one-sided at the edges), in ``a``'s dtype.

    Both are returned with their last row and column repeated up to a multiple of ``step``
    (written in place, no padded copy), ready for :func:`cell_mean`.
    """
    rows, cols = a.shape
    shape = (rows + (-rows) % step, cols + (-cols) % step)
    gy = np.empty(shape, a.dtype)
    gx = np.empty(shape, a.dtype)
    np.subtract(a[2:], a[:-2], out=gy[1 : rows - 1, :cols])
    gy[1 : rows - 1, :cols] *= 0.5
    np.subtract(a[1], a[0], out=gy[0, :cols])
    np.subtract(a[-1], a[-2], out=gy[rows - 1, :cols])
    np.subtract(a[:, 2:], a[:, :-2], out=gx[:rows, 1 : cols - 1])
    gx[:rows, 1 : cols - 1] *= 0.5
    np.subtract(a[:, 1], a[:, 0], out=gx[:rows, 0])
    np.subtract(a[:, -1], a[:, -2], out=gx[:rows, cols - 1])
    for g in (gy, gx):
        g[rows:, :cols] = g[rows - 1, :cols]
        g[:, cols:] = g[:, cols - 1 : cols]
    return gy, gx


def orientation_field(image: np.ndarray, params: ExtractParameters) -> OrientationField:
    """Estimate the ridge orientation field.

    Parameters
    ----------
    image : (M, N) ndarray
        Grey image at 500 ppi.
    params : ExtractParameters
        Uses ``gradient_sigma`` and ``tensor_sigma`` (px).

    Returns
    -------
    field : OrientationField
        On a 4 px grid: the gradient products are averaged over 4×4 px cells and smoothed
        there, which is 16 times cheaper than smoothing at full resolution and as accurate
        for a field that varies over tens of pixels.
    """
    smooth = gaussian(image, params.gradient_sigma)
    # Edge cells are filled by repeating the last row and column of the gradients (of the
    # products, which is the same).
    if smooth.dtype == np.float32 and min(smooth.shape) >= 2:
        # The same sums in one compiled pass (see _kernels.gradient_moments).
        from ._kernels import gradient_moments

        gxx, gyy, gxy = gradient_moments(smooth, _STEP)
    else:
        gy, gx = _gradient(smooth, _STEP)
        gxx = cell_mean(gx * gx, _STEP)
        gyy = cell_mean(gy * gy, _STEP)
        gxy = cell_mean(gx * gy, _STEP)
    sigma = params.tensor_sigma / _STEP
    gxx = gaussian(gxx, sigma)
    gyy = gaussian(gyy, sigma)
    gxy = gaussian(gxy, sigma)
    diff, cross = gxx - gyy, 2 * gxy
    total = gxx + gyy
    coherence = np.hypot(diff, cross) / np.maximum(total, 1e-9)
    # The gradient points across the ridges: the ridges run at +90 degrees from it.
    theta = np.mod(0.5 * np.arctan2(cross, diff) + np.pi / 2, np.pi)
    return OrientationField(theta=theta, coherence=coherence, energy=total, step=_STEP)
