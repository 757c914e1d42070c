"""Files the gallery must refuse without touching them, locks, damage, misuse."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from station.gallery import SCHEMA_VERSION, Gallery, GalleryError, open_gallery
from station.gallery.schema import APPLICATION_ID


def _files(path: Path) -> dict[str, bytes]:
    """Every file of the database (main, -wal, -shm, -journal) and its bytes."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


def _assert_refused(path: Path, message: str, **kwargs) -> None:
    before = _files(path)
    with pytest.raises(GalleryError, match=message):
        open_gallery(path, **kwargs)
    after = _files(path)
    assert after[path.name] == before[path.name]
    if not kwargs.get("readonly"):  # a read-only reader of a WAL file may leave -wal / -shm
        assert after == before


@pytest.mark.parametrize("kwargs", [{}, {"create": False}, {"readonly": True}])
def test_random_bytes_are_not_a_database(gallery_path: Path, kwargs: dict) -> None:
    gallery_path.write_bytes(np.random.default_rng(0).bytes(5000))
    _assert_refused(gallery_path, f"^not a SQLite database: {gallery_path}$", **kwargs)


def test_short_file_is_not_a_database(gallery_path: Path) -> None:
    gallery_path.write_bytes(b"SQLite")
    _assert_refused(gallery_path, "not a SQLite database")


def test_newer_schema_is_refused_untouched(gallery_path: Path) -> None:
    open_gallery(gallery_path).close()
    with closing(sqlite3.connect(gallery_path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    message = (
        f"^gallery {gallery_path} has schema version {SCHEMA_VERSION + 1}, this station knows "
        f"up to {SCHEMA_VERSION}; upgrade the station$"
    )
    _assert_refused(gallery_path, message)
    _assert_refused(gallery_path, message, readonly=True)


def test_another_programs_database_is_refused_untouched(gallery_path: Path) -> None:
    with closing(sqlite3.connect(gallery_path)) as conn:
        conn.execute("CREATE TABLE contacts (name TEXT)")
        conn.commit()
    _assert_refused(gallery_path, "is a SQLite database but not a Booking Station gallery")
    with closing(sqlite3.connect(gallery_path)) as conn:  # still in its own journal mode
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_empty_file_is_initialised_only_when_creating(gallery_path: Path) -> None:
    gallery_path.touch()
    _assert_refused(gallery_path, "is empty", create=False)
    open_gallery(gallery_path).close()
    with open_gallery(gallery_path, create=False) as g:
        assert g.schema_version == SCHEMA_VERSION


def test_readonly_cannot_migrate(gallery_path: Path) -> None:
    with closing(sqlite3.connect(gallery_path)) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    _assert_refused(gallery_path, "open it once read-write to upgrade it", readonly=True)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GalleryError, match="is a directory"):
        open_gallery(tmp_path)


def test_locked_by_a_writer(gallery_path: Path) -> None:
    open_gallery(gallery_path).close()
    with closing(sqlite3.connect(gallery_path, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        other.execute("INSERT INTO meta (key, value) VALUES ('held', 1)")
        with open_gallery(gallery_path, timeout=0.05) as g:
            assert g.subjects() == []  # readers are not blocked (write-ahead log)
            start = time.monotonic()
            with pytest.raises(GalleryError, match=f"^gallery {gallery_path} is locked by another"):
                g.add_subject({"last_name": "Waits"})
            assert time.monotonic() - start < 2
            other.execute("ROLLBACK")
            g.add_subject({"last_name": "Waits"})  # usable once the lock is gone
            assert len(g.subjects()) == 1


def test_locked_while_opening(gallery_path: Path) -> None:
    with closing(sqlite3.connect(gallery_path, isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")
        other.execute("CREATE TABLE t (x)")
        with pytest.raises(GalleryError, match="locked by another process"):
            open_gallery(gallery_path, timeout=0.05)
        other.execute("ROLLBACK")
    open_gallery(gallery_path).close()


def test_bad_timeout(gallery_path: Path) -> None:
    with pytest.raises(ValueError, match="timeout"):
        open_gallery(gallery_path, timeout=-1)
    assert not gallery_path.exists()


def test_closed_gallery(gallery: Gallery) -> None:
    gallery.close()
    gallery.close()
    assert gallery.closed and "closed" in repr(gallery)
    with pytest.raises(GalleryError, match="is closed"):
        gallery.subjects()
    with pytest.raises(GalleryError, match="is closed"), gallery.transaction():
        pass


def test_connection_belongs_to_its_thread(gallery: Gallery) -> None:
    errors: list[BaseException] = []

    def use() -> None:
        try:
            gallery.subjects()
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=use)
    worker.start()
    worker.join()
    assert len(errors) == 1 and isinstance(errors[0], sqlite3.ProgrammingError)


# --- damage -------------------------------------------------------------------------------
def test_damaged_template_and_image_are_reported(
    gallery: Gallery, subject: int, make_image, make_template
) -> None:
    good = gallery.add_print(
        subject, "R1", "rolled", make_image(1), template=make_template(1), device="m"
    )
    bad_t = gallery.add_print(
        subject, "R2", "rolled", make_image(2), template=make_template(2), device="m"
    )
    bad_i = gallery.add_print(subject, "R3", "rolled", make_image(3), device="m")
    conn = gallery._conn
    blob = bytearray(make_template(2).to_bytes())
    blob[30] ^= 0xFF
    conn.execute("UPDATE prints SET template = ? WHERE id = ?", (bytes(blob), bad_t))
    conn.execute(
        "UPDATE images SET data = substr(data, 1, 40) WHERE id = "
        "(SELECT image_id FROM prints WHERE id = ?)",
        (bad_i,),
    )
    conn.execute(
        "UPDATE images SET width = 5 WHERE id = (SELECT image_id FROM prints WHERE id = ?)",
        (good,),
    )
    problems = gallery.check()
    assert len(problems) == 4, problems
    assert problems[0].startswith(f"template of print {bad_t} does not load: template is corrupt")
    assert f"image of print {good} is 32x24, recorded as 5x24" in problems
    assert any(p.startswith(f"image of print {bad_i} does not decode") for p in problems)
    # The edits were made behind the station's back: the chain names the first edited row.
    assert problems[-1] == (
        "tamper evidence: images row 1 was changed outside the station (it differs from "
        "chain entry 2)"
    )
    assert gallery.check(images=False) == [problems[0], problems[-1]]
    with pytest.raises(GalleryError, match=f"is damaged: template of print {bad_t}"):
        gallery.template(bad_t)
    with pytest.raises(GalleryError, match=f"is damaged: image of print {bad_i}"):
        gallery.print_image(bad_i)
    assert gallery.template(good) == make_template(1)


def test_foreign_key_and_orphan_problems(gallery_path: Path, subject: int) -> None:
    with closing(sqlite3.connect(gallery_path)) as conn:  # foreign keys are off by default
        conn.execute(
            "INSERT INTO records (subject_id, repository, record_number, created_at) "
            "VALUES (99, 'local', 'X', 'now')"
        )
        conn.execute("INSERT INTO images (width, height, data) VALUES (1, 1, x'00')")
        conn.commit()
    with open_gallery(gallery_path) as g:
        problems = g.check()
    assert "records row 1 refers to a missing subjects row" in problems
    assert "1 stored image(s) belong to no print" in problems
    assert "tamper evidence: records row 1 was inserted out of chain (no chain entry has it)" in (
        problems
    )


def _corrupt_page(path: Path, table: str) -> None:
    with closing(sqlite3.connect(path)) as conn:
        page = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,))
        page = page.fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    data[(page - 1) * size : page * size] = b"\xcd" * size
    path.write_bytes(bytes(data))


def test_damaged_table_page(gallery_path: Path) -> None:
    with open_gallery(gallery_path) as g:
        for k in range(20):
            g.add_subject({"last_name": f"N{k}"})
    _corrupt_page(gallery_path, "subjects")
    before = gallery_path.read_bytes()
    # The quick check at a write open refuses it, naming the page, and writes nothing ...
    with pytest.raises(
        GalleryError, match=f"^gallery {gallery_path} is damaged: Page \\d+.*nothing is written"
    ):
        open_gallery(gallery_path)
    assert gallery_path.read_bytes() == before
    # ... while a read-only open still reads what it can and checks it.
    with open_gallery(gallery_path, readonly=True) as g:
        with pytest.raises(GalleryError, match=f"^gallery {gallery_path} is damaged: Page \\d+"):
            g.subjects()
        problems = g.check()
    assert problems and problems[0].startswith("integrity: Page ")


def test_damaged_schema_page(gallery_path: Path) -> None:
    open_gallery(gallery_path).close()
    data = bytearray(gallery_path.read_bytes())
    data[100:4096] = b"\xab" * (4096 - 100)  # page 1 after the file header
    gallery_path.write_bytes(bytes(data))
    with pytest.raises(GalleryError, match=f"^gallery {gallery_path} is damaged: "):
        open_gallery(gallery_path)
