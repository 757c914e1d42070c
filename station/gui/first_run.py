"""First start: build the default gallery from synthetic subjects, with progress and cancel.

:func:`ensure_gallery` returns at once when the gallery file exists. Otherwise it shows a
modal progress dialog while :func:`station.service.seed` enrols synthetic subjects on a pool
thread (the seed opens its own connection and renders prints in worker processes), then
writes the search-index cache (:func:`station.service.load_index`) so the first search starts
fast. Cancel stops after the subjects in progress: what is committed stays, and a marker file
beside the gallery (``<gallery>.seeding``) makes the next start resume the build.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

__all__ = ["GalleryBuilder", "build_gallery", "ensure_gallery", "marker_path"]

log = logging.getLogger(__name__)


def marker_path(path: str | Path) -> Path:
    """The file that marks a gallery whose first build has not finished."""
    path = Path(path)
    return path.with_name(path.name + ".seeding")


def build_gallery(
    path: str | Path,
    subjects: int,
    *,
    population: int = 0,
    progress: Callable[[int, int], None] | None = None,
    stage: Callable[[str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> bool:
    """Seed a gallery and write its search-index cache (work function: plain data, no Qt).

    Parameters
    ----------
    path : str or Path
        The gallery file (created if missing; a partly built one is completed).
    subjects : int
        Synthetic subjects the gallery should hold.
    population : int
        Synthetic population.
    progress : callable, optional
        ``progress(done, total)`` in subjects while seeding.
    stage : callable, optional
        ``stage(text)`` when the work moves to the next step.
    cancelled : callable, optional
        Polled between subjects; True stops the seed (what is committed stays).

    Returns
    -------
    done : bool
        True when the gallery is complete and indexed, False when cancelled.
    """
    from station.service import load_index, seed

    path = Path(path)
    marker = marker_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"building {subjects} subjects of population {population}\n")
    report = seed(path, subjects, population=population, progress=progress, cancelled=cancelled)
    log.info(
        "seed %s: %d enrolled, %d already there, %.1f s",
        path,
        report.enrolled,
        report.already,
        report.seconds,
    )
    if report.already + report.enrolled < report.requested:
        log.info("seed of %s cancelled; the next start resumes it", path)
        return False
    if stage is not None:
        stage("Building the search index…")
    load_index(path)  # writes the descriptor cache beside the gallery
    marker.unlink(missing_ok=True)
    return True


class _BuildSignals(QObject):
    progress = Signal(int, int)
    stage = Signal(str)
    finished = Signal(bool)
    failed = Signal(str)


class _BuildRunnable(QRunnable):
    """Runs :func:`build_gallery` on a pool thread and reports through Qt signals."""

    def __init__(self, path: Path, subjects: int, population: int) -> None:
        super().__init__()
        self.path, self.subjects, self.population = path, subjects, population
        self.signals = _BuildSignals()
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            done = build_gallery(
                self.path,
                self.subjects,
                population=self.population,
                progress=self.signals.progress.emit,
                stage=self.signals.stage.emit,
                cancelled=self.stop.is_set,
            )
        except Exception as exc:  # shown to the officer as text, never as a traceback
            log.exception("building gallery %s failed", self.path)
            self.signals.failed.emit(str(exc) or type(exc).__name__)
        else:
            self.signals.finished.emit(done)


class GalleryBuilder(QObject):
    """Build a gallery on a pool thread (non-blocking; :func:`ensure_gallery` wraps it).

    Parameters
    ----------
    path : Path
    subjects : int
    population : int
    parent : QObject, optional

    Signals
    -------
    progress(int, int)
        Subjects enrolled, subjects wanted.
    stage(str)
        The step now running, as a sentence.
    finished(bool)
        True when built and indexed, False when cancelled.
    failed(str)
        What went wrong.
    """

    progress = Signal(int, int)
    stage = Signal(str)
    finished = Signal(bool)
    failed = Signal(str)

    def __init__(
        self, path: Path, subjects: int, population: int = 0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._runnable = _BuildRunnable(Path(path), subjects, population)
        signals = self._runnable.signals
        signals.progress.connect(self.progress)
        signals.stage.connect(self.stage)
        signals.finished.connect(self._finish)
        signals.failed.connect(self._fail)
        self.running = False
        self.cancelling = False

    def start(self) -> None:
        """Start building on the global thread pool."""
        self.running = True
        QThreadPool.globalInstance().start(self._runnable)

    def cancel(self) -> None:
        """Stop after the subjects in progress (what is committed stays)."""
        self.cancelling = True
        self._runnable.stop.set()

    def _finish(self, done: bool) -> None:
        self.running = False
        self.finished.emit(bool(done))

    def _fail(self, text: str) -> None:
        self.running = False
        self.failed.emit(text)


def ensure_gallery(path: Path, parent: QWidget | None = None, *, subjects: int = 200) -> bool:
    """Make sure a gallery exists at ``path``, building the default one if need be.

    Parameters
    ----------
    path : Path
        The gallery file.
    parent : QWidget, optional
        The window the progress dialog and any error message belong to.
    subjects : int
        Synthetic subjects to enrol when building.

    Returns
    -------
    ready : bool
        True at once when the gallery exists (and its first build finished); True after a
        build; False when the officer cancelled it or it failed (the error was shown with
        what to do next).

    Notes
    -----
    The dialog (``seedProgressDialog``) is modal; the build runs on a pool thread, so the
    window keeps painting and Cancel answers at once. This call returns when the build
    ends (it runs a local event loop meanwhile).
    """
    path = Path(path)
    resuming = marker_path(path).exists()
    if path.exists() and not resuming:
        return True
    verb = "Completing" if resuming else "Building"
    title = f"{verb} the default gallery: {subjects} synthetic subjects…"
    dialog = QProgressDialog(title, "Cancel", 0, subjects, parent)
    dialog.setObjectName("seedProgressDialog")
    dialog.setWindowTitle("Booking Station — first start")
    dialog.setWindowModality(
        Qt.WindowModality.WindowModal if parent is not None else Qt.WindowModality.ApplicationModal
    )
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumDuration(0)
    dialog.setMinimumWidth(460)
    dialog.setValue(0)

    builder = GalleryBuilder(path, subjects, parent=dialog)
    loop = QEventLoop()
    outcome: dict[str, object] = {}

    def on_progress(done: int, total: int) -> None:
        if builder.cancelling:
            return
        dialog.setMaximum(max(total, 1))
        dialog.setValue(min(done, total))
        dialog.setLabelText(f"{title}\n{done} of {total} enrolled")

    def on_stage(text: str) -> None:
        dialog.setCancelButton(None)  # the gallery is complete: nothing left to cancel
        dialog.setLabelText(f"{title}\n{text}")
        dialog.setRange(0, 0)  # busy indicator

    def on_cancel() -> None:
        builder.cancel()
        dialog.setLabelText(
            f"{title}\nStopping after the subjects in progress… What is enrolled stays; "
            "the next start resumes the build."
        )

    def on_done(done: bool) -> None:
        outcome["done"] = done
        loop.quit()

    def on_failed(text: str) -> None:
        outcome["error"] = text
        loop.quit()

    builder.progress.connect(on_progress)
    builder.stage.connect(on_stage)
    builder.finished.connect(on_done)
    builder.failed.connect(on_failed)
    dialog.canceled.connect(on_cancel)
    log.info("%s gallery %s with %d subjects", verb.lower(), path, subjects)
    dialog.show()
    builder.start()
    loop.exec()
    dialog.hide()
    dialog.deleteLater()

    if "error" in outcome:
        QMessageBox.critical(
            parent,
            "Gallery not built",
            f"The default gallery could not be built at {path}:\n{outcome['error']}\n\n"
            "Check that the folder can be written and the disk has space, then start the "
            "station again: it resumes where it stopped. To use another gallery, set "
            "[paths] gallery in the settings file.",
        )
        return False
    done = bool(outcome.get("done"))
    if not done:
        log.info("gallery build cancelled by the officer")
    return done
