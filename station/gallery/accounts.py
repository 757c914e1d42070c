"""Operator accounts: user names, roles, password hashes and lock-out state (part of
:class:`Gallery`).

The store keeps rows; it does not decide who may do what, nor hash passwords — that is
:mod:`station.service.accounts`. Every insert and update is chained like the other tracked
tables, so a password hash or a role edited with another tool is found by ``verify``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from station.core.vocabulary import Role

from . import codecs
from .base import GalleryBase, guarded
from .errors import GalleryError, NotFoundError

__all__ = ["AccountStore", "check_username"]

log = logging.getLogger(__name__)

_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
_COLUMNS = (
    "id, username, display_name, roles, failed_attempts, locked_until, created_at, "
    "updated_at, disabled_at"
)
_UPDATABLE = frozenset(
    ("display_name", "roles", "password_hash", "failed_attempts", "locked_until", "disabled_at")
)


def check_username(value: object) -> str:
    """A user name: 1-64 ASCII letters, digits, ``.``, ``_``, ``@``, ``-``, starting with a
    letter or digit (``ValueError`` otherwise). Case is kept but not significant."""
    if not isinstance(value, str) or not _USERNAME.fullmatch(value.strip()):
        raise ValueError(
            f"user name must be 1-64 letters, digits, '.', '_', '@' or '-' (starting with a "
            f"letter or digit), got {value!r}"
        )
    return value.strip()


def _roles(roles: Iterable[object]) -> str:
    if isinstance(roles, str):
        raise ValueError(f"roles must be a collection of role codes, got {roles!r}")
    parsed = {Role.parse(r, what="role") for r in roles}
    if not parsed:
        raise ValueError("an account needs at least one role")
    return json.dumps(sorted(parsed, key=list(Role).index))


def _account(row: dict[str, Any]) -> dict[str, Any]:
    try:
        row["roles"] = frozenset(Role.parse(r, what="role") for r in json.loads(row["roles"]))
    except (ValueError, TypeError) as exc:
        raise GalleryError(f"account {row['username']!r} has damaged roles: {exc}") from None
    return row


class AccountStore(GalleryBase):
    """Operator accounts (part of :class:`Gallery`)."""

    @guarded
    def account_count(self) -> int:
        """How many accounts the gallery holds (disabled ones included); 0: set-up mode."""
        return int(self._scalar("SELECT count(*) FROM accounts"))

    @guarded
    def add_account(
        self,
        username: str,
        *,
        display_name: str,
        roles: Iterable[str],
        password_hash: str,
    ) -> int:
        """Add an account; returns its id.

        Parameters
        ----------
        username : str
            Unique whatever its case (see :func:`check_username`).
        display_name : str
        roles : iterable of str
            ``Role`` codes; at least one.
        password_hash : str
            ``scrypt$N$r$p$salt$hash`` (made by :mod:`station.service.accounts`).

        Raises
        ------
        ValueError
            A bad argument.
        GalleryError
            The user name is taken.
        """
        username = check_username(username)
        display_name = _display(display_name)
        roles_json = _roles(roles)
        password_hash = _hash(password_hash)
        stamp = codecs.now()
        with self.transaction():
            if self._scalar("SELECT 1 FROM accounts WHERE username = ?", (username,)):
                raise GalleryError(f"user name {username!r} is taken")
            return self._insert(
                "accounts",
                {
                    "username": username,
                    "display_name": display_name,
                    "roles": roles_json,
                    "password_hash": password_hash,
                    "failed_attempts": 0,
                    "locked_until": None,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "disabled_at": None,
                },
            )

    @guarded
    def account(self, username: str, *, password_hash: bool = False) -> dict[str, Any] | None:
        """One account by user name (any case), or ``None``.

        Returns
        -------
        account : dict or None
            ``id, username, display_name, roles`` (frozenset of ``Role``), ``failed_attempts,
            locked_until, created_at, updated_at, disabled_at`` and, with ``password_hash``,
            the stored hash.
        """
        if not isinstance(username, str):
            raise ValueError(f"user name must be text, got {username!r}")
        columns = _COLUMNS + (", password_hash" if password_hash else "")
        row = self._row(f"SELECT {columns} FROM accounts WHERE username = ?", (username.strip(),))
        return None if row is None else _account(row)

    @guarded
    def accounts(self) -> list[dict[str, Any]]:
        """Every account (without password hashes), by user name."""
        rows = self._rows(f"SELECT {_COLUMNS} FROM accounts ORDER BY username")
        return [_account(row) for row in rows]

    @guarded
    def update_account(self, username: str, /, **changes: Any) -> None:
        """Change an account's ``display_name, roles, password_hash, failed_attempts,
        locked_until`` or ``disabled_at`` (chained as an update).

        Raises
        ------
        ValueError
            An unknown field or a bad value.
        NotFoundError
            No such account.
        """
        unknown = sorted(set(changes) - _UPDATABLE)
        if unknown or not changes:
            raise ValueError(
                f"account fields that can change are {', '.join(sorted(_UPDATABLE))}; "
                f"got {', '.join(unknown) or 'none'}"
            )
        values: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "display_name":
                value = _display(value)
            elif key == "roles":
                value = _roles(value)
            elif key == "password_hash":
                value = _hash(value)
            elif key == "failed_attempts":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ValueError(f"failed_attempts must be a whole number >= 0, got {value!r}")
            elif value is not None and not isinstance(value, str):
                raise ValueError(f"{key} must be a stored time stamp or None, got {value!r}")
            values[key] = value
        values["updated_at"] = codecs.now()
        with self.transaction():
            row_id = self._scalar("SELECT id FROM accounts WHERE username = ?", (username,))
            if row_id is None:
                raise NotFoundError(f"no account {username!r} in gallery {self.path}")
            assignments = ", ".join(f"{key} = ?" for key in values)
            self._conn.execute(
                f"UPDATE accounts SET {assignments} WHERE id = ?", (*values.values(), row_id)
            )
            self._chain("accounts", int(row_id), "update")


def _display(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"display name must be non-empty text, got {value!r}")
    value = value.strip()
    if len(value) > 100 or any(not c.isprintable() for c in value):
        raise ValueError("display name must be at most 100 printable characters")
    return value


def _hash(value: object) -> str:
    if not isinstance(value, str) or not value.startswith("scrypt$") or len(value) > 400:
        raise ValueError("password hash must be a 'scrypt$N$r$p$salt$hash' string")
    return value
