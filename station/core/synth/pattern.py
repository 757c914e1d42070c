"""Pattern class, pad shape and singular points of a master print.

Singular points are placed per Henry class in pad-normalised coordinates ``(u, v)``: ``u`` runs
from -1 (left edge of the pad) to 1 (right edge), ``v`` from -1 (fingertip) to 1 (the distal
crease), both through the pad centre. Image coordinates: ``x`` to the right, ``y`` down, pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import SynthParameters

__all__ = ["PadShape", "SingularPoint", "place_singular_points", "sample_class"]


@dataclass(frozen=True)
class SingularPoint:
    """A core (``kind='core'``, Poincaré index +1/2) or delta (``'delta'``, index -1/2), px."""

    kind: str
    x: float
    y: float


@dataclass(frozen=True)
class PadShape:
    """Outline of a finger's distal pad: rounded at the tip, squarer at the crease.

    Attributes are pixels in master coordinates.
    """

    cx: float
    cy: float
    half_width: float
    half_height: float

    def normalised(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pad-normalised ``(u, v)`` of pixel coordinates ``(x, y)``."""
        return (x - self.cx) / self.half_width, (y - self.cy) / self.half_height

    def level(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Shape function: < 1 inside the pad, 1 on its outline, > 1 outside."""
        u, v = np.broadcast_arrays(*self.normalised(np.asarray(x, float), np.asarray(y, float)))
        level = np.empty(u.shape)
        # Each half only where it applies: the cube root costs most, and half the pad is tip.
        tip = v < 0
        level[tip] = np.hypot(u[tip], v[tip])  # half-ellipse at the fingertip
        # Squarer at the crease: (|u|**3 + max(v, 0)**8) ** (1/3), by products and a cube
        # root (np.power with these exponents is several times slower).
        crease = ~tip
        a = np.abs(u[crease])
        c = np.clip(v[crease], 0, None)
        c *= c
        c *= c
        c *= c
        level[crease] = np.maximum(np.cbrt(a * a * a + c), a)
        return level

    def inside(self, x: np.ndarray, y: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Boolean mask of points at least about ``margin`` px inside the outline."""
        scale = min(self.half_width, self.half_height)
        return self.level(x, y) <= 1.0 - margin / scale


def sample_class(rng: np.random.Generator, params: SynthParameters) -> str:
    """Draw a Henry class at the natural frequencies of ``params.class_frequencies``."""
    names = [name for name, _ in params.class_frequencies]
    weights = np.array([w for _, w in params.class_frequencies], float)
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def place_singular_points(
    rng: np.random.Generator, pattern: str, pad: PadShape
) -> list[SingularPoint]:
    """Cores and deltas of a pattern class, jittered around their usual places.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    pattern : {'arch', 'tented_arch', 'left_loop', 'right_loop', 'whorl'}
        Henry class. A left loop opens to the left with its delta on the right.
    pad : PadShape
        Pad outline the points are placed in.

    Returns
    -------
    points : list of SingularPoint
        In master pixel coordinates.
    """

    def at(kind: str, u: float, v: float, jitter: float = 0.07) -> SingularPoint:
        du, dv = rng.normal(0.0, jitter, 2)
        return SingularPoint(
            kind, pad.cx + (u + du) * pad.half_width, pad.cy + (v + dv) * pad.half_height
        )

    if pattern == "arch":
        return []
    if pattern == "tented_arch":
        core = at("core", 0.0, -0.05)
        gap = rng.uniform(0.16, 0.26) * pad.half_height
        return [core, SingularPoint("delta", core.x + rng.normal(0, 4), core.y + gap)]
    if pattern in ("left_loop", "right_loop"):
        side = 1.0 if pattern == "left_loop" else -1.0
        core = at("core", -0.08 * side, -0.12)
        delta = at("delta", side * rng.uniform(0.42, 0.6), rng.uniform(0.3, 0.5), 0.04)
        return [core, delta]
    if pattern == "whorl":
        # Two cores a ridge or three apart (a plain whorl or a double loop), two deltas.
        tilt = rng.normal(0.0, 0.5)
        sep = rng.uniform(0.08, 0.2)
        centre_u, centre_v = rng.normal(0.0, 0.05), -0.1 + rng.normal(0.0, 0.05)
        du, dv = sep * np.sin(tilt), sep * np.cos(tilt)
        return [
            at("core", centre_u - du, centre_v - dv, 0.02),
            at("core", centre_u + du, centre_v + dv, 0.02),
            at("delta", -rng.uniform(0.5, 0.65), rng.uniform(0.35, 0.5), 0.04),
            at("delta", rng.uniform(0.5, 0.65), rng.uniform(0.35, 0.5), 0.04),
        ]
    raise ValueError(f"unknown pattern class {pattern!r}")
