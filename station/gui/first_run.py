"""First start: build the default gallery from synthetic subjects, with progress and cancel.

The station builds it in the background (:class:`BackgroundGallery`): the window is usable at
once, the status bar shows the progress, and a booking made meanwhile searches the subjects
enrolled so far (its response says so). :func:`ensure_gallery` is the blocking variant: it
returns at once when the gallery file exists; otherwise it shows a
modal progress dialog while :func:`station.service.seed` enrols synthetic subjects in a
background task (:class:`~station.gui.workers.TaskRunner`; the seed opens its own connection
and renders prints in worker processes), then writes the search-index cache
(:func:`station.service.load_index`) so the first search starts fast. Cancel stops after
the subjects in progress: what is committed stays, and a marker file beside the gallery
(``<gallery>.seeding``) makes the next start resume the build.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QProgressDialog,
    QWidget,
)

from .workers import CancelToken, Task, TaskRunner

__all__ = [
    "DEFAULT_SUBJECTS",
    "BackgroundGallery",
    "GalleryBuilder",
    "build_gallery",
    "ensure_gallery",
    "marker_path",
    "needs_build",
]

#: Synthetic subjects of the default gallery built on the first start.
DEFAULT_SUBJECTS = 200

log = logging.getLogger(__name__)


def marker_path(path: str | Path) -> Path:
    """The file that marks a gallery whose first build has not finished."""
    path = Path(path)
    return path.with_name(path.name + ".seeding")


def needs_build(path: str | Path) -> bool:
    """True when the gallery at ``path`` is missing or its first build has not finished."""
    path = Path(path)
    return not path.exists() or marker_path(path).exists()


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


class GalleryBuilder(QObject):
    """Build a gallery in the background (non-blocking; :func:`ensure_gallery` wraps it).

    :func:`build_gallery` runs as a :class:`~station.gui.workers.TaskRunner` task: its
    progress and stage reports reach these signals on the GUI thread, and :meth:`cancel`
    sets the task's cancel token, which the seed polls between subjects.

    Parameters
    ----------
    path : Path
    subjects : int
    population : int
    parent : QObject, optional
    tasks : TaskRunner, optional
        Where the build runs (by default the builder's own runner).

    Signals
    -------
    progress(int, int)
        Subjects enrolled, subjects wanted.
    stage(str)
        The step now running, as a sentence.
    finished(bool)
        True when built and indexed; False when cancelled (emitted once the seed has
        stopped: what was committed stays and the next build resumes it).
    failed(str)
        What went wrong.
    """

    progress = Signal(int, int)
    stage = Signal(str)
    finished = Signal(bool)
    failed = Signal(str)

    def __init__(
        self,
        path: Path,
        subjects: int,
        population: int = 0,
        parent: QObject | None = None,
        *,
        tasks: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.path, self.subjects, self.population = Path(path), subjects, population
        self._tasks = tasks if tasks is not None else TaskRunner(self, max_threads=1)
        self._task: Task | None = None
        self.running = False
        self.cancelling = False

    def start(self) -> None:
        """Start building in the background."""
        path, subjects, population = self.path, self.subjects, self.population

        def work(token: CancelToken) -> bool:
            return build_gallery(
                path,
                subjects,
                population=population,
                progress=lambda done, total: token.progress((done, total)),
                stage=token.progress,
                cancelled=token,
            )

        self.running = True
        self._task = self._tasks.submit(
            work, self._finish, self._fail, progress=self._report, name=f"build {path}"
        )
        self._task.ended.connect(self._ended)

    def cancel(self) -> None:
        """Stop after the subjects in progress (what is committed stays)."""
        self.cancelling = True
        if self._task is not None:
            self._task.cancel()

    def _report(self, value: tuple[int, int] | str) -> None:
        if isinstance(value, str):
            self.stage.emit(value)
        else:
            self.progress.emit(*value)

    def _finish(self, done: bool) -> None:
        self.running = False
        self.finished.emit(bool(done))

    def _fail(self, exc: BaseException) -> None:
        # shown to the officer as text, never as a traceback (the runner logged it)
        self.running = False
        self.failed.emit(str(exc) or type(exc).__name__)

    def _ended(self) -> None:
        if self.running:  # cancelled: no result was delivered
            self.running = False
            log.info("build of %s stopped after cancel", self.path)
            self.finished.emit(False)


class BackgroundGallery(QObject):
    """The default gallery, built while the window is in use, with progress in its status bar.

    A :class:`GalleryBuilder` on its own :class:`~station.gui.workers.TaskRunner` (one
    thread; the seed renders prints in worker processes). The status bar of ``window`` gets
    a permanent label (``galleryBuildLabel``) and progress bar (``galleryBuildProgress``).

    Parameters
    ----------
    window : QMainWindow
        Where the progress shows.
    path : Path
        The gallery file (created empty if missing, completed if partly built).
    subjects : int
        Subjects the finished gallery holds.
    population : int
        Synthetic population.

    Signals
    -------
    grew(int)
        Subjects enrolled so far (as the build reports them).
    ready()
        The gallery is complete and its search index cache written.
    failed(str)
        The build stopped with this error (what was committed stays).
    """

    grew = Signal(int)
    ready = Signal()
    failed = Signal(str)

    def __init__(self, window: QMainWindow, path: Path, subjects: int, population: int = 0) -> None:
        super().__init__(window)
        if subjects < 1:
            raise ValueError(f"the default gallery needs at least 1 subject, got {subjects}")
        self.subjects = subjects
        self.enrolled = 0
        self.tasks = TaskRunner(self, max_threads=1)
        self.builder = GalleryBuilder(path, subjects, population, parent=self, tasks=self.tasks)
        self.label = QLabel()
        self.label.setObjectName("galleryBuildLabel")
        self.bar = QProgressBar()
        self.bar.setObjectName("galleryBuildProgress")
        self.bar.setRange(0, subjects)
        self.bar.setMaximumWidth(180)
        self.bar.setFormat("%v / %m subjects")
        window.statusBar().addPermanentWidget(self.label)
        window.statusBar().addPermanentWidget(self.bar)
        self.builder.progress.connect(self._progress)
        self.builder.stage.connect(self._stage)
        self.builder.finished.connect(self._finished)
        self.builder.failed.connect(self._failed)

    @property
    def running(self) -> bool:
        """True while the build is going on."""
        return self.builder.running

    def start(self) -> None:
        """Start building (returns at once)."""
        marker_path(self.builder.path).parent.mkdir(parents=True, exist_ok=True)
        self._show(f"Building the default gallery: 0 of {self.subjects} subjects")
        log.info("building %s with %d subjects in the background", self.builder.path, self.subjects)
        self.builder.start()

    def note(self, searched: int) -> str:
        """What a response made during the build says, e.g. ``'searched 12 of 200 subjects
        while the gallery is being built'``."""
        return f"searched {searched} of {self.subjects} subjects while the gallery is being built"

    def stop(self) -> None:
        """Stop after the subjects in progress and wait (the next start resumes the build)."""
        if self.builder.running:
            self.builder.cancel()
        self.tasks.shutdown()

    def _show(self, text: str) -> None:
        self.label.setText(text + " — bookings search the subjects enrolled so far")
        self.label.show()
        self.bar.show()

    def _progress(self, done: int, total: int) -> None:
        self.enrolled = done
        self.bar.setMaximum(max(total, 1))
        self.bar.setValue(min(done, total))
        self._show(f"Building the default gallery: {done} of {total} subjects")
        self.grew.emit(done)

    def _stage(self, text: str) -> None:
        self._show(text.rstrip("…. "))

    def _finished(self, done: bool) -> None:
        self.bar.hide()
        if done:
            self.enrolled = self.subjects
            self.label.setText(f"Default gallery ready: {self.subjects} subjects")
            self.ready.emit()
        else:
            self.label.setText("Gallery build stopped: the next start resumes it")

    def _failed(self, text: str) -> None:
        self.bar.hide()
        self.label.setText("Gallery build failed")
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
