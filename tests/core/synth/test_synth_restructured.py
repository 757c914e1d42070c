"""The generator's numpy restructurings against the code they replaced, bit for bit.

Each ``_reference_*`` function is the generator's former code, kept here as the
specification: the restructured code must give the same values to the last bit and leave
the random stream where the former code left it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import fft, ndimage

from station.core.synth.impression import _COARSE, _STRIP, _upsample
from station.core.synth.phase import _GAUSSIAN_TRUNCATE, _weighted_draws, _wide_gaussian


def _reference_weighted_draws(
    rng: np.random.Generator, weights: np.ndarray, size: int
) -> np.ndarray:
    """_required_spirals' former draw: ``Generator.choice`` with the weights scaled to 1."""
    flat = weights / weights.sum()
    return rng.choice(flat.size, size=size, p=flat)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("share", [0.02, 0.3, 1.0])
def test_weighted_draws_equal_generator_choice(seed: int, share: float) -> None:
    source = np.random.default_rng(seed)
    weights = source.gamma(0.5, 1e-3, 20_000) * (source.random(20_000) < share)
    weights[source.integers(weights.size)] = 1e-3  # at least one nonzero weight
    size = int(source.integers(1, 800))
    ours, theirs = np.random.default_rng(seed + 100), np.random.default_rng(seed + 100)
    got = _weighted_draws(ours, weights, weights.sum(), size)
    want = _reference_weighted_draws(theirs, weights, size)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert ours.random() == theirs.random()  # the stream is left where choice left it


def test_weighted_draws_never_pick_a_zero_weight() -> None:
    weights = np.zeros(1000)
    weights[[3, 500, 999]] = [1.0, 2.0, 1.0]
    draws = _weighted_draws(np.random.default_rng(0), weights, weights.sum(), 5000)
    assert set(draws.tolist()) == {3, 500, 999}


def _reference_paper(paper: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """_paint's former paper: upsampled strip by strip into the image."""
    rows, cols = shape
    image = np.empty((rows, cols), np.float32)
    strip = _STRIP * _COARSE
    for top in range(0, rows, strip):
        height = min(strip, rows - top)
        j0 = top // _COARSE
        coarse_rows = slice(j0, j0 + -(-(height - 1) // _COARSE) + 1)
        image[top : top + height] = _upsample(paper[coarse_rows], (height, cols))
    return image


@pytest.mark.parametrize("shape", [(800, 750), (512, 512), (300, 301), (65, 64), (63, 9)])
def test_paper_in_one_pass_equals_the_strips(shape: tuple[int, int]) -> None:
    rows, cols = shape
    coarse = (-(-(rows - 1) // _COARSE) + 1, -(-(cols - 1) // _COARSE) + 1)
    paper = 230.0 - 12.0 * np.random.default_rng(rows * cols).standard_normal(coarse)
    whole = _upsample(paper, shape)
    assert whole.shape == shape and whole.dtype == np.float32
    assert whole.tobytes() == _reference_paper(paper, shape).tobytes()


def _reference_wide_gaussian(a: np.ndarray, sigma: float) -> np.ndarray:
    """phase's former ``_wide_gaussian``: np.pad, then ``rfft2`` and ``irfft2`` of the whole."""
    radius = int(_GAUSSIAN_TRUNCATE * float(sigma) + 0.5)
    taps = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 / (sigma * sigma) * taps**2)
    kernel /= kernel.sum()
    padded = np.pad(a, radius, mode="symmetric")  # ndimage's "reflect"
    rows = fft.next_fast_len(padded.shape[0], real=True)
    cols = fft.next_fast_len(padded.shape[1], real=True)

    def response(n: int) -> np.ndarray:
        centred = np.zeros(n)
        centred[: 2 * radius + 1] = kernel
        return np.roll(centred, -radius)

    spectrum = fft.rfft2(padded, s=(rows, cols), workers=1)
    spectrum *= fft.fft(response(rows), workers=1)[:, None]
    spectrum *= fft.rfft(response(cols), workers=1)[None, :]
    out = fft.irfft2(spectrum, s=(rows, cols), workers=1)
    return out[radius : radius + a.shape[0], radius : radius + a.shape[1]]


@pytest.mark.parametrize(
    ("shape", "sigma"),
    [
        ((370, 360), 16.8),
        ((317, 297), 14.2),
        ((64, 50), 3.0),
        ((40, 12), 3.0),
        ((12, 40), 2.9),
        ((13, 13), 3.1),
        ((9, 30), 5.0),
        ((5, 5), 0.1),
    ],
)
def test_wide_gaussian_equals_the_whole_inverse_transform(
    shape: tuple[int, int], sigma: float
) -> None:
    a = np.random.default_rng(shape[0] + shape[1]).standard_normal(shape)
    got = _wide_gaussian(a, sigma)
    want = _reference_wide_gaussian(a, sigma)
    assert got.shape == shape
    assert got.tobytes() == want.tobytes()
    np.testing.assert_allclose(got, ndimage.gaussian_filter(a, sigma), atol=1e-12)
