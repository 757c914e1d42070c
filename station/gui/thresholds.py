"""The threshold explorer: the gallery's genuine and impostor scores, and a HIT threshold to move.

For the instructor's theory part. The scores (:mod:`station.service.thresholds`) are computed
on a worker (:class:`~station.gui.workers.TaskRunner`) with a progress line; then a slider
moves a HIT threshold over them and the labels give the exact false matches (impostor scores
at or above it) and misses (genuine scores below it). Two matplotlib plots, embedded in Qt:
the histograms of both kinds of score, and the DET curve (false match rate against miss rate
over every threshold); both mark the slider's threshold and the policy's HIT and REVIEW
thresholds. The widget takes a plain :class:`~station.service.thresholds.ThresholdService`, so
any window can embed it; :class:`ThresholdExplorerDialog` is it in a dialog of its own.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import shiboken6
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from station.service.thresholds import ScoreDistributions, ThresholdService

from .widgets import plain
from .workers import Task, TaskRunner


class _Canvas(FigureCanvasQTAgg):
    """matplotlib's canvas, safe to delete with a redraw still queued.

    ``draw_idle`` (matplotlib's, on resizes and slider moves) queues a zero-time timer. A
    closed explorer can be collected (Python's cycle collector, run by the allocations of the
    drawing itself) between that timer's validity check and its ``update()``, which then
    raised "Internal C++ object (FigureCanvasQTAgg) already deleted" from a Qt callback. A
    draw on a canvas that is gone now does nothing; any other error still propagates.
    """

    def draw(self) -> None:
        try:
            super().draw()
        except RuntimeError:
            if shiboken6.isValid(self):
                raise


__all__ = ["SLIDER_STEPS", "ThresholdExplorer", "ThresholdExplorerDialog"]

log = logging.getLogger(__name__)

#: Slider positions per unit of fused score (a step of 0.01).
SLIDER_STEPS = 100

_GENUINE, _IMPOSTOR = "#2e7d32", "#c62828"
_HIT, _REVIEW, _CURRENT = "#0d47a1", "#ef6c00", "#10161d"


class ThresholdExplorer(QWidget):
    """Move a HIT threshold over the gallery's score distributions.

    Parameters
    ----------
    service : ThresholdService
        The gallery file and policy to score (read on a worker, on its own connection).
    parent : QWidget, optional
    tasks : TaskRunner, optional
        The runner for the scoring (default: one of its own).

    Signals
    -------
    scores_ready()
        The scores are computed and shown.
    counts_changed(int, int)
        False matches and misses at the threshold now chosen.

    Notes
    -----
    Automation ids: ``thresholdExplorer``, ``thresholdProgressLabel`` (the progress line),
    ``thresholdComputeButton`` (score again), ``thresholdSlider`` (hundredths of a fused
    score), ``thresholdValueLabel``, ``falseMatchLabel``, ``missLabel``, ``thresholdCanvas``
    (the matplotlib canvas).
    """

    scores_ready = Signal()
    counts_changed = Signal(int, int)

    def __init__(
        self,
        service: ThresholdService,
        parent: QWidget | None = None,
        *,
        tasks: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        if not isinstance(service, ThresholdService):
            raise ValueError(f"service must be a ThresholdService, got {type(service).__name__}")
        self.setObjectName("thresholdExplorer")
        self._service = service
        self._tasks = tasks if tasks is not None else TaskRunner(self)
        self._task: Task | None = None
        self.distributions: ScoreDistributions | None = None

        self.progress_label = plain(QLabel("Scores not computed yet"))
        self.progress_label.setObjectName("thresholdProgressLabel")
        self.compute_button = QPushButton("&Compute scores")
        self.compute_button.setObjectName("thresholdComputeButton")
        self.compute_button.clicked.connect(self.compute)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("thresholdSlider")
        self.slider.setEnabled(False)
        self.slider.valueChanged.connect(self._threshold_moved)
        self.value_label = plain(QLabel("HIT threshold: —"))
        self.value_label.setObjectName("thresholdValueLabel")
        self.false_match_label = plain(QLabel("False matches: —"))
        self.false_match_label.setObjectName("falseMatchLabel")
        self.false_match_label.setStyleSheet(f"color: {_IMPOSTOR}; font-weight: bold;")
        self.miss_label = plain(QLabel("Misses: —"))
        self.miss_label.setObjectName("missLabel")
        self.miss_label.setStyleSheet(f"color: {_GENUINE}; font-weight: bold;")
        self.figure = Figure(figsize=(9, 4), layout="constrained")
        self.canvas = _Canvas(self.figure)
        self.canvas.setObjectName("thresholdCanvas")
        self.canvas.setMinimumSize(480, 260)
        self._hist, self._det = self.figure.subplots(1, 2)
        self._markers: list = []

        top = QHBoxLayout()
        top.addWidget(self.progress_label, 1)
        top.addWidget(self.compute_button)
        counts = QHBoxLayout()
        counts.addWidget(self.value_label)
        counts.addWidget(self.false_match_label)
        counts.addWidget(self.miss_label)
        counts.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.slider)
        layout.addLayout(counts)

    # --- scoring ----------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """True while the scores are being computed."""
        return self._task is not None and self._task.running

    def compute(self) -> None:
        """Score the gallery on a worker (the progress line follows it)."""
        if self.busy:
            return
        service = self._service
        self.compute_button.setEnabled(False)
        self.progress_label.setText("Scoring the gallery: making fresh impressions …")

        def work(token):
            return service.distributions(
                progress=lambda done, total: token.progress((done, total)), cancelled=token
            )

        self._task = self._tasks.submit(
            work, self._scored, self._failed, progress=self._progress, name="threshold scores"
        )

    def _progress(self, value: tuple[int, int]) -> None:
        done, total = value
        self.progress_label.setText(f"Scoring the gallery: subject {done} of {total} …")

    def _failed(self, exc: BaseException) -> None:
        self.compute_button.setEnabled(True)
        self.progress_label.setText(f"The scores could not be computed: {exc}")

    def _scored(self, distributions: ScoreDistributions) -> None:
        self.distributions = d = distributions
        self.compute_button.setEnabled(True)
        self.progress_label.setText(
            f"{d.genuine.size} genuine and {d.impostor.size} impostor fused scores "
            f"({len(d.probes)} subjects' fresh impressions, {len(d.fingers)} fingers) · "
            f"policy HIT {d.hit:g}, REVIEW {d.review:g}"
        )
        top = max(d.highest, d.hit) * 1.05 + 0.01
        self.slider.blockSignals(True)
        self.slider.setRange(0, math.ceil(top * SLIDER_STEPS))
        self.slider.setValue(round(d.hit * SLIDER_STEPS))
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        self._draw_distributions()
        self._threshold_moved(self.slider.value())
        self.scores_ready.emit()

    # --- the threshold ----------------------------------------------------------------------

    @property
    def threshold(self) -> float:
        """The HIT threshold the slider shows."""
        return self.slider.value() / SLIDER_STEPS

    def _threshold_moved(self, value: int) -> None:
        d = self.distributions
        if d is None:
            return
        t = value / SLIDER_STEPS
        c = d.counts(t)
        self.value_label.setText(f"HIT threshold: {t:.2f}")
        self.false_match_label.setText(
            f"False matches: {c.false_matches} of {c.impostor} impostor scores ≥ {t:.2f} "
            f"({100 * c.false_match_rate:.1f} %)"
        )
        self.miss_label.setText(
            f"Misses: {c.misses} of {c.genuine} genuine scores < {t:.2f} "
            f"({100 * c.miss_rate:.1f} %)"
        )
        self._draw_threshold(t, c.false_match_rate, c.miss_rate)
        self.counts_changed.emit(c.false_matches, c.misses)

    # --- plots ------------------------------------------------------------------------------

    def _draw_distributions(self) -> None:
        d = self.distributions
        assert d is not None
        hist, det = self._hist, self._det
        hist.clear()
        det.clear()
        top = max(d.highest, d.hit) * 1.05 + 0.01
        bins = np.linspace(0.0, top, 41)
        hist.hist(d.impostor, bins=bins, color=_IMPOSTOR, alpha=0.6, label="impostor", log=True)
        hist.hist(d.genuine, bins=bins, color=_GENUINE, alpha=0.6, label="genuine", log=True)
        hist.axvline(d.hit, color=_HIT, linestyle="--", label=f"policy HIT {d.hit:g}")
        hist.axvline(d.review, color=_REVIEW, linestyle=":", label=f"policy REVIEW {d.review:g}")
        hist.set_xlabel("fused score")
        hist.set_ylabel("comparisons (log scale)")
        hist.set_title("Score distributions")
        hist.legend(fontsize="small")
        _, fmr, fnmr = d.det()
        det.step(100 * fmr, 100 * fnmr, where="post", color=_CURRENT)
        for value, colour, name in ((d.hit, _HIT, "HIT"), (d.review, _REVIEW, "REVIEW")):
            c = d.counts(value)
            det.plot(
                100 * c.false_match_rate,
                100 * c.miss_rate,
                "s",
                color=colour,
                markersize=7,
                label=f"policy {name} {value:g}",
            )
        # symlog: linear below 1 %, logarithmic above, so 0 % (none) stays on the plot
        det.set_xscale("symlog", linthresh=1.0)
        det.set_yscale("symlog", linthresh=1.0)
        det.set_xlim(-0.4, 100)  # a little below 0 % so a point on an axis shows whole
        det.set_ylim(-0.4, 100)
        det.set_xlabel("false match rate (%)")
        det.set_ylabel("miss rate (%)")
        det.grid(True, which="major", alpha=0.3)
        det.set_title("DET curve")
        det.legend(fontsize="small", loc="upper right")
        self._markers = []

    def _draw_threshold(self, t: float, fmr: float, fnmr: float) -> None:
        for artist in self._markers:
            artist.remove()
        self._markers = [
            self._hist.axvline(t, color=_CURRENT, linewidth=2),
            *self._det.plot(
                100 * fmr,
                100 * fnmr,
                "o",
                markerfacecolor="none",
                markeredgecolor=_CURRENT,
                markeredgewidth=2,
                markersize=13,
                label="slider",
            ),
        ]
        self.canvas.draw_idle()

    def shutdown(self) -> None:
        """Stop the scoring if it runs (the widget is closing)."""
        if self._task is not None:
            self._task.cancel()


class ThresholdExplorerDialog(QDialog):
    """The threshold explorer in a window of its own; starts scoring when opened.

    Notes
    -----
    Automation ids: ``thresholdExplorerDialog``, ``thresholdCloseButton`` and the explorer's.
    """

    def __init__(
        self,
        service: ThresholdService,
        parent: QWidget | None = None,
        *,
        tasks: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("thresholdExplorerDialog")
        self.setWindowTitle("Threshold explorer")
        self.explorer = ThresholdExplorer(service, self, tasks=tasks)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setObjectName("thresholdCloseButton")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.explorer, 1)
        layout.addWidget(buttons)
        self.finished.connect(lambda _code: self.explorer.shutdown())
        self.resize(1100, 640)
        self.explorer.compute()
