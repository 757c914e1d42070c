"""Tamper evidence: edits made behind the station's back with plain sqlite3 are found and named."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from station.core.template import Template
from station.gallery import Gallery, open_gallery
from station.gallery import connection as gallery_connection
from station.gallery.chain import TRACKED, Finding, FindingKind, VerifyReport
from station.gallery.schema import MIGRATIONS


def _template(seed: int) -> Template:
    rng = np.random.default_rng(seed)
    minutiae = np.column_stack(
        [rng.uniform(0, 400, 6), rng.uniform(0, 400, 6), rng.uniform(-3, 3, 6), np.ones(6)]
    )
    return Template(width=400, height=400, minutiae=minutiae, quality=60, level=2)


def _image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (24, 32), dtype=np.uint8)


def _fill(g: Gallery) -> None:
    """Every kind of write: a subject with a record and a print (its template replaced), a
    booking with a recaptured and an annotated finger, a HIT, a decision, status changes."""
    sid = g.add_subject({"last_name": "Novak", "first_name": "Ana"})  # subjects 1
    g.add_record(sid, "state", "S-1", offence_level=2, charge="theft")  # records 1
    pid = g.add_print(sid, "R1", "rolled", _image(1), template=_template(1), device="m")
    g.set_template(pid, _template(2))  # prints 1 (images 1)
    b = g.open_booking(tcn="T1", operator="officer 7", station_id="BS-1", demographics={})
    g.audit("open booking", actor="officer 7", booking_id=b)  # audit 1
    g.add_booking_print(b, "R1", "rolled", _image(2), template=_template(3), device="m")
    g.add_booking_print(b, "R1", "rolled", _image(3), template=_template(4), device="m")
    g.add_booking_print(b, "L4", "rolled", None, annotation="XX", device="m")
    g.set_booking_status(b, "submitted")
    r = g.add_response(b, "HIT", {"candidates": [{"subject": sid, "score": 3.35}]})  # 1
    g.audit("response", actor="station", booking_id=b, detail={"disposition": "HIT"})  # 2
    g.add_decision(b, r, examiner="examiner 2", subject_id=sid, decision="confirm")  # 1
    g.link_booking_subject(b, sid)
    g.set_booking_status(b, "decided")
    g.audit("confirm hit", actor="examiner 2", booking_id=b, subject_id=sid)  # audit 3


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tamper") / "built.sqlite"
    with open_gallery(path) as g:
        _fill(g)
    return path


@pytest.fixture
def copy(built: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "gallery.sqlite"
    with open_gallery(built, readonly=True) as g:
        g.copy_to(dest)
    return dest


def _edit(path: Path, *statements: str, params: tuple = ()) -> None:
    """Run SQL on the file the way anyone with sqlite3 could (triggers still apply)."""
    with closing(sqlite3.connect(path)) as conn:
        for statement in statements:
            conn.execute(statement, params if "?" in statement else ())
        conn.commit()


def _raw(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


def _latest_seq(path: Path, table: str, row_id: int) -> int:
    sql = "SELECT max(seq) FROM chain WHERE tbl = ? AND row_id = ?"
    return _raw(path, sql, (table, row_id))[0][0]


def _verify(path: Path) -> VerifyReport:
    with open_gallery(path, readonly=True) as g:
        return g.verify()


def _problem(path: Path) -> Finding:
    report = _verify(path)
    assert not report.ok
    assert report.problem is not None
    return report.problem


def _assert_row(path: Path, kind: FindingKind, table: str, row_id: int, message: str) -> None:
    problem = _problem(path)
    assert (problem.kind, problem.table, problem.row_id) == (kind, table, row_id)
    assert problem.message == message


# --- clean galleries ----------------------------------------------------------------------
def test_every_write_is_chained_and_verifies(built: Path) -> None:
    rows = sum(_raw(built, f"SELECT count(*) FROM {t}")[0][0] for t in TRACKED)
    entries = _raw(built, "SELECT count(*) FROM chain")[0][0]
    # Rows: 1 subject, 1 record, 2 images (print, recapture), 1 print, 1 booking, 2 captures
    # (R1, annotated L4), 1 response, 1 decision, 3 audit entries.
    assert rows == 1 + 1 + 2 + 1 + 1 + 2 + 1 + 1 + 3
    # Entries: those rows' inserts, the first capture and its image (inserted, then deleted:
    # 2 + 2), the template replaced, the booking updated 3 times.
    assert entries == rows + 2 + 2 + 1 + 3
    assert _verify(built) == VerifyReport(rows=rows, entries=entries)
    ops = _raw(built, "SELECT tbl, op FROM chain WHERE op != 'insert' ORDER BY seq")
    assert ops == [
        ("prints", "update"),
        ("booking_prints", "delete"),
        ("images", "delete"),
        ("bookings", "update"),
        ("bookings", "update"),
        ("bookings", "update"),
    ]


def test_a_failed_transaction_leaves_no_chain_entry(copy: Path) -> None:
    with open_gallery(copy) as g:
        before = _raw(copy, "SELECT count(*) FROM chain")
        with pytest.raises(RuntimeError, match="operator gave up"), g.transaction():
            g.add_subject({"last_name": "Gone"})
            raise RuntimeError("operator gave up")
        assert _raw(copy, "SELECT count(*) FROM chain") == before
        assert g.verify().ok


def test_two_connections_writing_in_turn_keep_one_chain(copy: Path) -> None:
    with open_gallery(copy) as a, open_gallery(copy) as b:
        for k in range(3):
            a.add_subject({"last_name": f"A{k}"})
            b.audit("look", actor=f"clerk {k}")
        report = a.verify()
    assert report.ok and report.entries == _raw(copy, "SELECT max(seq) FROM chain")[0][0]


def test_a_copy_verifies_and_shares_the_key(built: Path, copy: Path, tmp_path: Path) -> None:
    with open_gallery(built, readonly=True) as a, open_gallery(copy, readonly=True) as b:
        assert a.keyed_hash([b"x"], purpose="p") == b.keyed_hash([b"x"], purpose="p")
        assert a.keyed_hash([b"x"], purpose="p") != a.keyed_hash([b"x"], purpose="q")
        assert len(a.keyed_hash([b"x", b"y"], purpose="p")) == 32
        assert a.keyed_hash([b"x", b"y"], purpose="p") == a.keyed_hash([b"xy"], purpose="p")
        with pytest.raises(ValueError, match="purpose must be non-empty text"):
            a.keyed_hash([b"x"], purpose="")
        assert b.verify().ok
        mine = a.keyed_hash([b"x"], purpose="p")
    with open_gallery(tmp_path / "other.sqlite") as other:  # another gallery, another key
        assert other.keyed_hash([b"x"], purpose="p") != mine


# --- edits of the history -----------------------------------------------------------------
def test_audit_actor_and_time_changed(copy: Path) -> None:
    _edit(
        copy,
        "DROP TRIGGER audit_no_update",
        "UPDATE audit SET actor = 'nobody', at = '2009-01-01T00:00:00+00:00' WHERE id = 3",
    )
    seq = _latest_seq(copy, "audit", 3)
    _assert_row(
        copy,
        FindingKind.CHANGED,
        "audit",
        3,
        f"audit row 3 was changed outside the station (it differs from chain entry {seq})",
    )


def test_audit_trigger_dropped_and_row_deleted(copy: Path) -> None:
    _edit(copy, "DROP TRIGGER audit_no_delete", "DELETE FROM audit WHERE id = 2")
    seq = _latest_seq(copy, "audit", 2)
    _assert_row(
        copy,
        FindingKind.REMOVED,
        "audit",
        2,
        f"audit row 2 was removed outside the station (chain entry {seq} has it)",
    )


def test_response_deleted(copy: Path) -> None:
    _edit(copy, "DROP TRIGGER responses_no_delete", "DELETE FROM responses WHERE id = 1")
    problem = _problem(copy)
    assert (problem.kind, problem.table, problem.row_id) == (FindingKind.REMOVED, "responses", 1)


def test_hit_flipped_to_no_hit(copy: Path) -> None:
    _edit(
        copy,
        "DROP TRIGGER responses_no_update",
        "UPDATE responses SET disposition = 'NO HIT' WHERE id = 1",
    )
    assert _raw(copy, "SELECT disposition FROM responses") == [("NO HIT",)]
    problem = _problem(copy)
    assert (problem.kind, problem.table, problem.row_id) == (FindingKind.CHANGED, "responses", 1)
    assert problem.message.startswith("responses row 1 was changed outside the station")


def test_subject_name_changed(copy: Path) -> None:
    _edit(copy, "UPDATE subjects SET last_name = 'Novac' WHERE id = 1")
    problem = _problem(copy)
    assert (problem.kind, problem.table, problem.row_id) == (FindingKind.CHANGED, "subjects", 1)
    assert problem.seq == _latest_seq(copy, "subjects", 1) == 1


def test_print_template_bytes_changed(copy: Path) -> None:
    blob = bytearray(_raw(copy, "SELECT template FROM prints WHERE id = 1")[0][0])
    blob[-1] ^= 0x01
    _edit(copy, "UPDATE prints SET template = ? WHERE id = 1", params=(bytes(blob),))
    problem = _problem(copy)
    assert (problem.kind, problem.table, problem.row_id) == (FindingKind.CHANGED, "prints", 1)
    assert problem.seq == _latest_seq(copy, "prints", 1)  # the set_template update


@pytest.mark.parametrize(
    ("table", "row_id", "statement"),
    [
        ("records", 1, "UPDATE records SET offence_level = 3 WHERE id = 1"),
        ("images", 3, "UPDATE images SET data = data || x'00' WHERE id = 3"),
        ("bookings", 1, "UPDATE bookings SET operator = 'officer 9' WHERE id = 1"),
        ("booking_prints", 3, "UPDATE booking_prints SET quality = 99 WHERE id = 3"),
        ("booking_prints", 2, "DELETE FROM booking_prints WHERE id = 2"),
    ],
)
def test_other_tables_are_chained(copy: Path, table: str, row_id: int, statement: str) -> None:
    _edit(copy, statement)
    problem = _problem(copy)
    kind = FindingKind.REMOVED if statement.startswith("DELETE") else FindingKind.CHANGED
    assert (problem.kind, problem.table, problem.row_id) == (kind, table, row_id)


def test_decision_changed(copy: Path) -> None:
    _edit(
        copy,
        "DROP TRIGGER decisions_no_update",
        "UPDATE decisions SET decision = 'reject' WHERE id = 1",
    )
    problem = _problem(copy)
    assert (problem.kind, problem.table, problem.row_id) == (FindingKind.CHANGED, "decisions", 1)


def test_booking_inserted_by_hand(copy: Path) -> None:
    _edit(
        copy,
        "INSERT INTO bookings (tcn, transaction_type, operator, station_id, created_at, "
        "updated_at) VALUES ('T2', 'CAR', 'officer 7', 'BS-1', 'now', 'now')",
    )
    _assert_row(
        copy,
        FindingKind.INSERTED,
        "bookings",
        2,
        "bookings row 2 was inserted out of chain (no chain entry has it)",
    )


def test_deleted_capture_put_back(copy: Path) -> None:
    # booking print 1 (the first R1) was recaptured: the station deleted it and chained that.
    (seq,) = _raw(copy, "SELECT seq FROM chain WHERE tbl = 'booking_prints' AND op = 'delete'")[0]
    _edit(
        copy,
        "INSERT INTO booking_prints (id, booking_id, finger, impression, device, captured_at, "
        "created_at, annotation) VALUES (1, 1, 'R2', 'rolled', 'm', 'now', 'now', 'UP')",
    )
    problem = _problem(copy)
    assert (problem.kind, problem.table, problem.row_id, problem.seq) == (
        FindingKind.INSERTED,
        "booking_prints",
        1,
        seq,
    )
    assert problem.message == (
        f"booking_prints row 1 was inserted out of chain (chain entry {seq} deleted it)"
    )


# --- edits of the chain itself ------------------------------------------------------------
def test_chain_entry_deleted(copy: Path) -> None:
    _edit(copy, "DROP TRIGGER chain_no_delete", "DELETE FROM chain WHERE seq = 5")
    problem = _problem(copy)
    assert (problem.kind, problem.table, problem.row_id, problem.seq) == (
        FindingKind.ENTRY_REMOVED,
        "chain",
        None,
        5,
    )
    assert problem.message == "chain entry 5 was removed (the chain goes from 4 to 6)"


def test_last_chain_entry_deleted_leaves_its_row_unchained(copy: Path) -> None:
    last = _raw(copy, "SELECT seq, tbl, row_id FROM chain ORDER BY seq DESC LIMIT 1")[0]
    assert last[1:] == ("audit", 3)
    _edit(copy, "DROP TRIGGER chain_no_delete", f"DELETE FROM chain WHERE seq = {last[0]}")
    problem = _problem(copy)
    assert (problem.kind, problem.table, problem.row_id) == (FindingKind.INSERTED, "audit", 3)


def test_chain_mac_edited(copy: Path) -> None:
    _edit(
        copy,
        "DROP TRIGGER chain_no_update",
        "UPDATE chain SET mac = zeroblob(32) WHERE seq = 7",
    )
    problem = _problem(copy)
    (table, row_id) = _raw(copy, "SELECT tbl, row_id FROM chain WHERE seq = 7")[0]
    assert (problem.kind, problem.seq, problem.table, problem.row_id) == (
        FindingKind.ENTRY_ALTERED,
        7,
        table,
        row_id,
    )
    assert problem.message == (
        f"chain entry 7 ({table} row {row_id}) was altered: its hash does not match"
    )


def test_row_and_its_digest_edited_together(copy: Path) -> None:
    """Recomputing the row's SHA-256 is not enough: the entry's keyed hash no longer fits."""
    from station.gallery.chain import row_digest

    _edit(
        copy,
        "DROP TRIGGER responses_no_update",
        "UPDATE responses SET disposition = 'NO HIT' WHERE id = 1",
    )
    with closing(sqlite3.connect(copy)) as conn:
        digest = row_digest(conn, "responses", 1)
    seq = _latest_seq(copy, "responses", 1)
    _edit(
        copy,
        "DROP TRIGGER chain_no_update",
        f"UPDATE chain SET row_digest = ? WHERE seq = {seq}",
        params=(digest,),
    )
    problem = _problem(copy)
    assert (problem.kind, problem.seq) == (FindingKind.ENTRY_ALTERED, seq)


def test_chain_entries_reordered(copy: Path) -> None:
    _edit(
        copy,
        "DROP TRIGGER chain_no_update",
        "UPDATE chain SET seq = -1 WHERE seq = 3",
        "UPDATE chain SET seq = 3 WHERE seq = 4",
        "UPDATE chain SET seq = 4 WHERE seq = -1",
    )
    problem = _problem(copy)
    assert (problem.kind, problem.seq) == (FindingKind.ENTRY_ALTERED, 3)


def test_key_replaced(copy: Path) -> None:
    _edit(
        copy,
        "DROP TRIGGER chain_key_no_update",
        "UPDATE chain_key SET key = zeroblob(32)",
    )
    problem = _problem(copy)
    assert (problem.kind, problem.seq) == (FindingKind.ENTRY_ALTERED, 1)


def test_chain_dropped(copy: Path) -> None:
    _edit(copy, "DROP TABLE chain")
    problem = _problem(copy)
    assert problem == Finding(
        FindingKind.CHAIN_MISSING,
        "chain",
        None,
        None,
        "the gallery's chain is missing or damaged: nothing can be verified",
    )


# --- check, the command, migration --------------------------------------------------------
def test_check_reports_the_finding(copy: Path) -> None:
    _edit(copy, "UPDATE subjects SET first_name = 'Anna' WHERE id = 1")
    with open_gallery(copy) as g:
        problems = g.check()
    assert problems == [
        "tamper evidence: subjects row 1 was changed outside the station (it differs from "
        "chain entry 1)"
    ]


def test_verify_command(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from station.cli import main

    rows = _verify(copy).rows
    entries = _raw(copy, "SELECT count(*) FROM chain")[0][0]
    assert main(["gallery", "verify", "--gallery", str(copy)]) == 0
    assert capsys.readouterr().out == (
        f"{copy}: ok: {rows} rows verified ({entries} chain entries)\n"
    )
    _edit(copy, "DROP TRIGGER responses_no_delete", "DELETE FROM responses WHERE id = 1")
    seq = _latest_seq(copy, "responses", 1)
    assert main(["gallery", "verify", "--gallery", str(copy)]) == 1
    assert capsys.readouterr().out == (
        f"{copy}: responses row 1 was removed outside the station (chain entry {seq} has it)\n"
    )
    assert main(["gallery", "check", "--quick", "--gallery", str(copy)]) == 1
    out = capsys.readouterr().out
    assert out.endswith(
        f"{copy}: tamper evidence: responses row 1 was removed outside the "
        f"station (chain entry {seq} has it)\n"
    )


def _v1_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema-1 gallery as the version-1 migration makes it, with rows written by hand."""
    with monkeypatch.context() as m:
        m.setattr(gallery_connection, "MIGRATIONS", MIGRATIONS[:1])
        m.setattr(gallery_connection, "SCHEMA_VERSION", 1)
        open_gallery(path).close()
    _edit(
        path,
        "INSERT INTO subjects (last_name, created_at) VALUES ('Novak', '2009-03-01T10:00:00Z')",
        "INSERT INTO subjects (last_name, created_at) VALUES ('Horvat', '2009-03-02T10:00:00Z')",
        "INSERT INTO records (subject_id, repository, record_number, created_at) "
        "VALUES (2, 'local', 'L-7', '2009-03-02T10:00:00Z')",
        "INSERT INTO bookings (tcn, transaction_type, operator, station_id, created_at, "
        "updated_at) VALUES ('T1', 'CAR', 'officer 7', 'BS-1', 'then', 'then')",
        "INSERT INTO responses (booking_id, disposition, payload, received_at) "
        "VALUES (1, 'HIT', '{}', 'then')",
        "INSERT INTO audit (at, actor, action, booking_id) VALUES ('then', 'officer 7', "
        "'open booking', 1)",
    )


def test_v1_gallery_is_chained_once_on_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [tmp_path / "a.sqlite", tmp_path / "b.sqlite"]
    for path in paths:
        _v1_file(path, monkeypatch)
        assert _raw(path, "PRAGMA user_version") == [(1,)]
        with open_gallery(path) as g:
            assert g.schema_version == len(
                MIGRATIONS
            )  # v1 → … (accounts, undo, WSQ: no image rows here; records.history: one)
            report = g.verify()
            log = g.audit_log()
        assert report == VerifyReport(rows=8, entries=9)
        assert log[-2]["actor"] == "station"
        assert log[-2]["action"] == "start tamper-evident chain"
        assert log[-2]["detail"] == {"rows": 6, "schema_version": 2}
        assert log[-1]["action"] == "schema 6: records.history"
        assert log[-1]["detail"] == {"rows": 1, "schema_version": 6}
    order = "SELECT tbl, row_id, op FROM chain ORDER BY seq"
    assert _raw(paths[0], order) == [
        ("subjects", 1, "insert"),
        ("subjects", 2, "insert"),
        ("records", 1, "insert"),
        ("bookings", 1, "insert"),
        ("responses", 1, "insert"),
        ("audit", 1, "insert"),
        ("audit", 2, "insert"),
        ("records", 1, "update"),  # schema 6 adds records.history
        ("audit", 3, "insert"),
    ]
    # Deterministic digests (the keys, and so the MACs, differ per gallery).
    digests = "SELECT row_digest FROM chain WHERE seq < 7 ORDER BY seq"
    assert _raw(paths[0], digests) == _raw(paths[1], digests)
    assert _raw(paths[0], "SELECT key FROM chain_key") != _raw(
        paths[1], "SELECT key FROM chain_key"
    )
    with open_gallery(paths[0]) as g:  # reopening does not chain again
        assert g.verify().entries == 9
    _edit(paths[0], "UPDATE subjects SET last_name = 'Horvath' WHERE id = 2")
    problem = _problem(paths[0])
    assert (problem.kind, problem.table, problem.row_id) == (FindingKind.CHANGED, "subjects", 2)


def test_new_gallery_starts_an_empty_chain(tmp_path: Path) -> None:
    with open_gallery(tmp_path / "new.sqlite") as g:
        assert g.verify() == VerifyReport(rows=0, entries=0)
        assert g.audit_log() == []


def test_missing_key_is_a_gallery_error_on_write(copy: Path) -> None:
    _edit(copy, "DROP TRIGGER chain_key_no_delete", "DELETE FROM chain_key")
    from station.gallery import GalleryError

    with open_gallery(copy) as g:
        with pytest.raises(GalleryError, match="is damaged: its chain key is missing"):
            g.add_subject({"last_name": "X"})
        assert g.verify().problem.kind is FindingKind.CHAIN_MISSING  # type: ignore[union-attr]
