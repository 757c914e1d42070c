"""The arrest fields and the jail management system on the New booking page, clicked through
the station window."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget

from station.gallery import open_gallery

from .conftest import WAIT


def _type(officer, name: str, text: str) -> None:
    edit = officer.find(QLineEdit, name)
    edit.clear()
    officer.qtbot.keyClicks(edit, text)


def test_fetch_fills_the_form_and_the_officers_correction_is_booked(officer, gallery_path):
    _type(officer, "jmsNumberEdit", "bk26-00003")
    page = officer.window.new_page
    with officer.qtbot.waitSignal(page.jms_fetched, timeout=WAIT):
        officer.click("jmsFetchButton")
    officer.qtbot.waitUntil(
        lambda: officer.find(QLineEdit, "lastNameEdit").text() == "Jackson", timeout=WAIT
    )
    assert officer.find(QLineEdit, "firstNameEdit").text() == "Diego"
    assert officer.find(QLineEdit, "dobEdit").text() == "1992-12-12"
    assert officer.find(QLineEdit, "arrestNumberEdit").text() == "26-725570"
    assert officer.find(QLineEdit, "arrestOriEdit").text() == "NY0303200"
    assert officer.find(QLineEdit, "arrestDateEdit").text() == "2026-07-30"
    assert officer.combo("raceCombo").currentData() == "W"
    assert officer.find(QLineEdit, "smtEdit").text() == "MOLE FACE"
    charges = officer.find(QListWidget, "chargesList")
    assert [charges.item(i).text().split()[1] for i in range(charges.count())] == [
        "PL140.10",
        "PL120.00",
        "PL205.30",
    ]
    assert officer.find(QLabel, "arrestLevelLabel").text() == "Level 3"
    assert "BK26-00003" in officer.find(QLabel, "jmsStatusLabel").text()

    # The officer corrects the arrest number and adds a burglary charge: Level 2 now.
    _type(officer, "arrestNumberEdit", "26-725571")
    officer.choose("offenceCombo", "PL140.25")
    _type(officer, "offenceDateEdit", "2026-07-29")
    officer.click("addChargeButton")
    assert officer.find(QLabel, "arrestLevelLabel").text() == "Level 2"
    officer.click("nextButton")
    officer.qtbot.waitUntil(lambda: officer.window.page == 1, timeout=WAIT)

    session = officer.window.session
    arrest = session.service.arrest(session.booking_id)
    assert arrest.oca == "26-725571"
    assert [c.code for c in arrest.charges] == ["PL140.10", "PL120.00", "PL205.30", "PL140.25"]
    assert arrest.charges[-1].offence_date.isoformat() == "2026-07-29"
    assert arrest.level == 2 and arrest.race == "W" and arrest.smt == ("MOLE FACE",)
    assert session.service.gallery.arrest(session.booking_id)["jms_booking"] == "BK26-00003"
    with open_gallery(gallery_path, readonly=True) as gallery:
        assert gallery.verify().ok


def test_an_unknown_jms_number_is_shown_and_fills_nothing(officer):
    _type(officer, "jmsNumberEdit", "BK26-77777")
    page = officer.window.new_page
    with officer.qtbot.waitSignal(page.jms_failed, timeout=WAIT):
        officer.click("jmsFetchButton")
    assert "no booking 'BK26-77777'" in officer.find(QLabel, "jmsStatusLabel").text()
    assert officer.find(QLineEdit, "lastNameEdit").text() == ""
    assert officer.button("jmsFetchButton").isEnabled()


def test_incomplete_arrest_data_blocks_next_with_every_problem(officer):
    officer.generate("gallery", 0)
    _type(officer, "arrestNumberEdit", "26-1")
    _type(officer, "arrestOriEdit", "NY03")
    officer.click("nextButton")
    assert officer.window.page == 0
    errors = officer.find(QLabel, "formErrorLabel").text()
    for message in (
        "Arresting agency ORI must be 9 characters",
        "Date of arrest is required",
        "Charges: at least one charge is required",
        "Race is required",
    ):
        assert message in errors
    assert officer.find(QLineEdit, "arrestOriEdit").hasFocus()
    # Removing a charge updates the level; emptying every arrest field books without them.
    officer.choose("offenceCombo", "PL125.25")
    officer.click("addChargeButton")
    assert officer.find(QLabel, "arrestLevelLabel").text() == "Level 1"
    charges = officer.find(QListWidget, "chargesList")
    charges.setCurrentRow(0)
    officer.click("removeChargeButton")
    assert charges.count() == 0 and officer.find(QLabel, "arrestLevelLabel").text() == "—"
    for name in ("arrestNumberEdit", "arrestOriEdit"):
        officer.find(QLineEdit, name).clear()
    assert officer.combo("raceCombo").currentData() == ""
    officer.click("nextButton")
    officer.qtbot.waitUntil(lambda: officer.window.page == 1, timeout=WAIT)
    session = officer.window.session
    assert session.service.arrest(session.booking_id) is None
