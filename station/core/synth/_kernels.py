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

from .._grid_kernels import city_block

__all__ = [
    "dilate_cross",
    "doubled_samples",
    "expose",
    "far_enough",
    "skin_samples",
    "spiral_product",
    "spread_points",
    "streamline",
]


@njit(cache=True)
def _doubled_at(
    r: int,
    c: int,
    x: np.ndarray,
    y: np.ndarray,
    start: complex,
    points: np.ndarray,
    noise: np.ndarray,
) -> complex:
    """``exp(2j*theta)`` of grid sample ``[r, c]``, as orientation's full-grid product.

    ``start * w_1 * … * w_K * turn``, with ``w_k = (z - p_k) / |z - p_k|`` (conjugated for a
    delta) and ``turn = cos(2 noise) + i sin(2 noise)``, multiplied in that order; numpy's
    division of a complex by a real is a product with the reciprocal, as here.
    """
    f_re, f_im = start.real, start.imag
    xr, yr = x[r, c], y[r, c]
    for k in range(points.shape[0]):
        w_re = xr - points[k, 0]
        w_im = yr - points[k, 1]
        scale = 1.0 / max(math.hypot(w_re, w_im), 1e-9)
        w_re = w_re * scale
        w_im = w_im * scale
        if points[k, 2] == 0.0:  # a delta: conj(w)
            w_im = -w_im
        f_re, f_im = f_re * w_re - f_im * w_im, f_re * w_im + f_im * w_re
    t_re = math.cos(2 * noise[r, c])
    t_im = math.sin(2 * noise[r, c])
    return complex(f_re * t_re - f_im * t_im, f_re * t_im + f_im * t_re)


@njit(cache=True)
def _sample_doubled(
    px: float,
    py: float,
    x: np.ndarray,
    y: np.ndarray,
    start: complex,
    points: np.ndarray,
    noise: np.ndarray,
) -> complex:
    """Bilinear ``exp(2j*theta)`` at pixel ``(px, py)`` (edges clamped), orientation's
    ``_Field`` sampling."""
    rows, cols = x.shape
    step_x = x[0, 1] - x[0, 0]
    step_y = y[1, 0] - y[0, 0]
    fr = min(max((py - y[0, 0]) / step_y, 0.0), rows - 1.000001)
    fc = min(max((px - x[0, 0]) / step_x, 0.0), cols - 1.000001)
    r0, c0 = int(fr), int(fc)
    wr, wc = fr - r0, fc - c0
    return (
        _doubled_at(r0, c0, x, y, start, points, noise) * (1 - wr) * (1 - wc)
        + _doubled_at(r0, c0 + 1, x, y, start, points, noise) * (1 - wr) * wc
        + _doubled_at(r0 + 1, c0, x, y, start, points, noise) * wr * (1 - wc)
        + _doubled_at(r0 + 1, c0 + 1, x, y, start, points, noise) * wr * wc
    )


@njit(cache=True)
def doubled_samples(
    xs: np.ndarray,
    ys: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    start: complex,
    points: np.ndarray,
    noise: np.ndarray,
) -> np.ndarray:
    """``exp(2j*theta)`` of the zero-pole model turned by the noise, sampled bilinearly at
    pixels ``(xs[i], ys[i])`` from the grid samples around each; only those are computed.

    Parameters
    ----------
    xs, ys : (K,) ndarray of float64
        Where to sample (px).
    x, y : (M, N) ndarray of float64
        Pixel coordinates of the grid.
    start : complex
        ``exp(2j * theta_inf)``.
    points : (P, 3) ndarray of float64
        x, y and 1 (core) or 0 (delta) of each singular point.
    noise : (M, N) ndarray of float64
        The orientation noise (rad).

    Returns
    -------
    (K,) ndarray of complex128
    """
    out = np.empty(xs.size, np.complex128)
    for i in range(xs.size):
        out[i] = _sample_doubled(xs[i], ys[i], x, y, start, points, noise)
    return out


@njit(cache=True)
def streamline(
    x: np.ndarray,
    y: np.ndarray,
    start: complex,
    points: np.ndarray,
    noise: np.ndarray,
    origin: tuple[float, float],
    cut: float,
    n_steps: int,
    step: float,
    straight: float,
) -> np.ndarray:
    """Points of the ridge-flow line leaving ``origin`` at angle ``cut`` (orientation's
    ``_streamline``).

    Parameters
    ----------
    x, y, start, points, noise
        The orientation model, as :func:`doubled_samples` takes it.
    origin : (x, y)
        The singular point.
    cut : float
        Angle of the line where it leaves the point (rad).
    n_steps, step : int, float
        Most steps taken, and their length (px).
    straight : float
        Distance the line runs straight before following the field (px).

    Returns
    -------
    line : (K, 2) ndarray of float64
        x, y of each point, ``origin`` first; empty (0 rows) when the line does not get more
        than 8 px beyond the grid.
    """
    x0, x1, y0, y1 = x[0, 0], x[0, -1], y[0, 0], y[-1, 0]
    px, py = origin
    hx, hy = math.cos(cut), math.sin(cut)
    line = np.empty((n_steps + 1, 2))
    line[0, 0], line[0, 1] = px, py
    for i in range(n_steps):
        if i * step >= straight:
            d2 = _sample_doubled(px, py, x, y, start, points, noise)
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
def spread_points(xs: np.ndarray, ys: np.ndarray, placed: int, count: int, spacing: float) -> int:
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
    """Scale ``f_re + i f_im`` to unit modulus (``1 + 0j``'s direction kept where it is 0).

    numpy divides a complex64 by a real as by ``norm + 0j`` (Smith's method): both parts
    times ``1 / norm``, which is what is done here. The norm is float32 ``hypot``, computed
    as the C library computes ``hypotf`` for finite arguments (glibc: both widened to
    float64, ``sqrt(x * x + y * y)`` in float64, rounded to float32; the squares are exact),
    written out so that the loop vectorises instead of calling the library per sample.
    """
    one = np.float32(1.0)
    for j in range(f_re.size):
        x = np.float64(f_re[j])
        y = np.float64(f_im[j])
        norm = np.float32(math.sqrt(x * x + y * y))
        scale = one / max(norm, tiny)
        f_re[j] *= scale
        f_im[j] *= scale


@njit(cache=True)
def skin_samples(
    coarse: np.ndarray,
    rows: int,
    cols: int,
    step: int,
    psi: np.ndarray,
    s_re: np.ndarray,
    s_im: np.ndarray,
    grid_shape: tuple[int, int],
    inv: np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Skin layers upsampled to output pixels, and the master's phase planes under them.

    The upsampling is impression's ``_upsample`` (exact bilinear, columns first, float32), the
    phase sampling master's ``sample_ridge_signal`` before its cosine (bilinear, coordinates
    clamped to the grid, float32), one pixel at a time with the same operations in the same
    order, so neither ``(L, rows, cols)`` stack of fine layers is ever written.

    Parameters
    ----------
    coarse : (L, M, N) ndarray of float32
        Layers at every ``step``-th output pixel; layers 0 and 1 are master x and y.
    rows, cols : int
        Output shape, starting at coarse sample ``[0, 0]``.
    step : int
        Coarse grid spacing (output px).
    psi, s_re, s_im : (K,) ndarray of float32
        The master's flattened ``psi``, ``spiral.real`` and ``spiral.imag``.
    grid_shape : (int, int)
        The master grid's shape.
    inv : float32
        ``1 / master.step``.

    Returns
    -------
    layers : (L - 2, rows, cols) ndarray of float32
        Layers 2 and on, upsampled.
    ridge : (3, rows, cols) ndarray of float32
        ``psi``, ``spiral.real`` and ``spiral.imag`` at the master position of each pixel.
    """
    n_layers, n_r, n_c = coarse.shape
    m_r = min((rows + step - 1) // step, n_r - 1)
    m_c = min((cols + step - 1) // step, n_c - 1)
    g_rows, g_cols = grid_shape
    top_r = np.float32(g_rows - 1)
    top_c = np.float32(g_cols - 1)
    last_r = np.float32(g_rows - 2)
    last_c = np.float32(g_cols - 2)
    zero = np.float32(0.0)
    weights = np.empty(step, np.float32)
    for k in range(step):
        weights[k] = np.float32(k / step)
    layers = np.empty((n_layers - 2, rows, cols), np.float32)
    ridge = np.empty((3, rows, cols), np.float32)
    # Columns first, on the coarse rows only (``upper`` is coarse row i, ``lower`` i + 1),
    # then each output row between them.
    upper = np.empty((n_layers, cols), np.float32)
    lower = np.empty((n_layers, cols), np.float32)
    fine = np.empty((n_layers, cols), np.float32)
    # One row's grid positions and weights: computed in a loop of their own (which
    # vectorises), then read by the loop that gathers the planes.
    corner = np.empty(cols, np.int64)
    row_wy = np.empty(cols, np.float32)
    row_wx = np.empty(cols, np.float32)
    width = np.float32(g_cols)
    have = -2  # the coarse row in ``upper`` (none yet)
    for r in range(rows):
        i, wk = r // step, weights[r % step]
        if have != i:
            if have == i - 1 and i - 1 < m_r:
                upper[:] = lower
            else:
                _widen(coarse, i, m_c, weights, step, upper)
            if i < m_r:
                _widen(coarse, i + 1, m_c, weights, step, lower)
            have = i
        if i < m_r:
            for n in range(n_layers):
                below, above, out = lower[n], upper[n], fine[n]
                for c in range(cols):
                    out[c] = (below[c] - above[c]) * wk + above[c]
        else:
            fine[:] = upper
        for n in range(2, n_layers):
            layers[n - 2, r] = fine[n]
        fine_x, fine_y = fine[0], fine[1]
        for c in range(cols):
            fy = min(max(fine_y[c] * inv, zero), top_r)
            fx = min(max(fine_x[c] * inv, zero), top_c)
            # fy, fx >= 0, so truncation is numpy's floor
            r0 = min(np.float32(int(fy)), last_r)
            c0 = min(np.float32(int(fx)), last_c)
            corner[c] = int(r0 * width + c0)
            row_wy[c] = fy - r0
            row_wx[c] = fx - c0
        out_psi, out_re, out_im = ridge[0, r], ridge[1, r], ridge[2, r]
        for c in range(cols):
            at, wx, wy = corner[c], row_wx[c], row_wy[c]
            out_psi[c] = _lerp(psi, at, g_cols, wx, wy)
            out_re[c] = _lerp(s_re, at, g_cols, wx, wy)
            out_im[c] = _lerp(s_im, at, g_cols, wx, wy)
    return layers, ridge


@njit(cache=True)
def _widen(
    coarse: np.ndarray, i: int, m_c: int, weights: np.ndarray, step: int, out: np.ndarray
) -> None:
    """Coarse row ``i`` of every layer upsampled along its columns into ``out``."""
    n_layers = coarse.shape[0]
    cols = out.shape[1]
    for n in range(n_layers):
        for c in range(cols):
            j = c // step
            if j < m_c:
                out[n, c] = (coarse[n, i, j + 1] - coarse[n, i, j]) * weights[c % step] + coarse[
                    n, i, j
                ]
            else:
                out[n, c] = coarse[n, i, j]


@njit(cache=True, inline="always")
def _lerp(plane: np.ndarray, at: int, cols: int, wx: np.float32, wy: np.float32) -> np.float32:
    """master's ``sample_ridge_signal`` bilinear step: top edge, bottom edge, then between."""
    a, b = plane[at], plane[at + 1]
    c, d = plane[at + cols], plane[at + cols + 1]
    top = a + (b - a) * wx
    bottom = c + (d - c) * wx
    return top + (bottom - top) * wy


@njit(cache=True)
def _reflect(i: int, n: int) -> int:
    """``scipy.ndimage``'s ``reflect`` extension (``d c b a | a b c d | d c b a``)."""
    if i < 0:
        return -i - 1
    if i >= n:
        return 2 * n - i - 1
    return i


@njit(cache=True)
def gaussian_blur(image: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter(image, sigma)`` of a float32 image, reflected edges.

    The same two passes as scipy's ``correlate1d`` with a symmetric kernel: rows (axis 0)
    then columns, each output ``x[0] * w[0] + sum (x[-j] + x[j]) * w[j]`` for ``j`` from the
    kernel radius down to 1, in float64, stored as float32 after each pass. The column pass
    keeps each row's reflected line in float32 and widens the samples where it reads them
    (exact), so its inner loops are the row pass's: contiguous, and vectorised.

    Parameters
    ----------
    image : (M, N) ndarray of float32
        Each side longer than the kernel radius.
    weights : (2R + 1,) ndarray of float64
        The symmetric kernel.

    Returns
    -------
    (M, N) ndarray of float32
    """
    rows, cols = image.shape
    radius = (weights.size - 1) // 2
    centre = weights[radius]
    across = np.empty((rows, cols), np.float32)
    acc = np.empty(cols)
    for r in range(rows):
        for c in range(cols):
            acc[c] = np.float64(image[r, c]) * centre
        for j in range(radius, 0, -1):
            up, down, w = _reflect(r - j, rows), _reflect(r + j, rows), weights[radius - j]
            for c in range(cols):
                acc[c] += (np.float64(image[up, c]) + np.float64(image[down, c])) * w
        for c in range(cols):
            across[r, c] = np.float32(acc[c])
    out = np.empty((rows, cols), np.float32)
    line = np.empty(cols + 2 * radius, np.float32)
    for r in range(rows):
        src = across[r]
        line[radius : radius + cols] = src
        for k in range(radius):  # the reflected ends
            line[k] = src[_reflect(k - radius, cols)]
            line[cols + radius + k] = src[_reflect(cols + k, cols)]
        for c in range(cols):
            acc[c] = np.float64(src[c]) * centre
        for j in range(radius, 0, -1):
            w = weights[radius - j]
            before = line[radius - j : radius - j + cols]
            after = line[radius + j : radius + j + cols]
            for c in range(cols):
                acc[c] += (np.float64(before[c]) + np.float64(after[c])) * w
        dst = out[r]
        for c in range(cols):
            dst[c] = np.float32(acc[c])
    return out


@njit(cache=True)
def add_half_turn(theta: np.ndarray, phi: np.ndarray, lead: np.ndarray, sign: float) -> None:
    """``theta += sign * 0.5 * a`` in place, with ``a`` orientation's cut angle of ``phi``.

    ``a = lead + pi + (t - pi)``, ``t = (phi - lead) mod 2 pi`` (by floor division), the
    operations of orientation's ``_arg_along`` and its caller one element at a time.

    Parameters
    ----------
    theta : (M, N) ndarray of float64
        Added to.
    phi, lead : (M, N) ndarray of float64
        The plain angle of each sample about the point, and the cut's angle at its radius.
    sign : float
        +1 for a core, -1 for a delta.
    """
    two_pi = 2 * math.pi
    inv = 1 / (2 * math.pi)
    rows, cols = theta.shape
    for r in range(rows):
        for c in range(cols):
            turn = phi[r, c] - lead[r, c]
            turn -= two_pi * math.floor(turn * inv)
            half = 0.5 * (lead[r, c] + math.pi + (turn - math.pi))
            if sign > 0:
                theta[r, c] += half
            else:
                theta[r, c] -= half


@njit(cache=True)
def dilate_cross(mask: np.ndarray, iterations: int) -> np.ndarray:
    """``scipy.ndimage.binary_dilation(mask, iterations=iterations)``: the same pixels.

    ``iterations`` dilations by the 4-neighbour cross grow the mask by a city-block (L1)
    ball of that radius, so a pixel is set when its city-block distance to the mask is at
    most ``iterations`` (:func:`station.core._grid_kernels.city_block`, capped just above):
    a fixed cost where ndimage's passes grow with the radius.

    Parameters
    ----------
    mask : (M, N) ndarray of bool
    iterations : int
        At least 1.

    Returns
    -------
    (M, N) ndarray of bool
    """
    return city_block(~mask, iterations + 1, False) <= iterations


@njit(cache=True)
def expose(rng: np.random.Generator, image: np.ndarray, noise: float, out: np.ndarray) -> None:
    """Sensor noise and 8-bit quantisation: ``clip(rint(image + noise * N(0, 1)), 0, 255)``.

    What impression's ``_expose`` did with numpy, strip by strip, in one pass: the normal
    deviates drawn from ``rng`` one pixel at a time in row order (numba's
    ``Generator.standard_normal`` is numpy's ziggurat on the same bit generator, so the
    values and the stream's state afterwards are those of one
    ``rng.standard_normal(image.shape)`` draw), each times ``noise`` plus the pixel in
    float64, rounded half to even, clipped and stored.

    Parameters
    ----------
    rng : numpy.random.Generator
        The impression's stream; advanced by ``image.size`` normal draws.
    image : (M, N) ndarray of float32 or float64
        Grey levels.
    noise : float
        Standard deviation of the noise (grey levels).
    out : (M, N) ndarray of uint8
        Written with the exposed image.
    """
    rows, cols = image.shape
    for r in range(rows):
        for c in range(cols):
            value = rng.standard_normal() * noise
            value += np.float64(image[r, c])
            value = min(max(np.rint(value), 0.0), 255.0)
            out[r, c] = np.uint8(value)
