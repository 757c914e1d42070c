"""Stored and typed text is shown as written, never as markup (issue 18: a crafted last name
rendered as "… NO HIT" in the log)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QLabel, QTableWidget

from station.gallery import open_gallery
from station.gui.widgets import esc, rich_tooltip
from station.service import BookingService, Operator

from .conftest import WAIT, open_window

CRAFTED = "<b>NO HIT</b>"
TCN = "ESC-0001"


def _shown(label: QLabel) -> str:
    """What a label displays: its text, or the plain text of its markup."""
    if label.textFormat() == Qt.TextFormat.PlainText:
        return label.text()
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


def _crafted_booking(path: Path, operator: Operator) -> int:
    """A subject and a booking named ``<b>NO HIT</b>``, answered HIT on that subject."""
    with open_gallery(path) as g:
        demo = {
            "last_name": CRAFTED,
            "first_name": "<i>Ann</i>",
            "date_of_birth": "1980-01-02",
            "sex": "F",
            "place_of_birth": "<u>TX</u>",
        }
        sid = g.add_subject(demo)
        service = BookingService(g, station_id="TEST-1", operator=operator)
        booking = service.open_booking(demo, tcn=TCN)
        payload = {
            "tcn": TCN,
            "disposition": "HIT",
            "candidates": [
                {
                    "rank": 1,
                    "subject_id": sid,
                    "name": f"{CRAFTED}, Ann",
                    "synthetic_id": None,
                    "score": 3.5,
                    "finger_scores": {"R1": 3.5},
                    "repositories": ["local"],
                }
            ],
            "review": [],
            "subject": {"subject_id": sid, **demo},
        }
        g.add_response(booking, "HIT", payload)
        g.set_booking_status(booking, "responded")
    return booking


def test_a_crafted_name_shows_literally_on_every_page(
    qtbot, gallery_path: Path, settings, station_operator: Operator
) -> None:
    booking = _crafted_booking(gallery_path, station_operator)
    win = open_window(qtbot, gallery_path, station_operator)

    # Booking log: the detail of the booking.
    log_page = win.log_page
    win.tabs.setCurrentWidget(log_page)
    table = log_page.findChild(QTableWidget, "bookingLogTable")
    qtbot.waitUntil(lambda: table.rowCount() > 0, timeout=WAIT)
    tcns = [table.item(r, 0).text() for r in range(table.rowCount())]
    table.selectRow(tcns.index(TCN))
    detail = log_page.findChild(QLabel, "bookingDetailLabel")
    qtbot.waitUntil(lambda: TCN in _shown(detail), timeout=WAIT)
    assert f"{CRAFTED.upper()}, <i>Ann</i>" in _shown(detail)  # LAST, First
    assert station_operator.username in _shown(detail)  # user names cannot hold markup

    # Response page: the banner and the subject.
    win.reopen(booking)
    banner = win.findChild(QLabel, "dispositionBanner")
    assert banner.textFormat() == Qt.TextFormat.PlainText
    assert banner.text().startswith(f"HIT — {CRAFTED}, <i>Ann</i>")
    subject = win.findChild(QLabel, "subjectLabel")
    assert f"{CRAFTED}, <i>Ann</i>" in _shown(subject)
    assert "place of birth <u>TX</u>" in _shown(subject)

    # Gallery browser: the subject's details.
    gallery_page = win.gallery_page
    win.tabs.setCurrentWidget(gallery_page)
    gallery_page.search("NO HIT")
    subjects = gallery_page.findChild(QTableWidget, "gallerySubjectTable")
    qtbot.waitUntil(lambda: subjects.rowCount() == 1, timeout=WAIT)
    subjects.selectRow(0)
    label = gallery_page.findChild(QLabel, "gallerySubjectLabel")
    qtbot.waitUntil(lambda: f"{CRAFTED.upper()}, <i>Ann</i>" in _shown(label), timeout=WAIT)
    assert "born <u>TX</u>" in _shown(label)


def test_escape_helpers() -> None:
    assert esc('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    doc = QTextDocument()
    doc.setHtml(rich_tooltip("device <b>x</b>\nline two"))
    assert doc.toPlainText() == "device <b>x</b>\nline two"
