"""Subjects, repository records, prints and templates; stats, check and export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from station.core.image import load
from station.core.synth.population import demographics
from station.core.template import Template
from station.gallery import (
    DEMOGRAPHIC_FIELDS,
    REPOSITORIES,
    SCHEMA_VERSION,
    Gallery,
    GalleryError,
    NotFoundError,
)


# --- subjects -----------------------------------------------------------------------------
def test_subject_round_trip_of_synthetic_demographics(gallery: Gallery) -> None:
    person = demographics(7, population=2)
    sid = gallery.add_subject(person, synthetic_id=7, population=2)
    row = gallery.subject(sid)
    assert {k: row[k] for k in DEMOGRAPHIC_FIELDS} == person.as_dict()
    assert (row["id"], row["synthetic_id"], row["population"]) == (sid, 7, 2)
    assert row["created_at"].endswith("Z") and row["created_at"][10] == "T"
    assert gallery.subject_by_synthetic(7, 2) == sid
    assert gallery.subject_by_synthetic(7, 0) is None


def test_known_answer_subject(gallery: Gallery) -> None:
    sid = gallery.add_subject(
        {"last_name": " Novak ", "first_name": "Ana", "weight": 130, "date_of_birth": "1990-04-02"}
    )
    row = gallery.subject(sid)
    del row["created_at"]
    assert row == {
        "id": 1,
        "synthetic_id": None,
        "population": None,
        "last_name": "Novak",
        "first_name": "Ana",
        "middle_initial": None,
        "date_of_birth": "1990-04-02",
        "sex": None,
        "height": None,
        "weight": 130,
        "eye_colour": None,
        "hair_colour": None,
        "place_of_birth": None,
    }


def test_synthetic_subject_is_enrolled_once(gallery: Gallery) -> None:
    sid = gallery.add_subject({}, synthetic_id=3)
    assert gallery.subject(sid)["population"] == 0
    with pytest.raises(GalleryError, match="already enrolled as subject 1"):
        gallery.add_subject({}, synthetic_id=3, population=0)
    assert gallery.add_subject({}, synthetic_id=3, population=1) == 2
    with pytest.raises(ValueError, match="population is given without synthetic_id"):
        gallery.add_subject({}, population=1)


@pytest.mark.parametrize(
    ("demographics_", "message"),
    [
        ({"surname": "X"}, "unknown demographic field"),
        ({"weight": "heavy"}, "weight"),
        ({"weight": 0}, "weight"),
        ({"date_of_birth": "02/04/1990"}, "date_of_birth"),
        ({"last_name": 5}, "last_name must be text"),
        (["Novak"], "mapping"),
    ],
)
def test_bad_demographics_are_refused(gallery: Gallery, demographics_, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        gallery.add_subject(demographics_)
    assert gallery.stats()["subjects"] == 0


def test_missing_subject_is_a_key_error_and_a_gallery_error(gallery: Gallery) -> None:
    with pytest.raises(NotFoundError) as info:
        gallery.subject(42)
    assert isinstance(info.value, KeyError) and isinstance(info.value, GalleryError)
    assert str(info.value).startswith("no subject 42 in gallery ")
    with pytest.raises(ValueError, match="positive whole number"):
        gallery.subject(0)


def test_subjects_pages_and_search(gallery: Gallery) -> None:
    ids = [
        gallery.add_subject({"last_name": last, "first_name": first})
        for last, first in [("Garcia", "Luis"), ("Novak", "Ana"), ("Garcia", "Ana"), ("Lee", "Mei")]
    ]
    gallery.add_record(ids[3], "federal-criminal", "FBI-77_1", offence_level=2)
    assert [s["id"] for s in gallery.subjects()] == ids
    assert [s["id"] for s in gallery.subjects(offset=1, limit=2)] == ids[1:3]
    assert [s["id"] for s in gallery.subjects(search="garcia")] == [ids[0], ids[2]]
    assert [s["id"] for s in gallery.subjects(search="Ana, Garcia")] == [ids[2]]
    assert [s["id"] for s in gallery.subjects(search="77_1")] == [ids[3]]
    assert [s["id"] for s in gallery.subjects(search="2")] == [ids[1]]
    assert gallery.subjects(search="%") == []  # wildcards are literal
    assert [s["id"] for s in gallery.subjects(search="  ")] == ids


# --- records ------------------------------------------------------------------------------
def test_records(gallery: Gallery, subject: int) -> None:
    r1 = gallery.add_record(subject, "local", "L-1")
    r2 = gallery.add_record(
        subject, "federal-criminal", "FBI-9", offence_level=1, charge="homicide"
    )
    rows = gallery.records(subject)
    assert [r["id"] for r in rows] == [r1, r2]
    assert rows[1]["repository"] == "federal-criminal" and rows[1]["offence_level"] == 1
    assert rows[1]["charge"] == "homicide" and rows[0]["offence_level"] is None


def test_record_rules(gallery: Gallery, subject: int) -> None:
    assert REPOSITORIES == ("local", "state", "federal-criminal", "federal-immigration")
    with pytest.raises(ValueError, match="unknown repository"):
        gallery.add_record(subject, "interpol", "X")
    with pytest.raises(ValueError, match="offence_level applies to state and federal-criminal"):
        gallery.add_record(subject, "federal-immigration", "A-1", offence_level=1)
    with pytest.raises(ValueError, match="offence_level must be 1-3"):
        gallery.add_record(subject, "state", "S-1", offence_level=4)
    with pytest.raises(NotFoundError, match="no subject 99"):
        gallery.add_record(99, "state", "S-1")
    gallery.add_record(subject, "state", "S-1", offence_level=3)
    other = gallery.add_subject({"last_name": "Other"})
    with pytest.raises(GalleryError, match="record state S-1 exists"):
        gallery.add_record(other, "state", "S-1")
    assert len(gallery.records(subject)) == 1 and gallery.records(other) == []


# --- prints and templates -----------------------------------------------------------------
def test_small_print_image_round_trips_exactly(gallery: Gallery, subject: int, make_image) -> None:
    image = make_image(3, (25, 31))  # under WSQ's 64 px a side: kept as lossless PNG
    pid = gallery.add_print(subject, "r2", "rolled", image, device="mock scanner")
    back = gallery.print_image(pid)
    assert back.dtype == np.uint8 and back.flags.writeable
    np.testing.assert_array_equal(back, image)
    [meta] = gallery.prints(subject)
    assert meta["finger"] == "R2" and (meta["width"], meta["height"]) == (31, 25)
    assert meta["has_template"] is False and meta["quality"] is None
    assert gallery.template(pid) is None


def test_print_with_template(gallery: Gallery, subject: int, make_image, make_template) -> None:
    t = make_template(1, quality=77, level=2)
    pid = gallery.add_print(
        subject,
        "L5",
        "flat",
        make_image(),
        template=t,
        device="file",
        captured_at="2026-03-01T09:30:00.5+01:00",
    )
    [meta] = gallery.prints(subject)
    assert (meta["quality"], meta["level"]) == (77, 2)  # from the template
    assert meta["captured_at"] == "2026-03-01T08:30:00.500Z"
    assert gallery.template(pid) == t
    t2 = make_template(2, quality=10, level=5)
    gallery.set_template(pid, t2)
    assert gallery.template(pid) == t2
    assert gallery.prints(subject)[0]["quality"] == 77  # the capture's quality stays


def test_prints_are_listed_in_capture_order(gallery: Gallery, subject: int, make_image) -> None:
    for finger, impression in [
        ("L1", "rolled"),
        ("R1", "flat"),
        ("R1", "rolled"),
        ("R5", "rolled"),
    ]:
        gallery.add_print(subject, finger, impression, make_image(), device="mock")
    assert [(p["finger"], p["impression"]) for p in gallery.prints(subject)] == [
        ("R1", "rolled"),
        ("R1", "flat"),
        ("R5", "rolled"),
        ("L1", "rolled"),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"finger": "R6"}, "unknown finger code 'R6'"),
        ({"finger": "RS"}, "unknown finger code 'RS'"),
        ({"impression": "slap"}, "unknown impression"),
        ({"image": np.zeros((4, 4), np.float32)}, "uint8"),
        ({"image": np.zeros((4, 4, 3), np.uint8)}, "2-D"),
        ({"image": np.zeros((0, 4), np.uint8)}, "no pixels"),
        ({"quality": 101}, "quality must be 0-100"),
        ({"level": 0}, "level must be 1-5"),
        ({"device": ""}, "device"),
        ({"template": b"BSTM"}, "template must be a Template"),
        ({"captured_at": "yesterday"}, "ISO-8601"),
        ({"captured_at": "2026-01-01T10:00:00"}, "time zone"),
    ],
)
def test_bad_print_writes_nothing(
    gallery: Gallery, subject: int, make_image, change: dict, message: str
) -> None:
    args = {"finger": "R1", "impression": "rolled", "image": make_image(), "device": "mock"}
    args.update(change)
    before = (gallery.generation(), gallery.stats())
    with pytest.raises(ValueError, match=message):
        gallery.add_print(
            subject,
            args.pop("finger"),
            args.pop("impression"),
            args.pop("image"),
            **args,
        )
    assert (gallery.generation(), gallery.stats()) == before
    assert gallery._scalar("SELECT count(*) FROM images") == 0


def test_print_of_missing_subject_or_booking(gallery: Gallery, subject: int, make_image) -> None:
    with pytest.raises(NotFoundError, match="no subject 5"):
        gallery.add_print(5, "R1", "rolled", make_image(), device="mock")
    with pytest.raises(NotFoundError, match="no booking 5"):
        gallery.add_print(subject, "R1", "rolled", make_image(), device="mock", booking_id=5)
    with pytest.raises(NotFoundError, match="no print 5"):
        gallery.print_image(5)
    with pytest.raises(NotFoundError, match="no print 5"):
        gallery.set_template(5, Template(width=10, height=10))
    assert gallery._scalar("SELECT count(*) FROM images") == 0


# --- stats, check, export -----------------------------------------------------------------
def _populate(gallery: Gallery, make_image, make_template) -> dict[str, int]:
    s1 = gallery.add_subject(demographics(1), synthetic_id=1)
    s2 = gallery.add_subject(demographics(2), synthetic_id=2)
    gallery.add_record(s1, "federal-criminal", "FBI-1", offence_level=2)
    gallery.add_record(s1, "local", "L-1")
    gallery.add_record(s2, "federal-immigration", "A-2")
    gallery.add_print(s1, "R1", "rolled", make_image(1), template=make_template(1), device="m")
    gallery.add_print(s1, "R1", "rolled", make_image(2), device="m")
    gallery.add_print(s2, "L3", "flat", make_image(3), template=make_template(3), device="m")
    b = gallery.open_booking(tcn="T-1", operator="o", station_id="s", demographics=demographics(1))
    gallery.add_booking_print(b, "R1", "rolled", make_image(4), device="m")
    gallery.add_booking_print(b, "R2", "rolled", None, annotation="XX", device="m")
    r = gallery.add_response(b, "HIT", {"candidates": [{"subject": s1, "score": 0.4}]})
    gallery.add_decision(b, r, examiner="e", subject_id=s1, decision="confirm")
    gallery.set_booking_status(b, "decided")
    gallery.audit("confirm hit", actor="e", booking_id=b, subject_id=s1, detail={"score": 0.4})
    return {"s1": s1, "s2": s2, "booking": b}


def test_stats(gallery: Gallery, make_image, make_template) -> None:
    _populate(gallery, make_image, make_template)
    stats = gallery.stats()
    assert stats["schema_version"] == SCHEMA_VERSION
    assert stats["file_size"] > 0 and stats["path"] == str(gallery.path)
    assert stats["subjects"] == 2 and stats["prints"] == 3 and stats["templates"] == 2
    assert stats["records"] == {
        "local": 1,
        "state": 0,
        "federal-criminal": 1,
        "federal-immigration": 1,
    }
    assert stats["bookings"]["decided"] == 1 and sum(stats["bookings"].values()) == 1
    assert stats["responses"] == {"HIT": 1, "NO HIT": 0, "REVIEW": 0, "RECAPTURE": 0, "ERROR": 0}
    assert (stats["booking_prints"], stats["decisions"], stats["audit"]) == (2, 1, 1)


def test_check_of_a_healthy_gallery(gallery: Gallery, make_image, make_template) -> None:
    assert gallery.check() == []
    _populate(gallery, make_image, make_template)
    assert gallery.check() == []
    assert gallery.check(images=False) == []


def test_export(gallery: Gallery, tmp_path: Path, make_image, make_template) -> None:
    ids = _populate(gallery, make_image, make_template)
    out = gallery.export(tmp_path / "export")
    assert out == tmp_path / "export"
    s1 = ids["s1"]
    assert sorted(p.name for p in (out / "prints").iterdir()) == [
        f"{s1}_R1_rolled.png",
        f"{s1}_R1_rolled.tpl",
        f"{s1}_R1_rolled_2.png",
        f"{ids['s2']}_L3_flat.png",
        f"{ids['s2']}_L3_flat.tpl",
    ]
    np.testing.assert_array_equal(load(out / "prints" / f"{s1}_R1_rolled.png"), make_image(1))
    tpl = (out / "prints" / f"{s1}_R1_rolled.tpl").read_bytes()
    assert Template.from_bytes(tpl) == make_template(1)
    subjects = json.loads((out / "subjects.json").read_text(encoding="utf-8"))
    assert [s["synthetic_id"] for s in subjects] == [1, 2]
    assert subjects[0]["prints"][0]["file"] == f"prints/{s1}_R1_rolled.png"
    records = json.loads((out / "records.json").read_text(encoding="utf-8"))
    assert {r["record_number"] for r in records} == {"FBI-1", "L-1", "A-2"}
    [booking] = json.loads((out / "bookings.json").read_text(encoding="utf-8"))
    assert booking["tcn"] == "T-1" and booking["status"] == "decided"
    assert [p["finger"] for p in booking["prints"]] == ["R1", "R2"]
    assert booking["prints"][0]["file"] == "bookings/T-1/R1_rolled.png"
    assert "file" not in booking["prints"][1]  # amputated: no image
    assert booking["responses"][0]["payload"]["candidates"][0]["subject"] == s1
    assert booking["decisions"][0]["decision"] == "confirm"
    np.testing.assert_array_equal(load(out / "bookings" / "T-1" / "R1_rolled.png"), make_image(4))
    [entry] = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert entry["detail"] == {"score": 0.4}


def test_export_refuses_a_non_empty_directory(gallery: Gallery, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(GalleryError, match="not empty"):
        gallery.export(tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]
