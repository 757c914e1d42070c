"""Synthetic benchmark sets: which prints, rendered and extracted in parallel, with a cache.

A set is a list of :class:`PrintSpec`; :func:`build` renders each print with the generator,
extracts it with the project's extractor and returns the templates. Templates are cached on
disk under a key made of the spec *and a hash of the generator's and extractor's source code*,
so a change to either invalidates the cache by itself; nothing stale is ever reused.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import astuple, dataclass
from functools import cache
from pathlib import Path

import numpy as np

from ..core.template import Template, TemplateError
from ..core.vocabulary import FINGERS

__all__ = [
    "PrintSpec",
    "TruthSpec",
    "build",
    "code_version",
    "identification_gallery",
    "identification_probes",
    "sensor_set",
    "truth_template",
    "verification_set",
    "wsq_round_trip",
]

log = logging.getLogger(__name__)

_CODE_DIRS = ("core/synth", "core/extract")
_CODE_FILES = ("core/template.py", "core/angles.py", "core/vocabulary.py")


@dataclass(frozen=True)
class PrintSpec:
    """One synthetic print: who, which finger, which touch, and how it was taken."""

    subject: int
    finger: str
    impression: int
    kind: str = "flat"
    rows: int | None = None
    cols: int | None = None
    degradation: float | None = None
    population: int = 0
    wsq: bool = False  # round-trip the rendered print through WSQ before extraction
    #: A modelled device (a key of ``station.core.synth.sensors.SENSORS``): the print is a
    #: flat touch on it, at its resolution; ``kind``, ``rows``, ``cols``, ``degradation``
    #: are then unused.
    sensor: str | None = None

    def key(self) -> str:
        values = astuple(self)[:-2]  # without ``wsq``, ``sensor``: plain prints keep their keys
        text = "|".join(str(v) for v in values) + "|" + code_version()
        if self.wsq:
            text += "|wsq|" + wsq_version()
        if self.sensor is not None:
            text += "|sensor|" + self.sensor
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    @property
    def ppi(self) -> int:
        """Resolution of the rendered print (the sensor's, else 500)."""
        if self.sensor is None:
            return 500
        from ..core.synth.sensors import SENSORS

        return SENSORS[self.sensor].ppi

    def render(self) -> np.ndarray:
        from ..core.synth import impression

        if self.sensor is not None:
            from ..core.synth.sensors import SENSORS, sensor_impression

            image, _ = sensor_impression(
                self.subject,
                self.finger,
                self.impression,
                SENSORS[self.sensor],
                population=self.population,
            )
            return wsq_round_trip(image, ppi=self.ppi) if self.wsq else image
        size = None if self.rows is None else (self.rows, self.cols)
        image, _ = impression(
            self.subject,
            self.finger,
            self.impression,
            population=self.population,
            kind=self.kind,
            size=size,
            degradation=self.degradation,
        )
        return wsq_round_trip(image) if self.wsq else image


def wsq_round_trip(image: np.ndarray, *, ppi: int = 500) -> np.ndarray:
    """``image`` compressed with WSQ (0.75 bpp, ``ppi`` recorded) and decompressed again."""
    from ..interchange import wsq

    return wsq.decode(wsq.encode(image, ppi=ppi))


@cache
def wsq_version() -> str:
    """Hash of the WSQ module's source and the codec's version: part of WSQ cache keys."""
    from importlib.metadata import version

    source = (Path(__file__).resolve().parent.parent / "interchange" / "wsq.py").read_bytes()
    return hashlib.sha256(source + version("wsq").encode()).hexdigest()[:16]


@cache
def code_version() -> str:
    """Hash of the generator's and extractor's source: part of every cache key."""
    root = Path(__file__).resolve().parent.parent
    files = [root / f for f in _CODE_FILES]
    for d in _CODE_DIRS:
        files.extend(sorted((root / d).rglob("*.py")))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(root).as_posix().encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


# Mix of capture conditions for the verification set: (share, kind, rows, cols).
_SIZES = (
    (0.40, "flat", 512, 512),
    (0.20, "rolled", None, None),
    (0.20, "flat", 400, 400),
    (0.20, "flat", 300, 300),
)
# Degradation bands: (share, low, high).
_GRADES = ((0.40, 0.0, 0.3), (0.35, 0.3, 0.6), (0.25, 0.6, 0.9))


def verification_set(
    fingers: int = 100,
    impressions: int = 8,
    *,
    population: int = 0,
    first_subject: int = 40_000,
    wsq: bool = False,
) -> list[PrintSpec]:
    """A hard, varied verification set: each finger's impressions in mixed conditions.

    Finger ``i`` is finger ``FINGERS[i % 10]`` of subject ``first_subject + i``. Each
    impression draws (from a seeded stream, so the set is fixed) a capture size — 512², a
    rolled print, 400² or a small 300² sensor — and a degradation band (good, fair, poor);
    rotation, translation, distortion, partial contact and dry/wet skin come from the
    generator's own per-impression draw. With ``wsq`` every print is round-tripped through
    WSQ before extraction (the same prints otherwise).
    """
    if fingers < 2 or impressions < 2:
        raise ValueError("a verification set needs at least 2 fingers and 2 impressions each")
    rng = np.random.default_rng([population, first_subject, fingers, impressions, 0xBE7C])
    specs = []
    for i in range(fingers):
        for j in range(impressions):
            _, kind, rows, cols = _SIZES[rng.choice(len(_SIZES), p=[s[0] for s in _SIZES])]
            _, low, high = _GRADES[rng.choice(len(_GRADES), p=[g[0] for g in _GRADES])]
            specs.append(
                PrintSpec(
                    subject=first_subject + i,
                    finger=FINGERS[i % 10],
                    impression=j,
                    kind=kind,
                    rows=rows,
                    cols=cols,
                    degradation=round(float(rng.uniform(low, high)), 3),
                    population=population,
                    wsq=wsq,
                )
            )
    return specs


def sensor_set(
    sensor: str,
    fingers: int = 30,
    impressions: int = 8,
    *,
    population: int = 0,
    first_subject: int = 50_000,
    wsq: bool = False,
) -> list[PrintSpec]:
    """A verification set of one modelled sensor: ``impressions`` touches of each finger.

    Finger ``i`` is finger ``FINGERS[i % 10]`` of subject ``first_subject + i`` (other
    subjects than :func:`verification_set`'s). Everything about a touch (placement, skin,
    contrast, illumination) is drawn by :func:`station.core.synth.sensors.sensor_impression`
    within the sensor's profile.

    Raises
    ------
    ValueError
        Unknown sensor, or fewer than 2 fingers or impressions.
    """
    from ..core.synth.sensors import SENSORS

    if sensor not in SENSORS:
        raise ValueError(f"unknown sensor {sensor!r}: use one of {', '.join(SENSORS)}")
    if fingers < 2 or impressions < 2:
        raise ValueError("a verification set needs at least 2 fingers and 2 impressions each")
    return [
        PrintSpec(
            subject=first_subject + i,
            finger=FINGERS[i % 10],
            impression=j,
            population=population,
            wsq=wsq,
            sensor=sensor,
        )
        for i in range(fingers)
        for j in range(impressions)
    ]


def _make(spec: PrintSpec | TruthSpec) -> bytes:
    if isinstance(spec, TruthSpec):
        return _make_truth(spec)
    from ..core.extract import extract

    return extract(spec.render(), spec.ppi).to_bytes()


def build(
    specs: Sequence[PrintSpec | TruthSpec],
    *,
    cache_dir: Path | None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Template]:
    """Render and extract every spec (in parallel), reusing cached templates.

    Parameters
    ----------
    specs : sequence of PrintSpec
    cache_dir : Path or None
        Where templates are cached (created if missing); ``None`` disables the cache.
    workers : int, optional
        Processes; default all cores.
    progress : callable, optional
        Called as ``progress(done, total)``.

    Returns
    -------
    templates : list of Template
        In the order of ``specs``.
    """
    out: list[Template | None] = [None] * len(specs)
    todo: list[int] = []
    for n, spec in enumerate(specs):
        if cache_dir is not None:
            path = cache_dir / f"{spec.key()}.bstm"
            if path.is_file():
                try:
                    out[n] = Template.from_bytes(path.read_bytes())
                    continue
                except TemplateError:
                    log.warning("ignoring damaged cache entry %s", path)
        todo.append(n)
    done = len(specs) - len(todo)
    if progress:
        progress(done, len(specs))
    if todo:
        if cache_dir is not None:
            cache_dir.mkdir(parents=True, exist_ok=True)
        workers = workers or os.cpu_count() or 1
        with ProcessPoolExecutor(max_workers=workers) as pool:
            chunks = pool.map(_make, [specs[n] for n in todo], chunksize=16)
            for n, data in zip(todo, chunks, strict=True):
                if cache_dir is not None:
                    tmp = cache_dir / f"{specs[n].key()}.tmp"
                    tmp.write_bytes(data)
                    tmp.replace(cache_dir / f"{specs[n].key()}.bstm")
                out[n] = Template.from_bytes(data)
                done += 1
                if progress:
                    progress(done, len(specs))
    return [t for t in out if t is not None]


def identification_gallery(subjects: int, *, population: int = 1) -> list[PrintSpec]:
    """Ten rolled prints (impression 0, booking-like quality mix) of subjects ``0..subjects-1``."""
    return [
        PrintSpec(subject=s, finger=f, impression=0, kind="rolled", population=population)
        for s in range(subjects)
        for f in FINGERS
    ]


def identification_probes(subjects: int, *, population: int = 1) -> list[PrintSpec]:
    """Fresh rolled impressions (number 1, never enrolled) of subjects ``0..subjects-1``."""
    return [
        PrintSpec(subject=s, finger=f, impression=1, kind="rolled", population=population)
        for s in range(subjects)
        for f in FINGERS
    ]


@dataclass(frozen=True)
class TruthSpec:
    """A template made from a master print's ground-truth minutiae, perturbed like an
    extractor's output (see :func:`truth_template`)."""

    subject: int
    finger: str
    population: int = 1

    def key(self) -> str:
        text = "truth|" + "|".join(str(v) for v in astuple(self)) + "|" + code_version()
        return hashlib.sha256(text.encode()).hexdigest()[:24]


#: Master grid step (px) for truth templates: 8 instead of the renderer's 2 makes a master
#: 5x cheaper (15 ms) with the same singular points and minutia count, positions within
#: about a pixel; ample for templates that are perturbed by several pixels anyway.
TRUTH_MASTER_STEP = 8
#: Perturbation of truth templates, after published extractor error rates on rolled prints
#: (missed ~10 %, spurious ~10 %, displaced by a few pixels; cf. the extractor benchmark).
_MISSED = 0.10
_SPURIOUS = 0.10
_SHIFT_PX = 2.5
_TURN_RAD = 0.12
_TYPE_FLIP = 0.1


def truth_template(spec: TruthSpec) -> Template:
    """A rolled-print template from the generator's ground truth, perturbed.

    The master's minutiae are placed in an 800 × 750 rolled frame with a small random
    rotation and shift; 10 % are dropped, 10 % spurious ones added (directions taken from the
    nearest true minutia, as spurious minutiae follow the ridge flow), the rest displaced
    (2.5 px, 0.12 rad standard deviation) and 10 % of types flipped.
    """
    import dataclasses as dc

    from ..core.angles import wrap_angle
    from ..core.synth import rng as rngs
    from ..core.synth.master import make_master
    from ..core.synth.params import DEFAULT_PARAMETERS
    from ..core.vocabulary import finger_index

    params = dc.replace(DEFAULT_PARAMETERS, master_step=TRUTH_MASTER_STEP)
    master = make_master(
        rngs.stream(spec.population, spec.subject, finger_index(spec.finger), rngs.MASTER),
        spec.finger,
        params,
    )
    rng = np.random.default_rng([spec.population, spec.subject, finger_index(spec.finger), 77])
    m = np.asarray(master.minutiae[:, :4], np.float64)
    m = m[rng.random(len(m)) >= _MISSED]
    n_spur = rng.binomial(max(len(m), 1), _SPURIOUS)
    if len(m) and n_spur:
        lo, hi = m[:, :2].min(axis=0), m[:, :2].max(axis=0)
        xy = rng.uniform(lo, hi, (n_spur, 2))
        nearest = np.argmin(np.hypot(*(xy[:, None, :] - m[None, :, :2]).transpose(2, 0, 1)), 1)
        ang = m[nearest, 2] + rng.normal(0, 0.2, n_spur) + np.pi * rng.integers(0, 2, n_spur)
        m = np.vstack([m, np.column_stack([xy, ang, rng.integers(0, 2, n_spur)])])
    m[:, :2] += rng.normal(0, _SHIFT_PX, (len(m), 2))
    m[:, 2] += rng.normal(0, _TURN_RAD, len(m))
    flip = rng.random(len(m)) < _TYPE_FLIP
    m[flip, 3] = 1 - m[flip, 3]
    # Into a rolled frame: rotate about the pad centre, centre in 800 x 750, small shift.
    rot = rng.normal(0, 0.08)
    c, s = np.cos(rot), np.sin(rot)
    centre = np.array([master.pad.cx, master.pad.cy])
    rel = m[:, :2] - centre
    out_xy = np.column_stack([c * rel[:, 0] - s * rel[:, 1], s * rel[:, 0] + c * rel[:, 1]])
    out_xy += np.array([400.0, 375.0]) + rng.normal(0, 15, 2)
    keep = (out_xy[:, 0] >= 0) & (out_xy[:, 0] < 800) & (out_xy[:, 1] >= 0) & (out_xy[:, 1] < 750)
    minutiae = np.column_stack([out_xy, wrap_angle(m[:, 2] + rot), m[:, 3]])[keep]
    return Template(
        width=800,
        height=750,
        minutiae=minutiae.astype(np.float32),
        quality=70,
        level=2,
        reason="good",
    )


def _make_truth(spec: TruthSpec) -> bytes:
    return truth_template(spec).to_bytes()
