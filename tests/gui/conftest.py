"""Fixtures of the GUI suite: the window on a copy of the session's seeded gallery
(``gallery_copy``, ``tests/conftest.py``) and an officer who drives it with clicks and keys
(pytest-qt)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QWidget,
)

from station.core.synth.holdings import holdings
from station.gui.automation import galleries as kit
from station.gui.automation.pages import visible_dialog
from station.service import Operator
from station.settings import Settings, set_settings
from station.testing import FAST_SCANNER, copy_gallery, open_station_window, prepare_gallery

#: A fast mock scanner: 200 fps preview, the print settles after 2-3 frames (the kit's).
FAST = FAST_SCANNER
WAIT = 30_000  # ms: generous for a loaded CI machine
#: Passwords of the accounts in the seeded gallery (the test kit's accounts).
ADMIN_PASSWORD = kit.ADMIN_PASSWORD
KIM_PASSWORD = kit.OFFICER_PASSWORD


@pytest.fixture(scope="session")
def accounts_gallery(seeded_gallery: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's seeded gallery (``tests/conftest.py``) with two accounts: ``admin``
    (administrator) and ``kim`` (officer and examiner). Built once; read it, never write it."""
    path = tmp_path_factory.mktemp("gui-seeded") / "gallery.sqlite"
    return prepare_gallery(path, source=seeded_gallery)


@pytest.fixture(scope="session")
def station_operator(accounts_gallery: Path) -> Operator:
    """``kim``, an officer and examiner of the GUI gallery, signed in."""
    return kit.sign_in(accounts_gallery)


@pytest.fixture(scope="session")
def enrolled_ids(enrolled: list[int]) -> list[int]:
    """Synthetic ids of the seeded subjects (the session gallery of ``tests/conftest.py``)."""
    return enrolled


@pytest.fixture(scope="session")
def unknown_id() -> int:
    """A synthetic subject never enrolled by seeding (booking them gives NO HIT)."""
    k = 500_000
    while holdings(k, 0):
        k += 1
    return k


@pytest.fixture
def gallery_path(accounts_gallery: Path, tmp_path: Path) -> Path:
    """A private copy of the GUI gallery (seeded subjects, ``admin`` and ``kim``)."""
    return copy_gallery(accounts_gallery, tmp_path / "gallery.sqlite")


@pytest.fixture
def station_gallery(gallery_path: Path) -> Path:
    """The test kit's gallery (``station.testing.plugin``) is this suite's: the session's
    seeded gallery is built once for both."""
    return gallery_path


@pytest.fixture
def settings() -> Iterator[Settings]:
    """Default settings in force for the test (a test may replace them before ``window``)."""
    set_settings(Settings())
    yield Settings()
    set_settings(None)


class Officer:
    """Drives the station window as an officer would: clicks, typing, keys."""

    def __init__(self, qtbot, window) -> None:
        self.qtbot = qtbot
        self.window = window

    def find(self, kind: type, name: str):
        widget = self.window.findChild(kind, name)
        assert widget is not None, f"no {kind.__name__} named {name}"
        return widget

    def button(self, name: str) -> QPushButton:
        return self.find(QPushButton, name)

    def combo(self, name: str) -> QComboBox:
        return self.find(QComboBox, name)

    def click(self, name: str) -> None:
        button = self.button(name)
        self.qtbot.waitUntil(lambda: button.isEnabled() and button.isVisible(), timeout=WAIT)
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def choose(self, name: str, data: str) -> None:
        combo = self.combo(name)
        index = combo.findData(data)
        assert index >= 0, f"{name} has no item {data!r}"
        combo.setFocus()
        combo.setCurrentIndex(index)

    def dialog(self, name: str) -> QDialog:
        """Wait for the visible dialog ``name`` (window-modal, opened without blocking)."""
        self.qtbot.waitUntil(lambda: visible_dialog(name) is not None, timeout=WAIT)
        return visible_dialog(name)

    def answer(self, dialog_name: str, button: str, reason: str | None = None) -> None:
        """Type ``reason`` into the dialog's line edit (if given) and click ``button``."""
        dialog = self.dialog(dialog_name)
        if reason is not None:
            edit = dialog.findChild(QLineEdit)
            assert edit is not None, f"{dialog_name} has no reason field"
            self.qtbot.keyClicks(edit, reason)
        target = dialog.findChild(QPushButton, button)
        assert target is not None, f"{dialog_name} has no button {button}"
        self.qtbot.waitUntil(target.isEnabled, timeout=WAIT)
        self.qtbot.mouseClick(target, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT)

    def decide(self, button: str, reason: str) -> None:
        """Click Confirm, Reject or Undo and give the examiner's reason."""
        self.click(button)
        self.answer("decisionDialog", "decisionOkButton", reason)

    def banner(self) -> str:
        return self.find(QLabel, "dispositionBanner").text()

    def generate(self, kind: str, synthetic_id: int) -> None:
        """Generate a synthetic subject of ``kind`` with number ``synthetic_id``."""
        self.choose("generateKindCombo", kind)
        spin = self.find(QWidget, "syntheticIdSpin")
        spin.setValue(synthetic_id)
        self.click("generateSubjectButton")
        assert self.find(QWidget, "lastNameEdit").text()

    def start_booking(self, kind: str, synthetic_id: int, *, slaps: bool = False) -> None:
        """Generate the subject, open the booking, set the slaps option."""
        self.generate(kind, synthetic_id)
        self.click("nextButton")
        self.qtbot.waitUntil(lambda: self.window.page == 1, timeout=WAIT)
        check = self.find(QWidget, "slapsCheck")
        if check.isChecked() != slaps:
            self.qtbot.mouseClick(check, Qt.MouseButton.LeftButton)
        assert check.isChecked() == slaps

    def capture_all(self) -> None:
        """Press Capture and wait until every slot is captured or an error shows."""
        self.click("captureButton")
        self.wait_capture_done()

    def wait_capture_done(self) -> None:
        panel = self.find(QWidget, "scannerErrorPanel")
        session = self.window.session
        self.qtbot.waitUntil(
            lambda: (session.complete() and not self.window.driver.busy) or panel.isVisible(),
            timeout=WAIT,
        )

    def submit(self) -> str:
        """Submit (the button) and wait for the response banner; returns its text."""
        with self.qtbot.waitSignal(self.window.response_shown, timeout=WAIT):
            self.click("submitButton")
        return self.banner()

    def candidate_rows(self) -> list[list[str]]:
        table = self.find(QTableWidget, "candidateTable")
        return [
            [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())
        ]


def open_window(qtbot, gallery_path: Path, operator: Operator):
    """The station window on ``gallery_path``, ``operator`` signed in, with the fast scanner,
    index loaded."""
    win = open_station_window(gallery_path, operator, scanner=FAST)
    qtbot.addWidget(win)
    return win


@pytest.fixture
def window(qtbot, gallery_path: Path, settings: Settings, station_operator: Operator):
    """The station window on a private gallery copy, ``kim`` signed in, fast scanner, index
    loaded."""
    return open_window(qtbot, gallery_path, station_operator)


@pytest.fixture
def officer_with(qtbot, gallery_path: Path, station_operator: Operator) -> Iterator:
    """``officer_with(policy)``: an officer at a window whose settings use ``policy``."""

    def make(policy) -> Officer:
        set_settings(Settings(disposition=policy))
        return Officer(qtbot, open_window(qtbot, gallery_path, station_operator))

    yield make
    set_settings(None)


@pytest.fixture
def officer(qtbot, window) -> Officer:
    return Officer(qtbot, window)


def create_first_administrator(qtbot, window, name: str = "chief") -> None:
    """Answer the set-up dialog of a gallery with no accounts: ``name`` becomes its
    administrator (password ``ADMIN_PASSWORD``) and is signed in."""
    from PySide6.QtWidgets import QDialog, QLineEdit

    qtbot.waitUntil(
        lambda: (d := window.findChild(QDialog, "setupDialog")) is not None and d.isVisible(),
        timeout=WAIT,
    )
    dialog = window.findChild(QDialog, "setupDialog")
    for field, text in (
        ("setupUserEdit", name),
        ("setupPasswordEdit", ADMIN_PASSWORD),
        ("setupConfirmEdit", ADMIN_PASSWORD),
    ):
        qtbot.keyClicks(dialog.findChild(QLineEdit, field), text)
    with qtbot.waitSignal(window.signed_in, timeout=WAIT):
        qtbot.mouseClick(
            dialog.findChild(QPushButton, "setupCreateButton"), Qt.MouseButton.LeftButton
        )


def kit_pytest(folder: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m pytest ARGS`` in ``folder`` as a user's project would, with this
    source tree's station on the path and the test kit's plugin loaded: through its
    ``pytest11`` entry point when the installed station has one, else with
    ``-p station.testing.plugin`` (a source tree that is not the installed one)."""
    root = Path(__file__).resolve().parents[2]
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, PYTHONPATH=path, QT_QPA_PLATFORM="offscreen")
    installed = any(ep.value == "station.testing.plugin" for ep in entry_points(group="pytest11"))
    load = [] if installed else ["-p", "station.testing.plugin"]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *load, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
