"""``station bench``: verification, identification and calibration figures of the matcher.

Everything printed is measured in the run (templates may come from the cache, which is keyed
by the generator's and extractor's source, so they are what the current code produces).
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.template import Template
from ..core.vocabulary import FINGERS
from . import datasets
from .identification import identify
from .verification import VerificationResult, fvc_folder, verify

__all__ = ["BenchOptions", "run"]

log = logging.getLogger(__name__)


@dataclass
class BenchOptions:
    """What ``station bench`` runs."""

    fingers: int = 100
    impressions: int = 8
    fvc: Path | None = None
    galleries: tuple[int, ...] = (1000, 10000)
    probes: int = 200
    extracted: int = 1000  # gallery subjects made from extracted prints; the rest from truth
    verification: bool = True
    identification: bool = True
    calibrate: bool = False
    booking: bool = False  # end-to-end booking trials on a seeded gallery
    startup: bool = False  # start-up time of a 10 000-subject gallery
    concurrency: bool = False  # two stations booking into one gallery at once
    seconds: float = 60.0  # --only concurrency: how long the stations book
    crash: bool = False  # kill -9 of a booking driver at random moments, then resume
    kills: int = 30
    robustness: bool = False  # the bad-input corpus on every importer
    fuzz: int = 100  # random robustness cases per importer
    gallery: Path = Path("db/gallery.sqlite")
    bookings: int = 200  # mated trials; five times as many non-mated
    population: int = 0
    json_out: Path | None = None
    plots: Path | None = Path("bench-out")
    cache: Path | None = Path("db/bench-cache")
    wsq: bool = False  # round-trip every verification print through WSQ before extraction
    all_pairs: bool = False  # verification impostors: every different-finger pair
    codec: bool = False  # WSQ ratio and PSNR (``--only wsq``)
    ebts: bool = False  # a full booking's CAR: size, write/read time, round trips
    card: Path | None = None  # --only ebts: the shared ten-print card to book
    seeding: bool = False  # a small timed seeding run (--only seeding; also in the default run)
    seed_subjects: int = 10
    search: bool = False  # --only search: the 100 000-subject tenprint search
    sharded: bool = False  # --only sharded: the same gallery over 1 and 2 Dask workers
    search_subjects: int = 100_000
    # --only search: inverted-file settings measured beside the linear scan, (nlist, nprobe)
    ivf: tuple[tuple[int, int], ...] = ()
    scheduler: str | None = None  # --only sharded: a running Dask scheduler, not a LocalCluster
    sensors: bool = False  # --only sensors: an FVC-protocol EER per modelled sensor
    sensor_fingers: int = 30  # fingers per sensor set (each with ``impressions`` touches)


_WSQ_NOTE = ", every print through WSQ (0.75 bpp) first"
_ALL_NOTE = ", all impostor pairs"


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _progress(label: str):
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] > 2.0:
            last[0] = now
            sys.stderr.write(f"\r  {label}: {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return report


@contextmanager
def _one_core():
    """Time on one core: pin the process (Linux) and limit BLAS to one thread.

    Both are needed: pinned alone, a multi-threaded BLAS spins its threads on the one core
    and runs several times slower than it would on one thread.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - the bench extra provides it
        raise RuntimeError(
            "timing on one core needs threadpoolctl: pip install -e '.[bench]'"
        ) from None
    pinned = hasattr(os, "sched_getaffinity")
    before = os.sched_getaffinity(0) if pinned else set()
    if pinned:
        os.sched_setaffinity(0, {min(before)})
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        if pinned:
            os.sched_setaffinity(0, before)


def _extract_ms() -> tuple[float, float]:
    """Median wall and CPU time (ms) of ``extract`` on 500×500 prints, on the calling core.

    The prints of ``station extract --bench`` (flat 500×500, degradation spread from clean to
    badly degraded); one extraction first, untimed, so the compiled kernels are loaded.
    """
    from ..core.extract import extract
    from .extraction import speed_prints

    images = speed_prints()
    extract(images[0])
    wall, cpu = [], []
    for image in images:
        start, start_cpu = time.perf_counter(), time.thread_time()
        extract(image)
        cpu.append((time.thread_time() - start_cpu) * 1e3)
        wall.append((time.perf_counter() - start) * 1e3)
    return statistics.median(wall), statistics.median(cpu)


def _rates_line(name: str, rates) -> str:
    return (
        f"  {name:<26s} EER {rates.eer:7.2%}  FMR100 {rates.fmr100:7.2%}  "
        f"FMR1000 {rates.fmr1000:7.2%}  ZeroFMR {rates.zero_fmr:7.2%}"
    )


def _verification_report(
    result: VerificationResult, extract_ms: float, extract_cpu_ms: float | None = None
) -> dict:
    rates, general = result.rates, result.generalised
    _say(
        f"  {result.fingers} fingers x {result.impressions} impressions: "
        f"{result.genuine.size} genuine, {result.impostor.size} impostor comparisons"
    )
    _say(
        f"  failures to acquire (< 8 minutiae): {result.failed} of {result.prints} prints "
        f"({result.failed / result.prints:.1%})"
    )
    _say(_rates_line("acquired prints", rates))
    _say(_rates_line("all prints, as extracted", result.all_prints))
    _say(_rates_line("generalised (FTA = miss)", general))
    where = "these prints" if extract_cpu_ms is None else "500x500 prints"
    cpu = "" if extract_cpu_ms is None else f" ({extract_cpu_ms:.1f} ms CPU)"
    _say(
        f"  extraction median {extract_ms:.1f} ms{cpu} on {where}, comparison median "
        f"{result.compare_ms_median:.3f} ms (one core)"
    )
    figures = {
        **rates.as_dict(),
        "all_prints": result.all_prints.as_dict(),
        "generalised": general.as_dict(),
        "failure_to_acquire": result.failed / result.prints,
        "extract_ms_median": extract_ms,
        "compare_ms_median": result.compare_ms_median,
    }
    if extract_cpu_ms is not None:
        figures["extract_cpu_ms_median"] = extract_cpu_ms
    return figures


def _plots(result: VerificationResult, out: Path, stem: str) -> list[Path]:
    from .plots import det_plot, histogram_plot

    out.mkdir(parents=True, exist_ok=True)
    g, i = result.genuine[result.genuine_ok], result.impostor[result.impostor_ok]
    return [
        det_plot(
            {
                "acquired prints": (g, i),
                "generalised": (
                    np.where(result.genuine_ok, result.genuine, 0.0),
                    np.where(result.impostor_ok, result.impostor, 0.0),
                ),
            },
            out / f"{stem}_det.png",
        ),
        histogram_plot(g, i, out / f"{stem}_scores.png"),
    ]


def _synthetic_verification(opts: BenchOptions, report: dict) -> None:
    specs = datasets.verification_set(opts.fingers, opts.impressions, wsq=opts.wsq)
    _say(
        "verification — synthetic, FVC protocol" + _ALL_NOTE * opts.all_pairs + _WSQ_NOTE * opts.wsq
    )
    _say(
        "  mixed capture: 40% flat 512x512, 20% rolled 800x750, 20% flat 400x400, "
        "20% flat 300x300; degradation good/fair/poor 40/35/25%"
    )
    templates = datasets.build(specs, cache_dir=opts.cache, progress=_progress("prints"))
    with _one_core():
        result = verify(templates, opts.fingers, opts.impressions, all_impostors=opts.all_pairs)
        extract_ms, extract_cpu_ms = _extract_ms()
    report["verification"] = _verification_report(result, extract_ms, extract_cpu_ms)
    # The matcher's speed figure: median wall time of one comparison of prepared templates
    # over the protocol's fixed pairs, on one pinned core with BLAS on one thread.
    report["comparison_ms"] = result.compare_ms_median
    report["comparison_pairs"] = len(result.compare_ms)
    if opts.plots:
        for path in _plots(result, opts.plots, "verification"):
            _say(f"  wrote {path}")
    if opts.calibrate:
        _calibrate(templates, opts)


def _sensor_sets(opts: BenchOptions, report: dict) -> None:
    from ..core.synth.sensors import SENSORS

    _say(
        "sensors — synthetic prints on modelled devices, FVC protocol"
        + _ALL_NOTE * opts.all_pairs
        + _WSQ_NOTE * opts.wsq
    )
    _say(
        f"  {opts.sensor_fingers} fingers x {opts.impressions} flat touches per sensor; EER over "
        "all prints (failures to acquire compared as extracted)"
    )
    figures: dict[str, dict] = {}
    for name, profile in SENSORS.items():
        specs = datasets.sensor_set(
            name, opts.sensor_fingers, opts.impressions, population=opts.population, wsq=opts.wsq
        )
        templates = datasets.build(specs, cache_dir=opts.cache, progress=_progress(name))
        with _one_core():
            result = verify(
                templates, opts.sensor_fingers, opts.impressions, all_impostors=opts.all_pairs
            )
        rates = result.all_prints  # FVC style: failed prints compared as extracted
        rows, cols = profile.size
        _say(
            f"  {name:<22s} {cols}x{rows} @ {profile.ppi} ppi  EER {rates.eer:7.2%}  "
            f"FMR100 {rates.fmr100:7.2%}  FMR1000 {rates.fmr1000:7.2%}  "
            f"FTA {result.failed / result.prints:5.1%}"
        )
        figures[name] = {
            "ppi": profile.ppi,
            "rows": rows,
            "cols": cols,
            "fingers": opts.sensor_fingers,
            "impressions": opts.impressions,
            "genuine": int(result.genuine.size),
            "impostor": int(result.impostor.size),
            **rates.as_dict(),
            "acquired": result.rates.as_dict(),
            "generalised": result.generalised.as_dict(),
            "failure_to_acquire": result.failed / result.prints,
        }
    eers = [f["eer"] for f in figures.values()]
    _say(f"  mean EER over the {len(eers)} sensors {statistics.mean(eers):7.2%}")
    report["sensors"] = {"sets": figures, "mean_eer": statistics.mean(eers)}


def _calibrate(templates: list[Template], opts: BenchOptions) -> None:
    from ..core.match import compare
    from ..core.match.calibration import write_calibration

    per = opts.impressions
    scores = [
        compare(templates[a], templates[b])
        for a in range(len(templates))
        for b in range(a + 1, len(templates))
        if a // per != b // per
    ]
    path = Path(__file__).resolve().parent.parent / "core" / "match" / "calibration.json"
    table = write_calibration(
        np.array(scores),
        path,
        source=f"station bench --calibrate: every different-finger pair of the "
        f"{opts.fingers}x{opts.impressions} synthetic verification set",
    )
    _say(f"calibration — {table['impostors']} impostor comparisons, written to {path}")
    for fmr, value in zip(table["fmr"], table["threshold"], strict=True):
        _say(f"  FMR {fmr:8.0e}  threshold {value:.4f}")


def _fvc_verification(folder: Path, opts: BenchOptions, report: dict) -> None:
    from ..core.extract import extract
    from ..core.image import load

    paths, fingers, impressions = fvc_folder(folder)
    _say(
        f"verification — {folder}, FVC protocol" + _ALL_NOTE * opts.all_pairs + _WSQ_NOTE * opts.wsq
    )
    templates, times = [], []
    for n, path in enumerate(paths, 1):
        image = load(path)
        if opts.wsq:
            image = datasets.wsq_round_trip(image)
        start = time.perf_counter()
        templates.append(extract(image))
        times.append((time.perf_counter() - start) * 1e3)
        _progress("prints")(n, len(paths))
    with _one_core():
        result = verify(templates, fingers, impressions, all_impostors=opts.all_pairs)
    figures = _verification_report(result, statistics.median(times))
    report["fvc"] = {"folder": str(folder), **figures}
    if opts.plots:
        for path in _plots(result, opts.plots, "fvc"):
            _say(f"  wrote {path}")


def _codec(opts: BenchOptions, report: dict) -> None:
    from . import codec

    def line(name: str, figures: codec.CodecFigures) -> None:
        (r, r_lo, r_hi), (p, p_lo, p_hi) = figures.ratio, figures.psnr
        _say(
            f"  {name:28s} {figures.images:4d} images  ratio {r:5.1f}:1 ({r_lo:.1f}-{r_hi:.1f})"
            f"  PSNR {p:5.2f} dB ({p_lo:.2f}-{p_hi:.2f})"
        )

    _say("WSQ (0.75 bpp, NBIS via the wsq package): median (min-max)")
    synthetic = codec.round_trips(codec.synthetic_rolled(opts.fingers))
    line("synthetic rolled 800x750", synthetic)
    report["wsq"] = {"synthetic_rolled": synthetic.to_json()}
    if opts.fvc is None:
        return
    paths, _, _ = fvc_folder(opts.fvc)
    from ..core.image import load

    real = codec.round_trips([load(path) for path in paths])
    line(f"{opts.fvc.name}", real)
    report["wsq"]["fvc"] = {"folder": str(opts.fvc), **real.to_json()}
    files = codec.nbis_files(opts.fvc, paths)
    if not files:
        return
    offsets = sorted({f.offset for f in files})
    as_is = [f.psnr for f in files]
    aligned = [f.psnr_aligned for f in files]
    bitrates = sorted({f.bitrate for f in files if f.bitrate is not None})
    _say(
        f"  {opts.fvc.name}/wsq (NBIS files)   {len(files):4d} files   ratio "
        f"{statistics.median(f.ratio for f in files):5.1f}:1, declared bitrate "
        f"{', '.join(map(str, bitrates)) or '-'} bpp"
    )
    _say(
        f"    vs the images as they are:  PSNR {statistics.median(as_is):5.2f} dB "
        f"({min(as_is):.2f}-{max(as_is):.2f})"
    )
    _say(
        f"    best raster offset {', '.join(map(str, offsets))} px: PSNR "
        f"{statistics.median(aligned):5.2f} dB ({min(aligned):.2f}-{max(aligned):.2f})"
    )
    report["wsq"]["nbis_files"] = {
        "files": len(files),
        "psnr_db": [statistics.median(as_is), min(as_is), max(as_is)],
        "offsets": offsets,
        "psnr_aligned_db": [statistics.median(aligned), min(aligned), max(aligned)],
    }


def _identification(opts: BenchOptions, report: dict) -> None:
    from ..core.match import SearchGallery

    largest = max(opts.galleries)
    extracted = min(opts.extracted, largest)
    probes_n = min(opts.probes, extracted)
    _say("identification — tenprint 1:N, probes are fresh rolled impressions (extracted)")
    probe_specs = datasets.identification_probes(probes_n)
    probe_t = datasets.build(probe_specs, cache_dir=opts.cache, progress=_progress("probes"))
    gallery_specs = datasets.identification_gallery(extracted)
    gallery_t = datasets.build(gallery_specs, cache_dir=opts.cache, progress=_progress("gallery"))
    truth_specs = [datasets.TruthSpec(s, f) for s in range(extracted, largest) for f in FINGERS]
    truth_t = datasets.build(truth_specs, cache_dir=opts.cache, progress=_progress("truth"))
    probes = [(s, {f: probe_t[s * 10 + k] for k, f in enumerate(FINGERS)}) for s in range(probes_n)]
    report["identification"] = {}
    gallery = SearchGallery()
    entries = [(s.subject, s.finger, t) for s, t in zip(gallery_specs, gallery_t, strict=True)]
    entries += [(s.subject, s.finger, t) for s, t in zip(truth_specs, truth_t, strict=True)]
    added = 0
    for size in sorted(opts.galleries):
        start = time.perf_counter()
        for subject, finger, template in entries[added * 10 : size * 10]:
            gallery.add(subject, finger, template)
        added = size
        load_s = time.perf_counter() - start
        with _one_core():
            result = identify(gallery, probes)
        made = (
            "extracted prints"
            if size <= extracted
            else f"{extracted} subjects from extracted prints + {size - extracted} from "
            "generator ground truth, perturbed (10% missed, 10% spurious, 2.5 px shift)"
        )
        _say(f"  N = {size} subjects ({gallery.template_count} finger templates; {made})")
        _say(
            f"    rank-1 {result.rank1:.2%} of {result.probes} probes; pre-selection miss rate "
            f"{result.preselection_miss_rate:.2%} at penetration {result.penetration:.2%}"
        )
        _say(
            f"    search latency median {result.latency_ms_median:.0f} ms, "
            f"p95 {result.latency_ms_p95:.0f} ms (one core); gallery indexed in {load_s:.1f} s"
        )
        report["identification"][str(size)] = {**result.as_dict(), "gallery": made}


def _scale_inputs(opts: BenchOptions) -> tuple[Path, int, list]:
    """The cached large gallery (built on first use) and the probes of its real subjects."""
    from . import scale

    total = opts.search_subjects
    real_n = min(opts.extracted, total)
    probes_n = min(opts.probes, real_n)
    real = datasets.build(
        datasets.identification_gallery(real_n), cache_dir=opts.cache, progress=_progress("real")
    )
    probe_t = datasets.build(
        datasets.identification_probes(probes_n), cache_dir=opts.cache, progress=_progress("probes")
    )
    probes = [(s, {f: probe_t[s * 10 + k] for k, f in enumerate(FINGERS)}) for s in range(probes_n)]
    folder = opts.cache if opts.cache is not None else Path(tempfile.mkdtemp(prefix="station-"))
    path = scale.cached_gallery_path(folder, real_n, total)
    if not path.is_dir():
        _say(f"  building the {total}-subject gallery once (cached as {path})")
        scale.build_gallery(real, total, path, progress=_progress("subjects"))
    return path, real_n, probes


def _search_scale(opts: BenchOptions, report: dict) -> None:
    from . import scale

    total = opts.search_subjects
    _say(f"search — tenprint 1:N over {total} subjects, probes are fresh rolled impressions")
    path, real_n, probes = _scale_inputs(opts)
    start = time.perf_counter()
    gallery = scale.load_gallery(path)
    startup_s = time.perf_counter() - start
    with _one_core():
        result = scale.measure(gallery, probes, real=real_n, startup_s=startup_s)
    figures = result.as_dict()
    _say(
        f"  {total} subjects ({result.templates} templates): {real_n} subjects' rolled prints "
        f"rendered and extracted ({real_n * 10} templates), {total - real_n} {scale.STANDIN_NOTE}"
    )
    _say(
        f"    rank-1 {result.rank1:.2%} of {result.probes} probes; first-stage miss rate "
        f"{result.first_stage_miss_rate:.2%} at penetration {result.penetration:.4%}"
    )
    _say(
        f"    search latency median {figures['latency_ms_median']:.0f} ms, p95 "
        f"{figures['latency_ms_p95']:.0f} ms wall, CPU median {figures['cpu_ms_median']:.0f} ms "
        f"(one pinned core; load average {result.load_average[0]:.1f})"
    )
    _say(
        f"    memory {result.bytes_per_subject:.0f} bytes per subject; searchable "
        f"{startup_s:.2f} s after opening the cache "
        f"({sum(f.stat().st_size for f in path.iterdir()) / 1e6:.0f} MB, memory-mapped)"
    )
    if figures["stage1_cpu_ms_median"] is not None:
        stage1 = figures["stage1_cpu_ms_median"]
        _say(f"    stage 1 alone: CPU median {stage1:.1f} ms (linear scan)")
    if opts.ivf:
        figures["ivf"] = _search_ivf(opts, gallery, probes, real_n, startup_s)
    report["search"] = figures


def _search_ivf(
    opts: BenchOptions, gallery, probes: list, real_n: int, startup_s: float
) -> dict[str, dict]:
    """The same search with an inverted-file first stage, per (nlist, nprobe) setting."""
    from . import scale

    out: dict[str, dict] = {}
    trained: dict[int, dict] = {}
    for nlist, nprobe in opts.ivf:
        if nlist not in trained:
            start = time.perf_counter()
            with _one_core():
                quantiser = gallery.train_index(nlist=nlist, nprobe=nprobe, seed=16)
            total_s = time.perf_counter() - start
            counts = np.bincount(gallery.cells(), minlength=nlist)
            trained[nlist] = {
                "training_s": quantiser.training_s,
                "filing_s": total_s - quantiser.training_s,
                "index_bytes_per_subject": gallery.index_nbytes / len(gallery),
                "largest_cell_subjects": int(counts.max()),
                "empty_cells": int((counts == 0).sum()),
            }
            _say(
                f"  IVF nlist {nlist}: k-means {quantiser.training_s:.1f} s, filing "
                f"{len(gallery)} subjects {total_s - quantiser.training_s:.1f} s (one core); "
                f"index {gallery.index_nbytes / len(gallery):.0f} bytes per subject; cells "
                f"{counts.min()}..{counts.max()} subjects ({int((counts == 0).sum())} empty)"
            )
        gallery.nprobe = nprobe
        with _one_core():
            result = scale.measure(gallery, probes, real=real_n, startup_s=startup_s)
        figures = {**result.as_dict(), **trained[nlist], "nlist": nlist, "nprobe": nprobe}
        _say(
            f"    nprobe {nprobe}: stage-1 penetration {result.stage1_penetration:.2%}, stage-1 "
            f"CPU median {figures['stage1_cpu_ms_median']:.1f} ms; rank-1 {result.rank1:.2%}; "
            f"first-stage miss rate {result.first_stage_miss_rate:.2%} at shortlist "
            f"penetration {result.penetration:.4%}; latency median "
            f"{figures['latency_ms_median']:.0f} ms wall, CPU {figures['cpu_ms_median']:.0f} ms "
            f"(load average {result.load_average[0]:.1f})"
        )
        out[f"{nlist}x{nprobe}"] = figures
    gallery.use_index(None)
    # The linear scan once more, now that the searched templates are in the page cache as
    # they were for the indexed runs (the first run above also paid for reading them).
    with _one_core():
        result = scale.measure(gallery, probes, real=real_n, startup_s=startup_s)
    out["linear"] = result.as_dict()
    _say(
        f"  linear scan again (templates now cached): stage-1 CPU median "
        f"{out['linear']['stage1_cpu_ms_median']:.1f} ms; rank-1 {result.rank1:.2%}; latency "
        f"median {out['linear']['latency_ms_median']:.0f} ms wall, CPU "
        f"{out['linear']['cpu_ms_median']:.0f} ms (load average {result.load_average[0]:.1f})"
    )
    return out


def _sharded(opts: BenchOptions, report: dict) -> None:
    from functools import partial

    from ..core.match import search
    from ..service.cluster import ShardedSearch
    from . import scale

    total = opts.search_subjects
    where = opts.scheduler or "a LocalCluster on this machine"
    _say(f"sharded — the {total}-subject search over 1 and 2 Dask workers ({where})")
    path, real_n, probes = _scale_inputs(opts)
    whole = scale.load_gallery(path)
    expected = [search(fingers, whole) for _, fingers in probes]
    del whole
    figures: dict = {"gallery_subjects": total, "real_subjects": real_n, "probes": len(probes)}
    for workers in (1, 2):
        start = time.perf_counter()
        with ShardedSearch(
            partial(scale.load_gallery, path), shards=workers, address=opts.scheduler
        ) as sharded:
            ready_s = time.perf_counter() - start
            sharded.search(probes[0][1])  # the workers' first search imports the kernels
            latency, same = [], 0
            load = os.getloadavg()
            for (_, fingers), want in zip(probes, expected, strict=True):
                start = time.perf_counter()
                got = sharded.search(fingers)
                latency.append((time.perf_counter() - start) * 1e3)
                same += [(c.subject, c.score, c.rank) for c in got] == [
                    (c.subject, c.score, c.rank) for c in want
                ]
        row = {
            "latency_ms_median": statistics.median(latency),
            "latency_ms_p95": float(np.percentile(latency, 95)),
            "same_candidates": same,
            "shards_ready_s": ready_s,
            "load_average": load[0],
        }
        figures[str(workers)] = row
        _say(
            f"  {workers} worker{'s' if workers > 1 else ''}: search latency median "
            f"{row['latency_ms_median']:.0f} ms, p95 {row['latency_ms_p95']:.0f} ms; candidates "
            f"equal to one process for {same}/{len(probes)} probes; shards loaded in "
            f"{ready_s:.1f} s (load average {load[0]:.1f})"
        )
    report["sharded"] = figures


def _booking(opts: BenchOptions, report: dict) -> None:
    from .booking import booking_trials

    mated, nonmated = opts.bookings, 5 * opts.bookings
    _say(f"booking trials on a copy of {opts.gallery}: {mated} mated, {nonmated} non-mated")
    result = booking_trials(
        opts.gallery,
        mated=mated,
        nonmated=nonmated,
        population=opts.population,
        progress=_progress("bookings"),
    )
    m, n = result["mated"], result["nonmated"]
    _say(
        f"  mated (enrolled, fresh impressions): HIT with the right subject "
        f"{m['right_hit']}/{m['trials']} ({100 * m['rate']:.1f} %), dispositions "
        f"{m['dispositions']}; top fused score min {m['top_score_min']:.3f}, "
        f"median {m['top_score_median']:.3f}"
    )
    _say(
        f"  non-mated (never enrolled): NO HIT {n['no_hit']}/{n['trials']} "
        f"({100 * n['rate']:.2f} %), dispositions {n['dispositions']}; "
        f"top fused score max {n['top_score_max']:.3f}"
    )
    _say(
        f"  {result['seconds']:.0f} s on {result['workers']} processes: "
        f"{result['seconds_per_booking']:.2f} s per booking (render, extract, search, store)"
    )
    report["booking"] = result


def _startup(opts: BenchOptions, report: dict) -> None:
    from . import scale
    from .booking import startup

    size = max(opts.galleries)
    _say(f"start-up of a {size}-subject gallery (built from benchmark templates)")
    workdir = Path(tempfile.mkdtemp(prefix="station-startup-"))
    result = startup(
        size,
        cache_dir=opts.cache,
        workdir=workdir,
        progress=_progress("templates"),
        stored=_progress("subjects stored"),
    )
    made = f"{result['extracted_subjects']} extracted, {result['truth_subjects']} ground truth"
    if result["standin_subjects"]:
        made += f", {result['standin_subjects']} {scale.STANDIN_NOTE}"
    _say(f"  gallery: {made}; built in {result['build_seconds']:.0f} s")
    _say(
        f"  {result['subjects']} subjects, {result['templates']} templates: searchable "
        f"{result['start_with_cache_s']:.2f} s after process start with the descriptor cache "
        f"(median of 3), {result['start_without_cache_s']:.1f} s without, "
        f"{result['start_writing_cache_s']:.1f} s the first time (writes the cache)"
    )
    _say(
        f"  one subject enrolled: {result['start_after_one_enrolment_s']:.2f} s (reads that "
        f"subject's rows; the process ends {result['start_after_one_enrolment_process_s']:.1f} "
        f"s after launch, the cache rewritten behind), {result['start_after_that_s']:.2f} s the "
        "start after; "
        f"index memory {result['index_bytes_per_subject']:.0f} bytes a subject from the "
        f"cache ({result['index_bytes_per_subject_from_gallery']:.0f} read from the gallery)"
    )
    report["startup"] = result


def _concurrency(opts: BenchOptions, report: dict) -> None:
    from ..gallery import open_gallery
    from ..service import seed
    from .concurrency import concurrency_bench, prepare_probes

    _say(
        f"concurrency — two stations (two processes) booking into one fresh gallery for "
        f"{opts.seconds:g} s"
    )
    with tempfile.TemporaryDirectory(prefix="station-concurrency-") as tmp:
        path = Path(tmp) / "gallery.sqlite"
        seed(path, 2, population=opts.population, workers=2)
        with open_gallery(path, readonly=True) as g:
            held = sorted(int(s["synthetic_id"]) for s in g.subjects(limit=100))
        stranger = next(k for k in range(max(held) + 1, max(held) + 100) if k not in held)
        probes = prepare_probes([held[0], stranger], population=opts.population)
        result = concurrency_bench(path, probes, seconds=opts.seconds)
    for run in result.stations:
        _say(
            f"  {run.station_id}: {run.bookings} bookings in {run.seconds:.0f} s "
            f"({run.dispositions}), {run.collisions} TCN collisions, {run.busy} busy/locked, "
            f"{run.errors} other errors"
        )
        for message in run.messages:
            _say(f"    {message}")
    verdict = "ok" if result.verify_ok and not result.problems else "; ".join(result.problems)
    _say(
        f"  total {result.bookings} bookings ({result.stored} stored, {result.distinct_tcns} "
        f"distinct TCNs): {result.collisions} collisions, {result.busy} busy/locked, "
        f"{result.errors} other errors; gallery verify and check: {verdict}"
    )
    report["concurrency"] = {"seconds": opts.seconds, **result.as_dict()}


def _crash(opts: BenchOptions, report: dict) -> None:
    from .crash import COMPLETE, crash_trials

    _say(
        f"kill -9 of a booking driver at random moments, {opts.kills} times, on a copy of "
        f"{opts.gallery}"
    )
    workdir = Path(tempfile.mkdtemp(prefix="station-crash-"))
    result = crash_trials(
        opts.gallery,
        kills=opts.kills,
        workdir=workdir,
        population=opts.population,
        progress=_progress("kills"),
    )
    unfinished = sum(n for s, n in result.final_statuses.items() if s not in COMPLETE)
    _say(
        f"  {result.kills} kills, {result.bookings} bookings: {result.unfinished_at_kill} left "
        f"unfinished by a kill (all listed as stale, {result.partial} missing captures), "
        f"resumed to {result.resumed}; after resuming {result.final_statuses}, "
        f"{unfinished} unfinished"
    )
    _say(
        f"  gallery check {'ok' if result.integrity_ok else 'FAILED'}, verify "
        f"{'ok' if result.verify_ok else 'FAILED'}; {result.seconds:.0f} s"
    )
    report["crash"] = result.as_dict()


def _robustness(opts: BenchOptions, report: dict) -> None:
    from .robustness import OUTCOMES, format_robustness, robustness

    _say(f"robustness — bad input on every importer ({opts.fuzz} random cases each)")
    rows = robustness(fuzz=opts.fuzz, seed_value=opts.population)
    _say(format_robustness(rows))
    report["robustness"] = {
        row.importer: {"tried": row.tried, **{o: row.counts[o] for o in OUTCOMES}} for row in rows
    }


def _ebts(opts: BenchOptions, report: dict) -> None:
    from ..gallery import open_gallery
    from .transactions import ebts_bench, format_ebts

    with open_gallery(opts.gallery, readonly=True) as g:
        held = sorted(int(s["synthetic_id"]) for s in g.subjects(limit=1))
    if not held:
        raise ValueError(f"{opts.gallery} holds no synthetic subject to book")
    _say(f"ebts — the CAR transaction of a full booking (subject {held[0]}, with slaps)")
    result = ebts_bench(opts.gallery, subject=held[0], population=opts.population, card=opts.card)
    _say(format_ebts(result))
    report["ebts"] = result.to_json()


def _seeding(opts: BenchOptions, report: dict) -> None:
    from .seeding import format_seeding, seeding_bench

    figures = seeding_bench(opts.seed_subjects, population=opts.population)
    _say(format_seeding(figures))
    report["seeding"] = figures.to_json()


def run(opts: BenchOptions) -> int:
    """Run the benchmark; print the table, write JSON and plots if asked. Returns 0."""
    report: dict = {}
    started = time.monotonic()
    if opts.verification:
        _synthetic_verification(opts, report)
    if opts.sensors:
        _sensor_sets(opts, report)
    if opts.codec:
        _codec(opts, report)
    elif opts.fvc is not None:
        _fvc_verification(opts.fvc, opts, report)
    if opts.identification:
        _identification(opts, report)
    if opts.search:
        _search_scale(opts, report)
    if opts.sharded:
        _sharded(opts, report)
    if opts.booking:
        _booking(opts, report)
    if opts.startup:
        _startup(opts, report)
    if opts.concurrency:
        _concurrency(opts, report)
    if opts.crash:
        _crash(opts, report)
    if opts.robustness:
        _robustness(opts, report)
    if opts.ebts:
        _ebts(opts, report)
    if opts.seeding:
        _seeding(opts, report)
    _say(f"done in {time.monotonic() - started:.0f} s")
    if opts.json_out is not None:
        opts.json_out.parent.mkdir(parents=True, exist_ok=True)
        opts.json_out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        _say(f"wrote {opts.json_out}")
    return 0
