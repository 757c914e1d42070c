"""The compiled comparison kernel (numba): local similarities, pair selection, relaxation.

One call does the whole of :func:`station.core.match.compare.compare_cylinders` after the
cylinders exist. Written as loops, not numpy expressions, because a comparison works on tiny
arrays (tens of minutiae) where numpy's per-call overhead, not arithmetic, took most of the
time: about forty numpy calls and a Python loop for 0.25 ms, against a few microseconds of
arithmetic. ``cache=True`` keeps the machine code beside this file, so only the first run
after an install compiles; this module is imported on the first comparison, not at start-up.

The arithmetic is that of the numpy reference kept in ``tests/core/match/test_kernel.py``
(the same formulas, in float64, on the float32 pair geometry the cylinders store); the test
holds scores to 1e-6 and the matched pairs exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["consolidate"]

_PI = np.pi
_TWO_PI = 2.0 * np.pi
#: A sigmoid ``1 / (1 + e^z)`` with z above this is below 2.3e-16: a compatibility that small
#: changes no score (the reference computes it and adds it; the difference is under 1e-15).
_NEGLIGIBLE = 36.0


@intrinsic
def _popcount(typingctx: Any, word: Any) -> Any:
    """Set bits of a uint64 (LLVM's ctpop: one POPCNT instruction on x86-64)."""
    sig = types.uint64(types.uint64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return sig, codegen


@njit(cache=True, inline="always")
def _turn(difference: float) -> float:
    """``|wrap_angle(difference)|``: the absolute angle (rad) between two directions."""
    d = abs(difference)
    if d >= _TWO_PI:
        d = d % _TWO_PI
    return _TWO_PI - d if d > _PI else d


@njit(cache=True, inline="always")
def _falling(value: float, mu: float, tau: float) -> float:
    """Sigmoid falling from 1 to 0 around ``mu`` with steepness ``tau``."""
    z = tau * (value - mu)
    z = min(max(z, -50.0), 50.0)
    return 1.0 / (1.0 + np.exp(z))


@njit(cache=True)
def _local_similarity(
    bits_a: np.ndarray,
    valid_a: np.ndarray,
    theta_a: np.ndarray,
    bits_b: np.ndarray,
    valid_b: np.ndarray,
    theta_b: np.ndarray,
    max_turn: float,
) -> np.ndarray:
    """(n_a, n_b) similarities of binary cylinders over the cells valid in both; 0 where
    the directions differ too much or either cylinder has no set cell there."""
    na, nb, words = bits_a.shape[0], bits_b.shape[0], bits_a.shape[1]
    sim = np.zeros((na, nb))
    for i in range(na):
        for j in range(nb):
            if _turn(np.float64(theta_a[i]) - np.float64(theta_b[j])) > max_turn:
                continue
            both = 0
            count_a = 0
            count_b = 0
            for w in range(words):
                common = valid_a[i, w] & valid_b[j, w]
                a = bits_a[i, w] & common
                b = bits_b[j, w] & common
                both += _popcount(a & b)  # type: ignore[call-arg]
                count_a += _popcount(a)
                count_b += _popcount(b)
            if count_a == 0 or count_b == 0:
                continue
            cos = both / np.sqrt(np.float64(count_a) * np.float64(count_b))
            sim[i, j] = 1.0 - np.sqrt(max(2.0 - 2.0 * cos, 0.0)) / 2.0
    return sim


#: Similarity buckets of the pair selection (see :func:`_best_pairs`).
_BUCKETS = 256


@njit(cache=True)
def _best_pairs(sim: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Greedy one-to-one pairs of highest similarity.

    The entries are taken in the order of a stable sort by falling similarity, and only the
    first ``max(8 count, 64)`` of them are tried, as in the reference. The order comes from a
    bucket sort: entries are spread over similarity buckets (highest first, index order
    within a bucket), and a bucket is sorted, by insertion, only when the greedy pass reaches
    it — which usually stops after the few highest buckets.
    """
    na, nb = sim.shape
    flat = sim.ravel()
    start = np.zeros(_BUCKETS + 1, np.int64)
    for p in range(flat.size):
        if flat[p] > 0.0:  # zeros sort last and are never taken
            start[_BUCKETS - min(int(flat[p] * _BUCKETS), _BUCKETS - 1)] += 1
    for b in range(_BUCKETS):
        start[b + 1] += start[b]
    order = np.empty(start[_BUCKETS], np.int64)
    fill = start[:_BUCKETS].copy()
    for p in range(flat.size):
        if flat[p] > 0.0:
            b = _BUCKETS - 1 - min(int(flat[p] * _BUCKETS), _BUCKETS - 1)
            order[fill[b]] = p
            fill[b] += 1
    tries = min(max(count * 8, 64), order.size)
    used_a = np.zeros(na, np.bool_)
    used_b = np.zeros(nb, np.bool_)
    ia = np.empty(count, np.int64)
    ib = np.empty(count, np.int64)
    k = 0
    for b in range(_BUCKETS):
        lo, hi = start[b], start[b + 1]
        if lo >= tries or k == count:
            break
        for x in range(lo + 1, hi):  # stable: equal values keep their index order
            p = order[x]
            y = x - 1
            while y >= lo and flat[order[y]] < flat[p]:
                order[y + 1] = order[y]
                y -= 1
            order[y + 1] = p
        for x in range(lo, min(hi, tries)):
            i, j = order[x] // nb, order[x] % nb
            if used_a[i] or used_b[j]:
                continue
            used_a[i] = used_b[j] = True
            ia[k], ib[k] = i, j
            k += 1
            if k == count:
                break
    return ia[:k], ib[:k]


@njit(cache=True)
def consolidate(
    bits_a: np.ndarray,
    valid_a: np.ndarray,
    minutiae_a: np.ndarray,
    geometry_a: np.ndarray,
    bits_b: np.ndarray,
    valid_b: np.ndarray,
    minutiae_b: np.ndarray,
    geometry_b: np.ndarray,
    p: np.ndarray,
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Score of two templates' cylinders and their matched pairs, best first.

    Parameters
    ----------
    bits_a, bits_b : (K, W) ndarray of uint64
        Binary cylinders.
    valid_a, valid_b : (K, W) ndarray of uint64
        Valid cells, packed like the cylinders.
    minutiae_a, minutiae_b : (K, 4) ndarray of float32
    geometry_a, geometry_b : (3, K, K) ndarray of float32
        Distance, relative direction and radial angle of every ordered minutia pair.
    p : (16,) ndarray of float64
        The parameters, packed by ``compare._packed``.

    Returns
    -------
    score : float
    ia, ib : (P,) ndarray of int64
        Matched pairs, highest relaxed similarity first (empty when the score is 0).
    lam : (P,) ndarray of float64
        Their relaxed similarities.
    """
    empty_i = np.zeros(0, np.int64)
    empty_f = np.zeros(0, np.float64)
    n = min(bits_a.shape[0], bits_b.shape[0])
    if n == 0:
        return 0.0, empty_i, empty_i, empty_f
    sim = _local_similarity(
        bits_a, valid_a, minutiae_a[:, 2], bits_b, valid_b, minutiae_b[:, 2], p[0]
    )
    count = int(min(max(n, p[1]), p[2]))
    ia, ib = _best_pairs(sim, count)
    k = ia.size
    if k == 0:
        return 0.0, empty_i, empty_i, empty_f
    lam0 = np.empty(k)
    for i in range(k):
        lam0[i] = sim[ia[i], ib[i]]
    # Compatibility of every two pairs: distance and relative direction are symmetric in
    # the two pairs, the radial angle is not.
    rho = np.zeros((k, k))
    for i in range(k):
        ai, bi = ia[i], ib[i]
        for j in range(i + 1, k):
            aj, bj = ia[j], ib[j]
            dd = abs(np.float64(geometry_a[0, ai, aj]) - np.float64(geometry_b[0, bi, bj]))
            if p[6] * (dd - p[5]) > _NEGLIGIBLE:  # distances disagree: rho below 1e-16
                continue
            dt = _turn(np.float64(geometry_a[1, ai, aj]) - np.float64(geometry_b[1, bi, bj]))
            both = _falling(dd, p[5], p[6]) * _falling(dt, p[7], p[8])
            ri = _turn(np.float64(geometry_a[2, ai, aj]) - np.float64(geometry_b[2, bi, bj]))
            rj = _turn(np.float64(geometry_a[2, aj, ai]) - np.float64(geometry_b[2, bj, bi]))
            rho[i, j] = both * _falling(ri, p[9], p[10])
            rho[j, i] = both * _falling(rj, p[9], p[10])
    lam = lam0.copy()
    weight = p[4]
    spread = max(k - 1, 1)
    pulled = np.empty(k)
    for _ in range(int(p[3])):
        for i in range(k):
            total = 0.0
            for j in range(k):
                total += rho[i, j] * lam[j]
            pulled[i] = total
        for i in range(k):
            lam[i] = weight * lam[i] + (1.0 - weight) * pulled[i] / spread
    if k < p[15]:  # too little in common to say anything
        return 0.0, empty_i, empty_i, empty_f
    lo, hi = p[11], p[12]
    n_p = int(lo + np.rint(_falling(-n, -p[13], p[14]) * (hi - lo)))
    n_p = min(n_p, k)
    efficiency = np.empty(k)
    for i in range(k):
        efficiency[i] = lam[i] / max(lam0[i], 1e-12)
    top = np.argsort(-efficiency, kind="mergesort")[:n_p]
    total = 0.0
    for i in top:
        total += lam[i]
    order = np.argsort(-lam, kind="mergesort")
    return total / n_p, ia[order], ib[order], lam[order]
