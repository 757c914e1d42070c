"""Replay of a booking: its steps, in order, from the stored audit trail and captures."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from station.core.disposition import DispositionPolicy
from station.core.synth.population import demographics
from station.core.vocabulary import Decision, ReplayKind
from station.gallery import NotFoundError
from station.scanner.mock import MockScanner
from station.scanner.scenarios import PlatenSubject
from station.service import BookingService
from station.service.replay import (
    PAGE_ACTION,
    Replay,
    ReplayService,
    build_replay,
    record_page,
)


def test_a_booking_replays_its_steps_in_order_with_images_and_times(
    gallery, enrolled: list[int]
) -> None:
    service = BookingService(gallery, policy=DispositionPolicy(hit=50.0, review=0.25))
    k = enrolled[0]
    scanner = MockScanner(PlatenSubject.gallery(k))
    scanner.connect()
    booking = service.open_booking(demographics(k).as_dict())
    record_page(gallery, booking, "Capture", actor=service.actor)
    service.capture(booking, scanner.capture("R1", "rolled"))
    service.capture(booking, scanner.capture("R1", "rolled"))  # a recapture replaces it
    service.annotate(booking, "L5", "XX", reason="amputated at the knuckle")
    for finger in ("R2", "R3"):
        service.capture(booking, scanner.capture(finger, "rolled"))
    record_page(gallery, booking, "Review", actor=service.actor)
    response = service.submit(booking)
    record_page(gallery, booking, "Response", actor=service.actor)
    top = response.candidates[0].subject_id
    service.decide(booking, decision=Decision.REJECT, subject_id=top, examiner="ex 1", note="no")

    replays = ReplayService(gallery)
    replay = replays.replay(booking)
    assert replay.kinds() == [
        ReplayKind.OPEN,
        ReplayKind.PAGE,
        ReplayKind.CAPTURE,
        ReplayKind.RECAPTURE,
        ReplayKind.ANNOTATE,
        ReplayKind.CAPTURE,
        ReplayKind.CAPTURE,
        ReplayKind.PAGE,
        ReplayKind.SUBMIT,
        ReplayKind.RESPONSE,
        ReplayKind.PAGE,
        ReplayKind.DECISION,
    ]
    steps = replay.steps
    assert [s.index for s in steps] == list(range(12))
    assert [s.finger for s in steps[2:7]] == ["R1", "R1", "L5", "R2", "R3"]
    assert [s.attempt for s in steps[2:7]] == [1, 2, None, 1, 1]
    assert [s.page for s in steps if s.kind is ReplayKind.PAGE] == ["Capture", "Review", "Response"]
    # The first R1 was replaced: its step shows no image; the others show the stored prints.
    prints = {(p["finger"], p["attempt"]): p["id"] for p in gallery.booking_prints(booking)}
    assert steps[2].print_id is None and "replaced by a later recapture" in steps[2].text
    assert steps[3].print_id == prints[("R1", 2)]
    assert [steps[5].print_id, steps[6].print_id] == [prints[("R2", 1)], prints[("R3", 1)]]
    assert steps[4].text == "Annotated L5 (left little) XX — amputated at the knuckle"
    assert steps[8].text == "Submitted 3 fingers: R1, R2, R3"
    assert steps[9].disposition == response.disposition
    assert steps[9].text.startswith(f"Response: {response.disposition} · top candidate ")
    assert steps[11].text == f"Rejected subject #{top}: no" and steps[11].actor == "ex 1"
    # Times: elapsed from the first step, gap from the one before, never backwards.
    assert steps[0].elapsed == 0.0 and steps[0].gap == 0.0
    for before, after in itertools.pairwise(steps):
        assert after.elapsed >= before.elapsed
        assert after.gap == pytest.approx(after.elapsed - before.elapsed, abs=1e-9)
    assert replay.duration == steps[-1].elapsed
    # The images are the stored captures, decoded.
    images = replays.images(replay)
    assert sorted(images) == sorted([prints[("R1", 2)], prints[("R2", 1)], prints[("R3", 1)]])
    stored = {p["id"]: p["image"] for p in gallery.booking_prints(booking, with_images=True)}
    assert all(np.array_equal(images[i], stored[i]) for i in images)
    assert replay.to_json()["steps"][3]["kind"] == "recapture"


def test_the_page_entries_keep_the_chain_valid(gallery, enrolled: list[int]) -> None:
    service = BookingService(gallery)
    booking = service.open_booking(demographics(enrolled[0]).as_dict())
    record_page(gallery, booking, "Capture", actor="officer 7")
    entry = gallery.audit_log(booking_id=booking)[-1]
    assert (entry["action"], entry["actor"], entry["detail"]) == (
        PAGE_ACTION,
        "officer 7",
        {"page": "Capture"},
    )
    assert gallery.verify().ok
    with pytest.raises(ValueError, match="page must be a page name"):
        record_page(gallery, booking, " ", actor="officer 7")


def test_build_replay_times_from_hand_made_rows() -> None:
    booking = {"id": 4, "tcn": "T-4", "status": "responded"}
    audit = [
        {
            "at": "2026-01-01T10:00:00.000Z",
            "actor": "o",
            "action": "open booking",
            "subject_id": None,
            "detail": {"tcn": "T-4", "transaction_type": "CAR"},
        },
        {
            "at": "2026-01-01T10:00:02.500Z",
            "actor": "o",
            "action": "capture",
            "subject_id": None,
            "detail": {"finger": "RS", "impression": "flat", "error": None, "attempt": 1},
        },
        {
            "at": "2026-01-01T10:00:10.000Z",
            "actor": "o",
            "action": "export transaction",
            "subject_id": None,
            "detail": {"to": "x.eft"},
        },
    ]
    prints = [{"id": 9, "finger": "RS", "impression": "flat", "attempt": 1}]
    replay = build_replay(booking, audit, prints)
    assert [(s.kind, s.elapsed, s.gap) for s in replay.steps] == [
        (ReplayKind.OPEN, 0.0, 0.0),
        (ReplayKind.CAPTURE, 2.5, 2.5),
        (ReplayKind.OTHER, 10.0, 7.5),
    ]
    assert replay.steps[0].text == "Booking T-4 opened (CAR)"
    assert replay.steps[1].text == "Captured RS flat · segmented · attempt 1"
    assert replay.steps[1].print_id == 9
    assert replay.steps[2].text == "export transaction"
    assert [replay.step_at(t) for t in (-1.0, 0.0, 2.4, 2.5, 99.0)] == [-1, 0, 0, 1, 2]
    with pytest.raises(ValueError, match="elapsed must be a number"):
        replay.step_at("soon")  # type: ignore[arg-type]
    assert Replay(1, "T", "open", ()).duration == 0.0


def test_an_unknown_booking_is_not_found(gallery) -> None:
    with pytest.raises(NotFoundError):
        ReplayService(gallery).replay(999_999)
    with pytest.raises(ValueError, match="gallery must be a Gallery"):
        ReplayService("gallery.sqlite")  # type: ignore[arg-type]
