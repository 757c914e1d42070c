"""The compiled comparison kernel against a plain numpy reference of the same algorithm."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.angles import wrap_angle
from station.core.match import comparison, prepare
from station.core.match._kernel import _best_pairs
from station.core.match.cylinders import Cylinders
from station.core.match.params import DEFAULT_PARAMETERS, MatchParameters
from station.core.template import Template


def _falling(v, mu: float, tau: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(np.clip(tau * (v - mu), -50, 50)))


def _reference_pairs(sim: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(-sim, axis=None, kind="stable")
    cols = sim.shape[1]
    used_a, used_b = np.zeros(sim.shape[0], bool), np.zeros(cols, bool)
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


def _reference(a: Cylinders, b: Cylinders, params: MatchParameters):
    """The matcher as numpy expressions (the implementation before the kernel, on bits)."""
    n = min(len(a), len(b))
    if n == 0:
        return 0.0, np.zeros((0, 2), int)

    # Cells valid in both: each cylinder's set cells, and those set in both, counted there.
    def cells(packed: np.ndarray) -> np.ndarray:
        return np.unpackbits(packed.view(np.uint8), axis=1, bitorder="little")[:, : a.cells]

    bits_a, bits_b = cells(a.bits).astype(np.int64), cells(b.bits).astype(np.int64)
    common = cells(a.valid)[:, None, :] & cells(b.valid)[None, :, :]
    count_a = (bits_a[:, None, :] * common).sum(axis=2)
    count_b = (bits_b[None, :, :] * common).sum(axis=2)
    both = (bits_a[:, None, :] * bits_b[None, :, :] * common).sum(axis=2)
    norms = np.sqrt(count_a.astype(np.float64) * count_b)
    dot = both / np.maximum(norms, 1.0)
    sim = np.where(norms > 0, 1.0 - np.sqrt(np.maximum(2.0 - 2.0 * dot, 0.0)) / 2.0, 0.0)
    turn = np.abs(wrap_angle(a.minutiae[:, None, 2] - b.minutiae[None, :, 2]))
    sim = np.where(turn <= params.max_turn, sim, 0.0)
    ia, ib = _reference_pairs(sim, int(np.clip(n, *params.pairs_range)))
    if len(ia) == 0:
        return 0.0, np.zeros((0, 2), int)
    lam0 = sim[ia, ib]
    pa, pb = a.minutiae[ia].astype(np.float64), b.minutiae[ib].astype(np.float64)

    def geometry(p):
        dx = p[None, :, 0] - p[:, None, 0]
        dy = p[None, :, 1] - p[:, None, 1]
        turn = wrap_angle(p[:, None, 2] - p[None, :, 2])
        return np.hypot(dx, dy), turn, wrap_angle(np.arctan2(dy, dx) - p[:, None, 2])

    (da, ta, ra), (db, tb, rb) = geometry(pa), geometry(pb)
    rho = (
        _falling(np.abs(da - db), *params.compat_distance)
        * _falling(np.abs(wrap_angle(ta - tb)), *params.compat_turn)
        * _falling(np.abs(wrap_angle(ra - rb)), *params.compat_radial)
    )
    np.fill_diagonal(rho, 0.0)
    k = len(ia)
    lam = lam0.copy()
    for _ in range(params.relax_iterations):
        lam = params.relax_weight * lam + (1 - params.relax_weight) * (rho @ lam) / max(k - 1, 1)
    if k < params.min_pairs:
        return 0.0, np.zeros((0, 2), int)
    lo, hi = params.np_range
    n_p = min(lo + round(float(_falling(-n, -params.np_mu, params.np_tau)) * (hi - lo)), k)
    top = np.argsort(-(lam / np.maximum(lam0, 1e-12)), kind="stable")[:n_p]
    order = np.argsort(-lam, kind="stable")
    return float(lam[top].mean()), np.column_stack([ia[order], ib[order]])


def _drawn(rng: np.random.Generator, count: int) -> np.ndarray:
    xy = rng.uniform(20, 280, (count, 2))
    return np.column_stack([xy, rng.uniform(0, 2 * np.pi, count), rng.integers(0, 2, count)])


def _moved(m: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Another 'impression': turned, shifted, jittered, some minutiae lost and some new."""
    angle = rng.uniform(-0.4, 0.4)
    c, s = np.cos(angle), np.sin(angle)
    out = m[rng.random(len(m)) > 0.2].copy()
    x, y = out[:, 0] - 150, out[:, 1] - 150
    out[:, 0] = c * x - s * y + 150 + rng.normal(0, 2.5, len(out)) + rng.uniform(-20, 20)
    out[:, 1] = s * x + c * y + 150 + rng.normal(0, 2.5, len(out)) + rng.uniform(-20, 20)
    out[:, 2] = np.mod(out[:, 2] + angle + rng.normal(0, 0.1, len(out)), 2 * np.pi)
    return np.vstack([out, _drawn(rng, int(rng.integers(0, 6)))])


def _pairs_of_templates(seed: int, pairs: int):
    rng = np.random.default_rng(seed)
    for _ in range(pairs):
        base = _drawn(rng, int(rng.integers(3, 70)))
        other = _moved(base, rng) if rng.random() < 0.6 else _drawn(rng, int(rng.integers(3, 70)))
        yield Template(300, 300, minutiae=base), Template(300, 300, minutiae=other)


def test_the_kernel_gives_the_reference_scores_and_pairs() -> None:
    # float32 geometry in the cylinders against float64 here: differences stay near 1e-8.
    scored = 0
    for a, b in _pairs_of_templates(16, 120):
        ca, cb = prepare(a), prepare(b)
        got = comparison(ca, cb)
        score, pairs = _reference(ca, cb, DEFAULT_PARAMETERS)
        assert got.score == pytest.approx(score, abs=1e-6)
        assert np.array_equal(got.pairs, pairs)
        scored += score > 0.2
    assert scored >= 30  # the drawn pairs include many that really match


def test_binary_cylinders_compare_by_common_bits() -> None:
    # Two cylinders with 4 and 9 set cells, 2 of them common: cos = 2 / sqrt(36) = 1/3.
    bits_a = np.zeros((1, 11), np.uint64)
    bits_b = np.zeros((1, 11), np.uint64)
    bits_a[0, 0] = 0b1111
    bits_b[0, 0] = 0b0011
    bits_b[0, 10] = (1 << 7) - 1  # cells 640 … 646
    m = np.zeros((1, 4), np.float32)
    g = np.zeros((3, 1, 1), np.float32)
    every = np.full((1, 11), np.uint64(2**64 - 1))
    a = Cylinders(m, bits_a, np.array([4]), every, g, 672)
    b = Cylinders(m, bits_b, np.array([9]), every, g, 672)
    assert a.vectors @ b.vectors.T == pytest.approx(1 / 3)
    from station.core.match._kernel import _local_similarity

    sim = _local_similarity(bits_a, every, m[:, 2], bits_b, every, m[:, 2], np.pi / 2)
    assert sim[0, 0] == pytest.approx(1 - np.sqrt(2 - 2 / 3) / 2, abs=1e-12)
    # Where a's cylinder has no valid cells beyond cell 2, only cells 0 and 1 count: there
    # the two agree (2 set in each, both common), so they are identical.
    valid_a = np.zeros((1, 11), np.uint64)
    valid_a[0, 0] = 0b11
    sim = _local_similarity(bits_a, valid_a, m[:, 2], bits_b, every, m[:, 2], np.pi / 2)
    assert sim[0, 0] == 1.0
    # With no valid cell in common there is nothing to compare: similarity 0.
    none = np.zeros((1, 11), np.uint64)
    assert _local_similarity(bits_a, none, m[:, 2], bits_b, every, m[:, 2], np.pi / 2)[0, 0] == 0


def test_pair_selection_breaks_ties_like_a_stable_sort() -> None:
    # 100 positive entries, many equal, more than the 64 the greedy pass tries.
    rng = np.random.default_rng(3)
    sim = np.round(rng.uniform(0, 1, (10, 12)), 1)
    sim[sim < 0.15] = 0.0
    for count in (4, 6, 10):
        ia, ib = _best_pairs(sim, count)
        ra, rb = _reference_pairs(sim, count)
        assert np.array_equal(ia, ra) and np.array_equal(ib, rb)
    assert _best_pairs(np.zeros((3, 3)), 4)[0].size == 0


def test_the_station_starts_without_importing_the_compiler() -> None:
    # numba (about a second to import) is loaded by the first comparison, not at start-up.
    import subprocess
    import sys

    code = (
        "import sys, station.service, station.core.match as m\n"
        "assert 'numba' not in sys.modules, 'numba imported at start-up'\n"
        "from station.core.template import Template\n"
        "t = Template(300, 300, minutiae=[(10, 10, 0.1, 0), (60, 70, 1.0, 1)])\n"
        "m.compare(t, t)\n"
        "assert 'numba' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=600)
