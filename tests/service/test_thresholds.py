"""The threshold explorer's scores: genuine and impostor fused scores, and the exact counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from station.core import synth
from station.core.disposition import DispositionPolicy
from station.core.extract import extract
from station.core.match import search
from station.gallery import open_gallery
from station.service import load_index
from station.service.thresholds import (
    TRIAL_IMPRESSION,
    ScoreDistributions,
    ThresholdService,
    score_distributions,
)


@pytest.fixture(scope="module")
def scores(seeded_gallery: Path) -> ScoreDistributions:
    """The seeded gallery's distributions (4 subjects: 4 genuine, 12 impostor scores)."""
    policy = DispositionPolicy(hit=1.5, review=0.5)
    return ThresholdService(seeded_gallery, policy).distributions()


def test_counts_at_a_threshold_are_exact_on_hand_made_scores() -> None:
    d = ScoreDistributions([0.5, 2.0, 3.0], [0.1, 0.3, 1.0, 2.0], hit=1.0, review=0.25)
    assert [(c.false_matches, c.misses) for c in map(d.counts, (0.0, 0.3, 1.0, 2.0, 2.5, 3.5))] == [
        (4, 0),
        (3, 0),
        (2, 1),
        (1, 1),
        (0, 2),
        (0, 3),
    ]
    c = d.counts(1.0)
    assert (c.impostor, c.genuine, c.false_match_rate, c.miss_rate) == (4, 3, 0.5, 1 / 3)
    thresholds, fmr, fnmr = d.det()
    assert thresholds.tolist() == [0.1, 0.3, 0.5, 1.0, 2.0, 3.0]
    assert fmr.tolist() == [1.0, 0.75, 0.5, 0.5, 0.25, 0.0]
    assert fnmr.tolist() == [0.0, 0.0, 0.0, 1 / 3, 1 / 3, 2 / 3]
    assert d.highest == 3.0
    assert not d.genuine.flags.writeable
    with pytest.raises(ValueError, match="threshold must be a number"):
        d.counts("high")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="impostor scores must be finite"):
        ScoreDistributions([1.0], [np.nan], hit=1.0, review=0.25)


def test_the_gallery_gives_one_genuine_and_three_impostor_scores_per_subject(
    scores: ScoreDistributions, seeded_gallery: Path, enrolled: list[int]
) -> None:
    assert (scores.genuine.size, scores.impostor.size) == (4, 12)
    assert sorted(scores.probes) == enrolled  # in the order the gallery enrolled them
    assert (scores.hit, scores.review) == (1.5, 0.5)
    # The same fused scores as the search's re-scoring of every subject (independent path).
    with open_gallery(seeded_gallery, readonly=True) as gallery:
        index = load_index(gallery, cache=False)
        by_synthetic = {int(gallery.subject(s)["synthetic_id"]): s for s in index.subjects}
    i = 1
    k = scores.probes[i]
    probe = {
        f: extract(synth.impression(k, f, TRIAL_IMPRESSION, population=0, kind="rolled")[0])
        for f in scores.fingers
    }
    found = {c.subject: c.score for c in search(probe, index, limit=4, shortlist=4)}
    assert scores.genuine[i] == pytest.approx(found[by_synthetic[k]], abs=1e-9)
    others = sorted(v for s, v in found.items() if s != by_synthetic[k])
    assert sorted(scores.impostor[3 * i : 3 * i + 3]) == pytest.approx(others, abs=1e-9)
    # Counts at the policy's HIT threshold: exactly the scores on each side of it.
    c = scores.counts(scores.hit)
    assert c.false_matches == sum(1 for s in scores.impostor if s >= 1.5)
    assert c.misses == sum(1 for s in scores.genuine if s < 1.5)
    # Genuine mates score far above impostors in this tiny gallery.
    assert scores.genuine.min() > scores.impostor.max()
    low = scores.counts(float(scores.impostor.max()))
    assert (low.false_matches, low.misses) == (1, 0)
    high = scores.counts(float(scores.genuine.max()) + 0.01)
    assert (high.false_matches, high.misses) == (0, 4)


def test_progress_cancel_and_bad_inputs(seeded_gallery: Path) -> None:
    seen: list[tuple[int, int]] = []
    with open_gallery(seeded_gallery, readonly=True) as gallery:
        d = score_distributions(
            gallery, probes=2, fingers=("R2",), progress=lambda *a: seen.append(a)
        )
        assert (d.genuine.size, d.impostor.size, d.fingers) == (2, 6, ("R2",))
        assert seen == [(1, 2), (2, 2)]
        one = score_distributions(gallery, probes=3, impostors=1, fingers=("R2",))
        assert (one.genuine.size, one.impostor.size) == (3, 3)
        assert one.genuine[:2].tolist() == d.genuine.tolist()  # the same two probes first
        with pytest.raises(InterruptedError):
            score_distributions(gallery, fingers=("R2",), cancelled=lambda: True)
        with pytest.raises(ValueError, match="probes must be a whole number"):
            score_distributions(gallery, probes=0)
        with pytest.raises(ValueError, match="impostors must be a whole number"):
            score_distributions(gallery, impostors=True)
        with pytest.raises(ValueError, match="fingers must be finger codes"):
            score_distributions(gallery, fingers=("R9",))
