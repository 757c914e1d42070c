"""The sequence check: slap fingertips against the rolled prints."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.extract import extract
from station.core.match import threshold
from station.core.sequence import sequence_check, slap_crops
from station.core.synth import impression

FINGERS = ("R2", "R3", "R4")


@pytest.fixture(scope="module")
def prints() -> tuple[dict, dict]:
    rolled = {f: extract(impression(40, f, 0, kind="rolled")[0]) for f in FINGERS}
    plain = {f: extract(impression(40, f, 5, kind="flat")[0]) for f in FINGERS}
    return rolled, plain


def test_prints_in_order_pass(prints: tuple[dict, dict]) -> None:
    rolled, plain = prints
    result = sequence_check(rolled, plain, threshold=threshold(1e-4))
    assert result.passed
    assert set(result.scores) == set(FINGERS)
    assert "passed" in result.message()


def test_two_swapped_rolled_prints_are_flagged_as_a_swap(prints: tuple[dict, dict]) -> None:
    rolled, plain = prints
    swapped = {**rolled, "R2": rolled["R3"], "R3": rolled["R2"]}
    result = sequence_check(swapped, plain, threshold=threshold(1e-4))
    assert not result.passed
    assert result.mismatched == ("R2", "R3")
    assert result.swaps == (("R2", "R3"),)
    assert "R2 and R3 look swapped" in result.message()


def test_fingers_on_one_side_only_are_unchecked(prints: tuple[dict, dict]) -> None:
    rolled, plain = prints
    result = sequence_check(rolled, {"R2": plain["R2"]}, threshold=threshold(1e-4))
    assert result.unchecked == ("R3", "R4")
    assert result.passed


def test_slap_crops_follow_the_slap_order_and_skip_absent_fingers() -> None:
    image = np.arange(100 * 400, dtype=np.uint8).reshape(100, 400)
    boxes = [(0, 0, 100, 100), (0, 100, 100, 200), (0, 200, 100, 300)]
    crops = slap_crops(image, "LS", boxes, absent=["L4"])
    assert list(crops) == ["L5", "L3", "L2"]
    assert crops["L3"][0, 0] == image[0, 100]
    with pytest.raises(ValueError, match="expected 4"):
        slap_crops(image, "RS", boxes)
