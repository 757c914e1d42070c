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


def test_main_window_has_every_automation_id(qtbot, gallery_path, settings):
    from station.gui import main_window

    window = main_window(gallery_path)
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
