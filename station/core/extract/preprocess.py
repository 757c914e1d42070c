"""Input checks and conversion: any array a caller may pass becomes grey float at 500 ppi."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .params import ExtractParameters

__all__ = ["prepare", "resample"]


def _to_grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        channels = image.shape[2]
        if channels not in (1, 2, 3, 4):
            raise ValueError(f"image has {channels} channels; expected grey, RGB or RGBA")
        data = image.astype(np.float64)
        alpha = None
        if channels in (2, 4):
            alpha = data[..., -1]
            data = data[..., :-1]
        grey = data[..., 0] if data.shape[2] == 1 else data @ np.array([0.299, 0.587, 0.114])
        if alpha is not None:
            top = 1.0 if np.nanmax(alpha) <= 1.0 else (65535.0 if alpha.max() > 255 else 255.0)
            a = alpha / top
            white = 1.0 if np.nanmax(grey) <= 1.0 else 255.0
            grey = grey * a + white * (1 - a)
        return grey
    if image.ndim != 2:
        raise ValueError(f"image must be a 2-D grey array (or RGB/RGBA), got shape {image.shape}")
    return image


def resample(grey: np.ndarray, dpi: int, target: int) -> np.ndarray:
    """Grey levels at ``dpi`` resampled to ``target`` ppi (bilinear; Gaussian anti-alias first
    when shrinking); the array itself when the two are equal.

    Parameters
    ----------
    grey : (M, N) ndarray of float32
        Grey levels.
    dpi, target : int
        Resolution of ``grey`` and the one wanted, pixels per inch.

    Returns
    -------
    grey : (P, Q) ndarray of float32
        ``P = round(M * target / dpi)`` rows (likewise columns).

    Examples
    --------
    >>> resample(np.zeros((100, 60), np.float32), 1000, 500).shape
    (50, 30)
    """
    if dpi == target:
        return grey
    scale = target / dpi
    if scale < 1:  # anti-alias before shrinking
        grey = ndimage.gaussian_filter(grey, 0.5 / scale)
    return ndimage.zoom(grey, scale, order=1)


def prepare(image: np.ndarray, dpi: int, params: ExtractParameters) -> np.ndarray:
    """Validate an image and return it as float32 grey levels 0–255 at ``params.dpi``.

    Parameters
    ----------
    image : (M, N) or (M, N, C) array_like
        Grey, RGB or RGBA; uint8, uint16, bool or float (0–1 or 0–255).
    dpi : int
        Resolution of ``image`` in pixels per inch (100–2000).
    params : ExtractParameters
        Extractor tunables.

    Returns
    -------
    grey : (P, Q) ndarray of float32
        Grey levels at the working resolution, 0 black.

    Raises
    ------
    ValueError
        Wrong shape or type, NaN or infinite values, absurd resolution, or an image too small
        or too large to hold a finger.
    """
    if isinstance(dpi, bool) or not isinstance(dpi, int | np.integer) or not 100 <= dpi <= 2000:
        raise ValueError(f"dpi must be a whole number from 100 to 2000, got {dpi!r}")
    array = np.asarray(image)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise ValueError(f"image must be numeric, got dtype {array.dtype}")
    if array.size == 0:
        raise ValueError("image is empty")
    grey = _to_grey(array)
    if grey.dtype == bool:
        grey = grey.astype(np.float64) * 255.0
    elif grey.dtype.kind == "f":
        if not np.isfinite(grey).all():
            raise ValueError("image has NaN or infinite pixel values")
        if grey.max() <= 1.0 and grey.min() >= 0.0:
            grey = grey * 255.0
    elif grey.dtype.kind in "iu" and grey.max(initial=0) > 255:
        grey = grey.astype(np.float64) * (255.0 / 65535.0)
    grey = np.clip(grey.astype(np.float32), 0.0, 255.0)
    grey = resample(grey, dpi, params.dpi)
    rows, cols = grey.shape
    if min(rows, cols) < params.min_side:
        raise ValueError(
            f"image is {cols}x{rows} px at {params.dpi} ppi: too small to hold a finger "
            f"(at least {params.min_side} px a side)"
        )
    if max(rows, cols) > params.max_side:
        raise ValueError(
            f"image is {cols}x{rows} px at {params.dpi} ppi: larger than a fingerprint "
            f"(at most {params.max_side} px a side)"
        )
    return grey
