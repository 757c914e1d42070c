"""The booking log's Resume and Close buttons on bookings a crash left unfinished."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from station.core.vocabulary import BookingStatus
from station.gallery import open_gallery
from station.gui.station_window import CAPTURE, RESPONSE
from station.scanner.mock import MockScanner
from station.scanner.scenarios import PlatenSubject
from station.service import BookingService, Operator, load_index, process_capture
from station.service.drive import book_synthetic

from .conftest import WAIT, open_window


def _open_with(service: BookingService, subject: int, fingers: tuple[str, ...], name: str):
    scanner = MockScanner(PlatenSubject(subject))
    scanner.connect()
    booking = service.open_booking({"last_name": name})
    for finger in fingers:
        service.add_capture(booking, process_capture(scanner.capture(finger, "rolled")))
    return booking


def test_log_resumes_and_closes_unfinished_bookings(
    qtbot, gallery_path: Path, settings, enrolled_ids: list[int], station_operator: Operator
) -> None:
    with open_gallery(gallery_path) as g:
        service = BookingService(
            g, index=load_index(g), station_id="GUI-T", operator=station_operator
        )
        partial = _open_with(service, enrolled_ids[0], ("R1", "R2", "R3"), "Partial")
        legacy = _open_with(service, enrolled_ids[1], ("R1", "R2", "R3", "R4", "R5"), "Legacy")
        g.set_booking_status(legacy, BookingStatus.SUBMITTED)  # no response: a crash
        done = book_synthetic(service, enrolled_ids[2], slaps=False).booking_id
        unwanted = service.open_booking({"last_name": "Unwanted"})
    win = open_window(qtbot, gallery_path, station_operator)
    page = win.log_page
    win.tabs.setCurrentWidget(page)
    resume, close = page.resume_button, page.close_button
    assert resume.objectName() == "resumeBookingButton"
    assert close.objectName() == "closeBookingButton"

    assert page.select_booking(done)
    assert not resume.isEnabled() and not close.isEnabled()  # finished: nothing to resume

    # Close asks why; the reason goes to the audit trail.
    assert page.select_booking(unwanted)
    assert resume.isEnabled() and close.isEnabled()
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.close_dialog is not None and page.close_dialog.isVisible())
    page.close_dialog.setTextValue("opened twice by mistake")
    page.close_dialog.accept()
    qtbot.waitUntil(lambda: win.gallery.booking(unwanted)["status"] == "cancelled", timeout=WAIT)
    entry = win.gallery.audit_log(booking_id=unwanted)[-1]
    assert entry["action"] == "close booking"
    assert entry["detail"]["reason"] == "opened twice by mistake"
    assert page.select_booking(unwanted)
    assert not close.isEnabled()

    # Resume a booking left "submitted" without a response: it is searched again.
    assert page.select_booking(legacy)
    with qtbot.waitSignal(win.response_shown, timeout=WAIT) as shown:
        qtbot.mouseClick(resume, Qt.MouseButton.LeftButton)
    assert shown.args == ["HIT"]
    assert win.page == RESPONSE
    assert win.gallery.booking(legacy)["status"] == BookingStatus.RESPONDED

    # Resume an open booking with fingers missing: back to capture, the rest still to do.
    win.tabs.setCurrentWidget(page)
    assert page.select_booking(partial)
    qtbot.mouseClick(resume, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.tabs.currentIndex() == 0 and win.page == CAPTURE, timeout=WAIT)
    session = win.session
    assert session.booking_id == partial
    assert [f for f in ("R1", "R2", "R3") if session.slots[f].status == "captured"] == [
        "R1",
        "R2",
        "R3",
    ]
    assert session.pending()[:7] == ["R4", "R5", "L1", "L2", "L3", "L4", "L5"]
    assert session.current == "R4"
    assert win.gallery.verify().problem is None
