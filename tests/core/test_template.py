from __future__ import annotations

import struct

import numpy as np
import pytest

from station.core.template import (
    FORMAT_VERSION,
    MAX_MINUTIAE,
    MAX_SINGULAR,
    Template,
    TemplateError,
)


def _template() -> Template:
    minutiae = [(10.5, 20.25, 1.5, 0), (100.0, 50.0, -2.0, 1), (33.0, 44.0, 3.1, 0)]
    return Template(
        width=500,
        height=480,
        dpi=500,
        minutiae=minutiae,
        minutia_quality=[0.9, 0.5, 0.7],
        singular_points=[(250, 240, 1), (120, 400, -1)],
        quality=87,
        level=1,
        reason="good",
    )


def test_binary_round_trip_is_exact() -> None:
    t = _template()
    data = t.to_bytes()
    assert data[:4] == b"BSTM" and struct.unpack_from("<H", data, 4)[0] == FORMAT_VERSION
    back = Template.from_bytes(data)
    assert back == t
    assert np.array_equal(back.minutiae, t.minutiae)
    assert back.reason == "good" and back.singular_points.shape == (2, 3)
    assert len(data) < 200  # compact: 16 bytes a minutia plus a small header


def test_json_round_trip() -> None:
    t = _template()
    back = Template.from_json(t.to_json())
    assert back.quality == 87 and len(back) == 3
    assert np.allclose(back.minutiae, t.minutiae, atol=0.01)
    assert back.minutiae[1, 3] == 1.0


def test_arrays_are_read_only_and_checked() -> None:
    t = _template()
    for array in (t.minutiae, t.minutia_quality, t.singular_points):
        with pytest.raises(ValueError):
            array[0] = 0
    with pytest.raises(ValueError, match="shape"):
        Template(10, 10, minutiae=[(1, 2, 3)])
    with pytest.raises(ValueError, match="NaN"):
        Template(10, 10, minutiae=[(1, np.nan, 3, 0)])
    with pytest.raises(ValueError, match="quality"):
        Template(10, 10, quality=101)


def test_empty_template_round_trips() -> None:
    t = Template(300, 300)
    assert len(t) == 0 and Template.from_bytes(t.to_bytes()) == t


def test_unknown_version_is_refused_with_advice() -> None:
    data = bytearray(_template().to_bytes())
    data[4:6] = struct.pack("<H", 99)
    with pytest.raises(TemplateError, match=r"version 99 is not supported.*re-extract"):
        Template.from_bytes(bytes(data))


@pytest.mark.parametrize("cut", [0, 3, 10, 40, -1])
def test_truncated_or_flipped_bytes_are_corrupt(cut: int) -> None:
    data = _template().to_bytes()
    with pytest.raises(TemplateError):
        Template.from_bytes(data[:cut])
    flipped = bytearray(data)
    flipped[30] ^= 0xFF
    with pytest.raises(TemplateError, match="corrupt"):
        Template.from_bytes(bytes(flipped))


def test_checksum_names_the_content() -> None:
    a = _template()
    b = Template(width=a.width, height=a.height, minutiae=a.minutiae[:2])
    ca, cb = Template.checksum(a.to_bytes()), Template.checksum(b.to_bytes())
    assert ca is not None and cb is not None and ca != cb
    assert ca == Template.checksum(bytes(a.to_bytes()))  # a function of the bytes alone
    flipped = bytearray(a.to_bytes())
    flipped[30] ^= 0xFF
    assert Template.checksum(bytes(flipped)) is None
    assert Template.checksum(a.to_bytes()[:10]) is None


@pytest.mark.parametrize(
    "text", ["{}", "[]", "not json", '{"format": "booking-station-template", "version": 1}']
)
def test_bad_json_is_refused(text: str) -> None:
    with pytest.raises(TemplateError):
        Template.from_json(text)


def test_a_template_that_could_not_be_read_back_is_not_written() -> None:
    points = np.tile(np.array([[10.0, 10.0, 1.0]], np.float32), (MAX_SINGULAR + 1, 1))
    template = Template(width=100, height=100, dpi=500, singular_points=points)
    with pytest.raises(TemplateError, match=f"at most {MAX_MINUTIAE} and {MAX_SINGULAR}"):
        template.to_bytes()
