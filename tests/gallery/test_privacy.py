"""Privacy at rest: file modes, exports confined to their folder, and the retention purge."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from station.cli import main
from station.core.template import Template
from station.gallery import Gallery, GalleryError, open_gallery
from station.gallery import codecs as gallery_codecs
from station.gallery.maintenance import _inside
from station.gallery.private import create_private, make_private_dirs, write_private

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- file modes ----------------------------------------------------------------------------


def test_new_gallery_its_log_and_new_folders_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "gallery.sqlite"
    with open_gallery(path) as g:
        g.add_subject({"last_name": "Novak"})
        assert _mode(path) == 0o600
        assert _mode(path.with_name("gallery.sqlite-wal")) == 0o600
        assert _mode(path.with_name("gallery.sqlite-shm")) == 0o600
    assert _mode(tmp_path / "new") == 0o700
    assert _mode(tmp_path / "new" / "deeper") == 0o700


def test_an_existing_folder_and_file_keep_their_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    path = tmp_path / "gallery.sqlite"
    with open_gallery(path):
        pass
    path.chmod(0o640)
    with open_gallery(path):
        pass
    assert _mode(tmp_path) == 0o755
    assert _mode(path) == 0o640


def test_copy_is_private(gallery: Gallery, tmp_path: Path) -> None:
    dest = gallery.copy_to(tmp_path / "copy.sqlite")
    assert _mode(dest) == 0o600
    with open_gallery(dest, readonly=True) as copy:
        assert copy.verify().ok


def test_private_helpers(tmp_path: Path) -> None:
    write_private(tmp_path / "a.bin", b"abc")
    assert (tmp_path / "a.bin").read_bytes() == b"abc"
    assert _mode(tmp_path / "a.bin") == 0o600
    with pytest.raises(FileExistsError):
        write_private(tmp_path / "a.bin", b"again")
    (tmp_path / "loose").write_bytes(b"x")
    (tmp_path / "loose").chmod(0o644)
    with create_private(tmp_path / "loose", exclusive=False) as fh:
        fh.write(b"yz")
    assert (tmp_path / "loose").read_bytes() == b"yz"
    assert _mode(tmp_path / "loose") == 0o600
    (tmp_path / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FileExistsError):
        write_private(tmp_path / "link", b"x")
    assert not (tmp_path / "elsewhere").exists()
    assert make_private_dirs(tmp_path / "p" / "q") == tmp_path / "p" / "q"
    assert _mode(tmp_path / "p") == _mode(tmp_path / "p" / "q") == 0o700


def test_search_index_cache_is_private(
    gallery: Gallery, subject: int, make_image, make_template
) -> None:
    from station.service import cache_path, load_index

    gallery.add_print(subject, "R1", "rolled", make_image(1), template=make_template(1), device="m")
    load_index(gallery)
    assert _mode(cache_path(gallery.path)) == 0o600
    from station.service.index import store_path

    assert _mode(store_path(gallery.path)) == 0o600  # the cache's copy of the templates


# --- exports -------------------------------------------------------------------------------


def _booking_with_print(g: Gallery, tcn: str, seed: int, make_image, make_template) -> int:
    b = g.open_booking(tcn=tcn, operator="o", station_id="s", demographics={})
    g.add_booking_print(
        b, "R1", "rolled", make_image(seed), template=make_template(seed), device="m"
    )
    return b


def test_export_files_are_private(
    gallery: Gallery, subject: int, tmp_path: Path, make_image, make_template
) -> None:
    gallery.add_print(subject, "R1", "rolled", make_image(1), template=make_template(1), device="m")
    _booking_with_print(gallery, "T-1", 2, make_image, make_template)
    out = gallery.export(tmp_path / "export")
    entries = list(out.rglob("*"))
    dirs = sorted(p.relative_to(out).as_posix() for p in entries if p.is_dir())
    assert dirs == ["bookings", "bookings/T-1", "prints"]
    assert {_mode(p) for p in [out, *entries] if p.is_dir()} == {0o700}
    files = [p for p in entries if p.is_file()]
    assert len(files) == 7  # 4 JSON, a print and its template, a booking print
    assert {_mode(p) for p in files} == {0o600}


def test_export_never_leaves_its_folder_for_a_crafted_tcn(
    gallery_path: Path, tmp_path: Path, make_image, make_template
) -> None:
    escaped = tmp_path / "escaped"
    with open_gallery(gallery_path) as g:
        first = _booking_with_print(g, "T-1", 1, make_image, make_template)
        second = _booking_with_print(g, "T-2", 2, make_image, make_template)
        third = _booking_with_print(g, "T-3", 3, make_image, make_template)
    with closing(sqlite3.connect(gallery_path)) as conn, conn:  # behind the station's back
        conn.execute("UPDATE bookings SET tcn = '../../x' WHERE id = ?", (first,))
        conn.execute("UPDATE bookings SET tcn = ? WHERE id = ?", (str(escaped), second))
    before = {p for p in tmp_path.rglob("*")}
    with open_gallery(gallery_path, readonly=True) as g:
        assert not g.verify().ok  # the chain flags the edit …
        out = g.export(tmp_path / "export")  # … and the export still stays inside its folder
    outside = {
        p
        for p in tmp_path.rglob("*")
        if not p.is_relative_to(out) and not p.name.startswith(gallery_path.name)
    } - before
    assert outside == set()
    assert not escaped.exists()
    folders = sorted(p.name for p in (out / "bookings").iterdir())
    assert folders == sorted([f"_unsafe-tcn-{first}", f"_unsafe-tcn-{second}", "T-3"])
    exported = json.loads((out / "bookings.json").read_text(encoding="utf-8"))
    files = {b["id"]: b["prints"][0]["file"] for b in exported}
    assert files == {
        first: f"bookings/_unsafe-tcn-{first}/R1_rolled.png",
        second: f"bookings/_unsafe-tcn-{second}/R1_rolled.png",
        third: "bookings/T-3/R1_rolled.png",
    }
    assert (out / files[first]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", ["", ".", "..", "../x", "a/b", "/abs", "a\\b", "nul\0"])
def test_inside_refuses_names_that_are_not_plain(tmp_path: Path, name: str) -> None:
    with pytest.raises(GalleryError, match="export refused"):
        _inside(tmp_path, name)


def test_inside_refuses_a_link_out_of_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "link").symlink_to(tmp_path)
    with pytest.raises(GalleryError, match="outside the export folder"):
        _inside(folder.resolve(), "link")
    assert _inside(folder.resolve(), "ok.png") == folder.resolve() / "ok.png"


# --- purge ---------------------------------------------------------------------------------

OLD = "2026-01-10T09:00:00.000Z"
NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)  # 50 days after OLD


def _image(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (24, 32), dtype=np.uint8)


def _counts(g: Gallery) -> dict[str, int]:
    tables = ("subjects", "prints", "images", "bookings", "booking_prints", "responses")
    tables += ("decisions", "audit", "chain")
    with closing(sqlite3.connect(g.path)) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


@pytest.fixture
def aged(
    gallery: Gallery, monkeypatch: pytest.MonkeyPatch, make_template: Callable[..., Template]
) -> dict[str, int]:
    """Five old bookings (enrolled, cancelled, error, open, responded) and a new decided one."""
    g = gallery
    ids: dict[str, int] = {}

    def booking(tcn: str, status: str, seed: int) -> int:
        b = g.open_booking(tcn=tcn, operator="o", station_id="s", demographics={})
        g.audit("open booking", actor="o", booking_id=b)
        g.add_booking_print(
            b, "R1", "rolled", _image(seed), template=make_template(seed), device="m"
        )
        if status in ("enrolled", "decided", "responded"):
            r = g.add_response(b, "NO HIT", {"candidates": []})
            if status != "responded":
                g.add_decision(b, r, examiner="e", subject_id=None, decision="reject")
        g.set_booking_status(b, status)
        return b

    with monkeypatch.context() as m:
        m.setattr(gallery_codecs, "now", lambda: OLD)
        ids["enrolled"] = booking("OLD-ENROLLED", "enrolled", 1)
        sid = g.add_subject({"last_name": "Novak"})
        g.link_booking_subject(ids["enrolled"], sid)
        ids["print"] = g.add_print(
            sid, "R1", "rolled", _image(1), template=make_template(1), device="m",
            booking_id=ids["enrolled"],
        )  # fmt: skip
        g.audit("enrol", actor="o", booking_id=ids["enrolled"], subject_id=sid)
        ids["subject"] = sid
        ids["cancelled"] = booking("OLD-CANCELLED", "cancelled", 2)
        ids["error"] = booking("OLD-ERROR", "error", 3)
        ids["open"] = booking("OLD-OPEN", "open", 4)
        ids["responded"] = booking("OLD-RESPONDED", "responded", 5)
    ids["new"] = booking("NEW-DECIDED", "decided", 6)
    return ids


def test_purge_removes_old_closed_bookings_and_keeps_the_gallery(
    gallery: Gallery, aged: dict[str, int]
) -> None:
    before = _counts(gallery)
    report = gallery.purge(30, actor="admin", now=NOW)
    assert report.tcns == ("OLD-ENROLLED", "OLD-CANCELLED", "OLD-ERROR")
    assert report.cutoff == "2026-01-30T12:00:00.000Z"
    assert (report.bookings, report.booking_prints, report.images) == (3, 3, 3)
    assert (report.responses, report.decisions, report.prints_kept) == (1, 1, 1)
    assert report.audit == 4  # three "open booking" and the "enrol" entry
    assert not report.dry_run
    after = _counts(gallery)
    assert {t: before[t] - after[t] for t in after} == {
        "subjects": 0,
        "prints": 0,
        "images": 3,
        "bookings": 3,
        "booking_prints": 3,
        "responses": 1,
        "decisions": 1,
        "audit": 4 - 1,  # the purge's own entry
        "chain": -(1 + 3 + 3 + 3 + 1 + 1 + 4 + 1),  # unlink, deletes, the purge's entry
    }
    remaining = sorted(b["tcn"] for b in gallery.bookings())
    assert remaining == ["NEW-DECIDED", "OLD-OPEN", "OLD-RESPONDED"]
    kept = gallery.prints(aged["subject"])
    assert [(p["id"], p["booking_id"]) for p in kept] == [(aged["print"], None)]
    entry = gallery.audit_log(limit=1)[0]
    assert (entry["id"], entry["actor"], entry["action"]) == (
        report.audit_id,
        "admin",
        "purge bookings",
    )
    assert entry["detail"]["tcns"] == list(report.tcns)
    assert entry["detail"]["older_than_days"] == 30
    assert gallery.verify().ok
    assert gallery.check() == []


def test_purge_puts_the_append_only_triggers_back(gallery: Gallery, aged: dict[str, int]) -> None:
    with closing(sqlite3.connect(gallery.path)) as conn:
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        before = sorted(triggers.fetchall())
    gallery.purge(30, actor="admin", now=NOW)
    with closing(sqlite3.connect(gallery.path)) as conn:
        triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        assert sorted(triggers.fetchall()) == before
        for table in ("responses", "decisions", "audit"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(f"DELETE FROM {table}")


def test_purge_dry_run_writes_nothing(
    gallery: Gallery, gallery_path: Path, aged: dict[str, int]
) -> None:
    before = _counts(gallery)
    report = gallery.purge(30, actor="admin", now=NOW, dry_run=True)
    assert report.dry_run and report.audit_id is None
    assert report.tcns == ("OLD-ENROLLED", "OLD-CANCELLED", "OLD-ERROR")
    assert _counts(gallery) == before
    gallery.close()
    with open_gallery(gallery_path, readonly=True) as g:  # a dry run needs no write access
        assert g.purge(30, actor="admin", now=NOW, dry_run=True) == report
        with pytest.raises(GalleryError, match="read-only"):
            g.purge(30, actor="admin", now=NOW)


def test_purge_of_nothing_and_bad_arguments(gallery: Gallery, aged: dict[str, int]) -> None:
    before = _counts(gallery)
    report = gallery.purge(60, actor="admin", now=NOW)
    assert report.tcns == () and report.audit_id is None
    assert _counts(gallery) == before
    for days in (-1, float("nan"), float("inf"), True, "30"):
        with pytest.raises(ValueError, match="older_than_days"):
            gallery.purge(days, actor="admin")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        gallery.purge(1, actor="admin", now=dt.datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="actor"):
        gallery.purge(1, actor=" ")


def test_cli_purge(
    gallery: Gallery, gallery_path: Path, aged: dict[str, int], capsys: pytest.CaptureFixture
) -> None:
    gallery.close()
    args = ["gallery", "purge", "--gallery", str(gallery_path), "--older-than", "0"]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would purge 4 closed booking(s)" in out  # the new decided one is older than 0 days
    assert "1 enrolled gallery print(s) kept" in out
    assert main(args) == 0
    assert ": purged 4 closed booking(s)" in capsys.readouterr().out
    assert main(["gallery", "verify", "--gallery", str(gallery_path)]) == 0
    assert main(["gallery", "purge", "--gallery", str(gallery_path)]) == 2
    assert "--older-than DAYS" in capsys.readouterr().err
