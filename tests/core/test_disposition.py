"""Disposition rules: the quality gate and HIT / REVIEW / NO HIT from fused scores."""

from __future__ import annotations

import pytest

from station.core.disposition import (
    DispositionPolicy,
    FingerStatus,
    Thresholds,
    dispose,
    quality_gate,
)
from station.core.vocabulary import Disposition

POLICY = DispositionPolicy(hit=1.0, review=0.25)


def test_clear_top_candidate_is_a_hit_with_the_repositories_it_reached() -> None:
    holdings = {7: ["local", "federal-criminal"], 3: ["state"]}
    verdict = dispose([(7, 3.2), (3, 0.03)], holdings, POLICY)
    assert verdict.disposition is Disposition.HIT
    assert verdict.subject == 7
    assert verdict.repositories == ("local", "federal-criminal")


def test_middling_score_goes_to_review_and_low_scores_are_no_hit() -> None:
    assert dispose([(1, 0.6), (2, 0.1)], {}, POLICY).review == (1,)
    assert dispose([(1, 0.6), (2, 0.1)], {}, POLICY).disposition is Disposition.REVIEW
    assert dispose([(1, 0.04), (2, 0.03)], {1: ["local"]}, POLICY).disposition is Disposition.NO_HIT
    assert dispose([], {}, POLICY).disposition is Disposition.NO_HIT


def test_two_candidates_above_the_hit_threshold_need_an_examiner() -> None:
    verdict = dispose([(1, 2.5), (2, 1.4)], {}, POLICY)
    assert verdict.disposition is Disposition.REVIEW
    assert verdict.review == (1, 2)


def test_a_repository_can_demand_a_higher_score() -> None:
    strict = DispositionPolicy(
        hit=1.0, review=0.25, repositories={"federal-immigration": Thresholds(hit=4.0, review=0.5)}
    )
    assert (
        dispose([(1, 2.0)], {1: ["federal-immigration"]}, strict).disposition is Disposition.REVIEW
    )
    verdict = dispose([(1, 2.0)], {1: ["federal-immigration", "local"]}, strict)
    assert verdict.disposition is Disposition.HIT
    assert verdict.repositories == ("local",)


def test_quality_gate_asks_for_poor_fingers_until_the_officer_may_override() -> None:
    fingers = [
        FingerStatus("R1", level=2, attempts=1),
        FingerStatus("R2", level=5, attempts=1, reason="too few minutiae"),
        FingerStatus("R3", annotation="XX"),
        FingerStatus("L1", level=5, attempts=3),
    ]
    recapture, usable = quality_gate(fingers, POLICY)
    assert [s.finger for s in recapture] == ["R2"]
    assert usable == ["R1", "L1"]  # L1 overridden after max_attempts tries; R3 amputated


def test_quality_gate_searches_a_poor_finger_the_officer_accepted() -> None:
    fingers = [
        FingerStatus("R1", level=5, attempts=1, accepted=True),
        FingerStatus("R2", level=5, attempts=1),
    ]
    recapture, usable = quality_gate(fingers, POLICY)
    assert [s.finger for s in recapture] == ["R2"]
    assert usable == ["R1"]


@pytest.mark.parametrize(
    "kwargs",
    [{"hit": 0.2, "review": 0.5}, {"review": 0.0}, {"recapture_level": 6}, {"max_attempts": 0}],
)
def test_policy_refuses_nonsense(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        DispositionPolicy(**kwargs)
