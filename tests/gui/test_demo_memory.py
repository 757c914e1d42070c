"""Demo mode does not accumulate: bookings played one after another in the same window leave
the same widgets, Qt objects and templates alive (issue 17: ``station demo --loop`` for 30
minutes without a leak).

Counted after each booking once the window's background work is idle and deferred deletions
are done, so the counts are exact, not memory figures that depend on the allocator.
"""

from __future__ import annotations

import gc
import weakref
from collections import Counter
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from station.core.template import Template
from station.core.vocabulary import Disposition
from station.gui.automation.demo import DemoPlayer, demo_gallery
from station.gui.workers import RETIRED_KEPT, Task
from station.testing import FAST_SCANNER, open_station_window
from station.training import load_library

LIBRARY = load_library()
#: Ended tasks the runner keeps by design (a bounded ring, tested in test_workers.py).
_RING = ("Task", "_Relay")


def _qobjects(root: QObject) -> Counter[str]:
    """Class names of ``root`` and every QObject below it, the runner's ended tasks left out."""
    found: Counter[str] = Counter()
    stack = [root]
    while stack:
        obj = stack.pop()
        name = type(obj).__name__
        if name in _RING:
            continue
        found[name] += 1
        stack.extend(obj.children())
    return found


def _live(qtbot, window) -> tuple[int, Counter[str], int]:
    """Widgets, the window's QObjects by class and its runner's ended tasks, when idle."""
    qtbot.waitUntil(lambda: not window.tasks.busy, timeout=30_000)
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    gc.collect()
    tasks = sum(1 for o in window.tasks.children() if isinstance(o, Task))
    return len(QApplication.allWidgets()), _qobjects(window), tasks


def test_bookings_played_in_a_row_leave_nothing_behind(qtbot, seeded_gallery: Path, tmp_path):
    scenario = LIBRARY["dry-skin"]  # a HIT: nothing is enrolled, the search gallery stays
    path = tmp_path / "demo.sqlite"
    operator, roles = demo_gallery(path, [scenario], source=seeded_gallery)
    window = open_station_window(path, operator, scanner=FAST_SCANNER)
    qtbot.addWidget(window)
    player = DemoPlayer(window, roles, pace=0.0)
    try:
        counts, probes = [], []
        for _ in range(4):
            assert player.play_one(scenario).disposition is Disposition.HIT
            counts.append(_live(qtbot, window))
            probes.append([weakref.ref(t) for t in window._job.probe.values()])
    finally:
        player.close()
        window.close()
    widgets, qobjects, tasks = zip(*counts[1:], strict=True)
    # booking 1 builds what the window builds once (pages' rows, caches); then nothing grows
    assert len(set(widgets)) == 1, widgets
    assert qobjects[0] == qobjects[1] == qobjects[2], [q - qobjects[0] for q in qobjects]
    # a booking's probe templates go with it (no ended task, page or list keeps them)
    gc.collect()
    assert all(isinstance(t(), Template) for t in probes[3])  # the booking on screen
    assert [sum(t() is not None for t in p) for p in probes] == [0, 0, 0, 10]
    assert tasks[0] < tasks[1] < tasks[2] <= RETIRED_KEPT  # the ring of ended tasks fills
