"""The compiled Gaussian against ``scipy.ndimage.gaussian_filter``: the same values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from station.core.extract.smoothing import gaussian


@pytest.mark.parametrize("sigma", [0.5, 1.0, 1.75, 2.0, 3.3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gaussian_is_ndimages_to_the_last_bit(sigma: float, dtype: type) -> None:
    rng = np.random.default_rng(int(sigma * 10))
    radius = int(4 * sigma + 0.5)
    for _ in range(20):
        rows, cols = rng.integers(radius + 1, 80, 2)
        image = rng.normal(100, 60, (rows, cols)).astype(dtype)
        got = gaussian(image, sigma)
        assert got.dtype == image.dtype
        np.testing.assert_array_equal(got, ndimage.gaussian_filter(image, sigma))


def test_gaussian_of_a_strided_view_and_at_the_edges() -> None:
    image = np.zeros((40, 60), np.float32)
    image[0, 0] = image[39, 59] = image[20, 0] = 255.0  # mirrored at every edge
    view = image[::2, ::3]
    np.testing.assert_array_equal(gaussian(view, 1.0), ndimage.gaussian_filter(view, 1.0))
    np.testing.assert_array_equal(gaussian(image, 2.0), ndimage.gaussian_filter(image, 2.0))


def test_gaussian_hands_what_it_does_not_compile_to_ndimage() -> None:
    short = np.arange(12, dtype=np.float32).reshape(3, 4)  # shorter than the kernel radius
    np.testing.assert_array_equal(gaussian(short, 2.0), ndimage.gaussian_filter(short, 2.0))
    ints = np.arange(100).reshape(10, 10)
    np.testing.assert_array_equal(gaussian(ints, 1.0), ndimage.gaussian_filter(ints, 1.0))
    assert gaussian(ints, 1.0).dtype == ints.dtype


@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan")])
def test_gaussian_refuses_a_sigma_that_is_not_positive(sigma: float) -> None:
    with pytest.raises(ValueError, match="sigma must be positive"):
        gaussian(np.zeros((9, 9), np.float32), sigma)
