"""Compiled kernels of the extractor against the numpy code each replaced, bit for bit.

Each ``_reference_*`` function below is the numpy code a kernel replaced, kept as the
specification: on real prints (clean, degraded, rolled) and on drawn inputs the kernel must
give the same arrays to the last bit.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from station.core.extract import _kernels
from station.core.extract.enhance import ridge_band
from station.core.extract.orientation import OrientationField, orientation_field
from station.core.extract.params import DEFAULT_PARAMETERS, ExtractParameters
from station.core.extract.preprocess import prepare
from station.core.extract.segmentation import segment
from station.core.extract.spectra import BlockSpectra, block_spectra
from station.core.synth import impression

_CASES = [
    (32_000, "flat", None, 0.0),
    (32_001, "flat", None, 0.8),
    (32_002, "flat", (300, 260), 0.4),
    (32_003, "rolled", None, 0.2),
]


@functools.lru_cache(maxsize=8)
def _stages(
    seed: int, kind: str, size: tuple[int, int] | None, degradation: float
) -> tuple[np.ndarray, OrientationField, BlockSpectra, np.ndarray]:
    """Grey image, orientation field, block spectra and mask of a synthetic print."""
    image, _ = impression(seed, "R3", 0, kind=kind, size=size, degradation=degradation)
    params = DEFAULT_PARAMETERS
    grey = prepare(image, 500, params)
    field = orientation_field(grey, params)
    spectra = block_spectra(grey, float(np.median(grey)), params.window)
    band = ridge_band(spectra, field, params)
    mask = segment(grey, field, band.clarity, params)
    assert mask.any() and not mask.all()
    return grey, field, spectra, mask


def _reference_touching(spec: BlockSpectra, mask: np.ndarray) -> np.ndarray:
    half = spec.window.shape[0] // 2
    n_r, n_c = spec.centres_x.shape
    rows, cols = mask.shape
    padded = np.zeros(((n_r + 1) * half, (n_c + 1) * half), bool)
    padded[half : half + rows, half : half + cols] = mask
    cells = padded.reshape(n_r + 1, half, n_c + 1, half).any(axis=(1, 3))
    return cells[:-1, :-1] | cells[1:, :-1] | cells[:-1, 1:] | cells[1:, 1:]


@pytest.mark.parametrize("case", _CASES)
def test_touching_blocks_are_the_numpy_ones(case: tuple) -> None:
    _, _, spec, mask = _stages(*case)
    got = _kernels.touching_blocks(mask, spec.window.shape[0] // 2, spec.centres_x.shape)
    want = _reference_touching(spec, mask)
    assert want.any() and not want.all()
    np.testing.assert_array_equal(got, want)


def test_touching_blocks_on_drawn_masks() -> None:
    rng = np.random.default_rng(5)
    for _ in range(60):
        rows, cols = rng.integers(48, 140, 2)
        image = np.zeros((rows, cols), np.float32)
        spec = block_spectra(image, 0.0, 16)
        mask = rng.random((rows, cols)) < rng.random() * 0.01
        got = _kernels.touching_blocks(mask, 8, spec.centres_x.shape)
        np.testing.assert_array_equal(got, _reference_touching(spec, mask))


def _reference_wraps(doubled: np.ndarray) -> np.ndarray:
    from station.core.extract.singular import _PATH

    rows, cols = doubled.shape
    p = np.empty((rows + 4, cols + 4), doubled.dtype)  # np.pad(doubled, 2, mode="edge")
    p[2:-2, 2:-2] = doubled
    p[:2, 2:-2] = doubled[0]
    p[-2:, 2:-2] = doubled[-1]
    p[:, :2] = p[:, 2:3]
    p[:, -2:] = p[:, -3:-2]
    ring = [p[2 + dr : 2 + dr + rows, 2 + dc : 2 + dc + cols] for dr, dc in _PATH]
    wraps = np.zeros(doubled.shape, np.int8)
    turn = np.empty_like(doubled)
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        np.subtract(b, a, out=turn)
        wraps += turn < -np.pi
        wraps -= turn >= np.pi
    return wraps


def _smoothed_doubled(field: OrientationField) -> np.ndarray:
    from station.core.extract.smoothing import gaussian

    cos2, sin2 = field.doubled
    return np.arctan2(gaussian(sin2 * field.coherence, 2.0), gaussian(cos2 * field.coherence, 2.0))


@pytest.mark.parametrize("case", _CASES)
def test_ring_wraps_are_the_numpy_ones(case: tuple) -> None:
    from station.core.extract.singular import _PATH_COLS, _PATH_ROWS

    _, field, _, _ = _stages(*case)
    doubled = _smoothed_doubled(field)
    got = _kernels.ring_wraps(doubled, _PATH_ROWS, _PATH_COLS)
    want = _reference_wraps(doubled)
    assert (want != 0).any()
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype


def test_ring_wraps_on_drawn_fields() -> None:
    # Random angles (many wraps, steps of exactly +-pi) and small grids (the path runs off
    # every side).
    from station.core.extract.singular import _PATH_COLS, _PATH_ROWS

    rng = np.random.default_rng(11)
    for _ in range(40):
        shape = tuple(rng.integers(1, 30, 2))
        doubled = rng.uniform(-np.pi, np.pi, shape)
        doubled[rng.random(shape) < 0.2] = np.pi
        doubled[rng.random(shape) < 0.2] = -np.pi
        got = _kernels.ring_wraps(doubled, _PATH_ROWS, _PATH_COLS)
        np.testing.assert_array_equal(got, _reference_wraps(doubled))


@pytest.mark.parametrize("case", _CASES)
def test_gradient_moments_are_the_numpy_ones_on_prints(case: tuple) -> None:
    # The numpy path of orientation_field (_gradient, then cell_mean of each product).
    from station.core.extract.orientation import _gradient, cell_mean
    from station.core.extract.smoothing import gaussian

    grey, _, _, _ = _stages(*case)
    for image in (gaussian(grey, DEFAULT_PARAMETERS.gradient_sigma), grey[1:, 3:]):
        gy, gx = _gradient(image, 4)
        expected = (cell_mean(gx * gx, 4), cell_mean(gy * gy, 4), cell_mean(gx * gy, 4))
        for got, want in zip(_kernels.gradient_moments(image, 4), expected, strict=True):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape", [(2, 9), (7, 2), (3, 3), (13, 17), (33, 401)])
@pytest.mark.parametrize("step", [1, 3, 4])
def test_gradient_moments_on_small_and_ragged_images(shape: tuple[int, int], step: int) -> None:
    from station.core.extract.orientation import _gradient, cell_mean

    image = np.random.default_rng(step).normal(128, 50, shape).astype(np.float32)
    gy, gx = _gradient(image, step)
    expected = (cell_mean(gx * gx, step), cell_mean(gy * gy, step), cell_mean(gx * gy, step))
    for got, want in zip(_kernels.gradient_moments(image, step), expected, strict=True):
        np.testing.assert_array_equal(got, want)


def _reference_angular_weight(
    normal: np.ndarray, fu: np.ndarray, fv: np.ndarray, params: ExtractParameters
) -> np.ndarray:
    """The extractor's former numpy angular weight of spectrum samples ``(fu, fv)`` around
    each block's ridge normal (see ``_kernels.angular_exponents``).

    Modulo pi (the spectrum has two lobes): the von Mises form
    ``exp((cos 2d - 1) / (4 s^2)) ~ exp(-d^2 / (2 s^2))`` for small ``d``, with ``cos 2d``
    from products of precomputed cosines and sines (no per-sample angles).

    Parameters
    ----------
    normal : (...) ndarray of float32
        Ridge normal per block (rad).
    fu, fv : (K...) ndarray
        Frequencies of the samples along x and y.
    params : ExtractParameters
        Uses ``angular_sigma``.

    Returns
    -------
    weight : (..., K...) ndarray of float32
    """
    direction = np.arctan2(fv, fu)
    c2 = np.cos(2 * direction).astype(np.float32)
    s2 = np.sin(2 * direction).astype(np.float32)
    extra = (None,) * c2.ndim
    weight = c2 * np.cos(2 * normal)[(..., *extra)]
    weight += s2 * np.sin(2 * normal)[(..., *extra)]  # cos 2d
    weight -= np.float32(1.0)
    weight *= np.float32(1.0 / (4 * params.angular_sigma**2))
    return np.exp(weight, out=weight)


def _reference_ridge_band(spec: BlockSpectra, field: OrientationField, params) -> tuple:
    """The numpy ridge_band that angular_exponents and band_sums replaced."""
    theta = field.at(spec.centres_x, spec.centres_y)
    normal = (theta + np.pi / 2).astype(np.float32)
    radius = np.hypot(spec.fu, spec.fv).astype(np.float32)
    lo, hi = 1.0 / params.period_range[1], 1.0 / params.period_range[0]
    in_band = np.nonzero(((radius >= lo) & (radius <= hi)).ravel())[0]
    n_r, n_c = normal.shape
    flat = spec.spectra.reshape(n_r, n_c, -1)
    band = flat[:, :, in_band]
    angular = _reference_angular_weight(
        normal, spec.fu.ravel()[in_band], spec.fv.ravel()[in_band], params
    )
    weight = band.real**2 + band.imag**2
    weight *= angular
    squared = weight**2
    sq = squared.sum(axis=2)
    squared *= radius.ravel()[in_band]
    freq = np.where(sq > 0, squared.sum(axis=2) / np.maximum(sq, 1e-30), 0.0)
    period = np.where(freq > 0, 1.0 / np.maximum(freq, 1e-9), np.nan)
    parts = flat.view(np.float32)
    first = spec.spectra[..., 0]
    total = (
        2 * np.einsum("rck,rck->rc", parts, parts)
        - (first.real**2 + first.imag**2).sum(axis=2)
        - (first[..., 0].real ** 2 + first[..., 0].imag ** 2)
    )
    energy = weight.sum(axis=2)
    clarity = np.clip(2 * energy / np.maximum(total, 1e-12), 0.0, 1.0)
    return period, clarity, np.sqrt(np.maximum(energy, 0.0)), normal


@pytest.mark.parametrize("case", _CASES)
def test_ridge_band_is_the_numpy_one(case: tuple) -> None:
    _, field, spec, _ = _stages(*case)
    band = ridge_band(spec, field, DEFAULT_PARAMETERS)
    got = (band.period, band.clarity, band.strength, band.normal)
    for g, want in zip(got, _reference_ridge_band(spec, field, DEFAULT_PARAMETERS), strict=True):
        assert g.dtype == want.dtype
        np.testing.assert_array_equal(g, want)


@pytest.mark.parametrize("window", [16, 64])
def test_ridge_band_is_the_numpy_one_with_other_windows(window: int) -> None:
    # A 64 px window puts more than 128 samples in the band and in a column (numpy's
    # pairwise sum splits those runs).
    grey, field, _, _ = _stages(*_CASES[1])
    spec = block_spectra(grey, float(np.median(grey)), window)
    band = ridge_band(spec, field, DEFAULT_PARAMETERS)
    got = (band.period, band.clarity, band.strength, band.normal)
    for g, want in zip(got, _reference_ridge_band(spec, field, DEFAULT_PARAMETERS), strict=True):
        np.testing.assert_array_equal(g, want)


def test_angular_exponents_give_the_former_angular_weight() -> None:
    rng = np.random.default_rng(3)
    normal = rng.uniform(0, np.pi, (7, 9)).astype(np.float32)
    fu, fv = rng.uniform(-0.5, 0.5, (2, 40))
    direction = np.arctan2(fv, fu)
    got = _kernels.angular_exponents(
        np.cos(2 * direction).astype(np.float32),
        np.sin(2 * direction).astype(np.float32),
        np.cos(2 * normal).ravel(),
        np.sin(2 * normal).ravel(),
        np.float32(1.0 / (4 * DEFAULT_PARAMETERS.angular_sigma**2)),
    )
    want = _reference_angular_weight(normal, fu, fv, DEFAULT_PARAMETERS)
    np.testing.assert_array_equal(np.exp(got).reshape(want.shape), want)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 32, 65, 128, 129, 136, 300, 1000, 4097])
def test_pairwise_sum_is_numpys(n: int) -> None:
    values = (np.random.default_rng(n).random(n + 5) * 1000).astype(np.float32)
    assert _kernels._pairwise_sum(values, 5, n) == values[5:].sum()


@pytest.mark.parametrize("case", _CASES)
def test_assess_counts_are_the_numpy_sums_and_means(case: tuple) -> None:
    # _assess counts the mask's pixels and the dark share with count_nonzero: the same
    # floats as the sum and mean of the bool arrays.
    from station.core.extract import _percentiles

    grey, _, _, mask = _stages(*case)
    fg = grey[mask]
    low, high = _percentiles(grey, [5, 95], mask)
    middle = 0.5 * (low + high)
    assert float(np.count_nonzero(mask)) == float(mask.sum())
    assert float(np.count_nonzero(fg < middle) / fg.size) == float((fg < middle).mean())


def _reference_candidates(skel: np.ndarray, mask: np.ndarray, edge: np.ndarray, margin: float):
    """find_minutiae's candidates before skeleton_candidates: every skeleton pixel's
    crossing number and border distance."""
    from station.core.extract.minutiae import _border_distance, _crossing_number

    rows, cols = np.divmod(np.flatnonzero(skel), skel.shape[1])
    on = np.pad(skel, 1).astype(np.uint8).ravel()
    cn = _crossing_number(on, skel.shape[1] + 2, rows, cols)
    distance = _border_distance(mask, 4, edge)
    cand = ((cn == 1) | (cn == 3)) & (distance(rows, cols) >= margin)
    return rows[cand], cols[cand], cn[cand]


@pytest.mark.parametrize("case", _CASES)
def test_skeleton_candidates_are_the_numpy_ones(case: tuple) -> None:
    from station.core.extract.enhance import enhance
    from station.core.extract.minutiae import skeleton
    from station.core.extract.segmentation import edge_distance

    _, field, spec, mask = _stages(*case)
    band = ridge_band(spec, field, DEFAULT_PARAMETERS)
    skel = skeleton(enhance(spec, band, mask, DEFAULT_PARAMETERS).ridges, mask)
    edge = edge_distance(mask, 4)
    on = np.pad(skel, 1).astype(np.uint8).ravel()
    for margin in (0.0, 4.5, 30.0):
        got = _kernels.skeleton_candidates(on, skel.shape[1] + 2, edge, mask, 4, margin)
        want = _reference_candidates(skel, mask, edge, margin)
        assert want[0].size > 0
        for g, w in zip(got, want, strict=True):
            assert g.dtype == w.dtype
            np.testing.assert_array_equal(g, w)


def test_skeleton_candidates_on_random_pixels_at_the_border() -> None:
    rng = np.random.default_rng(9)
    for _ in range(30):
        shape = tuple(rng.integers(3, 60, 2))
        skel = rng.random(shape) < rng.random()
        mask = rng.random(shape) < 0.9
        edge = rng.integers(0, 5, (-(-shape[0] // 4), -(-shape[1] // 4))) * 4.0
        on = np.pad(skel, 1).astype(np.uint8).ravel()
        got = _kernels.skeleton_candidates(on, shape[1] + 2, edge, mask, 4, 4.0)
        for g, w in zip(got, _reference_candidates(skel, mask, edge, 4.0), strict=True):
            np.testing.assert_array_equal(g, w)
