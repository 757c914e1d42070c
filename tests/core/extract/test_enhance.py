"""Ridge band (period, clarity) and contextual enhancement on gratings of known period."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.extract.enhance import enhance, ridge_band
from station.core.extract.orientation import orientation_field
from station.core.extract.params import DEFAULT_PARAMETERS
from station.core.extract.spectra import block_spectra

SHAPE = (128, 128)
BLOCKS = (slice(2, -2), slice(2, -2))  # blocks whose window lies inside the image
PIXELS = (slice(16, -16), slice(16, -16))


def _band(image: np.ndarray, field=None):
    field = orientation_field(image, DEFAULT_PARAMETERS) if field is None else field
    spec = block_spectra(image, float(np.median(image)), DEFAULT_PARAMETERS.window)
    return spec, ridge_band(spec, field, DEFAULT_PARAMETERS)


@pytest.mark.parametrize("period", [6.0, 7.0, 8.0, 9.0])
@pytest.mark.parametrize("degrees", [0, 30, 45, 90, 135])
def test_ridge_period_of_a_grating_is_found_within_half_a_pixel(
    grating, degrees: int, period: float
) -> None:
    image = grating(SHAPE, degrees, period)
    field = orientation_field(image, DEFAULT_PARAMETERS)
    spec, band = _band(image, field)
    assert np.abs(band.period[BLOCKS] - period).max() < 0.5
    assert band.clarity[BLOCKS].min() > 0.8
    # The normal is the field's ridge orientation turned by a right angle.
    theta = field.at(spec.centres_x, spec.centres_y)
    assert np.allclose(np.cos(2 * band.normal), -np.cos(2 * theta), atol=1e-5)
    assert np.allclose(np.sin(2 * band.normal), -np.sin(2 * theta), atol=1e-5)


@pytest.mark.xfail(
    strict=True,
    reason="the period is a power-squared mean over 32 px spectrum samples, pulled toward "
    "the nearest sample: 12 px at 30 degrees reads 13.09 px, 13 px at 45 degrees 11.49 px "
    "(0.1-0.4 px off for 6-9 px periods)",
)
def test_long_ridge_period_is_found_within_half_a_pixel(grating) -> None:
    _, band = _band(grating(SHAPE, 30, 12.0))
    assert np.abs(band.period[BLOCKS] - 12.0).max() < 0.5


def test_noise_has_low_clarity() -> None:
    rng = np.random.default_rng(0)
    _, band = _band(rng.normal(128, 40, SHAPE).astype(np.float32))
    assert band.clarity.max() < 0.15


def test_a_flat_block_has_no_period() -> None:
    image = np.full(SHAPE, 200.0, np.float32)
    _, band = _band(image)
    assert np.isnan(band.period).all()
    assert (band.clarity == 0).all() and (band.strength == 0).all()


@pytest.mark.parametrize("period", [7.0, 9.0, 12.0])
def test_enhancement_recovers_a_grating_from_heavy_noise(grating, period: float) -> None:
    clean = grating(SHAPE, 30, period)
    rng = np.random.default_rng(1)
    noisy = clean + rng.normal(0, 60, SHAPE).astype(np.float32)
    spec, band = _band(noisy)
    mask = np.ones(SHAPE, bool)
    result = enhance(spec, band, mask, DEFAULT_PARAMETERS)
    assert result.ridges.shape == SHAPE and result.ridges.dtype == np.float32
    ridges = 128.0 - clean  # positive on the (dark) ridges
    before = np.corrcoef(128.0 - noisy[PIXELS].ravel(), ridges[PIXELS].ravel())[0, 1]
    after = np.corrcoef(result.ridges[PIXELS].ravel(), ridges[PIXELS].ravel())[0, 1]
    assert before < 0.8
    assert after > 0.99
    lo, hi = DEFAULT_PARAMETERS.period_range
    assert ((result.period >= lo) & (result.period <= hi)).all()


def test_enhancement_leaves_blocks_away_from_the_foreground_empty(grating) -> None:
    image = grating(SHAPE, 0, 9.0)
    spec, band = _band(image)
    mask = np.zeros(SHAPE, bool)
    mask[:, :48] = True
    ridges = enhance(spec, band, mask, DEFAULT_PARAMETERS).ridges
    # Blocks reach 16 px either side of their centres, every 16 px: the last block that
    # touches column 47 is centred at 48 and ends at column 63.
    assert (ridges[:, 64:] == 0).all()
    assert np.abs(ridges[16:-16, :40]).mean() > 20
