"""Background work: a pure function on plain data runs on a thread pool, its result comes back
to the GUI thread through a signal (after Anki's ``CollectionOp``/``QueryOp``).

A work function never sees a widget or the gallery connection; the ``done`` and ``failed``
callbacks run on the GUI thread and may touch both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

__all__ = ["TaskRunner"]

log = logging.getLogger(__name__)


class _Signals(QObject):
    """Carries a task's outcome from the worker thread to the GUI thread."""

    done = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    """Runs ``fn()`` on a pool thread and emits its result or exception."""

    def __init__(self, fn: Callable[[], Any], signals: _Signals, name: str) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._signals = signals
        self._name = name

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # reported to the GUI thread, never raised in the pool
            log.exception("background task %s failed", self._name)
            self._signals.failed.emit((exc,))
        else:
            # Boxed: PySide6 mis-counts references of a bare None sent across threads.
            self._signals.done.emit((result,))


class TaskRunner(QObject):
    """Runs work functions on its own thread pool and calls back on the GUI thread.

    Parameters
    ----------
    parent : QObject, optional
        Owner (the main window).

    Notes
    -----
    Callbacks of tasks still running when :meth:`shutdown` is called are dropped, so a
    closing window never receives a result.
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._live: set[_Signals] = set()
        self._closed = False

    @property
    def busy(self) -> bool:
        """True while a task is queued or running."""
        return bool(self._live)

    def submit(
        self,
        fn: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        *,
        name: str = "task",
    ) -> None:
        """Run ``fn()`` in the pool; ``done(result)`` or ``failed(exc)`` on the GUI thread.

        Parameters
        ----------
        fn : callable
            Work function on plain data; must not touch widgets or the gallery.
        done, failed : callable
            Called on the GUI thread with the result or the exception.
        name : str
            For the log.
        """
        if self._closed:
            return
        signals = _Signals()
        self._live.add(signals)

        def finish(callback: Callable[[Any], None], value: Any) -> None:
            self._live.discard(signals)
            if not self._live:
                self.busy_changed.emit(False)
            if not self._closed:
                callback(value)

        signals.done.connect(lambda box: finish(done, box[0]))
        signals.failed.connect(lambda box: finish(failed, box[0]))
        if len(self._live) == 1:
            self.busy_changed.emit(True)
        log.debug("start task %s", name)
        self.pool.start(_Task(fn, signals, name))

    def shutdown(self, timeout_ms: int = 10_000) -> None:
        """Drop pending callbacks and wait for running tasks to end."""
        self._closed = True
        self.pool.clear()
        self.pool.waitForDone(timeout_ms)
