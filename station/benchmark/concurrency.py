"""``station bench --only concurrency``: two stations booking into one gallery at the same time.

Each station is its own process with its own connection and
:class:`~station.service.BookingService` (station ids ``BS-A``, ``BS-B`` …). They start
together and book synthetic subjects — fresh rolled impressions rendered and extracted once
beforehand, so the stations spend their time in the gallery: open, ten captures, search,
response — for the given time. Counted per station: bookings completed, TCN collisions
("TCN exists"), errors because the gallery stayed locked ("locked by another process") and
any other error; at the end the gallery's tamper-evident chain is verified and its integrity
checked.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..core import synth
from ..core.synth.population import demographics
from ..core.vocabulary import FINGERS
from ..gallery import GalleryError, open_gallery
from ..scanner.base import Capture, utc_now
from ..service import BookingService, load_index
from ..service.booking import ProcessedCapture, process_capture

__all__ = ["ConcurrencyResult", "StationRun", "concurrency_bench", "prepare_probes"]

log = logging.getLogger(__name__)

#: Impression number of the probes' captures (never enrolled: seeding uses impression 0).
PROBE_IMPRESSION = 1000
#: Seconds the stations may take to start (import, open, load the index) before giving up.
_START_TIMEOUT = 300.0

#: One subject to book: demographics and processed captures (none: open the booking only).
Probe = tuple[Mapping[str, Any], Sequence[ProcessedCapture]]


@dataclass(frozen=True)
class StationRun:
    """What one station did.

    Attributes
    ----------
    station_id : str
    bookings : int
        Bookings completed (opened, captured and answered; or only opened, for an
        open-only run).
    collisions : int
        Bookings refused because their TCN existed.
    busy : int
        Steps refused because the gallery stayed locked by the other station.
    errors : int
        Any other error.
    seconds : float
        Time spent booking.
    dispositions : dict of str to int
        Responses by disposition.
    messages : tuple of str
        The first few error messages.
    """

    station_id: str
    bookings: int
    collisions: int
    busy: int
    errors: int
    seconds: float
    dispositions: dict[str, int] = field(default_factory=dict)
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConcurrencyResult:
    """The stations' figures and the gallery's state afterwards.

    Attributes
    ----------
    stations : tuple of StationRun
    stored : int
        Bookings of these stations found in the gallery afterwards.
    distinct_tcns : int
        Distinct TCNs among them.
    verify_ok : bool
        ``gallery verify`` said ok.
    problems : tuple of str
        What ``gallery verify`` and a quick ``gallery check`` found (``()`` when healthy).
    """

    stations: tuple[StationRun, ...]
    stored: int
    distinct_tcns: int
    verify_ok: bool
    problems: tuple[str, ...] = ()

    @property
    def bookings(self) -> int:
        """Bookings completed by all stations."""
        return sum(s.bookings for s in self.stations)

    @property
    def collisions(self) -> int:
        """TCN collisions of all stations."""
        return sum(s.collisions for s in self.stations)

    @property
    def busy(self) -> int:
        """Busy/locked errors of all stations."""
        return sum(s.busy for s in self.stations)

    @property
    def errors(self) -> int:
        """Other errors of all stations."""
        return sum(s.errors for s in self.stations)

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-able data."""
        return {
            "stations": [asdict(s) for s in self.stations],
            "bookings": self.bookings,
            "collisions": self.collisions,
            "busy": self.busy,
            "errors": self.errors,
            "stored": self.stored,
            "distinct_tcns": self.distinct_tcns,
            "verify_ok": self.verify_ok,
            "problems": list(self.problems),
        }


def prepare_probes(subjects: Sequence[int], *, population: int = 0) -> list[Probe]:
    """Render and extract fresh rolled impressions of ``subjects`` (once, before the run).

    Parameters
    ----------
    subjects : sequence of int
        Synthetic subject numbers.
    population : int

    Returns
    -------
    probes : list of (demographics, processed captures)
    """
    probes: list[Probe] = []
    for k in subjects:
        processed = []
        for finger in FINGERS:
            image, _ = synth.impression(
                k, finger, PROBE_IMPRESSION, population=population, kind="rolled"
            )
            capture = Capture(image, finger, "rolled", "bench (synthetic)", utc_now())
            processed.append(process_capture(capture))
        probes.append((demographics(k, population=population).as_dict(), processed))
    return probes


def _book_one(service: BookingService, probe: Probe) -> str | None:
    """One booking of ``probe``; its disposition (``None`` for an open-only probe)."""
    data, processed = probe
    booking_id = service.open_booking(data)
    if not processed:
        return None
    for item in processed:
        service.add_capture(booking_id, item)
    return str(service.submit(booking_id).disposition)


def _station(
    path: str,
    station_id: str,
    probes: list[Probe],
    seconds: float | None,
    limit: int | None,
    barrier: Any,
    results: Any,
) -> None:
    """Worker process: book ``probes`` in turn until the time is up or ``limit`` is reached."""
    counts: Counter[str] = Counter()
    dispositions: Counter[str] = Counter()
    messages: list[str] = []
    elapsed = 0.0
    try:
        with open_gallery(path, create=False) as gallery:
            full = any(processed for _, processed in probes)
            service = BookingService(
                gallery,
                index=load_index(gallery) if full else None,
                station_id=station_id,
                operator=f"officer {station_id}",
            )
            barrier.wait(_START_TIMEOUT)
            start = time.monotonic()
            n = 0
            while (limit is None or n < limit) and (
                seconds is None or time.monotonic() - start < seconds
            ):
                try:
                    disposition = _book_one(service, probes[n % len(probes)])
                except GalleryError as exc:
                    text = str(exc)
                    kind = (
                        "collisions"
                        if "TCN" in text and "exists" in text
                        else "busy"
                        if "locked" in text
                        else "errors"
                    )
                    counts[kind] += 1
                    if len(messages) < 5:
                        messages.append(text)
                else:
                    counts["bookings"] += 1
                    if disposition is not None:
                        dispositions[disposition] += 1
                n += 1
            elapsed = time.monotonic() - start
    except Exception as exc:  # reported, not lost in the child's stderr
        barrier.abort()  # the other stations stop waiting for this one
        counts["errors"] += 1
        messages.append(f"{type(exc).__name__}: {exc}")
    results.put(
        StationRun(
            station_id=station_id,
            bookings=counts["bookings"],
            collisions=counts["collisions"],
            busy=counts["busy"],
            errors=counts["errors"],
            seconds=elapsed,
            dispositions=dict(dispositions),
            messages=tuple(messages),
        )
    )


def concurrency_bench(
    gallery: Path,
    probes: Sequence[Probe],
    *,
    seconds: float | None = None,
    limit: int | None = None,
    stations: int = 2,
) -> ConcurrencyResult:
    """Run ``stations`` processes booking ``probes`` into ``gallery`` at the same time.

    Parameters
    ----------
    gallery : pathlib.Path
        An existing gallery; the bookings are written into it.
    probes : sequence of (demographics, processed captures)
        What each station books, in turn (:func:`prepare_probes`); with no captures a
        booking is only opened.
    seconds : float, optional
        How long each station books.
    limit : int, optional
        Bookings each station makes (at least one of ``seconds`` and ``limit`` is needed).
    stations : int
        Processes (station ids ``BS-A``, ``BS-B`` …).

    Returns
    -------
    ConcurrencyResult

    Examples
    --------
    >>> probes = prepare_probes([0, 5000])  # doctest: +SKIP
    >>> result = concurrency_bench(Path("copy.sqlite"), probes, seconds=60)  # doctest: +SKIP
    >>> result.collisions, result.busy, result.verify_ok  # doctest: +SKIP
    (0, 0, True)
    """
    if seconds is None and limit is None:
        raise ValueError("give seconds or limit (or both)")
    if seconds is not None and not 0 < seconds <= 86_400:
        raise ValueError(f"seconds must be > 0 and at most a day, got {seconds!r}")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be an integer >= 1, got {limit!r}")
    if not 1 <= stations <= 26:
        raise ValueError(f"stations must be 1 to 26, got {stations!r}")
    if not probes:
        raise ValueError("give at least one probe")
    gallery = Path(gallery)
    if not gallery.exists():
        raise ValueError(f"no gallery at {gallery}")
    if any(processed for _, processed in probes):
        load_index(gallery)  # write the descriptor cache once, so the stations start fast
    ids = [f"BS-{chr(ord('A') + n)}" for n in range(stations)]
    context = mp.get_context("spawn")  # a clean interpreter each: no inherited connection
    barrier = context.Barrier(stations)
    results = context.Queue()
    workers = [
        context.Process(
            target=_station,
            args=(str(gallery), sid, list(probes), seconds, limit, barrier, results),
            name=f"station {sid}",
        )
        for sid in ids
    ]
    for worker in workers:
        worker.start()
    budget = _START_TIMEOUT + (seconds or 0) + 60 + (limit or 0) * 2
    runs = [results.get(timeout=budget) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    runs.sort(key=lambda run: run.station_id)
    with open_gallery(gallery, create=False, readonly=True) as g:
        mine = [b for b in g.bookings(limit=1 << 40) if b["station_id"] in ids]
        report = g.verify()
        problems = [report.problem.message] if report.problem is not None else []
    with open_gallery(gallery, create=False) as g:
        problems += [p for p in g.check(images=False) if not p.startswith("tamper evidence")]
    return ConcurrencyResult(
        stations=tuple(runs),
        stored=len(mine),
        distinct_tcns=len({b["tcn"] for b in mine}),
        verify_ok=report.ok,
        problems=tuple(problems),
    )
