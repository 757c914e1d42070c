"""Opening files safely: refused files are left exactly as they were (no -wal/-shm beside
them), and a gallery in a folder this process cannot write can still be read."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import station
from station.gallery import GalleryError, open_gallery

ENV = dict(os.environ, PYTHONPATH=str(Path(station.__file__).resolve().parents[1]))


def _wal_db(path: Path, *, user_version: int = 0, application_id: int = 0) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA user_version = {user_version}")
    conn.execute(f"PRAGMA application_id = {application_id}")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "is a SQLite database but not a Booking Station gallery"),
        ({"application_id": 0x12345678}, "is a SQLite database but not a Booking Station"),
        ({"user_version": 99}, "has schema version 99, this station knows up to"),
    ],
)
@pytest.mark.parametrize("readonly", [False, True])
def test_a_refused_file_is_left_alone(
    tmp_path: Path, kwargs: dict, message: str, readonly: bool
) -> None:
    path = tmp_path / "other.sqlite"
    _wal_db(path, **kwargs)
    before = path.read_bytes()
    with pytest.raises(GalleryError, match=message):
        open_gallery(path, readonly=readonly)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.sqlite"]  # no -wal, -shm
    assert path.read_bytes() == before


READ_CHILD = """
import json, os, sys
# Everything imported first: the interpreter's files may not be readable by "nobody" (nor the
# package's data files, in a clone under a private folder: the score calibration is read now).
import station.gallery, station.service, station.service.booking, station.settings
from station.cli import main
from station.core.match.calibration import calibration_table
calibration_table()
if os.getuid() == 0:
    os.setgid(65534); os.setuid(65534)  # nobody: the folder is not writable for it
sys.exit(main(sys.argv[1:]))
"""


def test_a_gallery_in_a_read_only_folder_can_be_read() -> None:
    # Not pytest's tmp_path: its parents are private to this user, and the child may run as
    # another user (root ignores folder permissions, so the check runs as "nobody").
    folder = Path(tempfile.mkdtemp(prefix="station-ro-"))
    try:
        path = folder / "gallery.sqlite"
        with open_gallery(path) as g:
            sid = g.add_subject({"last_name": "Novak"})
            g.audit("enrol", actor="test", subject_id=sid)
        assert sorted(p.name for p in folder.iterdir()) == ["gallery.sqlite"]
        path.chmod(0o444)
        folder.chmod(0o555)
        for args, code in (
            (["gallery", "stats"], 0),
            (["gallery", "check"], 0),
            (["gallery", "verify"], 0),
        ):
            child = subprocess.run(
                [sys.executable, "-c", READ_CHILD, *args, "--gallery", str(path)],
                capture_output=True,
                text=True,
                env=ENV,
                timeout=120,
            )
            assert child.returncode == code, child.stderr
            if args[1] == "stats":
                assert json.loads(child.stdout)["subjects"] == 1
        assert sorted(p.name for p in folder.iterdir()) == ["gallery.sqlite"]
    finally:
        folder.chmod(stat.S_IRWXU)
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()
