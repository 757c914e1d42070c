"""Tenprint 1:N identification: rank-1 rate, pre-selection miss rate, search latency.

Probes are fresh rolled impressions (never enrolled) of gallery subjects, extracted by the
project's extractor. Latency is the wall time of one :func:`station.core.match.search` call;
it includes computing the probe's and the shortlisted gallery templates' cylinders (only
templates shortlisted again for a later probe may still be in the matcher's cache).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.match import SearchGallery, search

__all__ = ["IdentificationResult", "identify"]


@dataclass
class IdentificationResult:
    """Figures of one identification run."""

    gallery_subjects: int
    probes: int
    rank1: float
    preselection_miss_rate: float
    penetration: float
    latency_ms: list[float]

    @property
    def latency_ms_median(self) -> float:
        return statistics.median(self.latency_ms)

    @property
    def latency_ms_p95(self) -> float:
        return float(np.percentile(self.latency_ms, 95))

    def as_dict(self) -> dict[str, float | int]:
        return {
            "gallery_subjects": self.gallery_subjects,
            "probes": self.probes,
            "rank1": self.rank1,
            "first_stage_miss_rate": self.preselection_miss_rate,
            "penetration_rate": self.penetration,
            "latency_ms_median": self.latency_ms_median,
            "latency_ms_p95": self.latency_ms_p95,
        }


def identify(
    gallery: SearchGallery,
    probes: Sequence[tuple[Hashable, dict]],
) -> IdentificationResult:
    """Search every probe (``(true subject, {finger: template})``) and score the ranking."""
    if not probes:
        raise ValueError("no probes")
    shortlist = gallery.params.shortlist
    hits = misses = 0
    latency = []
    for subject, fingers in probes:
        start = time.perf_counter()
        candidates = search(fingers, gallery)
        latency.append((time.perf_counter() - start) * 1e3)
        hits += bool(candidates) and candidates[0].subject == subject
        first = gallery.preselect(fingers)
        row = gallery.subjects.index(subject)
        # Rank of the mate in stage 1 (ties resolved as the search does: by gallery order).
        better = int(np.count_nonzero(first > first[row]))
        better += int(np.count_nonzero(first[:row] == first[row]))
        misses += better >= shortlist
    n = len(probes)
    return IdentificationResult(
        gallery_subjects=len(gallery),
        probes=n,
        rank1=hits / n,
        preselection_miss_rate=misses / n,
        penetration=min(shortlist, len(gallery)) / len(gallery),
        latency_ms=latency,
    )
