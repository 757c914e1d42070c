"""Recording: the officer's booking written as a kit test, and replayed to the same response.

The booking is clicked through the window as an officer does it (Capture runs on by itself,
the amputated finger is annotated from the list, the examiner confirms); the recorder turns it
into the kit's words. The written file is then run by pytest in a subprocess, in a folder of
its own, on a freshly seeded gallery: it passes only if the replay gets the same responses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from station.core.disposition import DispositionPolicy
from station.core.synth import impression
from station.core.vocabulary import FINGERS, Annotation
from station.interchange import (
    PrintImage,
    TenprintSubmission,
    build_submission,
    write_transaction,
    wsq,
)
from station.settings import Settings, set_settings

from .conftest import WAIT, kit_pytest


def _record(window, path: Path) -> QAction:
    window.record_path_chooser = lambda: str(path)
    action = window.findChild(QAction, "recordAction")
    assert action is not None and action.isCheckable()
    action.trigger()
    assert action.isChecked()
    assert window.recorder is not None
    return action


@pytest.mark.slow
def test_recorded_review_booking_replays_to_the_same_dispositions(
    officer_with, enrolled_ids, tmp_path: Path, qtbot
):
    officer = officer_with(DispositionPolicy(hit=50.0, review=0.25))  # the mate is REVIEW
    window = officer.window
    script = tmp_path / "replay" / "test_recorded.py"
    action = _record(window, script)

    officer.start_booking("amputated", enrolled_ids[3])
    officer.capture_all()  # stops at L4: no finger on the platen
    officer.choose("annotateCombo", "XX")  # the rest is captured on its own
    officer.wait_capture_done()
    assert officer.submit().startswith("REVIEW — ")
    match = officer.find(QLabel, "matchScoreLabel")
    qtbot.waitUntil(lambda: "matched minutiae" in match.text(), timeout=WAIT)
    subject = officer.window.response_page.selected_subject()
    table = officer.window.response_page.candidates
    listed = next(
        table.item(r, 1).text()
        for r in range(table.rowCount())
        if table.item(r, 4).data(Qt.ItemDataRole.UserRole) == subject
    )
    officer.decide("confirmMatchButton", "ridge detail agrees")
    assert officer.banner().startswith("HIT — ")
    action.trigger()  # Record off: the file is complete
    assert window.recorder is None

    text = script.read_text()
    demographics = window.session.demographics
    name = f"{demographics['last_name']}, {demographics['first_name']}"
    body = [
        line.strip() for line in text.split("def test_recorded_booking(station):")[1].splitlines()
    ]
    assert body[1:] == [
        "booking, capture, response = station.booking, station.capture, station.response",
        f"booking.new(name={name!r}, dob={demographics['date_of_birth']!r}, "
        + f"sex={demographics['sex']!r}, "
        + "".join(
            f"{kw}={demographics[key]!r}, "
            for key, kw in (
                ("middle_initial", "middle_initial"),
                ("height", "height"),
                ("weight", "weight"),
                ("eye_colour", "eyes"),
                ("hair_colour", "hair"),
                ("place_of_birth", "place_of_birth"),
            )
            if demographics.get(key)
        )
        + "slaps=False)",
        f"capture.platen('amputated', {enrolled_ids[3]})",
        *(f"capture.roll({code!r})" for code in ("R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3")),
        "capture.roll('L4')",
        "capture.annotate('L4', 'XX')",
        "capture.roll('L5')",
        "booking.submit()",
        "assert response.disposition == 'REVIEW'",
        f"response.confirm({listed!r}, reason='ridge detail agrees')",
        "assert response.disposition == 'HIT'",
    ]
    assert "pytest.mark.station_gallery(subjects=4, population=0)" in text
    assert "pytest.mark.station_policy(hit=50.0)" in text

    run = kit_pytest(script.parent, script.name)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_record_toggle_writes_a_runnable_file_at_once(window, tmp_path: Path):
    script = tmp_path / "test_nothing_yet.py"
    action = _record(window, script)
    text = script.read_text()
    assert "def test_recorded_booking(station):" in text
    assert "pass  # nothing recorded yet" in text
    compile(text, str(script), "exec")
    action.trigger()
    assert not action.isChecked()
    assert window.recorder is None


def test_record_refuses_a_file_that_is_not_python(window, tmp_path: Path):
    window.record_path_chooser = lambda: str(tmp_path / "booking.txt")
    action = window.findChild(QAction, "recordAction")
    action.trigger()
    assert not action.isChecked()
    assert window.recorder is None
    assert "must end in .py" in window.findChild(QLabel, "alertText").text()


def test_station_started_with_record_is_recording(qtbot, gallery_path: Path, tmp_path: Path):
    from station.gui import start

    script = tmp_path / "test_booking.py"
    settings = Settings()
    set_settings(replace(settings, paths=replace(settings.paths, gallery=gallery_path)))
    try:
        window = start([], record=script)
        assert window is not None
        qtbot.addWidget(window)
        assert window.findChild(QAction, "recordAction").isChecked()
        assert window.recorder.path == script
        assert "def test_recorded_booking(station):" in script.read_text()
    finally:
        set_settings(None)


def test_cli_record_needs_a_python_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    from station.cli import main

    assert main(["--record", str(tmp_path / "booking.txt")]) == 2
    assert "--record writes a Python test file" in capsys.readouterr().err


def test_a_booking_captured_on_its_own_is_written_roll_all_and_slaps(
    officer, enrolled_ids, tmp_path: Path
):
    script = tmp_path / "test_hit.py"
    _record(officer.window, script)
    officer.start_booking("gallery", enrolled_ids[0], slaps=True)
    officer.capture_all()  # one press: the ten fingers, then the slaps
    assert officer.submit().startswith("HIT — ")
    officer.click("enrollButton")
    lines = [line.strip() for line in script.read_text().splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("booking.new("))
    assert lines[start].endswith("slaps=True)")
    assert lines[start + 1 :] == [
        f"capture.platen('gallery', {enrolled_ids[0]})",
        "capture.roll_all()",
        "capture.slaps()",
        "booking.submit()",
        "assert response.disposition == 'HIT'",
        "booking.enrol()",
    ]


def _car_with_l4_amputated(k: int, path: Path) -> Path:
    """A CAR of synthetic subject ``k``'s rolled prints, L4 annotated XX in 14.018 AMP."""
    fingers: dict = {}
    for finger in FINGERS:
        if finger == "L4":
            fingers[finger] = Annotation.XX
            continue
        image, _ = impression(k, finger, 3, population=0, kind="rolled")
        rows, cols = image.shape
        fingers[finger] = PrintImage(wsq.encode(image), "WSQ20", cols, rows, quality=2)
    submission = TenprintSubmission(
        tcn="OTHER-2", ori="NY0303000", dai="WVIAFIS0Z", date=dt.date(2026, 1, 2), fingers=fingers
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(write_transaction(build_submission(submission)))
    return path


@pytest.mark.slow
def test_a_booking_from_a_file_with_a_review_recapture_is_recorded_and_replays(
    officer, enrolled_ids, tmp_path: Path, qtbot
):
    k = enrolled_ids[2]
    car = _car_with_l4_amputated(k, tmp_path / "prints" / "card.eft")
    script = tmp_path / "replay" / "test_from_file.py"
    window = officer.window
    _record(window, script)
    officer.start_booking("gallery", k)
    window.capture_page.path_chooser = lambda: str(car)
    officer.click("loadEbtsButton")
    label = officer.find(QLabel, "filesLabel")
    qtbot.waitUntil(lambda: label.text().startswith("9 print(s) in card.eft"), timeout=WAIT)
    officer.capture_all()  # nine prints from the file; L4 came annotated with it
    assert window.session.complete()
    officer.click("nextButton")  # to Review: R2 is asked for again there
    qtbot.waitUntil(lambda: window.review_page.isVisible(), timeout=WAIT)
    review = window.review_page.list
    review.setCurrentItem(
        next(
            review.item(i)
            for i in range(review.count())
            if review.item(i).data(Qt.ItemDataRole.UserRole) == "R2"
        )
    )
    officer.click("reviewRecaptureButton")
    qtbot.waitUntil(lambda: window.capture_page.isVisible(), timeout=WAIT)
    attempt = window.session.slots["R2"].attempt
    officer.click("captureButton")
    qtbot.waitUntil(lambda: window.session.slots["R2"].attempt > attempt, timeout=WAIT)
    assert officer.submit().startswith("HIT — ")

    lines = [line.strip() for line in script.read_text().splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("booking.new("))
    assert lines[start + 1 :] == [
        f"capture.load_transaction({str(car.resolve())!r})",
        *(f"capture.roll({c!r})" for c in ("R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3")),
        "capture.roll('L5')",
        "capture.roll('R2')",
        "booking.submit()",
        "assert response.disposition == 'HIT'",
    ]
    run = kit_pytest(script.parent, script.name)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout


def test_abandoning_is_recorded_and_keeping_open_is_marked(
    officer, enrolled_ids, tmp_path: Path, qtbot
):
    from PySide6.QtWidgets import QDialog

    from station.testing import Station

    window = officer.window
    script = tmp_path / "test_left.py"
    _record(window, script)
    kit = Station(window)
    kit.booking.generate("gallery", enrolled_ids[0])
    kit.booking.new(slaps=False)
    assert kit.capture.roll("R1").ok
    kit.booking.abandon("wrong person on the form")
    kit.booking.generate("gallery", enrolled_ids[0])
    kit.booking.new(slaps=False)
    assert kit.capture.roll("R1").ok
    tcn_kept = window.session.tcn
    window.new_action.trigger()  # New booking (Ctrl+Shift+N) with a print taken: it asks
    qtbot.waitUntil(
        lambda: (
            (d := window.findChild(QDialog, "leaveBookingDialog")) is not None and d.isVisible()
        ),
        timeout=WAIT,
    )
    officer.click("keepOpenButton")
    body = [line.strip() for line in script.read_text().splitlines()]
    start = next(i for i, line in enumerate(body) if line.startswith("booking.new("))
    assert body[start + 1 : start + 4] == [
        f"capture.platen('gallery', {enrolled_ids[0]})",
        "capture.roll('R1')",
        "booking.abandon('wrong person on the form')",
    ]
    assert body[start + 4].startswith("booking.new(")
    assert body[start + 5 :] == [
        "capture.roll('R1')",
        f"# not recorded: booking {tcn_kept} kept open (replay differs from here)",
    ]
