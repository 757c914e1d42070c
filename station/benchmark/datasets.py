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

from ..core.fingers import FINGERS
from ..core.template import Template, TemplateError

__all__ = ["PrintSpec", "build", "code_version", "verification_set"]

log = logging.getLogger(__name__)

_CODE_DIRS = ("core/synth", "core/extract")
_CODE_FILES = ("core/template.py", "core/angles.py", "core/fingers.py")


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

    def key(self) -> str:
        text = "|".join(str(v) for v in astuple(self)) + "|" + code_version()
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def render(self) -> np.ndarray:
        from ..core.synth import impression

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
        return image


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
    fingers: int = 100, impressions: int = 8, *, population: int = 0, first_subject: int = 40_000
) -> list[PrintSpec]:
    """A hard, varied verification set: each finger's impressions in mixed conditions.

    Finger ``i`` is finger ``FINGERS[i % 10]`` of subject ``first_subject + i``. Each
    impression draws (from a seeded stream, so the set is fixed) a capture size — 512², a
    rolled print, 400² or a small 300² sensor — and a degradation band (good, fair, poor);
    rotation, translation, distortion, partial contact and dry/wet skin come from the
    generator's own per-impression draw.
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
                )
            )
    return specs


def _make(spec: PrintSpec) -> bytes:
    from ..core.extract import extract

    return extract(spec.render()).to_bytes()


def build(
    specs: Sequence[PrintSpec],
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
            chunks = pool.map(_make, [specs[n] for n in todo], chunksize=4)
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
