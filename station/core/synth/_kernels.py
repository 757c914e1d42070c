"""Compiled loops of the generator (numba): the per-step and per-pixel work numpy does badly.

A master print's cut streamlines step through the orientation field a few hundred times in
plain Python; the greedy spacing checks of its minutiae compare each candidate with every
point placed so far in Python; its spiral field multiplies one complex factor per minutia
into every grid sample (numpy writes and re-reads the whole row block twice per factor). Each
loop here does the same arithmetic in the same order as the Python or numpy code it replaced
(which :mod:`tests.core.synth` keeps beside it as the reference), so a master is the same up
to the last bits of float rounding. ``cache=True`` keeps the machine code beside this file, so
only the first run after an install compiles; the module is imported on the first master.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["far_enough", "spiral_product", "spread_points", "streamline"]


@njit(cache=True)
def streamline(
    grid: np.ndarray,
    origin: tuple[float, float],
    steps: tuple[float, float],
    start: tuple[float, float],
    cut: float,
    bounds: tuple[float, float, float, float],
    n_steps: int,
    step: float,
    straight: float,
) -> np.ndarray:
    """Points of the ridge-flow line leaving ``start`` at angle ``cut`` (orientation's
    ``_streamline``).

    Parameters
    ----------
    grid : (M, N) ndarray of complex128
        ``exp(2j*theta)`` on the grid.
    origin : (x00, y00)
        Pixel coordinates of grid sample ``[0, 0]``.
    steps : (step_x, step_y)
        Grid spacing along x and y (px).
    start : (x, y)
        The singular point.
    cut : float
        Angle of the line where it leaves the point (rad).
    bounds : (x0, x1, y0, y1)
        The grid's extent; the line ends 8 px beyond it.
    n_steps, step : int, float
        Most steps taken, and their length (px).
    straight : float
        Distance the line runs straight before following the field (px).

    Returns
    -------
    line : (K, 2) ndarray of float64
        x, y of each point, ``start`` first; empty (0 rows) when the line never leaves the grid.
    """
    rows, cols = grid.shape
    x00, y00 = origin
    step_x, step_y = steps
    x0, x1, y0, y1 = bounds
    px, py = start
    hx, hy = math.cos(cut), math.sin(cut)
    line = np.empty((n_steps + 1, 2))
    line[0, 0], line[0, 1] = px, py
    for i in range(n_steps):
        if i * step >= straight:
            fr = min(max((py - y00) / step_y, 0.0), rows - 1.000001)
            fc = min(max((px - x00) / step_x, 0.0), cols - 1.000001)
            r0, c0 = int(fr), int(fc)
            wr, wc = fr - r0, fc - c0
            d2 = (
                grid[r0, c0] * (1 - wr) * (1 - wc)
                + grid[r0, c0 + 1] * (1 - wr) * wc
                + grid[r0 + 1, c0] * wr * (1 - wc)
                + grid[r0 + 1, c0 + 1] * wr * wc
            )
            angle = 0.5 * math.atan2(d2.imag, d2.real)
            rx, ry = math.cos(angle), math.sin(angle)
            if rx * hx + ry * hy >= 0:
                hx, hy = rx, ry
            else:
                hx, hy = -rx, -ry
        px, py = px + step * hx, py + step * hy
        line[i + 1, 0], line[i + 1, 1] = px, py
        if not (x0 - 8 <= px <= x1 + 8 and y0 - 8 <= py <= y1 + 8):
            return line[: i + 2].copy()
    return line[:0].copy()


@njit(cache=True)
def far_enough(px: float, py: float, xs: np.ndarray, ys: np.ndarray, spacing: float) -> bool:
    """Whether ``(px, py)`` is at least ``spacing`` from every point ``(xs[i], ys[i])``."""
    limit = spacing**2
    for i in range(xs.size):
        dx, dy = px - xs[i], py - ys[i]
        if not dx * dx + dy * dy >= limit:
            return False
    return True


@njit(cache=True)
def spread_points(
    xs: np.ndarray, ys: np.ndarray, placed: int, count: int, spacing: float
) -> int:
    """Greedy selection: keep candidates in order while fewer than ``count`` are kept.

    ``xs[:placed], ys[:placed]`` are kept already; candidate ``i >= placed`` is kept, and moved
    down to position ``kept``, when it is at least ``spacing`` from every kept point.

    Returns
    -------
    kept : int
        Points kept; they are ``xs[:kept], ys[:kept]`` (in place).
    """
    kept = placed
    for i in range(placed, xs.size):
        if kept >= count:
            break
        if far_enough(xs[i], ys[i], xs[:kept], ys[:kept], spacing):
            xs[kept], ys[kept] = xs[i], ys[i]
            kept += 1
    return kept


@njit(cache=True)
def spiral_product(
    re: np.ndarray,
    im: np.ndarray,
    centres_re: np.ndarray,
    centres_im: np.ndarray,
    positive: np.ndarray,
    every: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The unit-modulus product of ``(z or conj z) - centre`` over the centres, per sample.

    Parameters
    ----------
    re, im : (M, N) ndarray of float32
        Real and imaginary parts of ``z`` at each sample.
    centres_re, centres_im : (K,) ndarray of float32
        The centre of each factor (for a negative factor, ``conj`` of the minutia).
    positive : (K,) ndarray of bool
        Whether factor ``k`` takes ``z`` (else ``conj z``).
    every : int
        The product is scaled back to unit modulus after every ``every`` factors and at the
        end (only its angle matters; this keeps it inside float32).

    Returns
    -------
    real, imag : (M, N) ndarray of float32
        The product's parts, ``|product| = 1`` (1 + 0j where it vanishes).
    """
    rows, cols = re.shape
    out_re = np.empty((rows, cols), np.float32)
    out_im = np.empty((rows, cols), np.float32)
    tiny = np.float32(1e-30)
    for r in range(rows):
        f_re = np.ones(cols, np.float32)
        f_im = np.zeros(cols, np.float32)
        z_re = re[r]
        z_im = im[r]
        for k in range(centres_re.size):
            c_re, c_im = centres_re[k], centres_im[k]
            sign = np.float32(1.0) if positive[k] else np.float32(-1.0)
            for j in range(cols):
                t_re = z_re[j] - c_re
                t_im = sign * z_im[j] - c_im
                a, b = f_re[j], f_im[j]
                f_re[j] = a * t_re - b * t_im
                f_im[j] = a * t_im + b * t_re
            if k % every == every - 1:
                _unit(f_re, f_im, tiny)
        _unit(f_re, f_im, tiny)
        out_re[r] = f_re
        out_im[r] = f_im
    return out_re, out_im


@njit(cache=True)
def _unit(f_re: np.ndarray, f_im: np.ndarray, tiny: np.float32) -> None:
    # numpy divides a complex64 by a real as by ``norm + 0j`` (Smith's method): both parts
    # times ``1 / norm``, which is what is done here.
    one = np.float32(1.0)
    for j in range(f_re.size):
        scale = one / max(np.float32(math.hypot(f_re[j], f_im[j])), tiny)
        f_re[j] *= scale
        f_im[j] *= scale
