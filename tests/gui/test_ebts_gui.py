"""Issue 13 in the window: the "ANSI/NIST file…" capture source, "Save transaction…" and
"Save response…" on the response page, "Export transaction…" in the booking log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QLabel

from station.core.synth import impression
from station.core.vocabulary import FINGERS, Disposition
from station.gallery import open_gallery
from station.gui.automation.galleries import sign_in
from station.interchange import (
    PrintImage,
    TenprintSubmission,
    build_submission,
    parse_response,
    read_file,
    write_transaction,
    wsq,
)

from .conftest import ADMIN_PASSWORD, WAIT, Officer, open_window


def _car_of(k: int, path: Path, *, corrupt: str | None = None) -> Path:
    """A CAR of synthetic subject ``k``'s rolled prints (WSQ); ``corrupt``: that finger's
    WSQ bytes cut short."""
    fingers = {}
    for finger in FINGERS:
        image, _ = impression(k, finger, 3, population=0, kind="rolled")
        data = wsq.encode(image)
        if finger == corrupt:
            data = data[: len(data) // 3]
        rows, cols = image.shape
        fingers[finger] = PrintImage(data, "WSQ20", cols, rows, quality=2)
    submission = TenprintSubmission(
        tcn="OTHER-1", ori="NY0303000", dai="WVIAFIS0Z", date=dt.date(2026, 1, 2), fingers=fingers
    )
    path.write_bytes(write_transaction(build_submission(submission)))
    return path


def _wait_text(officer, name: str, start: str) -> str:
    label = officer.find(QLabel, name)
    officer.qtbot.waitUntil(lambda: label.text().startswith(start), timeout=WAIT)
    return label.text()


def test_book_from_an_ansi_nist_file_and_save_its_transactions(
    officer, enrolled_ids, tmp_path: Path
) -> None:
    k = enrolled_ids[1]
    source = _car_of(k, tmp_path / "in.eft")
    officer.generate("gallery", k)
    officer.click("nextButton")
    page = officer.window.capture_page
    page.path_chooser = lambda: str(source)
    officer.click("loadEbtsButton")
    text = _wait_text(officer, "filesLabel", "10 print(s) in in.eft")
    assert text.endswith("No slaps in the file: slaps are skipped.")
    assert officer.combo("scannerSourceCombo").currentData() == "ebts"
    assert officer.find(QLabel, "scannerStatusLabel").text() == "Source: ANSI/NIST file"
    officer.capture_all()
    assert officer.window.session.rolled_done()
    assert officer.submit().startswith("HIT — ")

    car, sre = tmp_path / "car.eft", tmp_path / "sre.eft"
    response_page = officer.window.response_page
    response_page.path_chooser = lambda _title, _name: str(car)
    officer.click("saveTransactionButton")
    _wait_text(officer, "transactionSavedLabel", "Saved CAR ")
    t = read_file(car)
    booking_id = officer.window.session.booking_id
    with open_gallery(officer.window.gallery.path, readonly=True) as g:
        tcn = g.booking(booking_id)["tcn"]
    assert t.header.text(9) == tcn
    assert [r.text(13) for r in t.of_type(14)] == [str(n) for n in range(1, 11)]
    response_page.path_chooser = lambda _title, _name: str(sre)
    officer.click("saveResponseButton")
    _wait_text(officer, "transactionSavedLabel", "Saved SRE ")
    answer = parse_response(read_file(sre))
    assert answer.disposition is Disposition.HIT and answer.tcr == tcn

    # exporting any booking from the log is the administrator's (as `station ebts export`)
    gallery_path = officer.window.gallery.path
    chief = sign_in(gallery_path, "admin", ADMIN_PASSWORD)
    admin = Officer(officer.qtbot, open_window(officer.qtbot, gallery_path, chief))
    log_page = admin.window.log_page
    admin.window.tabs.setCurrentWidget(log_page)
    log_page.refresh()
    assert log_page.select_booking(booking_id)
    exported = tmp_path / "exported.eft"
    log_page.path_chooser = lambda _title, _name: str(exported)
    admin.click("exportTransactionButton")
    _wait_text(admin, "exportTransactionLabel", "Exported CAR ")
    assert exported.read_bytes() == car.read_bytes()


def test_a_corrupt_print_in_the_file_is_refused_and_nothing_is_written(
    officer, enrolled_ids, tmp_path: Path
) -> None:
    bad = _car_of(enrolled_ids[1], tmp_path / "bad.eft", corrupt="R3")
    officer.generate("gallery", enrolled_ids[1])
    officer.click("nextButton")
    window = officer.window
    booking_id = window.session.booking_id
    with open_gallery(window.gallery.path, readonly=True) as g:
        before = (g.stats(), len(g.audit_log(booking_id=booking_id)))
    window.capture_page.path_chooser = lambda: str(bad)
    officer.click("loadEbtsButton")
    text = _wait_text(officer, "filesLabel", f"{bad}: ")
    assert "record 5 (Type-14) field 14.999 DATA: the WSQ image does not decode" in text
    assert officer.combo("scannerSourceCombo").currentData() != "ebts"
    assert window.driver.transaction is None
    with open_gallery(window.gallery.path, readonly=True) as g:
        assert (g.stats(), len(g.audit_log(booking_id=booking_id))) == before
        assert g.booking_prints(booking_id) == []
