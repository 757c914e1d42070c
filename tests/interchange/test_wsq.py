"""WSQ codec: round trip, the file's own header, bad bytes, and files another encoder made."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

from station.benchmark.codec import psnr
from station.core.image import load
from station.core.synth import impression
from station.interchange import wsq


def _shared() -> Path:
    """``../shared`` beside the repository, or ``$STATION_SHARED``."""
    env = os.environ.get("STATION_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared"


_FVC = _shared() / "dev-prints" / "fvc2000-db1-b"
needs_fvc = pytest.mark.skipif(
    not (_FVC / "wsq").is_dir(),
    reason=f"the NBIS-made WSQ files are not at {_FVC / 'wsq'} (set STATION_SHARED)",
)


@pytest.fixture(scope="module")
def rolled() -> np.ndarray:
    image, _ = impression(40_000, "R2", 0, kind="rolled")
    return image


@pytest.fixture(scope="module")
def rolled_wsq(rolled: np.ndarray) -> bytes:
    return wsq.encode(rolled, ppi=500)


def test_rolled_print_round_trip_keeps_detail_at_ten_to_one(
    rolled: np.ndarray, rolled_wsq: bytes
) -> None:
    back = wsq.decode(rolled_wsq)
    assert back.shape == rolled.shape == (750, 800) and back.dtype == np.uint8
    assert back.flags.writeable
    assert rolled.size / len(rolled_wsq) >= 10  # 0.75 bpp would be 10.7:1
    assert psnr(rolled, back) > 28  # measured 31.6 dB median over 20 rolled prints


def test_header_says_size_resolution_and_rate(rolled: np.ndarray, rolled_wsq: bytes) -> None:
    header = wsq.read_header(rolled_wsq)
    assert (header.rows, header.cols, header.ppi, header.bitrate) == (750, 800, 500, 0.75)
    assert header.size == len(rolled_wsq)
    assert header.ratio == pytest.approx(750 * 800 / len(rolled_wsq))
    # the encoder normalises pixels by their mean: the frame header keeps it (2 decimals)
    assert header.shift == pytest.approx(rolled.mean(), abs=0.01)


def test_resolution_is_written_into_the_nist_comment(rolled: np.ndarray) -> None:
    data = wsq.encode(rolled[:200, :300], ppi=1000)
    assert wsq.read_header(data).ppi == 1000
    assert b"\nPPI 1000\n" in data
    np.testing.assert_array_equal(wsq.decode(data), wsq.decode(wsq.encode(rolled[:200, :300])))


@pytest.mark.parametrize("shape", [(64, 64), (64, 80), (97, 64)])
@pytest.mark.parametrize("level", [0, 117, 255])
def test_smallest_constant_images_decode_to_themselves(shape: tuple, level: int) -> None:
    back = wsq.decode(wsq.encode(np.full(shape, level, np.uint8)))
    assert back.shape == shape
    np.testing.assert_array_equal(back, level)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((63, 200), np.uint8), "at least 64 px a side"),
        (np.zeros((200, 63), np.uint8), "at least 64 px a side"),
        (np.zeros((64, 64), np.uint16), "2-D uint8"),
        (np.zeros((64, 64, 3), np.uint8), "2-D uint8"),
        ([[0] * 64] * 64, "2-D uint8"),
    ],
)
def test_bad_images_are_refused(image: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wsq.encode(image)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "message"), [({"bitrate": 2.25}, "bitrate must be 0.75"), ({"ppi": 0}, "ppi")]
)
def test_bad_options_are_refused(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        wsq.encode(np.zeros((64, 64), np.uint8), **options)


def _segment_lengths(data: bytes) -> list[tuple[int, int]]:
    """(position, marker) of each marker segment before the first data block."""
    at, out = 2, []
    while True:
        marker, length = struct.unpack_from(">HH", data, at)
        out.append((at, marker))
        if marker == 0xFFA3:
            return out
        at += 2 + length


def test_bad_bytes_raise_one_clear_error(rolled_wsq: bytes) -> None:
    frame = next(at for at, marker in _segment_lengths(rolled_wsq) if marker == 0xFFA2)
    lying = bytearray(rolled_wsq)
    lying[frame + 2 : frame + 4] = struct.pack(">H", 60000)
    cases = {
        b"": "no start-of-image",
        b"\x89PNG\r\n\x1a\n" + bytes(100): "no start-of-image",
        rolled_wsq[:1000]: "truncated",
        rolled_wsq[:-2]: "truncated",
        bytes(lying): "says 60000 bytes",
        rolled_wsq[:2] + b"\xff\xb9" + rolled_wsq[4:]: "unknown marker FFB9",
    }
    for data, message in cases.items():
        with pytest.raises(wsq.WsqError, match=message):
            wsq.decode(data)
        assert issubclass(wsq.WsqError, ValueError)


def test_corrupt_entropy_data_is_a_wsq_error(rolled_wsq: bytes) -> None:
    data = bytearray(rolled_wsq)
    start = _segment_lengths(rolled_wsq)[-1][0] + 20
    data[start : start + 400] = bytes(range(200)) * 2  # garbage inside the first data block
    with pytest.raises(wsq.WsqError, match=r"does not decode|truncated|unknown marker"):
        wsq.decode(bytes(data))


def test_is_wsq() -> None:
    assert wsq.is_wsq(b"\xff\xa0\xff\xa8\x00\x10")
    assert not wsq.is_wsq(b"\xff\xa0")
    assert not wsq.is_wsq(b"\x89PNG\r\n\x1a\n")


# --- files another encoder made (NBIS cwsq, in ../shared) ---------------------------------
@needs_fvc
def test_nbis_files_decode_and_declare_themselves() -> None:
    data = (_FVC / "wsq" / "101_1.wsq").read_bytes()
    header = wsq.read_header(data)
    assert (header.rows, header.cols, header.ppi, header.bitrate) == (300, 300, None, 2.25)
    assert (header.black, header.white) == (0, 255)
    assert wsq.decode(data).shape == (300, 300)


@needs_fvc
def test_nbis_files_hold_the_tiff_shifted_by_a_15_byte_pgm_header() -> None:
    """The files, not the decoder, explain their low PSNR against the TIFFs: they were encoded
    from PGM files read as raw pixels, so the 15-byte header ``P5\\n300 300\\n255\\n`` is the
    first 15 pixels and every image pixel sits 15 places later in row-major order."""
    header = np.frombuffer(b"P5\n300 300\n255\n", np.uint8)
    for name in ("101_1", "105_4", "110_8"):
        tiff = load(_FVC / f"{name}.tif")
        decoded = wsq.decode((_FVC / "wsq" / f"{name}.wsq").read_bytes())
        source = np.concatenate([header, tiff.ravel()])[: tiff.size].reshape(tiff.shape)
        assert psnr(tiff, decoded) < 28  # as the issue measured: 19-23 dB
        assert psnr(source, decoded) > 43  # a 2.25 bpp file of that raster: ~45 dB
        first = decoded.ravel()[:15].astype(int)
        # the header's bytes ('P', '5', '\n', '3', '0', '0', …) show through the lossy coding
        assert np.corrcoef(first, header)[0, 1] > 0.8


@needs_fvc
def test_our_own_round_trip_of_a_real_print_needs_no_shift() -> None:
    tiff = load(_FVC / "101_1.tif")
    data = wsq.encode(tiff)
    assert tiff.size / len(data) >= 9
    assert psnr(tiff, wsq.decode(data)) > 37  # measured 39.0 dB median over the 80 prints


def test_docstring_examples() -> None:
    import doctest

    from station.benchmark import codec

    for module in (wsq, codec):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.attempted > 0 and result.failed == 0, module.__name__
