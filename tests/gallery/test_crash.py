"""A booking committed is a booking kept: kill -9 the writer, reopen, find every one."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from contextlib import closing
from pathlib import Path

import pytest

import station
from station.gallery import open_gallery

CHILD = """
import sys
from station.gallery import open_gallery

gallery = open_gallery(sys.argv[1])
k = 0
while True:
    tcn = f"CRASH-{k:06d}"
    with gallery.transaction():
        booking = gallery.open_booking(
            tcn=tcn, operator="officer 7", station_id="BS-1", demographics={"last_name": "Doe"}
        )
        gallery.add_response(booking, "NO HIT", {"candidates": [], "k": k})
        gallery.audit("submit", actor="officer 7", booking_id=booking)
    print(tcn, flush=True)  # reported only after the commit returned
    k += 1
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_committed_bookings_survive_kill_9(gallery_path: Path) -> None:
    open_gallery(gallery_path).close()
    env = dict(os.environ, PYTHONPATH=str(Path(station.__file__).resolve().parents[1]))
    reported: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(gallery_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as child:
        watchdog = threading.Timer(60, child.kill)  # never hang the suite
        watchdog.start()
        try:
            assert child.stdout is not None and child.stderr is not None
            while len(reported) < 20:
                line = child.stdout.readline()
                assert line, f"the writer stopped early: {child.stderr.read()}"
                reported.append(line.strip())
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            reported += [line.strip() for line in child.stdout if line.strip()]
        finally:
            watchdog.cancel()
    assert child.returncode == -signal.SIGKILL
    assert len(reported) >= 20

    with closing(sqlite3.connect(gallery_path)) as conn:  # before the gallery recovers it
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with open_gallery(gallery_path) as gallery:
        assert gallery.check() == []
        stored = {b["tcn"] for b in gallery.bookings(limit=100_000)}
        assert set(reported) <= stored
        # each booking is whole: the transaction that wrote it wrote its response and audit too
        stats = gallery.stats()
        n = len(stored)
        assert stats["responses"]["NO HIT"] == n and stats["audit"] == n
        assert n - len(reported) <= 1  # at most the one being committed when killed
        last = gallery.booking_by_tcn(reported[-1])
        assert gallery.responses(last["id"])[0]["payload"]["k"] == len(reported) - 1
