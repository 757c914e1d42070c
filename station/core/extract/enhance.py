"""Ridge frequency and contextual enhancement, both read from the block spectra.

Each block's spectrum is weighted toward the direction normal to the local ridges; the
power-weighted radius of what lies in the ridge band gives the ridge frequency. The block is
then filtered by an oriented band-pass (a Gaussian in radius around that frequency times a
Gaussian in angle around the ridge normal) and the blocks are added back: one batched FFT of
all blocks, not one convolution per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .orientation import OrientationField
from .params import ExtractParameters
from .smoothing import gaussian
from .spectra import BlockSpectra, overlap_add

__all__ = ["Enhanced", "RidgeBand", "enhance", "ridge_band"]


@dataclass(frozen=True)
class RidgeBand:
    """What each block's spectrum says about its ridges, before segmentation.

    Attributes
    ----------
    period : (R, C) ndarray
        Raw ridge period per block (px); NaN where the band holds no energy.
    clarity : (R, C) ndarray
        Share of a block's AC energy in the oriented ridge band, 0..1 (noise: low).
    strength : (R, C) ndarray
        Weight of the period estimate (band energy, square-rooted).
    normal : (R, C) ndarray of float32
        Direction of the ridge normal at each block centre (rad), the centre of the angular
        weight (see :func:`._kernels.angular_exponents`).
    """

    period: np.ndarray
    clarity: np.ndarray
    strength: np.ndarray
    normal: np.ndarray


@dataclass(frozen=True)
class Enhanced:
    """Result of the enhancement stage.

    Attributes
    ----------
    ridges : (M, N) ndarray of float32
        Band-passed ridge signal, positive on ridges (dark in the input); 0 where no block
        touches the foreground (those blocks are not filtered).
    period : (R, C) ndarray
        Ridge period per block (px), smoothed over the foreground.
    clarity : (R, C) ndarray
        As :attr:`RidgeBand.clarity`.
    """

    ridges: np.ndarray
    period: np.ndarray
    clarity: np.ndarray


def ridge_band(spec: BlockSpectra, field: OrientationField, params: ExtractParameters) -> RidgeBand:
    """Ridge period and clarity of every block, read from its spectrum.

    Parameters
    ----------
    spec : BlockSpectra
        Spectra of overlapping blocks (see :func:`.spectra.block_spectra`).
    field : OrientationField
        Ridge orientation.
    params : ExtractParameters
        Uses ``period_range`` and ``angular_sigma``.

    Returns
    -------
    band : RidgeBand
    """
    from ._kernels import angular_exponents, band_sums

    theta = field.at(spec.centres_x, spec.centres_y)
    normal = (theta + np.pi / 2).astype(np.float32)
    radius = np.hypot(spec.fu, spec.fv).astype(np.float32)
    lo, hi = 1.0 / params.period_range[1], 1.0 / params.period_range[0]
    # Only the samples in the ridge band carry weight: work on those alone.
    in_band = np.nonzero(((radius >= lo) & (radius <= hi)).ravel())[0]
    # The angular weight (see _kernels.angular_exponents: the exponent compiled, the
    # exponential numpy's).
    direction = np.arctan2(spec.fv.ravel()[in_band], spec.fu.ravel()[in_band])
    angular = angular_exponents(
        np.cos(2 * direction).astype(np.float32),
        np.sin(2 * direction).astype(np.float32),
        np.cos(2 * normal).ravel(),
        np.sin(2 * normal).ravel(),
        np.float32(1.0 / (4 * params.angular_sigma**2)),
    )
    np.exp(angular, out=angular)
    # Per block, with w = |spectrum|² · angular over the band: Σ w², Σ w² · radius, Σ w, and
    # the first column's energy (compiled, the same float32 sums: see band_sums).
    sq, weighted, energy, column, dc = band_sums(
        np.ascontiguousarray(spec.spectra),
        in_band.astype(np.int64),
        angular,
        radius.ravel()[in_band],
    )
    freq = np.where(sq > 0, weighted / np.maximum(sq, 1e-30), 0.0)
    period = np.where(freq > 0, 1.0 / np.maximum(freq, 1e-9), np.nan)
    # rfft2 holds each frequency once except the first column: count the rest twice.
    n_r, n_c = normal.shape
    parts = spec.spectra.reshape(n_r, n_c, -1).view(np.float32)
    total = 2 * np.einsum("rck,rck->rc", parts, parts) - column - dc
    clarity = np.clip(2 * energy / np.maximum(total, 1e-12), 0.0, 1.0)
    return RidgeBand(period, clarity, np.sqrt(np.maximum(energy, 0.0)), normal)


def _touching(spec: BlockSpectra, mask: np.ndarray) -> np.ndarray:
    """Blocks whose window overlaps the mask, (R, C) bool.

    Block ``(i, j)`` covers the half-window cells ``i - 1 … i`` and ``j - 1 … j``
    (compiled: see :func:`._kernels.touching_blocks`).
    """
    from ._kernels import touching_blocks

    half = spec.window.shape[0] // 2
    n_r, n_c = spec.centres_x.shape
    return touching_blocks(mask, half, (n_r, n_c))


def enhance(
    spec: BlockSpectra, band: RidgeBand, mask: np.ndarray, params: ExtractParameters
) -> Enhanced:
    """Filter every block that touches the foreground with an oriented band-pass and add the
    blocks back.

    Parameters
    ----------
    spec : BlockSpectra
        Spectra of overlapping blocks.
    band : RidgeBand
        Their ridge period, clarity and ridge normals.
    mask : (M, N) ndarray of bool
        Foreground: the period is smoothed over foreground blocks only, and only blocks that
        overlap it are filtered (every foreground pixel gets all its blocks).
    params : ExtractParameters
        Uses ``period_range``, ``radial_sigma`` and ``angular_sigma``.

    Returns
    -------
    result : Enhanced
    """
    cy = np.clip(spec.centres_y.astype(int), 0, mask.shape[0] - 1)
    cx = np.clip(spec.centres_x.astype(int), 0, mask.shape[1] - 1)
    inside = mask[cy, cx] & np.isfinite(band.period)
    valid = np.where(inside, band.period, 0.0)
    w = inside * band.strength
    num = gaussian(valid * w, 1.0)
    den = gaussian(w, 1.0)
    typical = float(np.median(band.period[inside])) if inside.any() else 9.0
    period = np.where(den > 1e-12, num / np.maximum(den, 1e-12), typical)
    period = np.clip(period, *params.period_range)

    where = np.nonzero(_touching(spec, mask))
    # The filter: a Gaussian in the relative distance to the ridge frequency times the
    # angular weight (see _kernels.angular_exponents), exponents and products compiled in
    # the order the numpy expressions had, the exponentials taken by numpy as before.
    from ._kernels import apply_gain, band_exponents

    radius = np.hypot(spec.fu, spec.fv).astype(np.float32)
    f0 = (1.0 / period[where]).astype(np.float32)
    direction = np.arctan2(spec.fv, spec.fu)
    normal = band.normal[where]
    radial, angular = band_exponents(
        radius,
        f0,
        np.cos(2 * direction).astype(np.float32),
        np.sin(2 * direction).astype(np.float32),
        np.cos(2 * normal),
        np.sin(2 * normal),
        np.float32(-0.5 / params.radial_sigma**2),
        np.float32(1.0 / (4 * params.angular_sigma**2)),
    )
    np.exp(radial, out=radial)
    np.exp(angular, out=angular)
    block_rows, block_cols = (np.asarray(k, np.int64) for k in where)
    filtered = np.empty(radial.shape, np.complex64)
    apply_gain(spec.spectra, block_rows, block_cols, radial, angular, filtered)
    ridges = overlap_add(spec, filtered, where, negate=True)
    return Enhanced(ridges=ridges, period=period, clarity=band.clarity)
