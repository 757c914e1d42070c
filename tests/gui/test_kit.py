"""The test kit (``station.testing``) itself: its errors, its waiting, and its README example
run by pytest in a project of its own, outside this repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from station.testing import EventLoopWaiter, NotReadyError, Station

from .conftest import kit_pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_example() -> str:
    """The first Python block under the README's "Testing the station from your own
    project" heading: the example a user copies."""
    text = README.read_text(encoding="utf-8")
    section = text.split("### Testing the station from your own project", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert found is not None, "the README's kit section has no python example"
    return found.group(1)


@pytest.mark.slow
def test_readme_example_passes_in_a_project_of_its_own(tmp_path: Path):
    project = tmp_path / "qa-bookings"  # outside the repository: no conftest, no settings
    project.mkdir()
    assert not Path.cwd().resolve().is_relative_to(project)
    (project / "test_booking_procedure.py").write_text(_readme_example(), encoding="utf-8")
    assert [p.name for p in project.iterdir()] == ["test_booking_procedure.py"]  # no conftest
    run = kit_pytest(project)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"\b3 passed\b", run.stdout), run.stdout


def test_a_page_not_ready_names_the_page_and_the_widget(station_window):
    station = Station(station_window, timeout=0.3)
    with pytest.raises(
        NotReadyError, match=r"^capture page: 'pageStack' is not on Capture after 0.3 s$"
    ):
        station.capture.roll("R1")
    station.booking.generate("gallery", 0)
    station.booking.new(slaps=False)
    with pytest.raises(
        NotReadyError, match=r"^booking page: button 'submitButton' not enabled after 0.3 s$"
    ):
        station.booking.submit()  # nothing captured yet
    with pytest.raises(NotReadyError, match=r"^booking page: a booking is open"):
        station.booking.new(name="DOE, JOHN")


def test_the_pages_check_their_inputs_first(station):
    with pytest.raises(ValueError, match="not a finger or slap code"):
        station.capture.roll("R6")
    with pytest.raises(ValueError, match="UP needs the reason"):
        station.capture.annotate("R2", "UP")
    with pytest.raises(ValueError, match="name must be 'LAST, FIRST'"):
        station.booking.new(name="DOE JOHN")
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['eye_colour'\]"):
        station.booking.new(eye_colour="BRO")
    with pytest.raises(ValueError, match="needs the station window"):
        Station(station.window.findChild(QWidget, "pageStack"))


def test_unable_to_print_asks_the_reason(station, station_enrolled):
    station.booking.generate("gallery", station_enrolled[0])
    station.booking.new(slaps=False)
    assert station.capture.roll("R1").ok
    station.capture.annotate("R2", "UP", reason="bandaged")
    assert station.capture.level("R2") is None
    assert station.window.session.slots["R2"].annotation == "UP"
    assert station.capture.prompt == "Roll the RIGHT MIDDLE finger"


@pytest.mark.station_policy(hit=50.0)
def test_reject_then_undo_returns_to_review(station, station_enrolled):
    booking, capture, response = station.booking, station.capture, station.response
    booking.generate("gallery", station_enrolled[1])
    booking.new(slaps=False)
    capture.roll_all()
    assert booking.submit() == "REVIEW"
    mate = response.candidates[0]
    assert response.reject(mate, reason="cores disagree") == "NO HIT"
    assert response.undo(reason="looked again") == "REVIEW"


def test_the_waiter_runs_the_event_loop_and_never_sleeps(qapp):
    waiter = EventLoopWaiter(log=(steps := []).append)
    fired: list[bool] = []
    QTimer.singleShot(30, lambda: fired.append(True))
    assert waiter.until(lambda: bool(fired), timeout=5.0)  # the timer fired: events ran
    assert not waiter.until(lambda: False, timeout=0.05)
    waiter.step("Roll R1")
    assert steps == ["Roll R1"]
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        waiter.until(lambda: True, timeout=-1)


def test_capture_from_a_folder_then_back_to_the_scanner(station, station_enrolled, tmp_path):
    from PIL import Image

    from station.core.synth import impression

    k = station_enrolled[0]
    folder = tmp_path / "prints"
    folder.mkdir()
    for finger in ("R1", "R2"):
        image, _ = impression(k, finger, 4, population=0, kind="rolled")
        Image.fromarray(image).save(folder / f"{finger}.png")
    booking, capture = station.booking, station.capture
    booking.generate("gallery", k)
    booking.new(slaps=False)
    with pytest.raises(NotReadyError, match=r"capture page: the folder was refused: .*missing"):
        capture.load_folder(tmp_path / "missing")
    text = capture.load_folder(folder)
    assert text.startswith("2 file(s) assigned: R1, R2.")
    assert capture.roll("R1").ok and capture.roll("R2").ok
    image, _ = impression(k, "R1", 4, population=0, kind="rolled")
    assert (station.window.session.slots["R1"].image == image).all()  # the file's pixels
    capture.use_scanner()
    assert [o.ok for o in capture.roll_all()] == [True] * 8  # R3 … L5 from the scanner
    assert booking.submit() == "HIT"
