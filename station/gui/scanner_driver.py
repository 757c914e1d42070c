"""Drives a capture source for the capture page: live preview, auto-capture, extraction.

The mock scanner renders a placement once (:meth:`MockScanner.start`, slow: on a worker),
then gives cheap preview frames that a ``QTimer`` polls at the device's frame rate on the GUI
thread; the first stable frame triggers :meth:`MockScanner.take` (auto-capture) and the
capture's features are extracted on a worker (:func:`station.service.process_capture`).
An image-file source reads and extracts the file on a worker. Results and errors come back as
signals; nothing here touches a widget.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from station.core.residue import PlatenResidue, platen_residue
from station.scanner import (
    ImageFileSource,
    MockScanner,
    MockSettings,
    PlatenEmpty,
    PlatenSubject,
    ScannerDisconnected,
    ScannerError,
    ScannerFaults,
    ScannerTimeout,
    setup_scenario,
)
from station.scanner.base import Capture, Frame
from station.scanner.transaction import TransactionFileSource
from station.service import ProcessedCapture, process_capture

from .workers import TaskRunner

__all__ = ["PLATEN_CHOICES", "ScannerDriver", "error_kind"]

log = logging.getLogger(__name__)

#: Who can be on the mock scanner's platen: key → label (scenarios act on the booked subject).
PLATEN_CHOICES: dict[str, str] = {
    "gallery": "Gallery subject (enrolled)",
    "new": "New synthetic subject",
    "swapped": "Scenario: swapped fingers (R2/R3)",
    "poor-finger": "Scenario: poor finger (R2)",
    "amputated": "Scenario: amputated finger (L4)",
    "dirty-platen": "Scenario: dirty platen",
    "timeout": "Scenario: finger never steady (timeout)",
    "disconnect": "Scenario: scanner disconnects",
}

#: The platen key of a person put there by :meth:`ScannerDriver.set_platen_subject`.
PREPARED = "prepared"


def error_kind(exc: BaseException) -> str:
    """Short kind of a capture error: disconnected, timeout, empty, scanner or internal."""
    if isinstance(exc, ScannerDisconnected):
        return "disconnected"
    if isinstance(exc, ScannerTimeout):
        return "timeout"
    if isinstance(exc, PlatenEmpty):
        return "empty"
    if isinstance(exc, ScannerError):
        return "scanner"
    return "internal"


class ScannerDriver(QObject):
    """The station's capture source and the capture in progress.

    Parameters
    ----------
    tasks : TaskRunner
        Where slow work runs.
    seed : int
        Mock device seed.
    parent : QObject, optional

    Signals
    -------
    frame(object)
        A preview :class:`~station.scanner.base.Frame` (mock scanner).
    captured(object)
        A :class:`~station.service.ProcessedCapture` ready to store.
    failed(str, str)
        The message for the officer and the :func:`error_kind`.
    status(str)
        What the device is doing now ("Place the finger", "Hold still", "Extracting …").
    busy_changed(bool)
        A capture started (True) or ended (False).
    connection_changed(bool)
        The device connected or disconnected.
    platen_checked(object)
        The :class:`~station.core.residue.PlatenResidue` measured on the first empty-platen
        frame of a capture (before the finger touches).
    """

    frame = Signal(object)
    captured = Signal(object)
    failed = Signal(str, str)
    status = Signal(str)
    busy_changed = Signal(bool)
    connection_changed = Signal(bool)
    platen_checked = Signal(object)

    def __init__(self, tasks: TaskRunner, *, seed: int = 0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.mock_settings = MockSettings()
        self.mock = MockScanner(seed=seed, settings=self.mock_settings)
        self.mock.connect()
        self.files: ImageFileSource | None = None
        self.transaction: TransactionFileSource | None = None
        self.source_kind = "mock"
        self.platen_key = "new"
        self.platen_id = 0
        self.population = 0
        self.base_faults = ScannerFaults()
        self._prepared: tuple[PlatenSubject, ScannerFaults] | None = None
        self._timer = QTimer(self)
        self._timer.setObjectName("previewTimer")
        self._timer.timeout.connect(self._tick)
        self._busy = False
        self._generation = 0
        self._slot: tuple[str, str] | None = None
        self._absent: list[str] = []
        self._platen_checked = False
        self.residue: PlatenResidue | None = None

    # --- configuration --------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """A capture is in progress."""
        return self._busy

    @property
    def connected(self) -> bool:
        """The current source can capture."""
        if self.source_kind == "files":
            return self.files is not None and self.files.connected
        if self.source_kind == "ebts":
            return self.transaction is not None and self.transaction.connected
        return self.mock.connected

    @property
    def fps(self) -> float:
        """Preview rate of the mock scanner (frames per second)."""
        return self.mock_settings.fps

    def set_mock_settings(self, settings: MockSettings) -> None:
        """Replace the mock scanner's tunables (frame rate, settle frames …)."""
        self.cancel()
        self.mock_settings = settings
        self.mock.settings = settings

    def set_faults(self, *, dirty_platen: bool, timeout: bool) -> None:
        """Faults from the settings (kept under any scenario's own fault)."""
        self.base_faults = ScannerFaults(dirty_platen=dirty_platen, timeout=timeout)
        self._apply_platen(force=False)

    def set_source(self, kind: str) -> None:
        """``'mock'``, ``'files'`` or ``'ebts'`` (an ANSI/NIST transaction file)."""
        if kind not in ("mock", "files", "ebts"):
            raise ValueError(f"unknown capture source {kind!r}")
        self.cancel()
        self.source_kind = kind
        self.connection_changed.emit(self.connected)

    def load_folder(self, folder: str | Path) -> ImageFileSource:
        """Assign the image files of ``folder`` to slots (raises ScannerError if unusable)."""
        source = ImageFileSource(Path(folder))
        self.files = source
        self.connection_changed.emit(self.connected)
        return source

    def load_transaction(
        self,
        path: str | Path,
        done: Callable[[TransactionFileSource], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        """Read and decode an ANSI/NIST transaction file on a worker; ``done(source)`` (it is
        then the ``'ebts'`` source) or ``failed(ScannerError)`` on the GUI thread."""
        path = Path(path)

        def loaded(source: TransactionFileSource) -> None:
            self.transaction = source
            self.connection_changed.emit(self.connected)
            done(source)

        self.tasks.submit(
            lambda _token: TransactionFileSource(path),
            loaded,
            failed,
            name=f"read {path.name}",
        )

    def set_platen(self, key: str, synthetic_id: int, population: int = 0) -> None:
        """Who is on the mock scanner's platen (see :data:`PLATEN_CHOICES`)."""
        if key not in PLATEN_CHOICES:
            raise ValueError(f"unknown platen choice {key!r}")
        changed = (key, synthetic_id, population) != (
            self.platen_key,
            self.platen_id,
            self.population,
        )
        self.platen_key, self.platen_id, self.population = key, synthetic_id, population
        self._apply_platen(force=changed)

    def set_platen_subject(
        self, subject: PlatenSubject, faults: ScannerFaults | None = None
    ) -> None:
        """Put a prepared person on the mock platen (a training scenario's, for the demo).

        It stays there until the officer chooses someone else (:meth:`set_platen`); the
        settings' faults still apply on top of ``faults``. ``faults.disconnect_at`` counts the
        placements from now (the scanner's count goes on from booking to booking).
        """
        faults = faults or ScannerFaults()
        if faults.disconnect_at is not None:
            faults = replace(faults, disconnect_at=self.mock.placements + faults.disconnect_at)
        self._prepared = (subject, faults)
        self.platen_key, self.platen_id, self.population = (
            PREPARED,
            subject.subject,
            subject.population,
        )
        self._apply_platen(force=True)

    def _apply_platen(self, *, force: bool) -> None:
        key, k, pop = self.platen_key, self.platen_id, self.population
        if key == PREPARED and self._prepared is not None:
            subject, faults = self._prepared
        elif key == "gallery":
            subject, faults = PlatenSubject.gallery(k, pop), ScannerFaults()
        elif key == "new":
            subject, faults = PlatenSubject.new(k, pop), ScannerFaults()
        else:
            subject, faults = setup_scenario(key, k, pop)
        faults = replace(
            faults,
            dirty_platen=faults.dirty_platen or self.base_faults.dirty_platen,
            timeout=faults.timeout or self.base_faults.timeout,
        )
        if force or self.mock.subject is None:
            self.cancel()
            self.mock.subject = subject
            self.mock.faults = faults
        else:
            self.mock.faults = replace(
                self.mock.faults, dirty_platen=faults.dirty_platen, timeout=faults.timeout
            )
        log.info("platen: %s #%d (%s)", key, k, faults)

    def clean_platen(self) -> None:
        """Wipe the platen (clears the dirty-platen fault until set again)."""
        self.mock.clean_platen()
        self.base_faults = replace(self.base_faults, dirty_platen=False)

    def reconnect(self) -> bool:
        """Open the device again after a disconnect; returns whether it is connected."""
        self.cancel()
        if self.source_kind == "mock":
            self.mock.connect()
        self.connection_changed.emit(self.connected)
        return self.connected

    # --- capture --------------------------------------------------------------------------

    def capture(self, finger: str, impression: str, absent: Iterable[str] = ()) -> bool:
        """Start capturing a slot; returns False when a capture is already running."""
        if self._busy:
            return False
        self._slot = (finger, impression)
        self._absent = list(absent)
        self._platen_checked = False
        self._generation += 1
        self._set_busy(True)
        gen = self._generation
        if self.source_kind in ("files", "ebts"):
            source: ImageFileSource | TransactionFileSource | None = (
                self.files if self.source_kind == "files" else self.transaction
            )
            if source is None:
                self._fail(
                    ScannerError(
                        "No folder loaded — choose a folder of prints first"
                        if self.source_kind == "files"
                        else "No ANSI/NIST file loaded — open one first"
                    )
                )
                return True
            absent_now = list(self._absent)
            self.status.emit(f"Reading the {finger} file …")
            self.tasks.submit(
                lambda _token: process_capture(
                    source.capture(finger, impression), absent=absent_now
                ),
                lambda processed: self._processed(gen, processed),
                lambda exc: self._failed(gen, exc),
                name=f"file {finger}",
            )
            return True
        if not self.mock.connected:
            self._fail(ScannerDisconnected())
            return True
        scanner = self.mock
        self.status.emit("Place the finger on the platen")
        self.tasks.submit(
            lambda _token: scanner.start(finger, impression),
            lambda _none: self._placed(gen),
            lambda exc: self._failed(gen, exc),
            name=f"place {finger}",
        )
        return True

    def cancel(self) -> None:
        """Abandon the capture in progress (results still on their way are dropped)."""
        self._generation += 1
        self._timer.stop()
        if self._busy:
            self.mock.cancel()
            self._set_busy(False)

    def _placed(self, gen: int) -> None:
        if gen != self._generation:
            self.mock.cancel()
            return
        self._timer.start(max(1, round(1000.0 / max(self.fps, 1.0))))

    def _tick(self) -> None:
        try:
            frame: Frame = self.mock.frame()
        except Exception as exc:
            self._timer.stop()
            self._fail(exc)
            return
        self.frame.emit(frame)
        if not frame.finger_present and not self._platen_checked:
            self._platen_checked = True
            self.residue = platen_residue(frame.image)
            self.platen_checked.emit(self.residue)
        if not frame.finger_present:
            self.status.emit("Place the finger on the platen")
            return
        if not frame.stable:
            self.status.emit("Hold still …")
            return
        self._timer.stop()
        try:
            capture: Capture = self.mock.take()
        except Exception as exc:
            self._fail(exc)
            return
        self.status.emit("Captured — checking quality …")
        gen = self._generation
        absent = list(self._absent)
        self.tasks.submit(
            lambda _token: process_capture(capture, absent=absent),
            lambda processed: self._processed(gen, processed),
            lambda exc: self._failed(gen, exc),
            name=f"extract {capture.finger}",
        )

    def _processed(self, gen: int, processed: ProcessedCapture) -> None:
        if gen != self._generation:
            return
        self._set_busy(False)
        self.captured.emit(processed)

    def _failed(self, gen: int, exc: BaseException) -> None:
        if gen != self._generation:
            return
        self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        self._timer.stop()
        kind = error_kind(exc)
        if kind == "internal":
            log.error("capture failed: %r", exc)
            message = (
                f"The capture could not be processed ({exc}) — press Capture to try again; "
                "if it keeps failing, recapture with another impression"
            )
        else:
            log.warning("capture error (%s): %s", kind, exc)
            message = str(exc)
        self._set_busy(False)
        if kind == "disconnected":
            self.connection_changed.emit(False)
        self.failed.emit(message, kind)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)
