"""Block spectra and overlap-add: the grid, the frequency axes and exact resynthesis."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.extract.spectra import block_spectra, overlap_add

WINDOW = 32


def _all_blocks(spec) -> tuple[np.ndarray, np.ndarray]:
    return np.nonzero(np.ones(spec.centres_x.shape, bool))


def test_blocks_are_centred_every_half_window_and_cover_the_image() -> None:
    spec = block_spectra(np.zeros((100, 90), np.float32), 0.0, WINDOW)
    assert spec.spectra.shape == (8, 7, WINDOW, WINDOW // 2 + 1)
    assert spec.centres_y[:, 0].tolist() == [16.0 * i for i in range(8)]
    assert spec.centres_x[0].tolist() == [16.0 * j for j in range(7)]
    assert spec.shape == (100, 90) and spec.window.shape == (WINDOW, WINDOW)
    # The synthesis window squared is a Hann window: half-overlapping copies sum to one.
    hann = spec.window.astype(float) ** 2
    tiled = hann[:16, :16] + hann[16:, :16] + hann[:16, 16:] + hann[16:, 16:]
    assert np.allclose(tiled, 1.0, atol=1e-6)


@pytest.mark.parametrize(
    ("along", "expected"),
    [
        ("x", (0.125, 0.0)),
        ("y", (0.0, 0.125)),
        ("x+y", (0.0625, 0.0625)),
        ("x-y", (0.0625, -0.0625)),
    ],
)
def test_a_grating_peaks_at_its_frequency(along: str, expected: tuple[float, float]) -> None:
    y, x = np.mgrid[0:96, 0:96].astype(float)
    across = {"x": x, "y": y, "x+y": (x + y) / 2, "x-y": (x - y) / 2}[along]
    image = 128 + 100 * np.cos(2 * np.pi * across / 8)  # period 8 px along x, y or both
    spec = block_spectra(image, 128.0, WINDOW)
    power = np.abs(spec.spectra[2, 2]) ** 2
    peaks = np.argwhere(power > 0.25 * power.max())
    found = {(float(spec.fu[r, c]), float(spec.fv[r, c])) for r, c in peaks}
    # rfft2 keeps one half-plane: (0, 1/8) and (0, -1/8) are both stored for a y grating.
    assert expected in found
    assert len(found) <= 2


def test_a_flat_image_has_empty_spectra() -> None:
    spec = block_spectra(np.full((64, 64), 77.0, np.float32), 77.0, WINDOW)
    assert np.abs(spec.spectra).max() == 0.0


def test_overlap_add_of_unfiltered_blocks_gives_back_the_image() -> None:
    # Every 32 px block of this pattern has mean 128, so removing block means removes 128.
    y, x = np.mgrid[0:96, 0:96].astype(float)
    image = (128 + 100 * np.cos(2 * np.pi * x / 8) + 50 * np.sin(2 * np.pi * y / 16)).astype(
        np.float32
    )
    spec = block_spectra(image, 128.0, WINDOW)
    where = _all_blocks(spec)
    out = overlap_add(spec, spec.spectra[where], where)
    assert out.shape == image.shape and out.dtype == np.float32
    assert np.abs(out - (image - 128)).max() < 1e-3


def test_overlap_add_leaves_pixels_of_unlisted_blocks_empty() -> None:
    x = np.arange(96, dtype=float)
    image = np.tile(128 + 100 * np.cos(2 * np.pi * x / 8), (96, 1)).astype(np.float32)
    spec = block_spectra(image, 128.0, WINDOW)
    listed = np.zeros(spec.centres_x.shape, bool)
    listed[:, :2] = True  # block columns 0 and 1 cover image columns 0-31
    where = np.nonzero(listed)
    out = overlap_add(spec, spec.spectra[where], where)
    # Columns 0-15 get both their blocks: exact; columns 32 on get none.
    assert np.abs(out[:, :16] - (image[:, :16] - 128)).max() < 1e-3
    assert (out[:, 32:] == 0).all()


def _numpy_overlap_add(spec, filtered, where) -> np.ndarray:
    """The former numpy overlap-add: window, then each quarter added by fancy indexing."""
    from scipy import fft

    half = WINDOW // 2
    blocks = fft.irfft2(filtered, s=(WINDOW, WINDOW), axes=(1, 2), workers=1)
    blocks *= spec.window
    n_r, n_c = spec.centres_x.shape
    tiles = np.zeros((n_r + 1, n_c + 1, half, half), np.float32)
    i, j = where
    tiles[i, j] += blocks[:, :half, :half]
    tiles[i, j + 1] += blocks[:, :half, half:]
    tiles[i + 1, j] += blocks[:, half:, :half]
    tiles[i + 1, j + 1] += blocks[:, half:, half:]
    image = tiles.transpose(0, 2, 1, 3).reshape((n_r + 1) * half, (n_c + 1) * half)
    rows, cols = spec.shape
    return image[half : half + rows, half : half + cols]


@pytest.mark.parametrize("shape", [(96, 96), (101, 77), (48, 300)])
def test_overlap_add_is_the_numpy_sum_to_the_last_bit(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(shape[1])
    image = rng.normal(128, 60, shape).astype(np.float32)
    spec = block_spectra(image, 128.0, WINDOW)
    listed = rng.random(spec.centres_x.shape) < 0.7  # some blocks left out
    where = np.nonzero(listed)
    gain = rng.random((len(where[0]), WINDOW, WINDOW // 2 + 1)).astype(np.float32)
    filtered = spec.spectra[where] * gain
    expected = _numpy_overlap_add(spec, filtered.copy(), where)
    np.testing.assert_array_equal(overlap_add(spec, filtered.copy(), where), expected)
    np.testing.assert_array_equal(overlap_add(spec, filtered.copy(), where, negate=True), -expected)
