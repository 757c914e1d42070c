"""Ridge phase of a master print: continuous phase plus one spiral per minutia.

A ridge pattern is ``cos(psi)`` with ``psi = psi_c + psi_s`` (Larkin and Fletcher, "A coherent
framework for fingerprint analysis: are fingerprints holograms?", Optics Express 15, 2007;
Feng and Jain, "Fingerprint reconstruction: from minutiae to phase", IEEE TPAMI 33, 2011).
``psi_c`` carries the ridge flow and spacing and has no minutiae; ``psi_s`` is a sum of spiral
phases ``p_n * atan2(y - y_n, x - x_n)``, each of which ends (or splits) exactly one ridge at
``(x_n, y_n)`` — so the minutiae of the rendered print are known exactly.

Ridge centres are where ``cos(psi) = 1``.
"""

from __future__ import annotations

import numpy as np
from scipy import fft

from ..angles import wrap_angle
from ..interpolation import bilinear
from ..vocabulary import MinutiaType

__all__ = [
    "continuous_phase",
    "edge_field",
    "needed_minutiae",
    "place_minutiae",
    "spiral_field",
]


def edge_field(
    theta: np.ndarray,
    period: np.ndarray,
    step: float,
    *,
    cos_sin: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Wanted phase step along every grid edge (rad): x edges, then y edges (last one 0).

    :func:`needed_minutiae` and :func:`continuous_phase` both start from it; a caller that
    needs both computes it once and passes it as ``edges``. ``cos_sin``, if given, is
    ``(np.cos(theta), np.sin(theta))`` already at hand.
    """
    k = 2 * np.pi * step / period
    cos, sin = (np.cos(theta), np.sin(theta)) if cos_sin is None else cos_sin
    gx, gy = -sin * k, cos * k
    dx = np.zeros_like(gx)
    dy = np.zeros_like(gy)
    dx[:, :-1] = 0.5 * (gx[:, :-1] + gx[:, 1:])
    dy[:-1, :] = 0.5 * (gy[:-1, :] + gy[1:, :])
    return dx, dy


def needed_minutiae(
    theta: np.ndarray,
    period: np.ndarray,
    step: float,
    *,
    edges: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Signed density of minutiae the ridge flow needs (per grid cell).

    Where ridges diverge the wanted phase gradient has a curl that no continuous phase can
    follow; its circulation around a cell, over 2*pi, is the net number of spirals
    (minutiae, counted with polarity) that the cell must hold (Larkin and Fletcher 2007).

    ``edges``, if given, is :func:`edge_field` of the same arguments.

    Returns
    -------
    density : (M, N) ndarray
        Circulation / (2*pi) of the cell whose top-left corner is each sample.
    """
    dx, dy = edge_field(theta, period, step) if edges is None else edges
    circ = np.zeros_like(dx)
    circ[:-1, :-1] = dx[:-1, :-1] + dy[:-1, 1:] - dx[1:, :-1] - dy[:-1, :-1]
    return circ / (2 * np.pi)


def continuous_phase(
    theta: np.ndarray,
    period: np.ndarray,
    step: float,
    *,
    edges: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Least-squares phase whose gradient is normal to the ridges with the given spacing.

    Solves ``laplacian(psi) = div(g)`` with ``g = 2*pi/period * (-sin theta, cos theta)`` and
    Neumann boundaries by the discrete cosine transform, as in the unweighted least-squares
    phase unwrapping of Ghiglia and Romero (JOSA A 11, 1994).

    Parameters
    ----------
    theta : (M, N) ndarray
        Ridge orientation (rad), direction flipping only across fold lines.
    period : (M, N) ndarray
        Ridge period in pixels.
    step : float
        Grid spacing in pixels.
    edges : tuple of ndarray, optional
        :func:`edge_field` of the same arguments, if already at hand.

    Returns
    -------
    psi : (M, N) ndarray of float64
        Unwrapped phase in radians.
    """
    dx, dy = edge_field(theta, period, step) if edges is None else edges
    rho = dx.copy()
    rho[:, 1:] -= dx[:, :-1]
    rho += dy
    rho[1:, :] -= dy[:-1, :]
    rows, cols = rho.shape
    denom = (
        2 * np.cos(np.pi * np.arange(rows) / rows)[:, None]
        + 2 * np.cos(np.pi * np.arange(cols) / cols)[None, :]
        - 4
    )
    denom[0, 0] = 1.0
    spectrum = fft.dctn(rho, type=2, norm="ortho")
    spectrum /= denom
    spectrum[0, 0] = 0.0
    return fft.idctn(spectrum, type=2, norm="ortho")


def _sample(grid: np.ndarray, x: np.ndarray, y: np.ndarray, step: float) -> np.ndarray:
    return bilinear(grid, y / step, x / step)  # ndimage's order-1 "nearest", compiled


def _spiral_sums(xs: np.ndarray, ys: np.ndarray, pol: np.ndarray):
    """Phase and gradient at each point of all *other* spirals (rad, rad/px)."""
    dx = xs[:, None] - xs[None, :]
    dy = ys[:, None] - ys[None, :]
    r2 = dx**2 + dy**2
    np.fill_diagonal(r2, np.inf)
    ang = np.arctan2(dy, dx)
    np.fill_diagonal(ang, 0.0)
    phase = (ang * pol[None, :]).sum(axis=1)
    gx = (-dy / r2 * pol[None, :]).sum(axis=1)
    gy = (dx / r2 * pol[None, :]).sum(axis=1)
    return phase, gx, gy


def place_minutiae(
    rng: np.random.Generator,
    psi: np.ndarray,
    allowed: np.ndarray,
    *,
    step: float,
    count: int,
    spacing: float,
    period: float,
    bifurcation_share: float,
    passes: int,
    needed: np.ndarray | None = None,
    required_allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Place spiral minutiae and steer each one to the type it was drawn as.

    First the spirals the flow needs (``needed``, from :func:`needed_minutiae`) are placed,
    greedily where the outstanding signed density is largest; then random ones of balanced
    polarity fill the print up to ``count``.

    Near a spiral of polarity ``s`` the phase is ``phi0 + k.(z - p) + s*atan2(z - p)``. In a
    frame turned so that ``k`` points along its first axis (``beta = angle of k``), the spiral
    reads ``s*(alpha' + beta)``: the extra fringe runs from ``p`` in direction
    ``-s * rot90(k)`` (``alpha' = -s*pi/2``) and carries phase ``phi0 + s*beta - pi/2``. It is
    a ridge (a ridge ending) when that is 0 and a valley (a bifurcation) when it is pi, so
    each minutia is nudged along ``k`` until ``phi0 = +-pi/2 - s*beta``.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    psi : (M, N) ndarray
        Continuous phase on the grid (rad).
    allowed : (M, N) ndarray of bool
        Where minutiae may go.
    step : float
        Grid spacing (px).
    count : int
        Wanted number of minutiae (fewer if the area is full).
    spacing : float
        Minimum distance between minutiae (px).
    period : float
        Typical ridge period (px); a type correction moves a minutia at most half of it.
    bifurcation_share : float
        Probability that a minutia is a bifurcation.
    passes : int
        Passes of the type correction.
    needed : (M, N) ndarray, optional
        Signed minutiae density the ridge flow requires.
    required_allowed : (M, N) ndarray of bool, optional
        Where those required spirals may go (default: ``allowed``).

    Returns
    -------
    minutiae : (K, 5) ndarray of float64
        Columns ``x, y, angle, type, polarity``; pixels, radians from +x toward +y, type
        0 ending / 1 bifurcation, polarity ±1.
    """
    chosen: list[tuple[float, float]] = []
    polarity: list[float] = []
    if needed is not None:
        where = allowed if required_allowed is None else required_allowed
        for px, py, sign in _required_spirals(rng, needed, where, step, spacing, count):
            chosen.append((px, py))
            polarity.append(sign)
    n_required = len(chosen)
    # np.nonzero(allowed)'s two arrays, from the flat indices (the same values and order,
    # several times sooner for a 2-D array).
    rows, cols = np.divmod(np.flatnonzero(allowed), allowed.shape[1])
    if rows.size == 0 or count <= 0:
        return np.zeros((0, 5))
    order = rng.permutation(rows.size)[: count * 30]
    jitter = rng.uniform(-0.5, 0.5, (order.size, 2)) * step
    # Candidates in order after the required spirals; the first ``count`` in all that keep
    # ``spacing`` from every point kept before them stay (a compiled greedy loop).
    from ._kernels import spread_points

    first = np.array(chosen, float).reshape(-1, 2)
    xs = np.concatenate([first[:, 0], cols[order] * step + jitter[:, 0]])
    ys = np.concatenate([first[:, 1], rows[order] * step + jitter[:, 1]])
    n = spread_points(xs, ys, n_required, count, spacing)
    if n == 0:
        return np.zeros((0, 5))
    pts = np.column_stack([xs[:n], ys[:n]])
    extra = n - n_required
    pol = np.concatenate([polarity, np.where(rng.permutation(extra) % 2 == 0, 1.0, -1.0)])
    kind = (rng.random(n) < bifurcation_share).astype(float)
    target = np.where(kind == MinutiaType.BIFURCATION, -np.pi / 2, np.pi / 2)
    gpy, gpx = np.gradient(psi, step)
    xs, ys = pts[:, 0].copy(), pts[:, 1].copy()
    max_shift = period / 2
    # Where a corrected minutia may stay: the usable area grown by a ridge period.
    usable = allowed if required_allowed is None else (allowed | required_allowed)
    from ._kernels import dilate_cross  # ndimage.binary_dilation's pixels, in two passes

    usable = dilate_cross(np.ascontiguousarray(usable, bool), max(1, round(period / step)))
    passes_left = passes
    while passes_left > 0:
        passes_left -= 1
        others, ox, oy = _spiral_sums(xs, ys, pol)
        kx = _sample(gpx, xs, ys, step) + ox
        ky = _sample(gpy, xs, ys, step) + oy
        knorm = np.maximum(np.hypot(kx, ky), 1e-6)
        phi0 = _sample(psi, xs, ys, step) + others
        beta = np.arctan2(ky, kx)
        miss = wrap_angle(target - pol * beta - phi0)
        # A phase correction needs at most half a ridge period; where the wave vector is
        # tiny (next to a fold or a singular point) miss / |k| would fly off, so cap it.
        shift = np.clip(miss / knorm, -max_shift, max_shift)
        xs += shift * kx / knorm
        ys += shift * ky / knorm
        r = np.rint(ys / step).astype(int)
        c = np.rint(xs / step).astype(int)
        keep = (r >= 0) & (c >= 0) & (r < usable.shape[0]) & (c < usable.shape[1])
        keep[keep] = usable[r[keep], c[keep]]
        if not keep.all():
            # Each spiral shifts the phase across the whole print, so removing one undoes
            # the others' steering near it: steer the rest again from the start.
            xs, ys, pol, kind, target = xs[keep], ys[keep], pol[keep], kind[keep], target[keep]
            passes_left = passes
    if len(xs) == 0:
        return np.zeros((0, 5))
    _, ox, oy = _spiral_sums(xs, ys, pol)
    kx = _sample(gpx, xs, ys, step) + ox
    ky = _sample(gpy, xs, ys, step) + oy
    # Direction of the extra fringe: -s * rot90(k), rot90(kx, ky) = (-ky, kx).
    angle = np.arctan2(-pol * kx, pol * ky)
    return np.column_stack([xs, ys, angle, kind, pol])


_GAUSSIAN_TRUNCATE = 4.0  # kernel radius in sigmas, as scipy.ndimage.gaussian_filter's default


def _wide_gaussian(a: np.ndarray, sigma: float) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter(a, sigma)`` (reflected edges), by FFT.

    For a kernel of a hundred taps and more, one padded 2-D FFT is about twice as fast as two
    direct passes; the result is the same up to float64 rounding. The image is reflected by
    the kernel radius on every side, so the circular convolution never wraps for the kept
    samples.

    The reflected image is written straight into the zero-padded transform buffer, and the
    inverse transform is ``irfft2``'s own two steps (the columns' complex transform, then
    the rows' real one, unscaled, and ``irfft2``'s factor ``1 / (rows * cols)`` applied last,
    as pocketfft applies it) with the real step done only for the kept rows: the same values.
    """
    radius = int(_GAUSSIAN_TRUNCATE * float(sigma) + 0.5)
    taps = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 / (sigma * sigma) * taps**2)
    kernel /= kernel.sum()
    m, n = a.shape
    r = radius
    rows = fft.next_fast_len(m + 2 * r, real=True)
    cols = fft.next_fast_len(n + 2 * r, real=True)
    buffer = np.zeros((rows, cols))
    padded = buffer[: m + 2 * r, : n + 2 * r]
    if 0 < r <= min(m, n):  # ndimage's "reflect" (np.pad's "symmetric"), by slices
        padded[r : r + m, r : r + n] = a
        padded[r : r + m, :r] = a[:, r - 1 :: -1]
        padded[r : r + m, r + n :] = a[:, n - 1 : n - r - 1 : -1] if r < n else a[:, ::-1]
        padded[:r] = padded[2 * r - 1 : r - 1 : -1]
        padded[r + m :] = padded[r + m - 1 : m - 1 : -1]
    else:
        padded[...] = np.pad(a, r, mode="symmetric")

    def response(size: int) -> np.ndarray:
        centred = np.zeros(size)
        centred[: 2 * r + 1] = kernel
        return np.roll(centred, -r)

    spectrum = fft.rfft2(buffer, workers=1)
    spectrum *= fft.fft(response(rows), workers=1)[:, None]
    spectrum *= fft.rfft(response(cols), workers=1)[None, :]
    spectrum = fft.ifft(spectrum, axis=0, norm="forward", workers=1, overwrite_x=True)
    out = fft.irfft(spectrum[r : r + m], n=cols, axis=1, norm="forward", workers=1)
    out = out[:, r : r + n]
    # pocketfft's factor: 1 / (rows * cols) in long double, rounded to double.
    out *= np.float64(np.longdouble(1) / np.longdouble(rows * cols))
    return out


def _weighted_draws(
    rng: np.random.Generator, weights: np.ndarray, total: float, size: int
) -> np.ndarray:
    """``rng.choice(weights.size, size=size, p=weights / total)``: the same indices and draws.

    ``Generator.choice`` searches the running sum of ``p`` (scaled to end at 1) for ``size``
    uniform draws (``side='right'``); a zero weight leaves the running sum as it is and is
    never the first entry above a draw, so only the nonzero weights are summed and searched
    (most of a print's weights are 0). The running sum of the nonzero entries takes the same
    values as the full one at them (adding 0.0 is exact); ``total`` is the full array's sum,
    as the caller's ``p`` was scaled by it.
    """
    nonzero = np.flatnonzero(weights)
    cdf = weights[nonzero] / total
    np.cumsum(cdf, out=cdf)
    cdf /= cdf[-1]
    return nonzero[cdf.searchsorted(rng.random(size), side="right")]


def _required_spirals(
    rng: np.random.Generator,
    needed: np.ndarray,
    allowed: np.ndarray,
    step: float,
    spacing: float,
    limit: int,
) -> list[tuple[float, float, float]]:
    """Spirals that absorb the flow's curl: ``(x, y, polarity)`` in pixels.

    The signed density is smoothed over a few ridge periods (so neighbouring positive and
    negative winding cancel), split into its positive and negative parts, and as many spirals
    of each polarity as each part holds are drawn from it.
    """
    from ._kernels import far_enough

    density = _wide_gaussian(needed, 2.0 * spacing / step)
    spirals_x = np.empty(max(limit, 0))
    spirals_y = np.empty(max(limit, 0))
    result: list[tuple[float, float, float]] = []
    for sign in (1.0, -1.0):
        part = np.where(allowed, np.clip(sign * density, 0.0, None), 0.0)
        total = part.sum()
        wanted = round(total)
        if wanted == 0 or total <= 0:
            continue
        draws = _weighted_draws(rng, part.ravel(), total, min(part.size, wanted * 20))
        placed = 0
        for idx in draws:
            if placed >= wanted or len(result) >= limit:
                break
            r, c = divmod(int(idx), needed.shape[1])
            px, py = (c + rng.uniform(-0.5, 0.5)) * step, (r + rng.uniform(-0.5, 0.5)) * step
            n = len(result)
            if far_enough(px, py, spirals_x[:n], spirals_y[:n], spacing):
                spirals_x[n], spirals_y[n] = px, py
                result.append((px, py, sign))
                placed += 1
    return result


#: Factors multiplied before the product is scaled back to unit modulus: each is at most the
#: canvas diagonal (about 1 200 px), and 1 200**10 stays well inside float32.
_RENORMALISE_EVERY = 10


def spiral_field(x: np.ndarray, y: np.ndarray, minutiae: np.ndarray) -> np.ndarray:
    """``exp(1j * psi_s)`` on a grid: the product of one unit spiral per minutia.

    Parameters
    ----------
    x, y : (M, N) ndarray
        Pixel coordinates of the grid.
    minutiae : (K, 5) ndarray
        As returned by :func:`place_minutiae` (uses x, y and polarity).

    Returns
    -------
    field : (M, N) ndarray of complex64
        Unit-modulus field whose angle is ``sum_n p_n * atan2(y - y_n, x - x_n)``.
    """
    from ._kernels import spiral_product

    # (x - mx) + i*pol*(y - my) is z - z_n for pol = +1 and conj(z - z_n) for pol = -1.
    positive = minutiae[:, 4] > 0
    centres_re = minutiae[:, 0].astype(np.float32)
    centres_im = np.where(positive, minutiae[:, 1], -minutiae[:, 1]).astype(np.float32)
    real, imag = spiral_product(
        np.ascontiguousarray(x, np.float32),
        np.ascontiguousarray(y, np.float32),
        centres_re,
        centres_im,
        positive,
        _RENORMALISE_EVERY,
    )
    result = np.empty(x.shape, np.complex64)
    result.real = real
    result.imag = imag
    return result
