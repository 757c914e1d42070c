"""Platen residue measured from empty-platen frames (issue 12: a dirty platen is detected from
the scanner's frames, not from the mock's settings)."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.residue import PlatenResidue, platen_residue
from station.scanner.mock import MockScanner, ScannerFaults
from station.scanner.scenarios import PlatenSubject


def test_clean_platen_has_no_residue() -> None:
    frame = np.full((20, 30), 215, np.uint8)
    assert platen_residue(frame) == PlatenResidue(share=0.0, background=215.0, dirty=False)


def test_a_dark_blob_is_measured_and_called_dirty() -> None:
    frame = np.full((20, 30), 215, np.uint8)
    frame[5:8, 10:14] = 190  # 12 of 600 pixels, 25 levels darker
    residue = platen_residue(frame)
    assert residue == PlatenResidue(share=0.02, background=215.0, dirty=True)
    assert residue.percent == pytest.approx(2.0)


def test_faint_shading_and_a_single_speck_are_not_dirt() -> None:
    frame = np.full((100, 100), 215, np.uint8)
    frame[:, :50] = 210  # shading 5 levels: under the 12-level margin
    frame[50, 70] = 100  # one speck: 1 pixel in 10 000, under the 0.2 % share
    residue = platen_residue(frame)
    assert residue.share == pytest.approx(1e-4)
    assert not residue.dirty


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (np.zeros(5), {}, "2-D"),
        (np.zeros((0, 3)), {}, "non-empty"),
        (np.zeros((3, 3)), {"darker": 0}, "darker"),
        (np.zeros((3, 3)), {"dirty_share": 0.0}, "dirty_share"),
    ],
)
def test_bad_inputs_are_refused(frame, kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        platen_residue(frame, **kwargs)


@pytest.mark.parametrize("dirty", [False, True])
def test_the_mock_scanners_empty_frames(dirty: bool) -> None:
    scanner = MockScanner(PlatenSubject(3, 0), faults=ScannerFaults(dirty_platen=dirty))
    scanner.connect()
    scanner.start("R1", "rolled")
    frame = scanner.frame()
    assert not frame.finger_present
    assert platen_residue(frame.image).dirty is dirty
