"""Issue 12, the booking window officer-grade: examiner decisions that cannot go wrong, the
capture-time quality gate, leaving a booking, and messages that go away when they stop being
true. Each test reproduces a defect of the issue with the automation IDs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTableWidget, QWidget

from station.core.disposition import DispositionPolicy
from station.core.vocabulary import BookingStatus, Repository
from station.gallery import open_gallery

from .conftest import WAIT

#: No mate reaches the HIT threshold; every candidate scoring at all is flagged for review.
ALL_REVIEWED = DispositionPolicy(hit=50.0, review=0.001)
#: No mate reaches the HIT threshold; only strong candidates are flagged for review.
FEW_REVIEWED = DispositionPolicy(hit=50.0, review=0.25)


def _audit(officer, action: str) -> list[dict]:
    window = officer.window
    entries = window.gallery.audit_log(booking_id=window.session.booking_id)
    return [e for e in entries if e["action"] == action]


def _select_row(officer, row: int) -> None:
    table = officer.find(QTableWidget, "candidateTable")
    table.selectRow(row)
    officer.qtbot.waitUntil(lambda: table.currentRow() == row, timeout=WAIT)


def _review(officer, subject: int) -> None:
    officer.start_booking("gallery", subject)
    officer.capture_all()
    assert officer.submit().startswith("REVIEW — ")


def test_confirm_is_disabled_on_a_candidate_not_flagged_for_review(officer_with, enrolled_ids):
    officer = officer_with(FEW_REVIEWED)
    _review(officer, enrolled_ids[1])
    rows = officer.candidate_rows()
    unflagged = [i for i, r in enumerate(rows) if "(review)" not in r[4]]
    assert "(review)" in rows[0][4] and unflagged
    _select_row(officer, unflagged[-1])
    assert not officer.button("confirmMatchButton").isEnabled()
    assert officer.button("rejectMatchButton").isEnabled()
    hint = officer.find(QLabel, "decisionHintLabel").text()
    assert "not flagged for review" in hint
    _select_row(officer, 0)
    assert officer.button("confirmMatchButton").isEnabled()
    assert officer.find(QLabel, "decisionHintLabel").text() == ""


def test_confirm_asks_a_reason_and_the_comparison_stays_on_the_banners_candidate(
    officer_with, enrolled_ids, qtbot
):
    officer = officer_with(ALL_REVIEWED)
    _review(officer, enrolled_ids[1])
    rows = officer.candidate_rows()
    assert len(rows) >= 2 and "(review)" in rows[1][4]
    _select_row(officer, 1)
    second = rows[1][1]
    # Cancel: nothing recorded.
    officer.click("confirmMatchButton")
    officer.answer("decisionDialog", "decisionCancelButton")
    assert officer.banner().startswith("REVIEW — ")
    # OK needs a reason.
    officer.click("confirmMatchButton")
    dialog = officer.dialog("decisionDialog")
    assert not dialog.findChild(QWidget, "decisionOkButton").isEnabled()
    officer.answer("decisionDialog", "decisionOkButton", "whorl and deltas agree on R1, L2")
    banner = officer.banner()
    assert banner.startswith(f"HIT — {second}") and "confirmed by the examiner" in banner
    table = officer.find(QTableWidget, "candidateTable")
    assert table.currentRow() == 1  # not back to rank 1
    page = officer.window.response_page
    assert page.selected_subject() == officer.window.session.outcome.subject.subject_id
    match = officer.find(QLabel, "matchScoreLabel")
    qtbot.waitUntil(lambda: "1:1 score" in match.text(), timeout=WAIT)
    assert page._shown_subject == officer.window.session.outcome.subject.subject_id
    [decision] = officer.window.gallery.decisions(officer.window.session.booking_id)
    assert decision["note"] == "whorl and deltas agree on R1, L2"
    assert _audit(officer, "confirm candidate")[-1]["detail"]["note"] == decision["note"]


def test_a_decision_can_be_undone_until_enrolment(officer_with, enrolled_ids):
    officer = officer_with(FEW_REVIEWED)
    _review(officer, enrolled_ids[1])
    assert not officer.button("undoDecisionButton").isEnabled()
    officer.decide("rejectMatchButton", "core in a different place")
    assert officer.banner().startswith("NO HIT — ")
    officer.decide("undoDecisionButton", "compared the wrong finger")
    assert officer.banner().startswith("REVIEW — ")
    assert not officer.button("undoDecisionButton").isEnabled()
    assert officer.button("confirmMatchButton").isEnabled()
    assert [
        d["decision"] for d in officer.window.gallery.decisions(officer.window.session.booking_id)
    ] == ["reject", "undo"]
    assert _audit(officer, "undo decision")
    officer.decide("confirmMatchButton", "ridge detail agrees")
    officer.click("enrollButton")
    assert "enrolled as a new encounter of subject #" in officer.banner()
    assert not officer.button("undoDecisionButton").isEnabled()
    assert officer.window.gallery.verify().ok


def test_enrol_after_rejecting_a_hit_warns_of_a_second_identity(officer, enrolled_ids):
    officer.start_booking("gallery", enrolled_ids[0])
    officer.capture_all()
    assert officer.submit().startswith("HIT — ")
    status = officer.window.statusBar().currentMessage()
    assert "open" not in status  # "Booking … open" is stale on the Response page
    assert "Ctrl+Shift+N" not in status  # the shortcut line shows once, in the hint label
    officer.decide("rejectMatchButton", "different person")
    assert officer.banner().startswith("NO HIT — the examiner rejected every candidate")
    officer.click("enrollButton")
    officer.answer("secondIdentityDialog", "enrolCancelButton")
    assert officer.window.session.enrolled_subject is None
    officer.click("enrollButton")
    dialog = officer.dialog("secondIdentityDialog")
    assert "second identity" in dialog.text()
    officer.answer("secondIdentityDialog", "enrolAnywayButton")
    subject = officer.window.session.enrolled_subject
    assert subject is not None
    banner = officer.banner()
    assert "enrol the subject" not in banner and f"enrolled as subject #{subject}" in banner
    tcn = officer.window.session.tcn
    local = [
        r["record_number"]
        for r in officer.window.gallery.records(subject)
        if r["repository"] == Repository.LOCAL
    ]
    assert local == [tcn]  # not "BS-01-BS-01-…"


def test_no_hit_comparison_draws_no_matched_minutiae(officer, unknown_id, qtbot):
    officer.start_booking("new", unknown_id)
    officer.capture_all()
    assert officer.submit().startswith("NO HIT — ")
    assert officer.candidate_rows()
    match = officer.find(QLabel, "matchScoreLabel")
    qtbot.waitUntil(lambda: "1:1 score" in match.text(), timeout=WAIT)
    assert "below the match threshold" in match.text()
    assert "matched minutiae" not in match.text().replace("no matched minutiae", "")
    assert officer.window.response_page.view.result is None


def test_quality_gate_stops_the_sequence_and_accept_anyway_is_recorded(officer_with, enrolled_ids):
    officer = officer_with(DispositionPolicy(recapture_level=4))
    officer.start_booking("poor-finger", enrolled_ids[2])
    officer.click("captureButton")
    gate = officer.dialog("qualityGateDialog")
    session = officer.window.session
    r2 = session.slots["R2"]
    assert r2.level >= 4
    assert not session.slots["R3"].done and not officer.window.driver.busy  # stopped
    detail = officer.find(QWidget, "qualityBar").text
    word = {4: "fair", 5: "poor"}[r2.level]
    # One scale, the officer's level in words; the 0-100 score only as detail.
    assert detail.startswith(f"Level {r2.level} — {word} (score {r2.quality}/100)")
    assert not gate.findChild(QWidget, "acceptAnywayButton").isEnabled()
    officer.answer("qualityGateDialog", "acceptAnywayButton", "scarred finger, best possible")
    officer.wait_capture_done()
    assert session.slots["R2"].attempt == 1
    [entry] = _audit(officer, "accept low quality")
    assert entry["detail"]["reason"] == "scarred finger, best possible"
    assert officer.submit().startswith("HIT — ")  # accepted: searched, not sent back


def test_quality_gate_recapture_now(officer_with, enrolled_ids):
    officer = officer_with(DispositionPolicy(recapture_level=4))
    officer.start_booking("poor-finger", enrolled_ids[2])
    officer.click("captureButton")
    officer.answer("qualityGateDialog", "recaptureNowButton")
    officer.wait_capture_done()
    slot = officer.window.session.slots["R2"]
    assert slot.attempt == 2 and slot.level < 4


def test_recapture_response_hides_the_candidates_panel(officer_with, enrolled_ids, qtbot):
    officer = officer_with(DispositionPolicy(recapture_level=4))
    officer.start_booking("poor-finger", enrolled_ids[2])
    officer.click("captureButton")
    gate = officer.dialog("qualityGateDialog")
    qtbot.keyClick(gate, Qt.Key.Key_Escape)
    officer.wait_capture_done()
    assert officer.submit().startswith("RECAPTURE — ")
    for name in ("candidateTable", "candidatesTitle", "examinerBox"):
        assert not officer.find(QWidget, name).isVisible(), name
    assert officer.find(QWidget, "recaptureBox").isVisible()


def test_space_after_all_prints_taken_does_not_recapture(officer, enrolled_ids, qtbot):
    officer.start_booking("gallery", enrolled_ids[0])
    officer.capture_all()
    page = officer.window.capture_page
    assert page.prompt.text().startswith("All prints taken")
    last = officer.window.session.current
    attempt = officer.window.session.slots[last].attempt
    page.setFocus()
    qtbot.keyClick(page, Qt.Key.Key_Space)
    assert not officer.window.driver.busy
    assert officer.window.session.slots[last].attempt == attempt
    assert page.prompt.text().startswith("All prints taken")


def test_dirty_platen_is_measured_and_the_officer_asked_to_clean_it(officer, enrolled_ids):
    officer.start_booking("gallery", enrolled_ids[0])
    panel = officer.find(QWidget, "dirtyPlatenPanel")
    officer.choose("platenSubjectCombo", "dirty-platen")
    officer.click("captureButton")
    officer.qtbot.waitUntil(panel.isVisible, timeout=WAIT)
    assert "platen is dirty" in officer.find(QLabel, "dirtyPlatenLabel").text()
    assert officer.window.driver.residue.dirty
    assert officer.find(QWidget, "cleanPlatenButton") is not None
    officer.window.driver.cancel()
    officer.click("cleanPlatenNowButton")
    assert not panel.isVisible()
    officer.click("captureButton")
    driver = officer.window.driver
    officer.qtbot.waitUntil(
        lambda: driver.residue is not None and not driver.residue.dirty, timeout=WAIT
    )
    assert not panel.isVisible()


def test_leaving_a_booking_with_prints_asks(officer, enrolled_ids, qtbot):
    window = officer.window
    officer.start_booking("gallery", enrolled_ids[0])
    officer.capture_all()
    first = window.session.booking_id
    shift_ctrl = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_N, shift_ctrl)
    officer.answer("leaveBookingDialog", "cancelLeaveButton")
    assert window.page == 1 and window.session.booking_id == first
    window.new_action.trigger()
    officer.answer("leaveBookingDialog", "abandonButton", "wrong person brought in")
    assert window.page == 0 and window.session.booking_id is None
    assert window.gallery.booking(first)["status"] == BookingStatus.CANCELLED
    [entry] = [
        e for e in window.gallery.audit_log(booking_id=first) if e["action"] == "abandon booking"
    ]
    assert entry["detail"]["reason"] == "wrong person brought in"
    # Keep open: the booking stays open in the gallery.
    officer.start_booking("gallery", enrolled_ids[0])
    officer.capture_all()
    second = window.session.booking_id
    window.quit()  # the Quit action (Ctrl+Q)
    officer.answer("leaveBookingDialog", "keepOpenButton")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
    with open_gallery(window.gallery_path, readonly=True) as gallery:
        assert gallery.booking(second)["status"] == BookingStatus.OPEN


def test_scanner_note_goes_when_the_finger_is_annotated(officer, enrolled_ids):
    officer.start_booking("amputated", enrolled_ids[3], slaps=True)
    officer.capture_all()
    officer.choose("annotateCombo", "XX")
    officer.wait_capture_done()
    alert = officer.find(QWidget, "alertBar")
    text = officer.find(QLabel, "alertText").text()
    assert not (alert.isVisible() and "Scanner note" in text)


def test_unable_to_print_asks_for_confirmation_and_a_reason(officer, enrolled_ids):
    officer.start_booking("gallery", enrolled_ids[0])
    session = officer.window.session
    officer.choose("annotateCombo", "UP")
    officer.answer("unablePrintDialog", "unablePrintCancelButton")
    assert session.slots["R1"].annotation is None
    officer.choose("annotateCombo", "UP")
    officer.answer("unablePrintDialog", "unablePrintOkButton", "bandaged")
    assert session.slots["R1"].annotation == "UP"
    [entry] = _audit(officer, "annotate")
    assert entry["detail"] == {"finger": "R1", "annotation": "UP", "reason": "bandaged"}
