"""1:1 verification under the FVC protocol, on synthetic sets or a folder of FVC-style images.

Protocol (Maio et al., FVC2000–2004): with F fingers of I impressions, genuine comparisons are
every pair of impressions of one finger (F·I·(I−1)/2); impostor comparisons are the first
impression of each finger against the first impression of every other finger (F·(F−1)/2);
with ``all_impostors`` every pair of prints of different fingers ("all pairs", as the
dev-print figures are quoted).

Prints the extractor cannot use (fewer than ``USABLE_MINUTIAE`` minutiae) are failures to
acquire (FTA, ISO/IEC 19795-1). The error rates are given three ways: over the comparisons of
acquired prints (the station would have asked for a recapture of the others); over every
comparison with failed prints compared as they are (FVC style); and "generalised", where
every comparison involving a failed print counts as a non-match.
"""

from __future__ import annotations

import itertools
import logging
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.extract.quality import USABLE_MINUTIAE
from ..core.match import Cylinders, compare, prepare
from ..core.match.metrics import ErrorRates, error_rates
from ..core.template import Template

__all__ = ["VerificationResult", "fvc_folder", "verify"]

log = logging.getLogger(__name__)

_FVC_NAME = re.compile(r"^(\d+)_(\d+)\.(tif|tiff|bmp|png)$", re.IGNORECASE)


@dataclass
class VerificationResult:
    """Scores and figures of one verification run."""

    fingers: int
    impressions: int
    genuine: np.ndarray
    impostor: np.ndarray
    genuine_ok: np.ndarray  # genuine comparison between two acquired prints
    impostor_ok: np.ndarray
    failed: int  # prints that failed to acquire
    prints: int
    compare_ms: list[float]

    @property
    def rates(self) -> ErrorRates:
        """Rates over comparisons of acquired prints."""
        return error_rates(self.genuine[self.genuine_ok], self.impostor[self.impostor_ok])

    @property
    def all_prints(self) -> ErrorRates:
        """Rates over every comparison, failed prints compared as extracted (FVC style)."""
        return error_rates(self.genuine, self.impostor)

    @property
    def generalised(self) -> ErrorRates:
        """Rates with every comparison involving a failed print scored 0."""
        return error_rates(
            np.where(self.genuine_ok, self.genuine, 0.0),
            np.where(self.impostor_ok, self.impostor, 0.0),
        )

    @property
    def compare_ms_median(self) -> float:
        return statistics.median(self.compare_ms) if self.compare_ms else float("nan")


def verify(
    templates: Sequence[Template],
    fingers: int,
    impressions: int,
    *,
    all_impostors: bool = False,
) -> VerificationResult:
    """Run the FVC protocol on templates ordered finger by finger, impression by impression.

    Comparison time is the wall time of ``compare`` on templates already prepared (the
    cylinders of a template are computed once, as the station does when it enrols).

    Parameters
    ----------
    templates : sequence of Template
    fingers, impressions : int
    all_impostors : bool, optional
        Impostor comparisons are every pair of prints of different fingers
        (I²·F·(F−1)/2, "all pairs") instead of first impressions only.
    """
    if len(templates) != fingers * impressions:
        raise ValueError(f"expected {fingers * impressions} templates, got {len(templates)}")
    usable = np.array([len(t) >= USABLE_MINUTIAE for t in templates])
    templates = [prepare(t) for t in templates]  # cylinders held for the whole run
    times: list[float] = []

    def timed(a: Cylinders, b: Cylinders) -> float:
        start = time.perf_counter()
        score = compare(a, b)
        times.append((time.perf_counter() - start) * 1e3)
        return score

    gen, gen_ok, imp, imp_ok = [], [], [], []
    for f in range(fingers):
        for a, b in itertools.combinations(range(impressions), 2):
            i, j = f * impressions + a, f * impressions + b
            gen.append(timed(templates[i], templates[j]))
            gen_ok.append(usable[i] and usable[j])
    firsts = range(0, len(templates), impressions)
    for i, j in itertools.combinations(range(len(templates)) if all_impostors else firsts, 2):
        if i // impressions == j // impressions:
            continue
        imp.append(timed(templates[i], templates[j]))
        imp_ok.append(usable[i] and usable[j])
    return VerificationResult(
        fingers=fingers,
        impressions=impressions,
        genuine=np.array(gen),
        impostor=np.array(imp),
        genuine_ok=np.array(gen_ok, bool),
        impostor_ok=np.array(imp_ok, bool),
        failed=int((~usable).sum()),
        prints=len(templates),
        compare_ms=times,
    )


def fvc_folder(folder: Path) -> tuple[list[Path], int, int]:
    """The images of an FVC-style folder (``<finger>_<impression>.tif|bmp|png``), ordered.

    Returns
    -------
    paths : list of Path
        Finger by finger, impression by impression.
    fingers, impressions : int

    Raises
    ------
    ValueError
        No matching files, or fingers with different numbers of impressions.
    """
    if not folder.is_dir():
        raise ValueError(f"not a folder: {folder}")
    groups: dict[int, dict[int, Path]] = {}
    for path in folder.iterdir():
        match = _FVC_NAME.match(path.name)
        if match:
            groups.setdefault(int(match[1]), {})[int(match[2])] = path
    if not groups:
        raise ValueError(f"no FVC-style images (<finger>_<impression>.tif/.bmp/.png) in {folder}")
    counts = {len(v) for v in groups.values()}
    if len(counts) != 1 or min(counts) < 2:
        raise ValueError(
            f"{folder}: every finger needs the same number (>= 2) of impressions; "
            f"found {sorted(counts)}"
        )
    paths = [groups[f][i] for f in sorted(groups) for i in sorted(groups[f])]
    return paths, len(groups), counts.pop()
