"""Extractor accuracy against ground truth, quality ranking and speed (``station extract --bench``).

Protocol (printed with the figures):

* accuracy: ``count`` flat 500×500 impressions of different synthetic fingers, their
  degradation spread evenly from 0 (clean) to 1 (badly degraded); a found minutia matches a
  true one within 12 px and 30°, one to one. "good" prints have degradation < 0.5.
* quality: 20 fingers, each rendered at six grades from 0 to 1; Spearman's rho between grade
  and quality score, per finger (median) and pooled (should be strongly negative).
* speed: median wall time of ``extract`` on the 500×500 prints, one core.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "ExtractionBench",
    "MinutiaCounts",
    "extraction_bench",
    "format_extraction",
    "speed_prints",
]

#: First synthetic subject of the accuracy prints, and of the quality-ranking fingers (far from
#: the subjects other commands touch).
_ACCURACY_BASE = 20_000
_QUALITY_BASE = 21_000
_QUALITY_FINGERS = 20
_QUALITY_GRADES = 6


#: Prints ``station bench`` times extraction on (the first of the accuracy prints).
_SPEED_PRINTS = 40


def _accuracy_print(n: int, count: int, population: int) -> tuple[np.ndarray, list]:
    """Accuracy print ``n`` of ``count``: flat 500×500, degradation ``n / (count - 1)``."""
    from ..core.synth import FINGERS, impression

    return impression(
        _ACCURACY_BASE + n,
        FINGERS[n % 10],
        0,
        population=population,
        kind="flat",
        size=(500, 500),
        degradation=n / (count - 1),
    )


def speed_prints(count: int = _SPEED_PRINTS, *, population: int = 0) -> list[np.ndarray]:
    """Flat 500×500 synthetic prints, degradation spread evenly from 0 to 1, for timing.

    The first ``count`` accuracy prints of a ``count``-print :func:`extraction_bench`.

    Examples
    --------
    >>> [image.shape for image in speed_prints(2)]
    [(500, 500), (500, 500)]
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise ValueError(f"count must be a whole number of at least 2, got {count!r}")
    return [_accuracy_print(n, count, population)[0] for n in range(count)]


@dataclass(frozen=True)
class MinutiaCounts:
    """Found minutiae against ground truth for a group of prints.

    Attributes
    ----------
    pairs : int
        Found minutiae matched one to one with a true one.
    truth : int
        True minutiae.
    found : int
        Minutiae the extractor reported.
    """

    pairs: int
    truth: int
    found: int

    @property
    def recall(self) -> float:
        """Share of the true minutiae found (0 when there are none)."""
        return self.pairs / max(self.truth, 1)

    @property
    def precision(self) -> float:
        """Share of the found minutiae that are true (0 when none were found)."""
        return self.pairs / max(self.found, 1)


@dataclass(frozen=True)
class ExtractionBench:
    """Figures of one extractor benchmark run.

    Attributes
    ----------
    count : int
        Accuracy prints.
    good, degraded : MinutiaCounts
        Prints with degradation below 0.5, and the rest.
    median_ms, p95_ms : float
        Extraction time per 500×500 print, one core.
    rho_median, rho_worst : float
        Spearman's rho between degradation grade and quality score per finger (a finger whose
        scores do not vary counts as 0).
    rho_pooled : float
        Spearman's rho over all fingers' grades and scores together.
    median_cpu_ms : float
        CPU time of the extracting thread per print, median: on a machine shared with other
        work the wall time stretches with the load, the CPU time much less.
    """

    count: int
    good: MinutiaCounts
    degraded: MinutiaCounts
    median_ms: float
    p95_ms: float
    rho_median: float
    rho_worst: float
    rho_pooled: float
    median_cpu_ms: float = 0.0


def extraction_bench(count: int = 200, *, population: int = 0) -> ExtractionBench:
    """Measure the extractor on synthetic prints with known minutiae.

    Parameters
    ----------
    count : int
        Accuracy prints (at least 2: the grades run from 0 to 1).
    population : int
        Population seed of the synthetic fingers.

    Returns
    -------
    ExtractionBench

    Examples
    --------
    >>> print(format_extraction(extraction_bench(10)))  # doctest: +SKIP
    """
    from ..core.extract import extract
    from ..core.extract.evaluate import match_minutiae
    from ..core.synth import FINGERS, impression

    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise ValueError(f"count must be a whole number of at least 2, got {count!r}")
    groups = {"good": [0, 0, 0], "degraded": [0, 0, 0]}  # pairs, truth, found
    times: list[float] = []
    cpu: list[float] = []
    for n in range(count):
        grade = n / (count - 1)
        image, truth = _accuracy_print(n, count, population)
        if n == 0:
            extract(image)  # untimed: loads the compiled kernels (numba) first
        start, start_cpu = time.perf_counter(), time.thread_time()
        template = extract(image)
        times.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
        group = groups["good" if grade < 0.5 else "degraded"]
        group[0] += match_minutiae([(m.x, m.y, m.angle) for m in truth], template.minutiae)
        group[1] += len(truth)
        group[2] += len(template)

    grades = np.linspace(0.0, 1.0, _QUALITY_GRADES)
    per_finger, pooled_g, pooled_q = [], [], []
    for f in range(_QUALITY_FINGERS):
        scores = []
        for g in grades:
            image, _ = impression(
                _QUALITY_BASE + f,
                FINGERS[f % 10],
                1,
                population=population,
                kind="flat",
                degradation=float(g),
            )
            scores.append(extract(image).quality)
        per_finger.append(stats.spearmanr(grades, scores).statistic)
        pooled_g.extend(grades)
        pooled_q.extend(scores)
    rho = np.nan_to_num(np.array(per_finger), nan=0.0)
    return ExtractionBench(
        count=count,
        good=MinutiaCounts(*groups["good"]),
        degraded=MinutiaCounts(*groups["degraded"]),
        median_ms=statistics.median(times) * 1e3,
        p95_ms=float(np.percentile(times, 95)) * 1e3,
        rho_median=float(np.median(rho)),
        rho_worst=float(rho.min()),
        rho_pooled=float(stats.spearmanr(pooled_g, pooled_q).statistic),
        median_cpu_ms=statistics.median(cpu) * 1e3,
    )


def format_extraction(bench: ExtractionBench) -> str:
    """The figures as the lines ``station extract --bench`` prints (no final newline).

    Examples
    --------
    >>> counts = MinutiaCounts(pairs=8, truth=10, found=16)
    >>> text = format_extraction(ExtractionBench(2, counts, counts, 1.0, 2.0, -1.0, -0.5, -0.9))
    >>> print(text.splitlines()[1])
      good      recall 0.800  precision 0.500  (8 pairs, 10 true, 16 found)
    """
    lines = [
        f"extractor against ground truth: {bench.count} flat 500x500 synthetic prints, "
        "match within 12 px and 30 deg"
    ]
    for name, group in (("good", bench.good), ("degraded", bench.degraded)):
        lines.append(
            f"  {name:9s} recall {group.recall:.3f}  precision {group.precision:.3f}  "
            f"({group.pairs} pairs, {group.truth} true, {group.found} found)"
        )
    lines.append(
        f"  median extraction time {bench.median_ms:.1f} ms (p95 {bench.p95_ms:.1f} ms), "
        f"{bench.median_cpu_ms:.1f} ms CPU, one core"
    )
    lines.append(
        f"quality score against degradation grade ({_QUALITY_FINGERS} fingers x "
        f"{_QUALITY_GRADES} grades):"
    )
    lines.append(
        f"  Spearman rho per finger: median {bench.rho_median:.2f}, worst {bench.rho_worst:.2f}; "
        f"pooled {bench.rho_pooled:.2f} (negative: score falls as prints degrade)"
    )
    return "\n".join(lines)
