"""The mock scanner's training conditions: skin (bandaged, dry, wet, scarred), the wrong hand
on a slap, another person's fingers, and a disconnect at the N-th placement."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.extract import extract
from station.core.synth import impression
from station.scanner import (
    MockScanner,
    MockSettings,
    PlatenEmpty,
    PlatenSubject,
    ScannerDisconnected,
    ScannerFaults,
    platen,
)

SETTINGS = MockSettings()


def _scanner(subject: PlatenSubject, **kwargs: object) -> MockScanner:
    scanner = MockScanner(subject, **kwargs)  # type: ignore[arg-type]
    scanner.connect()
    return scanner


def test_conditions_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown finger condition 'sore'"):
        PlatenSubject(1, conditions=(("R2", "sore"),))
    with pytest.raises(ValueError, match="one of absent"):
        PlatenSubject(1, conditions=(("R2", "amputated"),))
    with pytest.raises(ValueError, match="two conditions"):
        PlatenSubject(1, conditions=(("R2", "dry"), ("r2", "wet")))
    with pytest.raises(ValueError, match="RS or LS"):
        PlatenSubject(1, wrong_hand="TS")
    with pytest.raises(ValueError, match="borrowed twice"):
        PlatenSubject(1, borrowed=(("R1", 2, 0), ("R1", 3, 0)))
    everything = tuple((f, "bandaged") for f in ("R1", "R2", "R3", "R4", "R5"))
    with pytest.raises(ValueError, match="at least one finger"):
        PlatenSubject(1, absent=frozenset({"L1", "L2", "L3", "L4", "L5"}), conditions=everything)


def test_bandaged_finger_leaves_the_platen_empty_and_says_so() -> None:
    scanner = _scanner(PlatenSubject(3, conditions=(("L2", "bandaged"),)))
    with pytest.raises(PlatenEmpty, match=r"L2 is bandaged.*annotate it UP"):
        scanner.capture("L2", "rolled")
    slap = scanner.capture("LS", "flat")
    assert sorted(f for f, _ in slap.segments) == ["L3", "L4", "L5"]
    assert slap.annotation == "L2 not on the platen"


@pytest.mark.parametrize("condition", ["dry", "wet"])
def test_dry_or_wet_finger_first_print_is_poor_then_normal(condition: str) -> None:
    scanner = _scanner(PlatenSubject(11, conditions=(("R2", condition),)))
    first = extract(scanner.capture("R2", "rolled").image)
    assert scanner.history[-1].rendered[0].degradation == SETTINGS.skin_degradation
    second = extract(scanner.capture("R2", "rolled").image)
    assert scanner.history[-1].rendered[0].degradation is None
    assert first.level == 5 and second.level <= 2


def test_scar_crosses_every_print_of_the_finger_at_the_same_place() -> None:
    scanner = _scanner(PlatenSubject(5, conditions=(("R1", "scarred"),)))
    first = scanner.capture("R1", "rolled").image
    second = scanner.capture("R1", "rolled").image
    clean = [impression(5, "R1", r.number)[0] for r in (h.rendered[0] for h in scanner.history)]
    changed = [c.astype(int) != s.astype(int) for c, s in zip(clean, (first, second), strict=True)]
    # The scar lightens a band of each print; the band is where it was the first time.
    assert 0.02 < changed[0].mean() < 0.4
    overlap = (changed[0] & changed[1]).sum() / changed[0].sum()
    assert overlap > 0.5


def test_scar_band_only_lightens_ridges_to_the_background() -> None:
    image = np.full((40, 40), 200, np.uint8)
    image[::2] = 40  # ridges on a 200 background
    out = platen.scar(image, np.random.default_rng(1), width=10.0)
    changed = out != image
    assert 0.1 < changed.mean() < 0.6
    assert (out[changed] > image[changed]).all() and out.max() == 200


def test_wrong_hand_on_the_first_slap_then_the_right_one() -> None:
    scanner = _scanner(PlatenSubject(6, wrong_hand="RS"))
    scanner.capture("RS", "flat")
    assert [r.finger for r in scanner.history[-1].rendered] == ["L2", "L3", "L4", "L5"]
    scanner.capture("RS", "flat")
    assert [r.finger for r in scanner.history[-1].rendered] == ["R2", "R3", "R4", "R5"]


def test_borrowed_fingers_come_from_the_other_subject() -> None:
    scanner = _scanner(PlatenSubject(11, borrowed=(("R1", 2, 0),)))
    capture = scanner.capture("R1", "rolled")
    number = scanner.history[-1].rendered[0].number
    assert np.array_equal(capture.image, impression(2, "R1", number)[0])
    other = scanner.capture("R2", "rolled")
    number = scanner.history[-1].rendered[0].number
    assert np.array_equal(other.image, impression(11, "R2", number)[0])


def test_disconnect_at_the_third_placement_fires_once() -> None:
    scanner = _scanner(PlatenSubject(4), faults=ScannerFaults(disconnect_at=3))
    scanner.start("R1", "rolled")
    scanner.cancel()
    scanner.start("R2", "rolled")
    scanner.cancel()
    with pytest.raises(ScannerDisconnected):
        scanner.capture("R3", "rolled")
    assert not scanner.connected and scanner.faults.disconnect_at is None
    scanner.connect()
    assert scanner.capture("R3", "rolled").finger == "R3"
    with pytest.raises(ValueError, match="disconnect_at must be >= 1"):
        ScannerFaults(disconnect_at=0)
