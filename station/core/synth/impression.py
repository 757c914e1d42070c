"""Impressions of a master print: what a scanner sees when the finger touches the platen.

Stages, in order: placement (rotation, translation), non-linear skin distortion, contact area
(rolled nail to nail, or a flat ellipse, sometimes partial), skin condition (pressure, dry,
wet), sensor (background, noise, blur). The ground-truth minutiae go through the same forward
map and are clipped to the contact area.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import ndimage

from ..interpolation import bilinear
from ..vocabulary import Impression
from .fields import smooth_noise
from .master import MasterPrint, ridge_signal
from .params import SynthParameters

__all__ = ["ImpressionSettings", "Minutia", "Optics", "draw_settings", "render_impression"]


#: A sensor's stage on the blurred float image, before noise: ``optics(rng, grey) -> grey``.
Optics = Callable[[np.random.Generator, np.ndarray], np.ndarray]


class Minutia(NamedTuple):
    """A ground-truth minutia: position (px), direction (rad) and type (0 ending, 1 bifurcation).

    ``angle`` is measured from +x toward +y (image axes, y down) and points along the ridge
    that ends (ending) or along the valley between the two branches (bifurcation).
    """

    x: float
    y: float
    angle: float
    type: int


@dataclass(frozen=True)
class ImpressionSettings:
    """Everything random about one impression, drawn once from its stream."""

    kind: str
    size: tuple[int, int]
    rotation: float
    translation: tuple[float, float]
    distortion: float
    partial: tuple[float, float, float] | None  # (angle, offset px, softness) of a lift-off edge
    pressure: float  # > 0 thicker ridges, < 0 thinner
    dryness: float  # 0..1 broken ridges
    wetness: float  # 0..1 smudged valleys
    noise: float  # grey levels
    blur: float  # px
    background: float  # grey level of the empty platen
    contrast: float  # grey levels between valley and ridge


def draw_settings(
    rng: np.random.Generator,
    kind: str,
    size: tuple[int, int],
    params: SynthParameters,
    degradation: float | None,
) -> ImpressionSettings:
    """Draw the settings of one impression.

    ``degradation`` in [0, 1] grades the skin condition and sensor from clean to badly
    degraded; ``None`` draws it from a mix typical of a booking (mostly good prints).
    """
    if degradation is None:
        degradation = float(np.clip(rng.beta(1.3, 4.0), 0.0, 1.0))
    d = float(degradation)
    if kind == Impression.ROLLED:
        rotation = float(np.clip(rng.normal(0, params.rolled_rotation_sd), -0.2, 0.2))
        partial = None
        translation = tuple(rng.normal(0, params.translation_sd * 0.4, 2))
    else:
        rotation = float(
            np.clip(
                rng.normal(0, params.flat_rotation_sd), -params.max_rotation, params.max_rotation
            )
        )
        translation = tuple(rng.normal(0, params.translation_sd, 2))
        partial = None
        if rng.random() < 0.12 + 0.3 * d:
            partial = (rng.uniform(0, 2 * np.pi), rng.uniform(-25, 100), rng.uniform(4, 14))
    condition = rng.random()
    dryness = wetness = 0.0
    if condition < 0.5:
        dryness = d * rng.uniform(0.6, 1.0)
    else:
        wetness = d * rng.uniform(0.6, 1.0)
    pressure = float(np.clip(rng.normal(0.0, 0.12) + 0.35 * wetness - 0.3 * dryness, -0.6, 0.6))
    return ImpressionSettings(
        kind=kind,
        size=size,
        rotation=rotation,
        translation=(float(translation[0]), float(translation[1])),
        distortion=float(rng.uniform(0.3, 1.0) * params.distortion_max),
        partial=partial,
        pressure=pressure,
        dryness=float(dryness),
        wetness=float(wetness),
        noise=float(params.sensor_noise * (0.5 + 1.5 * d) * rng.uniform(0.8, 1.2)),
        blur=float(params.blur_sigma * (1.0 + 0.8 * d) * rng.uniform(0.85, 1.15)),
        background=float(rng.uniform(215, 245)),
        contrast=float(rng.uniform(150, 190) * (1.0 - 0.45 * d)),
    )


class _Placement:
    """The map between output pixels ``o`` and master pixels ``m``.

    ``m = c + R (o - o_c - t) + D(o)``, with ``D`` a smooth displacement that vanishes in the
    rigid contact core and grows toward the pad's edge.
    """

    _STEP = 8  # px: grid of the displacement field

    def __init__(
        self,
        rng: np.random.Generator,
        master: MasterPrint,
        settings: ImpressionSettings,
        params: SynthParameters,
    ) -> None:
        rows, cols = settings.size
        self.o_c = np.array([cols / 2.0, rows / 2.0])
        self.t = np.array(settings.translation)
        pad = master.pad
        lift = 0.0 if settings.kind == Impression.ROLLED else 0.12 * pad.half_height
        self.c = np.array([pad.cx, pad.cy - lift])
        cos, sin = np.cos(settings.rotation), np.sin(settings.rotation)
        self.R = np.array([[cos, -sin], [sin, cos]])
        grid = (rows // self._STEP + 2, cols // self._STEP + 2)
        scale = 160.0 / self._STEP
        self.dx = settings.distortion * smooth_noise(rng, grid, scale)
        self.dy = settings.distortion * smooth_noise(rng, grid, scale)
        self.core = params.distortion_core
        self.reach = max(pad.half_width, pad.half_height)

    def displacement(self, ox: np.ndarray, oy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rx = ox - self.o_c[0] - self.t[0]
        ry = oy - self.o_c[1] - self.t[1]
        ramp = np.clip((np.hypot(rx, ry) - self.core) / (self.reach - self.core), 0.0, 1.0)
        rows, cols = np.asarray(oy) / self._STEP, np.asarray(ox) / self._STEP
        ux = bilinear(self.dx, rows, cols)  # ndimage's order-1 "nearest", compiled
        uy = bilinear(self.dy, rows, cols)
        return ramp * ux, ramp * uy

    def to_master(self, ox: np.ndarray, oy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rx = ox - self.o_c[0] - self.t[0]
        ry = oy - self.o_c[1] - self.t[1]
        ux, uy = self.displacement(ox, oy)
        mx = self.c[0] + self.R[0, 0] * rx + self.R[0, 1] * ry + ux
        my = self.c[1] + self.R[1, 0] * rx + self.R[1, 1] * ry + uy
        return mx, my

    def to_output(self, mx: np.ndarray, my: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Invert :meth:`to_master` by fixed-point iteration (the displacement is gentle)."""
        ox = np.full(np.shape(mx), self.o_c[0])
        oy = np.full(np.shape(my), self.o_c[1])
        for _ in range(12):
            ux, uy = self.displacement(ox, oy)
            ax, ay = mx - self.c[0] - ux, my - self.c[1] - uy
            ox = self.o_c[0] + self.t[0] + self.R[0, 0] * ax + self.R[1, 0] * ay
            oy = self.o_c[1] + self.t[1] + self.R[0, 1] * ax + self.R[1, 1] * ay
        return ox, oy


_COARSE = 4  # px: grid on which the smooth geometry of an impression is computed
_STRIP = 16  # coarse rows per strip of the full-resolution pass (keeps its temporaries in cache)
_CONTACT = 3  # index of the contact weight among the skin layers (see _CoarseLayers)


def _upsample(coarse: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Exact bilinear upsampling of a field sampled at every ``_COARSE``-th output pixel.

    Output pixel ``(r, c)`` reads coarse sample ``(r / _COARSE, c / _COARSE)``: between two
    samples the weights are ``k / _COARSE``, ``k = 0 … _COARSE - 1``, so each axis is one
    broadcast of the sample differences against those weights.

    Parameters
    ----------
    coarse : (..., M, N) ndarray
        Samples at output pixels ``(i * _COARSE, j * _COARSE)``; leading axes are layers,
        upsampled together.
    shape : tuple of int
        Output (rows, cols), starting at coarse sample ``[0, 0]``.

    Returns
    -------
    fine : (..., rows, cols) ndarray of float32
        A view of a slightly taller array.
    """
    rows, cols = shape
    n_r, n_c = coarse.shape[-2:]
    if (n_r - 1) * _COARSE + 1 < rows or (n_c - 1) * _COARSE + 1 < cols:
        raise ValueError(f"coarse grid {coarse.shape} does not cover {shape}")
    lead = coarse.shape[:-2]
    weights = [np.float32(k / _COARSE) for k in range(_COARSE)]
    # Interval j of an axis fills outputs j*_COARSE … j*_COARSE + _COARSE - 1, and the sample
    # after the last interval is the last coarse sample itself. Columns first, on the coarse
    # rows only, then rows, so the long axis is the innermost one of every operation.
    m_r = min(-(-rows // _COARSE), n_r - 1)
    m_c = min(-(-cols // _COARSE), n_c - 1)
    a = np.asarray(coarse[..., : m_r + 1, : m_c + 1], np.float32)
    wide = np.empty((*lead, m_r + 1, m_c + 1, _COARSE), np.float32)
    step = a[..., 1:] - a[..., :-1]
    for k, w in enumerate(weights):
        np.multiply(step, w, out=wide[..., :m_c, k])
        wide[..., :m_c, k] += a[..., :-1]
    wide[..., m_c, 0] = a[..., m_c]
    wide = wide.reshape(*lead, m_r + 1, -1)[..., :cols]
    tall = np.empty((*lead, m_r + 1, _COARSE, cols), np.float32)
    step = wide[..., 1:, :] - wide[..., :-1, :]
    for k, w in enumerate(weights):
        np.multiply(step, w, out=tall[..., :m_r, k, :])
        tall[..., :m_r, k, :] += wide[..., :-1, :]
    tall[..., m_r, 0, :] = wide[..., m_r, :]
    return tall.reshape(*lead, -1, cols)[..., :rows, :]


def _bilinear_at(coarse: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The value :func:`_upsample` gives at output pixels ``(x, y)``, in float64."""
    fy = np.clip(np.asarray(y, float) / _COARSE, 0, coarse.shape[0] - 1)
    fx = np.clip(np.asarray(x, float) / _COARSE, 0, coarse.shape[1] - 1)
    r0 = np.minimum(fy.astype(int), coarse.shape[0] - 2)
    c0 = np.minimum(fx.astype(int), coarse.shape[1] - 2)
    wy, wx = fy - r0, fx - c0
    top = coarse[r0, c0] * (1 - wx) + coarse[r0, c0 + 1] * wx
    bottom = coarse[r0 + 1, c0] * (1 - wx) + coarse[r0 + 1, c0 + 1] * wx
    return top * (1 - wy) + bottom * wy


def _coarse_grid(shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    rows, cols = shape
    n_r = -(-(rows - 1) // _COARSE) + 1
    n_c = -(-(cols - 1) // _COARSE) + 1
    oy, ox = np.mgrid[0:n_r, 0:n_c].astype(np.float64) * _COARSE
    return ox, oy


def _contact(
    rng: np.random.Generator,
    master: MasterPrint,
    settings: ImpressionSettings,
    params: SynthParameters,
    ox: np.ndarray,
    oy: np.ndarray,
    mx: np.ndarray,
    my: np.ndarray,
    place: _Placement,
) -> np.ndarray:
    """Contact weight 0..1 (1 = skin pressed on the platen) on the coarse grid ``(ox, oy)``."""
    pad = master.pad
    edge = 6.0 / min(pad.half_width, pad.half_height)
    weight = np.clip((1.0 - pad.level(mx, my)) / edge, 0.0, 1.0)
    wob = 0.05 * smooth_noise(rng, ox.shape, 80.0 / _COARSE)
    u, v = pad.normalised(mx, my)
    if settings.kind == Impression.FLAT:
        a, b = params.flat_contact
        a *= rng.uniform(0.9, 1.12)
        b *= rng.uniform(0.9, 1.12)
        vv = v + 0.12  # the flat contact centre sits toward the tip
        level = np.hypot(u / a, vv / b) + wob
        weight *= np.clip((1.0 - level) / 0.04, 0.0, 1.0)
    else:
        # A rolled print fades at the nail edges, where the finger leaves the platen.
        weight *= np.clip((1.0 - np.abs(u) + wob) / 0.08, 0.0, 1.0)
    if settings.partial is not None:
        angle, offset, soft = settings.partial
        d = (ox - place.o_c[0]) * np.cos(angle) + (oy - place.o_c[1]) * np.sin(angle) - offset
        weight *= np.clip(-d / soft, 0.0, 1.0)
    return weight


@dataclass(frozen=True)
class _CoarseLayers:
    """Everything smooth about an impression, on the coarse grid.

    Bilinear upsampling is linear, so sums and scalings of smooth fields are formed here and
    upsampled once; only the non-linear steps run at full resolution. ``skin`` stacks, in
    float32, the layers read under the skin: master x and y of each output pixel, the ridge
    threshold (pressure), the contact weight 0..1, then the dry-skin breaks (ink kept where
    above 0, clipped to 0..1) and the wet-skin blots (valleys inked where below 0) when the
    skin is dry or wet. ``paper`` is the grey level of the platen without skin.
    """

    skin: np.ndarray
    dry: bool
    wet: bool
    paper: np.ndarray


def _ink_strip(
    master: MasterPrint,
    layers: _CoarseLayers,
    rows: slice,
    cols: slice,
    shape: tuple[int, int],
) -> np.ndarray:
    """Ink 0..1 of the output pixels ``shape`` whose top-left corner is coarse sample
    ``(rows.start, cols.start)``; ``rows`` and ``cols`` are the coarse samples they read."""
    from ._kernels import skin_samples

    fine, (psi, s_re, s_im) = skin_samples(
        np.ascontiguousarray(layers.skin[:, rows, cols]),
        shape[0],
        shape[1],
        _COARSE,
        *master._planes,
        master.psi.shape,
        np.float32(1.0 / master.step),
    )
    threshold, contact = fine[:2]
    ridge = ridge_signal(psi, s_re, s_im)
    # Pressure: a lower threshold on cos(psi) makes thicker ridges.
    ridge -= threshold
    ridge *= np.float32(1.0 / 0.44)
    ink = np.tanh(ridge, out=ridge)
    ink *= np.float32(0.5)
    ink += np.float32(0.5)
    extra = iter(fine[2:])
    if layers.dry:
        ink *= np.clip(next(extra), 0.0, 1.0)
    if layers.wet:
        np.maximum(ink, np.clip(-next(extra), 0.0, 1.0) * np.float32(0.9), out=ink)
    # Pressure is highest in the middle of the contact: contact fades the ink at its edges.
    ink *= np.sqrt(contact)
    return ink


def _paint(master: MasterPrint, layers: _CoarseLayers, settings: ImpressionSettings) -> np.ndarray:
    """Grey image (float32) before blur and noise, strip by strip.

    Outside the contact area (weight 0) there is no ink, so the ridge signal is sampled only
    over the columns of each strip that touch it.
    """
    rows, cols = settings.size
    # The paper in one pass: bilinear upsampling reads each output pixel from its own four
    # coarse samples, so the whole image has the values strip-by-strip upsampling gave.
    image = _upsample(layers.paper, (rows, cols))
    strip = _STRIP * _COARSE
    contrast = np.float32(settings.contrast)
    for top in range(0, rows, strip):
        height = min(strip, rows - top)
        j0 = top // _COARSE
        coarse_rows = slice(j0, j0 + -(-(height - 1) // _COARSE) + 1)
        touched = np.nonzero(layers.skin[_CONTACT, coarse_rows].any(axis=0))[0]
        if touched.size == 0:
            continue
        c_lo = max(int(touched[0]) - 1, 0)
        c_hi = min(int(touched[-1]) + 1, layers.skin.shape[2] - 1)
        left, right = c_lo * _COARSE, min(c_hi * _COARSE + 1, cols)
        ink = _ink_strip(master, layers, coarse_rows, slice(c_lo, c_hi + 1), (height, right - left))
        ink *= contrast
        image[top : top + height, left:right] -= ink
    return image


_BLUR_TRUNCATE = 3.0  # kernel radius in sigmas


def _blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter(image, sigma, truncate=3.0)`` of the float32 image.

    The same kernel (scipy's ``_gaussian_kernel1d``) and the same passes, compiled
    (:func:`._kernels.gaussian_blur`): about 30 % less time than scipy on a rolled print.
    """
    radius = int(_BLUR_TRUNCATE * float(sigma) + 0.5)
    if radius == 0 or min(image.shape) <= radius:
        return ndimage.gaussian_filter(image, sigma, truncate=_BLUR_TRUNCATE)
    from ._kernels import gaussian_blur

    taps = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 / (sigma * sigma) * taps**2)
    kernel = kernel / kernel.sum()
    return gaussian_blur(np.ascontiguousarray(image, np.float32), kernel)


def _expose(
    rng: np.random.Generator, image: np.ndarray, settings: ImpressionSettings
) -> np.ndarray:
    """Sensor noise and 8-bit quantisation, in one compiled pass (:func:`._kernels.expose`).

    The noise is drawn in row order, so the values are those of one
    ``rng.normal(0, settings.noise, image.shape)`` draw, and the pixels those of
    ``clip(rint(image + noise), 0, 255)``.
    """
    from ._kernels import expose

    out = np.empty(image.shape, np.uint8)
    expose(rng, image, float(settings.noise), out)
    return out


def render_impression(
    rng: np.random.Generator,
    master: MasterPrint,
    settings: ImpressionSettings,
    params: SynthParameters,
    *,
    optics: Optics | None = None,
    truth: bool = True,
) -> tuple[np.ndarray, list[Minutia]]:
    """Render one impression of ``master``.

    Parameters
    ----------
    optics : callable, optional
        ``optics(rng, grey)``: a sensor's own stage (illumination, resampling to its
        resolution; see :mod:`station.core.synth.sensors`), applied to the blurred float
        image before noise and quantisation. It may change the image's shape; ``truth``
        stays in the 500 ppi frame of ``settings.size``.
    truth : bool, optional
        Map the master's minutiae into the impression; False leaves the list empty and the
        image as it is (the mapping draws nothing from ``rng``): for callers that keep only
        the image, such as seeding.

    Returns
    -------
    image : (M, N) ndarray of uint8
        500 ppi grey image (or as ``optics`` leaves it), dark ridges on a light background.
    truth : list of Minutia
        Ground-truth minutiae inside the contact area, output pixel coordinates.
    """
    shape = settings.size
    place = _Placement(rng, master, settings, params)
    # Smooth quantities live on a coarse grid and are upsampled exactly (bilinear).
    cx, cy = _coarse_grid(shape)
    cmx, cmy = place.to_master(cx, cy)
    contact = _contact(rng, master, settings, params, cx, cy, cmx, cmy, place)

    def field(scale_px: float) -> np.ndarray:
        return smooth_noise(rng, cx.shape, scale_px / _COARSE)

    skin = [cmx, cmy, 0.15 * field(120.0) - settings.pressure, contact]
    if settings.dryness > 0:
        skin.append(field(14.0) + (4.0 - 5.0 * settings.dryness**2))
    if settings.wetness > 0:
        skin.append(field(22.0) + (2.7 - 2.4 * settings.wetness))
    paper = settings.background - 12.0 * field(200.0)
    layers = _CoarseLayers(
        np.array(skin, np.float32), settings.dryness > 0, settings.wetness > 0, paper
    )
    image = _paint(master, layers, settings)
    if settings.blur > 0:
        image = _blur(image, settings.blur)
    if optics is not None:
        image = optics(rng, image)
    image = _expose(rng, image, settings)
    if not truth:
        return image, []
    return image, _carry_truth(master, place, contact, settings)


def _carry_truth(
    master: MasterPrint, place: _Placement, contact: np.ndarray, settings: ImpressionSettings
) -> list[Minutia]:
    """Master minutiae mapped to the impression and clipped to the contact area.

    ``contact`` is the contact weight on the coarse grid, read at the nearest output pixel.
    """
    if len(master.minutiae) == 0:
        return []
    mx, my, ang, kind = (master.minutiae[:, i] for i in range(4))
    eps = 3.0
    # Minutiae and points a little along their direction, mapped in one batch.
    both_x, both_y = place.to_output(
        np.concatenate([mx, mx + eps * np.cos(ang)]), np.concatenate([my, my + eps * np.sin(ang)])
    )
    n = len(mx)
    ox, oy, tx, ty = both_x[:n], both_y[:n], both_x[n:], both_y[n:]
    out_angle = np.arctan2(ty - oy, tx - ox)
    rows, cols = settings.size
    inside = (ox >= 0) & (oy >= 0) & (ox <= cols - 1) & (oy <= rows - 1)
    keep = np.zeros(len(mx), bool)
    ri = np.clip(np.rint(oy).astype(int), 0, rows - 1)
    ci = np.clip(np.rint(ox).astype(int), 0, cols - 1)
    keep[inside] = _bilinear_at(contact, ci[inside], ri[inside]) >= 0.5
    return [
        Minutia(float(ox[i]), float(oy[i]), float(out_angle[i]), int(kind[i]))
        for i in np.nonzero(keep)[0]
    ]
