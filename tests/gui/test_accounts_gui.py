"""Sign-in clicked through the real window: first-run set-up, login, a wrong password, the
lock-out message, sign-out, the Users dialog, and an officer who cannot confirm."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
)

from station.core.disposition import DispositionPolicy
from station.gallery import open_gallery
from station.service import AccountService
from station.settings import Settings

from .conftest import ADMIN_PASSWORD, KIM_PASSWORD, WAIT, Officer, open_window

OLGA_PASSWORD = "olga password"


def _shown(qtbot, window, name: str) -> QDialog:
    qtbot.waitUntil(
        lambda: (d := window.findChild(QDialog, name)) is not None and d.isVisible(),
        timeout=WAIT,
    )
    return window.findChild(QDialog, name)


def _type(qtbot, dialog: QDialog, name: str, text: str) -> None:
    edit = dialog.findChild(QLineEdit, name)
    edit.clear()
    qtbot.keyClicks(edit, text)


def _click(qtbot, dialog: QDialog, name: str) -> None:
    qtbot.mouseClick(dialog.findChild(QPushButton, name), Qt.MouseButton.LeftButton)


def _unsigned_window(qtbot, path: Path):
    from station.gui import main_window

    window = main_window(path)
    qtbot.addWidget(window)
    window.show()
    return window


def _add_olga(path: Path):
    with open_gallery(path) as gallery:
        accounts = AccountService(gallery)
        admin = accounts.authenticate("admin", ADMIN_PASSWORD)
        accounts.add_user(admin, "olga", OLGA_PASSWORD, "officer", display_name="Olga <b>K</b>")
        return accounts.authenticate("olga", OLGA_PASSWORD)


def test_first_run_creates_the_administrator(qtbot, tmp_path: Path, settings: Settings) -> None:
    window = _unsigned_window(qtbot, tmp_path / "new.sqlite")
    dialog = _shown(qtbot, window, "setupDialog")
    assert not window.centralWidget().isEnabled()
    assert not window.new_action.isEnabled()
    _type(qtbot, dialog, "setupUserEdit", "chief")
    _type(qtbot, dialog, "setupPasswordEdit", "short")
    _type(qtbot, dialog, "setupConfirmEdit", "short")
    _click(qtbot, dialog, "setupCreateButton")
    error = dialog.findChild(QLabel, "setupErrorLabel")
    assert error.text() == (
        "The account could not be created: the password is too short: use at least 8 characters"
    )
    _type(qtbot, dialog, "setupPasswordEdit", "a long password")
    _type(qtbot, dialog, "setupConfirmEdit", "a long passwort")
    _click(qtbot, dialog, "setupCreateButton")
    assert error.text() == "The two passwords differ: type the same password twice."
    _type(qtbot, dialog, "setupConfirmEdit", "a long password")
    with qtbot.waitSignal(window.signed_in, timeout=WAIT):
        _click(qtbot, dialog, "setupCreateButton")
    assert window.centralWidget().isEnabled()
    assert window.operator.username == "chief"
    label = window.findChild(QLabel, "operatorLabel").text()
    assert label == "Signed in: <b>chief</b> (administrator)"
    assert window.users_action.isVisible() and window.users_action.isEnabled()
    assert window.accounts.authenticate("chief", "a long password").username == "chief"


def test_login_wrong_password_then_right(qtbot, gallery_path: Path, settings: Settings) -> None:
    window = _unsigned_window(qtbot, gallery_path)
    dialog = _shown(qtbot, window, "loginDialog")
    assert not window.centralWidget().isEnabled()
    _type(qtbot, dialog, "loginUserEdit", "kim")
    _type(qtbot, dialog, "loginPasswordEdit", "guess")
    _click(qtbot, dialog, "loginButton")
    error = dialog.findChild(QLabel, "loginErrorLabel")
    assert error.isVisible()
    assert error.text() == "Sign-in refused: wrong user name or password."
    assert dialog.findChild(QLineEdit, "loginPasswordEdit").text() == ""
    _type(qtbot, dialog, "loginPasswordEdit", KIM_PASSWORD)
    with qtbot.waitSignal(window.signed_in, timeout=WAIT):
        _click(qtbot, dialog, "loginButton")
    assert window.centralWidget().isEnabled()
    label = window.findChild(QLabel, "operatorLabel").text()
    assert label == "Signed in: <b>Kim Lee</b> (officer, examiner)"
    assert not window.users_action.isVisible()  # not an administrator
    # signing out asks for the next sign-in
    window.sign_out_action.trigger()
    dialog = _shown(qtbot, window, "loginDialog")
    assert window.operator is None and not window.centralWidget().isEnabled()
    assert window.findChild(QLabel, "operatorLabel").text() == "Not signed in"
    with qtbot.waitSignal(dialog.finished, timeout=WAIT):
        dialog.reject()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)  # quit at login closes


def test_lock_out_message(qtbot, gallery_path: Path, settings: Settings) -> None:
    window = _unsigned_window(qtbot, gallery_path)
    dialog = _shown(qtbot, window, "loginDialog")
    _type(qtbot, dialog, "loginUserEdit", "kim")
    error = dialog.findChild(QLabel, "loginErrorLabel")
    for _ in range(5):
        _type(qtbot, dialog, "loginPasswordEdit", "guess again")
        _click(qtbot, dialog, "loginButton")
    assert error.text().startswith(
        "Sign-in refused: the account kim is locked after 5 wrong passwords: try again in 15 "
        "minutes"
    )
    _type(qtbot, dialog, "loginPasswordEdit", KIM_PASSWORD)  # the right one: still locked
    _click(qtbot, dialog, "loginButton")
    assert "is locked" in error.text() and dialog.isVisible()
    assert window.operator is None


def test_administrator_adds_a_user(qtbot, gallery_path: Path, settings: Settings) -> None:
    with open_gallery(gallery_path) as gallery:
        admin = AccountService(gallery).authenticate("admin", ADMIN_PASSWORD)
    window = open_window(qtbot, gallery_path, admin)
    window.users_action.trigger()
    dialog = _shown(qtbot, window, "usersDialog")
    table = dialog.findChild(QTableWidget, "usersTable")
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == ["admin", "kim"]
    _type(qtbot, dialog, "newUserEdit", "tom")
    _type(qtbot, dialog, "newPasswordEdit", "tom password")
    dialog.findChild(QCheckBox, "roleTraineeCheck").setChecked(True)
    _click(qtbot, dialog, "addUserButton")
    assert dialog.findChild(QLabel, "usersStatusLabel").text() == "Add user: tom (trainee)."
    assert table.rowCount() == 3 and table.item(2, 2).text() == "trainee"
    _click(qtbot, dialog, "disableUserButton")  # tom is selected
    assert table.item(2, 3).text() == "disabled"
    last = window.gallery.audit_log()[-2:]
    assert [(r["actor"], r["action"]) for r in last] == [
        ("admin", "add user"),
        ("admin", "disable account"),
    ]


def test_an_officer_cannot_confirm_or_change_thresholds(
    qtbot, gallery_path: Path, enrolled_ids: list[int]
) -> None:
    from station.settings import set_settings

    olga = _add_olga(gallery_path)
    policy = DispositionPolicy(hit=50.0, review=0.25)
    set_settings(Settings(disposition=policy))
    try:
        officer = Officer(qtbot, open_window(qtbot, gallery_path, olga))
        window = officer.window
        label = window.findChild(QLabel, "operatorLabel").text()
        assert label == "Signed in: <b>Olga &lt;b&gt;K&lt;/b&gt;</b> (officer)"  # escaped
        officer.start_booking("gallery", enrolled_ids[1])
        officer.capture_all()
        assert officer.submit().startswith("REVIEW — ")
        confirm = officer.button("confirmMatchButton")
        assert officer.candidate_rows() and not confirm.isEnabled()
        assert not officer.button("rejectMatchButton").isEnabled()
        assert confirm.toolTip() == (
            "Only an examiner confirms or rejects a candidate; olga is officer"
        )
        # the booking in hand may be saved; any booking from the log is an export
        assert officer.button("saveTransactionButton").isEnabled()
        log_page = window.log_page
        window.tabs.setCurrentWidget(log_page)
        log_page.refresh()
        assert log_page.select_booking(window.session.booking_id)
        export = officer.button("exportTransactionButton")
        assert not export.isEnabled()
        assert export.toolTip() == (
            "Writing a booking's transaction to a file from here is an administrator's job; "
            "olga is signed in as officer"
        )
        target = gallery_path.parent / "exported.eft"
        log_page.path_chooser = lambda _title, _name: str(target)
        log_page.export_selected()  # a shortcut cannot get round it either
        assert log_page.export_label.text() == export.toolTip()
        assert not target.exists()
        # thresholds: read-only in the dialog, refused by the service
        from station.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(window.settings, operator=olga)
        qtbot.addWidget(dialog)
        spin = dialog.findChild(QDoubleSpinBox, "hitThresholdSpin")
        assert spin.isReadOnly()
        assert spin.toolTip().startswith("Only an administrator changes the disposition")
        window.apply_settings(Settings(disposition=DispositionPolicy(hit=0.5)))
        assert window.service.policy == policy
        assert "changing the disposition thresholds needs the administrator role" in (
            window.alert.label.text()
        )
    finally:
        set_settings(None)
    booking = window.gallery.bookings()[0]
    assert booking["operator"] == "olga"
