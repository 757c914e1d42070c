"""Seeding a gallery from the synthetic population: who is enrolled, with which records.

Every synthetic subject ``k`` of a population has a fixed fate, the synthetic ground truth of
:func:`station.core.synth.holdings.holdings`: most are held by one or more repositories, some
by none: those exist in the population but never enter the gallery, so booking them gives
NO HIT. :func:`seed` enrols the first ``n`` subjects that have records, rendering
their ten rolled prints (impression 0; bookings use fresh impressions) and extracting them
with the station's own extractor, in parallel processes. Each subject is written in one
transaction, so an interrupted seed resumes cleanly: subjects already enrolled are skipped.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import astuple, dataclass
from pathlib import Path

from station.core import synth
from station.core.extract import extract
from station.core.synth.holdings import holdings
from station.core.synth.population import demographics
from station.core.template import Template
from station.core.vocabulary import FINGERS
from station.gallery import Gallery, open_gallery
from station.gallery.codecs import EncodedImage, encoded_image

from .accounts import Operator, Permission, authorize
from .memory import WORKER_TRIM, keep_freed_memory

__all__ = ["SeedCpu", "SeedReport", "enrol_synthetic", "in_gallery", "seed"]

log = logging.getLogger(__name__)

_DEVICE = "synthetic enrolment (station seed)"


def in_gallery(count: int, population: int = 0, *, start: int = 0) -> Iterator[int]:
    """The first ``count`` synthetic ids from ``start`` that have records (seeding order)."""
    k, found = start, 0
    while found < count:
        if holdings(k, population):
            found += 1
            yield k
        k += 1


#: Seconds between a worker's checks that the seeding process is still there.
_PARENT_POLL = 1.0


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit when the seeding process is gone.

    A ``kill -9`` of ``station seed`` gives its workers no chance to be told; they would
    sleep on, waiting for work, for ever. A daemon thread polls the parent process id
    (``os.getppid`` changes when the parent dies and the worker is re-parented) and ends
    the worker within about :data:`_PARENT_POLL` seconds. Portable: no ``prctl``.
    """

    def watch() -> None:
        while True:
            time.sleep(_PARENT_POLL)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_worker(parent: int) -> None:
    """Worker initializer: watch the parent (:func:`_watch_parent`), keep freed memory for
    reuse (:func:`.memory.keep_freed_memory`), then load the compiled kernels of the generator and
    the extractor from their cache by rendering, extracting and encoding one small print, so
    that each subject's CPU time is its own work (loading them costs a fraction of a second
    once per worker, like the imports)."""
    _watch_parent(parent)
    if not keep_freed_memory(WORKER_TRIM):
        log.debug("seeding worker: C library without mallopt; memory settings left as they are")
    image, _ = synth.impression(0, FINGERS[0], 0, kind="flat", size=(128, 128))
    extract(image)
    encoded_image(image)


@dataclass(frozen=True)
class SeedCpu:
    """CPU seconds of seeding by stage, summed over the subjects counted.

    Attributes
    ----------
    master : float
        The generator's master prints (one per finger).
    impression : float
        Rendering the rolled impression of each master.
    extraction : float
        The station's extractor on each print.
    encoding : float
        WSQ encoding of each print (in the workers).
    storing : float
        The writing process: rows, chain hashes and commits.
    """

    master: float = 0.0
    impression: float = 0.0
    extraction: float = 0.0
    encoding: float = 0.0
    storing: float = 0.0

    def __add__(self, other: SeedCpu) -> SeedCpu:
        return SeedCpu(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))

    @property
    def total(self) -> float:
        """All stages."""
        return float(sum(astuple(self)))


def _render_subject(
    args: tuple[int, int],
) -> tuple[int, list[tuple[str, EncodedImage, bytes]], SeedCpu]:
    """Worker: the ten rolled prints of a subject, rendered, extracted and encoded as the
    gallery stores them, and the CPU seconds each stage took.

    Encoding here (WSQ, the costliest step of storing) keeps it off the one writing process,
    and only the encoded bytes (about 30 KB a print, not 600 KB of pixels) travel back.
    """
    subject, population = args
    stages = [0.0, 0.0, 0.0, 0.0]
    prints = []
    for finger in FINGERS:
        start = time.process_time()
        synth.master_print(subject, finger, population=population)  # cached for the impression
        rendered = time.process_time()
        image, _ = synth.impression(
            subject, finger, 0, population=population, kind="rolled", truth=False
        )
        impressed = time.process_time()
        template = extract(image).to_bytes()
        extracted = time.process_time()
        encoded = encoded_image(image)
        done = time.process_time()
        for i, (a, b) in enumerate(
            [(start, rendered), (rendered, impressed), (impressed, extracted), (extracted, done)]
        ):
            stages[i] += b - a
        prints.append((finger, encoded, template))
    return subject, prints, SeedCpu(*stages)


def enrol_synthetic(
    gallery: Gallery, subject: int, population: int = 0, *, actor: str = "station seed"
) -> int:
    """Enrol one synthetic subject as :func:`seed` does, unless the gallery holds it already.

    Its ten rolled prints (impression 0) are rendered and extracted here, and written with
    its records (none for a subject the population holds nowhere) in one transaction.

    Parameters
    ----------
    gallery : Gallery
        Open for writing.
    subject, population : int
        The synthetic subject.
    actor : str
        Who the audit entry names.

    Returns
    -------
    subject_id : int
        Its gallery id.
    """
    existing = gallery.subject_by_synthetic(subject, population)
    if existing is not None:
        return int(existing)
    _, prints, _cpu = _render_subject((subject, population))
    _enrol(gallery, subject, population, prints, actor)
    enrolled = gallery.subject_by_synthetic(subject, population)
    assert enrolled is not None
    return int(enrolled)


@dataclass(frozen=True)
class SeedReport:
    """What a seed run did.

    ``cpu_seconds`` is the CPU time the subjects enrolled in this run cost: rendering,
    extraction and WSQ encoding in the workers plus storing in the seeding process (process
    start-up and waiting excluded), so ``cpu_seconds / enrolled`` is what one more subject
    costs; ``cpu`` splits it by stage.
    """

    requested: int
    already: int
    enrolled: int
    prints: int
    seconds: float
    cpu_seconds: float = 0.0
    cpu: SeedCpu = SeedCpu()

    @property
    def prints_per_second(self) -> float:
        return self.prints / self.seconds if self.seconds > 0 else 0.0


def _enrol(
    gallery: Gallery, subject: int, population: int, prints: list, actor: str = "station seed"
) -> None:
    with gallery.transaction():
        sid = gallery.add_subject(
            demographics(subject, population=population),
            synthetic_id=subject,
            population=population,
        )
        for h in holdings(subject, population):
            gallery.add_record(
                sid,
                h.repository,
                h.record_number,
                offence_level=h.offence_level,
                charge=h.charge,
                history=h.history(),
            )
        for finger, image, blob in prints:
            gallery.add_print(
                sid, finger, "rolled", image, template=Template.from_bytes(blob), device=_DEVICE
            )
        gallery.audit(
            "seed subject",
            actor=actor,
            subject_id=sid,
            detail={"synthetic_id": subject, "population": population},
        )


def seed(
    path: str | Path,
    subjects: int,
    *,
    population: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    operator: Operator | None = None,
) -> SeedReport:
    """Enrol the first ``subjects`` held synthetic subjects into the gallery at ``path``.

    Parameters
    ----------
    path : str or Path
        Gallery file (created if missing).
    subjects : int
        Subjects the gallery should hold from this population when done.
    population : int
        Population seed.
    workers : int, optional
        Render/extract processes (default: all cores).
    progress : callable, optional
        ``progress(done, total)`` in subjects, called as each subject is committed.
    cancelled : callable, optional
        Polled between subjects; returning True stops early (what is committed stays).
    operator : Operator, optional
        Who seeds; needed (an instructor or administrator) once the gallery has accounts,
        and named in the audit rows (else ``station seed``).

    Returns
    -------
    SeedReport
    """
    if isinstance(subjects, bool) or not isinstance(subjects, int) or subjects < 1:
        raise ValueError(f"subjects must be a whole number of at least 1, got {subjects!r}")
    start = time.perf_counter()
    wanted = list(in_gallery(subjects, population))
    with open_gallery(path, create=True) as gallery:
        authorize(gallery, operator, Permission.SEED)
        actor = "station seed" if operator is None else operator.username
        todo = [k for k in wanted if gallery.subject_by_synthetic(k, population) is None]
        already = len(wanted) - len(todo)
        done = already
        cpu = SeedCpu()
        if progress:
            progress(done, len(wanted))
        workers = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(
            max_workers=workers, initializer=_start_worker, initargs=(os.getpid(),)
        ) as pool:
            pending: set[Future] = set()
            queue = iter(todo)
            for k in queue:  # keep a few jobs per worker in flight, no more (memory)
                pending.add(pool.submit(_render_subject, (k, population)))
                if len(pending) >= 2 * workers:
                    break
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        subject, prints, worker_cpu = future.result()
                        writer_cpu = time.thread_time()
                        _enrol(gallery, subject, population, prints, actor)
                        storing = SeedCpu(storing=time.thread_time() - writer_cpu)
                        cpu = cpu + worker_cpu + storing
                        done += 1
                        if progress:
                            progress(done, len(wanted))
                    if cancelled is not None and cancelled():
                        break
                    for k in queue:
                        pending.add(pool.submit(_render_subject, (k, population)))
                        if len(pending) >= 2 * workers:
                            break
            finally:
                for future in pending:
                    future.cancel()
    seconds = time.perf_counter() - start
    enrolled = done - already
    return SeedReport(
        len(wanted), already, enrolled, enrolled * len(FINGERS), seconds, cpu.total, cpu
    )
