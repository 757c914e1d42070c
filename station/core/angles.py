"""Angle helpers shared by the generator, the extractor and the matcher."""

from __future__ import annotations

import numpy as np

__all__ = ["wrap_angle"]


def wrap_angle(a: np.ndarray | float) -> np.ndarray:
    """Angles (rad) wrapped into [-pi, pi).

    Examples
    --------
    >>> float(wrap_angle(3 * np.pi / 2))
    -1.5707963267948966
    """
    return np.mod(np.asarray(a, dtype=float) + np.pi, 2 * np.pi) - np.pi
