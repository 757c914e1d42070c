"""Waiting for the station window without sleeping: the Qt event loop runs while a condition
is polled, and a signal can end the wait at once.

The page objects (:mod:`station.testing.pages`) wait through a :class:`Waiter`. The kit's
:class:`EventLoopWaiter` needs only a ``QApplication``; pytest-qt is not involved, so a demo
driver can use the same page objects and pace them with its own waiter (a subclass that
captions each :meth:`~Waiter.step` and lets time pass before it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QEventLoop, QTimer

__all__ = ["EventLoopWaiter", "NotReadyError", "Waiter"]

#: Milliseconds the event loop runs between two checks of a condition.
_SLICE_MS = 15


class NotReadyError(AssertionError):
    """The window did not reach the state a page object waited for.

    The message names the page and the widget (its objectName) and what was awaited, e.g.
    ``capture page: button 'captureButton' not enabled after 10 s``. An ``AssertionError``, so
    pytest reports it as a failed test, not an error in the kit.
    """


class Waiter(Protocol):
    """What the page objects need to wait (the kit's :class:`EventLoopWaiter`, or a demo's)."""

    def until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Run the event loop until ``condition()`` is true or ``timeout`` seconds passed;
        return whether it became true."""
        ...

    def step(self, text: str) -> None:
        """Called before each officer action with what is about to happen (a demo captions
        it and paces the booking; a test ignores it)."""
        ...


class EventLoopWaiter:
    """Waits by running the Qt event loop in short slices, never by sleeping.

    Parameters
    ----------
    log : callable, optional
        Receives each step's text (e.g. ``logging.info``); default: steps are ignored.

    Examples
    --------
    >>> waiter = EventLoopWaiter()  # doctest: +SKIP
    >>> waiter.until(lambda: window.index_ready, timeout=10.0)  # doctest: +SKIP
    True
    """

    def __init__(self, *, log: Callable[[str], object] | None = None) -> None:
        self._log = log

    def until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Run the event loop until ``condition()`` holds; ``False`` after ``timeout`` s."""
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0 seconds, got {timeout}")
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return bool(condition())
            loop = QEventLoop()
            QTimer.singleShot(max(1, min(_SLICE_MS, int(left * 1000))), loop.quit)
            loop.exec()
        return True

    def step(self, text: str) -> None:
        """Pass the step to the log callable, if any."""
        if self._log is not None:
            self._log(text)
