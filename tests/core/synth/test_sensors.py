"""Sensor models: frames, resolutions, grey levels and skin as each profile states."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from station.core.extract import extract
from station.core.synth import impression
from station.core.synth.sensors import (
    PPI_RANGE,
    SENSORS,
    SensorProfile,
    resample_to_ppi,
    sensor_impression,
)

CAPACITIVE = SENSORS["capacitive"]
LOW_CONTRAST = SENSORS["optical-low-contrast"]


def _profile(**changes) -> SensorProfile:
    base = {"name": "test", "ppi": 500, "size": (200, 160), "contrast": (40.0, 60.0)}
    base["background"] = (150.0, 200.0)
    return SensorProfile(**{**base, **changes})


def test_resampling_stretches_a_stripe_period_by_the_resolution_ratio() -> None:
    # Stripes of period 10 px at 500 ppi: 11.38 px at 569 ppi, so 50 stripes span 569 px.
    stripes = np.tile(np.cos(2 * np.pi * np.arange(520) / 10.0), (12, 1)).astype(np.float32)
    out = resample_to_ppi(stripes, 569, (10, 580))
    assert out.shape == (10, 580) and out.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(out[0, :569]))
    assert np.argmax(spectrum[1:]) + 1 == 50
    # Pixel c of the output reads source pixel c * 500 / 569 (top-left corners coincide).
    assert out[0, 0] == pytest.approx(1.0)
    assert out[3, 569] == pytest.approx(np.cos(2 * np.pi * 50.0), abs=1e-5)


def test_resampling_at_the_same_resolution_is_a_crop() -> None:
    grey = np.arange(30, dtype=np.float32).reshape(5, 6)
    np.testing.assert_array_equal(resample_to_ppi(grey, 500, (4, 3)), grey[:4, :3])


def test_resampling_refuses_a_frame_the_source_does_not_cover() -> None:
    with pytest.raises(ValueError, match=r"a 10x10 image at 500 ppi does not cover 12x12"):
        resample_to_ppi(np.zeros((10, 10)), 569, (12, 12))


@pytest.mark.parametrize("name", list(SENSORS))
def test_every_sensor_gives_its_frame_and_truth_inside_it(name: str) -> None:
    sensor = SENSORS[name]
    image, truth = sensor_impression(7, "R2", 1, sensor)
    assert image.shape == sensor.size and image.dtype == np.uint8
    rows, cols = sensor.size
    assert truth and all(0 <= m.x <= cols - 1 and 0 <= m.y <= rows - 1 for m in truth)
    # Deterministic: the same touch again is the same image.
    again, _ = sensor_impression(7, "R2", 1, sensor)
    np.testing.assert_array_equal(image, again)


def test_the_capacitive_window_is_smaller_than_the_finger() -> None:
    # 256 x 364 px: the finger fills the frame, a flat 512 x 512 print of it has more area.
    image, truth = sensor_impression(3, "R3", 0, CAPACITIVE)
    assert image.shape == (364, 256)
    _, flat_truth = impression(3, "R3", 0, kind="flat")
    assert len(truth) < len(flat_truth)
    dark = image < np.median(image)
    # Ridges cover both halves of the frame (no empty platen beside a small finger).
    assert dark[:, :128].mean() > 0.2 and dark[:, 128:].mean() > 0.2


def test_low_contrast_optical_stays_within_its_grey_range() -> None:
    # The valley-to-ridge swing is at most the profile's contrast, plus noise and the
    # illumination gain: the 1st to 99th percentile spread stays well under a normal print's.
    for number in range(4):
        image, _ = sensor_impression(11, "L2", number, LOW_CONTRAST)
        low, high = np.percentile(image, [1, 99])
        assert high - low <= LOW_CONTRAST.contrast[1] * 1.6 + 6 * LOW_CONTRAST.noise[1]
        assert high - low >= LOW_CONTRAST.contrast[0] * 0.5
        assert image.max() <= 255 * (1 + LOW_CONTRAST.unevenness)
        capacitive, _ = sensor_impression(11, "L2", number, CAPACITIVE)
        c_low, c_high = np.percentile(capacitive, [1, 99])
        assert high - low < c_high - c_low


def test_a_569_ppi_touch_extracts_at_500_ppi_when_the_extractor_is_told() -> None:
    sensor = SENSORS["optical-569ppi"]
    image, truth = sensor_impression(5, "R2", 0, sensor)
    template = extract(image, sensor.ppi)
    rows, cols = sensor.size
    assert (template.height, template.width) == (round(rows * 500 / 569), round(cols * 500 / 569))
    assert template.dpi == 500
    # Extracted minutiae lie near the truth, scaled back to 500 ppi.
    truth_500 = np.array([(m.x, m.y) for m in truth]) * (500 / 569)
    found = template.minutiae[:, :2]
    near = np.hypot(*(found[:, None, :] - truth_500[None, :, :]).transpose(2, 0, 1)).min(1) < 8
    assert near.mean() > 0.5


def _dark_share(image: np.ndarray) -> float:
    """Share of the frame's central half darker than the middle of its grey range (ridges)."""
    low, high = np.percentile(image, [2, 98])
    rows, cols = image.shape
    centre = image[rows // 4 : 3 * rows // 4, cols // 4 : 3 * cols // 4]
    return float((centre < (low + high) / 2).mean())


@pytest.mark.parametrize("skin", ["dry", "wet"])
def test_dry_skin_thins_ridges_and_wet_skin_fills_valleys(skin: str) -> None:
    # The same sensor with clean skin (degradation 0) is the reference: dry ridges break and
    # thin (less dark), wet ones spread into the valleys (more dark), over five touches.
    sensor = SENSORS[skin]
    clean = dataclasses.replace(sensor, skin="any", skin_level=(0.0, 0.0), degradation=(0, 0))
    shares = [_dark_share(sensor_impression(9, "R2", n, sensor)[0]) for n in range(5)]
    reference = [_dark_share(sensor_impression(9, "R2", n, clean)[0]) for n in range(5)]
    if skin == "dry":
        assert np.mean(shares) < np.mean(reference) - 0.1
    else:
        assert np.mean(shares) > np.mean(reference) + 0.05


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ppi": 250}, rf"250 ppi cannot be rendered faithfully .* {PPI_RANGE[0]}-{PPI_RANGE[1]}"),
        ({"ppi": 1200}, r"1200 ppi cannot be rendered faithfully"),
        ({"ppi": 500.0}, r"ppi must be a whole number, got 500.0"),
        ({"size": (40, 300)}, r"frame 40x300 at 500 ppi .* each side must be 64-2048"),
        ({"contrast": (60.0, 40.0)}, r"contrast must be a range"),
        ({"contrast": (40.0, 180.0)}, r"contrast up to 180 below a background of 150"),
        ({"unevenness": 0.9}, r"unevenness must be 0..0.5"),
        ({"skin": "oily"}, r"skin must be one of"),
        ({"skin": "dry"}, r"skin_level is set exactly when skin is 'dry' or 'wet'"),
        ({"name": ""}, r"a sensor profile needs a name"),
    ],
)
def test_profiles_refuse_what_cannot_be_honoured(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _profile(**changes)


def test_sensor_impression_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match=r"sensor must be a SensorProfile, got str"):
        sensor_impression(1, "R2", 0, "capacitive")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"unknown finger code 'R6'"):
        sensor_impression(1, "R6", 0, CAPACITIVE)
    with pytest.raises(ValueError, match=r"impression must be between 0"):
        sensor_impression(1, "R2", -1, CAPACITIVE)


def test_the_render_frame_covers_the_device_frame() -> None:
    sensor = _profile(ppi=569, size=(569, 285))
    # (569 - 1) * 500 / 569 = 499.1 -> 500 rows plus one; (285 - 1) * 500/569 = 249.6 -> 250 + 1
    assert sensor.render_size == (502, 252)
