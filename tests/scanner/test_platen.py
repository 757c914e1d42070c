"""Platen compositing (station.scanner.platen) on tiny hand-made arrays with exact answers."""

from __future__ import annotations

import numpy as np
import pytest

from station.scanner import platen

#: Contact parameters that make a checkerboard patch exactly its own contact area: no blur,
#: a narrow spread window and a high threshold (the flat background has no spread at all).
SHARP = {"blur": 0.0, "sigma": 0.5, "levels": (60.0, 80.0)}


def _checker(rows: int, cols: int) -> np.ndarray:
    """A ``rows`` x ``cols`` checkerboard of 0 and 200 whose corner (0, 0) is light (200)."""
    return (((np.indices((rows, cols)).sum(axis=0) + 1) % 2) * 200).astype(np.uint8)


def _patched_print() -> np.ndarray:
    """A 12 x 12 print: empty platen (200) with a 4 x 4 ridge patch at rows 4-7, cols 3-6."""
    image = np.full((12, 12), 200, np.uint8)
    image[4:8, 3:7] = (np.indices((4, 4)).sum(axis=0) % 2) * 200
    return image


# --- grey levels --------------------------------------------------------------------------


def test_quantize_rounds_half_to_even_and_clips() -> None:
    out = platen.quantize(np.array([[-3.0, 0.5, 1.5, 2.5], [127.49, 254.5, 255.4, 900.0]]))
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 0, 2, 2], [127, 254, 255, 255]]


def test_background_level_is_the_97th_percentile() -> None:
    assert platen.background_level(np.arange(101.0)) == 97.0
    assert platen.background_level(_patched_print()) == 200.0


# --- preview frames -----------------------------------------------------------------------


def test_downsample_block_means_and_drops_the_ragged_edge() -> None:
    image = np.arange(20, dtype=np.uint8).reshape(4, 5)
    small = platen.downsample(image, 2)
    assert small.dtype == np.float32
    assert small.tolist() == [[3.0, 5.0], [13.0, 15.0]]
    assert platen.downsample(image, 3).tolist() == [[6.0]]
    same = platen.downsample(image, 1)
    assert same.dtype == np.float32 and np.array_equal(same, image)
    for bad in (0, True, 1.5):
        with pytest.raises(ValueError, match="scale must be"):
            platen.downsample(image, bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="2-D"):
        platen.downsample(np.zeros(4), 2)


def test_shifted_moves_and_fills() -> None:
    image = np.arange(12).reshape(3, 4)
    down_right = platen.shifted(image, 1, 2, -1)
    assert down_right.tolist() == [[-1, -1, -1, -1], [-1, -1, 0, 1], [-1, -1, 4, 5]]
    up_left = platen.shifted(image, -1, -1, -1)
    assert up_left.tolist() == [[5, 6, 7, -1], [9, 10, 11, -1], [-1, -1, -1, -1]]
    assert np.array_equal(platen.shifted(image, 0, 0, -1), image)
    for rows, cols in ((3, 0), (0, -9), (7, 7)):
        assert (platen.shifted(image, rows, cols, -1) == -1).all()
    assert platen.shifted(image.astype(np.float32), 1, 0, 0.5).dtype == np.float32


def test_pressed_scales_contrast_and_moves_the_print() -> None:
    preview = np.array([[100.0, 200.0], [150.0, 200.0]], np.float32)
    empty = platen.pressed(preview, contrast=0.0, offset=(0, 0), background=200.0)
    assert empty.dtype == np.float32 and empty.tolist() == [[200.0, 200.0], [200.0, 200.0]]
    full = platen.pressed(preview, contrast=1.0, offset=(0, 0), background=200.0)
    assert np.array_equal(full, preview)
    half = platen.pressed(preview, contrast=0.5, offset=(0, 1), background=200.0)
    assert half.dtype == np.float32 and half.tolist() == [[200.0, 150.0], [200.0, 175.0]]


# --- contact and pasting ------------------------------------------------------------------


def test_contact_weight_is_the_ridge_patch() -> None:
    weight = platen.contact_weight(_patched_print(), **SHARP)
    expected = np.zeros((12, 12), bool)
    expected[4:8, 3:7] = True
    assert np.array_equal(weight >= 0.5, expected)
    assert weight.min() == 0.0 and weight.max() == 1.0
    assert (
        platen.contact_weight(np.full((8, 8), 200.0), blur=1.0, sigma=2.0, levels=(8, 16)).max()
        == 0
    )
    with pytest.raises(ValueError, match="levels must rise"):
        platen.contact_weight(_patched_print(), blur=0.0, sigma=0.5, levels=(80.0, 60.0))


@pytest.mark.parametrize(
    ("margin", "box"),
    [(0, (9, 13, 13, 17)), (1, (8, 12, 14, 18)), (10, (5, 10, 17, 22))],  # 10: clipped to the print
)
def test_paste_lays_the_contact_area_and_returns_its_box(
    margin: int, box: tuple[int, int, int, int]
) -> None:
    canvas = np.full((20, 30), 200.0)
    image = _patched_print()
    assert platen.paste(canvas, image, 5, 10, margin=margin, **SHARP) == box
    expected = np.full((20, 30), 200.0)
    expected[5:17, 10:22] = image  # the ridges' ink, nothing of the print's own background
    assert np.array_equal(canvas, expected)


def test_paste_without_contact_and_off_the_canvas() -> None:
    canvas = np.full((20, 30), 240.0)
    assert platen.paste(canvas, np.full((12, 12), 200, np.uint8), 0, 0, margin=2, **SHARP) is None
    assert (canvas == 240.0).all()  # a print with no ridges leaves no mark
    image = _patched_print()
    for row, col in ((-1, 0), (9, 0), (0, 19)):
        with pytest.raises(ValueError, match="does not fit"):
            platen.paste(canvas, image, row, col, margin=2, **SHARP)
    with pytest.raises(ValueError, match="margin"):
        platen.paste(canvas, image, 0, 0, margin=-1, **SHARP)


# --- slaps --------------------------------------------------------------------------------


def _slap_prints() -> list[tuple[str, np.ndarray, tuple[int, int]]]:
    """Four 5 x 5 ridge blocks, left to right; the first and last hang off the canvas."""
    block = _checker(5, 5)
    return [
        ("R2", block, (-3, 2)),  # clipped down to row 0
        ("R3", block, (4, 12)),
        ("R4", block, (2, 22)),
        ("R5", block, (10, 35)),  # clipped up to row 7, left to col 35
    ]


def _expected_slap_canvas() -> np.ndarray:
    canvas = np.full((12, 40), 240.0)
    ink = 200.0 - _checker(5, 5)
    for row, col in ((0, 2), (4, 12), (2, 22), (7, 35)):
        canvas[row : row + 5, col : col + 5] -= ink
    return canvas


def test_compose_slap_of_four_blocks() -> None:
    slap, segments = platen.compose_slap(
        _slap_prints(),
        np.random.default_rng(0),
        size=(12, 40),
        level=240.0,
        noise=0.0,
        margin=3,
        **SHARP,
    )
    assert slap.dtype == np.uint8 and slap.shape == (12, 40)
    assert np.array_equal(slap, _expected_slap_canvas())
    assert segments == (
        ("R2", (0, 2, 5, 7)),
        ("R3", (4, 12, 9, 17)),
        ("R4", (2, 22, 7, 27)),
        ("R5", (7, 35, 12, 40)),
    )


def test_compose_slap_noise_comes_after_the_prints_and_blank_fingers_are_left_out() -> None:
    prints = _slap_prints()
    prints[2] = ("R4", np.full((5, 5), 200, np.uint8), (2, 22))  # touched without ridges
    slap, segments = platen.compose_slap(
        prints,
        np.random.default_rng(4),
        size=(12, 40),
        level=240.0,
        noise=2.0,
        margin=3,
        **SHARP,
    )
    assert [finger for finger, _ in segments] == ["R2", "R3", "R5"]
    canvas = _expected_slap_canvas()
    canvas[2:7, 22:27] = 240.0
    noise = np.random.default_rng(4).normal(0.0, 2.0, (12, 40))
    assert np.array_equal(slap, platen.quantize(canvas + noise))


def test_compose_slap_rejects_a_print_larger_than_the_slap() -> None:
    with pytest.raises(ValueError, match="print of RS1 does not fit"):
        platen.compose_slap(
            [("RS1", _checker(13, 5), (0, 0))],
            np.random.default_rng(0),
            size=(12, 40),
            level=240.0,
            noise=0.0,
            margin=0,
            **SHARP,
        )


# --- partial contact ----------------------------------------------------------------------


def test_partial_contact_keeps_an_ellipse_around_a_drawn_centre() -> None:
    image = ((np.indices((40, 40)).sum(axis=0) * 7) % 150).astype(np.uint8)
    image[:2] = 200  # 5 % of the pixels are empty platen: the background level is 200
    out = platen.partial_contact(image, np.random.default_rng(3), share=0.5, noise=0.0)
    draws = np.random.default_rng(3)
    cy, cx = 40 * draws.uniform(0.35, 0.65), 40 * draws.uniform(0.35, 0.65)
    rows, cols = np.indices((40, 40))
    distance = np.hypot(rows - cy, cols - cx)  # the ellipse is a circle of radius 10 px here
    assert out.dtype == np.uint8
    assert np.array_equal(out[distance <= 8.9], image[distance <= 8.9])
    assert (out[distance >= 10.0] == 200).all()
    noisy = platen.partial_contact(image, np.random.default_rng(3), share=0.5, noise=2.0)
    again = platen.partial_contact(image, np.random.default_rng(3), share=0.5, noise=2.0)
    assert np.array_equal(noisy, again) and not np.array_equal(noisy, out)
    with pytest.raises(ValueError, match="share"):
        platen.partial_contact(image, np.random.default_rng(3), share=0.0, noise=0.0)


# --- dirt ---------------------------------------------------------------------------------

DIRT = {"opacity": 0.55, "sizes": (15.0, 60.0)}


def test_dirt_mask_is_deterministic_for_a_seed() -> None:
    def mask(seed: int) -> np.ndarray:
        return platen.dirt_mask((64, 80), np.random.default_rng(seed), blots=7, specks=60, **DIRT)

    first = mask(11)
    assert first.shape == (64, 80) and first.dtype == np.float64
    assert np.array_equal(first, mask(11)) and not np.array_equal(first, mask(12))
    assert first.min() >= 0.0 and first.max() <= 1.0 and first.max() > 0.3
    clean = platen.dirt_mask((8, 8), np.random.default_rng(0), blots=0, specks=0, **DIRT)
    assert not clean.any()


def test_a_round_smudge_is_a_gaussian_cut_at_four_sigma() -> None:
    mask = platen.dirt_mask(
        (100, 100), np.random.default_rng(5), blots=1, specks=0, opacity=0.5, sizes=(8.0, 8.0)
    )
    draws = np.random.default_rng(5)
    cy, cx = draws.uniform(0, 100), draws.uniform(0, 100)
    draws.uniform(8.0, 8.0, 2)
    draws.uniform(0, np.pi)  # the angle does not matter for a round smudge
    darkness = draws.uniform(0.4, 1.0)
    rows, cols = np.indices((100, 100)).astype(float)
    expected = 0.5 * darkness * np.exp(-0.5 * ((rows - cy) ** 2 + (cols - cx) ** 2) / 64.0)
    inside = (
        (rows >= int(max(0, cy - 32)))
        & (rows < int(min(100, cy + 33)))
        & (cols >= int(max(0, cx - 32)))
        & (cols < int(min(100, cx + 33)))
    )
    assert np.allclose(mask[inside], expected[inside], rtol=1e-12, atol=0)
    assert not mask[~inside].any()


def test_a_dust_speck_darkens_its_three_by_three_neighbourhood() -> None:
    mask = platen.dirt_mask((30, 40), np.random.default_rng(2), blots=0, specks=1, **DIRT)
    draws = np.random.default_rng(2)
    row, col = int(draws.integers(0, 30, 1)[0]), int(draws.integers(0, 40, 1)[0])
    assert 3 <= row < 27 and 3 <= col < 37  # away from the edges (a precondition)
    dark = mask >= 0.5 * DIRT["opacity"]
    expected = np.zeros((30, 40), bool)
    expected[row - 1 : row + 2, col - 1 : col + 2] = True
    assert np.array_equal(dark, expected)  # 9 of the 1200 pixels
    assert np.unravel_index(mask.argmax(), mask.shape) == (row, col)
    assert 0.98 * DIRT["opacity"] < mask.max() <= DIRT["opacity"]


def test_dirt_mask_rejects_bad_parameters() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="shape"):
        platen.dirt_mask((0, 5), rng, blots=1, specks=1, **DIRT)
    with pytest.raises(ValueError, match="blots and specks"):
        platen.dirt_mask((5, 5), rng, blots=-1, specks=1, **DIRT)
    with pytest.raises(ValueError, match="opacity"):
        platen.dirt_mask((5, 5), rng, blots=1, specks=1, opacity=1.5, sizes=(1.0, 2.0))


def test_through_dirt_darkens_by_the_mask() -> None:
    image = np.array([[200, 200, 10]], np.uint8)
    out = platen.through_dirt(image, np.array([[0.0, 0.25, 1.0]]))
    assert out.dtype == np.uint8 and out.tolist() == [[200, 150, 0]]
    with pytest.raises(ValueError, match="mask shape"):
        platen.through_dirt(image, np.zeros((3, 1)))
