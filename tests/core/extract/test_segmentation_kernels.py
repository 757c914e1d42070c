"""The segmentation's compiled kernels against the ndimage calls they replaced.

``_reference_clean`` is the former clean-up of the foreground cells (closing, opening, hole
filling, dropping small pieces), kept as the specification; the kernels must give the same
cells, the same distances and the same block means to the last bit.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.draw import disk, rectangle

from station.core.extract._kernels import clean_cells, euclidean_distance

_CROSS = ndimage.generate_binary_structure(2, 1)


def _reference_clean(cells: np.ndarray, radius: int, cell_area: int, min_area: float):
    out = ndimage.binary_closing(cells, _CROSS, iterations=radius, border_value=0)
    out = ndimage.binary_opening(out, _CROSS, iterations=radius)
    out = ndimage.binary_fill_holes(out)
    labels, count = ndimage.label(out)
    if count:
        areas = np.bincount(labels.ravel(), minlength=count + 1) * cell_area
        kept = areas >= min_area
        kept[0] = False
        out = kept[labels]
    return out


def _random_grids(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for k in range(count):
        rows, cols = (int(n) for n in rng.integers(1, 50, 2))
        if k % 2:
            yield rng, rng.random((rows, cols)) < rng.uniform(0.05, 0.95)
        else:  # blobs, like foreground cells
            noise = ndimage.gaussian_filter(rng.random((rows, cols)), rng.uniform(0.5, 3.0))
            yield rng, noise > rng.uniform(0.4, 0.6)


def test_clean_cells_closes_opens_fills_and_drops_small_pieces_on_a_drawn_grid() -> None:
    cells = np.zeros((40, 40), bool)
    cells[rectangle((5, 5), end=(30, 30))] = True
    cells[16:19, 16:19] = False  # a hole: filled
    cells[10, 5:31] = False  # a one-cell gap across the finger: closed
    cells[36, 36] = True  # a speck: opened away
    cells[disk((35, 8), 2)] = True  # a small piece: closed into a blob, then dropped by area
    got = clean_cells(cells, 1, 16, 16 * 20.0)
    assert np.array_equal(got, _reference_clean(cells, 1, 16, 16 * 20.0))
    assert got[17, 17] and got[10, 15]  # hole filled, gap closed
    assert not got[36, 36] and not got[35, 8]  # speck and small piece gone
    assert got[5:31, 5:31].sum() > 0.9 * 26 * 26


def test_clean_cells_with_a_radius_beyond_the_grid() -> None:
    for cells in (np.zeros((2, 3), bool), np.eye(3, dtype=bool), np.ones((2, 2), bool)):
        for radius in (1, 5, 40):
            got = clean_cells(cells, radius, 1, 0.0)
            assert np.array_equal(got, _reference_clean(cells, radius, 1, 0.0))


def test_clean_cells_matches_ndimage_on_random_grids() -> None:
    for rng, cells in _random_grids(1, 400):
        radius = int(rng.integers(1, 6))
        cell_area = int(rng.integers(1, 20))
        min_area = float(rng.integers(0, 400))
        assert np.array_equal(
            clean_cells(cells, radius, cell_area, min_area),
            _reference_clean(cells, radius, cell_area, min_area),
        )


def test_euclidean_distance_matches_ndimage() -> None:
    drawn = np.ones((9, 11), bool)
    drawn[4, 5] = False
    expected = np.hypot(*np.mgrid[-4:5, -5:6])
    assert np.array_equal(euclidean_distance(drawn), expected)
    for rng, cells in _random_grids(2, 400):
        if cells.all():
            cells[int(rng.integers(cells.shape[0])), int(rng.integers(cells.shape[1]))] = False
        assert np.array_equal(euclidean_distance(cells), ndimage.distance_transform_edt(cells))


def _reference_block_means(padded: np.ndarray, half: int) -> np.ndarray:
    n_r, n_c = padded.shape[0] // half - 1, padded.shape[1] // half - 1
    cells = padded.reshape(n_r + 1, half, n_c + 1, half).sum(axis=(1, 3), dtype=np.float64)
    sums = cells[:-1, :-1] + cells[1:, :-1] + cells[:-1, 1:] + cells[1:, 1:]
    return (sums / (4 * half * half)).astype(np.float32)


def test_block_means_match_numpy_for_whole_and_fractional_grey_levels() -> None:
    from station.core.extract._kernels import block_means

    drawn = np.zeros((64, 64), np.float32)
    drawn[:32, :32] = 255.0  # one bright quarter: blocks over it 255, half over it 127.5
    assert block_means(drawn, 16)[0, 0] == 255.0 and block_means(drawn, 16)[0, 1] == 127.5
    rng = np.random.default_rng(4)
    for k in range(200):
        half = int(rng.choice([4, 8, 16]))
        rows, cols = (half * int(n) for n in rng.integers(2, 12, 2))
        if k % 2:
            padded = rng.integers(0, 256, (rows, cols)).astype(np.float32)
        else:  # fractional levels from 2**-14 up, as rescaled or 16-bit prints give
            padded = rng.uniform(2.0**-14, 255.0, (rows, cols)).astype(np.float32)
            padded[rng.random((rows, cols)) < 0.1] = 0.0
        assert np.array_equal(block_means(padded, half), _reference_block_means(padded, half))
