"""Verification error rates with hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.match.metrics import error_rates, rate_curves, threshold_at_fmr


def test_separated_scores_have_no_errors() -> None:
    rates = error_rates([0.9, 0.8, 0.7], [0.1, 0.3, 0.05])
    assert (rates.eer, rates.fmr100, rates.fmr1000, rates.zero_fmr) == (0.0, 0.0, 0.0, 0.0)


def test_overlapping_scores_give_the_crossing_rate() -> None:
    # At threshold 0.3: one impostor of three accepted, one genuine of three rejected.
    rates = error_rates([0.9, 0.8, 0.2], [0.1, 0.3, 0.05])
    assert rates.eer == pytest.approx(1 / 3)
    # No false match only above 0.3, where the genuine 0.2 is rejected.
    assert rates.zero_fmr == pytest.approx(1 / 3)


def test_curves_are_monotone_and_end_with_nothing_accepted() -> None:
    rng = np.random.default_rng(0)
    thresholds, fmr, fnmr = rate_curves(rng.normal(1, 1, 300), rng.normal(0, 1, 500))
    assert np.all(np.diff(thresholds) > 0)
    assert np.all(np.diff(fmr) <= 0) and np.all(np.diff(fnmr) >= 0)
    assert fmr[-1] == 0.0 and fnmr[-1] == 1.0


def test_threshold_at_fmr_accepts_at_most_the_allowed_share() -> None:
    impostor = np.arange(1000) / 1000.0
    t = threshold_at_fmr(impostor, 0.01)
    assert np.count_nonzero(impostor >= t) == 10
    assert threshold_at_fmr(impostor, 1e-4) > impostor.max()


@pytest.mark.parametrize("genuine, impostor", [([], [0.1]), ([0.5], []), ([np.nan], [0.1])])
def test_bad_scores_are_refused(genuine, impostor) -> None:
    with pytest.raises(ValueError):
        error_rates(genuine, impostor)
