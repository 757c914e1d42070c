"""1:1 comparison: cylinder similarities consolidated by relaxation (MCC's LSS-R).

Local similarity of two binary cylinders ``a``, ``b``, restricted to the cells valid in both
(see :mod:`.cylinders`), is ``1 - |â - b̂| / 2`` for their unit-length versions ``â``,
``b̂``; with bits, ``â · b̂ = popcount(a & b) / sqrt(popcount(a) popcount(b))``, so the
similarity costs a few POPCNT instructions (the bit-based MCC of the
paper, section 4.2, with the score scale of the float cylinders the station used before). It
is zero when the minutiae directions differ by more than ``max_turn``. The best one-to-one
pairs are then relaxed: each pair's similarity is repeatedly averaged with those of the pairs
that are geometrically compatible with it (same distance, same relative direction, same
radial angle in both prints), so pairs that agree with a consistent global placement keep
their weight and isolated look-alikes lose it. The score is the mean relaxed similarity of the
pairs that kept most of theirs (Cappelli, Ferrara, Maltoni, IEEE TPAMI 32, 2010, section 5).

The work is done by one compiled call (:mod:`._kernel`, numba), imported on the first
comparison so that importing the matcher stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from .cylinders import Cylinders
from .params import MatchParameters

__all__ = ["Comparison", "compare_cylinders", "score_cylinders"]


@dataclass(frozen=True)
class Comparison:
    """Result of a comparison: ``score`` 0..1 and the matched minutia pairs.

    ``pairs`` is a (P, 2) int array of indices into the two ``Cylinders.minutiae`` arrays,
    best first; ``pair_scores`` their relaxed similarities.
    """

    score: float
    pairs: np.ndarray
    pair_scores: np.ndarray


@cache
def _packed(params: MatchParameters) -> np.ndarray:
    """The parameters the kernel reads, as one float64 array (its order is the kernel's)."""
    return np.array(
        [
            params.max_turn,
            *params.pairs_range,
            params.relax_iterations,
            params.relax_weight,
            *params.compat_distance,
            *params.compat_turn,
            *params.compat_radial,
            *params.np_range,
            params.np_mu,
            params.np_tau,
            params.min_pairs,
        ],
        np.float64,
    )


_consolidate: Any = None


def _run(a: Cylinders, b: Cylinders, params: MatchParameters) -> tuple:
    global _consolidate
    if _consolidate is None:  # numba's import is deferred to the first comparison
        from ._kernel import consolidate

        _consolidate = consolidate
    if a.bits.shape[1] != b.bits.shape[1]:
        raise ValueError(
            f"cylinders of different sizes ({a.cells} and {b.cells} cells) cannot be compared"
        )
    return _consolidate(
        a.bits, a.valid, a.minutiae, a.geometry, b.bits, b.valid, b.minutiae, b.geometry,
        _packed(params),
    )  # fmt: skip


def compare_cylinders(a: Cylinders, b: Cylinders, params: MatchParameters) -> Comparison:
    """Compare two sets of cylinders (see the module docstring).

    Parameters
    ----------
    a, b : Cylinders
        Made with the same cylinder geometry.
    params : MatchParameters
        Pair selection, relaxation and score parameters.

    Returns
    -------
    comparison : Comparison
        Score 0 and no pairs when the templates have too little in common.
    """
    score, ia, ib, lam = _run(a, b, params)
    return Comparison(float(score), np.column_stack([ia, ib]), lam)


def score_cylinders(a: Cylinders, b: Cylinders, params: MatchParameters) -> float:
    """The score of :func:`compare_cylinders` alone."""
    return float(_run(a, b, params)[0])
