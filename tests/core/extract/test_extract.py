"""Extraction on synthetic prints with known minutiae, and on inputs that are not prints."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.extract import NO_FINGER, extract
from station.core.extract.evaluate import match_minutiae
from station.core.synth import impression
from station.core.template import Template


def _truth(truth) -> list[tuple[float, float, float]]:
    return [(m.x, m.y, m.angle) for m in truth]


@pytest.mark.parametrize(("subject", "finger"), [(300, "R2"), (301, "L1"), (302, "R4")])
def test_clean_print_minutiae_match_the_ground_truth(subject: int, finger: str) -> None:
    image, truth = impression(subject, finger, 0, kind="flat", degradation=0.0)
    template = extract(image)
    pairs = match_minutiae(_truth(truth), template.minutiae)
    assert pairs / len(truth) >= 0.85
    assert pairs / len(template) >= 0.8
    assert template.quality >= 75 and template.level <= 2 and template.reason == "good"


def test_types_and_directions_follow_the_generator_convention() -> None:
    image, truth = impression(303, "R3", 0, kind="flat", degradation=0.0)
    found = extract(image).minutiae
    t = np.array([(m.x, m.y, m.angle, m.type) for m in truth])
    d = np.hypot(t[:, None, 0] - found[None, :, 0], t[:, None, 1] - found[None, :, 1])
    near = d.min(axis=1) <= 6
    j = d.argmin(axis=1)[near]
    assert near.mean() > 0.8
    assert (t[near, 3] == found[j, 3]).mean() > 0.9
    turn = np.abs(np.angle(np.exp(1j * (t[near, 2] - found[j, 2]))))
    assert np.median(turn) < np.radians(12)


def test_quality_falls_as_the_print_degrades() -> None:
    scores = [
        extract(impression(304, "L2", 1, kind="flat", degradation=g)[0]).quality
        for g in (0.0, 0.5, 1.0)
    ]
    assert scores[0] > scores[1] > scores[2]


def test_extraction_is_deterministic_and_returns_an_immutable_template() -> None:
    image, _ = impression(305, "R1", 0, kind="flat")
    a, b = extract(image), extract(image.copy())
    assert a == b
    with pytest.raises(ValueError):
        a.minutiae[0, 0] = 1.0


def test_other_resolutions_are_rescaled_to_500_ppi() -> None:
    image, _ = impression(306, "R2", 0, kind="flat", degradation=0.0)
    from scipy import ndimage

    big = np.clip(ndimage.zoom(image.astype(float), 2.0, order=1), 0, 255).astype(np.uint8)
    native, rescaled = extract(image), extract(big, dpi=1000)
    assert rescaled.width == native.width and rescaled.dpi == 500
    pairs = match_minutiae(native.minutiae, rescaled.minutiae)
    assert pairs / len(native) > 0.7


def test_colour_alpha_16_bit_and_float_images_are_accepted() -> None:
    image, _ = impression(307, "L3", 0, kind="flat", degradation=0.1)
    grey = extract(image)
    rgb = np.repeat(image[..., None], 3, axis=2)
    rgba = np.concatenate([rgb, np.full((*image.shape, 1), 255, np.uint8)], axis=2)
    deep = image.astype(np.uint16) * 257
    for variant in (rgb, rgba, deep, image / 255.0):
        other = extract(variant)
        assert match_minutiae(grey.minutiae, other.minutiae) / len(grey) > 0.9


@pytest.mark.parametrize(
    "blank",
    [np.full((300, 300), 255, np.uint8), np.zeros((300, 300), np.uint8)],
    ids=["all white", "all black"],
)
def test_blank_images_have_no_usable_finger(blank: np.ndarray) -> None:
    template = extract(blank)
    assert template.quality == 0 and template.reason == NO_FINGER and len(template) == 0


def test_noise_and_a_non_finger_photo_are_not_fingers() -> None:
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 256, (400, 400)).astype(np.uint8)
    assert extract(noise).reason == NO_FINGER
    # A "photo": smooth shapes and a gradient, nothing like ridges.
    y, x = np.mgrid[0:400, 0:400]
    photo = (120 + 80 * np.sin(x / 60.0) * np.cos(y / 45.0) + 0.1 * x).astype(np.uint8)
    photo_template = extract(photo)
    assert photo_template.quality < 25 and len(photo_template) < 5


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((1, 1), np.uint8), "too small"),
        (np.zeros((0, 10), np.uint8), "empty"),
        (np.full((100, 100), np.nan), "NaN"),
        (np.zeros((10, 10, 10), np.uint8), "channels"),
        (np.zeros((4, 4, 4, 4), np.uint8), "2-D"),
        (np.array([["a", "b"]]), "numeric"),
        (np.zeros((5000, 100), np.uint8), "larger than a fingerprint"),
    ],
)
def test_bad_input_raises_a_clear_error(bad: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        extract(bad)


@pytest.mark.parametrize("dpi", [0, 50, 5000, 500.5, True])
def test_bad_resolution_is_refused(dpi) -> None:
    with pytest.raises(ValueError, match="dpi"):
        extract(np.zeros((200, 200), np.uint8), dpi=dpi)


def test_trace_receives_every_stage() -> None:
    image, _ = impression(308, "R2", 0, kind="flat")
    seen: dict[str, tuple[int, ...]] = {}
    extract(image, trace=lambda name, array: seen.setdefault(name, np.shape(array)))
    assert {"input", "orientation", "clarity", "mask", "enhanced", "skeleton"} <= set(seen)
    assert seen["enhanced"] == image.shape
    assert isinstance(extract(image), Template)


@pytest.mark.parametrize("masked", [False, True])
def test_grey_level_percentiles_are_numpys(masked: bool) -> None:
    from station.core.extract import _percentiles

    rng = np.random.default_rng(7)
    q = [0, 5, 50, 95, 100]
    for shape in [(2, 1), (7, 9), (64, 48)]:
        grey = rng.integers(0, 256, shape).astype(np.float32)
        mask = rng.random(shape) < 0.6 if masked else None
        mask = None if mask is not None and mask.sum() < 2 else mask
        chosen = grey if mask is None else grey[mask]
        np.testing.assert_array_equal(_percentiles(grey, q, mask), np.percentile(chosen, q))
        grey[0, 0] = 0.5  # not a whole level: numpy's own partition
        chosen = grey if mask is None else grey[mask]
        np.testing.assert_array_equal(_percentiles(grey, q, mask), np.percentile(chosen, q))
    np.testing.assert_array_equal(_percentiles(np.full((3, 3), 300.0, np.float32), q), [300.0] * 5)
