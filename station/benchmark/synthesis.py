"""Speed of the fingerprint generator (``station synth --bench``).

Protocol: ``count`` different fingers (subjects from 10 000 on, far from the ones other
commands touch, so nothing is cached), each rendered as a 512×512 flat impression twice on one
core: impression 0 cold (the master print is made first), impression 1 warm (the master print
is known). Reports the median time of each and the spread of minutiae per master print.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

__all__ = ["SynthesisBench", "format_synthesis", "synthesis_bench"]

_BASE = 10_000


@dataclass(frozen=True)
class SynthesisBench:
    """Figures of one generator benchmark run.

    Attributes
    ----------
    count : int
        Fingers rendered.
    cold_ms : float
        Median time of a new finger's first impression (master print and impression).
    warm_ms : float
        Median time of a further impression of a known finger.
    minutiae_median : float
        Median minutiae per master print.
    minutiae_min, minutiae_max : int
        Fewest and most minutiae of a master print.
    """

    count: int
    cold_ms: float
    warm_ms: float
    minutiae_median: float
    minutiae_min: int
    minutiae_max: int


def synthesis_bench(count: int = 40, *, population: int = 0) -> SynthesisBench:
    """Time the generator on ``count`` new fingers.

    Parameters
    ----------
    count : int
        Fingers to render (at least 1).
    population : int
        Population seed.

    Returns
    -------
    SynthesisBench

    Examples
    --------
    >>> print(format_synthesis(synthesis_bench(4)))  # doctest: +SKIP
    """
    from ..core import synth
    from ..core.synth.master import master_print

    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a whole number of at least 1, got {count!r}")
    fingers = synth.FINGERS
    cold, warm, minutiae = [], [], []
    for n in range(count):
        subject, finger = _BASE + n, fingers[n % len(fingers)]
        start = time.perf_counter()
        synth.impression(subject, finger, 0, population=population, kind="flat")
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        synth.impression(subject, finger, 1, population=population, kind="flat")
        warm.append(time.perf_counter() - start)
        minutiae.append(len(master_print(subject, finger, population=population).minutiae))
    return SynthesisBench(
        count=count,
        cold_ms=statistics.median(cold) * 1e3,
        warm_ms=statistics.median(warm) * 1e3,
        minutiae_median=float(statistics.median(minutiae)),
        minutiae_min=min(minutiae),
        minutiae_max=max(minutiae),
    )


def format_synthesis(bench: SynthesisBench) -> str:
    """The figures as the lines ``station synth --bench`` prints (no final newline).

    Examples
    --------
    >>> print(format_synthesis(SynthesisBench(3, 250.04, 37.5, 69.0, 49, 83)))
    synthetic impressions, 512x512 flat, 3 fingers, one core
      median, new finger (master + impression):   250.0 ms
      median, known finger (impression only):      37.5 ms
      minutiae per master: median 69, range 49-83
    """
    return "\n".join(
        [
            f"synthetic impressions, 512x512 flat, {bench.count} fingers, one core",
            f"  median, new finger (master + impression): {bench.cold_ms:7.1f} ms",
            f"  median, known finger (impression only):   {bench.warm_ms:7.1f} ms",
            f"  minutiae per master: median {bench.minutiae_median:.0f}, "
            f"range {bench.minutiae_min}-{bench.minutiae_max}",
        ]
    )
