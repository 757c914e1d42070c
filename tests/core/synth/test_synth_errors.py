"""Bad arguments to the generator raise ValueError with a message that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.synth import impression, master_print

GOOD = {"subject": 1, "finger": "R2", "impression": 0}


def _call(**changes):
    args = {**GOOD, **changes}
    subject, finger, number = args.pop("subject"), args.pop("finger"), args.pop("impression")
    return impression(subject, finger, number, **args)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"finger": "R6"}, r"unknown finger code 'R6': use one of R1, R2"),
        ({"finger": "X1"}, r"unknown finger code 'X1'"),
        ({"finger": ""}, r"unknown finger code ''"),
        ({"subject": -1}, r"subject must be between 0 and 2\*\*63-1, got -1"),
        ({"impression": -3}, r"impression must be between 0 and 2\*\*63-1, got -3"),
        ({"population": -1}, r"population must be between 0 and 2\*\*63-1, got -1"),
        ({"subject": True}, r"subject must be a whole number, got True"),
        ({"impression": False}, r"impression must be a whole number, got False"),
        ({"population": True}, r"population must be a whole number, got True"),
        ({"kind": "slap"}, r"unknown impression kind 'slap': use 'rolled' or 'flat'"),
        ({"size": (10, 10)}, r"size 10x10 is out of range"),
        ({"size": (5000, 300)}, r"size 5000x300 is out of range"),
        ({"size": (63, 300)}, r"size 63x300 is out of range: each side must be 64"),
        ({"size": "big"}, r"size must be \(rows, cols\), got 'big'"),
        ({"size": (300,)}, r"size must be \(rows, cols\)"),
        ({"degradation": 1.5}, r"degradation must be between 0 and 1, got 1.5"),
        ({"degradation": -0.1}, r"degradation must be between 0 and 1, got -0.1"),
    ],
)
def test_bad_argument_raises_a_clear_value_error(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _call(**changes)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"finger": "R6"}, "unknown finger code"),
        ({"subject": -1}, "subject must be"),
        ({"subject": False}, "whole number"),
        ({"population": -2}, "population must be"),
    ],
)
def test_master_print_rejects_bad_arguments(changes: dict, message: str) -> None:
    args = {"subject": 1, "finger": "R2", "population": 0, **changes}
    with pytest.raises(ValueError, match=message):
        master_print(args["subject"], args["finger"], population=args["population"])


def test_custom_size_is_honoured_and_truth_stays_inside_it() -> None:
    image, truth = _call(kind="flat", size=(300, 300))
    assert image.shape == (300, 300)
    assert image.dtype == np.uint8
    assert all(0 <= m.x <= 299 and 0 <= m.y <= 299 for m in truth)


def test_flat_default_size_is_512_by_512() -> None:
    image, _ = _call(kind="flat")
    assert image.shape == (512, 512)
    assert image.dtype == np.uint8


def test_rolled_is_the_default_kind_and_is_750_rows_by_800_columns() -> None:
    image, _ = _call()
    assert image.shape == (750, 800)
    assert image.dtype == np.uint8
