"""The compiled thinning against scikit-image's ``skeletonize``, which it replaced.

``thin`` must give scikit-image's skeleton pixel for pixel: on every 4×4 image, on random
images of every density, on drawn shapes touching the border, and on the ridge images of
real extractions.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage.draw import disk, line
from skimage.morphology import skeletonize

from station.core.extract import extract
from station.core.extract._kernels import THINNING_TABLE, thin
from station.core.synth import impression


def _assert_same(image: np.ndarray) -> None:
    binary = np.ascontiguousarray(image, np.uint8)
    expected = skeletonize(binary.view(bool))
    got = thin(binary, THINNING_TABLE)
    assert got.dtype == np.uint8 and got.shape == binary.shape
    np.testing.assert_array_equal(got.view(bool), expected)


def test_the_table_keeps_full_and_lone_neighbourhoods_and_thins_a_bar() -> None:
    assert THINNING_TABLE.shape == (256,)
    assert THINNING_TABLE[255] == 0  # eight set neighbours: an inner pixel stays
    assert THINNING_TABLE[0] == 0  # an isolated pixel stays
    assert set(np.unique(THINNING_TABLE)) == {0, 1, 2, 3}
    bar = np.zeros((5, 12), np.uint8)
    bar[1:4, 1:11] = 1  # three pixels thick
    expected = np.zeros((5, 12), np.uint8)
    expected[2, 1:9] = 1  # its centre row, the right end bent up a pixel
    expected[1, 9] = 1
    np.testing.assert_array_equal(thin(bar, THINNING_TABLE), expected)


def test_thin_matches_skeletonize_on_every_4x4_image() -> None:
    codes = np.arange(1 << 16)
    images = ((codes[:, None] >> np.arange(16)) & 1).astype(np.uint8).reshape(-1, 4, 4)
    mismatches = [
        n
        for n, image in enumerate(images)
        if not np.array_equal(thin(image, THINNING_TABLE).view(bool), skeletonize(image.view(bool)))
    ]
    assert mismatches == []


@pytest.mark.parametrize("density", [0.2, 0.5, 0.7, 0.9])
def test_thin_matches_skeletonize_on_random_images(density: float) -> None:
    rng = np.random.default_rng(int(density * 100))
    for _ in range(200):
        rows, cols = rng.integers(1, 48, 2)
        _assert_same(rng.random((rows, cols)) < density)


def test_thin_matches_skeletonize_on_drawn_shapes_touching_the_border() -> None:
    image = np.zeros((60, 70), np.uint8)
    image[disk((30, 35), 12, shape=image.shape)] = 1
    image[disk((30, 35), 5, shape=image.shape)] = 0  # a ring
    for r0, c0, r1, c1 in [(0, 0, 59, 69), (0, 69, 59, 0), (10, 0, 10, 69), (0, 20, 59, 20)]:
        for shift in range(4):  # lines four pixels thick, through the image corners and edges
            rr, cc = line(r0, min(c0 + shift, 69), r1, min(c1 + shift, 69))
            image[rr, cc] = 1
    image[50:, 50:] = 1  # a block in the corner
    _assert_same(image)
    _assert_same(np.ones((9, 13), np.uint8))
    _assert_same(np.zeros((5, 5), np.uint8))
    _assert_same(np.ones((1, 8), np.uint8))


@pytest.mark.parametrize(("seed", "degradation"), [(32_000, 0.0), (32_001, 0.5), (32_002, 1.0)])
def test_thin_matches_skeletonize_on_print_ridges(seed: int, degradation: float) -> None:
    image, _ = impression(seed, "L3", 0, kind="flat", size=(400, 400), degradation=degradation)
    seen: dict[str, np.ndarray] = {}
    extract(image, trace=lambda name, array: seen.__setitem__(name, array))
    ridges = (seen["enhanced"] > 0) & seen["mask"]
    assert ridges.sum() > 10_000  # a real ridge image
    _assert_same(ridges)
    np.testing.assert_array_equal(seen["skeleton"], skeletonize(seen["skeleton"]))
