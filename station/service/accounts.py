"""Operator accounts: sign-in, lock-out, roles and what each role may do.

A gallery with no accounts is in *set-up mode*: headless commands work as they always did and
the GUI asks for a first administrator. Once an account exists, every service call that
changes something names an authenticated :class:`Operator`, and :func:`authorize` checks it
against the one role → permission table, :data:`PERMISSIONS`:

======================  ==========================================================
permission              roles
======================  ==========================================================
``book``                officer, trainee, instructor, administrator
``decide``              examiner
``manage users``        administrator
``change thresholds``   administrator
``export``              administrator
``seed``                instructor, administrator
``explore thresholds``  instructor, administrator
======================  ==========================================================

Passwords are hashed with scrypt (memory-hard; RFC 7914) through :func:`hashlib.scrypt`
(OpenSSL's implementation) with N = 2**14, r = 8, p = 1 and a 16-byte random salt, stored
as the self-describing string ``scrypt$N$r$p$salt$hash`` (salt and hash in base64), and
compared in constant time. Five wrong passwords in a row lock an account for 15 minutes.

The check is made where the work is done, in the services, not only in a user interface; it
is a guard for honest software, not against code running in the same process (that could
write to the gallery directly).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from station.core.vocabulary import Role
from station.gallery import Gallery, GalleryError
from station.gallery.accounts import check_username

__all__ = [
    "LOCKOUT",
    "MAX_FAILURES",
    "MIN_PASSWORD",
    "PERMISSIONS",
    "Account",
    "AccountService",
    "AuthError",
    "Operator",
    "Permission",
    "RoleError",
    "authorize",
    "hash_password",
    "parse_roles",
    "verify_password",
]

log = logging.getLogger(__name__)

#: Shortest password accepted, in characters.
MIN_PASSWORD = 8
#: Longest password accepted (hashing a megabyte would be a denial of service).
MAX_PASSWORD = 1024
#: Consecutive wrong passwords that lock an account.
MAX_FAILURES = 5
#: How long a locked account stays locked.
LOCKOUT = timedelta(minutes=15)

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SALT_BYTES, _KEY_BYTES = 16, 32
_MAXMEM = 64 * 1024 * 1024
_WRONG = "wrong user name or password"


class Permission(StrEnum):
    """Something an operator may be allowed to do."""

    BOOK = "book"
    DECIDE = "decide"
    MANAGE_USERS = "manage users"
    CHANGE_THRESHOLDS = "change thresholds"
    EXPORT = "export"
    SEED = "seed"
    EXPLORE_THRESHOLDS = "explore thresholds"
    TRAIN = "train"
    INSTRUCT = "instruct"


#: The one role → permission table: who may do what once the gallery has accounts.
PERMISSIONS: Mapping[Permission, frozenset[Role]] = {
    Permission.BOOK: frozenset((Role.OFFICER, Role.TRAINEE, Role.INSTRUCTOR, Role.ADMINISTRATOR)),
    Permission.DECIDE: frozenset((Role.EXAMINER,)),
    Permission.MANAGE_USERS: frozenset((Role.ADMINISTRATOR,)),
    Permission.CHANGE_THRESHOLDS: frozenset((Role.ADMINISTRATOR,)),
    Permission.EXPORT: frozenset((Role.ADMINISTRATOR,)),
    Permission.SEED: frozenset((Role.INSTRUCTOR, Role.ADMINISTRATOR)),
    Permission.EXPLORE_THRESHOLDS: frozenset((Role.INSTRUCTOR, Role.ADMINISTRATOR)),
    # Training (issue 15): book a scored training scenario; see the scenarios' instructor
    # briefs and score a run in a trainee's name.
    Permission.TRAIN: frozenset((Role.TRAINEE, Role.INSTRUCTOR)),
    Permission.INSTRUCT: frozenset((Role.INSTRUCTOR, Role.ADMINISTRATOR)),
}

_DOING = {
    Permission.BOOK: "booking (open, capture, submit, enrol)",
    Permission.DECIDE: "confirming or rejecting a candidate",
    Permission.MANAGE_USERS: "managing user accounts",
    Permission.CHANGE_THRESHOLDS: "changing the disposition thresholds",
    Permission.EXPORT: "exporting or purging gallery data",
    Permission.SEED: "seeding synthetic subjects into the gallery",
    Permission.EXPLORE_THRESHOLDS: "exploring the gallery's score distributions and thresholds",
    Permission.TRAIN: "training (a scored training booking)",
    Permission.INSTRUCT: "instructing (scenario briefs, scoring for a trainee)",
}


class AuthError(Exception):
    """Sign-in refused (wrong user name or password, locked or disabled account)."""


class RoleError(Exception):
    """The operator's roles do not allow what was asked (or nobody is signed in).

    Not a ``PermissionError``: that is an ``OSError``, which file-handling code catches.
    """


def _role_list(roles: Iterable[Role]) -> str:
    return ", ".join(r.value for r in sorted(roles, key=list(Role).index)) or "none"


@dataclass(frozen=True)
class Operator:
    """An authenticated operator (what :meth:`AccountService.authenticate` returns).

    Attributes
    ----------
    username : str
        Written into every audit row the operator causes.
    display_name : str
    roles : frozenset of Role
    """

    username: str
    display_name: str
    roles: frozenset[Role]

    def has(self, role: Role) -> bool:
        """Whether the operator holds ``role``."""
        return role in self.roles

    def can(self, permission: Permission) -> bool:
        """Whether the operator's roles allow ``permission`` (:data:`PERMISSIONS`)."""
        return bool(self.roles & PERMISSIONS[permission])

    @property
    def role_text(self) -> str:
        """The roles, comma-separated in :class:`Role` order."""
        return _role_list(self.roles)


@dataclass(frozen=True)
class Account:
    """An account as an administrator sees it (no password hash).

    Attributes
    ----------
    username, display_name : str
    roles : frozenset of Role
    failed_attempts : int
        Consecutive wrong passwords.
    locked_until : datetime or None
        UTC; the account refuses sign-in until then.
    created_at : str
    disabled_at : str or None
        When it was disabled (a disabled account cannot sign in).
    """

    username: str
    display_name: str
    roles: frozenset[Role]
    failed_attempts: int
    locked_until: datetime | None
    created_at: str
    disabled_at: str | None

    def locked(self, now: datetime) -> bool:
        """Whether the account is locked at ``now``."""
        return self.locked_until is not None and now < self.locked_until

    @property
    def role_text(self) -> str:
        """The roles, comma-separated in :class:`Role` order."""
        return _role_list(self.roles)


def parse_roles(roles: Iterable[object] | str) -> frozenset[Role]:
    """Role codes (any case; a string may list them comma-separated) as a set of ``Role``.

    Examples
    --------
    >>> sorted(parse_roles("Examiner, officer"))
    [<Role.OFFICER: 'officer'>, <Role.EXAMINER: 'examiner'>]
    """
    items = roles.split(",") if isinstance(roles, str) else list(roles)
    parsed = frozenset(Role.parse(str(r).strip(), what="role") for r in items if str(r).strip())
    if not parsed:
        raise ValueError(f"name at least one role ({', '.join(Role)})")
    return parsed


# --- password hashing -------------------------------------------------------------------------


def _check_password(password: object) -> str:
    if not isinstance(password, str):
        raise ValueError("the password must be text")
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValueError(f"the password is too long: at most {MAX_PASSWORD} characters")
    return password


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, size: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=size
    )


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """Hash a password for storage: ``scrypt$N$r$p$salt$hash`` (base64 salt and hash).

    Parameters
    ----------
    password : str
        At least :data:`MIN_PASSWORD` characters.
    salt : bytes, optional
        16 random bytes when not given (give one only to reproduce a hash in a test).

    Examples
    --------
    >>> stored = hash_password("correct horse")
    >>> stored.split("$")[:4]
    ['scrypt', '16384', '8', '1']
    >>> verify_password("correct horse", stored), verify_password("wrong horse", stored)
    (True, False)
    """
    password = _check_password(password)
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else bytes(salt)
    if len(salt) < 8:
        raise ValueError("the salt must be at least 8 bytes")
    key = _scrypt(password, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P, _KEY_BYTES)
    b64 = base64.b64encode
    return (
        f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}$"
        f"{b64(salt).decode('ascii')}${b64(key).decode('ascii')}"
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored ``scrypt$…`` hash (constant-time compare).

    A malformed stored hash, or parameters beyond what this station would use, never match.
    """
    if not isinstance(password, str) or not isinstance(stored, str):
        return False
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = (int(v) for v in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        key = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return False
    if not (2 <= n <= 2**20 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    if len(key) != _KEY_BYTES or len(password) > MAX_PASSWORD:  # a cut key is a prefix
        return False
    try:
        candidate = _scrypt(password, salt, n, r, p, len(key))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(candidate, key)


_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash to verify against for an unknown user, so the answer takes as long."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


# --- authorisation ----------------------------------------------------------------------------


def authorize(gallery: Gallery, operator: Operator | None, permission: Permission) -> None:
    """Check that ``operator`` may do ``permission`` on ``gallery`` now.

    ``None`` (nobody signed in) is allowed only while the gallery has no accounts (set-up
    mode). A signed-in operator's roles are read again from the gallery, so a role removed
    or an account disabled since sign-in takes effect at once.

    Raises
    ------
    RoleError
        With a sentence saying who may do it.
    """
    permission = Permission(permission)
    allowed = PERMISSIONS[permission]
    doing = _DOING[permission]
    if operator is None:
        if gallery.account_count() == 0:
            return
        raise RoleError(
            f"{doing} needs a signed-in operator: the gallery has operator accounts "
            f"(sign in as a user with the {_role_list(allowed)} role)"
        )
    if not isinstance(operator, Operator):
        raise TypeError(f"operator must be an Operator or None, got {type(operator).__name__}")
    row = gallery.account(operator.username)
    if row is None or row["disabled_at"] is not None:
        state = "does not exist" if row is None else "is disabled"
        raise RoleError(f"{doing} refused: the account {operator.username!r} {state}")
    roles = frozenset(row["roles"])
    if not roles & allowed:
        raise RoleError(
            f"{doing} needs the {_role_list(allowed)} role; {operator.username} has "
            f"{_role_list(roles)}"
        )


# --- the service ------------------------------------------------------------------------------


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _moment(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GalleryError(f"an account's lock time is damaged: {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _to_account(row: Mapping[str, Any]) -> Account:
    return Account(
        username=row["username"],
        display_name=row["display_name"],
        roles=frozenset(row["roles"]),
        failed_attempts=int(row["failed_attempts"]),
        locked_until=_moment(row["locked_until"]),
        created_at=row["created_at"],
        disabled_at=row["disabled_at"],
    )


def _to_operator(row: Mapping[str, Any]) -> Operator:
    return Operator(row["username"], row["display_name"], frozenset(row["roles"]))


class AccountService:
    """Accounts of one gallery: set-up, sign-in with lock-out, user management.

    Parameters
    ----------
    gallery : Gallery
        Open for writing (sign-in records failures and audit rows).
    clock : callable, optional
        Returns the current time as an aware ``datetime`` (injected by tests).

    Examples
    --------
    >>> accounts = AccountService(gallery)  # doctest: +SKIP
    >>> if accounts.setup_mode():  # doctest: +SKIP
    ...     accounts.create_first_administrator("admin", "a long password")
    >>> operator = accounts.authenticate("admin", "a long password")  # doctest: +SKIP
    """

    def __init__(self, gallery: Gallery, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.gallery = gallery
        self.clock = clock

    def _now(self) -> datetime:
        now = self.clock()
        return now if now.tzinfo else now.replace(tzinfo=UTC)

    def setup_mode(self) -> bool:
        """Whether the gallery has no accounts yet (anyone may book; the GUI asks for an
        administrator first)."""
        return self.gallery.account_count() == 0

    # --- set-up and sign-in -------------------------------------------------------------------

    def create_first_administrator(
        self, username: str, password: str, *, display_name: str | None = None
    ) -> Operator:
        """Create the first account, an administrator; only in set-up mode.

        Returns
        -------
        Operator
            The new administrator, signed in.

        Raises
        ------
        ValueError
            A bad user name or a short password.
        RoleError
            The gallery has accounts already.
        """
        username = check_username(username)
        stored = hash_password(password)
        with self.gallery.transaction():
            if not self.setup_mode():
                raise RoleError("the gallery has accounts already: an administrator adds users")
            self.gallery.add_account(
                username,
                display_name=display_name or username,
                roles=[Role.ADMINISTRATOR],
                password_hash=stored,
            )
            self.gallery.audit(
                "create first administrator",
                actor=username,
                detail={"username": username, "roles": [Role.ADMINISTRATOR.value]},
            )
            row = self.gallery.account(username)
        assert row is not None
        log.info("first administrator %s created", username)
        return _to_operator(row)

    def authenticate(self, username: str, password: str) -> Operator:
        """Sign in.

        Five wrong passwords in a row lock the account for 15 minutes; a right password
        resets the count. Every attempt is audited (failures under the actor ``station``).

        Returns
        -------
        Operator

        Raises
        ------
        AuthError
            ``wrong user name or password`` (the same for an unknown user), or the account is
            locked (until when) or disabled.
        """
        name = username.strip() if isinstance(username, str) else ""
        typed = name[:64]
        row = self.gallery.account(name, password_hash=True) if name else None
        now = self._now()
        if row is None:
            verify_password(password if isinstance(password, str) else "", _dummy())
            self.gallery.audit("sign-in failed", actor="station", detail={"username": typed})
            raise AuthError(_WRONG)
        account = _to_account(row)
        if account.locked(now):
            assert account.locked_until is not None
            self.gallery.audit(
                "sign-in refused: locked", actor="station", detail={"username": row["username"]}
            )
            raise AuthError(_locked_message(row["username"], account.locked_until, now))
        if not verify_password(password if isinstance(password, str) else "", row["password_hash"]):
            self._failed(row, account, now)
        if account.disabled_at is not None:
            self.gallery.audit(
                "sign-in refused: disabled", actor="station", detail={"username": row["username"]}
            )
            raise AuthError(f"the account {row['username']} is disabled: ask an administrator")
        with self.gallery.transaction():
            if account.failed_attempts or account.locked_until is not None:
                self.gallery.update_account(row["username"], failed_attempts=0, locked_until=None)
            self.gallery.audit("sign in", actor=row["username"])
        log.info("%s signed in", row["username"])
        return _to_operator(row)

    def _failed(self, row: Mapping[str, Any], account: Account, now: datetime) -> None:
        expired = account.locked_until is not None  # (not locked now: checked before)
        failures = (0 if expired else account.failed_attempts) + 1
        locked = failures >= MAX_FAILURES
        until = now + LOCKOUT if locked else None
        with self.gallery.transaction():
            self.gallery.update_account(
                row["username"],
                failed_attempts=failures,
                locked_until=None if until is None else _stamp(until),
            )
            self.gallery.audit(
                "sign-in failed",
                actor="station",
                detail={"username": row["username"], "failures": failures},
            )
            if locked:
                self.gallery.audit(
                    "account locked",
                    actor="station",
                    detail={"username": row["username"], "until": _stamp(now + LOCKOUT)},
                )
        if until is not None:
            log.warning("account %s locked after %d failed sign-ins", row["username"], failures)
            raise AuthError(_locked_message(row["username"], until, now))
        raise AuthError(_WRONG)

    # --- administration -----------------------------------------------------------------------

    def _admin(self, admin: Operator) -> None:
        authorize(self.gallery, admin, Permission.MANAGE_USERS)

    def _row(self, username: str) -> dict[str, Any]:
        row = self.gallery.account(username) if isinstance(username, str) else None
        if row is None:
            raise ValueError(f"no user {username!r}")
        return row

    def _active_admins(self) -> list[str]:
        return [
            a["username"]
            for a in self.gallery.accounts()
            if Role.ADMINISTRATOR in a["roles"] and a["disabled_at"] is None
        ]

    def users(self, admin: Operator) -> list[Account]:
        """Every account, by user name (administrator only)."""
        self._admin(admin)
        return [_to_account(row) for row in self.gallery.accounts()]

    def add_user(
        self,
        admin: Operator,
        username: str,
        password: str,
        roles: Iterable[object] | str,
        *,
        display_name: str | None = None,
    ) -> Account:
        """Add an account (administrator only).

        Raises
        ------
        RoleError
            ``admin`` is not an administrator.
        ValueError
            A bad user name, short password, unknown role, or the name is taken.
        """
        self._admin(admin)
        username = check_username(username)
        parsed = parse_roles(roles)
        stored = hash_password(password)
        with self.gallery.transaction():
            if self.gallery.account(username) is not None:
                raise ValueError(f"user name {username!r} is taken")
            self.gallery.add_account(
                username,
                display_name=display_name or username,
                roles=parsed,
                password_hash=stored,
            )
            self.gallery.audit(
                "add user",
                actor=admin.username,
                detail={"username": username, "roles": _role_list(parsed).split(", ")},
            )
            return _to_account(self._row(username))

    def set_roles(self, admin: Operator, username: str, roles: Iterable[object] | str) -> Account:
        """Replace a user's roles (administrator only; the last active administrator keeps
        the role)."""
        self._admin(admin)
        parsed = parse_roles(roles)
        with self.gallery.transaction():
            row = self._row(username)
            name = row["username"]
            if (
                Role.ADMINISTRATOR in row["roles"]
                and Role.ADMINISTRATOR not in parsed
                and self._active_admins() == [name]
            ):
                raise ValueError(f"{name} is the last administrator: make another one first")
            self.gallery.update_account(name, roles=parsed)
            self.gallery.audit(
                "set roles",
                actor=admin.username,
                detail={
                    "username": name,
                    "roles": _role_list(parsed).split(", "),
                    "was": _role_list(row["roles"]).split(", "),
                },
            )
            return _to_account(self._row(name))

    def reset_password(self, admin: Operator, username: str, password: str) -> Account:
        """Give a user a new password (administrator only); also unlocks the account."""
        self._admin(admin)
        stored = hash_password(password)
        with self.gallery.transaction():
            name = self._row(username)["username"]
            self.gallery.update_account(
                name, password_hash=stored, failed_attempts=0, locked_until=None
            )
            self.gallery.audit("reset password", actor=admin.username, detail={"username": name})
            return _to_account(self._row(name))

    def unlock(self, admin: Operator, username: str) -> Account:
        """Clear a user's failed sign-ins and lock (administrator only)."""
        self._admin(admin)
        with self.gallery.transaction():
            name = self._row(username)["username"]
            self.gallery.update_account(name, failed_attempts=0, locked_until=None)
            self.gallery.audit("unlock account", actor=admin.username, detail={"username": name})
            return _to_account(self._row(name))

    def disable(self, admin: Operator, username: str) -> Account:
        """Disable an account: it can no longer sign in (administrator only; not the last
        active administrator). Accounts are never deleted: audit rows name them."""
        self._admin(admin)
        with self.gallery.transaction():
            row = self._row(username)
            name = row["username"]
            if row["disabled_at"] is not None:
                raise ValueError(f"the account {name} is disabled already")
            if Role.ADMINISTRATOR in row["roles"] and self._active_admins() == [name]:
                raise ValueError(f"{name} is the last administrator: make another one first")
            self.gallery.update_account(name, disabled_at=_stamp(self._now()))
            self.gallery.audit("disable account", actor=admin.username, detail={"username": name})
            return _to_account(self._row(name))


def _locked_message(username: str, until: datetime, now: datetime) -> str:
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return (
        f"the account {username} is locked after {MAX_FAILURES} wrong passwords: try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''} (at {until:%H:%M} UTC) or ask an "
        "administrator to unlock it"
    )
