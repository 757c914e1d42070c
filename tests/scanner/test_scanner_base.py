"""The shared capture vocabulary: slots, the capture record, errors, the source interface."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from station.core.vocabulary import CAPTURE_ORDER, FINGERS, SLAP_FINGERS
from station.scanner import (
    Capture,
    CaptureSource,
    ImageFileSource,
    MockScanner,
    PlatenEmpty,
    ScannerDisconnected,
    ScannerError,
    ScannerTimeout,
)
from station.scanner.base import validate_slot


def test_capture_order_is_ten_rolled_then_the_slaps() -> None:
    assert CAPTURE_ORDER[:10] == tuple((f, "rolled") for f in FINGERS)
    assert CAPTURE_ORDER[10:] == (("RS", "flat"), ("LS", "flat"), ("TS", "flat"))


def test_slaps_hold_each_finger_once() -> None:
    assert sorted(f for fingers in SLAP_FINGERS.values() for f in fingers) == sorted(FINGERS)
    assert SLAP_FINGERS["RS"][0] == "R2" and SLAP_FINGERS["LS"][-1] == "L2"
    assert SLAP_FINGERS["TS"] == ("L1", "R1")


@pytest.mark.parametrize(
    ("finger", "impression", "slot"),
    [
        (" r2 ", "Rolled", ("R2", "rolled")),
        ("ls", "flat", ("LS", "flat")),
        ("L1", "flat", ("L1", "flat")),
    ],
)
def test_slots_are_canonical(finger: str, impression: str, slot: tuple[str, str]) -> None:
    assert validate_slot(finger, impression) == slot


@pytest.mark.parametrize(
    ("finger", "impression", "message"),
    [
        ("R6", "rolled", "unknown finger 'R6'"),
        (3, "rolled", "unknown finger 3"),
        ("R1", "dabbed", "unknown impression 'dabbed'"),
        ("RS", "rolled", "slap RS is a plain impression"),
    ],
)
def test_bad_slots(finger: object, impression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_slot(finger, impression)  # type: ignore[arg-type]


def _capture(**changes: object) -> Capture:
    fields: dict[str, object] = {
        "image": np.full((40, 60), 200, np.uint8),
        "finger": "RS",
        "impression": "flat",
        "device": "test",
        "captured_at": "2009-10-27T14:03:11+00:00",
        "segments": (("R2", (0, 0, 20, 30)), ("R3", (5, 30, 40, 60))),
    }
    fields.update(changes)
    return Capture(**fields)  # type: ignore[arg-type]


def test_capture_image_is_a_read_only_copy() -> None:
    source = np.full((40, 60), 200, np.uint8)
    capture = _capture(image=source)
    source[:] = 0
    assert capture.image[0, 0] == 200
    with pytest.raises(ValueError, match="read-only"):
        capture.image[0, 0] = 1
    assert capture.is_slap and capture.segment("r3").shape == (35, 30)
    with pytest.raises(KeyError, match="R4 has no segment"):
        capture.segment("R4")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"image": np.zeros((4, 4), np.float32)}, "2-D uint8"),
        ({"segments": (("L2", (0, 0, 10, 10)),)}, "not a finger of slap RS"),
        ({"segments": (("R2", (0, 0, 50, 10)),)}, "outside the image"),
        ({"finger": "R2", "impression": "rolled"}, "not a finger of slap R2"),
    ],
)
def test_bad_captures(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _capture(**changes)


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (ScannerDisconnected, "reconnect it and press Capture again"),
        (ScannerTimeout, "press Capture again"),
        (PlatenEmpty, "annotate it"),
        (ScannerError, "press Capture again"),
    ],
)
def test_errors_tell_the_officer_what_to_do(error: type[ScannerError], action: str) -> None:
    assert issubclass(error, ScannerError) and issubclass(error, RuntimeError)
    assert action in str(error())
    assert str(error("custom")) == "custom"


def test_sources_satisfy_the_protocol(tmp_path: Path) -> None:
    assert isinstance(MockScanner(), CaptureSource)
    assert isinstance(ImageFileSource(tmp_path), CaptureSource)


def test_scanner_package_does_not_import_qt() -> None:
    code = (
        "import sys\n"
        "import station.scanner, station.scanner.mock, station.scanner.files, station.core.slap\n"
        "import station.scanner.platen, station.scanner.scenarios\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt was imported'\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
