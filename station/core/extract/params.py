"""Tunables of the feature extractor, in one place.

Distances are pixels at 500 ppi (images at other resolutions are rescaled first).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_PARAMETERS", "ExtractParameters"]


@dataclass(frozen=True)
class ExtractParameters:
    """Every tunable of :func:`station.core.extract.extract`."""

    #: Working resolution (ppi).
    dpi: int = 500
    #: Smallest and largest accepted image side (px, after rescaling).
    min_side: int = 48
    max_side: int = 4000
    #: Block size (px) of segmentation and of the frequency and enhancement spectra.
    block: int = 16
    #: Gaussian sigma (px) of the gradients and of the structure-tensor smoothing.
    gradient_sigma: float = 1.0
    tensor_sigma: float = 7.0
    #: Segmentation: a block is foreground when its grey-level spread exceeds this share of
    #: the image's typical ridge contrast, and its orientation coherence is above the floor.
    spread_share: float = 0.28
    coherence_floor: float = 0.12
    clarity_floor: float = 0.15
    #: Smallest foreground area kept (px at 500 ppi): a real finger touch is larger.
    min_area: int = 6000
    #: Ridge period range (px) accepted by the frequency estimate.
    period_range: tuple[float, float] = (5.0, 16.0)
    #: Enhancement: spectrum window (px), angular bandwidth (rad) and radial bandwidth
    #: (fraction of the ridge frequency) of the contextual filter.
    window: int = 32
    angular_sigma: float = 0.28
    radial_sigma: float = 0.35
    #: Minutiae closer than this to the foreground edge are dropped (px). 9 rather than 12:
    #: on a small window (a 256-px-wide capacitive frame, a 300 x 300 optical one) a wide
    #: margin drops a large share of the few minutiae there are; measured better or equal on
    #: the sensor sets, the synthetic set and the dev set (README, "Real sensors").
    border_margin: float = 9.0
    #: Spurious-structure filters (px): endings facing each other across a break, two
    #: minutiae joined by a short ridge (spur, bridge, hole), and minutiae in a cluster.
    break_distance: float = 14.0
    short_ridge: float = 12.0
    cluster_distance: float = 6.0
    #: Length (px) of skeleton traced from a minutia to find its direction.
    trace_length: int = 10
    #: Minutiae kept at most (the best by quality).
    max_minutiae: int = 150


DEFAULT_PARAMETERS = ExtractParameters()
