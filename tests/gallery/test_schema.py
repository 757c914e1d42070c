"""Schema, pragmas, migrations, generation counter and the template stream."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from station.core.template import Template
from station.gallery import SCHEMA_VERSION, Gallery, GalleryError, open_gallery
from station.gallery import connection as gallery_connection
from station.gallery.schema import APPLICATION_ID

TABLES = {
    "meta",
    "subjects",
    "arrests",
    "records",
    "images",
    "bookings",
    "prints",
    "booking_prints",
    "responses",
    "decisions",
    "audit",
    "chain",  # tamper evidence (schema version 2)
    "chain_key",
    "agency_messages",  # Secure Communities queue (schema version 6)
    "accounts",  # operator accounts (schema version 3)
    "training_runs",  # scored training runs and their events (issue 15)
    "training_events",
    "training_classes",  # training classes and their events (schema version 9)
    "training_class_events",
    "template_changes",  # what changed since a search index was cached (schema version 10)
    "sqlite_sequence",  # AUTOINCREMENT: booking prints and images never reuse an id
}


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path)


def _schema(path: Path) -> list[tuple]:
    with closing(_raw(path)) as conn:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


def test_new_file_gets_the_current_schema(gallery_path: Path) -> None:
    open_gallery(gallery_path).close()
    with closing(_raw(gallery_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert names == TABLES


def test_connection_pragmas(gallery: Gallery) -> None:
    conn = gallery._conn
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert gallery.schema_version == SCHEMA_VERSION


def test_reopening_is_idempotent(gallery_path: Path) -> None:
    with open_gallery(gallery_path) as g:
        sid = g.add_subject({"last_name": "Okafor"})
        generation = g.generation()
    before = _schema(gallery_path)
    for _ in range(2):
        with open_gallery(gallery_path, create=False) as g:
            assert g.subject(sid)["last_name"] == "Okafor"
            assert g.generation() == generation
    assert _schema(gallery_path) == before


def test_missing_file_is_not_created_without_create(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite"
    with pytest.raises(GalleryError, match="no gallery at"):
        open_gallery(path, create=False)
    with pytest.raises(GalleryError, match="no gallery at"):
        open_gallery(path, readonly=True)
    assert not path.exists()


def test_create_makes_the_directory(tmp_path: Path) -> None:
    path = tmp_path / "db" / "deeper" / "gallery.sqlite"
    open_gallery(path).close()
    assert path.is_file()


def test_readonly_reads_and_refuses_writes(gallery_path: Path) -> None:
    with open_gallery(gallery_path) as g:
        sid = g.add_subject({"last_name": "Tanaka"})
    with open_gallery(gallery_path, readonly=True) as g:
        assert g.subject(sid)["last_name"] == "Tanaka"
        with pytest.raises(GalleryError, match="read-only"):
            g.add_subject({"last_name": "Haddad"})
        assert g.stats()["subjects"] == 1


def test_raw_write_in_readonly_is_refused_by_sqlite(gallery_path: Path) -> None:
    open_gallery(gallery_path).close()
    with open_gallery(gallery_path, readonly=True) as g, pytest.raises(sqlite3.Error):
        g._conn.execute("INSERT INTO meta VALUES ('x', 1)")


def test_migrations_run_in_order_each_in_one_transaction(
    gallery_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_gallery(gallery_path).close()

    def next_ok(db) -> None:
        db.execute("CREATE TABLE extra (id INTEGER PRIMARY KEY)")

    def then_fails(db) -> None:
        db.execute("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
        raise RuntimeError("migration bug")

    base = gallery_connection.MIGRATIONS
    monkeypatch.setattr(gallery_connection, "MIGRATIONS", (*base, next_ok, then_fails))
    monkeypatch.setattr(gallery_connection, "SCHEMA_VERSION", len(base) + 2)
    with pytest.raises(RuntimeError, match="migration bug"):
        open_gallery(gallery_path)
    with closing(_raw(gallery_path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(base) + 1
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "extra" in names and "half_done" not in names


def test_generation_changes_on_template_affecting_writes(
    gallery: Gallery, subject: int, make_image, make_template
) -> None:
    seen = [gallery.generation()]

    def changed() -> bool:
        seen.append(gallery.generation())
        return seen[-1] != seen[-2]

    pid = gallery.add_print(subject, "R1", "rolled", make_image(), device="mock")
    assert changed()
    gallery.set_template(pid, make_template(1))
    assert changed()
    gallery.add_subject({"last_name": "Petrov"})
    assert changed()
    # bookings, records and audit do not touch what iter_templates yields
    booking = gallery.open_booking(tcn="T1", operator="o", station_id="s", demographics={})
    gallery.add_record(subject, "local", "L-1")
    gallery.audit("looked", actor="o", booking_id=booking)
    assert not changed()


def test_generation_sees_other_connections(gallery_path: Path, make_image) -> None:
    with open_gallery(gallery_path) as a, open_gallery(gallery_path) as b:
        before = a.generation()
        sid = b.add_subject({"last_name": "Fischer"})
        b.add_print(sid, "L2", "flat", make_image(), device="mock")
        assert a.generation() == before + 2


def test_iter_templates_round_trips_and_orders(gallery: Gallery, make_image, make_template) -> None:
    s1 = gallery.add_subject({"last_name": "A"})
    s2 = gallery.add_subject({"last_name": "B"})
    expected = {}
    # inserted out of capture order, second subject first
    for sid, finger in ((s2, "R1"), (s1, "L1"), (s1, "R5"), (s1, "R1")):
        t = make_template(hash((sid, finger)) % 1000)
        gallery.add_print(sid, finger, "rolled", make_image(), template=t, device="mock")
        expected[(sid, finger)] = t
    gallery.add_print(s1, "R2", "rolled", make_image(), device="mock")  # no template: skipped
    gallery.add_print(s1, "R3", "flat", make_image(), template=make_template(9), device="mock")
    got = list(gallery.iter_templates())
    assert [(s, f) for s, f, _ in got] == [(s1, "R1"), (s1, "R5"), (s1, "L1"), (s2, "R1")]
    for sid, finger, blob in got:
        assert isinstance(blob, bytes)
        assert Template.from_bytes(blob) == expected[(sid, finger)]
    flats = list(gallery.iter_templates(impression="flat"))
    assert [(s, f) for s, f, _ in flats] == [(s1, "R3")]
    with pytest.raises(ValueError, match="impression"):
        gallery.iter_templates(impression="slap")


def test_iter_templates_takes_best_quality_then_latest(
    gallery: Gallery, subject: int, make_image, make_template
) -> None:
    def add(quality: int | None, seed: int, when: str) -> Template:
        t = make_template(seed, quality=quality if quality is not None else 50)
        gallery.add_print(
            subject,
            "R2",
            "rolled",
            make_image(),
            template=t,
            quality=quality,
            device="mock",
            captured_at=when,
        )
        return t

    add(40, 1, "2025-01-01T10:00:00Z")
    best = add(80, 2, "2024-01-01T10:00:00Z")
    add(80, 3, "2023-06-01T10:00:00Z")  # same quality, older
    add(70, 4, "2026-01-01T10:00:00Z")
    [(sid, finger, blob)] = gallery.iter_templates()
    assert (sid, finger) == (subject, "R2") and Template.from_bytes(blob) == best
    latest = add(80, 5, "2025-06-01T10:00:00+02:00")
    [(_, _, blob)] = gallery.iter_templates()
    assert Template.from_bytes(blob) == latest


def test_iter_templates_breaks_ties_by_the_last_added_and_skips_other_prints(
    gallery: Gallery, subject: int, make_image, make_template
) -> None:
    when = "2025-01-01T10:00:00Z"
    for seed in (1, 2):
        gallery.add_print(subject, "L3", "rolled", make_image(), template=make_template(seed),
                          quality=60, device="mock", captured_at=when)  # fmt: skip
    # Better, but not a rolled print with a template: neither is chosen.
    gallery.add_print(subject, "L3", "rolled", make_image(), quality=99, device="mock")
    gallery.add_print(subject, "L3", "flat", make_image(), template=make_template(3),
                      quality=99, device="mock")  # fmt: skip
    [(_, finger, blob)] = gallery.iter_templates()
    assert finger == "L3" and Template.from_bytes(blob) == make_template(2)
    [(_, _, flat)] = gallery.iter_templates(impression="flat")
    assert Template.from_bytes(flat) == make_template(3)


def test_iter_templates_is_lazy_and_closes_its_cursor(
    gallery: Gallery, make_image, make_template
) -> None:
    for k in range(300):  # more than one fetch
        sid = gallery.add_subject({"last_name": f"S{k}"})
        gallery.add_print(
            sid, "R1", "rolled", make_image(k, (4, 4)), template=make_template(k), device="mock"
        )
    stream = gallery.iter_templates()
    first = next(stream)
    assert first[1] == "R1"
    stream.close()
    assert sum(1 for _ in gallery.iter_templates()) == 300
    assert np.all([s for s, _, _ in gallery.iter_templates()] == np.arange(1, 301))


def test_abandoned_template_stream_after_close(
    gallery_path: Path, make_image, make_template
) -> None:
    g = open_gallery(gallery_path)
    sid = g.add_subject({})
    g.add_print(sid, "R1", "rolled", make_image(), template=make_template(), device="mock")
    stream = g.iter_templates()
    next(stream)
    g.close()
    del stream  # finalised after its gallery closed: no error, no warning


def _enrol(gallery: Gallery, make_template, name: str) -> tuple[int, int]:
    sid = gallery.add_subject({"last_name": name})
    image = np.full((64, 64), 200, np.uint8)
    pid = gallery.add_print(sid, "R1", "rolled", image, template=make_template(), device="t")
    return sid, pid


def test_the_change_log_names_the_subjects_changed_since_a_read(
    gallery: Gallery, make_template
) -> None:
    kept, _ = _enrol(gallery, make_template, "Okafor")
    read = gallery.template_rows()
    assert (read.generation, read.subjects) == (gallery.generation(), None)
    assert [r[1] for r in read.rows] == [kept]
    new, _ = _enrol(gallery, make_template, "Novak")
    _, pid = _enrol(gallery, make_template, "Lind")
    gallery.set_template(pid, make_template(seed=7))
    changes = gallery.template_changes(read.generation, read.position, limit=100)
    assert changes is not None and changes.generation == gallery.generation()
    assert changes.subjects == (new, new + 1)
    assert [(r[1], r[2]) for r in changes.rows] == [(new, "R1"), (new + 1, "R1")]
    assert changes.rows[1][3] == make_template(seed=7).to_bytes()
    same = gallery.template_changes(changes.generation, changes.position, limit=100)
    assert same is not None and (same.subjects, same.rows) == ((), [])
    # More changes than the caller would read this way: read everything instead.
    assert gallery.template_changes(read.generation, read.position, limit=4) is None
    with pytest.raises(ValueError, match="position must be a whole number"):
        gallery.template_changes(read.generation, -1, limit=100)


def test_a_change_log_that_does_not_account_for_every_change_is_refused(
    gallery_path: Path, make_template
) -> None:
    with open_gallery(gallery_path) as g:
        read = g.template_rows()
        _enrol(g, make_template, "Okafor")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            g._conn.execute("DELETE FROM template_changes")
    with closing(sqlite3.connect(gallery_path)) as conn, conn:
        conn.execute("DROP TRIGGER template_changes_no_delete")
        conn.execute("DELETE FROM template_changes WHERE id = 1")
    with open_gallery(gallery_path) as g:
        assert g.template_changes(read.generation, read.position, limit=100) is None
        # a position or generation from another gallery (or a newer copy of this one)
        assert g.template_changes(read.generation + 50, read.position, limit=100) is None


def test_a_v9_gallery_gets_the_change_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_template
) -> None:
    from station.gallery.schema import MIGRATIONS

    path = tmp_path / "v9.sqlite"
    with monkeypatch.context() as m:
        m.setattr(gallery_connection, "MIGRATIONS", MIGRATIONS[:9])
        m.setattr(gallery_connection, "SCHEMA_VERSION", 9)
        with open_gallery(path) as g:
            old, _ = _enrol(g, make_template, "Okafor")
    with open_gallery(path) as g:
        assert g.schema_version == SCHEMA_VERSION
        read = g.template_rows()
        assert read.position == 0 and [r[1] for r in read.rows] == [old]
        new, _ = _enrol(g, make_template, "Novak")
        changes = g.template_changes(read.generation, read.position, limit=100)
        assert changes is not None and changes.subjects == (new,)
