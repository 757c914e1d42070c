"""Score calibration: the score a comparison must reach for a given false match rate.

The table ``calibration.json`` beside this module maps false match rates to thresholds. It is
measured, not assumed: ``station bench --calibrate`` compares every pair of prints of
*different* fingers in the synthetic verification set (mixed sizes and quality) and writes
the thresholds at which the share of impostor scores reaching them is 10⁻¹ … 10⁻⁵, with the
number of comparisons behind them. Between table entries the threshold is interpolated
linearly in log(FMR).
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from .metrics import threshold_at_fmr

__all__ = ["CALIBRATION_FMRS", "calibration_table", "threshold", "write_calibration"]

#: False match rates written to the table.
CALIBRATION_FMRS = (1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5)
_FILE = "calibration.json"


@cache
def calibration_table() -> dict:
    """The packaged calibration: ``{"fmr": [...], "threshold": [...], "impostors": N, ...}``."""
    text = resources.files(__package__).joinpath(_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def threshold(fmr: float) -> float:
    """The comparison score whose false match rate is ``fmr`` (per 1:1 comparison).

    Parameters
    ----------
    fmr : float
        Between the table's smallest rate (1/100 000) and 0.1, e.g. ``1e-3``, ``1e-4``.

    Returns
    -------
    score : float
        Accept a comparison as a match when ``compare(a, b) >= threshold(fmr)``.

    Raises
    ------
    ValueError
        ``fmr`` outside the calibrated range.

    Examples
    --------
    >>> threshold(1e-3) < threshold(1e-4) < threshold(1e-5)
    True
    """
    table = calibration_table()
    rates = np.log10(np.asarray(table["fmr"], np.float64))
    values = np.asarray(table["threshold"], np.float64)
    if not isinstance(fmr, (int, float)) or not math.isfinite(fmr) or fmr <= 0:
        raise ValueError(f"fmr must be a positive number, got {fmr!r}")
    x = math.log10(fmr)
    if not rates.min() - 1e-9 <= x <= rates.max() + 1e-9:
        raise ValueError(
            f"fmr {fmr:g} is outside the calibrated range "
            f"{10 ** rates.min():g} … {10 ** rates.max():g}"
        )
    order = np.argsort(rates)
    return float(np.interp(x, rates[order], values[order]))


def write_calibration(impostor: np.ndarray, path: Path, *, source: str) -> dict:
    """Measure the thresholds on impostor scores and write the table (JSON)."""
    scores = np.asarray(impostor, np.float64)
    if scores.size < 1 / min(CALIBRATION_FMRS):
        raise ValueError(
            f"{scores.size} impostor scores cannot resolve an FMR of {min(CALIBRATION_FMRS):g}"
        )
    table = {
        "fmr": list(CALIBRATION_FMRS),
        "threshold": [round(threshold_at_fmr(scores, f), 6) for f in CALIBRATION_FMRS],
        "impostors": int(scores.size),
        "source": source,
    }
    path.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    calibration_table.cache_clear()
    return table
