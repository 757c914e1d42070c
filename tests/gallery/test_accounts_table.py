"""The accounts table (schema version 3): rows, constraints, migration, tamper evidence."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from station.core.vocabulary import Role
from station.gallery import Gallery, GalleryError, NotFoundError, VerifyReport, open_gallery
from station.gallery import connection as gallery_connection
from station.gallery.chain import TRACKED, FindingKind
from station.gallery.schema import MIGRATIONS, SCHEMA_VERSION

HASH = "scrypt$16384$8$1$AAAA$BBBB"


def _edit(path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(path)) as conn:
        for sql in statements:
            conn.execute(sql)
        conn.commit()


def test_add_and_read_accounts(gallery: Gallery) -> None:
    assert gallery.account_count() == 0
    first = gallery.add_account(
        "Olga.K", display_name="Olga K", roles=["officer", "Examiner"], password_hash=HASH
    )
    assert first == 1 and gallery.account_count() == 1
    row = gallery.account("olga.k", password_hash=True)
    assert row is not None
    assert (row["username"], row["display_name"]) == ("Olga.K", "Olga K")
    assert row["roles"] == {Role.OFFICER, Role.EXAMINER}
    assert (row["password_hash"], row["failed_attempts"], row["locked_until"]) == (HASH, 0, None)
    assert "password_hash" not in gallery.account("OLGA.K")
    assert "password_hash" not in gallery.accounts()[0]
    assert gallery.account("nobody") is None
    stored = gallery._scalar("SELECT roles FROM accounts")
    assert stored == '["officer", "examiner"]'  # Role order, once each


def test_account_arguments_are_checked(gallery: Gallery) -> None:
    gallery.add_account("olga", display_name="Olga", roles=["officer"], password_hash=HASH)
    with pytest.raises(GalleryError, match="user name 'OLGA' is taken"):
        gallery.add_account("OLGA", display_name="x", roles=["officer"], password_hash=HASH)
    with pytest.raises(ValueError, match="user name must be 1-64"):
        gallery.add_account("bad name", display_name="x", roles=["officer"], password_hash=HASH)
    with pytest.raises(ValueError, match="role"):
        gallery.add_account("eve", display_name="x", roles=["sheriff"], password_hash=HASH)
    with pytest.raises(ValueError, match="at least one role"):
        gallery.add_account("eve", display_name="x", roles=[], password_hash=HASH)
    with pytest.raises(ValueError, match="password hash"):
        gallery.add_account("eve", display_name="x", roles=["officer"], password_hash="plain")
    with pytest.raises(ValueError, match="fields that can change"):
        gallery.update_account("olga", username="eve")
    with pytest.raises(NotFoundError, match="no account 'eve'"):
        gallery.update_account("eve", failed_attempts=1)
    assert gallery.account_count() == 1


def test_the_schema_refuses_a_plain_password(gallery: Gallery) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        gallery._conn.execute(
            "INSERT INTO accounts (username, display_name, roles, password_hash, created_at, "
            "updated_at) VALUES ('eve', 'Eve', '[\"officer\"]', 'hunter22', 'now', 'now')"
        )


def test_account_writes_are_chained(gallery: Gallery) -> None:
    assert "accounts" in TRACKED
    gallery.add_account("olga", display_name="Olga", roles=["officer"], password_hash=HASH)
    gallery.update_account("olga", failed_attempts=3, locked_until="2026-03-01T12:15:00.000Z")
    gallery.update_account("olga", roles=["officer", "administrator"])
    assert gallery.verify() == VerifyReport(rows=1, entries=3)
    ops = gallery._rows("SELECT tbl, row_id, op FROM chain ORDER BY seq")
    assert [(r["tbl"], r["row_id"], r["op"]) for r in ops] == [
        ("accounts", 1, "insert"),
        ("accounts", 1, "update"),
        ("accounts", 1, "update"),
    ]


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("password_hash", "'scrypt$16384$8$1$AAAA$CCCC'"),
        ("roles", "'[\"administrator\"]'"),
        ("failed_attempts", "0"),
    ],
)
def test_verify_finds_an_edited_account(gallery_path: Path, column: str, value: str) -> None:
    with open_gallery(gallery_path) as g:
        g.add_account("olga", display_name="Olga", roles=["officer"], password_hash=HASH)
        g.update_account("olga", failed_attempts=4)
    _edit(gallery_path, f"UPDATE accounts SET {column} = {value} WHERE username = 'olga'")
    with open_gallery(gallery_path) as g:
        problem = g.verify().problem
    assert problem is not None and problem.kind is FindingKind.CHANGED
    assert problem.message == (
        "accounts row 1 was changed outside the station (it differs from chain entry 2)"
    )


def test_verify_finds_an_account_inserted_outside_the_station(gallery_path: Path) -> None:
    open_gallery(gallery_path).close()
    _edit(
        gallery_path,
        "INSERT INTO accounts (username, display_name, roles, password_hash, created_at, "
        f"updated_at) VALUES ('eve', 'Eve', '[\"administrator\"]', '{HASH}', 'now', 'now')",
    )
    with open_gallery(gallery_path) as g:
        problem = g.verify().problem
    assert problem is not None and problem.kind is FindingKind.INSERTED
    assert problem.message == "accounts row 1 was inserted out of chain (no chain entry has it)"


def test_v2_gallery_migrates_to_v3_keeping_its_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v2.sqlite"
    with monkeypatch.context() as m:
        m.setattr(gallery_connection, "MIGRATIONS", MIGRATIONS[:2])
        m.setattr(gallery_connection, "SCHEMA_VERSION", 2)
        with open_gallery(path) as g:
            sid = g.add_subject({"last_name": "Novak"})
            g.audit("enrol", actor="officer 7", subject_id=sid)
            before = g._rows("SELECT * FROM chain ORDER BY seq")
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (2,)
        with pytest.raises(sqlite3.OperationalError, match="no such table: accounts"):
            conn.execute("SELECT * FROM accounts")
    with open_gallery(path) as g:
        assert g.schema_version == SCHEMA_VERSION
        assert g._rows("SELECT * FROM chain ORDER BY seq") == before  # entries kept as they were
        assert g.verify() == VerifyReport(rows=2, entries=2)
        g.add_account("olga", display_name="Olga", roles=["officer"], password_hash=HASH)
        assert g.verify() == VerifyReport(rows=3, entries=3)
        # the rebuilt chain keeps its guards
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            g._conn.execute("DELETE FROM chain")
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            g._conn.execute(
                "INSERT INTO chain (seq, tbl, row_id, op, row_digest, prev_mac, mac) "
                "VALUES (99, 'nowhere', 1, 'insert', zeroblob(32), zeroblob(32), zeroblob(32))"
            )
