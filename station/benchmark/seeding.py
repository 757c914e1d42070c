"""Seeding speed (``station bench --only seeding``): a small ``station seed`` run, timed.

Protocol (printed with the figures): ``subjects`` held synthetic subjects seeded into a new
gallery in a temporary folder with the seeding workers ``station seed`` uses (all cores by
default). Wall time gives the rate on this machine as loaded at the time. The CPU time each
subject cost (rendering and extraction in a worker, storing in the seeding process; process
start-up excluded) gives what the same work needs on idle cores, from which the 1 000-subject
time on two idle cores is projected (labelled as a projection: it assumes the two cores are
kept busy, as they are once the workers run).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["SeedingFigures", "format_seeding", "seeding_bench"]


@dataclass(frozen=True)
class SeedingFigures:
    """Figures of one timed seeding run.

    Attributes
    ----------
    subjects : int
        Subjects seeded (ten rolled prints each).
    workers : int
        Render/extract processes.
    seconds : float
        Wall time of the seed call.
    cpu_seconds : float
        CPU time of the seeded subjects' work (``SeedReport.cpu_seconds``).
    total_cpu_seconds : float
        CPU time (user + system) of the seeding process and its workers over the whole run,
        process start-up (imports in every worker) included.
    load : float
        One-minute load average when the run ended (the machine's other work; NaN where the
        system keeps none).
    stages : dict of str to float
        ``cpu_seconds`` by stage (``SeedCpu``'s fields: master, impression, extraction,
        encoding, storing), in CPU milliseconds per print; empty if not measured.
    """

    subjects: int
    workers: int
    seconds: float
    cpu_seconds: float
    total_cpu_seconds: float
    load: float
    stages: dict[str, float] = field(default_factory=dict)

    @property
    def subjects_per_minute(self) -> float:
        """Seeding rate on this machine as loaded, subjects per minute."""
        return 60.0 * self.subjects / self.seconds if self.seconds > 0 else 0.0

    @property
    def cpu_seconds_per_subject(self) -> float:
        """CPU time one subject costs (all processes)."""
        return self.cpu_seconds / self.subjects

    def projected_minutes(self, subjects: int = 1000, cores: int = 2) -> float:
        """Minutes ``subjects`` would take on ``cores`` idle cores, from the CPU time."""
        return self.cpu_seconds_per_subject * subjects / cores / 60.0

    def to_json(self) -> dict:
        """The figures and the derived rates as a JSON-ready dict."""
        return {
            **asdict(self),
            "subjects_per_minute": self.subjects_per_minute,
            "cpu_seconds_per_subject": self.cpu_seconds_per_subject,
            "projected_minutes_1000_on_2_idle_cores": self.projected_minutes(),
        }


def _cpu_seconds() -> float:
    """CPU time so far of this process and of its finished, waited-for children (this
    process's alone where there is no ``resource`` module, as on Windows)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on the Linux machines the bench runs on
        return time.process_time()
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def seeding_bench(
    subjects: int = 10, *, workers: int | None = None, population: int = 0
) -> SeedingFigures:
    """Seed ``subjects`` subjects into a fresh temporary gallery and time it.

    Parameters
    ----------
    subjects : int
        Subjects to seed (at least 1).
    workers : int, optional
        Render/extract processes (default: all cores, as ``station seed``).
    population : int
        Population seed.

    Returns
    -------
    SeedingFigures

    Examples
    --------
    >>> print(format_seeding(seeding_bench(2)))  # doctest: +SKIP
    """
    from ..service.seed import seed

    if isinstance(subjects, bool) or not isinstance(subjects, int) or subjects < 1:
        raise ValueError(f"subjects must be a whole number of at least 1, got {subjects!r}")
    workers = workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="station-seed-bench-") as folder:
        total = _cpu_seconds()
        start = time.perf_counter()
        report = seed(Path(folder) / "gallery.sqlite", subjects, population=population,
                      workers=workers)  # fmt: skip
        seconds = time.perf_counter() - start
        total = _cpu_seconds() - total
    return SeedingFigures(
        subjects=report.enrolled,
        workers=workers,
        seconds=seconds,
        cpu_seconds=report.cpu_seconds,
        total_cpu_seconds=total,
        load=os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"),
        stages={
            name: 1000.0 * value / max(report.prints, 1)
            for name, value in asdict(report.cpu).items()
        },
    )


def format_seeding(figures: SeedingFigures) -> str:
    """The lines ``station bench --only seeding`` prints (no final newline).

    Examples
    --------
    >>> print(format_seeding(SeedingFigures(10, 2, 30.0, 50.0, 56.0, 1.0)))
    seeding — 10 subjects (100 rolled prints) into a new gallery, 2 workers
      20.0 subjects/min as measured (30.0 s, load average 1.0)
      5.00 CPU s per subject: 1 000 subjects on 2 idle cores projected at 41.7 min
    >>> stages = {"master": 30.0, "impression": 19.0, "extraction": 57.0, "encoding": 13.0,
    ...           "storing": 1.0}
    >>> figures = SeedingFigures(10, 2, 30.0, 12.0, 14.0, 1.0, stages)
    >>> print(format_seeding(figures))  # doctest: +ELLIPSIS
    seeding — ...
      CPU ms per print: master 30.0, impression 19.0, extraction 57.0, encoding 13.0, storing 1.0
    """
    return "\n".join(
        [
            f"seeding — {figures.subjects} subjects ({10 * figures.subjects} rolled prints) "
            f"into a new gallery, {figures.workers} workers",
            f"  {figures.subjects_per_minute:.1f} subjects/min as measured "
            f"({figures.seconds:.1f} s, load average {figures.load:.1f})",
            f"  {figures.cpu_seconds_per_subject:.2f} CPU s per subject: 1 000 subjects on 2 idle "
            f"cores projected at {figures.projected_minutes():.1f} min",
        ]
        + (
            [
                "  CPU ms per print: "
                + ", ".join(f"{name} {ms:.1f}" for name, ms in figures.stages.items())
            ]
            if figures.stages
            else []
        )
    )
