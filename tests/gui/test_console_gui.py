"""The instructor's console runs a two-trainee class: the instructor builds and starts it,
each trainee takes their bookings with Next booking and books them in the real window, the
console shows both finished with their scores, and Report writes the class report (its files
checked, not opened in a browser).

With ``STATION_ASSETS=DIR`` set, the test also saves the README's screenshots there (the
console, a scored booking, the report preview)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QTableWidget,
    QWidget,
)

from station.gallery import open_gallery
from station.service import AccountService

from .conftest import ADMIN_PASSWORD, WAIT, Officer, open_window

PASSWORD = "a long password"


def _accounts(path: Path):
    with open_gallery(path) as gallery:
        accounts = AccountService(gallery)
        admin = accounts.authenticate("admin", ADMIN_PASSWORD)
        for name, roles, shown in (
            ("ian", "instructor", "Ian Instructor"),
            ("tia", "trainee", "Tia Trainee"),
            ("tom", "trainee", "Tom Trainee"),
        ):
            accounts.add_user(admin, name, PASSWORD, roles, display_name=shown)
        return {n: accounts.authenticate(n, PASSWORD) for n in ("ian", "tia", "tom")}


def _check(widget: QListWidget, *keys: str) -> None:
    """Tick the items whose data is one of ``keys`` (as a click on their box does)."""
    found = set()
    for i in range(widget.count()):
        item = widget.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in keys:
            item.setCheckState(Qt.CheckState.Checked)
            found.add(item.data(Qt.ItemDataRole.UserRole))
    assert found == set(keys)


def _open(trainee: Officer) -> None:
    """Open the booking with the demographics given (rolled prints only)."""
    assert trainee.find(QLineEdit, "lastNameEdit").text()  # the demographics they are given
    assert not trainee.combo("platenSubjectCombo").isVisible()  # who is on it stays hidden
    trainee.click("nextButton")
    trainee.qtbot.waitUntil(lambda: trainee.window.page == 1, timeout=WAIT)
    check = trainee.find(QWidget, "slapsCheck")
    if check.isChecked():
        trainee.qtbot.mouseClick(check, Qt.MouseButton.LeftButton)


def _end(trainee: Officer) -> str:
    label = trainee.find(QLabel, "traineeStatusLabel")
    trainee.click("endBookingButton")
    trainee.qtbot.waitUntil(lambda: "scored" in label.text(), timeout=WAIT)
    return label.text()


def _returning(trainee: Officer) -> str:
    """The alias booking: the prints HIT; a trainee cannot confirm (an examiner's decision)."""
    trainee.click("nextBookingButton")
    _open(trainee)
    assert trainee.find(QLineEdit, "lastNameEdit").text() == "Marsh"  # the false name
    trainee.capture_all()
    assert trainee.submit().startswith("HIT")
    return _end(trainee)


@pytest.mark.slow
def test_a_two_trainee_class_from_the_console(qtbot, gallery_path, settings, tmp_path):
    ops = _accounts(gallery_path)
    instructor = Officer(qtbot, open_window(qtbot, gallery_path, ops["ian"]))
    instructor.window.console_action.trigger()
    console = instructor.window.console
    qtbot.waitUntil(console.isVisible, timeout=WAIT)
    console.report_dir = tmp_path / "reports"
    opened = []
    console.open_url = opened.append
    qtbot.keyClicks(console.findChild(QLineEdit, "classNameEdit"), "Monday <A>")
    _check(console.findChild(QListWidget, "classTraineeList"), "tia", "tom")
    scenarios = console.findChild(QListWidget, "classScenarioList")
    _check(scenarios, "returning-alias", "first-arrest")
    # move first-arrest to the top: it is booked first
    row = next(
        i
        for i in range(scenarios.count())
        if scenarios.item(i).data(Qt.ItemDataRole.UserRole) == "first-arrest"
    )
    scenarios.setCurrentRow(row)
    up = console.findChild(QWidget, "scenarioUpButton")
    while scenarios.row(scenarios.currentItem()) > 0:
        qtbot.mouseClick(up, Qt.MouseButton.LeftButton)
    console.findChild(QWidget, "classTimeLimitSpin").setValue(900)
    qtbot.mouseClick(console.findChild(QWidget, "createClassButton"), Qt.MouseButton.LeftButton)
    message = console.findChild(QLabel, "consoleMessageLabel")
    assert message.text() == "Class Monday <A> created: 2 trainees"
    assert message.textFormat() == Qt.TextFormat.PlainText
    qtbot.mouseClick(console.findChild(QWidget, "startClassButton"), Qt.MouseButton.LeftButton)
    table = console.findChild(QTableWidget, "classProgressTable")
    assert [table.item(r, 1).text() for r in range(2)] == ["waiting for booking 1 of 2"] * 2

    # the trainees' station: tia, then tom
    station = Officer(qtbot, open_window(qtbot, gallery_path, ops["tia"]))
    assert station.find(QWidget, "traineeBar").isVisible()
    assert not instructor.window.trainee_bar.isVisible()
    station.click("nextBookingButton")
    qtbot.waitUntil(lambda: table.item(0, 1).text() == "booking 1 of 2", timeout=WAIT)
    assert table.item(0, 2).text() == "first-arrest"
    # the instructor pauses the class: tia's booking pages stop until it resumes
    pause = console.findChild(QWidget, "pauseClassButton")
    qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not station.window.pages.isEnabled(), timeout=WAIT)
    qtbot.mouseClick(pause, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(station.window.pages.isEnabled, timeout=WAIT)
    # tia got the first booking already: book it, enrol, end it
    _open(station)
    # the instructor pulls the scanner's cable: tia reconnects (Ctrl+R), it is recorded
    table.selectRow(0)
    console.findChild(QComboBox, "faultCombo").setCurrentIndex(0)  # scanner disconnect
    qtbot.mouseClick(console.findChild(QWidget, "injectFaultButton"), Qt.MouseButton.LeftButton)
    assert message.text() == "scanner disconnect injected into tia's booking"
    qtbot.waitUntil(lambda: not station.window.driver.connected, timeout=WAIT)
    assert not station.button("captureButton").isEnabled()
    qtbot.keyClick(station.window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: station.window.driver.connected, timeout=WAIT)
    station.capture_all()
    assert station.submit().startswith("NO HIT")
    station.click("enrollButton")
    assert "4/4" in _end(station)
    if os.environ.get("STATION_ASSETS"):
        station.window.grab().save(str(Path(os.environ["STATION_ASSETS"]) / "scored_booking.png"))
    assert "1/4" in _returning(station)

    station.window.set_operator(ops["tom"])
    station.click("nextBookingButton")
    _open(station)
    station.capture_all()
    assert station.submit().startswith("NO HIT")
    assert "2/4" in _end(station)  # never enrolled
    assert "1/4" in _returning(station)

    def finished() -> bool:
        console.refresh()
        return [table.item(r, 1).text() for r in range(2)] == ["finished"] * 2

    qtbot.waitUntil(finished, timeout=WAIT)
    scores = [table.item(r, 4).text() for r in range(2)]
    assert scores == ["5/8", "3/8"]
    assert "finished" in console.findChild(QLabel, "classStateLabel").text()
    if os.environ.get("STATION_ASSETS"):
        console.grab().save(str(Path(os.environ["STATION_ASSETS"]) / "instructor_console.png"))

    table.selectRow(1)
    qtbot.mouseClick(console.findChild(QWidget, "classReportButton"), Qt.MouseButton.LeftButton)
    report = console.last_report
    assert report is not None
    assert [url.toLocalFile() for url in opened] == [str(report.class_file)]
    page = report.class_file.read_text(encoding="utf-8")
    assert "Monday &lt;A&gt;" in page
    assert "tia" in page and "tom" in page and "did not enrol the booking" in page
    assert "did not confirm the HIT: the prints, not the given name" in page
    tom_page = report.trainee_files["tom"].read_text(encoding="utf-8")
    assert "Mistake: did not enrol the booking" in tom_page
    assert "data:image/png;base64," in tom_page  # plots and the moment of the mistake
    preview = console.preview
    assert preview is not None and preview.isVisible()
    if os.environ.get("STATION_ASSETS"):
        preview.grab().save(str(Path(os.environ["STATION_ASSETS"]) / "class_report.png"))
    # the instructor reviews tom's last booking in the replay
    qtbot.mouseClick(console.findChild(QWidget, "reviewBookingButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: console.replay_dialog is not None, timeout=WAIT)
    assert console.replay_dialog.isVisible()
    with open_gallery(gallery_path, readonly=True) as gallery:
        assert gallery.verify().ok
        runs = gallery.training_runs()
    assert [(r["trainee"], r["scenario_id"]) for r in runs] == [
        ("tia", "first-arrest"),
        ("tia", "returning-alias"),
        ("tom", "first-arrest"),
        ("tom", "returning-alias"),
    ]
    first = runs[0]
    actions = [s["label"] for s in first["score"]["steps"]]
    assert actions[:2] == ["reconnect", "capture R1"] and actions[-2:] == ["submit", "enrol"]
