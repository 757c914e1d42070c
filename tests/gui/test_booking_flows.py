"""Whole bookings clicked through the station window, asserting what the officer sees.

The bookings are driven with the test kit's page objects (``station.testing``, the ``station``
fixture), as a QA team's tests would be; the booking from image files and the booking by
keyboard alone click the window directly. Most scenarios take the ten rolled prints only
(``slaps=False``); the HIT and swapped-finger bookings take the slaps and check the sequence.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QPushButton, QWidget

from station.core import image as imageio
from station.core.synth import impression
from station.core.vocabulary import FINGERS, Disposition
from station.testing import NotReadyError

from .conftest import WAIT


def test_hit_booking_of_a_gallery_subject(station, station_enrolled):
    booking, capture, response = station.booking, station.capture, station.response
    booking.generate("gallery", station_enrolled[0])
    booking.new(slaps=True)
    assert capture.prompt == "Roll the RIGHT THUMB finger"
    rolled = capture.roll_all()
    assert [o.slot for o in rolled] == list(FINGERS)
    assert all(o.ok for o in rolled)
    assert all(o.ok for o in capture.slaps())
    assert "Sequence check passed" in capture.sequence
    window = station.window
    QTest.mouseClick(window.findChild(QPushButton, "nextButton"), Qt.MouseButton.LeftButton)
    review = window.findChild(QListWidget, "reviewList")
    assert review.count() == 13
    assert review.item(0).text().startswith("R1 — level")
    assert booking.submit() == Disposition.HIT
    assert response.banner.startswith("HIT — ")
    first = response.candidates[0]
    assert first.rank == 1
    assert first.name.startswith(f"{window.findChild(QLineEdit, 'lastNameEdit').text()}, ")
    assert window.findChild(QWidget, "recordsTable").rowCount() >= 1
    assert "Sequence check passed" in response.detail


@pytest.mark.slow
def test_no_hit_then_enrol_then_hit(station, unknown_id):
    booking, capture, response = station.booking, station.capture, station.response
    booking.generate("new", unknown_id)
    booking.new(slaps=False)
    capture.roll_all()
    assert booking.submit() == "NO HIT"
    assert "enrolled as subject #" in booking.enrol()

    booking.generate("new", unknown_id)  # New booking first: the form starts empty
    booking.new(slaps=False)
    capture.roll_all()
    assert booking.submit() == "HIT"
    assert "Local" in response.banner


@pytest.mark.station_policy(hit=50.0, review=0.25)  # no mate reaches HIT: the mate is REVIEW
def test_review_resolved_by_the_examiner(station, station_enrolled, qtbot):
    booking, capture, response = station.booking, station.capture, station.response
    booking.generate("gallery", station_enrolled[1])
    booking.new(slaps=False)
    capture.roll_all()
    assert booking.submit() == "REVIEW"
    mate = response.candidates[0]
    assert mate.review
    match = station.window.findChild(QLabel, "matchScoreLabel")
    qtbot.waitUntil(lambda: "matched minutiae" in match.text(), timeout=WAIT)
    assert response.confirm(mate, reason="ridge detail agrees") == "HIT"
    assert "confirmed by the examiner" in response.banner
    assert station.window.findChild(QPushButton, "enrollButton").isEnabled()


@pytest.mark.station_policy(recapture_level=4)  # a finger at level 4 or worse is recaptured
def test_recapture_of_a_poor_finger(station, station_enrolled):
    booking, capture, response = station.booking, station.capture, station.response
    booking.generate("poor-finger", station_enrolled[2])
    booking.new(slaps=False)
    stopped = capture.roll_all()[-1]  # R2 stops the sequence at capture time
    assert stopped.slot == "R2" and stopped.gate and stopped.level >= 4
    capture.leave_as_is()  # left as it is: the submit asks again
    assert all(o.ok for o in capture.roll_all())
    assert booking.submit() == "RECAPTURE"
    assert "R2" in response.banner
    assert response.recapture_listed() == ["R2"]
    assert capture.prompt == "Roll the RIGHT INDEX finger"
    again = capture.roll("R2")
    assert again.level is not None and again.level < 5
    assert booking.submit() == "HIT"


def test_amputated_finger_annotated_xx(station, station_enrolled):
    booking, capture, response = station.booking, station.capture, station.response
    booking.generate("amputated", station_enrolled[3])
    booking.new(slaps=False)
    stopped = capture.roll_all()[-1]
    assert stopped.slot == "L4" and stopped.level is None
    assert "No finger on the platen for L4" in stopped.error
    capture.annotate("L4", "XX")
    assert capture.error == ""
    assert capture.roll_all()[-1].slot == "L5"
    assert booking.submit() == "HIT"
    assert "L4" not in response.detail.split("searched:")[1]


def test_scanner_disconnect_mid_capture_and_recovery(station, station_enrolled):
    booking, capture = station.booking, station.capture
    booking.generate("gallery", station_enrolled[0])
    booking.new(slaps=False)
    window = station.window
    events: list[tuple[str, dict]] = []

    class Events:  # what a class booking's recorder is told (station.training.LiveBooking)
        booking_id = window.session.booking_id

        def record(self, action, detail):
            events.append((str(action), detail))

    window.session.recorder = Events()
    capture.platen("disconnect", station_enrolled[0])
    failed = capture.roll_all()
    assert len(failed) == 1 and "Scanner disconnected" in failed[0].error
    # the failed capture is an event, with its error, as in a scripted training run
    error = "Scanner disconnected — reconnect it and press Capture again"
    assert events == [("capture", {"finger": "R1", "impression": "rolled", "error": error})]
    assert not window.findChild(QPushButton, "captureButton").isEnabled()
    assert "DISCONNECTED" in window.findChild(QLabel, "scannerStatusLabel").text()
    capture.reconnect()
    assert all(o.ok for o in capture.roll_all())
    assert capture.error == ""
    assert booking.submit() == "HIT"


def test_booking_from_image_files(officer, enrolled_ids, tmp_path: Path):
    k = enrolled_ids[1]
    for finger in FINGERS:
        image, _ = impression(k, finger, 3, population=0, kind="rolled")
        imageio.save(tmp_path / f"{finger}.png", image)
    officer.generate("gallery", k)
    officer.click("nextButton")
    officer.choose("scannerSourceCombo", "files")
    folder = officer.find(QLineEdit, "folderEdit")
    folder.setText(str(tmp_path))
    officer.click("loadFolderButton")
    assert officer.find(QLabel, "filesLabel").text().startswith("10 file(s) assigned")
    assert not officer.find(QWidget, "slapsCheck").isChecked()
    officer.capture_all()
    assert officer.window.session.rolled_done()
    assert officer.submit().startswith("HIT — ")


def test_swapped_fingers_flagged_by_the_sequence_check(station, station_enrolled):
    station.booking.generate("swapped", station_enrolled[2])
    station.booking.new(slaps=True)
    station.capture.roll_all()
    station.capture.slaps()
    sequence = station.capture.sequence
    assert "Sequence check failed" in sequence
    assert "R2" in sequence and "R3" in sequence


def test_demographics_validation_blocks_next(station):
    with pytest.raises(NotReadyError) as refused:
        station.booking.new(last_name="Doe", dob="2999-01-01")
    message = str(refused.value)
    assert message.startswith("booking page: the form was refused: ")
    assert "First name is required" in message
    assert "Date of birth must be in the past" in message
    assert station.window.page == 0


def test_whole_booking_by_keyboard(officer, enrolled_ids, qtbot):
    officer.generate("gallery", enrolled_ids[0])
    window = officer.window
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.page == 1, timeout=WAIT)
    qtbot.keyClick(window.capture_page.slaps, Qt.Key.Key_Space)  # untick the slaps
    assert not window.capture_page.slaps.isChecked()
    window.capture_page.capture_button.setFocus()
    qtbot.keyClick(window.capture_page.capture_button, Qt.Key.Key_F5)
    officer.wait_capture_done()
    with qtbot.waitSignal(window.response_shown, timeout=WAIT):
        qtbot.keyClick(window, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert officer.banner().startswith("HIT — ")
