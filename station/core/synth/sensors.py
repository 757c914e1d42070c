"""Sensor models: impressions as particular live-scan devices take them.

The generator renders at 500 ppi through a generic platen (:mod:`.impression`). A
:class:`SensorProfile` states what a device changes: its frame (rows × cols at its own
resolution), its dynamic range and background (contrast, illumination unevenness), its optics
(blur, noise) and, for the dry and wet sets, the skin it meets. :func:`sensor_impression`
draws one touch's settings from the generator's own stream, overrides what the profile fixes,
renders at 500 ppi over the area the device covers and resamples to the device's resolution
before noise and 8-bit quantisation, as a device digitises.

The frames and resolutions of :data:`SENSORS` are those of the FVC databases' devices (Maio,
Maltoni, Cappelli, Wayman, Jain: FVC2000, FVC2002 and FVC2004 reports): a capacitive sensor
of 256 × 364 px at 500 ppi (FVC2000 DB2), a low-cost optical sensor of 300 × 300 px at
500 ppi (FVC2000 DB1), an optical sensor of 296 × 560 px at 569 ppi (FVC2002 DB2), a sensor of
300 × 480 px at 512 ppi (FVC2004 DB3; its sweep artefacts are not modelled, only its frame and
resolution) and an optical sensor of 388 × 374 px (FVC2002 DB1) meeting dry or wet skin. The
grey-level figures are this model's choices, not measurements of those devices.

Examples
--------
>>> image, truth = sensor_impression(3, "R2", 0, SENSORS["capacitive"])
>>> image.shape, image.dtype
((364, 256), dtype('uint8'))
"""

from __future__ import annotations

import dataclasses
import math
import zlib
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from ..vocabulary import IMPRESSIONS, Impression, finger_index, validate_finger
from . import rng as rngs
from .fields import smooth_noise
from .impression import Minutia, draw_settings, render_impression
from .master import master_print
from .params import DEFAULT_PARAMETERS, SynthParameters

__all__ = [
    "PPI_RANGE",
    "SENSORS",
    "SKIN_CONDITIONS",
    "SensorProfile",
    "resample_to_ppi",
    "sensor_impression",
]

#: Resolutions (ppi) a profile may have. Prints are rendered at 500 ppi: below 300 ppi an
#: adult ridge period (8–11 px at 500 ppi) falls under 5 px and ridges alias; above 1000 ppi
#: the image would hold detail the 500 ppi rendering does not have.
PPI_RANGE = (300, 1000)
#: Skin a profile meets: as the generator draws it, or always dry, or always wet.
SKIN_CONDITIONS = ("any", "dry", "wet")
_RENDER_PPI = 500


def _check_range(name: str, pair: tuple[float, float], low: float, high: float) -> None:
    a, b = pair
    if not (math.isfinite(a) and math.isfinite(b) and low <= a <= b <= high):
        raise ValueError(f"{name} must be a range (low, high) within {low:g}..{high:g}, got {pair}")


@dataclass(frozen=True)
class SensorProfile:
    """What a live-scan device does to an impression.

    Attributes
    ----------
    name : str
        Short name (the key in :data:`SENSORS` and in ``station bench``).
    ppi : int
        Resolution of the device's images, within :data:`PPI_RANGE`.
    size : tuple of int
        Frame (rows, cols) at ``ppi``.
    contrast : tuple of float
        Range (grey levels) of the valley-to-ridge contrast, drawn per touch.
    background : tuple of float
        Range of the empty platen's grey level, drawn per touch.
    unevenness : float
        Illumination unevenness 0..0.5: the image is multiplied by a smooth gain whose
        deviation from 1 (a ramp across the frame plus a smooth random field) reaches about
        this share.
    blur : tuple of float
        Range of the optical blur (Gaussian sigma, px at 500 ppi).
    noise : tuple of float
        Range of the sensor noise (standard deviation, grey levels).
    degradation : tuple of float
        Range of the generator's degradation 0..1 (placement, distortion, partial contact,
        and the skin condition when ``skin`` is ``"any"``).
    skin : {'any', 'dry', 'wet'}
        Skin condition: as the generator draws it, or forced dry or wet.
    skin_level : tuple of float
        Range 0..1 of dryness or wetness when ``skin`` is dry or wet.
    """

    name: str
    ppi: int
    size: tuple[int, int]
    contrast: tuple[float, float]
    background: tuple[float, float]
    unevenness: float = 0.0
    blur: tuple[float, float] = (0.6, 0.9)
    noise: tuple[float, float] = (4.0, 8.0)
    degradation: tuple[float, float] = (0.0, 0.5)
    skin: str = "any"
    skin_level: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError(f"a sensor profile needs a name, got {self.name!r}")
        if isinstance(self.ppi, bool) or not isinstance(self.ppi, int):
            raise ValueError(f"ppi must be a whole number, got {self.ppi!r}")
        if not PPI_RANGE[0] <= self.ppi <= PPI_RANGE[1]:
            raise ValueError(
                f"sensor {self.name!r}: {self.ppi} ppi cannot be rendered faithfully "
                f"(the generator draws at 500 ppi; {PPI_RANGE[0]}-{PPI_RANGE[1]} ppi accepted)"
            )
        rows, cols = self.size
        limits = DEFAULT_PARAMETERS.min_side, DEFAULT_PARAMETERS.max_side
        for side in self.render_size:
            if not limits[0] <= side <= limits[1]:
                raise ValueError(
                    f"sensor {self.name!r}: frame {rows}x{cols} at {self.ppi} ppi is "
                    f"{self.render_size} px at 500 ppi; each side must be {limits[0]}-{limits[1]}"
                )
        _check_range("contrast", self.contrast, 1.0, 255.0)
        _check_range("background", self.background, 0.0, 255.0)
        if self.contrast[1] > self.background[0]:
            raise ValueError(
                f"sensor {self.name!r}: contrast up to {self.contrast[1]:g} below a background "
                f"of {self.background[0]:g} would clip ridges at black"
            )
        if not 0.0 <= self.unevenness <= 0.5:
            raise ValueError(f"unevenness must be 0..0.5, got {self.unevenness}")
        _check_range("blur", self.blur, 0.0, 5.0)
        _check_range("noise", self.noise, 0.0, 50.0)
        _check_range("degradation", self.degradation, 0.0, 1.0)
        if self.skin not in SKIN_CONDITIONS:
            raise ValueError(f"skin must be one of {SKIN_CONDITIONS}, got {self.skin!r}")
        _check_range("skin_level", self.skin_level, 0.0, 1.0)
        if (self.skin == "any") != (self.skin_level == (0.0, 0.0)):
            raise ValueError("skin_level is set exactly when skin is 'dry' or 'wet'")

    @property
    def render_size(self) -> tuple[int, int]:
        """The frame at 500 ppi (rows, cols), one pixel more than it covers, so resampling
        to ``ppi`` never reads past it."""
        rows, cols = self.size
        scale = _RENDER_PPI / self.ppi
        return math.ceil((rows - 1) * scale) + 2, math.ceil((cols - 1) * scale) + 2


#: The sensor sets of ``station bench --only sensors``.
SENSORS: dict[str, SensorProfile] = {
    p.name: p
    for p in (
        SensorProfile(
            "capacitive",
            ppi=500,
            size=(364, 256),
            contrast=(130.0, 200.0),
            background=(210.0, 245.0),
            unevenness=0.03,
            blur=(0.4, 0.7),
            noise=(3.0, 7.0),
        ),
        SensorProfile(
            "optical-low-contrast",
            ppi=500,
            size=(300, 300),
            contrast=(35.0, 70.0),
            background=(150.0, 205.0),
            unevenness=0.15,
            blur=(1.0, 1.5),
            noise=(3.0, 6.0),
            degradation=(0.1, 0.5),
        ),
        SensorProfile(
            "optical-569ppi",
            ppi=569,
            size=(560, 296),
            contrast=(90.0, 160.0),
            background=(190.0, 240.0),
            unevenness=0.06,
            blur=(0.6, 1.0),
        ),
        SensorProfile(
            "sensor-512ppi",
            ppi=512,
            size=(480, 300),
            contrast=(80.0, 150.0),
            background=(180.0, 235.0),
            unevenness=0.05,
            blur=(0.6, 1.0),
        ),
        SensorProfile(
            "dry",
            ppi=500,
            size=(374, 388),
            contrast=(100.0, 170.0),
            background=(200.0, 240.0),
            unevenness=0.05,
            skin="dry",
            skin_level=(0.5, 0.9),
        ),
        SensorProfile(
            "wet",
            ppi=500,
            size=(374, 388),
            contrast=(100.0, 170.0),
            background=(200.0, 240.0),
            unevenness=0.05,
            skin="wet",
            skin_level=(0.5, 0.9),
        ),
    )
}


def resample_to_ppi(
    grey: np.ndarray, ppi: int, size: tuple[int, int], *, source_ppi: int = _RENDER_PPI
) -> np.ndarray:
    """Resample a grey image from ``source_ppi`` to ``ppi``, frame ``size``.

    Output pixel ``(r, c)`` is the bilinear value at source pixel ``(r, c) * source_ppi / ppi``
    (top-left corners coincide); when shrinking, a Gaussian of sigma ``0.5 * source_ppi / ppi``
    removes what the coarser grid cannot hold first.

    Parameters
    ----------
    grey : (M, N) ndarray
        Grey levels at ``source_ppi``.
    ppi : int
        Wanted resolution.
    size : tuple of int
        Output (rows, cols); the source must cover it.
    source_ppi : int, optional
        Resolution of ``grey`` (500).

    Returns
    -------
    out : (rows, cols) ndarray of float32

    Raises
    ------
    ValueError
        ``grey`` does not cover ``size`` at ``ppi``, or a resolution is not positive.

    Examples
    --------
    >>> stripes = np.tile(np.arange(50) % 10, (20, 1)).astype(float)
    >>> resample_to_ppi(stripes, 1000, (39, 99)).shape
    (39, 99)
    """
    if ppi <= 0 or source_ppi <= 0:
        raise ValueError(f"resolutions must be positive, got {ppi} and {source_ppi}")
    grey = np.asarray(grey, np.float32)
    rows, cols = size
    scale = source_ppi / ppi
    if (rows - 1) * scale > grey.shape[0] - 1 or (cols - 1) * scale > grey.shape[1] - 1:
        raise ValueError(
            f"a {grey.shape[0]}x{grey.shape[1]} image at {source_ppi} ppi does not cover "
            f"{rows}x{cols} at {ppi} ppi"
        )
    if ppi == source_ppi:
        return grey[:rows, :cols].copy()
    if scale > 1:
        grey = ndimage.gaussian_filter(grey, 0.5 * scale)
    r = np.arange(rows, dtype=np.float64) * scale
    c = np.arange(cols, dtype=np.float64) * scale
    # Separable bilinear: columns, then rows.
    c0 = np.minimum(c.astype(np.intp), grey.shape[1] - 2)
    wc = (c - c0).astype(np.float32)
    wide = grey[:, c0] * (1 - wc) + grey[:, c0 + 1] * wc
    r0 = np.minimum(r.astype(np.intp), grey.shape[0] - 2)
    wr = (r - r0).astype(np.float32)[:, None]
    return (wide[r0] * (1 - wr) + wide[r0 + 1] * wr).astype(np.float32)


def _illumination(rng: np.random.Generator, shape: tuple[int, int], amount: float) -> np.ndarray:
    """Smooth multiplicative gain about 1: a ramp across the frame in a random direction plus
    a smooth random field, each reaching about ``amount / 2``."""
    rows, cols = shape
    angle = rng.uniform(0, 2 * np.pi)
    rr, cc = np.mgrid[0:rows, 0:cols].astype(np.float64)
    ramp = ((rr / rows - 0.5) * np.sin(angle) + (cc / cols - 0.5) * np.cos(angle)) * 2
    field = smooth_noise(rng, shape, 150.0)
    return (1.0 + 0.5 * amount * (ramp + 0.5 * field)).astype(np.float32)


def sensor_impression(
    subject: int,
    finger: str,
    impression: int,
    sensor: SensorProfile,
    *,
    population: int = 0,
    params: SynthParameters | None = None,
) -> tuple[np.ndarray, list[Minutia]]:
    """Render impression ``impression`` of a synthetic finger as ``sensor`` takes it.

    A flat touch; the same (population, subject, finger, impression) on the same sensor is
    always the same image, and different sensors draw independent touches.

    Parameters
    ----------
    subject, finger, impression : int, str, int
        As for :func:`station.core.synth.impression`.
    sensor : SensorProfile
        The device.
    population : int, optional
        Population seed (>= 0).
    params : SynthParameters, optional
        Generator tunables.

    Returns
    -------
    image : (rows, cols) ndarray of uint8
        ``sensor.size`` at ``sensor.ppi`` (pass ``sensor.ppi`` to the extractor).
    truth : list of Minutia
        Ground-truth minutiae in the image's pixels (at ``sensor.ppi``).

    Raises
    ------
    ValueError
        Unknown finger, negative seeds, or ``sensor`` not a :class:`SensorProfile`.
    """
    if not isinstance(sensor, SensorProfile):
        raise ValueError(f"sensor must be a SensorProfile, got {type(sensor).__name__}")
    params = DEFAULT_PARAMETERS if params is None else params
    finger = validate_finger(finger)
    subject = rngs.check_seed("subject", subject)
    impression = rngs.check_seed("impression", impression)
    population = rngs.check_seed("population", population)
    master = master_print(subject, finger, population=population, params=params)
    rng = rngs.stream(
        population,
        subject,
        finger_index(finger),
        impression,
        IMPRESSIONS.index(Impression.FLAT),
        rngs.SENSOR,
        zlib.crc32(sensor.name.encode()),
    )
    degradation = float(rng.uniform(*sensor.degradation))
    settings = draw_settings(rng, Impression.FLAT, sensor.render_size, params, degradation)
    dryness, wetness, pressure = settings.dryness, settings.wetness, settings.pressure
    if sensor.skin != "any":
        level = float(rng.uniform(*sensor.skin_level))
        dryness, wetness = (level, 0.0) if sensor.skin == "dry" else (0.0, level)
        pressure = float(np.clip(rng.normal(0.0, 0.12) + 0.35 * wetness - 0.3 * dryness, -0.6, 0.6))
    settings = dataclasses.replace(
        settings,
        contrast=float(rng.uniform(*sensor.contrast)),
        background=float(rng.uniform(*sensor.background)),
        blur=float(rng.uniform(*sensor.blur)),
        noise=float(rng.uniform(*sensor.noise)),
        dryness=dryness,
        wetness=wetness,
        pressure=pressure,
    )

    def optics(stream: np.random.Generator, grey: np.ndarray) -> np.ndarray:
        if sensor.unevenness > 0:
            grey = grey * _illumination(stream, grey.shape, sensor.unevenness)
        return resample_to_ppi(grey, sensor.ppi, sensor.size)

    image, truth = render_impression(rng, master, settings, params, optics=optics)
    scale = sensor.ppi / _RENDER_PPI
    rows, cols = sensor.size
    kept = []
    for m in truth:
        x, y = m.x * scale, m.y * scale
        if 0 <= x <= cols - 1 and 0 <= y <= rows - 1:
            kept.append(Minutia(x, y, m.angle, m.type))
    return image, kept
