"""The orientation stage on sinusoidal gratings of known direction, and on noise."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.extract.orientation import OrientationField, cell_mean, orientation_field
from station.core.extract.params import DEFAULT_PARAMETERS

SHAPE = (128, 128)
INTERIOR = (slice(4, -4), slice(4, -4))  # grid cells 16 px or more from the image edge


@pytest.mark.parametrize("period", [9.0, 12.0])
@pytest.mark.parametrize("degrees", [0, 20, 30, 45, 90, 135, 170])
def test_grating_orientation_is_found_within_two_degrees(
    grating, orientation_error, degrees: int, period: float
) -> None:
    field = orientation_field(grating(SHAPE, degrees, period), DEFAULT_PARAMETERS)
    assert field.step == 4 and field.theta.shape == (32, 32)
    assert ((field.theta >= 0) & (field.theta < np.pi)).all()
    assert orientation_error(field.theta[INTERIOR], degrees).max() < 2.0
    assert field.coherence[INTERIOR].min() > 0.99


@pytest.mark.xfail(
    strict=True,
    reason="central-difference gradients bias short periods: at 6 px and 20-30 degrees the "
    "error is 2.5-2.9 degrees (1.2 at 9 px); prints at 500 ppi have periods of 8-12 px",
)
def test_short_period_orientation_is_found_within_two_degrees(grating, orientation_error) -> None:
    field = orientation_field(grating(SHAPE, 20, 6.0), DEFAULT_PARAMETERS)
    assert orientation_error(field.theta[INTERIOR], 20).max() < 2.0


def test_coherence_is_high_on_ridges_and_low_on_noise(grating) -> None:
    ridges = orientation_field(grating(SHAPE, 30, 9.0), DEFAULT_PARAMETERS)
    rng = np.random.default_rng(0)
    noise = rng.normal(128, 40, SHAPE).astype(np.float32)
    random = orientation_field(noise, DEFAULT_PARAMETERS)
    assert ridges.coherence[INTERIOR].min() > 0.99
    assert random.coherence[INTERIOR].mean() < 0.2
    # Energy is the mean squared gradient: it grows with the square of the contrast.
    faint = orientation_field(grating(SHAPE, 30, 9.0, contrast=25.0), DEFAULT_PARAMETERS)
    ratio = ridges.energy[INTERIOR] / faint.energy[INTERIOR]
    assert np.allclose(ratio, 16.0, rtol=1e-3)


def test_a_blank_image_has_no_direction() -> None:
    field = orientation_field(np.full(SHAPE, 200, np.float32), DEFAULT_PARAMETERS)
    assert (field.coherence == 0).all() and (field.energy == 0).all()


def test_orientation_is_interpolated_across_the_zero_degree_wrap() -> None:
    # 179 and 1 degrees are 2 degrees apart: halfway between them is 0, not 90.
    theta = np.radians([[179.0, 1.0], [179.0, 1.0]])
    coherence = np.array([[0.2, 0.6], [0.2, 0.6]])
    field = OrientationField(theta, coherence, np.ones((2, 2)), step=4)
    middle = float(field.at(np.array([2.0]), np.array([0.0]))[0])
    assert min(middle, np.pi - middle) < 1e-9
    assert field.at(np.array([0.0, 4.0]), np.array([4.0, 4.0])) == pytest.approx(
        np.radians([179.0, 1.0])
    )
    assert field.coherence_at(np.array([1.0, 2.0]), np.array([0.0, 4.0])) == pytest.approx(
        [0.3, 0.4]
    )


def test_cell_mean_averages_each_cell() -> None:
    a = np.arange(32, dtype=float).reshape(4, 8)
    expected = np.array([[4.5, 6.5, 8.5, 10.5], [20.5, 22.5, 24.5, 26.5]])
    assert np.array_equal(cell_mean(a, 2), expected)
    assert np.array_equal(cell_mean(a, 4), [[13.5, 17.5]])


@pytest.mark.parametrize("shape", [(2, 2), (5, 7), (48, 61), (300, 300)])
def test_compiled_gradient_moments_are_the_numpy_ones_to_the_last_bit(shape) -> None:
    from station.core.extract._kernels import gradient_moments
    from station.core.extract.orientation import _gradient, cell_mean

    image = np.random.default_rng(shape[1]).normal(128, 50, shape).astype(np.float32)
    gy, gx = _gradient(image, 4)
    expected = (cell_mean(gx * gx, 4), cell_mean(gy * gy, 4), cell_mean(gx * gy, 4))
    for got, want in zip(gradient_moments(image, 4), expected, strict=True):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want)
