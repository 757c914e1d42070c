"""Bookings, captures and recaptures, responses, decisions, the audit trail, transactions."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from station.core.vocabulary import BOOKING_STATUSES
from station.gallery import Gallery, GalleryError, NotFoundError

DEMO = {"last_name": "Mensah", "first_name": "Kwame", "sex": "M"}


@pytest.fixture
def booking(gallery: Gallery) -> int:
    return gallery.open_booking(
        tcn="T0001", operator="officer 7", station_id="BS-1", demographics=DEMO
    )


# --- bookings -----------------------------------------------------------------------------
def test_known_answer_booking(gallery: Gallery, booking: int) -> None:
    row = gallery.booking(booking)
    assert row["created_at"] == row["updated_at"] and row["created_at"].endswith("Z")
    del row["created_at"], row["updated_at"]
    assert row == {
        "id": 1,
        "tcn": "T0001",
        "transaction_type": "CAR",
        "operator": "officer 7",
        "station_id": "BS-1",
        "status": "open",
        "subject_id": None,
        "demographics": {
            "last_name": "Mensah",
            "first_name": "Kwame",
            "middle_initial": None,
            "date_of_birth": None,
            "sex": "M",
            "height": None,
            "weight": None,
            "eye_colour": None,
            "hair_colour": None,
            "place_of_birth": None,
        },
    }
    assert gallery.booking_by_tcn("T0001") == gallery.booking(booking)


def test_tcn_is_unique(gallery: Gallery, booking: int) -> None:
    with pytest.raises(GalleryError, match=r"^booking TCN T0001 exists$"):
        gallery.open_booking(tcn="T0001", operator="o", station_id="s", demographics={})
    assert len(gallery.bookings()) == 1


@pytest.mark.parametrize("tcn", ["", "has space", "../up", "x" * 41, 17, "-lead"])
def test_bad_tcn(gallery: Gallery, tcn: object) -> None:
    with pytest.raises(ValueError, match="TCN"):
        gallery.open_booking(tcn=tcn, operator="o", station_id="s", demographics={})


def test_bad_booking_arguments(gallery: Gallery) -> None:
    with pytest.raises(ValueError, match="unknown transaction type"):
        gallery.open_booking(
            tcn="T", operator="o", station_id="s", transaction_type="XYZ", demographics={}
        )
    with pytest.raises(ValueError, match="operator"):
        gallery.open_booking(tcn="T", operator=" ", station_id="s", demographics={})
    with pytest.raises(NotFoundError, match="no booking with TCN nope"):
        gallery.booking_by_tcn("nope")
    with pytest.raises(NotFoundError, match="no booking 9"):
        gallery.booking(9)


def test_bookings_newest_first_and_by_status(gallery: Gallery) -> None:
    ids = [
        gallery.open_booking(tcn=f"T{k}", operator="o", station_id="s", demographics={})
        for k in range(5)
    ]
    assert [b["id"] for b in gallery.bookings()] == ids[::-1]
    assert [b["id"] for b in gallery.bookings(limit=2, offset=1)] == ids[3:1:-1]
    gallery.set_booking_status(ids[1], "submitted")
    assert [b["id"] for b in gallery.bookings(status="submitted")] == [ids[1]]
    assert gallery.booking(ids[1])["updated_at"] >= gallery.booking(ids[1])["created_at"]
    with pytest.raises(ValueError, match="unknown booking status 'lost'"):
        gallery.set_booking_status(ids[1], "lost")
    assert set(BOOKING_STATUSES) >= {"open", "submitted", "enrolled", "cancelled"}


# --- captures -----------------------------------------------------------------------------
def test_captures_in_capture_order(gallery: Gallery, booking: int, make_image) -> None:
    for finger, impression in [("TS", "flat"), ("L1", "rolled"), ("RS", "flat"), ("R1", "rolled")]:
        gallery.add_booking_print(booking, finger, impression, make_image(), device="mock")
    gallery.add_booking_print(booking, "R2", "rolled", None, annotation="UP", device="mock")
    rows = gallery.booking_prints(booking)
    assert [(r["finger"], r["impression"]) for r in rows] == [
        ("R1", "rolled"),
        ("R2", "rolled"),
        ("L1", "rolled"),
        ("RS", "flat"),
        ("TS", "flat"),
    ]
    assert rows[1]["annotation"] == "UP" and rows[1]["width"] is None
    assert all(r["attempt"] == 1 for r in rows)


def test_recapture_replaces_in_one_transaction(
    gallery: Gallery, booking: int, make_image, make_template
) -> None:
    first = gallery.add_booking_print(booking, "R3", "rolled", make_image(1), device="mock")
    second = gallery.add_booking_print(
        booking, "R3", "rolled", make_image(2, (30, 30)), template=make_template(2), device="mock"
    )
    assert second != first
    [row] = gallery.booking_prints(booking, with_images=True)
    assert row["id"] == second and row["attempt"] == 2 and row["quality"] == 60
    np.testing.assert_array_equal(row["image"], make_image(2, (30, 30)))
    assert gallery._scalar("SELECT count(*) FROM images") == 1  # the old image went too
    assert gallery.booking_templates(booking) == {"R3": make_template(2)}
    assert gallery.check() == []


def test_failed_recapture_keeps_the_earlier_print(
    gallery: Gallery, booking: int, make_image
) -> None:
    gallery.add_booking_print(booking, "R3", "rolled", make_image(1), device="mock")
    with pytest.raises(ValueError, match="quality"):
        gallery.add_booking_print(booking, "R3", "rolled", make_image(2), quality=500, device="m")
    [row] = gallery.booking_prints(booking, with_images=True)
    np.testing.assert_array_equal(row["image"], make_image(1))


def test_annotation_rules(gallery: Gallery, booking: int, make_image) -> None:
    with pytest.raises(ValueError, match="annotated"):
        gallery.add_booking_print(
            booking, "R4", "rolled", make_image(), annotation="XX", device="m"
        )
    with pytest.raises(ValueError, match="image is required"):
        gallery.add_booking_print(booking, "R4", "rolled", None, device="m")
    with pytest.raises(ValueError, match="unknown annotation"):
        gallery.add_booking_print(booking, "R4", "rolled", None, annotation="AMP", device="m")
    with pytest.raises(ValueError, match="slap RS is a flat impression"):
        gallery.add_booking_print(booking, "RS", "rolled", make_image(), device="m")
    with pytest.raises(ValueError, match="unknown finger code 'R0'"):
        gallery.add_booking_print(booking, "R0", "rolled", make_image(), device="m")
    # an amputated finger can later be captured after all (and the other way round)
    gallery.add_booking_print(booking, "R4", "rolled", None, annotation="XX", device="m")
    gallery.add_booking_print(booking, "R4", "rolled", make_image(), device="m")
    gallery.add_booking_print(booking, "R4", "rolled", None, annotation="XX", device="m")
    [row] = gallery.booking_prints(booking, with_images=True)
    assert row["annotation"] == "XX" and row["image"] is None and row["attempt"] == 3
    assert gallery._scalar("SELECT count(*) FROM images") == 0


def test_prints_only_change_while_open(gallery: Gallery, booking: int, make_image) -> None:
    gallery.set_booking_status(booking, "submitted")
    with pytest.raises(GalleryError, match="booking T0001 is submitted"):
        gallery.add_booking_print(booking, "R1", "rolled", make_image(), device="m")
    with pytest.raises(NotFoundError, match="no booking 77"):
        gallery.add_booking_print(77, "R1", "rolled", make_image(), device="m")


def test_booking_templates_are_the_probe(
    gallery: Gallery, booking: int, make_image, make_template
) -> None:
    for k, finger in enumerate(("L2", "R1")):
        gallery.add_booking_print(
            booking, finger, "rolled", make_image(), template=make_template(k), device="m"
        )
    gallery.add_booking_print(
        booking, "RS", "flat", make_image(), template=make_template(5), device="m"
    )
    gallery.add_booking_print(booking, "R2", "rolled", make_image(), device="m")
    probe = gallery.booking_templates(booking)
    assert list(probe) == ["R1", "L2"] and probe["L2"] == make_template(0)
    assert gallery.booking_templates(booking, impression="flat") == {}


# --- responses, decisions, subject link ---------------------------------------------------
def test_responses_and_decisions(gallery: Gallery, booking: int, subject: int) -> None:
    payload = {
        "candidates": [
            {"subject": subject, "score": np.float32(0.5), "fingers": {"R1": np.float64(0.25)}}
        ],
        "ranks": np.arange(2),
    }
    rid = gallery.add_response(booking, "REVIEW", payload)
    [resp] = gallery.responses(booking)
    assert resp["id"] == rid and resp["disposition"] == "REVIEW"
    assert resp["payload"] == {
        "candidates": [{"subject": subject, "score": 0.5, "fingers": {"R1": 0.25}}],
        "ranks": [0, 1],
    }
    did = gallery.add_decision(
        booking, rid, examiner="examiner 3", subject_id=subject, decision="confirm", note="ok"
    )
    [dec] = gallery.decisions(booking)
    assert dec["id"] == did and dec["subject_id"] == subject and dec["note"] == "ok"
    gallery.add_decision(booking, rid, examiner="examiner 4", subject_id=None, decision="reject")
    assert [d["decision"] for d in gallery.decisions(booking)] == ["confirm", "reject"]


def test_decision_rules(gallery: Gallery, booking: int, subject: int) -> None:
    other = gallery.open_booking(tcn="T0002", operator="o", station_id="s", demographics={})
    rid = gallery.add_response(other, "HIT", {})
    with pytest.raises(GalleryError, match=f"response {rid} is not a response to booking"):
        gallery.add_decision(booking, rid, examiner="e", subject_id=subject, decision="confirm")
    with pytest.raises(ValueError, match="names the subject"):
        gallery.add_decision(other, rid, examiner="e", subject_id=None, decision="confirm")
    with pytest.raises(ValueError, match="unknown decision"):
        gallery.add_decision(other, rid, examiner="e", subject_id=subject, decision="maybe")
    with pytest.raises(NotFoundError, match="no response 99"):
        gallery.add_decision(other, 99, examiner="e", subject_id=subject, decision="confirm")
    with pytest.raises(ValueError, match="unknown disposition"):
        gallery.add_response(other, "MAYBE", {})
    with pytest.raises(ValueError, match="JSON"):
        gallery.add_response(other, "HIT", {"x": object()})
    with pytest.raises(ValueError, match="JSON"):
        gallery.add_response(other, "HIT", {"x": float("nan")})
    assert gallery.decisions(booking) == [] and len(gallery.responses(other)) == 1


def test_link_booking_subject(gallery: Gallery, booking: int, subject: int) -> None:
    gallery.link_booking_subject(booking, subject)
    gallery.link_booking_subject(booking, subject)  # idempotent
    assert gallery.booking(booking)["subject_id"] == subject
    other = gallery.add_subject({"last_name": "Other"})
    with pytest.raises(GalleryError, match=f"already linked to subject {subject}"):
        gallery.link_booking_subject(booking, other)


# --- audit and append-only tables ---------------------------------------------------------
def test_audit_log(gallery: Gallery, booking: int, subject: int) -> None:
    a1 = gallery.audit("open booking", actor="officer 7", booking_id=booking)
    a2 = gallery.audit("enrol", actor="officer 7", subject_id=subject, detail={"fingers": 10})
    a3 = gallery.audit(
        "override quality",
        actor="officer 7",
        booking_id=booking,
        detail={"finger": "R2", "tries": 3},
    )
    log = gallery.audit_log()
    assert [e["id"] for e in log] == [a1, a2, a3]  # oldest first
    assert log[2]["detail"] == {"finger": "R2", "tries": 3} and log[0]["detail"] is None
    assert [e["id"] for e in gallery.audit_log(booking_id=booking)] == [a1, a3]
    assert [e["id"] for e in gallery.audit_log(subject_id=subject)] == [a2]
    assert [e["id"] for e in gallery.audit_log(limit=2)] == [a2, a3]  # the latest two
    with pytest.raises(NotFoundError):
        gallery.audit("x", actor="y", booking_id=404)
    with pytest.raises(ValueError, match="actor"):
        gallery.audit("x", actor="")


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit SET actor = 'someone else'",
        "DELETE FROM audit",
        "UPDATE responses SET disposition = 'NO HIT'",
        "DELETE FROM responses",
        "UPDATE decisions SET decision = 'reject'",
        "DELETE FROM decisions",
    ],
)
def test_history_is_append_only(
    gallery: Gallery, gallery_path: Path, booking: int, subject: int, statement: str
) -> None:
    gallery.audit("open booking", actor="officer 7", booking_id=booking)
    rid = gallery.add_response(booking, "HIT", {})
    gallery.add_decision(booking, rid, examiner="e", subject_id=subject, decision="confirm")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        gallery._conn.execute(statement)
    with closing(sqlite3.connect(gallery_path)) as other:  # another program, same file
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            other.execute(statement)
        other.rollback()
    assert len(gallery.audit_log()) == 1 and len(gallery.decisions(booking)) == 1


def test_foreign_keys_restrict_deletes(
    gallery: Gallery, booking: int, subject: int, make_image
) -> None:
    gallery.add_print(subject, "R1", "rolled", make_image(), device="m", booking_id=booking)
    gallery.add_response(booking, "NO HIT", {})
    for statement in ("DELETE FROM subjects", "DELETE FROM bookings", "DELETE FROM images"):
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            gallery._conn.execute(statement)


# --- transactions -------------------------------------------------------------------------
def test_failing_write_inside_a_transaction_rolls_everything_back(
    gallery: Gallery, booking: int, make_image
) -> None:
    before = (gallery.stats(), gallery.generation())
    with pytest.raises(GalleryError, match="booking TCN T0001 exists"), gallery.transaction():
        sid = gallery.add_subject({"last_name": "Brennan"})
        gallery.add_print(sid, "R1", "rolled", make_image(), device="m")
        gallery.add_booking_print(booking, "R1", "rolled", make_image(), device="m")
        gallery.audit("enrol", actor="o", subject_id=sid)
        gallery.open_booking(tcn="T0001", operator="o", station_id="s", demographics={})
    assert (gallery.stats(), gallery.generation()) == before
    assert not gallery._conn.in_transaction


def test_methods_join_the_enclosing_transaction(gallery: Gallery, gallery_path: Path) -> None:
    with gallery.transaction():
        gallery.add_subject({"last_name": "Castillo"})
        with closing(sqlite3.connect(gallery_path)) as other:  # nothing committed yet
            assert other.execute("SELECT count(*) FROM subjects").fetchone()[0] == 0
    with closing(sqlite3.connect(gallery_path)) as other:
        assert other.execute("SELECT count(*) FROM subjects").fetchone()[0] == 1


def test_caught_failure_undoes_only_its_own_part(gallery: Gallery, booking: int) -> None:
    with gallery.transaction():
        kept = gallery.add_subject({"last_name": "Kept"})
        with pytest.raises(GalleryError):
            gallery.open_booking(tcn="T0001", operator="o", station_id="s", demographics={})
        with pytest.raises(RuntimeError), gallery.transaction():
            gallery.add_subject({"last_name": "Undone"})
            raise RuntimeError("inner")
    assert [s["id"] for s in gallery.subjects()] == [kept]


def test_exception_of_any_kind_rolls_back(gallery: Gallery) -> None:
    with pytest.raises(KeyboardInterrupt), gallery.transaction():
        gallery.add_subject({"last_name": "Gone"})
        raise KeyboardInterrupt
    assert gallery.subjects() == []
