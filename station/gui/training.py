"""The trainee's bar in the booking window: "Next booking" of their class, and nothing more.

A trainee signed in sees a tool bar with **Next booking** (``nextBookingButton``) and **End
booking** (``endBookingButton``). Next booking takes the next scenario of the trainee's class
(:func:`station.training.classes.begin_booking`): the scenario's person goes onto the mock
scanner's platen with its faults, the window's New booking form is filled with the
demographics the trainee is given, and the platen chooser is hidden. The scenario's name and
brief are never shown. What the trainee then does in the window (captures, annotations,
accepted prints, submit, decisions, enrol, abandon, clean platen, reconnect) is recorded as
action events; End booking (or the class's time limit) scores the booking and stores the run.

The bar polls the class's events every :data:`POLL_MS` ms: a fault the instructor injected is
applied to the mock scanner, a pause disables the booking pages until the class resumes.
"""

from __future__ import annotations

import html
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QToolBar, QWidget

from station.core.vocabulary import ClassEvent, ClassFault, Role, TraineeAction
from station.service import Operator
from station.training import load_library
from station.training.classes import LiveBooking, begin_booking, pending_orders

if TYPE_CHECKING:
    from .station_window import StationWindow

__all__ = ["POLL_MS", "TraineeBar"]

log = logging.getLogger(__name__)

#: How often the bar reads the class's events and updates the clock (ms).
POLL_MS = 500


class TraineeBar(QToolBar):
    """The trainee's class controls on the station window (hidden for other operators).

    Signals
    -------
    booking_scored(object)
        A class booking was scored: its :class:`~station.training.Score`.
    """

    booking_scored = Signal(object)

    def __init__(self, window: StationWindow) -> None:
        super().__init__("Training class", window)
        self.setObjectName("traineeBar")
        self.setMovable(False)
        self.window_ = window
        self.live: LiveBooking | None = None
        self.class_id: int | None = None
        self._seen = 0
        self.paused = False
        self.next_button = QPushButton("Next booking")
        self.next_button.setObjectName("nextBookingButton")
        self.next_button.setToolTip("Take the next booking of your class")
        self.next_button.clicked.connect(self.next_booking)
        self.end_button = QPushButton("End booking")
        self.end_button.setObjectName("endBookingButton")
        self.end_button.setToolTip("Finish this class booking: it is scored")
        self.end_button.clicked.connect(lambda: self.end_booking())
        self.label = QLabel("")
        self.label.setObjectName("traineeStatusLabel")
        for w in (self.next_button, self.end_button, self.label):
            self.addWidget(w)
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._disconnected = False
        window.driver.connection_changed.connect(self._connection)
        window.capture_page.dirt_button.clicked.connect(self._cleaned)
        window.capture_page.clean_button.clicked.connect(self._cleaned)
        self.set_operator(None)

    # --- who ------------------------------------------------------------------------------

    def set_operator(self, operator: Operator | None) -> None:
        """Shown for a trainee; a class booking in progress is ended (scored) at sign-out."""
        if self.live is not None and (operator is None or operator.username != self.live.trainee):
            self.end_booking(note="signed out")
        trainee = operator is not None and operator.has(Role.TRAINEE)
        self.setVisible(trainee)
        if trainee:
            self.timer.start()
            self.label.setText("Press Next booking when your instructor starts the class")
        else:
            self.timer.stop()
        self._update()

    def _update(self) -> None:
        running = self.live is not None
        self.next_button.setEnabled(not running and not self.paused)
        self.end_button.setEnabled(running)

    # --- the booking ----------------------------------------------------------------------

    def next_booking(self) -> None:
        """Take the next booking of the class: platen, demographics, recorder."""
        w = self.window_
        if w.operator is None or self.live is not None:
            return
        try:
            library = load_library(w.settings.training.scenarios_dir)
            live = begin_booking(w.gallery, w.operator, library)
        except Exception as exc:
            w.show_error(f"No booking: {exc}")
            return
        if live is None:
            self.label.setText("No class booking for you now (not started, or all done)")
            return
        self.live, self.class_id = live, live.training_class.id
        w.driver.set_source("mock")
        w.driver.cancel()
        mock = w.driver.mock
        faults = live.faults
        if faults.disconnect_at is not None:  # counted from this booking's first placement
            faults = replace(faults, disconnect_at=mock.placements + faults.disconnect_at)
        mock.subject = live.platen
        mock.faults = faults
        mock.connect()
        w.driver.connection_changed.emit(True)
        w.capture_page.scripted = True
        w._new_booking()
        w.session.recorder = live
        w.new_page.fill(live.demographics)
        n = live.training_class.scenarios.index(live.scenario.id) + 1
        self._booking_text = (
            f"Class <b>{html.escape(live.training_class.name)}</b>: booking {n} of "
            f"{len(live.training_class.scenarios)}"
        )
        self.poll()
        self._update()

    def end_booking(self, *, note: str | None = None) -> None:
        """Score the class booking and store the run."""
        live, w = self.live, self.window_
        if live is None:
            return
        w.driver.cancel()
        self.live = None
        w.session.recorder = None
        w.capture_page.scripted = False
        try:
            result, _run = live.finish(w.service, note=note)
        except Exception as exc:
            log.exception("scoring the class booking failed")
            w.show_error(f"The booking could not be scored: {exc}")
            self._update()
            return
        self.label.setText(
            f"Booking scored: <b>{result.points}/{result.max_points}</b> points"
            + (f" ({html.escape(note)})" if note else "")
            + ". Press Next booking for the next one."
        )
        w.capture_page.refresh()
        self._update()
        self.booking_scored.emit(result)

    def _connection(self, connected: bool) -> None:
        """A reconnect (button or Ctrl+R) after the scanner dropped off is the trainee's."""
        if connected and self._disconnected and self.live is not None:
            self.live.record(TraineeAction.RECONNECT)
        self._disconnected = not connected

    def _cleaned(self) -> None:
        if self.live is not None:
            self.live.record(TraineeAction.CLEAN_PLATEN)

    # --- the class's orders ---------------------------------------------------------------

    def poll(self) -> None:
        """Apply the instructor's faults and pauses; the clock; the time limit."""
        w = self.window_
        if self.class_id is not None and w.operator is not None:
            try:
                orders, self._seen = pending_orders(
                    w.gallery, self.class_id, w.operator.username, after=self._seen
                )
            except Exception:
                log.exception("reading the class's events failed")
                orders = []
            for order in orders:
                self._apply(order)
        live = self.live
        if live is None:
            return
        limit = live.training_class.time_limit
        self.label.setText(
            f"{self._booking_text} · {live.elapsed:.0f} s of {limit} s"
            + (" · <b>paused by the instructor</b>" if self.paused else "")
        )
        if live.over_time and not self.paused:
            self.end_booking(note="time limit")

    def _apply(self, order: dict[str, Any]) -> None:
        w = self.window_
        kind = order["kind"]
        if kind in (ClassEvent.PAUSE, ClassEvent.RESUME):
            self.paused = kind == ClassEvent.PAUSE
            if self.paused:
                w.driver.cancel()
            w.pages.setEnabled(not self.paused)
            self._update()
            return
        if self.live is None or order["scenario_id"] != self.live.scenario.id:
            return  # a fault ordered for a booking that is over
        fault = ClassFault((order["detail"] or {}).get("fault"))
        mock = w.driver.mock
        log.info("class fault: %s", fault)
        if fault is ClassFault.DISCONNECT:
            w.driver.cancel()
            mock.disconnect()
            w.driver.connection_changed.emit(False)
        else:  # dirty platen
            mock.faults = replace(mock.faults, dirty_platen=True)
        w.capture_page.refresh()


def trainee_bar(window: StationWindow) -> QWidget:
    """Make the trainee bar and put it on the window's top tool bar area."""
    bar = TraineeBar(window)
    window.addToolBar(bar)
    return bar
