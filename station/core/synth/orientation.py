"""Orientation field of a master print.

Loops, whorls and tented arches use the zero-pole model of Sherlock and Monro ("A model for
interpreting fingerprint topology", Pattern Recognition 26, 1993)::

    theta(z) = theta_inf + 1/2 * (sum_cores arg(z - c) - sum_deltas arg(z - d))

Plain arches, which have no singular points, use ridges that follow bumps
``y = y0 - a(y0) * exp(-u**2 / (2 s**2))`` rising toward the fingertip. A smooth random field is
added to both, so no two masters share a flow.

The half-angle sum has branch cuts: the ridge *orientation* is continuous, but the *direction*
``(cos theta, sin theta)`` flips across one ray from every singular point. The continuous phase
(``phase.continuous_phase``) folds across those rays, which is invisible only where ridges run
along them, so each ray is turned to follow the ridges leaving its point (for a delta, the arm
that points most toward the crease).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pattern import PadShape, SingularPoint

__all__ = ["doubled_angle", "orientation_field"]

_RING_RADIUS = 18.0  # px: where the cut direction of a singular point is read


def doubled_angle(
    x: np.ndarray, y: np.ndarray, points: list[SingularPoint], theta_inf: float
) -> np.ndarray:
    """``exp(2j*theta)`` of the zero-pole model: unambiguous, no branch cuts."""
    z = x + 1j * y
    field = np.full(z.shape, np.exp(2j * theta_inf), complex)
    for p in points:
        w = z - (p.x + 1j * p.y)
        w = w / np.maximum(np.abs(w), 1e-9)
        field *= w if p.kind == "core" else np.conj(w)
    return field


def _cut_directions(point: SingularPoint, sample) -> list[float]:
    """Angles of the rays from ``point`` along which ridges run radially, best first.

    ``sample(x, y)`` returns ``exp(2j*theta)`` at pixel coordinates. A core has one such ray,
    a delta three; a delta's are ordered from the one pointing most toward the crease.
    """
    beta = np.linspace(0.0, 2 * np.pi, 720, endpoint=False)
    xs = point.x + _RING_RADIUS * np.cos(beta)
    ys = point.y + _RING_RADIUS * np.sin(beta)
    # Radial alignment: exp(2j*theta) equals exp(2j*beta) where ridges point along the ray.
    misfit = np.angle(sample(xs, ys) * np.exp(-2j * beta))
    sign_change = np.sign(misfit) != np.sign(np.roll(misfit, -1))
    crossings = np.nonzero(sign_change & (np.abs(misfit) < 1.5))[0]
    if crossings.size == 0:
        return [float(np.pi / 2)]
    candidates = beta[crossings]
    if point.kind == "core":
        order = np.argsort(np.abs(misfit[crossings]))
    else:
        order = np.argsort(-np.sin(candidates))
    return [float(c) for c in candidates[order]]


@dataclass(frozen=True, eq=False)
class _Field:
    """``exp(2j*theta)`` of the zero-pole model turned by the noise, sampled bilinearly at
    pixel coordinates (edges clamped) from the grid samples around each point.

    Only the grid samples a sampled point touches are computed (a few thousand of the
    grid's hundred thousand), by a compiled loop (:mod:`._kernels`): each is
    ``exp(2j*theta_inf) * w_1 * … * w_K * exp(2j*noise)`` as :func:`doubled_angle` and the
    noise turn give it.

    Attributes
    ----------
    x, y : (M, N) ndarray of float64
        Pixel coordinates of the grid.
    start : complex
        ``exp(2j * theta_inf)``.
    points : (P, 3) ndarray of float64
        x, y and 1 (core) or 0 (delta) of each singular point.
    noise : (M, N) ndarray of float64
        The orientation noise (rad).
    """

    x: np.ndarray
    y: np.ndarray
    start: complex
    points: np.ndarray
    noise: np.ndarray

    def __call__(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        from ._kernels import doubled_samples

        xs = np.asarray(xs, float)
        ys = np.asarray(ys, float)
        flat = doubled_samples(
            xs.ravel(), ys.ravel(), self.x, self.y, self.start, self.points, self.noise
        )
        return flat.reshape(xs.shape)


def orientation_field(
    x: np.ndarray,
    y: np.ndarray,
    *,
    pattern: str,
    points: list[SingularPoint],
    pad: PadShape,
    noise: np.ndarray,
    theta_inf: float = 0.0,
    arch_height: float = 0.5,
) -> np.ndarray:
    """Ridge orientation of a master print, with branch cuts along the ridge flow.

    Parameters
    ----------
    x, y : (M, N) ndarray
        Pixel coordinates of the grid (x to the right, y down).
    pattern : str
        Henry class (``'arch'`` uses the bump model, the others the zero-pole model).
    points : list of SingularPoint
        Cores and deltas in pixels.
    pad : PadShape
        Pad outline (the arch model scales with it).
    noise : (M, N) ndarray
        Smooth perturbation added to the orientation, radians.
    theta_inf : float, optional
        Orientation far from the singular points (rad); 0 is horizontal.
    arch_height : float, optional
        Arch model only: rise of the ridges at the fingertip, as a share of the pad height.

    Returns
    -------
    theta : (M, N) ndarray of float64
        Ridge orientation in radians, measured from +x toward +y (image convention). Its
        direction ``(cos, sin)`` flips sign only across the cut rays described above.
    """
    if not points:
        u, v = pad.normalised(x, y)
        s = 0.42
        rise = arch_height * pad.half_height * np.clip(0.55 - 0.45 * v, 0.05, None)
        slope = rise * (u / s**2) * np.exp(-(u**2) / (2 * s**2)) / pad.half_width
        return theta_inf + np.arctan(slope) + noise

    sample = _Field(
        np.ascontiguousarray(x, float),
        np.ascontiguousarray(y, float),
        complex(np.exp(2j * theta_inf)),
        np.array([(p.x, p.y, 1.0 if p.kind == "core" else 0.0) for p in points], float),
        np.ascontiguousarray(noise, float),
    )

    from ._kernels import add_half_turn

    theta = np.full(x.shape, theta_inf) + noise
    z = x + 1j * y
    for p, cuts, free in _cut_plan(pattern, points, sample):
        cut, line = cuts[0], None
        if free:
            cut, line = _first_clean_cut(p, cuts, sample, x, y)
        phi, lead = _polar_lead(z - (p.x + 1j * p.y), p, cut, line)
        add_half_turn(theta, phi, lead, 1.0 if p.kind == "core" else -1.0)
    return theta


def _cut_plan(pattern: str, points: list[SingularPoint], sample):
    """Candidate cut ray angles of every singular point, and whether it runs free.

    A whorl's two cores and a tented arch's core and delta share one cut: the first point's
    ray aims at the second and the second's ray continues in the same direction, so the two
    half-turn flips cancel beyond the second point and only the short segment between them
    folds. Every other ray follows the ridge flow out of the pad.
    """
    cores = [p for p in points if p.kind == "core"]
    deltas = [p for p in points if p.kind == "delta"]
    plan: list[tuple[SingularPoint, list[float], bool]] = []
    paired: list[SingularPoint] = []
    if pattern == "whorl" and len(cores) == 2:
        paired = cores
    elif pattern == "tented_arch" and cores and deltas:
        paired = [cores[0], deltas[0]]
    if paired:
        a, b = paired
        joint = float(np.arctan2(b.y - a.y, b.x - a.x))
        plan += [(a, [joint], False), (b, [joint], False)]
    for p in points:
        if p not in paired:
            plan.append((p, _cut_directions(p, sample), True))
    return plan


def _first_clean_cut(
    p: SingularPoint, cuts: list[float], sample: _Field, x: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray | None]:
    """The first candidate ray whose streamline leaves the grid (else the first, straight)."""
    for cut in cuts:
        line = _streamline(p, cut, sample, x, y)
        if line is not None:
            return cut, line
    return cuts[0], None


def _streamline(
    p: SingularPoint, cut: float, sample: _Field, x: np.ndarray, y: np.ndarray, step: float = 3.0
) -> np.ndarray | None:
    """Points of the ridge-flow line leaving ``p`` at angle ``cut``, until it leaves the grid.

    Straight for the first ring radius (the flow is radial there), then one ``step`` at a time
    along the field, keeping the direction of the previous step (a compiled loop,
    :func:`._kernels.streamline`).

    Returns ``None`` when the line does not leave the grid (it circles a core): the straight
    ray is kept then.
    """
    from ._kernels import streamline

    x0, x1, y0, y1 = float(x[0, 0]), float(x[0, -1]), float(y[0, 0]), float(y[-1, 0])
    n_steps = int(2 * (x1 - x0 + y1 - y0) / step)
    line = streamline(
        sample.x,
        sample.y,
        sample.start,
        sample.points,
        sample.noise,
        (float(p.x), float(p.y)),
        float(cut),
        n_steps,
        float(step),
        _RING_RADIUS,
    )
    return line if len(line) else None


def _polar_lead(
    w: np.ndarray, p: SingularPoint, cut: float, line: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The angle ``phi`` of ``w`` (``z - p``) and the cut's angle ``phi_L`` at its radius.

    The line is read in polar form about ``p``: its angle ``phi_L(r)`` at each radius
    (unwrapped, radius made non-decreasing); with no line, ``phi_L`` is the ray ``cut``.
    """
    r = np.abs(w)
    phi = np.angle(w)
    if line is None or len(line) < 3:
        lead = np.full(r.shape, float(cut))
    else:
        rel = (line[1:, 0] - p.x) + 1j * (line[1:, 1] - p.y)  # line[0] is p itself
        radius = np.maximum.accumulate(np.abs(rel))
        angle = np.unwrap(np.angle(rel))
        angle += cut - angle[0]  # the line leaves p along the cut: start on that branch
        keep = np.concatenate([[True], np.diff(radius) > 1e-6])
        lead = np.interp(r, radius[keep], angle[keep])
    return phi, lead
