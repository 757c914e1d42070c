"""Training classes in the gallery (schema 9): stored, read back, events appended and chained,
append-only, an edit found by the chain check."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from station.core.vocabulary import ClassEvent
from station.gallery import Gallery, NotFoundError, open_gallery


def _class(gallery: Gallery, name: str = "Monday") -> int:
    return gallery.add_training_class(
        name=name, instructor="ian", trainees=["tia", "tom"], scenarios=["dry-skin"], time_limit=60
    )


def test_a_class_and_its_events_are_stored_and_chained(gallery: Gallery) -> None:
    class_id = _class(gallery)
    row = gallery.training_class("MONDAY")
    assert (row["id"], row["trainees"], row["scenarios"], row["time_limit"]) == (
        class_id,
        ["tia", "tom"],
        ["dry-skin"],
        60,
    )
    assert gallery.training_class(class_id)["name"] == "Monday"
    first = gallery.add_class_event(class_id, ClassEvent.START, actor="ian")
    gallery.add_class_event(
        class_id, "fault", actor="ian", trainee="tia", detail={"fault": "dirty platen"}
    )
    events = gallery.class_events(class_id)
    assert [(e["kind"], e["trainee"], e["detail"]) for e in events] == [
        ("start", None, None),
        ("fault", "tia", {"fault": "dirty platen"}),
    ]
    assert [e["kind"] for e in gallery.class_events(after=first)] == ["fault"]
    assert gallery.audit_log()[-1]["action"] == "training class created"
    assert gallery.verify().ok


def test_bad_classes_and_events_are_refused(gallery: Gallery) -> None:
    _class(gallery)
    with pytest.raises(ValueError, match="already"):
        _class(gallery, "monday")
    with pytest.raises(ValueError, match="time_limit"):
        gallery.add_training_class(
            name="B", instructor="ian", trainees=["tia"], scenarios=["x"], time_limit=0
        )
    with pytest.raises(ValueError, match="named twice"):
        gallery.add_training_class(
            name="B", instructor="ian", trainees=["tia", "TIA"], scenarios=["x"], time_limit=5
        )
    with pytest.raises(ValueError, match="class event"):
        gallery.add_class_event(1, "dance", actor="ian")
    with pytest.raises(NotFoundError):
        gallery.add_class_event(7, ClassEvent.START, actor="ian")
    with pytest.raises(NotFoundError, match="no training class named 'Z'"):
        gallery.training_class("Z")


def test_classes_are_append_only_and_an_edit_is_found(gallery_path: Path) -> None:
    with open_gallery(gallery_path) as gallery:
        class_id = _class(gallery)
    with closing(sqlite3.connect(gallery_path)) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE training_classes SET time_limit = 5 WHERE id = ?", (class_id,))
        conn.execute("DROP TRIGGER training_classes_no_update")
        conn.execute("UPDATE training_classes SET time_limit = 5 WHERE id = ?", (class_id,))
        conn.commit()
    with open_gallery(gallery_path) as gallery:
        problem = gallery.verify().problem
    assert problem is not None and problem.table == "training_classes"
