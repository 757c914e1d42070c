"""The generator is a pure function of its integer seeds, in one process and across processes."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np

from station.core.synth import impression, master_print
from station.core.synth.master import _cached_master

# One flat impression, with every seed away from its default.
SEEDS = {"subject": 11, "finger": "L4", "impression": 2, "population": 3, "kind": "flat"}


def _render(seeds: dict = SEEDS, **changes) -> tuple[np.ndarray, list]:
    args = {**seeds, **changes}
    subject, finger, number = args.pop("subject"), args.pop("finger"), args.pop("impression")
    return impression(subject, finger, number, **args)


def _sha256(image: np.ndarray) -> str:
    return hashlib.sha256(image.tobytes()).hexdigest()


def test_same_seeds_give_identical_image_and_truth_in_process() -> None:
    image, truth = _render()
    _cached_master.cache_clear()  # rebuild the master from scratch
    _render(subject=12)  # other draws in between must not disturb this print's streams
    again, truth_again = _render()
    assert again.dtype == np.uint8
    assert again.tobytes() == image.tobytes()
    assert truth_again == truth
    assert len(truth) > 0


def test_same_seeds_give_identical_master_after_the_cache_is_cleared() -> None:
    first = master_print(11, "L4", population=3)
    _cached_master.cache_clear()
    second = master_print(11, "L4", population=3)
    assert second is not first
    assert second.pattern == first.pattern
    assert second.size == first.size
    assert second.psi.tobytes() == first.psi.tobytes()
    assert second.minutiae.tobytes() == first.minutiae.tobytes()
    assert second.singular_points == first.singular_points


def test_same_seeds_give_identical_image_and_truth_in_another_process() -> None:
    code = (
        "import hashlib\n"
        "from station.core.synth import impression\n"
        "image, truth = impression(11, 'L4', 2, population=3, kind='flat')\n"
        "print(hashlib.sha256(image.tobytes()).hexdigest())\n"
        "print(repr(truth))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    digest, truth_repr = result.stdout.strip().split("\n")
    image, truth = _render()
    assert digest == _sha256(image)
    assert truth_repr == repr(truth)


def test_different_impression_numbers_give_different_images() -> None:
    images = [_render(impression=n)[0] for n in (2, 3)]
    assert not np.array_equal(images[0], images[1])


def test_different_subjects_give_different_images() -> None:
    image, truth = _render()
    other, other_truth = _render(subject=12)
    assert not np.array_equal(image, other)
    assert other_truth != truth


def test_different_populations_give_different_images() -> None:
    assert not np.array_equal(_render()[0], _render(population=4)[0])


def test_without_truth_the_image_is_the_same_and_the_list_empty() -> None:
    image, truth = _render()
    bare, none = _render(truth=False)
    assert truth and none == []
    np.testing.assert_array_equal(bare, image)
