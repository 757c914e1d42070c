"""ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004 minutiae records: bytes, conventions, errors.

No conforming reader of either record exists on PyPI to cross-check against: ``iso19794``
reads ISO 19794-4/-5 *image* records, and ``afis`` (1.2.7) writes a "19794-2 style" record
that departs from the standard (version ``"020\\0"``, minutia quality 0-255, resolution in
ppi). The expected bytes below are therefore computed by hand from the record tables, and the
angle convention is checked on drawn prints through the station's own extractor.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import pytest

from station.cli import main
from station.core import image as imageio
from station.core.extract import extract
from station.core.template import Template
from station.core.vocabulary import Finger, Impression
from station.interchange.iso import (
    INCITS_PRODUCT_OWNER,
    FingerView,
    MinutiaeRecordError,
    TemplateStandard,
    detect_standard,
    from_incits378,
    from_iso19794_2,
    read_minutiae_record,
    to_incits378,
    to_iso19794_2,
)

ISO, INCITS = TemplateStandard.ISO, TemplateStandard.INCITS


def _hand_template() -> Template:
    """Three minutiae whose record bytes are worked out by hand in the tests below."""
    minutiae = [
        (10, 20, 0.0, 0),  # ending pointing right: angle 0
        (399, 299, -math.pi / 2, 1),  # bifurcation pointing up the image: 90° counter-clockwise
        (200.4, 150.6, math.radians(30), 0),  # pointing down-right: 330° counter-clockwise
    ]
    return Template(400, 300, 500, minutiae, [0.9, 0.5, 0.0], quality=80, level=1)


# --- known bytes ----------------------------------------------------------------------------


def test_iso_record_bytes_match_the_hand_computed_record() -> None:
    data = to_iso19794_2(_hand_template(), finger="R2", impression="rolled")
    expected = (
        b"FMR\x00"  # format identifier
        + b" 20\x00"  # version
        + bytes.fromhex("00000030")  # record length 24 + 4 + 3 * 6 + 2 = 48
        + bytes.fromhex("0000")  # capture equipment: unreported
        + bytes.fromhex("0190 012c")  # image 400 x 300 px
        + bytes.fromhex("00c5 00c5")  # 500 ppi = 196.85 px/cm -> 197
        + bytes.fromhex("01 00")  # one view, reserved
        + bytes.fromhex("02 01 50 03")  # R2 = position 2; view 0, live rolled; quality 80; 3
        # 01 ending | x 10; y 20; angle 0; quality 90
        + bytes.fromhex("400a 0014 00 5a")
        # 10 bifurcation | x 399; y 299; 90 / 1.40625 = 64; quality 50
        + bytes.fromhex("818f 012b 40 32")
        # ending | x 200; y 151 (150.6 rounds up); 330 / 1.40625 = 234.67 -> 235; quality 0 -> 1
        + bytes.fromhex("40c8 0097 eb 01")
        + bytes.fromhex("0000")  # no extended data
    )
    assert data.hex() == expected.hex()


def test_incits_record_bytes_match_the_hand_computed_record() -> None:
    data = to_incits378(_hand_template(), finger=Finger.R2, impression=Impression.ROLLED)
    expected = (
        b"FMR\x00 20\x00"
        + bytes.fromhex("0032")  # 2-byte record length: 26 + 4 + 18 + 2 = 50
        + bytes.fromhex("0103 0000")  # CBEFF product ID: IBIA "vendor unknown", type 0
        + bytes.fromhex("0000")  # capture equipment
        + bytes.fromhex("0190 012c 00c5 00c5 01 00")
        + bytes.fromhex("02 01 50 03")
        + bytes.fromhex("400a 0014 00 5a")
        + bytes.fromhex("818f 012b 2d 32")  # 90° / 2 = 45
        + bytes.fromhex("40c8 0097 a5 01")  # 330° / 2 = 165
        + bytes.fromhex("0000")
    )
    assert data.hex() == expected.hex()
    assert INCITS_PRODUCT_OWNER == 0x0103


# --- round trips ----------------------------------------------------------------------------


def _random_template(seed: int, n: int = 60, *, whole: bool = True) -> Template:
    rng = np.random.default_rng(seed)
    xs = rng.integers(0, 500, n) if whole else rng.uniform(-0.4, 499.4, n)
    ys = rng.integers(0, 480, n) if whole else rng.uniform(-0.4, 479.4, n)
    minutiae = np.column_stack(
        [xs, ys, rng.uniform(-math.pi, math.pi, n), rng.integers(0, 2, n)]
    ).astype(np.float32)
    quality = rng.integers(1, 101, n) / 100.0
    return Template(500, 480, 500, minutiae, quality, quality=int(rng.integers(0, 101)), level=3)


@pytest.mark.parametrize(
    ("write", "read", "unit"),
    [(to_iso19794_2, from_iso19794_2, 360 / 256), (to_incits378, from_incits378, 2.0)],
)
def test_round_trip_is_exact_to_the_pixel_and_to_the_angle_unit(write, read, unit) -> None:
    t = _random_template(1)
    [view] = read(write(t, finger="L4", impression="flat"))
    back = view.template
    assert (view.finger, view.impression, view.impression_code) == (Finger.L4, "flat", 0)
    assert (back.width, back.height, back.dpi, back.quality) == (500, 480, 500, t.quality)
    assert np.array_equal(back.minutiae[:, [0, 1, 3]], t.minutiae[:, [0, 1, 3]])
    diff = np.degrees(np.angle(np.exp(1j * (back.minutiae[:, 2] - t.minutiae[:, 2]))))
    assert np.abs(diff).max() <= unit / 2 + 1e-4
    assert np.allclose(back.minutia_quality, t.minutia_quality, atol=1e-6)
    # a decoded record encodes to the same bytes
    assert write(back, finger="L4", impression="flat") == write(t, finger="L4", impression="flat")


def test_fractional_positions_round_to_the_nearest_pixel() -> None:
    t = _random_template(2, whole=False)
    for write, read in ((to_iso19794_2, from_iso19794_2), (to_incits378, from_incits378)):
        back = read(write(t))[0].template
        assert np.array_equal(back.minutiae[:, :2], np.floor(t.minutiae[:, :2] + 0.5))


def test_several_views_keep_their_fingers_impressions_and_view_numbers() -> None:
    views = [
        FingerView.of(_random_template(3, 10), finger="R1", impression="rolled"),
        FingerView.of(_random_template(4, 20), finger="R1", impression="flat", view_number=1),
        FingerView(_random_template(5, 0), None, 3),  # unknown finger, non-live rolled
    ]
    for write, read in ((to_iso19794_2, from_iso19794_2), (to_incits378, from_incits378)):
        back = read(write(views))
        assert [(v.finger, v.impression_code, v.view_number, len(v.template)) for v in back] == [
            (Finger.R1, 1, 0, 10),
            (Finger.R1, 0, 1, 20),
            (None, 3, 0, 0),
        ]
        assert back[2].impression is Impression.ROLLED


def test_incits_records_over_65535_bytes_use_the_long_length_form() -> None:
    fingers = [None, *Finger]
    views = [FingerView(_random_template(i, 255), fingers[i % 11], 0, i // 11) for i in range(45)]
    data = to_incits378(views)
    assert len(data) == 30 + 45 * (4 + 255 * 6 + 2)
    assert data[8:10] == b"\x00\x00" and struct.unpack(">I", data[10:14])[0] == len(data)
    assert detect_standard(data) is INCITS
    assert len(from_incits378(data)) == 45
    iso = to_iso19794_2(views)
    assert detect_standard(iso) is ISO and len(from_iso19794_2(iso)) == 45


def test_the_standard_is_detected_from_the_length_scheme() -> None:
    t = _hand_template()
    iso, ansi = to_iso19794_2(t), to_incits378(t)
    assert iso[:8] == ansi[:8]
    assert detect_standard(iso) is ISO and detect_standard(ansi) is INCITS
    assert read_minutiae_record(iso).standard is ISO
    record = read_minutiae_record(ansi)
    assert (record.standard, record.product_owner, record.resolution_ppcm) == (INCITS, 0x0103, 197)


def test_extended_data_blocks_from_other_writers_are_skipped() -> None:
    data = bytearray(to_iso19794_2(_hand_template()))
    # a core/delta block (type 0x0002) of 4 + 6 bytes: one non-angular core at (100, 100)
    block = struct.pack(">HH", 2, 10) + bytes.fromhex("01 0064 0064 00")
    data[-2:] = struct.pack(">H", len(block)) + block
    data[8:12] = struct.pack(">I", len(data))
    [view] = from_iso19794_2(bytes(data))
    assert len(view.template) == 3


# --- the angle convention on a drawn print ---------------------------------------------------


def _drawn_ending_pointing_up(*, inverted: bool) -> np.ndarray:
    """Vertical ridges (period 9 px) with one extra ridge that exists only above (200, 200).

    The phase gains one extra turn along rows above the centre, so a ridge ends there with
    its body above it: a ridge ending pointing up. Swapping ridges and valleys turns it into a
    bifurcation whose valley between the branches also points up.
    """
    yy, xx = np.mgrid[0:400, 0:400].astype(float)
    phase = 2 * np.pi * (xx - 200) / 9.0 + np.arctan2(xx - 200, 200 - yy)
    ridges = 0.5 + 0.5 * np.cos(phase)
    if inverted:
        ridges = 1 - ridges
    inside = ((xx - 200) / 150) ** 2 + ((yy - 200) / 180) ** 2 < 1
    return np.where(inside, 255 - 200 * ridges, 255).astype(np.uint8)


@pytest.mark.parametrize(("inverted", "kind", "type_bits"), [(False, 0, 0b01), (True, 1, 0b10)])
def test_a_minutia_pointing_up_is_90_degrees_counter_clockwise(inverted, kind, type_bits) -> None:
    template = extract(_drawn_ending_pointing_up(inverted=inverted), dpi=500)
    near = np.hypot(template.minutiae[:, 0] - 200, template.minutiae[:, 1] - 200) < 6
    assert near.sum() == 1
    (index,) = np.flatnonzero(near)
    x, y, theta, found = template.minutiae[index]
    assert found == kind
    # the station's angle points up the image: -90° (from +x toward +y, y down)
    assert abs(math.degrees(math.atan2(math.sin(theta), math.cos(theta))) + 90) < 10
    one = Template(400, 400, 500, [template.minutiae[index]], quality=50, level=3)
    iso, ansi = to_iso19794_2(one), to_incits378(one)
    word_x, _, iso_angle, _ = struct.unpack(">HHBB", iso[28:34])
    _, _, ansi_angle, _ = struct.unpack(">HHBB", ansi[30:36])
    assert word_x >> 14 == type_bits
    assert abs(iso_angle - 64) <= 7  # 90° counter-clockwise, 1.40625° a unit (±10°)
    assert abs(ansi_angle - 45) <= 5  # 90°, 2° a unit
    # exactly up -> exactly 64 and 45
    up = Template(400, 400, 500, [(x, y, -math.pi / 2, kind)], quality=50, level=3)
    assert to_iso19794_2(up)[32] == 64 and to_incits378(up)[34] == 45


def test_decoded_directions_point_into_the_ridge_of_an_ending() -> None:
    image = _drawn_ending_pointing_up(inverted=False).astype(float)
    # ISO angle 64 (90° counter-clockwise) for an ending at the drawn one's place
    record = bytearray(to_iso19794_2(Template(400, 400, 500, [(200, 200, 0.0, 0)])))
    record[32] = 64  # the minutia's angle byte
    [view] = from_iso19794_2(bytes(record))
    x, y, theta, _ = view.template.minutiae[0]
    steps = range(3, 12)
    ahead = [image[round(y + d * math.sin(theta)), round(x + d * math.cos(theta))] for d in steps]
    behind = [image[round(y - d * math.sin(theta)), round(x - d * math.cos(theta))] for d in steps]
    assert max(ahead) < 128 < min(behind)  # ridge (dark) ahead, valley behind


# --- bad input --------------------------------------------------------------------------------


def _iso() -> bytes:
    return to_iso19794_2(_hand_template(), finger="R2")


def _ansi() -> bytes:
    return to_incits378(_hand_template(), finger="R2")


def _with_length(data: bytearray, standard: TemplateStandard) -> bytes:
    if standard is ISO:
        data[8:12] = struct.pack(">I", len(data))
    else:
        data[8:10] = struct.pack(">H", len(data))
    return bytes(data)


def _error(data: bytes) -> MinutiaeRecordError:
    with pytest.raises(MinutiaeRecordError) as caught:
        read_minutiae_record(data)
    assert isinstance(caught.value, ValueError)
    return caught.value


def test_a_bad_identifier_or_version_is_named() -> None:
    assert _error(b"FMX\x00" + _iso()[4:]).field == "format identifier"
    assert _error(_iso()[:4] + b"030\x00" + _iso()[8:]).field == "version"
    assert _error(b"FMR\x00 20").field == "header"


@pytest.mark.parametrize("make", [_iso, _ansi])
def test_a_record_length_that_lies_is_named(make) -> None:
    data = make()
    assert _error(data + b"\x00").field == "record length"
    assert _error(data[:-1]).field == "record length"


@pytest.mark.parametrize(("make", "standard", "view_at"), [(_iso, ISO, 24), (_ansi, INCITS, 26)])
def test_truncated_records_and_counts_that_lie_are_named(make, standard, view_at) -> None:
    data = bytearray(make())
    # cut inside the third minutia, length field made to agree: the minutia is truncated
    assert "truncated" in str(_error(_with_length(data[: view_at + 4 + 14], standard)))
    assert _error(_with_length(data[: view_at + 4 + 14], standard)).field == "view 1 minutia 3"
    # the view claims 4 minutiae: the fourth runs into the extended data length and the end
    lie = bytearray(data)
    lie[view_at + 3] = 4
    assert _error(bytes(lie)).field == "view 1 minutia 4"
    # the header claims 2 views
    lie = bytearray(data)
    lie[view_at - 2] = 2
    assert _error(bytes(lie)).field == "view 2 header"
    # the header claims no view: the view's bytes are left over
    lie = bytearray(data)
    lie[view_at - 2] = 0
    assert _error(bytes(lie)).field == "number of views"
    # the extended data length claims a block that is not there
    lie = bytearray(data)
    lie[-2:] = struct.pack(">H", 8)
    assert _error(_with_length(lie, standard)).field == "view 1 extended data block"


@pytest.mark.parametrize(("make", "view_at"), [(_iso, 24), (_ansi, 26)])
def test_values_out_of_range_are_named(make, view_at) -> None:
    def patched(offset: int, value: bytes) -> bytes:
        data = bytearray(make())
        data[offset : offset + len(value)] = value
        return bytes(data)

    first = view_at + 4  # first minutia
    assert _error(patched(first, struct.pack(">H", 0x4000 | 400))).field == "view 1 minutia 1 X"
    assert _error(patched(first + 2, struct.pack(">H", 300))).field == "view 1 minutia 1 Y"
    assert _error(patched(first, struct.pack(">H", 0xC000 | 10))).field == "view 1 minutia 1 type"
    assert _error(patched(first + 5, b"\x65")).field == "view 1 minutia 1 quality"
    assert _error(patched(view_at, b"\x0b")).field == "view 1 finger position"
    assert _error(patched(view_at + 1, b"\x05")).field == "view 1 impression type"
    assert _error(patched(view_at + 2, b"\x65")).field == "view 1 finger quality"
    assert _error(patched(view_at - 6, b"\x00\xc6")).field == "resolution"  # X 198, Y 197


def test_incits_angles_over_179_are_refused() -> None:
    data = bytearray(_ansi())
    data[30 + 4] = 180
    assert _error(bytes(data)).field == "view 1 minutia 1 angle"
    iso = bytearray(_iso())
    iso[28 + 4] = 255  # every byte is an ISO angle
    assert from_iso19794_2(bytes(iso))[0].template.minutiae[0, 2] == pytest.approx(
        math.radians(360 / 256), abs=1e-6
    )


def test_reading_one_standard_as_the_other_is_refused() -> None:
    with pytest.raises(MinutiaeRecordError, match="INCITS 378-2004 record"):
        from_iso19794_2(_ansi())
    with pytest.raises(MinutiaeRecordError, match="19794-2:2005 record"):
        from_incits378(_iso())


def test_templates_that_do_not_fit_a_record_are_refused() -> None:
    outside = Template(400, 300, 500, [(399.6, 10, 0.0, 0)])
    with pytest.raises(MinutiaeRecordError, match=r"view 1 minutia 1 X: 399\.60 is outside"):
        to_iso19794_2(outside)
    many = Template(400, 300, 500, np.zeros((256, 4), np.float32))
    with pytest.raises(MinutiaeRecordError, match="number of minutiae: 256 is over 255"):
        to_incits378(many)
    mixed = [FingerView(Template(10, 10, 500)), FingerView(Template(10, 10, 1000), Finger.R1)]
    with pytest.raises(MinutiaeRecordError, match="resolution"):
        to_iso19794_2(mixed)
    twice = [FingerView(Template(10, 10)), FingerView(Template(10, 10))]
    with pytest.raises(MinutiaeRecordError, match="view 2 view number: is 0, expected 1"):
        to_iso19794_2(twice)
    with pytest.raises(ValueError, match="unknown finger code"):
        to_iso19794_2(Template(10, 10), finger="R9")


# --- commands ---------------------------------------------------------------------------------


def test_extract_writes_both_records_and_reads_them_back(tmp_path: Path, capsys) -> None:
    png = tmp_path / "drawn.png"
    imageio.save(png, _drawn_ending_pointing_up(inverted=False))
    iso, ansi = tmp_path / "p.iso", tmp_path / "p.ansi"
    argv = ["extract", str(png), "--iso", str(iso), "--incits", str(ansi), "--finger", "l3"]
    assert main([*argv, "--impression", "rolled"]) == 0
    from_image = capsys.readouterr().out
    assert detect_standard(iso.read_bytes()) is ISO
    assert detect_standard(ansi.read_bytes()) is INCITS
    [view] = from_incits378(ansi.read_bytes())
    assert (view.finger, view.impression) == (Finger.L3, Impression.ROLLED)
    for path in (iso, ansi):
        assert main(["extract", "--template-in", str(path)]) == 0
        line = capsys.readouterr().out
        counts = from_image.split(": ", 1)[1].split(", ")[:2]  # "N minutiae (E endings", "B bif…"
        assert line.startswith(f"{path}: {', '.join(counts)}, 0 core(s), 0 delta(s)")
        quality = from_image.split("delta(s), ")[1].split(",")[0]  # "quality Q (level L"
        assert quality in line
    assert main(["extract", "--template-in", str(iso), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["minutiae"][0]["type"] == "ending" and answer["width"] == 400


def test_extract_converts_records_and_reads_several_views(tmp_path: Path, capsys) -> None:
    views = [
        FingerView.of(_random_template(7, 5), finger="R1", impression="rolled"),
        FingerView.of(_random_template(8, 6), finger="L1"),
    ]
    source, out = tmp_path / "two.iso", tmp_path / "two.ansi"
    source.write_bytes(to_iso19794_2(views))
    assert main(["extract", "--template-in", str(source), "--incits", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{source} view 1 (R1, rolled, ISO/IEC 19794-2:2005): 5 minutiae")
    assert lines[1].startswith(f"{source} view 2 (L1, flat, ISO/IEC 19794-2:2005): 6 minutiae")
    converted = from_incits378(out.read_bytes())
    assert [(v.finger, len(v.template)) for v in converted] == [(Finger.R1, 5), (Finger.L1, 6)]
    assert main(["extract", "--template-in", str(source), "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [a["finger"] for a in answer] == ["R1", "L1"]


def test_extract_refuses_a_bad_template_file_in_one_line(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.iso"
    bad.write_bytes(_iso()[:-1])
    assert main(["extract", "--template-in", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("station: error: ISO/IEC 19794-2:2005 record, record length: says 48")


def test_the_module_examples_hold() -> None:
    import doctest

    import station.interchange.iso as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0
