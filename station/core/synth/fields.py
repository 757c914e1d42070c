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
        creases every ``scale`` samples are invisible in an orientation or period field);
        order 1 is done here with numpy, other orders with ``scipy.ndimage.zoom``.

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
    if order == 1:
        field = _linear_zoom(base, shape)
    else:
        zoom = ((shape[0] - 1) / (coarse[0] - 1), (shape[1] - 1) / (coarse[1] - 1))
        # order is an int 0-5 at run time; the stubs want a Literal
        field = ndimage.zoom(base, zoom, order=order, mode="nearest", grid_mode=False)  # type: ignore[call-overload]
        field = field[: shape[0], : shape[1]]
        if field.shape != shape:  # zoom can round one sample short
            field = np.pad(
                field, [(0, shape[0] - field.shape[0]), (0, shape[1] - field.shape[1])], "edge"
            )
    sd = field.std()
    return (field - field.mean()) / (sd if sd > 0 else 1.0)


def _axis_weights(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Left sample and weight of its right neighbour for each of ``n_out`` outputs.

    The samples are those of ``scipy.ndimage.zoom(..., zoom=(n_out - 1) / (n_in - 1),
    order=1, grid_mode=False)``: the zoom's own output length is rounded from that factor
    and may fall one short (the missing end repeats the last sample, as edge padding would);
    output ``i`` of the zoom reads input ``i * (n_in - 1) / (length - 1)``.
    """
    length = round(n_in * ((n_out - 1) / (n_in - 1)))
    index = np.minimum(np.arange(n_out), length - 1)
    position = np.minimum(index * ((n_in - 1) / (length - 1)), n_in - 1)
    left = np.minimum(position.astype(np.intp), n_in - 2)
    return left, position - left


def _linear_zoom(base: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resampling of ``base`` to ``shape`` (corners on corners), one axis at a time."""
    left, weight = _axis_weights(base.shape[1], shape[1])
    wide = base[:, left] * (1.0 - weight) + base[:, left + 1] * weight
    left, weight = _axis_weights(base.shape[0], shape[0])
    weight = weight[:, None]
    return wide[left] * (1.0 - weight) + wide[left + 1] * weight
