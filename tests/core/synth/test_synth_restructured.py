"""The generator's numpy restructurings against the code they replaced, bit for bit.

Each ``_reference_*`` function is the generator's former code, kept here as the
specification: the restructured code must give the same values to the last bit and leave
the random stream where the former code left it.
"""

from __future__ import annotations

import numpy as np
import pytest

from station.core.synth.phase import _weighted_draws


def _reference_weighted_draws(
    rng: np.random.Generator, weights: np.ndarray, size: int
) -> np.ndarray:
    """_required_spirals' former draw: ``Generator.choice`` with the weights scaled to 1."""
    flat = weights / weights.sum()
    return rng.choice(flat.size, size=size, p=flat)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("share", [0.02, 0.3, 1.0])
def test_weighted_draws_equal_generator_choice(seed: int, share: float) -> None:
    source = np.random.default_rng(seed)
    weights = source.gamma(0.5, 1e-3, 20_000) * (source.random(20_000) < share)
    weights[source.integers(weights.size)] = 1e-3  # at least one nonzero weight
    size = int(source.integers(1, 800))
    ours, theirs = np.random.default_rng(seed + 100), np.random.default_rng(seed + 100)
    got = _weighted_draws(ours, weights, weights.sum(), size)
    want = _reference_weighted_draws(theirs, weights, size)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert ours.random() == theirs.random()  # the stream is left where choice left it


def test_weighted_draws_never_pick_a_zero_weight() -> None:
    weights = np.zeros(1000)
    weights[[3, 500, 999]] = [1.0, 2.0, 1.0]
    draws = _weighted_draws(np.random.default_rng(0), weights, weights.sum(), 5000)
    assert set(draws.tolist()) == {3, 500, 999}
