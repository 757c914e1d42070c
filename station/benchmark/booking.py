"""End-to-end booking trials and the start-up time of a large gallery.

``station bench --only booking``: books seeded subjects again with fresh impressions (mated
trials: the response must be HIT with the right subject) and subjects the gallery does not
hold (non-mated trials: the response must be NO HIT), through the same
:class:`~station.service.BookingService` the GUI and ``station book`` use — quality gate,
search, disposition, stored response. The trials run on a copy of the gallery, so the
gallery itself gets no trial bookings. Captures are the generator's fresh rolled impressions
(numbers 1000 + n, as the mock scanner's first capture of a slot) without its preview loop,
and without slaps (the sequence check does not change the disposition).

``station bench --only startup``: time for a fresh process to make a gallery searchable,
without and with the descriptor cache, on a 10 000-subject gallery built from the benchmark's
templates.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from ..core import synth
from ..core.synth.population import demographics
from ..core.vocabulary import FINGERS, Disposition
from ..scanner.base import Capture, utc_now

__all__ = ["booking_trials", "startup"]

log = logging.getLogger(__name__)

#: Bookings per worker job (each job opens the gallery copy and loads its index once).
_CHUNK = 25
#: Impression number of the trials' captures (never enrolled: seeding uses impression 0).
TRIAL_IMPRESSION = 1000


def _trial_chunk(args: tuple[str, list[int], int]) -> list[tuple[int, str, int | None, float]]:
    """Worker: book each subject; ``(subject, disposition, top synthetic id, top score)``."""
    from ..gallery import open_gallery
    from ..service import BookingService, load_index
    from ..service.drive import book_captures
    from ..settings import get_settings

    path, subjects, population = args
    settings = get_settings()
    out = []
    with open_gallery(path, create=False, timeout=60.0) as gallery:
        service = BookingService(
            gallery,
            index=load_index(gallery),  # the gallery's descriptor cache, copied with it
            policy=settings.disposition,
            station_id="BENCH",
        )
        for k in subjects:
            captures = []
            for finger in FINGERS:
                image, _ = synth.impression(
                    k, finger, TRIAL_IMPRESSION, population=population, kind="rolled"
                )
                captures.append(Capture(image, finger, "rolled", "bench (synthetic)", utc_now()))
            response = book_captures(
                service, demographics(k, population=population).as_dict(), captures
            ).response
            top = response.candidates[0] if response.candidates else None
            out.append(
                (
                    k,
                    response.disposition.value,
                    None if top is None else top.synthetic_id,
                    0.0 if top is None else float(top.score),
                )
            )
    return out


def booking_trials(
    gallery: Path,
    *,
    mated: int,
    nonmated: int,
    population: int,
    workers: int | None = None,
    progress=None,
) -> dict:
    """Book ``mated`` enrolled and ``nonmated`` unknown subjects; count the dispositions.

    Returns
    -------
    report : dict
        Counts per disposition for both kinds of trial, the right-HIT count, the fused
        score ranges, and the time per booking.
    """
    from ..gallery import open_gallery
    from ..service import cache_path, load_index

    if not gallery.exists():
        raise ValueError(f"no gallery at {gallery}: seed one first")
    with open_gallery(gallery, readonly=True) as g:
        enrolled = sorted(
            int(s["synthetic_id"])
            for s in g.subjects(limit=1 << 40)
            if s.get("synthetic_id") is not None and s.get("population") == population
        )
    if len(enrolled) < 1:
        raise ValueError(f"{gallery} holds no synthetic subjects of population {population}")
    rng = np.random.default_rng(20091027)
    mates = sorted(rng.choice(enrolled, size=min(mated, len(enrolled)), replace=False).tolist())
    held = set(enrolled)
    strangers, k = [], max(enrolled) + 1
    while len(strangers) < nonmated:  # subjects beyond the seeded range: never enrolled
        if k not in held:
            strangers.append(k)
        k += 1
    workers = workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="station-trials-") as tmp:
        copy = Path(tmp) / "gallery.sqlite"
        with open_gallery(gallery, readonly=True) as g:
            g.copy_to(copy)
        load_index(gallery)  # make sure the gallery's descriptor cache is current, then share it
        shutil.copyfile(cache_path(gallery), cache_path(copy))
        everyone = [(s, True) for s in mates] + [(s, False) for s in strangers]
        chunks = [everyone[n::workers] for n in range(workers)]
        start = time.perf_counter()
        results: dict[int, tuple] = {}
        with ProcessPoolExecutor(max_workers=workers) as pool:
            jobs = []
            for chunk in chunks:  # small pieces so progress moves
                for n in range(0, len(chunk), _CHUNK):
                    piece = [s for s, _ in chunk[n : n + _CHUNK]]
                    jobs.append(pool.submit(_trial_chunk, (str(copy), piece, population)))
            done = 0
            for job in jobs:
                for row in job.result():
                    results[row[0]] = row
                    done += 1
                if progress:
                    progress(done, len(everyone))
        seconds = time.perf_counter() - start
    return _report(mates, strangers, results, seconds, workers)


def _report(mates, strangers, results, seconds, workers) -> dict:
    def counts(subjects):
        out: dict[str, int] = {}
        for s in subjects:
            out[results[s][1]] = out.get(results[s][1], 0) + 1
        return out

    right = sum(1 for s in mates if results[s][1] == Disposition.HIT and results[s][2] == s)
    mated_scores = [results[s][3] for s in mates]
    stranger_scores = [results[s][3] for s in strangers]
    total = len(mates) + len(strangers)
    return {
        "mated": {
            "trials": len(mates),
            "right_hit": right,
            "rate": right / len(mates) if mates else 0.0,
            "dispositions": counts(mates),
            "top_score_min": min(mated_scores) if mates else None,
            "top_score_median": statistics.median(mated_scores) if mates else None,
        },
        "nonmated": {
            "trials": len(strangers),
            "no_hit": counts(strangers).get(Disposition.NO_HIT, 0),
            "rate": counts(strangers).get(Disposition.NO_HIT, 0) / len(strangers)
            if strangers
            else 0.0,
            "dispositions": counts(strangers),
            "top_score_max": max(stranger_scores) if strangers else None,
        },
        "seconds": seconds,
        "workers": workers,
        "seconds_per_booking": seconds * workers / total if total else 0.0,
    }


_STARTUP_SCRIPT = """
import sys, time
from station.service import load_index
index = load_index(sys.argv[1], cache=sys.argv[2] == "1")
print(time.time(), len(index), index.template_count, index.nbytes)
"""


def _time_start(path: Path, cache: bool) -> tuple[float, int, int, int, float]:
    """Seconds from launching a process until its index is searchable (the interpreter and
    imports included), its subjects, templates and index bytes, and the seconds until the
    process has ended (a cache written behind the start included)."""
    launched, start = time.time(), time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _STARTUP_SCRIPT, str(path), "1" if cache else "0"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    ended = time.perf_counter() - start
    return float(out[0]) - launched, int(out[1]), int(out[2]), int(out[3]), ended


def _enrol_one_more(path: Path) -> None:
    """One more subject (the first one's templates again): the gallery's generation moves,
    so the next start reads the gallery and rewrites the cache."""
    from ..gallery import open_gallery

    with open_gallery(path) as gallery:
        prints = gallery.prints(int(gallery.subjects(limit=1)[0]["id"]))
        subject = gallery.add_subject({"last_name": "BENCH-EXTRA"})
        for p in prints:
            template = gallery.template(p["id"])
            image = np.full((16, 16), 200, np.uint8)
            gallery.add_print(
                subject, p["finger"], p["impression"], image, template=template, device="bench"
            )


#: Start-up galleries hold perturbed ground truth up to this many subjects, stand-ins beyond.
STARTUP_TRUTH_SUBJECTS = 10_000


def startup(
    subjects: int, *, cache_dir: Path | None, workdir: Path, progress=None, stored=None
) -> dict:
    """Build a ``subjects``-subject gallery from benchmark templates and time its start-up.

    The first 1 000 subjects' templates are extracted from rendered prints, the rest up to
    :data:`STARTUP_TRUTH_SUBJECTS` are perturbed ground truth (as in the identification
    benchmark), and any beyond are stand-ins made from the extracted templates
    (:data:`~station.benchmark.scale.STANDIN_NOTE`; the generator's ground truth costs
    about 3 ms a template, 50 min for a 100 000-subject gallery). Stored images are a
    16 × 16 stand-in: start-up reads templates only, never images, and rendering 100 000
    prints for this measurement would take hours. ``progress`` follows the templates made,
    ``stored`` the subjects written.
    """
    from ..gallery import open_gallery
    from . import datasets
    from .scale import standin

    extracted = min(subjects, 1000)
    truth = min(subjects, STARTUP_TRUTH_SUBJECTS)
    specs: list = datasets.identification_gallery(extracted)
    specs += [datasets.TruthSpec(s, f) for s in range(extracted, truth) for f in FINGERS]
    templates = datasets.build(specs, cache_dir=cache_dir, progress=progress)
    path = workdir / f"startup-{subjects}.sqlite"
    for stale in workdir.glob(path.name + "*"):
        stale.unlink()
    stand_in = np.full((16, 16), 200, np.uint8)

    def subject_templates(s: int) -> list:
        if s < truth:
            return templates[s * 10 : s * 10 + 10]
        rng = np.random.default_rng([16, s])
        made = []
        for position in range(len(FINGERS)):  # another finger position's real template
            other = (position + 1 + int(rng.integers(len(FINGERS) - 1))) % len(FINGERS)
            made.append(standin(templates[int(rng.integers(extracted)) * 10 + other], rng))
        return made

    start = time.perf_counter()
    with open_gallery(path, create=True) as gallery:
        for s in range(subjects):
            made = subject_templates(s)
            with gallery.transaction():
                sid = gallery.add_subject({"last_name": f"BENCH{s}"})
                gallery.add_record(sid, "local", f"BENCH-{s:07d}")
                for finger, template in zip(FINGERS, made, strict=True):
                    gallery.add_print(
                        sid, finger, "rolled", stand_in, template=template, device="bench"
                    )
            if stored is not None and (s % 1000 == 999 or s == subjects - 1):
                stored(s + 1, subjects)
    built = time.perf_counter() - start
    cold = _time_start(path, cache=False)
    first = _time_start(path, cache=True)  # writes the cache
    warm = [_time_start(path, cache=True) for _ in range(3)]
    size = sum(f.stat().st_size for f in workdir.glob(path.name + "*"))
    _enrol_one_more(path)
    changed = _time_start(path, cache=True)  # reads the changed subject, rewrites the cache
    again = _time_start(path, cache=True)
    report = {
        "subjects": cold[1],
        "extracted_subjects": extracted,
        "truth_subjects": truth - extracted,
        "standin_subjects": subjects - truth,
        "templates": cold[2],
        "build_seconds": built,
        "start_without_cache_s": cold[0],
        "start_writing_cache_s": first[0],
        "start_with_cache_s": statistics.median(w[0] for w in warm),
        "index_bytes_per_subject": warm[0][3] / max(warm[0][1], 1),
        "index_bytes_per_subject_from_gallery": cold[3] / max(cold[1], 1),
        "start_after_one_enrolment_s": changed[0],
        "start_after_one_enrolment_process_s": changed[4],
        "start_after_that_s": again[0],
        "files_bytes": size,
    }
    for stale in workdir.glob(path.name + "*"):
        stale.unlink()
    shutil.rmtree(workdir, ignore_errors=True) if not any(workdir.iterdir()) else None
    return report
