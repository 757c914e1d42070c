"""``kill -9`` at random moments of booking: every booking is complete or resumable.

A driver process (``python -m station.benchmark.crash GALLERY FIRST POPULATION``) books
synthetic subjects one after another (rolled prints, submit, enrol on HIT or NO HIT), as
``station book`` does; :func:`crash_trials` starts it, lets it run for a random time after its
search index is loaded and kills it with ``SIGKILL``, again and again. After each kill it
opens the gallery (the quick integrity check runs at that open), lists the bookings the kill
left unfinished (:meth:`BookingService.stale`), checks each holds all its captures (the
captures are stored in one transaction with the booking), and resumes each one to a
response. At the end every booking must be complete, ``PRAGMA integrity_check`` ok and the
tamper-evident chain verified.

Examples
--------
>>> from station.benchmark.crash import crash_trials  # doctest: +SKIP
>>> crash_trials(Path("db/gallery.sqlite"), kills=30, workdir=Path("/tmp/c")).as_dict()
{'kills': 30, 'bookings': 41, 'unfinished_at_kill': 9, 'resumed': 9, ...}
"""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from station.core.vocabulary import FINGERS, BookingStatus, Disposition, Impression

__all__ = ["COMPLETE", "CrashReport", "crash_trials", "drive"]

log = logging.getLogger(__name__)

#: Statuses of a finished booking (nothing left to resume).
COMPLETE = (
    BookingStatus.RESPONDED,
    BookingStatus.DECIDED,
    BookingStatus.ENROLLED,
    BookingStatus.ERROR,
    BookingStatus.CANCELLED,
)


def drive(path: Path, first: int, population: int = 0) -> None:
    """The killed process: book subjects ``first``, ``first + 1`` … for ever (and enrol them).

    Prints ``ready`` once the search index is loaded, then ``booked K`` after each booking.
    """
    from station.gallery import open_gallery
    from station.service import BookingService, load_index
    from station.service.drive import book_synthetic

    with open_gallery(path, create=False) as gallery:
        service = BookingService(gallery, index=load_index(gallery), station_id="CRASH")
        print("ready", flush=True)
        k = first
        while True:
            report = book_synthetic(service, k, population=population, slaps=False, device_seed=k)
            if report.disposition in (Disposition.HIT, Disposition.NO_HIT):
                service.enrol(report.booking_id)
            print(f"booked {k}", flush=True)
            k += 1


@dataclass(frozen=True)
class CrashReport:
    """What the kills left and what resuming made of it.

    Attributes
    ----------
    kills : int
    bookings : int
        Bookings in the gallery at the end (each one opened by the driver).
    unfinished_at_kill : int
        Bookings a kill left open or submitted (all listed as stale and resumed).
    partial : int
        Unfinished bookings missing some of their captures: must be 0.
    resumed : dict of str to int
        Disposition of the response each resume stored.
    final_statuses : dict of str to int
    integrity_ok : bool
        ``Gallery.check`` found nothing at the end (``PRAGMA integrity_check``, foreign
        keys, templates, images, chain).
    verify_ok : bool
        ``Gallery.verify``: the tamper-evident chain is intact.
    seconds : float
    """

    kills: int
    bookings: int
    unfinished_at_kill: int
    partial: int
    resumed: dict[str, int] = field(default_factory=dict)
    final_statuses: dict[str, int] = field(default_factory=dict)
    integrity_ok: bool = False
    verify_ok: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every booking complete, none partial, the file sound and verified."""
        unfinished = sum(n for s, n in self.final_statuses.items() if s not in COMPLETE)
        return self.partial == 0 and unfinished == 0 and self.integrity_ok and self.verify_ok

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _start(path: Path, first: int, population: int) -> subprocess.Popen:
    root = str(Path(__file__).resolve().parents[2])
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))
    )
    return subprocess.Popen(
        [sys.executable, "-m", "station.benchmark.crash", str(path), str(first), str(population)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        start_new_session=True,
    )


def _kill_once(path: Path, first: int, population: int, delay: float) -> None:
    """Start the driver, wait until it is ready, let it run ``delay`` s, kill -9 it."""
    child = _start(path, first, population)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"the booking driver did not start (exit {child.wait()})")
        time.sleep(delay)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=60)
        if child.stdout is not None:
            child.stdout.close()


def crash_trials(
    gallery: Path,
    *,
    kills: int = 30,
    workdir: Path,
    seed: int = 0,
    window: float = 4.0,
    population: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> CrashReport:
    """Kill a booking driver ``kills`` times at random moments, resume what it left.

    Parameters
    ----------
    gallery : Path
        A seeded gallery; a copy in ``workdir`` is used, the original is not touched.
    kills : int
    workdir : Path
        An empty or new folder for the copy.
    seed : int
        Seed of the random kill moments (uniform over ``window`` seconds after the driver's
        index is loaded) and of the subjects booked.
    window : float
        Seconds: about two bookings' time, so kills land anywhere in a booking.
    population : int
    progress : callable, optional
        ``progress(done, kills)``.

    Returns
    -------
    CrashReport
    """
    from station.gallery import open_gallery
    from station.service import BookingService, load_index

    if isinstance(kills, bool) or not isinstance(kills, int) or kills < 1:
        raise ValueError(f"kills must be a whole number >= 1, got {kills!r}")
    if not window > 0:
        raise ValueError(f"window must be a positive number of seconds, got {window!r}")
    start = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "crash.sqlite"
    with open_gallery(gallery, readonly=True) as source:
        source.copy_to(path)
    rng = random.Random(seed)
    unfinished = partial = 0
    resumed: Counter[str] = Counter()
    for n in range(kills):
        _kill_once(path, rng.randrange(0, 400), population, rng.uniform(0.0, window))
        with open_gallery(path, create=False) as g:
            service = BookingService(g, index=load_index(g), station_id="CRASH")
            for stale in service.stale(older_than=0):
                unfinished += 1
                rolled = [
                    p
                    for p in g.booking_prints(stale.booking_id)
                    if p["impression"] == Impression.ROLLED
                ]
                if len(rolled) != len(FINGERS):
                    partial += 1
                    log.warning("booking %s has %d of 10 rolled prints", stale.tcn, len(rolled))
                result = service.resume(stale.booking_id, submit=True)
                assert result.response is not None
                resumed[str(result.response.disposition)] += 1
        if progress is not None:
            progress(n + 1, kills)
    with open_gallery(path, create=False) as g:
        problems = g.check(images=True)  # PRAGMA integrity_check, rows, images, chain
        verified = g.verify().problem is None
        stats = g.stats()
    statuses = {str(s): int(c) for s, c in stats["bookings"].items() if c}
    return CrashReport(
        kills=kills,
        bookings=sum(statuses.values()),
        unfinished_at_kill=unfinished,
        partial=partial,
        resumed=dict(resumed),
        final_statuses=statuses,
        integrity_ok=not problems,
        verify_ok=verified,
        seconds=time.perf_counter() - start,
    )


if __name__ == "__main__":  # the driver process
    drive(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
