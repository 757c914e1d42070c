"""Smooth random fields, shared by the master and impression stages."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["smooth_noise"]


def smooth_noise(
    rng: np.random.Generator, shape: tuple[int, int], scale: float, *, order: int = 1
) -> np.ndarray:
    """Zero-mean, unit-variance random field that varies over about ``scale`` samples.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    shape : tuple of int
        Output shape (rows, cols).
    scale : float
        Correlation length in output samples (> 1).
    order : int, optional
        Spline order of the upsampling (1, linear, is four times cheaper than cubic and its
        creases every ``scale`` samples are invisible in an orientation or period field).

    Returns
    -------
    field : (M, N) ndarray of float64
        Smooth field with mean about 0 and standard deviation about 1.
    """
    if scale <= 1:
        raise ValueError(f"scale must be > 1 sample, got {scale}")
    coarse = (
        max(2, int(np.ceil(shape[0] / scale)) + 2),
        max(2, int(np.ceil(shape[1] / scale)) + 2),
    )
    base = rng.standard_normal(coarse)
    zoom = ((shape[0] - 1) / (coarse[0] - 1), (shape[1] - 1) / (coarse[1] - 1))
    field = ndimage.zoom(base, zoom, order=order, mode="nearest", grid_mode=False)
    field = field[: shape[0], : shape[1]]
    if field.shape != shape:  # zoom can round one sample short
        field = np.pad(
            field, [(0, shape[0] - field.shape[0]), (0, shape[1] - field.shape[1])], "edge"
        )
    sd = field.std()
    return (field - field.mean()) / (sd if sd > 0 else 1.0)
