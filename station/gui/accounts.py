"""Sign-in and accounts: the first-run administrator set-up, the login dialog, the Users
dialog (Qt only; the rules live in :mod:`station.service.accounts`).

Automation ids: ``setupDialog`` (``setupUserEdit``, ``setupPasswordEdit``,
``setupConfirmEdit``, ``setupCreateButton``, ``setupErrorLabel``); ``loginDialog``
(``loginUserEdit``, ``loginPasswordEdit``, ``loginButton``, ``loginErrorLabel``);
``usersDialog`` (``usersTable``, ``newUserEdit``, ``newDisplayNameEdit``,
``newPasswordEdit``, ``role<Role>Check`` such as ``roleExaminerCheck``, ``addUserButton``,
``setRolesButton``, ``resetPasswordButton``, ``unlockUserButton``, ``disableUserButton``,
``usersErrorLabel``, ``usersStatusLabel``).
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station.core.vocabulary import Role
from station.gallery import GalleryError
from station.service.accounts import (
    MIN_PASSWORD,
    AccountService,
    AuthError,
    Operator,
    RoleError,
)

__all__ = ["LoginDialog", "SetupDialog", "UsersDialog"]

log = logging.getLogger(__name__)

_ERROR_STYLE = "color: #b71c1c; font-weight: bold;"


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(_ERROR_STYLE)
    label.setTextFormat(label.textFormat().PlainText)
    label.hide()
    return label


def _password_edit(name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class _SignInDialog(QDialog):
    """What the set-up and login dialogs share: an error line and the operator at the end."""

    def __init__(self, accounts: AccountService, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.accounts = accounts
        self.operator: Operator | None = None

    def _fail(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _lay_out(
        self,
        heading: QLabel,
        rows: list[tuple[str, QLineEdit]],
        ok: QPushButton,
        cancel_name: str,
        error_label: QLabel,
    ) -> None:
        """Heading, the form rows, the error line, then Quit and ``ok`` (the default)."""
        self.error_label = error_label
        ok.setDefault(True)
        cancel = QPushButton("Quit")
        cancel.setObjectName(cancel_name)
        cancel.clicked.connect(self.reject)
        form = QFormLayout()
        for label, edit in rows:
            form.addRow(label, edit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(ok)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addLayout(form)
        layout.addWidget(error_label)
        layout.addLayout(buttons)


class SetupDialog(_SignInDialog):
    """First run of a gallery without accounts: create the administrator account.

    Accepted, :attr:`operator` is the new administrator, signed in.
    """

    def __init__(self, accounts: AccountService, parent: QWidget | None = None) -> None:
        super().__init__(accounts, parent)
        self.setObjectName("setupDialog")
        self.setWindowTitle("Create the administrator account")
        intro = QLabel(
            "<b>Create the administrator account</b><br>This gallery has no operator accounts "
            "yet. The administrator adds officers, examiners and the other users, and sets "
            "the disposition thresholds."
        )
        intro.setWordWrap(True)
        self.user_edit = QLineEdit("admin")
        self.user_edit.setObjectName("setupUserEdit")
        self.password_edit = _password_edit("setupPasswordEdit")
        self.password_edit.setPlaceholderText(f"at least {MIN_PASSWORD} characters")
        self.confirm_edit = _password_edit("setupConfirmEdit")
        self.create_button = QPushButton("&Create administrator")
        self.create_button.setObjectName("setupCreateButton")
        self.create_button.clicked.connect(self.create)
        self._lay_out(
            intro,
            [
                ("&User name:", self.user_edit),
                ("&Password:", self.password_edit),
                ("&Repeat password:", self.confirm_edit),
            ],
            self.create_button,
            "setupCancelButton",
            _error_label("setupErrorLabel"),
        )
        self.password_edit.setFocus()

    def create(self) -> None:
        """Create the administrator from the fields, or say what to change."""
        if self.password_edit.text() != self.confirm_edit.text():
            self._fail("The two passwords differ: type the same password twice.")
            return
        try:
            self.operator = self.accounts.create_first_administrator(
                self.user_edit.text(), self.password_edit.text()
            )
        except (ValueError, RoleError, GalleryError) as exc:
            self._fail(f"The account could not be created: {exc}")
            return
        self.accept()


class LoginDialog(_SignInDialog):
    """Sign in with a user name and password; a refusal is shown in ``loginErrorLabel``.

    Accepted, :attr:`operator` is the signed-in operator.
    """

    def __init__(self, accounts: AccountService, parent: QWidget | None = None) -> None:
        super().__init__(accounts, parent)
        self.setObjectName("loginDialog")
        self.setWindowTitle("Sign in — Booking Station")
        self.user_edit = QLineEdit()
        self.user_edit.setObjectName("loginUserEdit")
        self.password_edit = _password_edit("loginPasswordEdit")
        self.login_button = QPushButton("&Sign in")
        self.login_button.setObjectName("loginButton")
        self.login_button.clicked.connect(self.login)
        self._lay_out(
            QLabel("<b>Sign in to the booking station</b>"),
            [("&User name:", self.user_edit), ("&Password:", self.password_edit)],
            self.login_button,
            "loginCancelButton",
            _error_label("loginErrorLabel"),
        )
        self.user_edit.setFocus()

    def login(self) -> None:
        """Authenticate with the fields; on refusal clear the password and say why."""
        try:
            self.operator = self.accounts.authenticate(
                self.user_edit.text(), self.password_edit.text()
            )
        except (AuthError, GalleryError) as exc:
            self.password_edit.clear()
            self.password_edit.setFocus()
            self._fail(f"Sign-in refused: {exc}.")
            return
        self.accept()


class UsersDialog(QDialog):
    """The administrator's list of accounts, with add, roles, password, unlock, disable.

    Every change goes through :class:`~station.service.accounts.AccountService`, which
    checks the role again and writes the audit row.
    """

    def __init__(
        self, accounts: AccountService, admin: Operator, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("usersDialog")
        self.setWindowTitle("Users")
        self.accounts = accounts
        self.admin = admin

        self.table = QTableWidget(0, 4)
        self.table.setObjectName("usersTable")
        self.table.setHorizontalHeaderLabels(["User", "Name", "Roles", "State"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selected)

        self.user_edit = QLineEdit()
        self.user_edit.setObjectName("newUserEdit")
        self.display_edit = QLineEdit()
        self.display_edit.setObjectName("newDisplayNameEdit")
        self.password_edit = _password_edit("newPasswordEdit")
        self.password_edit.setPlaceholderText(f"at least {MIN_PASSWORD} characters")
        self.role_checks: dict[Role, QCheckBox] = {}
        roles = QGridLayout()
        for i, role in enumerate(Role):
            check = QCheckBox(role.value)
            check.setObjectName(f"role{role.value.capitalize()}Check")
            self.role_checks[role] = check
            roles.addWidget(check, i // 3, i % 3)

        def button(text: str, name: str, tip: str, slot) -> QPushButton:
            b = QPushButton(text)
            b.setObjectName(name)
            b.setToolTip(tip)
            b.setAutoDefault(False)
            b.clicked.connect(slot)
            return b

        self.add_button = button(
            "&Add user",
            "addUserButton",
            "Add the user named above with the roles ticked",
            self.add_user,
        )
        self.roles_button = button(
            "Set &roles",
            "setRolesButton",
            "Give the selected user the roles ticked",
            self.set_roles,
        )
        self.password_button = button(
            "Reset &password",
            "resetPasswordButton",
            "Give the selected user the password typed above (also unlocks)",
            self.reset_password,
        )
        self.unlock_button = button(
            "&Unlock",
            "unlockUserButton",
            "Clear the selected user's failed sign-ins",
            self.unlock,
        )
        self.disable_button = button(
            "&Disable",
            "disableUserButton",
            "The selected user can no longer sign in",
            self.disable,
        )
        self.error_label = _error_label("usersErrorLabel")
        self.status_label = QLabel()
        self.status_label.setObjectName("usersStatusLabel")
        self.status_label.setStyleSheet("color: #1b5e20;")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        edit = QGroupBox("User")
        form = QFormLayout(edit)
        form.addRow("User &name:", self.user_edit)
        form.addRow("Display na&me:", self.display_edit)
        form.addRow("Pass&word:", self.password_edit)
        form.addRow("Roles:", roles)
        actions = QHBoxLayout()
        for b in (
            self.add_button,
            self.roles_button,
            self.password_button,
            self.unlock_button,
            self.disable_button,
        ):
            actions.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(edit)
        layout.addLayout(actions)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addWidget(close)
        self.resize(720, 520)
        self.refresh()

    # --- state ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the table from the gallery."""
        now = self.accounts.clock()
        users = self.accounts.users(self.admin)
        self.table.setRowCount(len(users))
        for row, account in enumerate(users):
            state = (
                "disabled" if account.disabled_at else "locked" if account.locked(now) else "active"
            )
            for col, text in enumerate(
                (account.username, account.display_name, account.role_text, state)
            ):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self._selected()

    def selected_user(self) -> str | None:
        """The user name of the selected row, if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return None if item is None else item.text()

    def select(self, username: str) -> None:
        """Select ``username``'s row."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text().casefold() == username.casefold():
                self.table.selectRow(row)
                return

    def _selected(self) -> None:
        name = self.selected_user()
        for b in (self.roles_button, self.password_button, self.unlock_button):
            b.setEnabled(name is not None)
        self.disable_button.setEnabled(name is not None)
        if name is None:
            return
        row = self.table.selectionModel().selectedRows()[0].row()
        roles = self.table.item(row, 2).text().split(", ")
        for role, check in self.role_checks.items():
            check.setChecked(role.value in roles)
        self.user_edit.setText(name)

    def _roles(self) -> list[Role]:
        return [role for role, check in self.role_checks.items() if check.isChecked()]

    def _run(self, what: str, call) -> None:
        try:
            account = call()
        except (ValueError, RoleError, GalleryError) as exc:
            self.status_label.clear()
            self.error_label.setText(f"{what} failed: {exc}")
            self.error_label.show()
            return
        self.error_label.hide()
        self.password_edit.clear()
        self.status_label.setText(f"{what}: {account.username} ({account.role_text}).")
        self.refresh()
        self.select(account.username)

    # --- actions --------------------------------------------------------------------------

    def add_user(self) -> None:
        """Add the user typed in with the roles ticked."""
        self._run(
            "Add user",
            lambda: self.accounts.add_user(
                self.admin,
                self.user_edit.text(),
                self.password_edit.text(),
                self._roles(),
                display_name=self.display_edit.text().strip() or None,
            ),
        )

    def set_roles(self) -> None:
        """Give the selected user the roles ticked."""
        name = self.selected_user() or ""
        self._run("Set roles", lambda: self.accounts.set_roles(self.admin, name, self._roles()))

    def reset_password(self) -> None:
        """Give the selected user the password typed in."""
        name = self.selected_user() or ""
        self._run(
            "Reset password",
            lambda: self.accounts.reset_password(self.admin, name, self.password_edit.text()),
        )

    def unlock(self) -> None:
        """Unlock the selected user."""
        name = self.selected_user() or ""
        self._run("Unlock", lambda: self.accounts.unlock(self.admin, name))

    def disable(self) -> None:
        """Disable the selected user."""
        name = self.selected_user() or ""
        self._run("Disable", lambda: self.accounts.disable(self.admin, name))
