"""The booking service's typed results: their JSON, and stored responses read back."""

from __future__ import annotations

import json

import pytest

from station.core.sequence import SequenceResult
from station.core.vocabulary import Disposition, Impression
from station.service import (
    BookingReport,
    BookingService,
    CandidateResult,
    FingerCaptureResult,
    Outcome,
    RecaptureFinger,
    RecordSummary,
    Response,
    SlapCaptureResult,
    SubjectSummary,
)
from station.service.drive import book_synthetic

SUBJECT = SubjectSummary(
    subject_id=4,
    synthetic_id=7,
    population=0,
    demographics={"last_name": "Brown", "first_name": "Priya", "weight": 118},
    repositories=("local", "state"),
    records=(
        RecordSummary("local", "LOC-7"),
        RecordSummary("state", "SID-7", offence_level=3, charge="vandalism"),
    ),
    highest_offence_level=3,
)
HIT = Response(
    tcn="BS-01-1",
    disposition=Disposition.HIT,
    subject=SUBJECT,
    candidates=(
        CandidateResult(1, 4, "Brown, Priya", 7, 2.3796, {"R1": 0.1724}, ("local", "state")),
        CandidateResult(2, 5, "Lopez, Maria", None, 0.028, {"R1": 0.0027}, ("local",)),
    ),
    fingers_searched=("R1",),
    search_ms=12.5,
    repositories_hit=("state",),
    sequence=SequenceResult({"R2": 0.5174}, unchecked=("R3",)),
    response_id=9,
)


def test_a_hit_response_gives_the_json_station_book_prints() -> None:
    data = HIT.to_json()
    assert list(data) == [
        "tcn",
        "disposition",
        "subject",
        "candidates",
        "fingers_searched",
        "search_ms",
        "repositories_hit",
        "sequence",
        "response_id",
    ]
    assert data["disposition"] == "HIT" and type(data["disposition"]) is str
    assert list(data["subject"]) == [
        "subject_id",
        "synthetic_id",
        "population",
        "last_name",
        "first_name",
        "weight",
        "repositories",
        "records",
        "highest_offence_level",
    ]
    assert data["subject"]["records"][0] == {
        "repository": "local",
        "record_number": "LOC-7",
        "offence_level": None,
        "charge": None,
    }
    assert data["candidates"][1] == {
        "rank": 2,
        "subject_id": 5,
        "name": "Lopez, Maria",
        "synthetic_id": None,
        "score": 0.028,
        "finger_scores": {"R1": 0.0027},
        "repositories": ["local"],
    }
    assert data["sequence"] == {
        "passed": True,
        "scores": {"R2": 0.5174},
        "mismatched": [],
        "swaps": [],
        "unchecked": ["R3"],
        "message": "Sequence check passed (1 fingers)",
    }


@pytest.mark.parametrize(
    "response",
    [
        HIT,
        Response("T2", Disposition.NO_HIT, fingers_searched=("R1", "L1"), search_ms=3.0),
        Response(
            "T3",
            Disposition.REVIEW,
            candidates=HIT.candidates,
            fingers_searched=("R1",),
            search_ms=1.0,
            review=(4, 5),
            reason="a candidate needs an examiner's decision",
        ),
        Response(
            "T4",
            Disposition.RECAPTURE,
            reason="quality too low on R2: recapture these fingers",
            recapture=(RecaptureFinger("R2", "right index", 5, 1, "smudged"),),
        ),
        Response("T5", Disposition.ERROR, reason="no usable fingerprints to search with"),
    ],
    ids=["hit", "no-hit", "review", "recapture", "error"],
)
def test_to_json_and_from_json_round_trip(response: Response) -> None:
    text = json.dumps(response.to_json())
    assert Response.from_json(json.loads(text)) == response


def test_a_stored_payload_takes_its_id_from_the_gallery_row() -> None:
    payload = HIT.to_json()
    del payload["response_id"]
    assert Response.from_json(payload, response_id=9) == HIT
    assert Response.from_json(payload).response_id is None


def test_from_json_refuses_an_unknown_disposition() -> None:
    payload = {**HIT.to_json(), "disposition": "MAYBE"}
    with pytest.raises(ValueError, match="unknown disposition 'MAYBE'"):
        Response.from_json(payload)
    with pytest.raises(ValueError, match="unknown disposition 'MAYBE'"):
        Response("T1", "MAYBE")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.pop("tcn"), "has no 'tcn'"),
        (lambda d: d.update(disposition=1), "disposition has the wrong type"),
        (lambda d: d.update(candidates="none"), "candidates has the wrong type"),
        (lambda d: d["candidates"][0].pop("rank"), "a candidate has no 'rank'"),
        (lambda d: d["subject"].update(subject_id="4"), "subject_id has the wrong type"),
        (lambda d: d["sequence"].pop("swaps"), "malformed sequence check result"),
        (lambda d: d.update(search_ms=True), "search_ms must not be true/false"),
    ],
    ids=["no-tcn", "disposition-type", "candidates", "candidate", "subject", "sequence", "ms"],
)
def test_from_json_refuses_a_malformed_response(damage, message: str) -> None:
    payload = json.loads(json.dumps(HIT.to_json()))
    damage(payload)
    with pytest.raises(ValueError, match=message):
        Response.from_json(payload)
    with pytest.raises(ValueError, match="must be a JSON object"):
        Response.from_json([payload])


def test_capture_results_and_outcome_json() -> None:
    finger = FingerCaptureResult("R2", Impression.ROLLED, 2, quality=71, level=2, reason="good")
    assert finger.to_json() == {
        "finger": "R2",
        "impression": "rolled",
        "quality": 71,
        "level": 2,
        "reason": "good",
        "minutiae": 0,
        "attempt": 2,
    }
    slap = SlapCaptureResult("TS", 1, segments={"L1": 2, "R1": 3})
    assert slap.to_json() == {
        "finger": "TS",
        "impression": "flat",
        "segments": {"L1": 2, "R1": 3},
        "error": None,
        "attempt": 1,
    }
    assert slap.audit_detail() == {
        "finger": "TS",
        "impression": "flat",
        "error": None,
        "attempt": 1,
    }
    assert Outcome(Disposition.NO_HIT, rejected=(5, 4)).to_json() == {
        "disposition": "NO HIT",
        "subject": None,
        "rejected": [5, 4],
    }
    assert Outcome(Disposition.HIT, SUBJECT, confirmed=True).to_json()["confirmed"] is True
    report = BookingReport(HIT, 3, booked={"synthetic_id": 7, "population": 0})
    assert list(report.to_json())[-3:] == ["response_id", "booking_id", "booked"]


def test_the_stored_response_reads_back_equal_to_the_one_returned(
    service: BookingService, enrolled: list[int]
) -> None:
    report = book_synthetic(service, enrolled[0])
    assert report.disposition is Disposition.HIT and report.response.sequence is not None
    assert service.latest_response(report.booking_id) == report.response
    outcome = service.outcome(report.booking_id)
    assert outcome == Outcome(Disposition.HIT, subject=report.response.subject)
