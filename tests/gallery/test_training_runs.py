"""Scored training runs in the gallery: stored with their events and an audit entry in the
trainee's name, append-only, and chained (an edit made with another tool is found)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from station.gallery import Gallery, GalleryError, NotFoundError, open_gallery

EVENTS = [
    {"at": 0.0, "action": "capture", "detail": {"finger": "R1", "level": 2}},
    {"at": 4.5, "action": "annotate", "detail": {"finger": "L4", "annotation": "XX"}},
    {"at": 9.25, "action": "submit", "detail": {"disposition": "NO HIT"}},
]


def _run(gallery: Gallery, **changes: object) -> int:
    values: dict = {
        "scenario_id": "amputated-finger",
        "scenario_title": "Amputated finger",
        "trainee": "trainee1",
        "booking_id": None,
        "started_at": "2026-12-01T10:00:00.000Z",
        "finished_at": "2026-12-01T10:00:09.250Z",
        "points": 3,
        "max_points": 5,
        "score": {"points": 3, "mistakes": ["did not annotate L4 as XX"]},
        "events": EVENTS,
    }
    values.update(changes)
    return gallery.add_training_run(**values)


def test_run_events_and_audit_are_stored_and_the_chain_stays_valid(gallery: Gallery) -> None:
    booking = gallery.open_booking(
        tcn="T-1", operator="trainee1", station_id="BS-1", demographics={}
    )
    run_id = _run(gallery, booking_id=booking)
    run = gallery.training_run(run_id)
    assert (run["trainee"], run["tcn"], run["points"], run["max_points"]) == (
        "trainee1",
        "T-1",
        3,
        5,
    )
    assert run["score"]["mistakes"] == ["did not annotate L4 as XX"]
    assert [e["action"] for e in gallery.training_events(run_id)] == [
        "capture",
        "annotate",
        "submit",
    ]
    assert gallery.training_events(run_id)[1]["at"] == 4.5
    audit = [
        e for e in gallery.audit_log(booking_id=booking) if e["action"] == "training run scored"
    ]
    assert len(audit) == 1 and audit[0]["actor"] == "trainee1"
    assert audit[0]["detail"] == {
        "run_id": run_id,
        "scenario": "amputated-finger",
        "points": 3,
        "max_points": 5,
    }
    assert gallery.training_runs(trainee="TRAINEE1")[0]["id"] == run_id
    assert gallery.training_runs(scenario_id="other") == []
    assert gallery.verify().problem is None


def test_bad_runs_are_refused_before_anything_is_written(gallery: Gallery) -> None:
    with pytest.raises(ValueError, match="cannot exceed"):
        _run(gallery, points=6)
    with pytest.raises(ValueError, match="event 2: at must be seconds"):
        _run(gallery, events=[EVENTS[0], {"at": -1, "action": "submit"}])
    with pytest.raises(ValueError, match="unknown event 1 action 'dance'"):
        _run(gallery, events=[{"at": 0, "action": "dance"}])
    with pytest.raises(NotFoundError):
        _run(gallery, booking_id=99)
    assert gallery.training_runs() == []


def test_runs_are_append_only_and_an_edit_is_found(gallery_path: Path) -> None:
    with open_gallery(gallery_path) as gallery:
        run_id = _run(gallery)
    with closing(sqlite3.connect(gallery_path)) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE training_runs SET points = 5 WHERE id = ?", (run_id,))
        conn.execute("DROP TRIGGER training_runs_no_update")
        conn.execute("UPDATE training_runs SET points = 5 WHERE id = ?", (run_id,))
        conn.commit()
    with open_gallery(gallery_path) as gallery:
        problem = gallery.verify().problem
    assert problem is not None and problem.table == "training_runs" and problem.row_id == run_id


def test_a_missing_run_is_named(gallery: Gallery) -> None:
    with pytest.raises(NotFoundError, match="no training run 3"):
        gallery.training_events(3)
    with pytest.raises(GalleryError):
        gallery.training_run(3)
