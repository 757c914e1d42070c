"""The one vocabulary: parsing, codes, capture order, and members stored as their values."""

from __future__ import annotations

import json
import sqlite3

import pytest

from station.core.vocabulary import (
    CAPTURE_ORDER,
    FINGERS,
    SLAP_FINGERS,
    SLAPS,
    Annotation,
    BookingStatus,
    Decision,
    Disposition,
    Finger,
    Impression,
    MinutiaType,
    Slap,
    fgp,
    finger_index,
    validate_finger,
)


@pytest.mark.parametrize(
    ("enum", "text", "member"),
    [
        (Finger, "r2", Finger.R2),
        (Finger, " L5 ", Finger.L5),
        (Slap, "ts", Slap.TS),
        (Impression, "ROLLED", Impression.ROLLED),
        (Disposition, "no hit", Disposition.NO_HIT),
        (Disposition, "Recapture", Disposition.RECAPTURE),
        (BookingStatus, "OPEN", BookingStatus.OPEN),
        (Decision, "Confirm", Decision.CONFIRM),
        (Annotation, "xx", Annotation.XX),
    ],
)
def test_codes_parse_case_insensitively(enum, text: str, member) -> None:
    assert enum(text) is member
    assert enum.parse(text) is member


def test_an_unknown_code_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"^unknown disposition 'MAYBE': use one of HIT, NO HIT, "):
        Disposition.parse("MAYBE")
    with pytest.raises(ValueError, match=r"^unknown finger code 'R6': use one of R1, R2, .*, L5$"):
        validate_finger("R6")
    with pytest.raises(ValueError, match="unknown finger code 2"):
        validate_finger(2)
    with pytest.raises(ValueError, match="unknown slap 'XS': use one of RS, LS, TS"):
        Slap.parse("XS")


def test_validate_finger_returns_the_member_equal_to_its_code() -> None:
    finger = validate_finger(" r3")
    assert finger is Finger.R3 and finger == "R3" and isinstance(finger, str)


def test_finger_position_codes_are_ansi_nist_table_8() -> None:
    assert [fgp(f) for f in FINGERS] == list(range(1, 11))
    assert [finger_index(f) for f in ("R1", "R5", "L1", "L5")] == [0, 4, 5, 9]
    assert [s.fgp for s in SLAPS] == [13, 14, 15]
    assert Finger.L1.description == "left thumb" and Finger.L1.hand == "left"
    assert Slap.RS.description == "right four fingers"


def test_capture_order_is_ten_rolled_prints_then_the_three_flat_slaps() -> None:
    assert [code for code, _ in CAPTURE_ORDER] == [
        *("R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3", "L4", "L5"),
        *("RS", "LS", "TS"),
    ]
    assert {imp for _, imp in CAPTURE_ORDER[:10]} == {Impression.ROLLED}
    assert {imp for _, imp in CAPTURE_ORDER[10:]} == {Impression.FLAT}
    assert SLAP_FINGERS[Slap.TS] == ("L1", "R1") and Slap.LS.fingers[0] == "L5"


def test_impression_and_minutia_codes() -> None:
    assert (Impression.ROLLED.imp, Impression.FLAT.imp) == (1, 0)
    assert (MinutiaType.ENDING, MinutiaType.BIFURCATION) == (0, 1)


def test_a_member_round_trips_through_json_unchanged() -> None:
    text = json.dumps(
        {Disposition.NO_HIT: [Disposition.NO_HIT, Finger.R1, MinutiaType.BIFURCATION]}
    )
    assert text == '{"NO HIT": ["NO HIT", "R1", 1]}'
    back = json.loads(text)
    assert Disposition(back["NO HIT"][0]) is Disposition.NO_HIT
    assert f"{Disposition.NO_HIT}" == str(Disposition.NO_HIT) == "NO HIT"


def test_a_member_round_trips_through_sqlite_unchanged() -> None:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE t (d TEXT CHECK (d IN ('HIT', 'NO HIT')), kind INTEGER)")
    con.execute("INSERT INTO t VALUES (?, ?)", (Disposition.NO_HIT, MinutiaType.BIFURCATION))
    row = con.execute("SELECT d, typeof(d), kind, typeof(kind) FROM t").fetchone()
    assert row == ("NO HIT", "text", 1, "integer")
    assert type(row[0]) is str and Disposition(row[0]) is Disposition.NO_HIT
    found = con.execute("SELECT count(*) FROM t WHERE d = ?", (Disposition.NO_HIT,)).fetchone()
    assert found == (1,)
