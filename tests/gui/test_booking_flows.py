"""Whole bookings clicked through the station window, asserting what the officer sees.

Most scenarios take the ten rolled prints only (the officer unticks "Take the 4-4-2 slaps");
the HIT and swapped-finger bookings take the slaps and check the sequence.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QWidget

from station.core import image as imageio
from station.core.disposition import DispositionPolicy
from station.core.synth import impression
from station.core.vocabulary import FINGERS

from .conftest import WAIT


def test_hit_booking_of_a_gallery_subject(officer, enrolled_ids):
    k = enrolled_ids[0]
    officer.start_booking("gallery", k, slaps=True)
    prompt = officer.find(QLabel, "promptLabel").text()
    assert prompt == "Roll the RIGHT THUMB finger"
    officer.capture_all()
    assert "Sequence check passed" in officer.find(QLabel, "sequenceLabel").text()
    officer.click("nextButton")  # to Review
    review = officer.find(QListWidget, "reviewList")
    assert review.count() == 13
    assert review.item(0).text().startswith("R1 — level")
    banner = officer.submit()
    assert banner.startswith("HIT — ")
    rows = officer.candidate_rows()
    assert rows[0][0] == "1"
    name = f"{officer.window.session.demographics['last_name']}, "
    assert rows[0][1].startswith(name)
    records = officer.find(QWidget, "recordsTable")
    assert records.rowCount() >= 1
    assert "Sequence check passed" in officer.find(QLabel, "responseDetailLabel").text()


@pytest.mark.slow
def test_no_hit_then_enrol_then_hit(officer, unknown_id):
    officer.start_booking("new", unknown_id)
    officer.capture_all()
    assert officer.submit().startswith("NO HIT — ")
    officer.click("enrollButton")
    assert "enrolled as subject #" in officer.banner()
    assert not officer.button("enrollButton").isEnabled()

    officer.click("newBookingButton")
    assert officer.window.page == 0
    assert officer.find(QLineEdit, "lastNameEdit").text() == ""
    officer.start_booking("new", unknown_id)
    officer.capture_all()
    banner = officer.submit()
    assert banner.startswith("HIT — ")
    assert "Local" in banner


def test_review_resolved_by_the_examiner(officer_with, enrolled_ids, qtbot):
    # a HIT threshold no mate reaches: the true mate lands in REVIEW
    officer = officer_with(DispositionPolicy(hit=50.0, review=0.25))
    officer.start_booking("gallery", enrolled_ids[1])
    officer.capture_all()
    assert officer.submit().startswith("REVIEW — ")
    rows = officer.candidate_rows()
    assert "(review)" in rows[0][4]
    match = officer.find(QLabel, "matchScoreLabel")
    qtbot.waitUntil(lambda: "matched minutiae" in match.text(), timeout=WAIT)
    officer.decide("confirmMatchButton", "ridge detail agrees")
    banner = officer.banner()
    assert banner.startswith("HIT — ")
    assert "confirmed by the examiner" in banner
    assert officer.button("enrollButton").isEnabled()


def test_recapture_of_a_poor_finger(officer_with, enrolled_ids):
    # the station asks for a recapture of any finger at quality level 4 or worse
    officer = officer_with(DispositionPolicy(recapture_level=4))
    officer.start_booking("poor-finger", enrolled_ids[2])
    officer.click("captureButton")
    gate = officer.dialog("qualityGateDialog")  # R2 stops the sequence at capture time
    officer.qtbot.keyClick(gate, Qt.Key.Key_Escape)  # left as it is: the submit asks again
    officer.wait_capture_done()
    banner = officer.submit()
    assert banner.startswith("RECAPTURE — ")
    assert "R2" in banner
    officer.click("recaptureListedButton")
    assert officer.window.page == 1
    assert officer.find(QLabel, "promptLabel").text() == "Roll the RIGHT INDEX finger"
    officer.click("captureButton")
    slot = officer.window.session.slots["R2"]
    officer.qtbot.waitUntil(lambda: slot.attempt == 2 and not officer.window.driver.busy)
    assert slot.level is not None and slot.level < 5
    assert officer.submit().startswith("HIT — ")


def test_amputated_finger_annotated_xx(officer, enrolled_ids):
    officer.start_booking("amputated", enrolled_ids[3])
    officer.capture_all()
    panel = officer.find(QWidget, "scannerErrorPanel")
    assert panel.isVisible()
    assert "No finger on the platen for L4" in officer.find(QLabel, "scannerErrorLabel").text()
    officer.choose("annotateCombo", "XX")
    officer.wait_capture_done()
    assert officer.window.session.slots["L4"].annotation == "XX"
    assert not panel.isVisible()
    banner = officer.submit()
    assert banner.startswith("HIT — ")
    assert "L4" not in officer.find(QLabel, "responseDetailLabel").text().split("searched:")[1]


def test_scanner_disconnect_mid_capture_and_recovery(officer, enrolled_ids):
    officer.start_booking("gallery", enrolled_ids[0])
    officer.choose("platenSubjectCombo", "disconnect")
    officer.click("captureButton")
    panel = officer.find(QWidget, "scannerErrorPanel")
    officer.qtbot.waitUntil(panel.isVisible, timeout=WAIT)
    assert "Scanner disconnected" in officer.find(QLabel, "scannerErrorLabel").text()
    assert not officer.button("captureButton").isEnabled()
    assert "DISCONNECTED" in officer.find(QLabel, "scannerStatusLabel").text()
    officer.click("reconnectButton")
    assert not panel.isVisible()
    officer.capture_all()
    assert not panel.isVisible()
    assert officer.submit().startswith("HIT — ")


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


def test_swapped_fingers_flagged_by_the_sequence_check(officer, enrolled_ids):
    officer.start_booking("swapped", enrolled_ids[2], slaps=True)
    officer.capture_all()
    sequence = officer.find(QLabel, "sequenceLabel").text()
    assert "Sequence check failed" in sequence
    assert "R2" in sequence and "R3" in sequence


def test_demographics_validation_blocks_next(officer):
    officer.find(QLineEdit, "lastNameEdit").setText("Doe")
    dob = officer.find(QLineEdit, "dobEdit")
    dob.setText("2999-01-01")
    officer.click("nextButton")
    assert officer.window.page == 0
    errors = officer.find(QLabel, "formErrorLabel").text()
    assert "First name is required" in errors
    assert "Date of birth must be in the past" in errors


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
