"""EBTS ten-print submissions (CAR / CNA) and responses (SRE / ERRT): fields and round trips."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station.core.vocabulary import Annotation, Disposition, Finger, Slap
from station.interchange import (
    HitSubject,
    InterchangeError,
    PrintImage,
    Segment,
    SubmissionResponse,
    TaggedRecord,
    TenprintSubmission,
    build_response,
    build_submission,
    parse_response,
    parse_submission,
    read_file,
    read_transaction,
    write_transaction,
)


def _print(seed: int, *, quality: int | None = 2, segments: tuple[Segment, ...] = ()) -> PrintImage:
    # stand-in WSQ bytes holding separators: the codec must not care what the image holds
    data = b"\xff\xa0" + bytes([seed]) * 7 + b"\x1c\x1d\x1e\x1f"
    return PrintImage(data, "WSQ20", width=800, height=750, quality=quality, segments=segments)


def _submission(**changes: object) -> TenprintSubmission:
    fingers: dict[str, PrintImage | Annotation] = {f.value: _print(i) for i, f in enumerate(Finger)}
    fingers["L4"] = Annotation.XX
    fingers["R5"] = Annotation.UP
    slaps = {
        "RS": PrintImage(
            b"\xff\xa0rs", "WSQ20", width=1600, height=1500, segments=(
                Segment("R2", 100, 10, 400, 300, quality=1),
                Segment("R3", 90, 320, 420, 640, quality=2),
                Segment("R4", 110, 660, 430, 980, quality=3),
            ),
        ),
        "LS": PrintImage(b"\xff\xa0ls", "WSQ20", width=1600, height=1500),
        "TS": PrintImage(b"\xff\xa0ts", "WSQ20", width=1600, height=1500, quality=4),
    }  # fmt: skip
    values: dict[str, object] = {
        "tcn": "NY0303000-20260102-0001",
        "ori": "NY0303000",
        "dai": "WVIAFIS0Z",
        "date": dt.date(2026, 1, 2),
        "demographics": {
            "last_name": "DOE", "first_name": "JOHN", "middle_initial": "Q",
            "date_of_birth": "1990-05-01", "sex": "M", "race": "W", "height": "510",
            "weight": 180, "eye_colour": "BRO", "hair_colour": "BLK", "place_of_birth": "NY",
        },
        "date_of_arrest": dt.date(2026, 1, 1),
        "charges": ("BURGLARY 3RD DEGREE", "POSSESSION OF BURGLAR TOOLS"),
        "fingers": fingers,
        "slaps": slaps,
        "gmt": dt.datetime(2026, 1, 2, 15, 4, 5),
    }  # fmt: skip
    values.update(changes)
    return TenprintSubmission(**values)  # type: ignore[arg-type]


def test_a_car_transaction_holds_the_ebts_fields() -> None:
    t = build_submission(_submission())
    assert dict(t.header.fields) == {
        2: "0502", 4: "CAR", 5: "20260102", 7: "WVIAFIS0Z", 8: "NY0303000",
        9: "NY0303000-20260102-0001", 11: "19.69", 12: "19.69", 13: (("EBTS", "11.0"),),
        14: "20260102150405Z",
    }  # fmt: skip
    assert t.contents == ((2, 0), *((14, i) for i in range(1, 14)))
    type2 = t.records[0]
    assert dict(type2.fields) == {
        2: "00", 5: "Y", 18: "DOE,JOHN Q", 20: "NY", 22: "19900501", 24: "M", 25: "W",
        27: "510", 29: "180", 31: "BRO", 32: "BLK", 45: "20260101",
        47: (("", "BURGLARY 3RD DEGREE"), ("", "POSSESSION OF BURGLAR TOOLS")),
    }  # fmt: skip
    r1 = t.records[1]
    assert dict(r1.fields) == {
        2: "01", 3: "1", 4: "NY0303000", 5: "20260102", 6: "800", 7: "750", 8: "1",
        9: "500", 10: "500", 11: "WSQ20", 12: "8", 13: "1", 22: (("1", "2"),),
    }  # fmt: skip
    assert r1.data == _print(0).data
    r5 = t.records[5]  # right little: unable to print, no image
    assert dict(r5.fields) == {2: "05", 3: "1", 13: "5", 18: (("5", "UP"),)} and r5.data is None
    assert dict(t.records[9].fields)[18] == (("9", "XX"),)  # left ring amputated
    rs, ls, ts = t.records[11:]
    assert (rs.text(3), rs.text(13), ls.text(13), ts.text(13)) == ("0", "13", "14", "15")
    # SEG: FGP, left, right, top, bottom (inclusive pixel offsets)
    assert rs.fields[21] == (
        ("2", "10", "299", "100", "399"),
        ("3", "320", "639", "90", "419"),
        ("4", "660", "979", "110", "429"),
    )
    assert rs.fields[22] == (("2", "1"), ("3", "2"), ("4", "3"))
    assert rs.fields[18] == (("5", "UP"),)  # right little, unable to print
    assert ls.fields[18] == (("9", "XX"),)  # the amputated finger is missing from its slap
    assert ts.fields[22] == (("15", "4"),)


def test_a_submission_round_trips_through_the_file() -> None:
    original = _submission()
    data = write_transaction(build_submission(original))
    back = parse_submission(read_transaction(data))
    assert back == original
    assert back.notes == ()


def test_cna_and_no_retention() -> None:
    t = build_submission(_submission(tot="CNA", retain=False, gmt=None))
    assert t.header.text(4) == "CNA" and 14 not in t.header.fields
    assert t.records[0].text(5) == "N"
    assert parse_submission(t).tot == "CNA"


def test_bad_submissions_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown demographic key"):
        _submission(demographics={"shoe_size": 9})
    with pytest.raises(ValueError, match="unknown finger code 'R6'"):
        _submission(fingers={"R6": _print(1)})
    with pytest.raises(ValueError, match="unknown compression 'GIF'"):
        PrintImage(b"x", "GIF", width=1, height=1)
    with pytest.raises(ValueError, match="uncompressed print holds 3 bytes"):
        PrintImage(b"xyz", "NONE", width=2, height=2)
    with pytest.raises(ValueError, match="quality must be an NFIQ level"):
        _print(1, quality=7)
    with pytest.raises(ValueError, match="weight must be a whole number"):
        build_submission(_submission(demographics={"weight": "heavy"}))


def test_a_type14_without_image_or_annotation_is_named() -> None:
    t = build_submission(_submission())
    broken = TaggedRecord(14, {k: v for k, v in t.records[5].fields.items() if k != 18})
    bad = t.__class__(t.header, (*t.records[:5], broken, *t.records[6:]))
    with pytest.raises(InterchangeError) as info:
        parse_submission(bad)
    assert str(info.value) == (
        "record 7 (Type-14) field 14.999 DATA is missing (and no 14.018 AMP)"
    )


def test_the_tenprint_card_books_from_its_type4_records(samples: Path) -> None:
    s = parse_submission(read_file(samples / "type-4-tpcard.an2"))
    assert (s.tot, s.date, s.ori) == ("AMN", dt.date(2009, 9, 21), "MDNISTIMG")
    assert list(s.fingers) == list(Finger)
    assert list(s.slaps) == [Slap.RS, Slap.LS]
    r1 = s.fingers[Finger.R1]
    assert isinstance(r1, PrintImage)
    assert (r1.compression, r1.width, r1.height, r1.ppi, r1.impression) == (
        "WSQ20", 804, 752, 500, 3
    )  # fmt: skip
    assert r1.data[:2] == b"\xff\xa0"
    assert s.slaps[Slap.LS].width == 1608 and s.slaps[Slap.LS].impression == 2
    assert s.demographics == {}
    assert s.notes == (
        "record 14 (Type-4): finger position 12 left out",
        "record 15 (Type-4): finger position 11 left out",
    )


def test_the_type14_sample_finger_is_read_at_500_ppi(samples: Path) -> None:
    s = parse_submission(read_file(samples / "type-9-10-14.an2"))
    (finger,) = s.fingers.items()
    assert finger[0] is Finger.L3
    image = finger[1]
    assert isinstance(image, PrintImage)
    assert (image.compression, image.width, image.height, image.ppi) == ("NONE", 800, 768, 500)


# ---------------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------------


def _response(tot: str, disposition: Disposition, **changes: object) -> SubmissionResponse:
    values: dict[str, object] = {
        "tot": tot, "tcn": "R-0001", "tcr": "NY0303000-20260102-0001", "ori": "WVIAFIS0Z",
        "dai": "NY0303000", "date": dt.date(2026, 1, 2), "disposition": disposition,
    }  # fmt: skip
    values.update(changes)
    return SubmissionResponse(**values)  # type: ignore[arg-type]


def test_an_sre_hit_names_the_subject() -> None:
    subject = HitSubject(name="DOE,JOHN Q", fbi="123456AB7", sid="NY12345678",
                         date_of_birth=dt.date(1990, 5, 1))  # fmt: skip
    response = _response("SRE", Disposition.HIT, subject=subject)
    t = build_response(response)
    assert t.header.text(4) == "SRE" and t.header.text(10) == "NY0303000-20260102-0001"
    assert dict(t.records[0].fields) == {
        2: "00", 14: "123456AB7", 15: "NY12345678", 18: "DOE,JOHN Q", 22: "19900501",
        59: "I", 60: "HIT",
    }  # fmt: skip
    assert parse_response(read_transaction(write_transaction(t))) == response


@pytest.mark.parametrize("disposition", [Disposition.NO_HIT, Disposition.REVIEW])
def test_an_sre_without_a_hit(disposition: Disposition) -> None:
    response = _response("SRE", disposition, message="searched 1000 subjects")
    t = build_response(response)
    assert t.records[0].text(59) == "N"
    assert t.records[0].fields[60] == ((disposition.value,), ("searched 1000 subjects",))
    assert parse_response(read_transaction(write_transaction(t))) == response


def test_an_errt_carries_its_reason() -> None:
    response = _response("ERRT", Disposition.RECAPTURE, message="quality too low on R2, L3")
    t = build_response(response)
    assert 59 not in t.records[0].fields
    assert t.records[0].fields[60] == (("RECAPTURE",), ("quality too low on R2, L3",))
    assert parse_response(read_transaction(write_transaction(t))) == response


def test_bad_responses_are_refused() -> None:
    with pytest.raises(ValueError, match="SRE cannot carry disposition RECAPTURE"):
        _response("SRE", Disposition.RECAPTURE)
    with pytest.raises(ValueError, match="an ERRT needs its reason"):
        _response("ERRT", Disposition.ERROR)
    with pytest.raises(InterchangeError, match=r"field 1\.004 TOT is 'CAR', not SRE or ERRT"):
        parse_response(build_submission(_submission()))
