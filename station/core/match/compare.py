"""1:1 comparison: cylinder similarities consolidated by relaxation (MCC's LSS-R).

Local similarity of two cylinders ``a``, ``b`` (unit vectors) is ``1 - |a - b| / 2``, zero when
the minutiae directions differ by more than ``max_turn``. The best one-to-one pairs are then
relaxed: each pair's similarity is repeatedly averaged with those of the pairs that are
geometrically compatible with it (same distance, same relative direction, same radial angle
in both prints), so pairs that agree with a consistent global placement keep their weight and
isolated look-alikes lose it. The score is the mean relaxed similarity of the pairs that kept
most of theirs (Cappelli, Ferrara, Maltoni, IEEE TPAMI 32, 2010, section 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..angles import wrap_angle
from .cylinders import Cylinders
from .params import MatchParameters

__all__ = ["Comparison", "compare_cylinders"]


@dataclass(frozen=True)
class Comparison:
    """Result of a comparison: ``score`` 0..1 and the matched minutia pairs.

    ``pairs`` is a (P, 2) int array of indices into the two ``Cylinders.minutiae`` arrays,
    best first; ``pair_scores`` their relaxed similarities.
    """

    score: float
    pairs: np.ndarray
    pair_scores: np.ndarray


_EMPTY = Comparison(0.0, np.zeros((0, 2), int), np.zeros(0))


def _falling(v: np.ndarray | float, mu: float, tau: float) -> np.ndarray:
    """Sigmoid that falls from 1 to 0 around ``mu`` with steepness ``tau``."""
    return 1.0 / (1.0 + np.exp(np.clip(tau * (v - mu), -50, 50)))


def local_similarity(a: Cylinders, b: Cylinders, params: MatchParameters) -> np.ndarray:
    """(n_a, n_b) matrix of cylinder similarities, 0..1."""
    dot = a.vectors @ b.vectors.T
    sim = 1.0 - np.sqrt(np.maximum(2.0 - 2.0 * dot, 0.0)) / 2.0
    turn = np.abs(wrap_angle(a.minutiae[:, None, 2] - b.minutiae[None, :, 2]))
    return np.where(turn <= params.max_turn, sim, 0.0)


def _best_pairs(sim: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy one-to-one pairs of highest similarity."""
    order = np.argsort(-sim, axis=None, kind="stable")
    cols = sim.shape[1]
    used_a = np.zeros(sim.shape[0], bool)
    used_b = np.zeros(cols, bool)
    ia, ib = [], []
    for flat in order[: max(count * 8, 64)]:
        i, j = divmod(int(flat), cols)
        if used_a[i] or used_b[j] or sim[i, j] <= 0:
            continue
        used_a[i] = used_b[j] = True
        ia.append(i)
        ib.append(j)
        if len(ia) == count:
            break
    return np.array(ia, int), np.array(ib, int)


def compare_cylinders(a: Cylinders, b: Cylinders, params: MatchParameters) -> Comparison:
    """Compare two sets of cylinders (see the module docstring)."""
    n = min(len(a), len(b))
    if n == 0:
        return _EMPTY
    sim = local_similarity(a, b, params)
    count = int(np.clip(n, *params.pairs_range))
    ia, ib = _best_pairs(sim, count)
    if len(ia) == 0:
        return _EMPTY
    lam0 = sim[ia, ib]
    pa, pb = a.minutiae[ia].astype(np.float64), b.minutiae[ib].astype(np.float64)

    def geometry(p: np.ndarray):
        dx = p[None, :, 0] - p[:, None, 0]
        dy = p[None, :, 1] - p[:, None, 1]
        dist = np.hypot(dx, dy)
        turn = wrap_angle(p[:, None, 2] - p[None, :, 2])
        radial = wrap_angle(np.arctan2(dy, dx) - p[:, None, 2])
        return dist, turn, radial

    da, ta, ra = geometry(pa)
    db, tb, rb = geometry(pb)
    rho = (
        _falling(np.abs(da - db), *params.compat_distance)
        * _falling(np.abs(wrap_angle(ta - tb)), *params.compat_turn)
        * _falling(np.abs(wrap_angle(ra - rb)), *params.compat_radial)
    )
    np.fill_diagonal(rho, 0.0)
    k = len(ia)
    lam = lam0.copy()
    w = params.relax_weight
    for _ in range(params.relax_iterations):
        lam = w * lam + (1.0 - w) * (rho @ lam) / max(k - 1, 1)
    efficiency = lam / np.maximum(lam0, 1e-12)
    lo, hi = params.np_range
    n_p = lo + round(float(_falling(-n, -params.np_mu, params.np_tau)) * (hi - lo))
    if k < params.min_pairs:  # too little in common to say anything
        return _EMPTY
    n_p = min(n_p, k)
    top = np.argsort(-efficiency, kind="stable")[:n_p]
    score = float(lam[top].mean())
    order = np.argsort(-lam, kind="stable")
    return Comparison(score, np.column_stack([ia[order], ib[order]]), lam[order])
