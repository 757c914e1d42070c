"""Input conversion: grey levels, channels, bit depths and resolution (bad input is in
test_extract.py)."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.extract.params import DEFAULT_PARAMETERS
from station.core.extract.preprocess import prepare


@pytest.mark.parametrize(
    ("dpi", "shape"), [(1000, (100, 150)), (500, (200, 300)), (250, (400, 600))]
)
def test_other_resolutions_are_rescaled_to_500_ppi(dpi: int, shape: tuple[int, int]) -> None:
    image = np.full((200, 300), 90, np.uint8)
    grey = prepare(image, dpi, DEFAULT_PARAMETERS)
    assert grey.shape == shape and grey.dtype == np.float32
    assert np.allclose(grey, 90.0, atol=1e-3)


def test_rescaling_keeps_a_ridge_pattern_in_place() -> None:
    # A vertical grating of period 20 px at 1000 ppi is one of period 10 px at 500 ppi.
    x = np.arange(400, dtype=float)
    image = np.tile(128 + 100 * np.cos(2 * np.pi * x / 20), (200, 1))
    grey = prepare(image, 1000, DEFAULT_PARAMETERS)
    assert grey.shape == (100, 200)
    spectrum = np.abs(np.fft.rfft(grey[50] - grey[50].mean()))
    assert int(np.argmax(spectrum)) == 200 // 10


def test_a_print_too_small_after_rescaling_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        prepare(np.zeros((90, 90), np.uint8), 1000, DEFAULT_PARAMETERS)
    assert prepare(np.zeros((90, 90), np.uint8), 500, DEFAULT_PARAMETERS).shape == (90, 90)


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (np.array([[0, 255]], np.uint8), [0.0, 255.0]),
        (np.array([[0, 65535]], np.uint16), [0.0, 255.0]),
        (np.array([[False, True]]), [0.0, 255.0]),
        (np.array([[0.0, 1.0]]), [0.0, 255.0]),
        (np.array([[0.0, 0.5]]), [0.0, 127.5]),
        (np.array([[3.0, 200.0]]), [3.0, 200.0]),
        (np.array([[-20.0, 300.0]]), [0.0, 255.0]),
    ],
    ids=["uint8", "uint16", "bool", "float 0-1", "float 0-0.5", "float 0-255", "clipped"],
)
def test_grey_levels_are_brought_to_0_255(image: np.ndarray, expected: list[float]) -> None:
    tiled = np.tile(image, (48, 24))  # 48 x 48: the smallest accepted side
    grey = prepare(tiled, 500, DEFAULT_PARAMETERS)
    assert grey.dtype == np.float32
    assert grey[0, :2].tolist() == pytest.approx(expected)


def test_colour_is_weighted_and_transparency_is_white() -> None:
    rgb = np.zeros((48, 48, 3), np.uint8)
    rgb[..., 0] = 100
    rgb[..., 1] = 200
    grey = prepare(rgb, 500, DEFAULT_PARAMETERS)
    assert np.allclose(grey, 0.299 * 100 + 0.587 * 200)
    rgba = np.concatenate([rgb, np.zeros((48, 48, 1), np.uint8)], axis=2)
    rgba[:24, :, 3] = 255  # top half opaque, bottom half transparent
    grey = prepare(rgba, 500, DEFAULT_PARAMETERS)
    assert np.allclose(grey[:24], 0.299 * 100 + 0.587 * 200)
    assert np.allclose(grey[24:], 255.0)
    grey_alpha = np.stack([np.full((48, 48), 40, np.uint8), np.full((48, 48), 0, np.uint8)], 2)
    assert np.allclose(prepare(grey_alpha, 500, DEFAULT_PARAMETERS), 255.0)
