"""The 100 000-subject tenprint search: a gallery of real and stand-in subjects, cached on disk.

The first ``real`` subjects' ten rolled prints are rendered and extracted (the identification
bench's templates, :func:`station.benchmark.datasets.identification_gallery`). The rest are
**stand-ins**, labelled so wherever they are reported: each finger of a stand-in is a real
extracted template of *another finger position* of a random real subject (so it is never a
mate of the probe finger it is compared with), perturbed like a second extraction — 10 % of
minutiae dropped, 10 % spurious added, positions jittered by 2.5 px and directions by
0.12 rad, 10 % of types flipped, then turned (0.15 rad) and shifted (15 px) as a new
placement on the scanner.

The whole gallery — quantised stage-1 descriptors, per-entry scales and template bytes, one
finger position after another — is written once to the folder ``<cache>/search-<key>/`` as
``.npy`` files; the key hashes the extractor's and the index's source, the perturbation and
the sizes, so a stale gallery is never reused. Loading it back (:func:`load_gallery`: the
files are memory-mapped and handed to the gallery as they are) is the start-up figure.
"""

from __future__ import annotations

import hashlib
import logging
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.angles import wrap_angle
from ..core.match import SearchGallery
from ..core.match.index import descriptor
from ..core.match.ivf import CoarseQuantiser
from ..core.match.params import DEFAULT_PARAMETERS
from ..core.match.search import TemplateBlobs, quantise, search
from ..core.template import Template
from ..core.vocabulary import FINGERS
from . import datasets

__all__ = ["ScaleResult", "build_gallery", "load_gallery", "measure", "standin"]

log = logging.getLogger(__name__)

#: Perturbation of a stand-in finger (see the module docstring).
_MISSED = 0.10
_SPURIOUS = 0.10
_SHIFT_PX = 2.5
_TURN_RAD = 0.12
_TYPE_FLIP = 0.10
_PLACE_TURN = 0.15
_PLACE_SHIFT = 15.0
#: Stand-in subjects made per task of the process pool.
_CHUNK = 2000
#: Bump when :func:`standin` or :func:`_chunk` makes different stand-ins (part of the key).
_STANDIN_VERSION = 1

STANDIN_NOTE = (
    "stand-ins: each finger a real extracted template of another finger position, "
    "perturbed (10% missed, 10% spurious, 2.5 px / 0.12 rad jitter, 10% types flipped, "
    "new placement)"
)


def standin(source: Template, rng: np.random.Generator) -> Template:
    """A stand-in template made from a real one (see the module docstring).

    Parameters
    ----------
    source : Template
        A real extracted template.
    rng : numpy.random.Generator

    Returns
    -------
    Template
        Same frame size; minutiae outside it after the new placement are dropped.
    """
    m = np.asarray(source.minutiae, np.float64)
    m = m[rng.random(len(m)) >= _MISSED]
    spurious = rng.binomial(max(len(m), 1), _SPURIOUS)
    if len(m) and spurious:
        lo, hi = m[:, :2].min(axis=0), m[:, :2].max(axis=0)
        xy = rng.uniform(lo, hi, (spurious, 2))
        gaps = np.hypot(*(xy[:, None, :] - m[None, :, :2]).transpose(2, 0, 1))
        nearest = np.argmin(gaps, axis=1)  # spurious minutiae follow the ridge flow
        ang = m[nearest, 2] + rng.normal(0, 0.2, spurious) + np.pi * rng.integers(0, 2, spurious)
        m = np.vstack([m, np.column_stack([xy, ang, rng.integers(0, 2, spurious)])])
    m[:, :2] += rng.normal(0, _SHIFT_PX, (len(m), 2))
    m[:, 2] += rng.normal(0, _TURN_RAD, len(m))
    flip = rng.random(len(m)) < _TYPE_FLIP
    m[flip, 3] = 1 - m[flip, 3]
    turn = rng.normal(0, _PLACE_TURN)
    c, s = np.cos(turn), np.sin(turn)
    centre = np.array([source.width / 2, source.height / 2])
    rel = m[:, :2] - centre
    xy = np.column_stack([c * rel[:, 0] - s * rel[:, 1], s * rel[:, 0] + c * rel[:, 1]])
    xy += centre + rng.normal(0, _PLACE_SHIFT, 2)
    inside = (
        (xy[:, 0] >= 0) & (xy[:, 0] < source.width) & (xy[:, 1] >= 0) & (xy[:, 1] < source.height)
    )
    minutiae = np.column_stack([xy, wrap_angle(m[:, 2] + turn), m[:, 3]])[inside]
    return Template(
        width=source.width,
        height=source.height,
        minutiae=minutiae.astype(np.float32),
        quality=source.quality,
        level=source.level,
        reason=source.reason,
    )


_SOURCES: list[Template] = []


def _init(blobs: list[bytes]) -> None:
    _SOURCES[:] = [Template.from_bytes(b) for b in blobs]


def _chunk(task: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray, bytes, np.ndarray]:
    """Stand-in subjects ``first..last-1`` of ``real`` real ones: codes, scales, bytes, ends."""
    first, last, real, seed = task
    rng = np.random.default_rng([seed, first])
    vectors, blobs = [], []
    for _ in range(first, last):
        for position in range(len(FINGERS)):
            other = (position + 1 + int(rng.integers(len(FINGERS) - 1))) % len(FINGERS)
            source = _SOURCES[int(rng.integers(real)) * len(FINGERS) + other]
            template = standin(source, rng)
            vectors.append(descriptor(template, DEFAULT_PARAMETERS))
            blobs.append(template.to_bytes())
    codes, scales = quantise(np.array(vectors))
    ends = np.cumsum([len(b) for b in blobs], dtype=np.int64)
    return codes, scales, b"".join(blobs), ends


def _key(real: int, subjects: int, seed: int) -> str:
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(f"{datasets.code_version()}|{real}|{subjects}|{seed}|".encode())
    digest.update(repr(DEFAULT_PARAMETERS).encode())
    perturbation = (_MISSED, _SPURIOUS, _SHIFT_PX, _TURN_RAD, _TYPE_FLIP, _PLACE_TURN, _PLACE_SHIFT)
    digest.update(f"{_STANDIN_VERSION}|{perturbation}|{_CHUNK}".encode())
    for name in ("core/match/index.py", "core/match/_preselect.py"):
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:20]


def build_gallery(
    real: list[Template],
    subjects: int,
    path: Path,
    *,
    seed: int = 16,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write a ``subjects``-subject gallery: the real subjects first, then stand-ins.

    Parameters
    ----------
    real : list of Template
        Ten templates per real subject, in :data:`FINGERS` order, subject after subject.
    subjects : int
        Total subjects (at least the real ones).
    path : Path
        The folder written (whole, through a temporary folder renamed into place).
    seed : int
        Seed of the stand-ins.
    workers : int, optional
        Processes making stand-ins (default all cores).
    progress : callable, optional
        ``progress(done, total)`` in subjects.
    """
    if len(real) % len(FINGERS) or not real:
        raise ValueError("real templates must come ten to a subject")
    n_real = len(real) // len(FINGERS)
    if subjects < n_real:
        raise ValueError(f"subjects ({subjects}) must be at least the real ones ({n_real})")
    codes, scales = quantise(np.array([descriptor(t, DEFAULT_PARAMETERS) for t in real]))
    parts_codes, parts_scales = [codes], [scales]
    blobs = [t.to_bytes() for t in real]
    parts_bytes = [b"".join(blobs)]
    parts_lengths = [np.array([len(b) for b in blobs], np.int64)]
    tasks = [
        (first, min(first + _CHUNK, subjects), n_real, seed)
        for first in range(n_real, subjects, _CHUNK)
    ]
    done = n_real
    if tasks:
        with ProcessPoolExecutor(
            max_workers=workers or os.cpu_count() or 1, initializer=_init, initargs=(blobs,)
        ) as pool:
            for (first, last, _, _), (c, s, data, ends) in zip(
                tasks, pool.map(_chunk, tasks), strict=True
            ):
                parts_codes.append(c)
                parts_scales.append(s)
                parts_bytes.append(data)
                parts_lengths.append(np.diff(ends, prepend=0))
                done += last - first
                if progress:
                    progress(done, subjects)
    lengths = np.concatenate(parts_lengths)
    ends = np.cumsum(lengths)
    _write(
        path,
        np.concatenate(parts_codes),
        np.concatenate(parts_scales),
        np.frombuffer(b"".join(parts_bytes), np.uint8),
        ends - lengths,
        ends,
    )


_FILES = ("codes", "scales", "blob", "starts", "ends")


def _write(
    path: Path,
    codes: np.ndarray,
    scales: np.ndarray,
    blob: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> None:
    """Write a gallery folder; entries given subject-major, stored finger-major.

    Finger-major order puts each finger position's entries in one run, so loading maps the
    files and hands the runs to the gallery as they are (no copy, no parsing).
    """
    subjects = len(codes) // len(FINGERS)
    order = np.arange(len(codes)).reshape(subjects, len(FINGERS)).T.ravel()
    arrays = {
        "codes": codes[order],
        "scales": scales[order],
        "blob": blob,
        "starts": starts[order],
        "ends": ends[order],
    }
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in _FILES:
        np.save(tmp / f"{name}.npy", arrays[name], allow_pickle=False)
    if path.exists():  # a stale copy another run left: replaced whole
        for name in _FILES:
            (path / f"{name}.npy").unlink(missing_ok=True)
        path.rmdir()
    tmp.replace(path)


def load_gallery(
    path: Path,
    shard: int = 0,
    shards: int = 1,
    *,
    index: CoarseQuantiser | None = None,
    nprobe: int = 1,
) -> SearchGallery:
    """The gallery written by :func:`build_gallery`, ready to search (the start-up path).

    Subjects are ints, the real ones first, each its own order key. With ``shards`` > 1 only
    the subjects ``s % shards == shard`` are loaded (their arrays and template bytes copied
    out of the mapped files): the shard a Dask worker keeps (:mod:`station.service.cluster`).
    With ``index`` (centroids trained on the whole gallery) the subjects are filed in its
    cells and a probe visits ``nprobe`` of them.
    """
    if not 0 <= shard < shards:
        raise ValueError(f"shard must be in 0..{shards - 1}, got {shard}")
    arrays = {
        name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _FILES
    }
    codes, scales = arrays["codes"], arrays["scales"]
    blobs = TemplateBlobs(arrays["blob"], arrays["starts"], arrays["ends"])
    n = len(codes) // len(FINGERS)
    subject = np.tile(np.arange(n), len(FINGERS))
    finger = np.repeat(np.arange(len(FINGERS)), n)
    if shards > 1:
        mine = np.flatnonzero(subject % shards == shard)
        codes, scales, subject, finger = codes[mine], scales[mine], subject[mine], finger[mine]
        blobs = blobs.take(mine).compact()
    ids = subject.tolist()
    gallery = SearchGallery()
    gallery.add_encoded(ids, [FINGERS[k] for k in finger.tolist()], blobs, codes, scales, keys=ids)
    if index is not None:
        gallery.use_index(index, nprobe=nprobe)
    return gallery


@dataclass
class ScaleResult:
    """Figures of the large-gallery search."""

    subjects: int
    real_subjects: int
    templates: int
    probes: int
    rank1: float
    first_stage_miss_rate: float
    penetration: float
    latency_ms: list[float]
    cpu_ms: list[float]
    bytes_per_subject: float
    startup_s: float
    load_average: tuple[float, float, float]
    stage1_cpu_ms: list[float] = field(default_factory=list)
    stage1_penetration: float = 1.0

    def as_dict(self) -> dict:
        return {
            "gallery_subjects": self.subjects,
            "real_subjects": self.real_subjects,
            "standin_subjects": self.subjects - self.real_subjects,
            "standins": STANDIN_NOTE,
            "templates": self.templates,
            "probes": self.probes,
            "rank1": self.rank1,
            "first_stage_miss_rate": self.first_stage_miss_rate,
            "penetration_rate": self.penetration,
            "latency_ms_median": statistics.median(self.latency_ms),
            "latency_ms_p95": float(np.percentile(self.latency_ms, 95)),
            "cpu_ms_median": statistics.median(self.cpu_ms),
            "stage1_cpu_ms_median": statistics.median(self.stage1_cpu_ms)
            if self.stage1_cpu_ms
            else None,
            "stage1_penetration": self.stage1_penetration,
            "bytes_per_subject": self.bytes_per_subject,
            "cache_startup_s": self.startup_s,
            "load_average": list(self.load_average),
        }


def measure(
    gallery: SearchGallery,
    probes: list[tuple[int, dict[str, Template]]],
    *,
    real: int,
    startup_s: float,
) -> ScaleResult:
    """Search every probe once; rank-1, the stage-1 miss rate, latency and memory.

    A probe is ``(true subject, {finger: template})``; the caller pins the process to one
    core. The stage-1 miss is judged from the same shortlist the search used, computed a
    second time to time stage 1 alone (``stage1_cpu_ms``: CPU, the probe's descriptors
    included). Latency is wall time; ``cpu_ms`` is the process's CPU time for the same call
    (on a machine shared with other work the two differ by the time the core was given to
    others). ``stage1_penetration`` is the mean share of the gallery stage 1 scores (1 for the
    linear scan; less with an inverted-file index).
    """
    if not probes:
        raise ValueError("no probes")
    shortlist = gallery.params.shortlist
    hits = misses = 0
    latency, cpu, stage1_cpu = [], [], []
    scored = 0
    load = os.getloadavg()
    for subject, fingers in probes:
        start, start_cpu = time.perf_counter(), time.process_time()
        found = search(fingers, gallery)
        latency.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.process_time() - start_cpu) * 1e3)
        hits += bool(found) and found[0].subject == subject
        start_cpu = time.process_time()
        first = gallery.shortlist(fingers, shortlist)
        stage1_cpu.append((time.process_time() - start_cpu) * 1e3)
        misses += subject not in {s for _, _, s in first}
        scored += gallery.stage1_subjects(fingers)
    load = tuple((a + b) / 2 for a, b in zip(load, os.getloadavg(), strict=True))
    n = len(probes)
    return ScaleResult(
        subjects=len(gallery),
        real_subjects=real,
        templates=gallery.template_count,
        probes=n,
        rank1=hits / n,
        first_stage_miss_rate=misses / n,
        penetration=min(shortlist, len(gallery)) / len(gallery),
        latency_ms=latency,
        cpu_ms=cpu,
        bytes_per_subject=gallery.nbytes / len(gallery),
        startup_s=startup_s,
        load_average=load,  # type: ignore[arg-type]
        stage1_cpu_ms=stage1_cpu,
        stage1_penetration=scored / n / len(gallery),
    )


def cached_gallery_path(cache: Path, real: int, subjects: int, seed: int = 16) -> Path:
    """Where the gallery of these sizes is cached (a folder of ``.npy`` files)."""
    return cache / f"search-{_key(real, subjects, seed)}"
