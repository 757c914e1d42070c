"""Score calibration: thresholds by false match rate."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from station.core.extract import extract
from station.core.match import compare, threshold
from station.core.match.calibration import (
    CALIBRATION_FMRS,
    calibration_table,
    write_calibration,
)
from station.core.synth import impression


def test_thresholds_rise_as_the_false_match_rate_falls() -> None:
    values = [threshold(f) for f in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5)]
    assert all(a < b for a, b in itertools.pairwise(values))
    assert values[0] > 0.0 and values[-1] < 1.0


def test_table_entries_are_returned_exactly_and_interpolated_between() -> None:
    table = calibration_table()
    assert table["fmr"] == list(CALIBRATION_FMRS)
    for fmr, value in zip(table["fmr"], table["threshold"], strict=True):
        assert threshold(fmr) == pytest.approx(value, abs=1e-12)
    # 5e-4 lies between the entries 1e-3 and 3e-4: linear in log10(FMR), worked out by hand.
    t_1e3 = table["threshold"][table["fmr"].index(1e-3)]
    t_3e4 = table["threshold"][table["fmr"].index(3e-4)]
    share = (math.log10(5e-4) - math.log10(1e-3)) / (math.log10(3e-4) - math.log10(1e-3))
    assert share == pytest.approx(0.5757, abs=1e-4)
    assert threshold(5e-4) == pytest.approx(t_1e3 + share * (t_3e4 - t_1e3), abs=1e-12)
    assert t_1e3 < threshold(5e-4) < t_3e4


def test_table_counts_every_different_finger_pair_of_its_set() -> None:
    # The table's source: every pair of prints of different fingers in the 100 x 8 set,
    # C(800, 2) pairs less the 100 * C(8, 2) same-finger pairs; enough to resolve 1e-5.
    table = calibration_table()
    assert "100x8" in table["source"]
    assert table["impostors"] == math.comb(800, 2) - 100 * math.comb(8, 2) == 316_800
    assert table["impostors"] * min(table["fmr"]) >= 1


@pytest.mark.parametrize("fmr", [0.0, -1e-3, 0.5, 1e-7, float("nan")])
def test_uncalibrated_rates_are_refused(fmr: float) -> None:
    with pytest.raises(ValueError):
        threshold(fmr)


def test_impostors_stay_below_the_one_in_a_thousand_threshold() -> None:
    prints = [
        extract(impression(960 + s, "L3", 0, kind="flat", degradation=0.2)[0]) for s in range(10)
    ]
    scores = [compare(a, b) for a, b in itertools.combinations(prints, 2)]
    assert len(scores) == 45
    # 45 impostors at FMR 1e-3 expect 0.045 above the threshold: every one stays below.
    assert max(scores) < threshold(1e-3)
    # ... while a second impression of the same finger (a genuine pair) clears it.
    again = extract(impression(960, "L3", 1, kind="flat", degradation=0.2)[0])
    assert compare(prints[0], again) > threshold(1e-3)


def test_write_calibration_measures_each_rate_on_the_scores(tmp_path) -> None:
    # Scores 0, 1/N, ..., (N-1)/N, shuffled: at rate f, at most floor(f N) may reach the
    # threshold, so it is 1 - floor(f N) / N. With N = 125 000 every f N is exact in floating
    # point (12 500.0 ... 1.25), so no boundary can round the other way.
    n = 125_000
    scores = np.random.default_rng(3).permutation(n) / n
    allowed = [12_500, 3_750, 1_250, 375, 125, 37, 12, 3, 1]  # floor(f * 125 000)
    table = write_calibration(scores, tmp_path / "c.json", source="test")
    assert table["fmr"] == list(CALIBRATION_FMRS)
    assert table["threshold"] == [round(1 - a / n, 6) for a in allowed]
    assert table["impostors"] == n and table["source"] == "test"
    assert json.loads((tmp_path / "c.json").read_text()) == table
    assert calibration_table()["impostors"] == 316_800  # the packaged table is untouched


def test_too_few_impostors_cannot_calibrate(tmp_path) -> None:
    with pytest.raises(ValueError, match="cannot resolve"):
        write_calibration(np.zeros(1000), tmp_path / "c.json", source="test")
