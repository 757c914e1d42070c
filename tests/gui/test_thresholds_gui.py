"""The threshold explorer: scores computed on a worker, a slider, exact counts in the labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QSlider

from station.core.disposition import DispositionPolicy
from station.gallery import open_gallery
from station.gui.thresholds import ThresholdExplorer, ThresholdExplorerDialog
from station.service import AccountService
from station.service.thresholds import ThresholdService

from .conftest import ADMIN_PASSWORD, WAIT, open_window

#: Two fingers keep the scoring short (8 fresh prints); the counts are exact all the same.
_FINGERS = ("R1", "R2")


def _labels(explorer: ThresholdExplorer) -> tuple[str, str, str]:
    return tuple(
        explorer.findChild(QLabel, name).text()
        for name in ("thresholdValueLabel", "falseMatchLabel", "missLabel")
    )


def test_moving_the_slider_shows_the_exact_false_matches_and_misses(
    qtbot, seeded_gallery: Path
) -> None:
    policy = DispositionPolicy(hit=1.5, review=0.5)
    service = ThresholdService(seeded_gallery, policy, fingers=_FINGERS)
    expected = service.distributions()  # the same scores, computed here on the test's thread
    explorer = ThresholdExplorer(service)
    qtbot.addWidget(explorer)
    explorer.resize(1100, 600)
    explorer.show()
    progress: list[str] = []
    with qtbot.waitSignal(explorer.scores_ready, timeout=WAIT * 2):
        explorer.compute()
        progress.append(explorer.findChild(QLabel, "thresholdProgressLabel").text())
    assert progress == ["Scoring the gallery: making fresh impressions …"]
    d = explorer.distributions
    assert np.array_equal(d.genuine, expected.genuine)
    assert np.array_equal(d.impostor, expected.impostor)
    assert (
        explorer.findChild(QLabel, "thresholdProgressLabel")
        .text()
        .startswith(
            "4 genuine and 12 impostor fused scores (4 subjects' fresh impressions, 2 fingers)"
        )
    )
    slider = explorer.findChild(QSlider, "thresholdSlider")
    assert slider.value() == 150  # starts at the policy's HIT threshold
    assert _labels(explorer)[0] == "HIT threshold: 1.50"

    def counts(t: float) -> tuple[int, int]:
        return int(np.sum(expected.impostor >= t)), int(np.sum(expected.genuine < t))

    slider.setFocus()
    with qtbot.waitSignal(explorer.counts_changed, timeout=WAIT) as home:
        qtbot.keyClick(slider, Qt.Key.Key_Home)
    assert home.args == [12, 0]
    assert _labels(explorer) == (
        "HIT threshold: 0.00",
        "False matches: 12 of 12 impostor scores ≥ 0.00 (100.0 %)",
        "Misses: 0 of 4 genuine scores < 0.00 (0.0 %)",
    )
    with qtbot.waitSignal(explorer.counts_changed, timeout=WAIT) as end:
        qtbot.keyClick(slider, Qt.Key.Key_End)
    assert end.args == [0, 4]
    top = slider.maximum() / 100
    assert _labels(explorer)[2] == f"Misses: 4 of 4 genuine scores < {top:.2f} (100.0 %)"
    # Between the scores: the slider position under the lowest genuine score.
    value = int(np.floor(expected.genuine.min() * 100))
    t = value / 100
    with qtbot.waitSignal(explorer.counts_changed, timeout=WAIT) as middle:
        slider.setValue(value)
    false_matches, misses = counts(t)
    assert middle.args == [false_matches, misses] and misses == 0
    assert _labels(explorer)[1].startswith(f"False matches: {false_matches} of 12 impostor")


def test_the_menu_opens_the_explorer_for_an_administrator_only(
    qtbot, gallery_path: Path, station_operator, settings
) -> None:
    officer_window = open_window(qtbot, gallery_path, station_operator)
    action = officer_window.findChild(QAction, "thresholdExplorerAction")
    assert not action.isVisible() and not action.isEnabled()  # kim: officer and examiner
    officer_window.close()

    with open_gallery(gallery_path) as gallery:
        admin = AccountService(gallery).authenticate("admin", ADMIN_PASSWORD)
    window = open_window(qtbot, gallery_path, admin)
    action = window.findChild(QAction, "thresholdExplorerAction")
    assert action.isVisible() and action.isEnabled()
    action.trigger()
    dialog = window.threshold_dialog
    assert isinstance(dialog, ThresholdExplorerDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT)
    label = dialog.findChild(QLabel, "thresholdProgressLabel")
    assert label.text().startswith("Scoring the gallery")
    assert dialog.explorer.busy
    dialog.close()  # cancels the scoring
    qtbot.waitUntil(lambda: not dialog.explorer.busy, timeout=WAIT)
    assert label.text().startswith("Scoring the gallery")  # nothing delivered after cancel
