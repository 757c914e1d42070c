"""The station window builds in-process and exposes its automation ids."""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtWidgets import QMainWindow, QWidget

REQUIRED = (
    "newBookingButton",
    "firstNameEdit",
    "lastNameEdit",
    "dobEdit",
    "sexCombo",
    "generateSubjectButton",
    "nextButton",
    "scannerSourceCombo",
    "platenSubjectCombo",
    "captureButton",
    "recaptureButton",
    "annotateCombo",
    "submitButton",
    "dispositionBanner",
    "candidateTable",
    "confirmMatchButton",
    "rejectMatchButton",
    "enrollButton",
)


def test_main_window_has_every_automation_id(qtbot, gallery_copy, settings):
    from station.gui import main_window

    window = main_window(gallery_copy)
    qtbot.addWidget(window)
    assert isinstance(window, QMainWindow)
    missing = [name for name in REQUIRED if window.findChild(QWidget, name) is None]
    assert missing == []


def test_importing_station_gui_is_cheap():
    code = "import station.gui, sys; print('station.gui.station_window' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_gallery_file_gives_an_empty_gallery(qtbot, tmp_path, settings):
    from station.gui import main_window

    window = main_window(tmp_path / "new.sqlite")
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.index_ready, timeout=30_000)
    assert "0</b> subjects" in window.stats_label.text()


def test_a_file_that_is_not_a_gallery_is_explained_not_raised(qapp, tmp_path, monkeypatch) -> None:
    import station.gui as gui
    from station.settings import PathSettings, Settings, set_settings

    fake = tmp_path / "notes.sqlite"
    fake.write_text("not a database\n")
    shown: list[str] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run() installs its own
    monkeypatch.setattr(gui.QMessageBox, "critical", lambda *a, **k: shown.append(a[2]))
    set_settings(Settings(paths=PathSettings(gallery=fake)))
    try:
        assert gui.run([]) == 2
    finally:
        set_settings(None)
    assert len(shown) == 1 and "not a SQLite database" in shown[0]
    assert fake.read_text() == "not a database\n"


def test_a_bad_settings_file_is_explained_not_raised(qapp, tmp_path, monkeypatch) -> None:
    import station.gui as gui
    from station.settings import set_settings

    bad = tmp_path / "station.toml"
    bad.write_text("[disposition]\nhit = inf\nreview = inf\n")
    shown: list[str] = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(gui.QMessageBox, "critical", lambda *a, **k: shown.append(a[2]))
    monkeypatch.setenv("STATION_SETTINGS", str(bad))
    set_settings(None)
    try:
        assert gui.run([]) == 2
    finally:
        set_settings(None)
    assert len(shown) == 1
    assert "[disposition] hit must be a finite number" in shown[0]
