"""The emulated live-scan scanner: determinism, live preview, faults, scenarios and slaps.

Rendering a print costs about 0.1 s, so the tests capture few prints and share them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import station.scanner.mock as mock
from station.core.extract import extract
from station.core.slap import segment_slap
from station.core.synth import impression
from station.core.vocabulary import SLAP_FINGERS
from station.scanner import (
    Capture,
    MockScanner,
    MockSettings,
    PlatenEmpty,
    PlatenSubject,
    ScannerDisconnected,
    ScannerError,
    ScannerFaults,
    ScannerTimeout,
    setup_scenario,
)

SETTINGS = MockSettings()


def _scanner(subject: PlatenSubject | None = None, **kwargs: Any) -> MockScanner:
    scanner = MockScanner(subject or PlatenSubject.new(4), **kwargs)
    scanner.connect()
    return scanner


def _rerender(scanner: MockScanner, index: int = -1) -> list[np.ndarray]:
    """The synthetic impressions behind a logged capture, rendered again."""
    log = scanner.history[index]
    return [
        impression(
            log.subject.subject,
            r.finger,
            r.number,
            population=log.subject.population,
            kind=r.kind,
            size=r.size,
            degradation=r.degradation,
        )[0]
        for r in log.rendered
    ]


def _iou(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    rows = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    cols = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = rows * cols
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    return inter / (area - inter)


# --- determinism --------------------------------------------------------------------------


def test_same_seed_same_captures_and_fresh_impressions() -> None:
    first, again, other = _scanner(seed=3), _scanner(seed=3), _scanner(seed=4)
    a = first.capture("R2", "flat")
    assert np.array_equal(a.image, again.capture("R2", "flat").image)
    assert not np.array_equal(a.image, other.capture("R2", "flat").image)
    retake = first.capture("R2", "flat")
    assert not np.array_equal(a.image, retake.image)  # each capture is a fresh touch
    numbers = [log.rendered[0].number for log in first.history]
    base = SETTINGS.impression_base + 3 * SETTINGS.impression_stride
    assert numbers == [base, base + 1]
    assert np.array_equal(retake.image, _rerender(first)[0])
    assert a.image.shape == (512, 512) and a.device == SETTINGS.device
    assert a.finger == "R2" and a.impression == "flat" and a.segments == ()


def test_capture_time_comes_from_the_clock() -> None:
    scanner = _scanner(clock=lambda: "2009-10-27T14:03:11+00:00")
    assert scanner.capture("R5", "flat").captured_at == "2009-10-27T14:03:11+00:00"


# --- live preview -------------------------------------------------------------------------


def test_frames_settle_and_are_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[Any, ...]] = []
    real: Callable[..., Any] = mock.render

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(mock, "render", counting)
    scanner = _scanner()
    with pytest.raises(ScannerError, match="choose a finger"):
        scanner.frame()
    scanner.start("R1", "rolled")
    assert scanner.placing == ("R1", "rolled")
    frames = [scanner.frame()]
    with pytest.raises(ScannerError, match="not settled"):
        scanner.take()
    while not frames[-1].stable:
        frames.append(scanner.frame())
    assert SETTINGS.settle_frames[0] <= frames[-1].index <= SETTINGS.settle_frames[1]
    assert [f.index for f in frames] == list(range(len(frames)))
    assert not frames[0].finger_present and frames[0].contrast == 0.0
    assert all(f.finger_present for f in frames[SETTINGS.approach_frames :])
    contrasts = [f.contrast for f in frames]
    assert contrasts == sorted(contrasts) and contrasts[-1] == 1.0
    more = [scanner.frame() for _ in range(20)]
    assert all(f.stable for f in more)
    capture = scanner.take()
    assert len(calls) == 1  # rendered once per placement; frames are cheap transforms
    preview = frames[-1].image
    assert preview.dtype == np.uint8 and preview.shape == (375, 400)  # downsampled 2x
    full = capture.image.astype(float)
    halved = full.reshape(375, 2, 400, 2).mean(axis=(1, 3))
    assert np.abs(preview - halved).max() <= 1.0  # the settled preview is the print itself
    assert scanner.placing is None and scanner.history[-1].capture is capture


# --- faults -------------------------------------------------------------------------------


def test_starts_disconnected_and_needs_a_subject() -> None:
    scanner = MockScanner(PlatenSubject.new(1))
    assert not scanner.connected
    with pytest.raises(ScannerDisconnected, match="reconnect it and press Capture again"):
        scanner.capture("R1", "rolled")
    nobody = MockScanner()
    nobody.connect()
    with pytest.raises(ScannerError, match="Nobody is at the scanner"):
        nobody.capture("R1", "rolled")


@pytest.mark.parametrize("frame", [3, 500])
def test_disconnect_fault_and_recovery(frame: int) -> None:
    scanner = _scanner(faults=ScannerFaults(disconnect_after=frame))
    with pytest.raises(ScannerDisconnected):
        scanner.capture("L2", "flat")
    assert not scanner.connected and scanner.placing is None
    with pytest.raises(ScannerDisconnected):
        scanner.capture("L2", "flat")
    scanner.connect()
    assert scanner.capture("L2", "flat").image.shape == (512, 512)  # the fault fires once


def test_unplugging_during_the_preview() -> None:
    scanner = _scanner()
    scanner.start("L3", "flat")
    scanner.frame()
    scanner.disconnect()
    with pytest.raises(ScannerError):
        scanner.frame()
    scanner.connect()
    scanner.start("L3", "flat")
    scanner.disconnect()
    scanner.connect()
    with pytest.raises(ScannerError, match="choose a finger"):
        scanner.take()


def test_timeout_fault_and_recovery() -> None:
    scanner = _scanner(faults=ScannerFaults(timeout=True))
    scanner.start("R4", "flat")
    frames = []
    with pytest.raises(ScannerTimeout, match="hold it still"):
        while True:
            frames.append(scanner.frame())
    assert len(frames) == SETTINGS.timeout_frames and not any(f.stable for f in frames)
    scanner.faults = ScannerFaults()
    assert scanner.capture("R4", "flat").finger == "R4"


def test_dirty_platen_marks_every_frame_and_capture() -> None:
    dirty = _scanner(seed=5, faults=ScannerFaults(dirty_platen=True))
    clean = _scanner(seed=5)
    smudged, plain = dirty.capture("R3", "flat").image, clean.capture("R3", "flat").image
    assert (smudged <= plain).all() and (smudged < plain - 20).mean() > 0.005
    dirty.start("R3", "flat")
    empty = dirty.frame().image  # nothing on the platen yet, but the smudges show
    assert empty.min() < empty.max() - 40
    clean.start("R3", "flat")
    assert np.ptp(clean.frame().image) == 0
    dirty.clean_platen()
    dirty.start("R3", "flat")
    assert np.ptp(dirty.frame().image) == 0


def test_scenarios_for_the_gui_menu() -> None:
    subject, faults = setup_scenario("dirty-platen", 9, 2)
    assert faults.dirty_platen and (subject.subject, subject.population) == (9, 2)
    assert setup_scenario("disconnect", 9)[1].disconnect_after is not None
    assert setup_scenario("swapped", 9)[0].swap == ("R2", "R3")
    assert PlatenSubject.scenario("swapped", 1, finger="R5").swap == ("R5", "R4")
    with pytest.raises(ValueError, match="scanner fault"):
        PlatenSubject.scenario("dirty-platen", 1)
    with pytest.raises(ValueError, match="unknown scenario 'sneeze'"):
        setup_scenario("sneeze", 1)
    with pytest.raises(ValueError, match="subject must be"):
        PlatenSubject(-1)


# --- scenarios ----------------------------------------------------------------------------


def test_swapped_fingers_come_out_swapped() -> None:
    scanner = _scanner(PlatenSubject.scenario("swapped", 6))
    r2 = scanner.capture("R2", "rolled")
    number = scanner.history[-1].rendered[0].number
    assert scanner.history[-1].rendered[0].finger == "R3"
    truth_r3, _ = impression(6, "R3", number, kind="rolled")
    assert r2.finger == "R2" and np.array_equal(r2.image, truth_r3)
    scanner.capture("R3", "rolled")
    assert scanner.history[-1].rendered[0].finger == "R2"
    scanner.capture("R4", "flat")
    assert scanner.history[-1].rendered[0].finger == "R4"


def test_poor_finger_first_capture_is_poor_then_normal() -> None:
    scanner = _scanner(PlatenSubject.scenario("poor-finger", 2))
    first = extract(scanner.capture("R2", "rolled").image)
    assert scanner.history[-1].rendered[0].degradation == SETTINGS.poor_degradation
    second = extract(scanner.capture("R2", "rolled").image)
    assert scanner.history[-1].rendered[0].degradation is None
    assert first.level >= 4 and second.level <= 2


def test_amputated_finger_leaves_the_platen_empty() -> None:
    scanner = _scanner(PlatenSubject.scenario("amputated", 3))
    scanner.start("L4", "rolled")
    frame = scanner.frame()
    assert not frame.finger_present and not frame.stable
    with pytest.raises(PlatenEmpty, match=r"No finger on the platen for L4 .* annotate"):
        scanner.capture("L4", "rolled")


# --- slaps --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def slaps() -> dict[str, Capture]:
    """A right-four slap of a swapped subject, a left-four missing L4, dirty thumbs."""
    right = _scanner(PlatenSubject.scenario("swapped", 7), seed=1)
    amputated = _scanner(PlatenSubject.scenario("amputated", 8), seed=2)
    thumbs = _scanner(PlatenSubject.new(9), seed=3, faults=ScannerFaults(dirty_platen=True))
    captures = {
        "RS": right.capture("RS", "flat"),
        "LS": amputated.capture("LS", "flat"),
        "TS": thumbs.capture("TS", "flat"),
    }
    # The swap is of rolled prints only: the slap shows each finger in its place.
    assert [r.finger for r in right.history[-1].rendered] == list(SLAP_FINGERS["RS"])
    return captures


def test_slaps_are_composed_with_boxes(slaps: dict[str, Capture]) -> None:
    for code, capture in slaps.items():
        assert capture.image.shape == SETTINGS.slap_size and capture.finger == code
        fingers = [f for f, _ in capture.segments]
        assert fingers == [f for f in SLAP_FINGERS[code] if not (code == "LS" and f == "L4")]
        lefts = [box[1] for _, box in capture.segments]
        assert lefts == sorted(lefts)
        for finger, _ in capture.segments:
            crop = capture.segment(finger)
            assert np.percentile(crop, 10) < SETTINGS.platen_level - 60  # ridges in the box
    tops = {f: box[0] for f, box in slaps["RS"].segments}
    assert tops["R3"] < tops["R5"]  # the middle finger reaches higher than the little one
    assert slaps["LS"].annotation == "L4 not on the platen" and slaps["RS"].annotation is None


@pytest.mark.parametrize("code", ["RS", "LS", "TS"])
def test_segmenter_finds_the_composed_fingers(slaps: dict[str, Capture], code: str) -> None:
    capture = slaps[code]
    boxes = segment_slap(capture.image, len(capture.segments))
    for box, (finger, truth) in zip(boxes, capture.segments, strict=True):
        assert _iou(box, truth) > 0.5, (finger, box, truth)


def test_history_keeps_only_the_latest_captures():
    # a window left running (station demo --loop) must not keep every print it took
    scanner = _scanner()
    captures = [scanner.capture("R1", "flat") for _ in range(mock.HISTORY_SIZE + 2)]
    assert len(scanner.history) == mock.HISTORY_SIZE
    assert scanner.history[0].capture is captures[2]
    assert scanner.history[-1].capture is captures[-1]
