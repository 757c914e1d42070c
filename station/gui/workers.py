"""Background work: the one way the station runs slow work off the GUI thread.

After Anki's ``CollectionOp``/``QueryOp``: a *work function* runs on a ``QThreadPool`` thread
and receives plain data (whatever its closure holds) and a :class:`CancelToken`, never a
widget; its result, its failure and its progress reports come back to the GUI thread, where
the callbacks may touch widgets and the window's gallery connection.

Cancellation is cooperative. :meth:`Task.cancel` sets the token, which the work function polls
(``token.cancelled``, or ``token()`` where a ``cancelled=`` callable is wanted) to stop early;
from then on nothing of that task is delivered but :attr:`Task.ended`, which says the work
function has returned (a build cancelled after the subjects in progress, say).

A resource that belongs to a thread, such as a SQLite connection, is opened and closed inside
the work function, on the worker thread that uses it.

Examples
--------
>>> tasks = TaskRunner()                                      # doctest: +SKIP
>>> task = tasks.submit(
...     lambda token: sum(range(10)),
...     done=lambda total: print(total),                        # on the GUI thread
...     failed=lambda exc: print("failed:", exc),
... )                                                         # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

__all__ = ["RETIRED_KEPT", "CancelToken", "Task", "TaskRunner"]

log = logging.getLogger(__name__)

#: Ended tasks a runner keeps before deleting the oldest (see :meth:`TaskRunner._ended`).
RETIRED_KEPT = 256


def _ignore(_value: object) -> None:
    """The callback of a task that has ended: nothing more is delivered."""


class CancelToken:
    """What a work function gets: a thread-safe cancel flag and a progress reporter.

    Parameters
    ----------
    report : callable, optional
        Called with each progress value (the runner passes one that crosses to the GUI
        thread); reports are dropped once the token is cancelled.

    Examples
    --------
    >>> token = CancelToken()
    >>> token.cancelled, token()
    (False, False)
    >>> token.cancel()
    >>> token.cancelled, token()
    (True, True)
    """

    def __init__(self, report: Callable[[object], None] | None = None) -> None:
        self._event = threading.Event()
        self._report = report

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called (from any thread)."""
        return self._event.is_set()

    def __call__(self) -> bool:
        """The same as :attr:`cancelled`, for APIs that poll a ``cancelled()`` callable."""
        return self._event.is_set()

    def cancel(self) -> None:
        """Ask the work to stop (it stops when it next polls the token)."""
        self._event.set()

    def progress(self, value: object) -> None:
        """Report progress (any plain value) to the task's ``progress`` callback."""
        if self._report is not None and not self._event.is_set():
            self._report(value)


class _Relay(QObject):
    """Carries a task's outcome from the worker thread to the task on the GUI thread.

    Values travel boxed in a tuple: PySide6 mis-counts references of a bare None sent
    across threads.
    """

    result = Signal(object)
    error = Signal(object)
    progress = Signal(object)
    returned = Signal()


class _Runnable(QRunnable):
    """Runs the work function on a pool thread; reports only through the relay's signals."""

    def __init__(
        self,
        fn: Callable[[CancelToken], Any],
        token: CancelToken,
        relay: _Relay,
        name: str,
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn, self._token, self._relay, self._name = fn, token, relay, name

    def run(self) -> None:
        try:
            if self._token.cancelled:  # cancelled while queued: the work never starts
                return
            try:
                result = self._fn(self._token)
            except BaseException as exc:  # reported to the GUI thread, never raised in the pool
                if not self._token.cancelled:
                    log.exception("background task %s failed", self._name)
                self._relay.error.emit((exc,))
            else:
                self._relay.result.emit((result,))
        finally:
            self._relay.returned.emit()


class Task(QObject):
    """One piece of background work submitted to a :class:`TaskRunner` (lives on the GUI thread).

    Signals
    -------
    ended()
        The work function has returned (or was cancelled before it started); emitted on the
        GUI thread after the ``done``/``failed`` callback, and also for a cancelled task.

    Notes
    -----
    The ``done``, ``failed`` and ``progress`` callbacks given to :meth:`TaskRunner.submit`
    run on the GUI thread, and never after :meth:`cancel`.
    """

    ended = Signal()

    def __init__(
        self,
        name: str,
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        progress: Callable[[Any], None] | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self._done, self._failed, self._progress = done, failed, progress
        # A child of the task: deleted with it on the GUI thread, never by a worker thread.
        relay = _Relay(self)
        relay.result.connect(self._on_result)
        relay.error.connect(self._on_error)
        relay.progress.connect(self._on_progress)
        relay.returned.connect(self._on_returned)
        self._relay = relay
        self.token = CancelToken(
            report=(lambda value: relay.progress.emit((value,))) if progress is not None else None
        )
        self._running = True

    @property
    def cancelled(self) -> bool:
        """True once the task was cancelled."""
        return self.token.cancelled

    @property
    def running(self) -> bool:
        """True until the work function has returned (cancelled or not)."""
        return self._running

    def cancel(self) -> None:
        """Stop delivering this task's results; the work function sees ``token.cancelled``."""
        if not self.token.cancelled:
            log.debug("cancel task %s", self.name)
        self.token.cancel()

    @Slot(object)
    def _on_result(self, box: tuple[Any]) -> None:
        if not self.token.cancelled:
            self._done(box[0])

    @Slot(object)
    def _on_error(self, box: tuple[BaseException]) -> None:
        if not self.token.cancelled:
            self._failed(box[0])

    @Slot(object)
    def _on_progress(self, box: tuple[Any]) -> None:
        if not self.token.cancelled and self._progress is not None:
            self._progress(box[0])

    @Slot()
    def _on_returned(self) -> None:
        self._running = False
        self.ended.emit()
        self._release()

    def _release(self) -> None:
        """Let go of the callbacks: nothing is delivered once the work function returned.

        Their closures hold the work's data (a search job's probe templates, a transaction
        file's records, the page that asked); the runner keeps an ended task for a while
        (see :meth:`TaskRunner._ended`), and it must not keep that data alive with it.
        """
        self._done = self._failed = _ignore
        self._progress = None


class TaskRunner(QObject):
    """Runs work functions on its own thread pool and calls back on the GUI thread.

    Parameters
    ----------
    parent : QObject, optional
        Owner (the main window, or the page or dialog that runs the work).
    max_threads : int
        Work functions running at once; more wait in the queue.

    Signals
    -------
    busy_changed(bool)
        The first task was submitted (True) or the last one ended (False).

    Notes
    -----
    :meth:`shutdown` cancels every task and waits for the running ones, so a closing window
    never receives a result.
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 2) -> None:
        super().__init__(parent)
        if isinstance(max_threads, bool) or not isinstance(max_threads, int) or max_threads < 1:
            raise ValueError(f"max_threads must be a whole number >= 1, got {max_threads!r}")
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._live: set[Task] = set()
        self._retired: deque[Task] = deque()
        self._closed = False

    @property
    def busy(self) -> bool:
        """True while a task is queued or running."""
        return bool(self._live)

    def submit(
        self,
        fn: Callable[[CancelToken], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        *,
        progress: Callable[[Any], None] | None = None,
        name: str = "task",
    ) -> Task:
        """Run ``fn(token)`` in the pool; ``done(result)`` or ``failed(exc)`` on the GUI thread.

        Parameters
        ----------
        fn : callable
            Work function on plain data, called with the task's :class:`CancelToken`; must
            not touch widgets or the window's gallery connection.
        done, failed : callable
            Called on the GUI thread with the result or the exception (not after cancel).
        progress : callable, optional
            Called on the GUI thread with each value the work passes to
            ``token.progress`` (not after cancel).
        name : str
            For the log.

        Returns
        -------
        task : Task
            Its :meth:`~Task.cancel` stops delivery; a task submitted after
            :meth:`shutdown` is cancelled at once and never runs.
        """
        task = Task(name, done, failed, progress, self)
        if self._closed:
            task.cancel()
            task._release()
            return task
        self._live.add(task)
        task.ended.connect(self._ended)
        if len(self._live) == 1:
            self.busy_changed.emit(True)
        log.debug("start task %s", name)
        self.pool.start(_Runnable(fn, task.token, task._relay, name))
        return task

    @Slot()
    def _ended(self) -> None:
        task = self.sender()
        self._live.discard(task)
        # An ended task is kept (a child of the runner) and deleted only once RETIRED_KEPT
        # later tasks have ended. Deleting it as soon as it ended (deleteLater from this slot)
        # crashed the interpreter in about one run in six of the gallery page's thumbnail
        # test: Qt then delivered a queued call into a freed PySide slot object. Tasks are few
        # (one per capture, search or subject selection), so the bound costs little memory.
        self._retired.append(task)
        while len(self._retired) > RETIRED_KEPT:
            self._retired.popleft().deleteLater()
        if not self._live:
            self.busy_changed.emit(False)

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Cancel every task, drop their callbacks and wait for the running ones to end."""
        self._closed = True
        for task in list(self._live):
            task.cancel()
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)
