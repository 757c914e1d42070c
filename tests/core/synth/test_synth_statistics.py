"""Masters of a population look like a population of real fingers."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from station.core.synth import master_print

CLASSES = {"arch", "tented_arch", "left_loop", "right_loop", "whorl"}
# Singular points per class: (cores, deltas).
SINGULAR = {
    "arch": (0, 0),
    "tented_arch": (1, 1),
    "left_loop": (1, 1),
    "right_loop": (1, 1),
    "whorl": (2, 2),
}


@pytest.fixture(scope="module")
def masters():
    return [master_print(subject, "R2") for subject in range(30)]


def test_every_pattern_is_one_of_the_five_classes(masters) -> None:
    assert {type(m.pattern) for m in masters} == {str}
    assert {m.pattern for m in masters} <= CLASSES


def test_loops_are_the_most_common_class(masters) -> None:
    count = Counter(m.pattern for m in masters)
    loops = count["left_loop"] + count["right_loop"]
    assert loops > count["whorl"]
    assert loops > count["arch"] + count["tented_arch"]
    assert count["left_loop"] > 0 and count["right_loop"] > 0


def test_minutiae_counts_of_rolled_size_masters_are_plausible(masters) -> None:
    counts = [len(m.minutiae) for m in masters]
    assert min(counts) >= 30  # measured 46
    assert max(counts) <= 110  # measured 93
    bifurcations = np.concatenate([m.minutiae[:, 3] for m in masters])
    assert set(np.unique(bifurcations).tolist()) == {0.0, 1.0}
    assert 0.35 <= bifurcations.mean() <= 0.55  # bifurcation_share is 0.45


def test_singular_points_match_the_class(masters) -> None:
    for m in masters:
        kinds = Counter(p.kind for p in m.singular_points)
        assert (kinds["core"], kinds["delta"]) == SINGULAR[m.pattern], m.pattern
        if m.pattern.endswith("loop"):
            core = next(p for p in m.singular_points if p.kind == "core")
            delta = next(p for p in m.singular_points if p.kind == "delta")
            # A left loop opens to the left, its delta on the right; a right loop the reverse.
            assert (delta.x > core.x) == (m.pattern == "left_loop")
            assert delta.y > core.y  # the delta sits below the core, toward the crease


def test_master_minutiae_lie_inside_the_pad(masters) -> None:
    for m in masters:
        x, y = m.minutiae[:, 0], m.minutiae[:, 1]
        assert np.all(m.pad.level(x, y) < 1.0)
        rows, cols = m.size
        assert np.all((x >= 0) & (x < cols) & (y >= 0) & (y < rows))


@pytest.mark.parametrize(("subject", "finger"), [(3, "R4"), (30, "L4")])
def test_type_correction_keeps_minutiae_inside_the_pad(subject: int, finger: str) -> None:
    m = master_print(subject, finger)
    assert np.all(m.pad.level(m.minutiae[:, 0], m.minutiae[:, 1]) < 1.0)


def test_thumb_pads_are_wider_than_little_finger_pads() -> None:
    for subject in (0, 1):
        thumb, little = master_print(subject, "R1"), master_print(subject, "L5")
        assert thumb.size[1] > little.size[1]
        assert thumb.pad.half_width > little.pad.half_width
