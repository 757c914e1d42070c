"""Master prints: the ridge pattern of one finger, before any impression is taken.

A master is made, like SFinGe's, from a pattern class, a pad shape, singular points, an
orientation field and a ridge-period map; its ridge pattern is the phase
``psi_c + psi_s`` (see :mod:`.phase`), stored on a half-resolution grid.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..vocabulary import finger_index, validate_finger
from . import rng as rngs
from .fields import smooth_noise
from .orientation import orientation_field
from .params import DEFAULT_PARAMETERS, SynthParameters
from .pattern import PadShape, SingularPoint, place_singular_points, sample_class
from .phase import (
    continuous_phase,
    edge_field,
    needed_minutiae,
    place_minutiae,
    spiral_field,
)

__all__ = ["MasterPrint", "make_master", "master_print", "ridge_signal", "sample_ridge_signal"]

_CANVAS_MARGIN = 48  # px around the pad


@dataclass(frozen=True, eq=False)
class MasterPrint:
    """The ridge pattern of one finger.

    Attributes
    ----------
    pattern : str
        Henry class.
    pad : PadShape
        Pad outline, master pixels.
    step : int
        Grid spacing of ``psi`` and ``spiral`` (px); grid sample ``[r, c]`` is at
        ``x = c * step``, ``y = r * step``.
    psi : (M, N) ndarray of float32
        Continuous phase (rad), read-only.
    spiral : (M, N) ndarray of complex64
        ``exp(1j * psi_s)``, read-only.
    minutiae : (K, 5) ndarray of float64
        ``x, y, angle, type, polarity`` in master pixels, read-only.
    singular_points : tuple of SingularPoint
        Cores and deltas.
    period : float
        Mean ridge period (px).
    size : tuple of int
        Canvas (rows, cols) in pixels.
    """

    pattern: str
    pad: PadShape
    step: int
    psi: np.ndarray
    spiral: np.ndarray
    minutiae: np.ndarray
    singular_points: tuple[SingularPoint, ...]
    period: float
    size: tuple[int, int]

    def ridges(self) -> np.ndarray:
        """The clean ridge signal ``cos(psi)`` at full resolution (for inspection and tests)."""
        rows, cols = self.size
        y, x = np.mgrid[0:rows, 0:cols].astype(float)
        return sample_ridge_signal(self, x, y)

    @functools.cached_property
    def _planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``psi`` and the real and imaginary parts of ``spiral``, flat float32, for sampling."""
        return (
            self.psi.ravel(),
            np.ascontiguousarray(self.spiral.real).ravel(),
            np.ascontiguousarray(self.spiral.imag).ravel(),
        )


def sample_ridge_signal(master: MasterPrint, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``cos(psi_c + psi_s)`` at master pixel coordinates ``(x, y)`` (bilinear on the grid).

    ``psi`` and ``spiral`` are interpolated separately, coordinates beyond the grid clamped to
    its edge (as ``scipy.ndimage.map_coordinates(..., order=1, mode='nearest')``); float32.
    """
    rows, cols = master.psi.shape
    inv = np.float32(1.0 / master.step)
    fy = np.clip(np.asarray(y, np.float32) * inv, 0, rows - 1)
    fx = np.clip(np.asarray(x, np.float32) * inv, 0, cols - 1)
    r0 = np.minimum(np.floor(fy), rows - 2)
    c0 = np.minimum(np.floor(fx), cols - 2)
    at = (r0 * cols + c0).astype(np.intp)  # exact: the grid has far fewer than 2**24 samples
    wy = np.subtract(fy, r0, out=fy)
    wx = np.subtract(fx, c0, out=fx)
    corners = (at, at + 1, at + cols, at + (cols + 1))

    def lerp(plane: np.ndarray) -> np.ndarray:
        a, b, c, d = (plane.take(i) for i in corners)
        b -= a
        b *= wx
        a += b  # top edge
        d -= c
        d *= wx
        c += d  # bottom edge
        c -= a
        c *= wy
        a += c
        return a

    psi, s_re, s_im = (lerp(plane) for plane in master._planes)
    return ridge_signal(psi, s_re, s_im)


def ridge_signal(psi: np.ndarray, s_re: np.ndarray, s_im: np.ndarray) -> np.ndarray:
    """``Re(exp(i psi) * S / |S|)`` from the sampled phase ``psi`` and spiral ``S``, float32.

    The last step of :func:`sample_ridge_signal`, for callers that sample the planes
    themselves; ``s_re`` is overwritten.
    """
    norm = np.sqrt(s_re * s_re + s_im * s_im)
    np.maximum(norm, np.float32(1e-6), out=norm)
    signal = np.cos(psi)
    signal *= s_re
    s_re = np.sin(psi, out=s_re)
    s_re *= s_im
    signal -= s_re
    signal /= norm
    return signal


def _fold_mask(c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Grid samples next to a fold, where the ridge direction ``(c, s)`` (the cosine and
    sine of the orientation) flips between neighbours."""
    fold = np.zeros(c.shape, bool)
    flip_x = (c[:, 1:] * c[:, :-1] + s[:, 1:] * s[:, :-1]) < 0
    flip_y = (c[1:, :] * c[:-1, :] + s[1:, :] * s[:-1, :]) < 0
    fold[:, 1:] |= flip_x
    fold[:, :-1] |= flip_x
    fold[1:, :] |= flip_y
    fold[:-1, :] |= flip_y
    return fold


def make_master(rng: np.random.Generator, finger: str, params: SynthParameters) -> MasterPrint:
    """Build a master print from a random stream.

    Parameters
    ----------
    rng : numpy.random.Generator
        The master's own stream (see :func:`master_print` for the seeded entry point).
    finger : str
        Finger code ``R1``–``L5``; sets the pad size.
    params : SynthParameters
        Generator tunables.

    Returns
    -------
    master : MasterPrint
    """
    number = finger_index(finger) % 5 + 1
    shape = params.finger_shapes[number]
    scale = 1.0 + rng.uniform(-params.size_jitter, params.size_jitter)
    half_w, half_h = shape.width * scale / 2, shape.height * scale / 2
    rows = int(2 * half_h + 2 * _CANVAS_MARGIN)
    cols = int(2 * half_w + 2 * _CANVAS_MARGIN)
    pad = PadShape(cx=cols / 2, cy=rows / 2, half_width=half_w, half_height=half_h)

    pattern = sample_class(rng, params)
    points = place_singular_points(rng, pattern, pad)

    step = params.master_step
    grid_shape = (rows // step + 2, cols // step + 2)
    y, x = np.mgrid[0 : grid_shape[0], 0 : grid_shape[1]].astype(float) * step
    noise_scale = params.noise_scale / step
    theta = orientation_field(
        x,
        y,
        pattern=pattern,
        points=points,
        pad=pad,
        noise=params.orientation_noise * smooth_noise(rng, grid_shape, noise_scale),
        theta_inf=rng.normal(0.0, 0.06),
        arch_height=rng.uniform(0.35, 0.7),
    )
    base_period = rng.uniform(*params.period_range)
    period = base_period * (1.0 + 0.05 * smooth_noise(rng, grid_shape, noise_scale))
    # Squared distance of every grid sample to each singular point (used three times).
    r2s = [(x - p.x) ** 2 + (y - p.y) ** 2 for p in points]
    for p, r2 in zip(points, r2s, strict=True):
        if p.kind == "core":
            period *= 1.0 - (1.0 - params.core_period_factor) * np.exp(-r2 / (2 * 70.0**2))
    cos_sin = (np.cos(theta), np.sin(theta))
    edges = edge_field(theta, period, step, cos_sin=cos_sin)
    psi = continuous_phase(theta, period, step, edges=edges)

    level = pad.level(x, y)
    in_pad = level <= 1.0
    inside = level <= 1.0 - params.minutiae_margin / min(pad.half_width, pad.half_height)
    fold = _fold_mask(*cos_sin)
    near_singular = np.zeros(x.shape, bool)
    for r2 in r2s:
        near_singular |= r2 <= (1.5 * base_period) ** 2
    # Spirals the flow needs may sit right beside a fold (ridges that meet a fold at an angle
    # must end there); random ones keep a ridge period away from folds and singular points.
    required_ok = inside & ~fold & ~near_singular
    from ._kernels import dilate_cross  # ndimage.binary_dilation's pixels, in two passes

    allowed = required_ok & ~dilate_cross(
        np.ascontiguousarray(fold, bool), max(1, round(base_period / step))
    )
    for r2 in r2s:
        allowed &= r2 > (2.0 * base_period) ** 2
    area_share = in_pad.mean() * x.size * step * step / (cols * rows)
    wanted = int(rng.integers(*params.minutiae_range, endpoint=True) * min(1.0, area_share / 0.6))
    minutiae = place_minutiae(
        rng,
        psi,
        allowed,
        step=step,
        count=wanted,
        spacing=params.minutiae_spacing * base_period,
        period=base_period,
        bifurcation_share=params.bifurcation_share,
        passes=params.type_passes,
        needed=needed_minutiae(theta, period, step, edges=edges) * in_pad,
        required_allowed=required_ok,
    )
    spiral = spiral_field(x, y, minutiae)
    arrays = [psi.astype(np.float32), spiral, minutiae]
    for a in arrays:
        a.setflags(write=False)
    return MasterPrint(
        pattern=pattern,
        pad=pad,
        step=step,
        psi=arrays[0],
        spiral=arrays[1],
        minutiae=arrays[2],
        singular_points=tuple(points),
        period=float(base_period),
        size=(rows, cols),
    )


@functools.lru_cache(maxsize=64)
def _cached_master(population: int, subject: int, finger: str) -> MasterPrint:
    rng = rngs.stream(population, subject, finger_index(finger), rngs.MASTER)
    return make_master(rng, finger, DEFAULT_PARAMETERS)


def master_print(
    subject: int, finger: str, *, population: int = 0, params: SynthParameters | None = None
) -> MasterPrint:
    """The master print of finger ``finger`` of subject ``subject`` of population ``population``.

    Deterministic: the same integers give the same master in any process. Masters with the
    default parameters are cached (a few dozen, a couple of MB each).
    """
    subject = rngs.check_seed("subject", subject)
    population = rngs.check_seed("population", population)
    finger = validate_finger(finger)
    if params is None or params == DEFAULT_PARAMETERS:
        return _cached_master(population, subject, finger)
    rng = rngs.stream(population, subject, finger_index(finger), rngs.MASTER)
    return make_master(rng, finger, params)
