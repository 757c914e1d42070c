"""The quality score, level and reason: from features, and on a drawn print with noise."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.extract import extract
from station.core.extract.quality import NO_FINGER, USABLE_MINUTIAE, assess

#: Features of an excellent print: every feature at or past its "excellent" end.
GOOD = {
    "area": 90_000.0,
    "coherence": 0.97,
    "clarity": 0.85,
    "minutiae": 40,
    "minutia_quality": 1.0,
    "ridge_share": 0.5,
    "contrast": 70.0,
}


def test_an_excellent_print_scores_100_level_1() -> None:
    report = assess(**GOOD)
    assert (report.score, report.level, report.reason) == (100, 1, "good")
    assert report.features["minutiae"] == 40.0


def test_no_foreground_is_no_usable_finger() -> None:
    report = assess(**{**GOOD, "area": 0.0, "minutiae": 0, "minutia_quality": 0.0})
    assert (report.score, report.level, report.reason) == (0, 5, NO_FINGER)


@pytest.mark.parametrize(
    ("feature", "worse"),
    [("area", 40_000.0), ("coherence", 0.7), ("clarity", 0.5), ("contrast", 30.0)],
)
def test_each_feature_lowers_the_score(feature: str, worse: float) -> None:
    assert assess(**{**GOOD, feature: worse}).score < 100


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"area": 30_000.0, "clarity": 0.4}, "partial"),
        ({"contrast": 16.0, "clarity": 0.4}, "too light"),
        ({"ridge_share": 0.3, "clarity": 0.4, "coherence": 0.6}, "too dry"),
        ({"ridge_share": 0.7, "clarity": 0.4, "coherence": 0.6}, "too wet"),
        ({"clarity": 0.35, "coherence": 0.6}, "smudged"),
    ],
)
def test_a_poor_print_says_why(changes: dict[str, float], reason: str) -> None:
    report = assess(**{**GOOD, **changes})
    assert report.score < 60 and report.reason == reason


def test_too_few_minutiae_caps_the_score() -> None:
    report = assess(**{**GOOD, "minutiae": USABLE_MINUTIAE - 1})
    assert (report.score, report.level, report.reason) == (20, 5, "too few minutiae")
    assert assess(**{**GOOD, "minutiae": USABLE_MINUTIAE}).reason == "good"
    bare = assess(**{**GOOD, "minutiae": 0, "coherence": 0.5, "clarity": 0.3})
    assert bare.reason == NO_FINGER and bare.score < 25


def _forked_print() -> np.ndarray:
    """Ridges 9 px apart in an oval, with 16 phase dislocations (each a ridge ending or
    bifurcation) on a 64 px grid; white outside the oval."""
    rows, cols = 320, 288
    y, x = np.mgrid[0:rows, 0:cols].astype(float)
    phase = 2 * np.pi * x / 9.0
    for i, cy in enumerate(range(48, 300, 64)):
        for j, cx in enumerate(range(48, 270, 64)):
            phase += (-1) ** (i + j) * np.arctan2(y - cy, x - cx)
    image = 128 + 100 * np.cos(phase)
    oval = ((x - cols / 2) / (cols / 2 - 12)) ** 2 + ((y - rows / 2) / (rows / 2 - 12)) ** 2
    image[oval > 1] = 255
    return image


def test_a_clean_drawn_print_scores_higher_than_a_noisy_one() -> None:
    image = _forked_print()
    clean = extract(np.clip(image, 0, 255).astype(np.uint8))
    rng = np.random.default_rng(0)
    noisy = extract(np.clip(image + rng.normal(0, 80, image.shape), 0, 255).astype(np.uint8))
    assert clean.quality >= 75 and clean.level == 1 and clean.reason == "good"
    assert len(clean) >= 12
    assert noisy.quality < clean.quality - 20 and noisy.level >= 3
