"""Examiners' decisions that cannot go wrong (issue 12): only a candidate under review (or
the HIT candidate) can be confirmed, every decision has a reason, a decision can be undone
until the booking is closed, and an abandoned booking is recorded."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.core.disposition import DispositionPolicy
from station.core.vocabulary import BookingStatus, Decision, Disposition, Repository
from station.gallery import GalleryError, open_gallery
from station.scanner.mock import MockScanner
from station.scanner.scenarios import PlatenSubject
from station.service import BookingService, load_index
from station.service.booking import DecisionError
from station.service.drive import book_synthetic

#: A HIT threshold no mate reaches: the true mate lands in REVIEW beside unflagged candidates.
REVIEW_POLICY = DispositionPolicy(hit=50.0, review=0.25)


@pytest.fixture
def reviewing(gallery_copy: Path):
    with open_gallery(gallery_copy) as gallery:
        yield BookingService(
            gallery, index=load_index(gallery), policy=REVIEW_POLICY, station_id="BS-01"
        )


@pytest.fixture
def review(reviewing: BookingService, enrolled: list[int]):
    report = book_synthetic(reviewing, enrolled[0], slaps=False)
    assert report.disposition is Disposition.REVIEW
    return report


def _actions(service: BookingService, booking_id: int) -> list[str]:
    return [e["action"] for e in service.gallery.audit_log(booking_id=booking_id)]


def test_a_candidate_not_flagged_for_review_cannot_be_confirmed(reviewing, review) -> None:
    flagged = review.response.review
    unflagged = [c for c in review.response.candidates if c.subject_id not in flagged]
    assert unflagged, "the search returns candidates below the review threshold too"
    low = unflagged[-1]
    assert low.score < REVIEW_POLICY.review
    with pytest.raises(DecisionError, match=f"#{low.subject_id} was not flagged for review"):
        reviewing.decide(
            review.booking_id,
            decision=Decision.CONFIRM,
            subject_id=low.subject_id,
            examiner="ex 1",
            note="looks alike",
        )
    assert reviewing.gallery.decisions(review.booking_id) == []
    assert reviewing.outcome(review.booking_id).disposition is Disposition.REVIEW


def test_a_subject_outside_the_candidates_is_refused(reviewing, review) -> None:
    outsider = max(c.subject_id for c in review.response.candidates) + 1000
    with pytest.raises(DecisionError, match="not a candidate"):
        reviewing.decide(
            review.booking_id,
            decision=Decision.REJECT,
            subject_id=outsider,
            examiner="ex 1",
            note="no",
        )


@pytest.mark.parametrize("note", [None, "", "   "])
def test_a_decision_needs_a_reason(reviewing, review, note) -> None:
    top = review.response.candidates[0].subject_id
    with pytest.raises(ValueError, match="needs a reason"):
        reviewing.decide(
            review.booking_id, decision=Decision.CONFIRM, subject_id=top, examiner="ex", note=note
        )


def test_reason_is_stored_and_audited_and_a_confirm_can_be_undone(reviewing, review) -> None:
    booking = review.booking_id
    top = review.response.candidates[0].subject_id
    outcome = reviewing.decide(
        booking, decision=Decision.CONFIRM, subject_id=top, examiner="ex 1", note="same whorl"
    )
    assert outcome.confirmed and outcome.subject.subject_id == top
    assert reviewing.gallery.booking(booking)["subject_id"] == top
    assert reviewing.gallery.booking(booking)["status"] == BookingStatus.DECIDED
    [row] = reviewing.gallery.decisions(booking)
    assert (row["decision"], row["note"], row["examiner"]) == ("confirm", "same whorl", "ex 1")
    entry = reviewing.gallery.audit_log(booking_id=booking)[-1]
    assert entry["action"] == "confirm candidate" and entry["detail"]["note"] == "same whorl"
    with pytest.raises(DecisionError, match="undo that decision first"):
        reviewing.decide(
            booking, decision=Decision.REJECT, subject_id=top, examiner="ex 1", note="x"
        )

    outcome = reviewing.undo_decision(booking, examiner="ex 2", note="wrong finger compared")
    assert outcome.disposition is Disposition.REVIEW and not outcome.confirmed
    assert reviewing.gallery.booking(booking)["subject_id"] is None
    assert reviewing.gallery.booking(booking)["status"] == BookingStatus.RESPONDED
    rows = reviewing.gallery.decisions(booking)
    assert [d["decision"] for d in rows] == ["confirm", "undo"]  # nothing deleted
    assert rows[1]["note"] == f"undoes decision #{rows[0]['id']} (confirm): wrong finger compared"
    entry = reviewing.gallery.audit_log(booking_id=booking)[-1]
    assert entry["action"] == "undo decision"
    assert entry["detail"]["undoes"] == rows[0]["id"] and entry["actor"] == "ex 2"
    with pytest.raises(DecisionError, match="no examiner's decision to undo"):
        reviewing.undo_decision(booking, examiner="ex 2", note="again")
    assert reviewing.gallery.verify().ok


def test_rejecting_then_undoing_then_enrolling_is_refused_once_closed(reviewing, review) -> None:
    booking = review.booking_id
    for subject in review.response.review:
        outcome = reviewing.decide(
            booking, decision=Decision.REJECT, subject_id=subject, examiner="ex", note="no"
        )
    assert outcome.disposition is Disposition.NO_HIT
    assert reviewing.undo_decision(booking, examiner="ex", note="recheck").disposition is (
        Disposition.REVIEW
    )
    reviewing.decide(
        booking,
        decision=Decision.REJECT,
        subject_id=review.response.review[-1],
        examiner="ex",
        note="no after all",
    )
    subject_id = reviewing.enrol(booking)
    with pytest.raises(DecisionError, match="enrolled: its decisions are final"):
        reviewing.undo_decision(booking, examiner="ex", note="too late")
    assert reviewing.gallery.booking(booking)["subject_id"] == subject_id
    assert reviewing.gallery.verify().ok


def test_rejected_candidates_above_the_hit_threshold_are_named(
    service: BookingService, enrolled: list[int]
) -> None:
    report = book_synthetic(service, enrolled[1], slaps=False)
    assert report.disposition is Disposition.HIT
    hit = report.response.subject.subject_id
    assert service.rejected_above_hit(report.booking_id) == ()
    outcome = service.decide(
        report.booking_id, decision=Decision.REJECT, subject_id=hit, examiner="ex", note="no"
    )
    assert outcome.disposition is Disposition.NO_HIT
    [rejected] = service.rejected_above_hit(report.booking_id)
    assert rejected.subject_id == hit and rejected.score >= service.policy.hit
    # Enrolling as new (after the warning) works: the HIT link is replaced by the new subject.
    new = service.enrol(report.booking_id)
    assert new != hit and service.gallery.booking(report.booking_id)["subject_id"] == new


def test_enrolled_record_number_does_not_double_the_station_prefix(
    reviewing: BookingService, enrolled: list[int]
) -> None:
    stranger = next(k for k in range(max(enrolled) + 1, 10_000) if k not in enrolled)
    report = book_synthetic(reviewing, stranger, slaps=False)
    assert report.disposition is Disposition.NO_HIT
    subject = reviewing.enrol(report.booking_id)
    tcn = reviewing.gallery.booking(report.booking_id)["tcn"]
    assert tcn.startswith("BS-01-")
    records = reviewing.gallery.records(subject)
    [record] = [r for r in records if r["repository"] == Repository.LOCAL]
    assert record["record_number"] == tcn
    assert not record["record_number"].startswith("BS-01-BS-01-")


def test_abandoning_a_booking_is_recorded(service: BookingService, enrolled: list[int]) -> None:
    booking = service.open_booking({"last_name": "Doe", "first_name": "Jo"})
    with pytest.raises(ValueError, match="needs a reason"):
        service.abandon(booking, reason=" ")
    service.abandon(booking, reason="subject released before printing")
    assert service.gallery.booking(booking)["status"] == BookingStatus.CANCELLED
    entry = service.gallery.audit_log(booking_id=booking)[-1]
    assert entry["action"] == "abandon booking"
    assert entry["detail"]["reason"] == "subject released before printing"
    with pytest.raises(GalleryError, match="cancelled already"):
        service.abandon(booking, reason="again")
    assert service.gallery.verify().ok


def test_an_accepted_low_quality_finger_is_searched_not_sent_back(
    service: BookingService, enrolled: list[int]
) -> None:
    k = enrolled[0]
    scanner = MockScanner(PlatenSubject.scenario("poor-finger", k))
    scanner.connect()
    booking = service.open_booking({"last_name": "Doe", "first_name": "Jo"})
    for finger in ("R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3", "L4", "L5"):
        service.capture(booking, scanner.capture(finger, "rolled"))
    with pytest.raises(ValueError, match="needs a reason"):
        service.accept_quality(booking, "R2", reason="")
    service.accept_quality(booking, "R2", reason="scarred finger, best possible")
    [r2] = [s for s in service.finger_status(booking) if s.finger == "R2"]
    assert r2.accepted and r2.level == 5
    entry = service.gallery.audit_log(booking_id=booking)[-1]
    assert (entry["action"], entry["detail"]["finger"], entry["detail"]["attempt"]) == (
        "accept low quality",
        "R2",
        1,
    )
    assert service.submit(booking).disposition is Disposition.HIT
