"""Operator accounts: password hashing, sign-in and lock-out, set-up mode, roles, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from station.core.disposition import DispositionPolicy
from station.core.vocabulary import Decision, Disposition, Role
from station.gallery import Gallery, open_gallery
from station.service import (
    AccountService,
    AuthError,
    BookingService,
    Operator,
    Permission,
    RoleError,
    authorize,
)
from station.service.accounts import (
    MAX_FAILURES,
    PERMISSIONS,
    hash_password,
    parse_roles,
    verify_password,
)
from station.service.drive import book_synthetic

PASSWORD = "correct horse"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def empty(tmp_path: Path):
    with open_gallery(tmp_path / "g.sqlite") as gallery:
        yield gallery


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def accounts(empty: Gallery, clock: Clock) -> AccountService:
    return AccountService(empty, clock=clock)


@pytest.fixture
def admin(accounts: AccountService) -> Operator:
    return accounts.create_first_administrator("root", PASSWORD, display_name="Ada Root")


# --- hashing --------------------------------------------------------------------------------


def test_hash_round_trip_and_format() -> None:
    salt = bytes(range(16))
    stored = hash_password(PASSWORD, salt=salt)
    kind, n, r, p, salt64, key64 = stored.split("$")
    assert (kind, n, r, p, salt64) == ("scrypt", "16384", "8", "1", "AAECAwQFBgcICQoLDA0ODw==")
    assert len(key64) == 44  # 32 bytes in base64
    assert hash_password(PASSWORD, salt=salt) == stored  # deterministic given the salt
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # random salts
    assert verify_password(PASSWORD, stored)
    assert not verify_password("correct horsE", stored)
    assert not verify_password(PASSWORD, stored.replace("$16384$", "$16$"))  # parameters bound
    for broken in ("", "scrypt$1$8$1$AA==$AA==", "md5$x", "scrypt$16384$8$1$!!$!!", stored[:-4]):
        assert not verify_password(PASSWORD, broken)


def test_short_password_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too short: use at least 8 characters"):
        hash_password("seven77")


def test_parse_roles() -> None:
    assert parse_roles("Examiner, officer") == {Role.EXAMINER, Role.OFFICER}
    with pytest.raises(ValueError, match="role"):
        parse_roles("sheriff")
    with pytest.raises(ValueError, match="at least one role"):
        parse_roles(" , ")


# --- set-up mode and sign-in ----------------------------------------------------------------


def test_setup_mode_ends_after_the_first_administrator(accounts: AccountService) -> None:
    assert accounts.setup_mode()
    op = accounts.create_first_administrator("root", PASSWORD)
    assert op == Operator("root", "root", frozenset({Role.ADMINISTRATOR}))
    assert not accounts.setup_mode()
    with pytest.raises(RoleError, match="has accounts already"):
        accounts.create_first_administrator("second", PASSWORD)
    assert [a.username for a in accounts.users(op)] == ["root"]


def test_authenticate_right_and_wrong(accounts: AccountService, admin: Operator) -> None:
    assert accounts.authenticate("ROOT", PASSWORD) == admin  # user names ignore case
    with pytest.raises(AuthError) as wrong:
        accounts.authenticate("root", "not the password")
    with pytest.raises(AuthError) as unknown:
        accounts.authenticate("nobody", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == "wrong user name or password"


def test_lock_out_after_five_failures_and_unlock(
    accounts: AccountService, admin: Operator, clock: Clock
) -> None:
    accounts.add_user(admin, "olga", PASSWORD, "officer")
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthError, match=r"^wrong user name or password$"):
            accounts.authenticate("olga", "bad password")
    with pytest.raises(AuthError, match="locked after 5 wrong passwords: try again in 15 min"):
        accounts.authenticate("olga", "bad password")
    clock.advance(minutes=5)
    with pytest.raises(AuthError, match=r"locked .* try again in 10 minutes"):
        accounts.authenticate("olga", PASSWORD)  # even the right password
    clock.advance(minutes=10, seconds=1)
    assert accounts.authenticate("olga", PASSWORD).username == "olga"
    # locked again, then unlocked by an administrator before the 15 minutes are up
    for _ in range(MAX_FAILURES):
        with pytest.raises(AuthError):
            accounts.authenticate("olga", "bad password")
    (olga,) = [a for a in accounts.users(admin) if a.username == "olga"]
    assert olga.failed_attempts == 5 and olga.locked(clock())
    assert accounts.unlock(admin, "olga").failed_attempts == 0
    assert accounts.authenticate("olga", PASSWORD).roles == {Role.OFFICER}


def test_failures_count_only_in_a_row(accounts: AccountService, admin: Operator) -> None:
    accounts.add_user(admin, "olga", PASSWORD, "officer")
    for _ in range(3):
        with pytest.raises(AuthError):
            accounts.authenticate("olga", "bad password")
    accounts.authenticate("olga", PASSWORD)
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(AuthError, match=r"^wrong"):
            accounts.authenticate("olga", "bad password")


def test_disabled_account_cannot_sign_in_or_act(accounts: AccountService, admin: Operator) -> None:
    olga = Operator("olga", "olga", frozenset({Role.OFFICER}))
    accounts.add_user(admin, "olga", PASSWORD, ["officer"])
    authorize(accounts.gallery, olga, Permission.BOOK)
    accounts.disable(admin, "olga")
    with pytest.raises(AuthError, match="olga is disabled"):
        accounts.authenticate("olga", PASSWORD)
    with pytest.raises(RoleError, match="'olga' is disabled"):
        authorize(accounts.gallery, olga, Permission.BOOK)


def test_the_last_administrator_stays(accounts: AccountService, admin: Operator) -> None:
    with pytest.raises(ValueError, match="last administrator"):
        accounts.disable(admin, "root")
    with pytest.raises(ValueError, match="last administrator"):
        accounts.set_roles(admin, "root", "officer")
    accounts.add_user(admin, "second", PASSWORD, "administrator")
    assert accounts.set_roles(admin, "root", "officer").roles == {Role.OFFICER}


# --- roles ----------------------------------------------------------------------------------


def test_permission_table() -> None:
    assert PERMISSIONS[Permission.DECIDE] == {Role.EXAMINER}
    assert PERMISSIONS[Permission.MANAGE_USERS] == {Role.ADMINISTRATOR}
    assert PERMISSIONS[Permission.CHANGE_THRESHOLDS] == {Role.ADMINISTRATOR}
    assert Role.EXAMINER not in PERMISSIONS[Permission.BOOK]
    assert {Role.OFFICER, Role.TRAINEE} <= PERMISSIONS[Permission.BOOK]


def test_only_an_administrator_manages_users(accounts: AccountService, admin: Operator) -> None:
    accounts.add_user(admin, "olga", PASSWORD, "officer,instructor")
    olga = accounts.authenticate("olga", PASSWORD)
    message = "managing user accounts needs the administrator role; olga has officer, instructor"
    for call in (
        lambda: accounts.add_user(olga, "eve", PASSWORD, "administrator"),
        lambda: accounts.set_roles(olga, "olga", "administrator"),
        lambda: accounts.reset_password(olga, "root", "new password"),
        lambda: accounts.unlock(olga, "olga"),
        lambda: accounts.disable(olga, "root"),
        lambda: accounts.users(olga),
    ):
        with pytest.raises(RoleError, match=f"^{message}$"):
            call()
    # a role granted takes effect at once, without signing in again
    accounts.set_roles(admin, "olga", "administrator")
    assert len(accounts.users(olga)) == 2
    with pytest.raises(ValueError, match="'OLGA' is taken"):
        accounts.add_user(admin, "OLGA", PASSWORD, "officer")


def test_reset_password(accounts: AccountService, admin: Operator) -> None:
    accounts.add_user(admin, "olga", PASSWORD, "officer")
    accounts.reset_password(admin, "olga", "a new password")
    with pytest.raises(AuthError):
        accounts.authenticate("olga", PASSWORD)
    assert accounts.authenticate("olga", "a new password").username == "olga"


def test_nobody_signed_in_only_in_setup_mode(accounts: AccountService) -> None:
    service = BookingService(accounts.gallery, operator=None)
    booking = service.open_booking({"last_name": "Setup"})
    assert accounts.gallery.booking(booking)["operator"] == "officer"
    accounts.create_first_administrator("root", PASSWORD)
    with pytest.raises(RoleError, match="needs a signed-in operator"):
        service.open_booking({"last_name": "Late"})
    with pytest.raises(RoleError, match="needs a signed-in operator"):
        BookingService(accounts.gallery, operator="officer 7").open_booking({})


def test_thresholds_only_by_an_administrator(accounts: AccountService, admin: Operator) -> None:
    accounts.add_user(admin, "olga", PASSWORD, "officer")
    olga = accounts.authenticate("olga", PASSWORD)
    service = BookingService(accounts.gallery, operator=olga)
    service.set_policy(DispositionPolicy())  # the same policy: nothing changes
    with pytest.raises(RoleError, match="changing the disposition thresholds needs the admin"):
        service.set_policy(DispositionPolicy(hit=0.5))
    assert service.policy == DispositionPolicy()
    service.operator = admin
    service.set_policy(DispositionPolicy(hit=0.5))
    assert service.policy.hit == 0.5


def test_account_changes_are_audited_and_chained(accounts: AccountService, admin: Operator) -> None:
    accounts.add_user(admin, "olga", PASSWORD, "officer")
    accounts.authenticate("olga", PASSWORD)
    with pytest.raises(AuthError):
        accounts.authenticate("olga", "bad password")
    accounts.set_roles(admin, "olga", "officer,trainee")
    accounts.unlock(admin, "olga")
    accounts.disable(admin, "olga")
    rows = [(r["actor"], r["action"]) for r in accounts.gallery.audit_log()]
    assert rows == [
        ("root", "create first administrator"),
        ("root", "add user"),
        ("olga", "sign in"),
        ("station", "sign-in failed"),
        ("root", "set roles"),
        ("root", "unlock account"),
        ("root", "disable account"),
    ]
    assert accounts.gallery.audit_log()[4]["detail"] == {
        "username": "olga",
        "roles": ["officer", "trainee"],
        "was": ["officer"],
    }
    assert accounts.gallery.verify().ok


# --- roles in a booking ---------------------------------------------------------------------


def test_decide_needs_the_examiner_and_audit_names_the_user(
    gallery_copy: Path, enrolled: list[int]
) -> None:
    with open_gallery(gallery_copy) as gallery:
        accounts = AccountService(gallery)
        admin = accounts.create_first_administrator("root", PASSWORD)
        accounts.add_user(admin, "olga", PASSWORD, "officer")
        accounts.add_user(admin, "eric", PASSWORD, "examiner")
        olga = accounts.authenticate("olga", PASSWORD)
        eric = accounts.authenticate("eric", PASSWORD)
        policy = DispositionPolicy(hit=50.0, review=0.25)
        officer = BookingService(gallery, policy=policy, operator=olga)
        report = book_synthetic(officer, enrolled[0], slaps=False)
        assert report.response.disposition is Disposition.REVIEW
        top = report.response.candidates[0]
        with pytest.raises(RoleError, match="needs the examiner role; olga has officer"):
            officer.decide(report.booking_id, decision=Decision.CONFIRM, subject_id=top.subject_id)
        examiner = BookingService(gallery, policy=policy, operator=eric)
        refusal = (
            r"booking \(open, capture, submit, enrol\) needs the officer, instructor, "
            "trainee, administrator role; eric has examiner"
        )
        with pytest.raises(RoleError, match=refusal):
            examiner.open_booking({"last_name": "Nope"})
        with pytest.raises(RoleError, match=r"examiner is the signed-in operator \(eric\)"):
            examiner.decide(
                report.booking_id,
                decision=Decision.CONFIRM,
                subject_id=top.subject_id,
                examiner="someone else",
            )
        outcome = examiner.decide(
            report.booking_id,
            decision=Decision.CONFIRM,
            subject_id=top.subject_id,
            note="same ridge detail on R1 and R2",
        )
        assert outcome.disposition is Disposition.HIT
        assert gallery.decisions(report.booking_id)[0]["examiner"] == "eric"
        officer.enrol(report.booking_id)
        booking_rows = gallery.audit_log(booking_id=report.booking_id)
        actors = {(r["action"], r["actor"]) for r in booking_rows}
        assert {r["actor"] for r in booking_rows} == {"olga", "eric"}
        assert ("confirm candidate", "eric") in actors and ("response", "olga") in actors
        assert gallery.booking(report.booking_id)["operator"] == "olga"
        assert gallery.verify().ok


def test_writing_a_transaction_file_is_an_administrators_job(
    gallery_copy: Path, enrolled: list[int], tmp_path: Path
) -> None:
    from station.service.transactions import write_booking_transaction

    with open_gallery(gallery_copy) as gallery:
        accounts = AccountService(gallery)
        admin = accounts.create_first_administrator("root", PASSWORD)
        accounts.add_user(admin, "olga", PASSWORD, "officer")
        olga = accounts.authenticate("olga", PASSWORD)
        officer = BookingService(gallery, operator=olga)
        booking_id = book_synthetic(officer, enrolled[0], slaps=False).booking_id
        out = tmp_path / "car.eft"
        with pytest.raises(RoleError, match="exporting or purging gallery data needs the admin"):
            write_booking_transaction(officer, booking_id, out)
        assert not out.exists()  # refused before anything is written
        as_admin = BookingService(gallery, operator=admin)
        written = write_booking_transaction(as_admin, booking_id, out)
        assert written.tot == "CAR" and out.stat().st_size == written.size
