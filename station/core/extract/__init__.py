"""Feature extraction: minutiae templates and image quality from a fingerprint image.

``extract`` reads top to bottom, one stage per line, like SourceAFIS's ``FeatureExtractor``;
each stage is a module with one job. An optional ``trace(name, array)`` callback receives
every intermediate image (for the GUI's stage viewer and for debugging).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..template import Template
from .enhance import enhance, ridge_band
from .minutiae import find_minutiae, skeleton
from .orientation import orientation_field
from .params import DEFAULT_PARAMETERS, ExtractParameters
from .preprocess import prepare
from .quality import NO_FINGER, assess
from .segmentation import edge_distance, segment
from .singular import singular_points
from .spectra import block_spectra

__all__ = ["NO_FINGER", "ExtractParameters", "extract"]

Trace = Callable[[str, np.ndarray], None]


def _no_trace(name: str, array: np.ndarray) -> None:
    return None


_NO_MASK = np.ones((1, 1), bool)  # placeholder when every value counts


def _percentiles(values: np.ndarray, q: list[float], mask: np.ndarray | None = None) -> np.ndarray:
    """``np.percentile(values[mask], q)`` (linear method) of grey levels (all of ``values``
    when ``mask`` is None).

    When every value is a whole level 0–255 (8-bit input), the order statistics are read
    from a histogram (counted in one compiled pass) instead of a partition, several times
    faster, and interpolated as numpy does (``a + (b - a) * t``, or ``b - (b - a) * (1 - t)``
    from ``t = 0.5`` on).
    """
    from ._kernels import level_histogram

    if values.ndim != 2 or values.dtype != np.float32:
        return np.percentile(values if mask is None else values[mask], q)
    counts = level_histogram(values, _NO_MASK if mask is None else mask, mask is not None)
    size = int(counts.sum())
    if counts.size == 0 or size < 2:
        return np.percentile(values if mask is None else values[mask], q)
    cumulative = np.cumsum(counts)
    virtual = (size - 1) * (np.asarray(q, float) / 100)
    below = np.floor(virtual)
    gamma = virtual - below
    first = below.astype(np.intp)
    second = np.minimum(first + 1, size - 1)
    # The k-th smallest value is the first level whose cumulative count exceeds k.
    a = np.searchsorted(cumulative, first, side="right").astype(values.dtype)
    b = np.searchsorted(cumulative, second, side="right").astype(values.dtype)
    diff = b - a
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)


def extract(
    image: np.ndarray,
    dpi: int = 500,
    *,
    params: ExtractParameters | None = None,
    trace: Trace | None = None,
) -> Template:
    """Extract minutiae, singular points and quality from a fingerprint image.

    Parameters
    ----------
    image : (M, N) or (M, N, C) array_like
        Grey (or RGB/RGBA) image, dark ridges on a light background; uint8, uint16, bool or
        float.
    dpi : int, optional
        Resolution of ``image``; other resolutions are rescaled to 500 ppi and the template's
        coordinates refer to the rescaled image.
    params : ExtractParameters, optional
        Tunables.
    trace : callable, optional
        ``trace(name, array)`` is called with each intermediate image.

    Returns
    -------
    template : Template
        Quality 0 with reason ``"no usable finger"`` when no finger is found.

    Raises
    ------
    ValueError
        The input is not an image (wrong shape or type, NaN, too small or too large).
    """
    params = DEFAULT_PARAMETERS if params is None else params
    trace = trace or _no_trace
    grey = prepare(image, dpi, params)
    trace("input", grey)
    field = orientation_field(grey, params)
    trace("orientation", field.theta)
    spectra = block_spectra(grey, float(_percentiles(grey, [50])[0]), params.window)
    band = ridge_band(spectra, field, params)
    trace("clarity", band.clarity)
    mask = segment(grey, field, band.clarity, params)
    trace("mask", mask)
    height, width = grey.shape
    if not mask.any():
        return Template(width, height, params.dpi, quality=0, level=5, reason=NO_FINGER)
    enhanced = enhance(spectra, band, mask, params)
    trace("enhanced", enhanced.ridges)
    skel = skeleton(enhanced.ridges, mask)
    trace("skeleton", skel)
    edge = edge_distance(mask, field.step)  # for the minutiae and the singular points
    minutiae, border = find_minutiae(skel, mask, field, params, edge=edge)
    quality = _minutia_quality(minutiae, border, field, params)
    minutiae, quality = _best(minutiae, quality, params.max_minutiae)
    report = _assess(grey, mask, field, enhanced, spectra, quality)
    return Template(
        width=width,
        height=height,
        dpi=params.dpi,
        minutiae=minutiae,
        minutia_quality=quality,
        singular_points=singular_points(field, mask, edge=edge),
        quality=report.score,
        level=report.level,
        reason=report.reason,
    )


def _minutia_quality(
    minutiae: np.ndarray, border: np.ndarray, field, params: ExtractParameters
) -> np.ndarray:
    if len(minutiae) == 0:
        return np.zeros(0)
    coherence = field.coherence_at(minutiae[:, 0], minutiae[:, 1])
    depth = np.clip(border / (3 * params.border_margin), 0.0, 1.0)
    return np.clip(coherence, 0.0, 1.0) * (0.5 + 0.5 * depth)


def _best(minutiae: np.ndarray, quality: np.ndarray, limit: int):
    if len(minutiae) <= limit:
        return minutiae, quality
    order = np.argsort(-quality, kind="stable")[:limit]
    order.sort()
    return minutiae[order], quality[order]


def _assess(grey, mask, field, enhanced, spectra, quality):
    step = field.step
    small = mask[::step, ::step][: field.coherence.shape[0], : field.coherence.shape[1]]
    cy = np.clip(spectra.centres_y.astype(int), 0, mask.shape[0] - 1)
    cx = np.clip(spectra.centres_x.astype(int), 0, mask.shape[1] - 1)
    inside_blocks = mask[cy, cx]
    fg = grey[mask]
    low, high = _percentiles(grey, [5, 95], mask)
    middle = 0.5 * (low + high)
    # Counts of set booleans by count_nonzero (exact, as the sum and mean of a bool array
    # are), several times sooner than summing them.
    dark = np.count_nonzero(fg < middle) / fg.size if fg.size else float((fg < middle).mean())
    return assess(
        area=float(np.count_nonzero(mask)),
        coherence=float(field.coherence[small].mean()) if small.any() else 0.0,
        clarity=float(enhanced.clarity[inside_blocks].mean()) if inside_blocks.any() else 0.0,
        minutiae=len(quality),
        minutia_quality=float(quality.mean()) if len(quality) else 0.0,
        ridge_share=float(dark),
        contrast=float(fg.std()),
    )
