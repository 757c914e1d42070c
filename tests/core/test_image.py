from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from station.core.image import ImageError, load, save


def _ramp() -> np.ndarray:
    return (np.arange(64 * 48).reshape(48, 64) % 256).astype(np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".bmp", ".pgm"])
def test_lossless_formats_round_trip(tmp_path: Path, suffix: str) -> None:
    path = save(tmp_path / f"a{suffix}", _ramp())
    assert np.array_equal(load(path), _ramp())


def test_jpeg_loads_as_grey(tmp_path: Path) -> None:
    Image.fromarray(_ramp()).save(tmp_path / "a.jpg", quality=95)
    out = load(tmp_path / "a.jpg")
    assert out.shape == (48, 64) and out.dtype == np.uint8


def test_rgb_alpha_and_16_bit(tmp_path: Path) -> None:
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[..., 3] = 0  # fully transparent: an empty platen is white
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    assert (load(tmp_path / "t.png") == 255).all()
    deep = (np.arange(100, dtype=np.uint16).reshape(10, 10) * 600).astype(np.uint16)
    Image.fromarray(deep).save(tmp_path / "d.png")
    out = load(tmp_path / "d.png")
    assert out.dtype == np.uint8 and out.max() > 200 and out[0, 0] == 0


def test_bad_files_get_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such image file"):
        load(tmp_path / "missing.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match="empty"):
        load(tmp_path / "empty.png")
    (tmp_path / "junk.png").write_bytes(b"this is not an image at all" * 10)
    with pytest.raises(ImageError, match="not a readable image"):
        load(tmp_path / "junk.png")
    good = save(tmp_path / "cut.png", _ramp())
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:60])
    with pytest.raises(ImageError):
        load(tmp_path / "cut.png")
    Image.new("L", (8, 8)).save(tmp_path / "a.gif")
    with pytest.raises(ImageError, match="not supported"):
        load(tmp_path / "a.gif")
