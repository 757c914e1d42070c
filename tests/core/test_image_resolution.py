"""A file's recorded resolution and EXIF orientation are honoured by ``load``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.spatial import cKDTree

from station.core import synth
from station.core.extract import extract
from station.core.image import ImageError, file_resolution, load

_EXIF_ORIENTATION = 0x0112


@pytest.fixture(scope="module")
def finger() -> np.ndarray:
    image, _ = synth.impression(3, "R2", 0, size=(320, 320))
    return image


def _twice(image: np.ndarray) -> np.ndarray:
    """The same print at 1000 ppi: every pixel doubled (a 2x nearest-neighbour upscale)."""
    return np.repeat(np.repeat(image, 2, axis=0), 2, axis=1)


@pytest.mark.parametrize("suffix", [".png", ".tif", ".jpg"])
def test_a_1000_ppi_file_is_read_at_500_ppi(
    tmp_path: Path, finger: np.ndarray, suffix: str
) -> None:
    path = tmp_path / f"big{suffix}"
    options = {"quality": 100} if suffix == ".jpg" else {}
    Image.fromarray(_twice(finger)).save(path, dpi=(1000, 1000), **options)
    image = load(path)
    assert image.shape == finger.shape
    assert np.abs(image.astype(int) - finger.astype(int)).mean() < 8


def test_a_1000_ppi_file_extracts_at_the_right_scale(tmp_path: Path, finger: np.ndarray) -> None:
    Image.fromarray(_twice(finger)).save(tmp_path / "big.png", dpi=(1000, 1000))
    Image.fromarray(finger).save(tmp_path / "plain.png")
    original = extract(load(tmp_path / "plain.png"))
    honoured = extract(load(tmp_path / "big.png"))
    assert (honoured.width, honoured.height) == (original.width, original.height) == (320, 320)
    # Most minutiae are found where the 500 ppi original has them (within 4 px) ...
    distance, _ = cKDTree(original.minutiae[:, :2]).query(honoured.minutiae[:, :2])
    assert len(honoured) >= 0.7 * len(original)
    assert np.mean(distance <= 4) >= 0.7
    # ... whereas read as 500 ppi (the old behaviour) the print is twice the size.
    ignored = extract(load(tmp_path / "big.png", dpi=500))
    assert (ignored.width, ignored.height) == (640, 640)


def test_a_file_without_resolution_is_500_ppi(tmp_path: Path, finger: np.ndarray) -> None:
    for suffix in (".png", ".tif", ".jpg", ".bmp", ".pgm"):
        Image.fromarray(finger).save(tmp_path / f"a{suffix}")
        assert load(tmp_path / f"a{suffix}").shape == (320, 320), suffix


@pytest.mark.parametrize("ppi", [72, 96, 200, 2400])
def test_implausible_resolutions_are_refused(tmp_path: Path, finger: np.ndarray, ppi: int) -> None:
    Image.fromarray(finger).save(tmp_path / "a.png", dpi=(ppi, ppi))
    with pytest.raises(ImageError, match=r"ppi, not a fingerprint scan's resolution \(250–2000"):
        load(tmp_path / "a.png")


def test_non_square_pixels_are_refused(tmp_path: Path, finger: np.ndarray) -> None:
    Image.fromarray(finger).save(tmp_path / "a.tif", dpi=(500, 1000))
    with pytest.raises(ImageError, match="500 ppi across but 1000 ppi down"):
        load(tmp_path / "a.tif")


def test_file_resolution_reading() -> None:
    assert file_resolution({"dpi": (499.999, 499.999)}) == 500
    assert file_resolution({"dpi": (762.0, 762.0)}) == 762
    assert file_resolution({}) is None
    with pytest.raises(ImageError, match="not a resolution"):
        file_resolution({"dpi": (float("nan"), 500)})
    with pytest.raises(ImageError, match="unreadable"):
        file_resolution({"dpi": "high"})


def test_a_caller_given_resolution_is_checked(tmp_path: Path, finger: np.ndarray) -> None:
    Image.fromarray(finger).save(tmp_path / "a.png")
    with pytest.raises(ValueError, match="dpi must be a whole number from 250 to 2000"):
        load(tmp_path / "a.png", dpi=100)


#: Orientation tag -> how the stored pixels were turned from upright (the inverse of the
#: turn a viewer applies).
_STORED = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
}


@pytest.mark.parametrize("orientation", sorted(_STORED))
@pytest.mark.parametrize("suffix", [".png", ".tif"])
def test_exif_orientation_gives_the_upright_template(
    tmp_path: Path, finger: np.ndarray, orientation: int, suffix: str
) -> None:
    stored = Image.fromarray(finger[:, 20:300]).transpose(_STORED[orientation])
    path = tmp_path / f"turned{suffix}"
    if suffix == ".tif":
        stored.save(path, tiffinfo={274: orientation}, compression="tiff_lzw")
    else:
        exif = Image.Exif()
        exif[_EXIF_ORIENTATION] = orientation
        stored.save(path, exif=exif)
    image = load(path)
    assert np.array_equal(image, finger[:, 20:300])
    assert extract(image) == extract(finger[:, 20:300])


def test_exif_orientation_in_a_jpeg(tmp_path: Path, finger: np.ndarray) -> None:
    exif = Image.Exif()
    exif[_EXIF_ORIENTATION] = 6
    Image.fromarray(finger[:, 20:300]).transpose(Image.Transpose.ROTATE_90).save(
        tmp_path / "turned.jpg", exif=exif, quality=100
    )
    image = load(tmp_path / "turned.jpg")
    assert image.shape == (320, 280)
    assert np.abs(image.astype(int) - finger[:, 20:300].astype(int)).mean() < 4


def test_an_uncompressed_quarter_turned_tiff_is_refused(tmp_path: Path, finger: np.ndarray) -> None:
    Image.fromarray(finger).transpose(Image.Transpose.ROTATE_90).save(
        tmp_path / "raw.tif", tiffinfo={274: 6}
    )
    with pytest.raises(ImageError, match="save it upright or compressed"):
        load(tmp_path / "raw.tif")
