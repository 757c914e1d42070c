"""Replay from the booking log: a booking clicked through the window, then stepped through."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QListWidget, QPushButton, QSlider, QTableWidget

from station.core.vocabulary import FINGERS, ReplayKind
from station.gui.log_page import BookingLogPage
from station.gui.replay import ReplayDialog, ReplayWidget
from station.service.replay import ReplayService

from .conftest import WAIT


def _click(qtbot, button: QPushButton) -> None:
    qtbot.waitUntil(button.isEnabled, timeout=WAIT)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_booking_is_replayed_from_the_log_page(officer, enrolled_ids) -> None:
    window = officer.window
    officer.start_booking("gallery", enrolled_ids[0])
    officer.capture_all()
    officer.click("nextButton")  # to Review
    assert officer.submit().startswith("HIT — ")
    booking_id = window.session.booking_id

    # What the station audited: every page it showed, every capture, the submit and response,
    # and the sending to the agencies (the window's agency pump does that on a worker, after
    # the response is on screen: wait for it).
    service = ReplayService(window.gallery)
    officer.qtbot.waitUntil(
        lambda: ReplayKind.AGENCIES in service.replay(booking_id).kinds(), timeout=WAIT
    )
    replay = service.replay(booking_id)
    assert replay.kinds()[:-2] == [
        ReplayKind.OPEN,
        ReplayKind.PAGE,
        *[ReplayKind.CAPTURE] * 10,
        ReplayKind.PAGE,
        ReplayKind.PAGE,
        ReplayKind.SUBMIT,
        ReplayKind.RESPONSE,
    ]
    assert sorted(replay.kinds()[-2:]) == sorted([ReplayKind.PAGE, ReplayKind.AGENCIES])
    assert (
        "Sent to the agencies: STATE, NGI, IDENT"
        in replay.steps[replay.kinds().index(ReplayKind.AGENCIES)].text
    )
    assert [s.page for s in replay.steps if s.page] == ["Capture", "Review", "Submit", "Response"]
    assert [s.finger for s in replay.steps[2:12]] == list(FINGERS)
    assert window.gallery.verify().ok

    window.findChild(QAction, "viewBookinglogAction").trigger()
    page = window.findChild(BookingLogPage, "bookingLogPage")
    page.refresh()
    table = page.findChild(QTableWidget, "bookingLogTable")
    row = page.booking_ids().index(booking_id)
    qtbot = officer.qtbot
    qtbot.mouseClick(
        table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=table.visualItemRect(table.item(row, 0)).center(),
    )
    assert page.selected_booking() == booking_id
    _click(qtbot, page.findChild(QPushButton, "replayBookingButton"))
    qtbot.waitUntil(
        lambda: page.replay_dialog is not None and page.replay_dialog.isVisible(), timeout=WAIT
    )
    dialog = page.replay_dialog
    assert isinstance(dialog, ReplayDialog) and dialog.objectName() == "replayDialog"
    widget = dialog.findChild(ReplayWidget, "replayWidget")
    steps = dialog.findChild(QListWidget, "replayStepList")
    label = dialog.findChild(QLabel, "replayStepLabel")
    image = widget.image
    assert steps.count() == len(replay.steps) == 18
    assert widget.current == 0 and "Booking " in label.text() and image.pixmap is None

    forward = dialog.findChild(QPushButton, "replayForwardButton")
    with qtbot.waitSignal(widget.step_changed, timeout=WAIT) as changed:
        _click(qtbot, forward)
    assert changed.args == [1] and "Page: Capture" in label.text()
    _click(qtbot, forward)
    qtbot.waitUntil(lambda: widget.current == 2, timeout=WAIT)
    assert "Captured R1 (right thumb) rolled" in label.text()
    first = image.pixmap.cacheKey()
    assert image.caption.startswith("R1 rolled · attempt 1 · level ")
    _click(qtbot, forward)
    qtbot.waitUntil(lambda: widget.current == 3, timeout=WAIT)
    assert "Captured R2 (right index) rolled" in label.text()
    assert image.pixmap.cacheKey() != first and image.caption.startswith("R2 rolled")

    slider = dialog.findChild(QSlider, "replaySlider")
    slider.setValue(slider.maximum())
    last = len(replay.steps) - 1
    qtbot.waitUntil(lambda: widget.current == last, timeout=WAIT)
    assert replay.steps[last].text in label.text()
    assert "L5 rolled" in image.caption  # the last capture stays on screen
    response = replay.kinds().index(ReplayKind.RESPONSE)
    for _ in range(last - response):
        _click(qtbot, dialog.findChild(QPushButton, "replayBackButton"))
    qtbot.waitUntil(lambda: widget.current == response, timeout=WAIT)
    assert "Response: HIT · top candidate " in label.text()

    # Play from the start, 60 times faster than it happened: it runs to the last step.
    widget.set_speed(60.0)
    slider.setValue(0)
    play = dialog.findChild(QPushButton, "replayPlayButton")
    with qtbot.waitSignal(widget.playing_changed, timeout=WAIT) as started:
        _click(qtbot, play)
    assert started.args == [True] and play.text() == "&Pause"
    with qtbot.waitSignal(widget.playing_changed, timeout=WAIT) as stopped:
        pass
    assert stopped.args == [False] and widget.current == last and play.text() == "&Play"
    dialog.close()
