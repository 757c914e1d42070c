"""Verification error rates from genuine and impostor scores (higher score = more similar).

Definitions follow the FVC protocol (Maio et al., "FVC2000: Fingerprint Verification
Competition", IEEE TPAMI 24, 2002; Cappelli et al., "Performance evaluation of fingerprint
verification systems", IEEE TPAMI 28, 2006): at threshold ``t`` a comparison is accepted when
``score >= t``; FMR(t) is the share of impostor scores accepted, FNMR(t) the share of genuine
scores rejected. EER is where the two curves cross; FMR100 / FMR1000 the lowest FNMR with
FMR <= 1 % / 0.1 %; ZeroFMR the lowest FNMR with no false match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ErrorRates", "error_rates", "rate_curves", "threshold_at_fmr"]


@dataclass(frozen=True)
class ErrorRates:
    """Summary figures of one verification experiment (rates are fractions 0..1)."""

    genuine: int
    impostor: int
    eer: float
    fmr100: float
    fmr1000: float
    zero_fmr: float

    def as_dict(self) -> dict[str, float | int]:
        return {
            "genuine": self.genuine,
            "impostor": self.impostor,
            "eer": self.eer,
            "fmr100": self.fmr100,
            "fmr1000": self.fmr1000,
            "zero_fmr": self.zero_fmr,
        }


def _check(scores: np.ndarray, name: str) -> np.ndarray:
    values = np.asarray(scores, np.float64).ravel()
    if values.size == 0:
        raise ValueError(f"no {name} scores")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} scores must be finite")
    return values


def rate_curves(
    genuine: np.ndarray, impostor: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FMR and FNMR at every distinct score used as the threshold.

    Parameters
    ----------
    genuine, impostor : (N,) array_like of float
        Scores of mated and non-mated comparisons.

    Returns
    -------
    thresholds : (T,) ndarray
        Increasing; a comparison is accepted when ``score >= threshold``. The last entry is
        above every score (nothing accepted).
    fmr, fnmr : (T,) ndarray
        Rates (0..1) at each threshold; ``fmr`` falls and ``fnmr`` rises along the array.
    """
    g = np.sort(_check(genuine, "genuine"))
    i = np.sort(_check(impostor, "impostor"))
    top = max(g[-1], i[-1])
    thresholds = np.unique(np.concatenate([g, i, [np.nextafter(top, np.inf)]]))
    fnmr = np.searchsorted(g, thresholds, side="left") / g.size
    fmr = (i.size - np.searchsorted(i, thresholds, side="left")) / i.size
    return thresholds, fmr, fnmr


def _lowest_fnmr(fmr: np.ndarray, fnmr: np.ndarray, limit: float) -> float:
    ok = fmr <= limit
    return float(fnmr[ok].min()) if ok.any() else 1.0


def error_rates(genuine: np.ndarray, impostor: np.ndarray) -> ErrorRates:
    """EER, FMR100, FMR1000 and ZeroFMR of a set of scores.

    Both rates are step functions, so they rarely meet exactly; the EER is estimated as in
    FVC (Maio et al. 2002): from the last threshold ``t1`` with FNMR <= FMR and the first
    ``t2`` with FNMR >= FMR, the interval of the closer pair, and its midpoint.

    Examples
    --------
    >>> round(error_rates([0.9, 0.8, 0.2], [0.1, 0.3, 0.05]).eer, 4)
    0.3333
    """
    _, fmr, fnmr = rate_curves(genuine, impostor)
    k1 = int(np.flatnonzero(fnmr <= fmr)[-1])
    k2 = int(np.flatnonzero(fnmr >= fmr)[0])
    if fnmr[k1] + fmr[k1] <= fmr[k2] + fnmr[k2]:
        low, high = fnmr[k1], fmr[k1]
    else:
        low, high = fmr[k2], fnmr[k2]
    eer = float((low + high) / 2)
    return ErrorRates(
        genuine=int(np.size(genuine)),
        impostor=int(np.size(impostor)),
        eer=eer,
        fmr100=_lowest_fnmr(fmr, fnmr, 0.01),
        fmr1000=_lowest_fnmr(fmr, fnmr, 0.001),
        zero_fmr=_lowest_fnmr(fmr, fnmr, 0.0),
    )


def threshold_at_fmr(impostor: np.ndarray, fmr: float) -> float:
    """The lowest threshold whose false match rate on these impostor scores is <= ``fmr``.

    Parameters
    ----------
    impostor : (N,) array_like of float
        Non-mated comparison scores.
    fmr : float
        Target false match rate, 0 < fmr < 1. With N scores, rates below 1/N cannot be
        resolved; the result is then just above the highest impostor score.
    """
    if not 0.0 < fmr < 1.0:
        raise ValueError(f"fmr must be between 0 and 1, got {fmr}")
    i = np.sort(_check(impostor, "impostor"))
    candidates = np.append(np.unique(i), np.nextafter(i[-1], np.inf))
    accepted = i.size - np.searchsorted(i, candidates, side="left")
    return float(candidates[np.argmax(accepted <= fmr * i.size)])
