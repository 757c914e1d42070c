"""Schema version 3: an examiner's decision can be undone by an append-only ``undo`` row; a
version-2 gallery is migrated with its decisions and its chain intact."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from station.cli import main
from station.core.vocabulary import Decision
from station.gallery import GalleryError, open_gallery
from station.gallery import connection as gallery_connection
from station.gallery.schema import MIGRATIONS, SCHEMA_VERSION


def _booking_with_decision(gallery) -> tuple[int, int, int]:
    subject = gallery.add_subject({"last_name": "Novak"})
    booking = gallery.open_booking(
        tcn="T-1", operator="officer 7", station_id="BS-1", demographics={"last_name": "Novak"}
    )
    response = gallery.add_response(booking, "REVIEW", {"review": [subject]})
    gallery.add_decision(
        booking, response, examiner="ex 1", subject_id=subject, decision="reject", note="ridges"
    )
    return booking, response, subject


def test_v2_gallery_migrates_to_v3_and_takes_an_undo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "v2.sqlite"
    with monkeypatch.context() as m:
        m.setattr(gallery_connection, "MIGRATIONS", MIGRATIONS[:2])
        m.setattr(gallery_connection, "SCHEMA_VERSION", 2)
        with open_gallery(path) as g:
            booking, response, subject = _booking_with_decision(g)
            with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
                g._conn.execute(
                    "INSERT INTO decisions (booking_id, response_id, examiner, subject_id, "
                    "decision, decided_at) VALUES (?, ?, 'ex', ?, 'undo', 'now')",
                    (booking, response, subject),
                )
    with open_gallery(path) as g:
        assert g.schema_version == SCHEMA_VERSION
        assert g.verify().ok
        [row] = g.decisions(booking)
        assert (row["id"], row["decision"], row["note"]) == (1, "reject", "ridges")
        undo = g.add_decision(
            booking, response, examiner="ex 1", subject_id=subject, decision=Decision.UNDO
        )
        assert undo == 2
        assert [d["decision"] for d in g.decisions(booking)] == ["reject", "undo"]
        assert g.verify().ok
    assert main(["gallery", "verify", "--gallery", str(path)]) == 0
    # subject, booking, response, the decision and its undo; nothing chained twice
    assert capsys.readouterr().out == f"{path}: ok: 5 rows verified (5 chain entries)\n"
    with closing(sqlite3.connect(path)) as conn:  # still append-only after the rebuild
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM decisions WHERE id = 1")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE decisions SET note = 'x' WHERE id = 1")
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"decisions_booking", "decisions_response"} <= indexes


def test_undo_row_needs_no_subject_but_a_confirm_does(tmp_path: Path) -> None:
    with open_gallery(tmp_path / "g.sqlite") as g:
        booking, response, _ = _booking_with_decision(g)
        g.add_decision(booking, response, examiner="ex 1", subject_id=None, decision="undo")
        with pytest.raises(ValueError, match="names the subject"):
            g.add_decision(booking, response, examiner="ex 1", subject_id=None, decision="confirm")
        with pytest.raises(ValueError, match="decision"):
            g.add_decision(booking, response, examiner="ex 1", subject_id=None, decision="redo")
        assert g.verify().ok


def test_relinking_a_booking_needs_replace(tmp_path: Path) -> None:
    with open_gallery(tmp_path / "g.sqlite") as g:
        booking, _, subject = _booking_with_decision(g)
        other = g.add_subject({"last_name": "Horvat"})
        g.link_booking_subject(booking, subject)
        with pytest.raises(GalleryError, match="already linked"):
            g.link_booking_subject(booking, other)
        g.link_booking_subject(booking, other, replace=True)
        assert g.booking(booking)["subject_id"] == other
        g.link_booking_subject(booking, None, replace=True)
        assert g.booking(booking)["subject_id"] is None
        assert g.verify().ok
