"""Image quality: a 0–100 score (NFIQ 2 style), a level 1–5 (NFIQ 1 style) and a reason.

Built from measurable features, as NFIQ 2 is (Tabassi et al., NIST IR 8382): the foreground
area, the orientation coherence and ridge clarity over the foreground, and the minutiae found
with their quality. The reason names the failing feature in an officer's words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NO_FINGER", "USABLE_MINUTIAE", "QualityReport", "assess", "level_for_score"]

NO_FINGER = "no usable finger"


@dataclass(frozen=True)
class QualityReport:
    """Quality of one print: ``score`` 0–100, ``level`` 1 (excellent) – 5 (poor), ``reason``."""

    score: int
    level: int
    reason: str
    features: dict[str, float]


#: A print with fewer minutiae than this cannot be matched reliably, however clean it looks
#: (a sliver or a minutia-poor core area): it is graded poor so the station asks for a
#: recapture, and benchmarks count it as a failure to acquire (ISO/IEC 19795-1).
USABLE_MINUTIAE = 8
#: Highest score a print with too few minutiae may get (inside level 5).
_FEW_MINUTIAE_CAP = 20


def _level(score: int) -> int:
    for level, floor in ((1, 75), (2, 60), (3, 45), (4, 25)):
        if score >= floor:
            return level
    return 5


def level_for_score(score: int) -> int:
    """The level 1 (excellent) – 5 (poor) that a 0–100 quality score falls in.

    The same bands the extractor grades with, for scores that come from elsewhere (e.g. a
    standard minutiae record that carries only the score).

    Examples
    --------
    >>> level_for_score(80), level_for_score(45), level_for_score(0)
    (1, 3, 5)
    """
    return _level(int(score))


def assess(
    *,
    area: float,
    coherence: float,
    clarity: float,
    minutiae: int,
    minutia_quality: float,
    ridge_share: float,
    contrast: float,
) -> QualityReport:
    """Score a print from its features.

    Parameters
    ----------
    area : float
        Foreground area (px² at 500 ppi).
    coherence : float
        Mean orientation coherence over the foreground, 0..1.
    clarity : float
        Mean share of AC energy in the oriented ridge band over the foreground, 0..1.
    minutiae : int
        Minutiae kept.
    minutia_quality : float
        Their mean quality, 0..1.
    ridge_share : float
        Share of the foreground darker than its middle grey (thin, broken ridges: low; wet,
        merged ridges: high).
    contrast : float
        Grey-level standard deviation over the foreground.

    Returns
    -------
    report : QualityReport
    """
    features = {
        "area": area,
        "coherence": coherence,
        "clarity": clarity,
        "minutiae": float(minutiae),
        "minutia_quality": minutia_quality,
        "ridge_share": ridge_share,
        "contrast": contrast,
    }
    if area <= 0:
        return QualityReport(0, 5, NO_FINGER, features)
    # Each feature is mapped to 0..1 over the range where prints go from unusable to
    # excellent; the area scales the whole (a sliver of a finger is never a good print).
    area_f = float(np.clip(area / 70_000.0, 0.0, 1.0))
    coh_f = float(np.clip((coherence - 0.5) / 0.45, 0.0, 1.0))
    clar_f = float(np.clip((clarity - 0.3) / 0.5, 0.0, 1.0))
    contrast_f = float(np.clip((contrast - 15.0) / 45.0, 0.0, 1.0))
    min_f = float(np.clip(minutiae / 20.0, 0.0, 1.0)) * (0.5 + 0.5 * minutia_quality)
    blend = 0.3 * coh_f + 0.4 * clar_f + 0.15 * contrast_f + 0.15 * min_f
    score = round(100 * np.sqrt(area_f) * blend)
    score = int(np.clip(score, 0, 100))
    reason = "good"
    if score < 60:
        if area < 35_000:
            reason = "partial"
        elif contrast < 18:
            reason = "too light"
        elif ridge_share < 0.38:
            reason = "too dry"
        elif ridge_share > 0.62:
            reason = "too wet"
        else:
            reason = "smudged"
    if minutiae < USABLE_MINUTIAE:
        score = min(score, _FEW_MINUTIAE_CAP)
        reason = "too few minutiae"
    if minutiae == 0 and score < 25:
        reason = NO_FINGER
    return QualityReport(score, _level(score), reason, features)
