"""The one background-work mechanism (station.gui.workers): results, failures and progress come
back on the GUI thread; a cancelled task sees its token and delivers nothing.

Work functions here block on ``threading.Event`` gates the test opens; the test itself only
waits with qtbot.waitSignal/waitUntil.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from station.gui.workers import CancelToken, TaskRunner

WAIT = 10_000  # ms
GATE = 10.0  # s: the longest a work function waits for the test to open its gate


@pytest.fixture
def runner(qtbot) -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.shutdown()


def _gui_thread() -> QThread:
    return QApplication.instance().thread()


def test_the_result_is_delivered_on_the_gui_thread(qtbot, runner: TaskRunner) -> None:
    worked_on: list[QThread] = []
    delivered: list[tuple[object, QThread]] = []

    def work(token: CancelToken) -> int:
        worked_on.append(QThread.currentThread())
        return 6 * 7

    task = runner.submit(
        work,
        lambda result: delivered.append((result, QThread.currentThread())),
        lambda exc: pytest.fail(f"unexpected failure {exc!r}"),
        name="answer",
    )
    with qtbot.waitSignal(task.ended, timeout=WAIT):
        pass
    assert worked_on and worked_on[0] is not _gui_thread()
    assert delivered == [(42, _gui_thread())]
    assert not task.running and not task.cancelled


def test_a_none_result_is_delivered(qtbot, runner: TaskRunner) -> None:
    delivered: list[object] = []
    runner.submit(lambda token: None, delivered.append, lambda exc: None)
    qtbot.waitUntil(lambda: delivered == [None], timeout=WAIT)


def test_an_exception_becomes_a_failure_with_its_message(qtbot, runner: TaskRunner) -> None:
    failures: list[tuple[BaseException, QThread]] = []
    results: list[object] = []

    def work(token: CancelToken) -> None:
        raise ValueError("the gallery file is not a gallery")

    task = runner.submit(
        work,
        results.append,
        lambda exc: failures.append((exc, QThread.currentThread())),
        name="bad",
    )
    with qtbot.waitSignal(task.ended, timeout=WAIT):
        pass
    assert results == []
    assert len(failures) == 1
    exc, thread = failures[0]
    assert isinstance(exc, ValueError) and str(exc) == "the gallery file is not a gallery"
    assert thread is _gui_thread()


def test_progress_reaches_the_gui_thread_in_order_before_the_result(
    qtbot, runner: TaskRunner
) -> None:
    events: list[tuple[str, object, bool]] = []

    def work(token: CancelToken) -> str:
        for i in range(1, 4):
            token.progress((i, 3))
        return "built"

    def seen(kind: str):
        return lambda value: events.append((kind, value, QThread.currentThread() is _gui_thread()))

    task = runner.submit(work, seen("done"), seen("failed"), progress=seen("progress"))
    with qtbot.waitSignal(task.ended, timeout=WAIT):
        pass
    assert events == [
        ("progress", (1, 3), True),
        ("progress", (2, 3), True),
        ("progress", (3, 3), True),
        ("done", "built", True),
    ]


def test_cancelling_a_running_task_is_seen_by_the_work_and_delivers_nothing(
    qtbot, runner: TaskRunner
) -> None:
    started = threading.Event()
    saw_cancel: list[bool] = []
    delivered: list[object] = []

    def work(token: CancelToken) -> str:
        started.set()
        token.progress("started")
        stop = threading.Event()
        for _ in range(int(GATE / 0.005)):  # poll the token as a long job would
            if token.cancelled:
                break
            stop.wait(0.005)
        saw_cancel.append(token.cancelled)
        token.progress("after cancel")  # dropped
        return "finished anyway"

    task = runner.submit(
        work,
        lambda result: delivered.append(("done", result)),
        lambda exc: delivered.append(("failed", exc)),
        progress=lambda value: delivered.append(("progress", value)),
    )
    qtbot.waitUntil(lambda: ("progress", "started") in delivered, timeout=WAIT)
    assert task.running and started.is_set()
    with qtbot.waitSignal(task.ended, timeout=WAIT):
        task.cancel()
    assert saw_cancel == [True]
    assert task.cancelled and not task.running
    assert delivered == [("progress", "started")]  # no result, no later progress
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT)


def test_a_failure_after_cancel_is_not_delivered(qtbot, runner: TaskRunner) -> None:
    gate = threading.Event()
    delivered: list[object] = []

    def work(token: CancelToken) -> None:
        gate.wait(GATE)
        raise OSError("disk full")

    task = runner.submit(work, delivered.append, delivered.append)
    task.cancel()
    with qtbot.waitSignal(task.ended, timeout=WAIT):
        gate.set()
    assert delivered == []


def test_a_task_cancelled_in_the_queue_never_runs(qtbot) -> None:
    runner = TaskRunner(max_threads=1)
    gate = threading.Event()
    ran: list[str] = []
    delivered: list[object] = []

    def first(token: CancelToken) -> str:
        gate.wait(GATE)
        ran.append("first")
        return "first"

    def second(token: CancelToken) -> str:
        ran.append("second")
        return "second"

    one = runner.submit(first, delivered.append, delivered.append)
    two = runner.submit(second, delivered.append, delivered.append)
    two.cancel()
    with qtbot.waitSignal(two.ended, timeout=WAIT):
        gate.set()
    qtbot.waitUntil(lambda: not one.running, timeout=WAIT)
    assert ran == ["first"]
    assert delivered == ["first"]
    runner.shutdown()


def test_busy_follows_the_tasks_in_flight(qtbot, runner: TaskRunner) -> None:
    changes: list[bool] = []
    runner.busy_changed.connect(changes.append)
    gate = threading.Event()
    assert not runner.busy
    runner.submit(lambda token: gate.wait(GATE), lambda r: None, lambda e: None)
    runner.submit(lambda token: gate.wait(GATE), lambda r: None, lambda e: None)
    assert runner.busy and changes == [True]
    with qtbot.waitSignal(runner.busy_changed, timeout=WAIT) as blocker:
        gate.set()
    assert blocker.args == [False]
    assert changes == [True, False] and not runner.busy


def test_shutdown_cancels_running_work_and_refuses_new_work(qtbot) -> None:
    runner = TaskRunner()
    started = threading.Event()
    saw_cancel: list[bool] = []
    delivered: list[object] = []

    def work(token: CancelToken) -> str:
        started.set()
        stop = threading.Event()
        for _ in range(int(GATE / 0.005)):
            if token():
                break
            stop.wait(0.005)
        saw_cancel.append(token())
        return "late"

    runner.submit(work, delivered.append, delivered.append)
    qtbot.waitUntil(started.is_set, timeout=WAIT)
    runner.shutdown()  # waits for the work to see the flag and return
    assert saw_cancel == [True]
    ran: list[int] = []
    late = runner.submit(lambda token: ran.append(1), delivered.append, delivered.append)
    assert late.cancelled and not ran
    QApplication.processEvents()
    assert delivered == []


def test_cancel_token_flag_call_and_progress() -> None:
    reports: list[object] = []
    token = CancelToken(report=reports.append)
    assert (token.cancelled, token()) == (False, False)
    token.progress(1)
    token.cancel()
    token.progress(2)
    assert (token.cancelled, token()) == (True, True)
    assert reports == [1]
    CancelToken().progress("nobody listens")  # no reporter: nothing happens


@pytest.mark.parametrize("threads", [0, -1, 1.5, True])
def test_the_runner_needs_at_least_one_thread(qtbot, threads: object) -> None:
    with pytest.raises(ValueError, match="max_threads must be a whole number >= 1"):
        TaskRunner(max_threads=threads)


def test_ended_tasks_are_kept_up_to_a_bound_then_the_oldest_deleted(
    qtbot, runner: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import station.gui.workers as workers

    monkeypatch.setattr(workers, "RETIRED_KEPT", 2)
    destroyed: list[int] = []
    tasks = []
    for n in range(5):
        task = runner.submit(lambda _token, n=n: n, lambda _r: None, lambda _e: None)
        task.destroyed.connect(lambda _obj=None, n=n: destroyed.append(n))
        with qtbot.waitSignal(task.ended, timeout=5000):
            pass
        tasks.append(task)
    qtbot.waitUntil(lambda: sorted(destroyed) == [0, 1, 2], timeout=5000)
    assert not runner.busy


def test_an_ended_task_lets_go_of_what_its_callbacks_hold(qtbot, runner: TaskRunner) -> None:
    import gc
    import weakref

    class Probe:  # stands for a search job's templates captured by a done callback
        pass

    probe = Probe()
    held = weakref.ref(probe)
    results: list[tuple[int, Probe]] = []
    task = runner.submit(
        lambda _token: 42,
        lambda value, probe=probe: results.append((value, probe)),
        lambda _exc, probe=probe: None,
    )
    with qtbot.waitSignal(task.ended, timeout=WAIT):
        pass
    assert [value for value, _ in results] == [42]
    results.clear()
    del probe
    gc.collect()
    assert held() is None  # the runner still keeps the task (RETIRED_KEPT), not its callbacks
    assert task in runner.children()
