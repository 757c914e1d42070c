"""kill -9 during seeding or during a booking's submit: the file stays sound, nothing
committed is lost, and seeding resumes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import station
from station.gallery import open_gallery

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
ENV = dict(os.environ, PYTHONPATH=str(Path(station.__file__).resolve().parents[1]))


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "station.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
        start_new_session=True,  # its own process group: kill it with its worker processes
    )


def _wait_for(predicate, child: subprocess.Popen, timeout: float = 120.0) -> None:
    """Poll the file (read-only, from this process) until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            pytest.fail(f"the child ended (exit {child.returncode}) before it could be killed")
        try:
            if predicate():
                return
        except Exception:  # the file may not exist or be mid-creation yet
            pass
        time.sleep(0.02)
    os.killpg(child.pid, signal.SIGKILL)
    pytest.fail("timed out waiting for the child")


def _sound(path: Path) -> dict:
    with open_gallery(path) as g:
        assert g.check(images=False) == []
        return g.stats()


@pytest.mark.slow
def test_kill_during_seeding_then_resume(tmp_path: Path) -> None:
    path = tmp_path / "gallery.sqlite"
    child = _start("seed", "--subjects", "4", "--workers", "2", "--gallery", str(path))

    def one_subject() -> bool:
        with open_gallery(path, readonly=True) as g:
            return g.stats()["subjects"] >= 1

    _wait_for(one_subject, child)
    os.killpg(child.pid, signal.SIGKILL)  # the seeder and its render processes, as kill -9 -PGID
    child.wait(timeout=30)
    stats = _sound(path)
    assert 1 <= stats["subjects"] < 4
    assert stats["prints"] == 10 * stats["subjects"]  # whole subjects only
    resumed = _start("seed", "--subjects", "4", "--workers", "2", "--gallery", str(path))
    assert resumed.wait(timeout=300) == 0
    stats = _sound(path)
    assert stats["subjects"] == 4 and stats["prints"] == 40


SUBMIT_CHILD = """
import sys, time
from station.gallery import open_gallery
from station.scanner.mock import MockScanner
from station.scanner.scenarios import PlatenSubject
from station.service import BookingService, process_capture, run_search

with open_gallery(sys.argv[1]) as gallery:
    service = BookingService(gallery)
    scanner = MockScanner(PlatenSubject(int(sys.argv[2])))
    scanner.connect()
    booking = service.open_booking({"last_name": "Doe"})
    for finger in ("R1", "R2", "R3"):
        service.add_capture(booking, process_capture(scanner.capture(finger, "rolled")))
    job = service.prepare_submit(booking)
    candidates, ms = run_search(job, service.index)
    with gallery.transaction():  # killed in the middle of writing the response
        gallery.add_response(booking, "HIT", {"candidates": []})
        print("writing", flush=True)
        time.sleep(60)
"""


def test_kill_during_submit_loses_no_committed_booking(gallery_copy: Path, enrolled) -> None:
    from station.service import BookingService
    from station.service.drive import book_synthetic

    with open_gallery(gallery_copy) as g:
        kept = book_synthetic(BookingService(g), enrolled[0], slaps=False)
    child = subprocess.Popen(
        [sys.executable, "-c", SUBMIT_CHILD, str(gallery_copy), str(enrolled[1])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "writing", child.stderr.read() if child.stderr else ""
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        child.stderr.close()
    _sound(gallery_copy)
    with open_gallery(gallery_copy, readonly=True) as g:
        booking = g.booking_by_tcn(kept.response.tcn)
        assert booking["status"] == "responded"
        assert [r["disposition"] for r in g.responses(booking["id"])] == ["HIT"]
        assert len(g.booking_prints(booking["id"])) == 10
        killed = [b for b in g.bookings() if b["tcn"] != kept.response.tcn]
        # The half-written response is gone and the booking is as it was before the submit:
        # open, with its captures, and no "submit" entry (it commits with the response).
        assert [b["status"] for b in killed] == ["open"]
        assert g.responses(killed[0]["id"]) == []
        assert "submit" not in [a["action"] for a in g.audit_log(booking_id=killed[0]["id"])]
