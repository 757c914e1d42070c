"""Foreground segmentation: where the finger touched the platen."""

from __future__ import annotations

import numpy as np

from ..interpolation import bilinear
from .orientation import OrientationField, cell_mean
from .params import ExtractParameters
from .smoothing import gaussian

__all__ = ["edge_distance", "segment"]


def _local_spread(image: np.ndarray, step: int, size: float) -> np.ndarray:
    """Local standard deviation of grey levels (over about ``size`` px), on a ``step`` grid."""
    if image.dtype == np.float32:  # both cell means in one compiled pass, the same sums
        from ._kernels import cell_moments

        mean, mean_sq = cell_moments(image, step)
    else:
        rows, cols = image.shape[0] // step * step, image.shape[1] // step * step
        cells = image[:rows, :cols]
        mean, mean_sq = cell_mean(cells, step), cell_mean(cells * cells, step)
    mean = gaussian(mean, size / step)
    mean_sq = gaussian(mean_sq, size / step)
    return np.sqrt(np.maximum(mean_sq - mean * mean, 0.0))


def edge_distance(mask: np.ndarray, step: int) -> np.ndarray:
    """Distance (px) from each cell of a ``step`` grid to the foreground edge.

    Read at every ``step``-th pixel of ``mask``; outside the image counts as background. The
    minutiae and singular-point stages both use it, so :func:`..extract` computes it once.

    Parameters
    ----------
    mask : (M, N) ndarray of bool
        Foreground.
    step : int
        Grid spacing (px).

    Returns
    -------
    distance : (ceil(M / step), ceil(N / step)) ndarray of float64
        0 on background cells.

    Examples
    --------
    >>> mask = np.zeros((12, 12), bool)
    >>> mask[:, 4:] = True
    >>> edge_distance(mask, 4)[0]
    array([0., 4., 4.])
    """
    from ._kernels import euclidean_distance  # ndimage.distance_transform_edt, compiled

    small = mask[::step, ::step]
    return euclidean_distance(np.pad(small, 1))[1:-1, 1:-1] * step


def segment(
    image: np.ndarray,
    field: OrientationField,
    clarity: np.ndarray,
    params: ExtractParameters,
) -> np.ndarray:
    """Foreground mask of a fingerprint image.

    A cell is foreground when its grey-level spread is a fair share of the image's strong
    ridge contrast, its ridges run in one direction (coherence) and its spectrum is
    concentrated in the ridge band (clarity: sensor noise spreads over all frequencies).
    Gaps are closed, specks opened, holes filled, and pieces smaller than a
    finger touch dropped.

    Parameters
    ----------
    image : (M, N) ndarray
        Grey image at 500 ppi.
    field : OrientationField
        Orientation and coherence on a grid of ``field.step`` px.
    clarity : (R, C) ndarray
        Ridge-band energy share of blocks centred every ``params.window / 2`` px.
    params : ExtractParameters
        Uses ``spread_share``, ``coherence_floor``, ``clarity_floor``, ``min_area``.

    Returns
    -------
    mask : (M, N) ndarray of bool
        True on the finger.
    """
    step = field.step
    spread = _local_spread(image, step, 8.0)
    shape = field.coherence.shape
    spread = np.pad(
        spread,
        [(0, max(0, shape[0] - spread.shape[0])), (0, max(0, shape[1] - spread.shape[1]))],
        mode="edge",
    )
    spread = spread[: shape[0], : shape[1]]
    strong = float(np.percentile(spread, 95))
    threshold = max(6.0, params.spread_share * strong)
    # Block (i, j) is centred at pixel (i, j) * window / 2; cell (r, c) at (r, c) * step.
    block = params.window / 2
    rr, cc = np.mgrid[0 : shape[0], 0 : shape[1]] * (step / block)
    block_clarity = bilinear(clarity, rr, cc)  # ndimage's order-1 "nearest", compiled
    cells = (
        (spread >= threshold)
        & (field.coherence >= params.coherence_floor)
        & (block_clarity >= params.clarity_floor)
    )
    radius = max(1, round(params.block / step))
    # Gaps closed, specks opened, holes filled, pieces smaller than a touch dropped: the
    # ndimage closing, opening, fill and labelling in one compiled pass, the same cells.
    from ._kernels import clean_cells

    cells = clean_cells(cells, radius, step * step, float(params.min_area))
    mask = np.repeat(np.repeat(cells, step, axis=0), step, axis=1)
    mask = np.pad(
        mask,
        [(0, max(0, image.shape[0] - mask.shape[0])), (0, max(0, image.shape[1] - mask.shape[1]))],
    )
    return mask[: image.shape[0], : image.shape[1]]
