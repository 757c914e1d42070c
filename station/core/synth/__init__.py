"""Synthetic fingerprints with exact ground truth (an SFinGe-class generator).

Public entry point::

    image, truth = impression(subject, finger, impression, population=0, kind="rolled")

Everything is deterministic from the integer seeds: subject ``k`` of population ``s`` always has
the same ten fingers, and impression ``n`` of a finger is always the same image.
"""

from __future__ import annotations

import numpy as np

from ..vocabulary import FINGERS, IMPRESSIONS, Impression, finger_index, validate_finger
from . import rng as rngs
from .impression import Minutia, draw_settings, render_impression
from .master import MasterPrint, master_print
from .params import DEFAULT_PARAMETERS, SynthParameters

__all__ = [
    "FINGERS",
    "MasterPrint",
    "Minutia",
    "SynthParameters",
    "impression",
    "master_print",
]


def _check_size(
    size: tuple[int, int] | None, kind: str, params: SynthParameters
) -> tuple[int, int]:
    if size is None:
        return params.rolled_size if kind == Impression.ROLLED else params.flat_size
    try:
        rows, cols = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"size must be (rows, cols), got {size!r}") from None
    for side in (rows, cols):
        if not params.min_side <= side <= params.max_side:
            raise ValueError(
                f"size {rows}x{cols} is out of range: each side must be "
                f"{params.min_side}–{params.max_side} px"
            )
    return rows, cols


def impression(
    subject: int,
    finger: str,
    impression: int,
    *,
    population: int = 0,
    kind: str = "rolled",
    size: tuple[int, int] | None = None,
    degradation: float | None = None,
    params: SynthParameters | None = None,
    truth: bool = True,
) -> tuple[np.ndarray, list[Minutia]]:
    """Render impression ``impression`` of finger ``finger`` of a synthetic subject.

    Parameters
    ----------
    subject : int
        Subject number (>= 0) in the population.
    finger : str
        Finger code ``R1``–``R5`` (right thumb … little) or ``L1``–``L5``.
    impression : int
        Impression number (>= 0); each number is a different, repeatable touch.
    population : int, optional
        Population seed (>= 0).
    kind : {'rolled', 'flat'}, optional
        A rolled (nail-to-nail, 800 × 750 px) or a flat (512 × 512 px) impression.
    size : tuple of int, optional
        Output (rows, cols) instead of the default for ``kind``, e.g. ``(300, 300)`` for a
        small sensor.
    degradation : float, optional
        0 (clean) … 1 (badly degraded: dry or wet, noisy, low contrast). Default: drawn from
        the impression's stream, mostly good.
    params : SynthParameters, optional
        Generator tunables.
    truth : bool, optional
        Compute the ground-truth minutiae (default); False returns an empty list and the
        same image, a little sooner.

    Returns
    -------
    image : (M, N) ndarray of uint8
        500 ppi, dark ridges on a light background.
    truth : list of Minutia
        ``(x, y, angle_rad, type)`` in image pixels, type 0 ending / 1 bifurcation.

    Raises
    ------
    ValueError
        Unknown finger code or kind, negative seeds, absurd size or degradation.

    Examples
    --------
    >>> image, truth = impression(3, "R2", 0, kind="flat")
    >>> image.shape, image.dtype
    ((512, 512), dtype('uint8'))
    """
    params = DEFAULT_PARAMETERS if params is None else params
    finger = validate_finger(finger)
    subject = rngs.check_seed("subject", subject)
    impression = rngs.check_seed("impression", impression)
    population = rngs.check_seed("population", population)
    if kind not in IMPRESSIONS:
        raise ValueError(f"unknown impression kind {kind!r}: use 'rolled' or 'flat'")
    kind = Impression(kind)
    shape = _check_size(size, kind, params)
    if degradation is not None and not (0.0 <= float(degradation) <= 1.0):
        raise ValueError(f"degradation must be between 0 and 1, got {degradation}")
    master = master_print(subject, finger, population=population, params=params)
    rng = rngs.stream(
        population,
        subject,
        finger_index(finger),
        impression,
        IMPRESSIONS.index(kind),
        rngs.IMPRESSION,
    )
    settings = draw_settings(rng, kind, shape, params, degradation)
    return render_impression(rng, master, settings, params, truth=truth)
