"""The booking transaction end to end, through the same service the CLI and GUI use."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.synth.holdings import holdings
from station.core.synth.population import demographics
from station.core.vocabulary import BookingStatus, Decision, Disposition
from station.gallery import GalleryError
from station.scanner.base import Capture, utc_now
from station.scanner.mock import MockScanner
from station.scanner.scenarios import PlatenSubject
from station.service import BookingService, FingerCaptureResult
from station.service.drive import book_synthetic


def _stranger(enrolled: list[int]) -> int:
    return next(k for k in range(max(enrolled) + 1, 10_000) if k not in enrolled)


def _actions(service: BookingService, booking_id: int) -> list[str]:
    return [entry["action"] for entry in service.gallery.audit_log(booking_id=booking_id)]


def test_enrolled_subject_booked_again_is_a_hit_with_records(
    service: BookingService, enrolled: list[int]
) -> None:
    k = enrolled[1]
    report = book_synthetic(service, k, slaps=False)
    response = report.response
    assert response.disposition is Disposition.HIT
    subject = response.subject
    assert subject.synthetic_id == k
    expected = tuple(sorted({h.repository for h in holdings(k)}))
    assert subject.repositories == expected
    assert {r.record_number for r in subject.records} >= {h.record_number for h in holdings(k)}
    assert response.candidates[0].synthetic_id == k
    assert set(response.candidates[0].finger_scores) == set(response.fingers_searched)
    actions = _actions(service, report.booking_id)
    assert actions[0] == "open booking"
    assert actions.count("capture") == 10
    assert actions[-2:] == ["submit", "response"]


def test_stranger_is_no_hit_then_enrolled_then_hit(
    service: BookingService, enrolled: list[int]
) -> None:
    k = _stranger(enrolled)
    first = book_synthetic(service, k, slaps=False)
    assert first.disposition is Disposition.NO_HIT
    subject_id = service.enrol(first.booking_id)
    assert service.gallery.subject(subject_id)["last_name"] == demographics(k).last_name
    assert len(service.gallery.prints(subject_id)) == 10
    assert "enrol new subject" in _actions(service, first.booking_id)
    # the enrolled prints are the captures as stored, not compressed a second time
    captured = {
        p["finger"]: p["image"]
        for p in service.gallery.booking_prints(first.booking_id, with_images=True)
    }
    enrolled_prints = service.gallery.prints(subject_id)
    for row in enrolled_prints:
        assert np.array_equal(service.gallery.print_image(row["id"]), captured[row["finger"]])
    assert service.gallery.verify().ok
    second = book_synthetic(service, k, slaps=False, device_seed=1)
    assert second.disposition is Disposition.HIT
    assert second.response.subject.subject_id == subject_id
    with pytest.raises(GalleryError, match="already enrolled"):
        service.enrol(first.booking_id)


def test_swapped_fingers_are_flagged_by_the_sequence_check(
    service: BookingService, enrolled: list[int]
) -> None:
    platen = PlatenSubject.scenario("swapped", enrolled[0])
    response = book_synthetic(service, enrolled[0], platen=platen).response
    sequence = response.sequence
    assert not sequence.passed
    assert sequence.swaps == (("R2", "R3"),)
    assert "swapped" in sequence.message()
    assert response.to_json()["sequence"]["swaps"] == [["R2", "R3"]]


def test_review_is_resolved_by_the_examiner(gallery, enrolled: list[int]) -> None:
    from station.core.disposition import DispositionPolicy

    service = BookingService(gallery, policy=DispositionPolicy(hit=50.0, review=0.25))
    k = enrolled[0]
    report = book_synthetic(service, k, slaps=False)
    response = report.response
    assert response.disposition is Disposition.REVIEW
    top = response.candidates[0]
    assert top.synthetic_id == k and top.subject_id in response.review
    with pytest.raises(GalleryError, match="examiner must decide"):
        service.enrol(report.booking_id)
    outcome = service.decide(
        report.booking_id,
        decision=Decision.CONFIRM,
        subject_id=top.subject_id,
        examiner="ex 1",
        note="ridge detail agrees",
    )
    assert outcome.disposition is Disposition.HIT and outcome.confirmed
    assert outcome.subject.synthetic_id == k
    assert service.gallery.booking(report.booking_id)["status"] == BookingStatus.DECIDED
    assert service.enrol(report.booking_id) == top.subject_id  # a new encounter


def test_rejecting_every_reviewed_candidate_gives_no_hit(gallery, enrolled: list[int]) -> None:
    from station.core.disposition import DispositionPolicy

    service = BookingService(gallery, policy=DispositionPolicy(hit=50.0, review=0.25))
    report = book_synthetic(service, enrolled[2], slaps=False)
    for subject_id in report.response.review:
        outcome = service.decide(
            report.booking_id,
            decision=Decision.REJECT,
            subject_id=subject_id,
            examiner="ex 1",
            note="different core",
        )
    assert outcome.disposition is Disposition.NO_HIT
    assert outcome.rejected == tuple(sorted(report.response.review))


def test_poor_finger_gets_recapture_then_passes_after_recapture(
    service: BookingService, enrolled: list[int]
) -> None:
    k = enrolled[0]
    platen = PlatenSubject.scenario("poor-finger", k)
    scanner = MockScanner(platen)
    scanner.connect()
    booking = service.open_booking(demographics(k).as_dict())
    for finger in ("R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3", "L4", "L5"):
        service.capture(booking, scanner.capture(finger, "rolled"))
    response = service.submit(booking)
    assert response.disposition is Disposition.RECAPTURE
    assert [r.finger for r in response.recapture] == ["R2"]
    assert service.gallery.booking(booking)["status"] == BookingStatus.OPEN
    result = service.capture(booking, scanner.capture("R2", "rolled"))
    assert isinstance(result, FingerCaptureResult)
    assert result.attempt == 2 and result.level < 5
    response = service.submit(booking)
    assert response.disposition is Disposition.HIT
    assert response.subject.synthetic_id == k


def test_amputated_finger_is_annotated_and_the_rest_searched(
    service: BookingService, enrolled: list[int]
) -> None:
    k = enrolled[1]
    platen = PlatenSubject.scenario("amputated", k)
    report = book_synthetic(service, k, platen=platen)
    assert report.disposition is Disposition.HIT
    assert "L4" not in report.response.fingers_searched
    assert len(report.response.fingers_searched) == 9
    prints = service.gallery.booking_prints(report.booking_id)
    assert [p["annotation"] for p in prints if p["finger"] == "L4"] == ["XX"]


def test_a_booking_without_prints_is_an_error_response(service: BookingService) -> None:
    booking = service.open_booking({"last_name": "Doe", "first_name": "John"})
    response = service.submit(booking)
    assert response.disposition is Disposition.ERROR
    assert "no fingers were captured" in response.reason
    with pytest.raises(GalleryError, match="already submitted"):
        service.submit(booking)


def test_bad_annotation_and_finger_are_refused_and_nothing_written(
    service: BookingService,
) -> None:
    booking = service.open_booking({"last_name": "Doe"})
    before = len(service.gallery.audit_log(booking_id=booking))
    with pytest.raises(ValueError, match="XX"):
        service.annotate(booking, "R1", "AMP")
    with pytest.raises(ValueError, match="unknown finger code"):
        service.annotate(booking, "R6", "XX")
    with pytest.raises(ValueError, match="unknown finger"):
        Capture(np.zeros((10, 10), np.uint8), "Q9", "rolled", "test", utc_now())
    assert len(service.gallery.audit_log(booking_id=booking)) == before
    assert service.gallery.booking_prints(booking) == []
