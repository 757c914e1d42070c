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

__all__ = ["Enhanced", "enhance"]


@dataclass(frozen=True)
class Enhanced:
    """Result of the enhancement stage.

    Attributes
    ----------
    ridges : (M, N) ndarray of float32
        Band-passed ridge signal, positive on ridges (dark in the input).
    period : (R, C) ndarray
        Ridge period per block (px), smoothed; block centres every ``window / 2`` px.
    clarity : (R, C) ndarray
        Share of a block's AC energy inside the oriented ridge band, 0..1.
    """

    ridges: np.ndarray
    period: np.ndarray
    clarity: np.ndarray


def enhance(
    spec: BlockSpectra, field: OrientationField, mask: np.ndarray, params: ExtractParameters
) -> Enhanced:
    """Estimate ridge frequency per block and enhance the ridges.

    Parameters
    ----------
    spec : BlockSpectra
        Spectra of overlapping blocks (see :func:`.spectra.block_spectra`).
    field : OrientationField
        Ridge orientation.
    mask : (M, N) ndarray of bool
        Foreground.
    params : ExtractParameters
        Uses ``period_range``, ``angular_sigma``, ``radial_sigma``.

    Returns
    -------
    result : Enhanced
    """
    theta = field.at(spec.centres_x, spec.centres_y)
    normal = theta + np.pi / 2
    radius = np.hypot(spec.fu, spec.fv)
    direction = np.arctan2(spec.fv, spec.fu)
    lo, hi = 1.0 / params.period_range[1], 1.0 / params.period_range[0]
    band = (radius >= lo) & (radius <= hi)

    # Angular distance to the ridge normal, modulo pi (the spectrum has two lobes).
    d = np.angle(np.exp(2j * (direction[None, None] - normal[..., None, None]))) / 2
    angular = np.exp(-(d**2) / (2 * params.angular_sigma**2))
    power = np.abs(spec.spectra) ** 2
    weight = power * angular * band
    wsum = weight.sum(axis=(2, 3))
    sq = (weight**2).sum(axis=(2, 3))
    freq = np.where(sq > 0, (weight**2 * radius).sum(axis=(2, 3)) / np.maximum(sq, 1e-30), 0.0)
    period = np.where(freq > 0, 1.0 / np.maximum(freq, 1e-9), np.nan)

    # Smooth the period over neighbouring foreground blocks; fill the rest.
    cy = np.clip(spec.centres_y.astype(int), 0, mask.shape[0] - 1)
    cx = np.clip(spec.centres_x.astype(int), 0, mask.shape[1] - 1)
    inside = mask[cy, cx] & np.isfinite(period)
    valid = np.where(inside, period, 0.0)
    w = inside.astype(float) * np.sqrt(np.maximum(wsum, 0.0))
    num = ndimage.gaussian_filter(valid * w, 1.0)
    den = ndimage.gaussian_filter(w, 1.0)
    typical = float(np.median(period[inside])) if inside.any() else 9.0
    period = np.where(den > 1e-12, num / np.maximum(den, 1e-12), typical)
    period = np.clip(period, *params.period_range)

    f0 = 1.0 / period
    radial = np.exp(
        -((radius[None, None] - f0[..., None, None]) ** 2)
        / (2 * (params.radial_sigma * f0[..., None, None]) ** 2)
    )
    gain = radial * angular
    filtered = spec.spectra * gain
    total = power[..., 1:, :].sum(axis=(2, 3)) + power[..., 0, 1:].sum(axis=2)
    kept = (np.abs(filtered) ** 2).sum(axis=(2, 3))
    clarity = np.clip(kept / np.maximum(total, 1e-12), 0.0, 1.0)
    ridges = -overlap_add(spec, filtered)
    return Enhanced(ridges=ridges.astype(np.float32), period=period, clarity=clarity)
