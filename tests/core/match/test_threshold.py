"""Score calibration: thresholds by false match rate."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from station.core.extract import extract
from station.core.match import compare, threshold
from station.core.match.calibration import calibration_table, write_calibration
from station.core.synth import impression


def test_thresholds_rise_as_the_false_match_rate_falls() -> None:
    values = [threshold(f) for f in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)]
    assert all(a < b for a, b in itertools.pairwise(values))
    assert values[0] > 0.0 and values[-1] < 1.0


def test_table_entries_are_returned_exactly_and_interpolated_between() -> None:
    table = calibration_table()
    for fmr, value in zip(table["fmr"], table["threshold"], strict=True):
        assert threshold(fmr) == pytest.approx(value)
    assert threshold(1e-3) < threshold(5e-4) < threshold(1e-4) or threshold(1e-3) == threshold(1e-4)
    assert table["impostors"] >= 100_000


@pytest.mark.parametrize("fmr", [0.0, -1e-3, 0.5, 1e-7, float("nan")])
def test_uncalibrated_rates_are_refused(fmr: float) -> None:
    with pytest.raises(ValueError):
        threshold(fmr)


def test_impostors_stay_below_the_one_in_a_thousand_threshold() -> None:
    prints = [
        extract(impression(960 + s, "L3", 0, kind="flat", degradation=0.2)[0]) for s in range(10)
    ]
    scores = [compare(a, b) for a, b in itertools.combinations(prints, 2)]
    assert np.mean(np.array(scores) < threshold(1e-3)) >= 0.95


def test_too_few_impostors_cannot_calibrate(tmp_path) -> None:
    with pytest.raises(ValueError, match="cannot resolve"):
        write_calibration(np.zeros(1000), tmp_path / "c.json", source="test")
