"""The synthetic print generator: determinism, exact ground truth, shared minutiae, errors."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest
from skimage.morphology import skeletonize

from station.core.extract.minutiae import _crossing_number
from station.core.synth import KINDS, impression, master_print
from station.core.synth import rng as rngs
from station.core.synth.impression import _Placement, draw_settings
from station.core.synth.master import _cached_master
from station.core.synth.params import DEFAULT_PARAMETERS
from station.core.synth.population import demographics


def _digest(image: np.ndarray, truth) -> str:
    h = hashlib.sha256(image.tobytes())
    h.update(repr([tuple(round(v, 6) for v in m) for m in truth]).encode())
    return h.hexdigest()


def test_same_seeds_give_identical_prints_in_process_and_across_processes() -> None:
    first = _digest(*impression(11, "L4", 2, population=3, kind="flat"))
    _cached_master.cache_clear()
    assert _digest(*impression(11, "L4", 2, population=3, kind="flat")) == first
    code = (
        "import hashlib\n"
        "from station.core.synth import impression\n"
        "img, truth = impression(11, 'L4', 2, population=3, kind='flat')\n"
        "h = hashlib.sha256(img.tobytes())\n"
        "h.update(repr([tuple(round(v, 6) for v in m) for m in truth]).encode())\n"
        "print(h.hexdigest())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == first


def test_different_seeds_give_different_prints() -> None:
    base, _ = impression(11, "L4", 2, kind="flat")
    for other in (
        impression(11, "L4", 3, kind="flat")[0],
        impression(12, "L4", 2, kind="flat")[0],
        impression(11, "L4", 2, population=1, kind="flat")[0],
    ):
        assert not np.array_equal(base, other)


def _skeleton_features(ridge_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cn = _crossing_number(skeletonize(ridge_mask))
    return np.argwhere(cn == 1), np.argwhere(cn == 3)


def _found_and_typed(
    truth: np.ndarray, ridge_mask: np.ndarray, radius: float
) -> tuple[float, float]:
    ends, forks = _skeleton_features(ridge_mask)
    found = typed = 0
    for x, y, _angle, kind in truth[:, :4]:
        de = np.hypot(ends[:, 1] - x, ends[:, 0] - y).min() if len(ends) else np.inf
        db = np.hypot(forks[:, 1] - x, forks[:, 0] - y).min() if len(forks) else np.inf
        if min(de, db) <= radius:
            found += 1
            typed += (kind == 0 and de < db) or (kind == 1 and db < de)
    return found / len(truth), typed / max(found, 1)


@pytest.mark.parametrize(("subject", "finger"), [(0, "R2"), (2, "L1"), (16, "R2"), (40, "L5")])
def test_master_has_a_ridge_ending_or_bifurcation_at_every_true_minutia(subject, finger) -> None:
    master = master_print(subject, finger)
    found, typed = _found_and_typed(master.minutiae, master.ridges() > 0, radius=5)
    assert found >= 0.97
    assert typed >= 0.95


@pytest.mark.parametrize("kind", KINDS)
def test_clean_impression_shows_its_truth(kind: str) -> None:
    image, truth = impression(7, "R3", 1, kind=kind, degradation=0.0)
    t = np.array(truth)
    # Binarise ridges (dark) against the local mean, inside the finger.
    from scipy import ndimage

    local = ndimage.uniform_filter(image.astype(float), 15)
    ridges = (image < local - 4) & (ndimage.uniform_filter(image.astype(float), 31) < 200)
    found, typed = _found_and_typed(t, ridges, radius=7)
    assert found >= 0.85
    assert typed >= 0.85


def test_two_impressions_share_minutiae_under_the_known_transform() -> None:
    master = master_print(21, "L2")
    seen = []
    for n in (0, 1):
        image, truth = impression(21, "L2", n, kind="flat")
        rng = rngs.stream(0, 21, 6, n, KINDS.index("flat"), rngs.IMPRESSION)
        settings = draw_settings(rng, "flat", image.shape, DEFAULT_PARAMETERS, None)
        place = _Placement(rng, master, settings, DEFAULT_PARAMETERS)
        xs = np.array([m.x for m in truth])
        ys = np.array([m.y for m in truth])
        mx, my = place.to_master(xs, ys)
        d = np.hypot(
            mx[:, None] - master.minutiae[None, :, 0], my[:, None] - master.minutiae[None, :, 1]
        )
        assert d.min(axis=1).max() < 1.0  # every truth point is a master minutia, mapped
        types = master.minutiae[d.argmin(axis=1), 3]
        assert np.array_equal(types, [m.type for m in truth])
        seen.append(set(d.argmin(axis=1).tolist()))
    assert len(seen[0] & seen[1]) >= 10


def test_population_statistics_are_plausible() -> None:
    patterns = [master_print(s, "R2").pattern for s in range(40)]
    counts = [len(master_print(s, "R2").minutiae) for s in range(40)]
    assert set(patterns) <= {"arch", "tented_arch", "left_loop", "right_loop", "whorl"}
    loops = sum(p.endswith("loop") for p in patterns)
    assert loops > patterns.count("arch") + patterns.count("tented_arch")
    assert min(counts) >= 30 and max(counts) <= 110
    thumb, little = master_print(0, "R1").size, master_print(0, "R5").size
    assert thumb[1] > little[1]


def test_demographics_are_stable_and_plausible() -> None:
    a, b = demographics(9, population=2), demographics(9, population=2)
    assert a == b and a != demographics(10, population=2)
    assert a.sex in {"M", "F"} and 56 <= int(a.height[0]) * 12 + int(a.height[1:]) <= 82
    assert 1950 < a.date_of_birth.year < 2009


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"finger": "R6"}, "unknown finger code"),
        ({"finger": "X1"}, "unknown finger code"),
        ({"finger": ""}, "unknown finger code"),
        ({"subject": -1}, "subject must be"),
        ({"impression": -3}, "impression must be"),
        ({"population": -1}, "population must be"),
        ({"subject": True}, "whole number"),
        ({"kind": "slap"}, "kind"),
        ({"size": (10, 10)}, "out of range"),
        ({"size": (5000, 300)}, "out of range"),
        ({"size": "big"}, "size must be"),
        ({"degradation": 1.5}, "degradation"),
        ({"degradation": -0.1}, "degradation"),
    ],
)
def test_bad_arguments_raise_clear_value_errors(kwargs, message) -> None:
    args = {"subject": 1, "finger": "R2", "impression": 0}
    args.update(kwargs)
    subject, finger, number = args.pop("subject"), args.pop("finger"), args.pop("impression")
    with pytest.raises(ValueError, match=message):
        impression(subject, finger, number, **args)


def test_sizes() -> None:
    assert impression(1, "R2", 0)[0].shape == (750, 800)
    assert impression(1, "R2", 0, kind="flat")[0].shape == (512, 512)
    small, truth = impression(1, "R2", 0, kind="flat", size=(300, 300))
    assert small.shape == (300, 300) and small.dtype == np.uint8
    assert all(0 <= m.x < 300 and 0 <= m.y < 300 for m in truth)
