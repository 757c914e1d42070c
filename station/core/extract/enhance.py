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
from scipy import ndimage

from .orientation import OrientationField
from .params import ExtractParameters
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
    angular : (R, C, W, W//2+1) ndarray
        Angular weight of every spectrum sample around the block's ridge normal.
    """

    period: np.ndarray
    clarity: np.ndarray
    strength: np.ndarray
    angular: np.ndarray


@dataclass(frozen=True)
class Enhanced:
    """Result of the enhancement stage.

    Attributes
    ----------
    ridges : (M, N) ndarray of float32
        Band-passed ridge signal, positive on ridges (dark in the input).
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
    theta = field.at(spec.centres_x, spec.centres_y)
    normal = (theta + np.pi / 2).astype(np.float32)
    radius = np.hypot(spec.fu, spec.fv).astype(np.float32)
    direction = np.arctan2(spec.fv, spec.fu)
    lo, hi = 1.0 / params.period_range[1], 1.0 / params.period_range[0]
    in_band = ((radius >= lo) & (radius <= hi)).astype(np.float32)
    # Angular weight around the ridge normal, modulo pi (the spectrum has two lobes): the
    # von Mises form exp((cos 2d - 1) / (4 s^2)) ~ exp(-d^2 / (2 s^2)) for small d, with
    # cos 2d from products of precomputed cosines and sines (no per-sample angles).
    c2 = np.cos(2 * direction).astype(np.float32)
    s2 = np.sin(2 * direction).astype(np.float32)
    cos2d = c2 * np.cos(2 * normal)[..., None, None] + s2 * np.sin(2 * normal)[..., None, None]
    angular = np.exp((cos2d - 1.0) * np.float32(1.0 / (4 * params.angular_sigma**2)))
    power = spec.spectra.real**2 + spec.spectra.imag**2
    weight = power * angular * in_band
    sq = (weight**2).sum(axis=(2, 3))
    freq = np.where(sq > 0, (weight**2 * radius).sum(axis=(2, 3)) / np.maximum(sq, 1e-30), 0.0)
    period = np.where(freq > 0, 1.0 / np.maximum(freq, 1e-9), np.nan)
    # rfft2 holds each frequency once except the first column: count the rest twice.
    total = 2 * power.sum(axis=(2, 3)) - power[..., 0].sum(axis=2) - power[..., 0, 0]
    clarity = np.clip(2 * weight.sum(axis=(2, 3)) / np.maximum(total, 1e-12), 0.0, 1.0)
    return RidgeBand(period, clarity, np.sqrt(np.maximum(weight.sum(axis=(2, 3)), 0.0)), angular)


def enhance(
    spec: BlockSpectra, band: RidgeBand, mask: np.ndarray, params: ExtractParameters
) -> Enhanced:
    """Filter every block with an oriented band-pass and add the blocks back.

    Parameters
    ----------
    spec : BlockSpectra
        Spectra of overlapping blocks.
    band : RidgeBand
        Their ridge period, clarity and angular weights.
    mask : (M, N) ndarray of bool
        Foreground: the period is smoothed over foreground blocks only.
    params : ExtractParameters
        Uses ``period_range`` and ``radial_sigma``.

    Returns
    -------
    result : Enhanced
    """
    cy = np.clip(spec.centres_y.astype(int), 0, mask.shape[0] - 1)
    cx = np.clip(spec.centres_x.astype(int), 0, mask.shape[1] - 1)
    inside = mask[cy, cx] & np.isfinite(band.period)
    valid = np.where(inside, band.period, 0.0)
    w = inside * band.strength
    num = ndimage.gaussian_filter(valid * w, 1.0)
    den = ndimage.gaussian_filter(w, 1.0)
    typical = float(np.median(band.period[inside])) if inside.any() else 9.0
    period = np.where(den > 1e-12, num / np.maximum(den, 1e-12), typical)
    period = np.clip(period, *params.period_range)

    radius = np.hypot(spec.fu, spec.fv).astype(np.float32)
    f0 = (1.0 / period).astype(np.float32)[..., None, None]
    spread = np.float32(-0.5 / params.radial_sigma**2)
    gain = np.exp(spread * ((radius - f0) / f0) ** 2) * band.angular
    ridges = -overlap_add(spec, spec.spectra * gain)
    return Enhanced(ridges=ridges.astype(np.float32), period=period, clarity=band.clarity)
