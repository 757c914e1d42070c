"""Tamper evidence over a full booking flow through the service, and after it an edit."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from station.cli import main
from station.core.disposition import DispositionPolicy
from station.gallery import open_gallery
from station.gallery.chain import FindingKind
from station.service import BookingService
from station.service.drive import book_synthetic


def test_booking_flow_verifies_and_a_flipped_hit_is_named(
    service: BookingService,
    enrolled: list[int],
    gallery_copy: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gallery = service.gallery
    assert gallery.verify().ok  # the seeded gallery
    # A REVIEW resolved by the examiner, then enrolled as a new encounter: captures,
    # response, decision, status changes, prints of the subject, audit entries.
    reviewing = BookingService(gallery, policy=DispositionPolicy(hit=50.0, review=0.25))
    review = book_synthetic(reviewing, enrolled[0], slaps=True)
    assert review.disposition == "REVIEW"
    top = review.response.candidates[0].subject_id
    reviewing.decide(
        review.booking_id, decision="confirm", subject_id=top, examiner="ex 1", note="agrees"
    )
    reviewing.enrol(review.booking_id)
    # A plain HIT.
    hit = book_synthetic(service, enrolled[1], slaps=False)
    assert hit.disposition == "HIT"
    report = gallery.verify()
    assert report.ok, report.problem
    assert report.rows > 0 and report.entries >= report.rows
    (response_id,) = [r["id"] for r in gallery.responses(hit.booking_id)]
    gallery.close()

    with closing(sqlite3.connect(gallery_copy)) as conn:
        conn.execute("DROP TRIGGER responses_no_update")
        conn.execute("UPDATE responses SET disposition = 'NO HIT' WHERE id = ?", (response_id,))
        conn.commit()
    assert main(["gallery", "verify", "--gallery", str(gallery_copy)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{gallery_copy}: responses row {response_id} was changed outside")
    assert main(["gallery", "check", "--quick", "--gallery", str(gallery_copy)]) == 1
    assert f"tamper evidence: responses row {response_id} was changed" in capsys.readouterr().out
    with open_gallery(gallery_copy, readonly=True) as g:
        problem = g.verify().problem
    assert problem is not None
    assert (problem.kind, problem.table, problem.row_id) == (
        FindingKind.CHANGED,
        "responses",
        response_id,
    )
