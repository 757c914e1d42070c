"""Replay of a finished booking: step through it as it happened, or play it back.

:class:`ReplayWidget` shows the steps of a :class:`station.service.replay.Replay` — the pages,
captures and recaptures (with the stored image), annotations, submission, response,
decisions and enrolment — with a step list, a slider, back / forward, and play / pause at
real speed or faster. Playing waits the real time between two steps divided by the speed
(a ``QTimer``; a wait longer than :data:`MAX_WAIT` seconds is cut to it, and the time label
says so). It takes a plain :class:`~station.service.replay.ReplayService`, so any window can
embed it; :class:`ReplayDialog` is the same widget in a dialog of its own.
"""

from __future__ import annotations

import logging

import numpy as np
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from station.core.vocabulary import ReplayKind
from station.gallery import GalleryError
from station.service.replay import Replay, ReplayService

from .widgets import ImageCanvas, esc, plain

__all__ = ["MAX_WAIT", "SPEEDS", "ReplayDialog", "ReplayWidget"]

log = logging.getLogger(__name__)

#: Playback speeds offered (1 is real time).
SPEEDS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 60.0)
#: Longest wall-clock wait between two steps while playing, in seconds.
MAX_WAIT = 5.0


def _clock(seconds: float) -> str:
    minutes, rest = divmod(max(seconds, 0.0), 60.0)
    return f"{int(minutes):02d}:{rest:04.1f}"


class ReplayWidget(QWidget):
    """Step through a booking's replay.

    Parameters
    ----------
    service : ReplayService
        Reads the booking (on the GUI thread, like the booking log).
    booking_id : int, optional
        Load this booking at once (else call :meth:`load`).
    parent : QWidget, optional

    Signals
    -------
    step_changed(int)
        The step on screen changed (its index).
    playing_changed(bool)
        Playback started (True) or stopped (False).

    Notes
    -----
    Automation ids: ``replayWidget``, ``replayTitleLabel``, ``replayImage`` (an
    :class:`ImageCanvas`), ``replayStepLabel`` (the step in words), ``replayTimeLabel``,
    ``replayStepList``, ``replaySlider``, ``replayBackButton``, ``replayPlayButton``,
    ``replayForwardButton``, ``replaySpeedCombo``, ``replayErrorLabel``.
    """

    step_changed = Signal(int)
    playing_changed = Signal(bool)

    def __init__(
        self,
        service: ReplayService,
        booking_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        if not isinstance(service, ReplayService):
            raise ValueError(f"service must be a ReplayService, got {type(service).__name__}")
        self.setObjectName("replayWidget")
        self._service = service
        self.replay: Replay | None = None
        self._images: dict[int, np.ndarray] = {}
        self._current = -1

        self.title_label = QLabel("No booking loaded")
        self.title_label.setObjectName("replayTitleLabel")
        self.error_label = plain(QLabel())
        self.error_label.setObjectName("replayErrorLabel")
        self.error_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.image = ImageCanvas(placeholder="No print at this step")
        self.image.setObjectName("replayImage")
        self.image.setMinimumSize(260, 260)
        self.step_label = QLabel()
        self.step_label.setObjectName("replayStepLabel")
        self.step_label.setTextFormat(Qt.TextFormat.RichText)
        self.step_label.setWordWrap(True)
        self.time_label = plain(QLabel())
        self.time_label.setObjectName("replayTimeLabel")
        self.step_list = QListWidget()
        self.step_list.setObjectName("replayStepList")
        self.step_list.setWordWrap(True)
        self.step_list.setAlternatingRowColors(True)
        self.step_list.currentRowChanged.connect(self._row_chosen)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("replaySlider")
        self.slider.setPageStep(1)
        self.slider.valueChanged.connect(self.show_step)
        self.back_button = QPushButton("◀ &Back")
        self.back_button.setObjectName("replayBackButton")
        self.back_button.clicked.connect(self.step_back)
        self.play_button = QPushButton("&Play")
        self.play_button.setObjectName("replayPlayButton")
        self.play_button.clicked.connect(self.toggle_play)
        self.forward_button = QPushButton("&Forward ▶")
        self.forward_button.setObjectName("replayForwardButton")
        self.forward_button.clicked.connect(self.step_forward)
        self.speed_combo = QComboBox()
        self.speed_combo.setObjectName("replaySpeedCombo")
        for speed in SPEEDS:
            self.speed_combo.addItem("real time" if speed == 1.0 else f"{speed:g}× faster", speed)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._tick)
        self._build_layout()
        self._update_controls()
        if booking_id is not None:
            self.load(booking_id)

    def _build_layout(self) -> None:
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.image, 1)
        left_layout.addWidget(self.step_label)
        left_layout.addWidget(self.time_label)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.step_list)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        controls = QHBoxLayout()
        controls.addWidget(self.back_button)
        controls.addWidget(self.play_button)
        controls.addWidget(self.forward_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(QLabel("Speed:"))
        controls.addWidget(self.speed_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.error_label)
        layout.addWidget(splitter, 1)
        layout.addLayout(controls)

    # --- loading ----------------------------------------------------------------------------

    def load(self, booking_id: int) -> bool:
        """Read the booking's replay and show its first step; False (and a message) if the
        booking cannot be read."""
        self.pause()
        try:
            replay = self._service.replay(booking_id)
            images = self._service.images(replay)
        except (GalleryError, ValueError) as exc:
            log.warning("replay of booking %s failed: %s", booking_id, exc)
            self.error_label.setText(f"Booking {booking_id} cannot be replayed: {exc}")
            self.error_label.show()
            return False
        self.error_label.hide()
        self.replay, self._images = replay, images
        self.title_label.setText(
            f"<b>Replay of {esc(replay.tcn)}</b> · {len(replay.steps)} steps over "
            f"{_clock(replay.duration)} · status {esc(replay.status)}"
        )
        with QSignalBlocker(self.step_list), QSignalBlocker(self.slider):
            self.step_list.clear()
            for step in replay.steps:
                item = QListWidgetItem(f"+{_clock(step.elapsed)}  {step.text}")
                item.setToolTip(f"{step.at} · {step.actor}")
                self.step_list.addItem(item)
            self.slider.setRange(0, max(len(replay.steps) - 1, 0))
            self.slider.setValue(0)
        self._current = -1
        if replay.steps:
            self.show_step(0)
        self._update_controls()
        return True

    # --- stepping ---------------------------------------------------------------------------

    @property
    def current(self) -> int:
        """Index of the step on screen (-1 when nothing is loaded)."""
        return self._current

    def _shown_print(self, index: int) -> tuple[int | None, str]:
        """The print to show at step ``index``: the latest capture up to it, with a caption."""
        assert self.replay is not None
        for step in reversed(self.replay.steps[: index + 1]):
            if step.kind in (ReplayKind.CAPTURE, ReplayKind.RECAPTURE):
                level = f" · level {step.level}" if step.level is not None else ""
                caption = f"{step.finger} {step.impression} · attempt {step.attempt}{level}"
                return step.print_id, caption
        return None, ""

    def show_step(self, index: int) -> None:
        """Show step ``index`` (clamped to the steps there are)."""
        if self.replay is None or not self.replay.steps:
            return
        index = min(max(int(index), 0), len(self.replay.steps) - 1)
        if index == self._current:
            return
        self._current = index
        step = self.replay.steps[index]
        print_id, caption = self._shown_print(index)
        image = self._images.get(print_id) if print_id is not None else None
        self.image.set_image(image)
        if image is None and caption:
            caption += " · image not kept (recaptured later)"
        self.image.set_caption(caption)
        self.step_label.setText(
            f"<b>{esc(step.kind.capitalize())}</b> · {esc(step.actor)}: {esc(step.text)}"
        )
        self.time_label.setText(
            f"Step {index + 1} of {len(self.replay.steps)} · {_clock(step.elapsed)} since the "
            f"booking opened · +{step.gap:.1f} s after the step before"
        )
        with QSignalBlocker(self.step_list), QSignalBlocker(self.slider):
            self.step_list.setCurrentRow(index)
            self.slider.setValue(index)
        self._update_controls()
        self.step_changed.emit(index)

    def _row_chosen(self, row: int) -> None:
        if row >= 0:
            self.show_step(row)

    def step_forward(self) -> None:
        """The next step."""
        self.show_step(self._current + 1)

    def step_back(self) -> None:
        """The step before."""
        self.show_step(self._current - 1)

    # --- playing ----------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        """True while playing back."""
        return self.play_button.text() == "&Pause"

    @property
    def speed(self) -> float:
        """The chosen playback speed (1 real time)."""
        return float(self.speed_combo.currentData())

    def set_speed(self, speed: float) -> None:
        """Choose one of :data:`SPEEDS`."""
        index = self.speed_combo.findData(float(speed))
        if index < 0:
            raise ValueError(f"speed must be one of {', '.join(f'{s:g}' for s in SPEEDS)}")
        self.speed_combo.setCurrentIndex(index)

    def wait_ms(self, index: int) -> int:
        """Milliseconds played before step ``index`` shows (its gap over the speed, capped)."""
        assert self.replay is not None
        gap = self.replay.steps[index].gap
        return round(min(gap / self.speed, MAX_WAIT) * 1000)

    def toggle_play(self) -> None:
        """Play from the step on screen (from the start when at the end), or pause."""
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        """Start playing back."""
        if self.replay is None or len(self.replay.steps) < 2:
            return
        if self._current >= len(self.replay.steps) - 1:
            self.show_step(0)
        self.play_button.setText("&Pause")
        self._schedule()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        """Stop playing (the step on screen stays)."""
        self.timer.stop()
        if self.playing:
            self.play_button.setText("&Play")
            self.playing_changed.emit(False)

    def _schedule(self) -> None:
        assert self.replay is not None
        following = self._current + 1
        if following >= len(self.replay.steps):
            self.pause()
            return
        self.timer.start(self.wait_ms(following))

    def _tick(self) -> None:
        if not self.playing:
            return
        self.step_forward()
        self._schedule()

    def _update_controls(self) -> None:
        count = 0 if self.replay is None else len(self.replay.steps)
        self.back_button.setEnabled(self._current > 0)
        self.forward_button.setEnabled(0 <= self._current < count - 1)
        self.play_button.setEnabled(count > 1)
        self.slider.setEnabled(count > 1)


class ReplayDialog(QDialog):
    """A booking's replay in a window of its own (not modal: open it with ``show``).

    Parameters
    ----------
    service : ReplayService
    booking_id : int
    parent : QWidget, optional

    Notes
    -----
    Automation ids: ``replayDialog``, ``replayCloseButton``, and the widget's (``replayWidget`` …).
    """

    def __init__(
        self, service: ReplayService, booking_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("replayDialog")
        self.setWindowTitle("Booking replay")
        self.widget = ReplayWidget(service, booking_id, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("replayCloseButton")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.widget, 1)
        layout.addWidget(buttons)
        self.finished.connect(lambda _code: self.widget.pause())
        self.resize(1000, 680)
