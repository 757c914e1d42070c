"""Crash safety of a booking: one transaction per step, stale bookings listed, resumed or
closed, damaged templates skipped by name, seed workers that outlive no parent, and
kill -9 at random moments."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

import station
from station.benchmark.crash import COMPLETE, crash_trials
from station.cli import main
from station.core.vocabulary import BookingStatus, Disposition
from station.gallery import GalleryError, open_gallery
from station.scanner.mock import MockScanner
from station.scanner.scenarios import PlatenSubject
from station.service import BookingService, load_index, process_capture, run_search
from station.service.drive import book_captures, book_files

ENV = dict(os.environ, PYTHONPATH=str(Path(station.__file__).resolve().parents[1]))


def _captures(subject: int, fingers=("R1", "R2", "R3", "R4", "R5")):
    scanner = MockScanner(PlatenSubject(subject))
    scanner.connect()
    return [scanner.capture(f, "rolled") for f in fingers]


def _counts(gallery) -> tuple[int, int]:
    stats = gallery.stats()
    return sum(stats["bookings"].values()), stats["audit"]


# --- one transaction per step ---------------------------------------------------------------


def test_prepare_submit_writes_nothing_and_finish_commits_all(service, enrolled) -> None:
    g = service.gallery
    booking = service.open_booking({"last_name": "Doe"})
    for capture in _captures(enrolled[0]):
        service.add_capture(booking, process_capture(capture))
    audit_before = g.stats()["audit"]
    job = service.prepare_submit(booking)
    assert g.booking(booking)["status"] == BookingStatus.OPEN
    assert g.stats()["audit"] == audit_before  # the "submit" entry waits for the response
    candidates, ms = run_search(job, service.index)
    response = service.finish_submit(job, candidates, ms)
    assert response.disposition is Disposition.HIT
    assert g.booking(booking)["status"] == BookingStatus.RESPONDED
    assert g.booking(booking)["subject_id"] == response.subject.subject_id
    actions = [a["action"] for a in g.audit_log(booking_id=booking)]
    assert actions[-2:] == ["submit", "response"]
    with pytest.raises(GalleryError, match="already submitted"):
        service.finish_submit(job, candidates, ms)
    assert g.verify().problem is None


def test_a_failed_response_write_leaves_the_booking_open(service, enrolled, monkeypatch) -> None:
    g = service.gallery
    booking = service.open_booking({"last_name": "Doe"})
    for capture in _captures(enrolled[0]):
        service.add_capture(booking, process_capture(capture))
    job = service.prepare_submit(booking)
    candidates, ms = run_search(job, service.index)
    before = _counts(g)

    def refuse(*args, **kwargs):
        raise GalleryError("disk full (simulated)")

    monkeypatch.setattr(g, "add_response", refuse)
    with pytest.raises(GalleryError, match="simulated"):
        service.finish_submit(job, candidates, ms)
    assert _counts(g) == before  # no "submit" entry, no link, no status change
    booking_row = g.booking(booking)
    assert booking_row["status"] == BookingStatus.OPEN and booking_row["subject_id"] is None
    monkeypatch.undo()
    assert service.resume(booking, submit=True).response.disposition is Disposition.HIT


def test_a_capture_the_gallery_refuses_leaves_no_booking(service, enrolled) -> None:
    g = service.gallery
    captures = _captures(enrolled[0])
    captures[2] = replace(captures[2], device="image file bad\udcff_R3.png")  # not UTF-8
    before = _counts(g)
    with pytest.raises(UnicodeEncodeError):
        book_captures(service, {"last_name": "Doe"}, captures)
    assert _counts(g) == before  # no empty open booking, no audit entry
    assert g.verify().problem is None


def test_book_from_files_with_a_non_utf8_name_writes_nothing(
    gallery_copy: Path, tmp_path: Path, enrolled, capsys
) -> None:
    from station.core import image as imageio

    folder = tmp_path / "prints"
    folder.mkdir()
    for capture in _captures(enrolled[0]):
        imageio.save(folder / f"{capture.finger}.png", capture.image)
    bad = os.path.join(os.fsencode(folder), b"subj\xff_L1.png")
    shutil.copy(folder / "R1.png", bad)
    demographics = tmp_path / "who.json"
    demographics.write_text(
        json.dumps(
            {"last_name": "Doe", "first_name": "Jo", "date_of_birth": "1980-01-02", "sex": "M"}
        ),
        encoding="utf-8",
    )
    with open_gallery(gallery_copy) as g:
        before = _counts(g)
        service = BookingService(g, index=load_index(g))
        with pytest.raises(ValueError, match="not valid UTF-8"):
            book_files(service, folder, demographics)
        assert _counts(g) == before


# --- stale bookings: listed, resumed, closed --------------------------------------------------


def test_stale_bookings_are_listed_resumed_and_closed(service, enrolled) -> None:
    g = service.gallery
    partial = service.open_booking({"last_name": "Partial"})
    for capture in _captures(enrolled[0]):
        service.add_capture(partial, process_capture(capture))
    empty = service.open_booking({"last_name": "Empty"})
    legacy = service.open_booking({"last_name": "Legacy"})
    for capture in _captures(enrolled[1]):
        service.add_capture(legacy, process_capture(capture))
    g.set_booking_status(legacy, BookingStatus.SUBMITTED)  # as an older station left it
    assert service.stale() == []  # fresh: an officer may still be capturing
    stale = {s.booking_id: s for s in service.stale(older_than=0)}
    assert set(stale) == {partial, empty, legacy}
    assert (stale[partial].status, stale[partial].prints, stale[partial].responses) == (
        BookingStatus.OPEN,
        5,
        0,
    )
    assert stale[legacy].line().startswith(f"{g.booking(legacy)['tcn']}: submitted, 5 prints")

    waiting = service.resume(partial)
    assert waiting.response is None
    assert waiting.pending == ("L1", "L2", "L3", "L4", "L5")
    assert g.booking(partial)["status"] == BookingStatus.OPEN
    done = service.resume(partial, submit=True)
    assert done.response.disposition is Disposition.HIT
    assert done.response.subject.synthetic_id == enrolled[0]
    assert service.resume(legacy).response.disposition is Disposition.HIT
    assert g.booking(legacy)["status"] == BookingStatus.RESPONDED

    with pytest.raises(ValueError, match="reason"):
        service.close(empty, "  ")
    service.close(empty, "station crashed; person re-booked")
    assert g.booking(empty)["status"] == BookingStatus.CANCELLED
    entry = g.audit_log(booking_id=empty)[-1]
    assert entry["action"] == "close booking"
    assert entry["detail"] == {"reason": "station crashed; person re-booked", "status": "open"}
    for booking in (partial, empty, legacy):
        with pytest.raises(GalleryError, match="only an open or submitted"):
            service.close(booking, "again")
    assert service.stale(older_than=0) == []
    assert g.verify().problem is None


def test_cli_lists_resumes_and_closes_stale_bookings(gallery_copy: Path, enrolled, capsys) -> None:
    with open_gallery(gallery_copy) as g:
        service = BookingService(g, station_id="CLI-1")
        one = service.open_booking({"last_name": "One"})
        for capture in _captures(enrolled[0]):
            service.add_capture(one, process_capture(capture))
        two = service.open_booking({"last_name": "Two"})
        tcn_one, tcn_two = g.booking(one)["tcn"], g.booking(two)["tcn"]
    where = ["--gallery", str(gallery_copy)]
    assert main(["gallery", "check", "--quick", *where]) == 0
    assert "stale" not in capsys.readouterr().out  # younger than 600 s
    assert main(["gallery", "check", "--quick", "--stale-after", "0", *where]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("ok (integrity, foreign keys, templates, chain)")
    assert [line.split(": stale: ")[1].split(":")[0] for line in lines[1:]] == [tcn_one, tcn_two]
    assert ": open, 5 prints, no response, idle " in lines[1]

    assert main(["booking", "list", "--stale", "--older-than", "0", *where]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert main(["booking", "resume", tcn_one, *where]) == 0
    assert json.loads(capsys.readouterr().out)["pending"] == [
        "L1", "L2", "L3", "L4", "L5"
    ]  # fmt: skip
    assert main(["booking", "resume", tcn_one, "--submit", *where]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["disposition"] == "HIT" and out["tcn"] == tcn_one
    assert main(["booking", "close", tcn_two, *where]) == 2
    assert "--reason" in capsys.readouterr().err
    assert main(["booking", "close", tcn_two, "--reason", "test", *where]) == 0
    assert main(["booking", "close", tcn_two, "--reason", "test", *where]) == 2
    assert "cancelled" in capsys.readouterr().err
    assert main(["booking", "list", "--stale", "--older-than", "0", *where]) == 0
    assert capsys.readouterr().out == ""
    assert main(["gallery", "verify", *where]) == 0


# --- a damaged template is named and skipped ------------------------------------------------


def test_a_corrupt_template_is_skipped_by_name(gallery_copy: Path, enrolled, caplog) -> None:
    with open_gallery(gallery_copy, readonly=True) as g:
        subject = g.subject_by_synthetic(enrolled[1], 0)
        print_id = next(p["id"] for p in g.prints(subject) if p["finger"] == "R2")
    raw = sqlite3.connect(gallery_copy)
    raw.execute("UPDATE prints SET template = x'0badc0de' WHERE id = ?", (print_id,))
    raw.commit()
    raw.close()
    with open_gallery(gallery_copy) as g:
        with caplog.at_level(logging.WARNING, logger="station.service.index"):
            index = load_index(g, cache=False)
        (warning,) = [r.getMessage() for r in caplog.records if "does not load" in r.getMessage()]
        assert f"subject {subject} finger R2 (print {print_id})" in warning
        assert len(index) == len(enrolled)  # the subject's nine other fingers are still searched
        service = BookingService(g, index=index)
        for k in enrolled[:2]:
            booking = service.open_booking({"last_name": "Doe"})
            for capture in _captures(k):
                service.add_capture(booking, process_capture(capture))
            response = service.submit(booking)
            assert response.disposition is Disposition.HIT
            assert response.subject.synthetic_id == k
        assert g.verify().problem is not None  # the tamper chain flags the edit, as expected


# --- seed workers do not outlive a killed seeder ----------------------------------------------


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_seed_workers_exit_when_the_seeder_is_killed(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "seed", "--subjects", "40", "--workers", "2",
         "--gallery", str(tmp_path / "g.sqlite")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            assert child.poll() is None, "the seeder ended before it could be killed"
            workers = {p for p in _children(child.pid) if _alive(p)}
            time.sleep(0.05)
        assert len(workers) >= 2, "no worker processes appeared"
        os.kill(child.pid, signal.SIGKILL)  # the parent only, not its process group
        child.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.05)
        left = [p for p in workers if _alive(p)]
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        for pid in _children(child.pid):
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"worker processes {left} outlived the killed seeder"


# --- kill -9 at random moments ----------------------------------------------------------------


def _check_crash_report(report, kills: int) -> None:
    assert report.kills == kills
    assert report.partial == 0  # every unfinished booking held all its captures
    assert sum(report.resumed.values()) == report.unfinished_at_kill
    assert set(report.final_statuses) <= set(COMPLETE), report.final_statuses
    assert report.integrity_ok and report.verify_ok and report.ok


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_9_at_random_moments_leaves_complete_or_resumable(
    seeded_gallery: Path, tmp_path: Path
) -> None:
    report = crash_trials(seeded_gallery, kills=5, workdir=tmp_path, seed=1, window=3.0)
    _check_crash_report(report, 5)


#: The long run (about 3 minutes for 30 kills) runs when this names a number of kills;
#: ``station bench --only crash --kills 30`` reports the same figures.
LONG_KILLS = os.environ.get("STATION_CRASH_KILLS")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.skipif(LONG_KILLS is None, reason="set STATION_CRASH_KILLS=30 to run it")
def test_kill_9_many_times(seeded_gallery: Path, tmp_path: Path) -> None:
    kills = int(LONG_KILLS or 30)
    report = crash_trials(seeded_gallery, kills=kills, workdir=tmp_path, seed=2, window=5.0)
    _check_crash_report(report, kills)
    assert report.bookings >= kills // 3


# --- nothing is written to a damaged gallery --------------------------------------------------


def test_book_refuses_a_gallery_with_a_zeroed_page(gallery_copy: Path, capsys) -> None:
    raw = sqlite3.connect(gallery_copy)
    page = raw.execute("SELECT rootpage FROM sqlite_master WHERE name = 'records'").fetchone()[0]
    size = raw.execute("PRAGMA page_size").fetchone()[0]
    raw.close()
    data = bytearray(gallery_copy.read_bytes())
    data[(page - 1) * size : page * size] = bytes(size)
    gallery_copy.write_bytes(bytes(data))
    before = gallery_copy.read_bytes()
    assert main(["book", "--subject", "0", "--no-slaps", "--gallery", str(gallery_copy)]) == 2
    err = capsys.readouterr().err
    assert f"gallery {gallery_copy} is damaged: " in err and "nothing is written" in err
    assert gallery_copy.read_bytes() == before
    assert sorted(p.name for p in gallery_copy.parent.iterdir()) == [gallery_copy.name]
    assert main(["gallery", "check", "--quick", "--gallery", str(gallery_copy)]) == 1
    assert "integrity: " in capsys.readouterr().out
