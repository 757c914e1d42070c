"""ANSI/NIST-ITL traditional encoding: exact bytes, round trips, LEN, and every bad input."""

from __future__ import annotations

import doctest
import importlib
import io
import os
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.interchange import (
    InterchangeError,
    SkippedRecord,
    TaggedRecord,
    Transaction,
    Type4Record,
    ansi_nist,
    read_file,
    read_transaction,
    write_transaction,
)

# A binary payload holding every separator byte, to prove .999 is cut by LEN, not by FS.
_NASTY = b"\x1c\x1d\x1e\x1f14.999:\x1c" + bytes(range(256))


def _header(**extra: object) -> TaggedRecord:
    fields: dict[int, object] = {2: "0500", 4: "CAR", 5: "20260102", 7: "DAI", 8: "ORI", 9: "T1"}
    fields.update({int(k[1:]): v for k, v in extra.items()})
    return TaggedRecord(1, fields)


def _every_type() -> Transaction:
    return Transaction(
        _header(),
        (
            TaggedRecord(2, {2: "00", 18: "DOE,JOHN", 47: [["", "BURGLARY"], ["20250101", "X"]]}),
            Type4Record(1, 1, (2,), 3, 2, 0, b"\x1c\x1d\x1e\x1f\x00\xff"),
            TaggedRecord(9, {2: "02", 3: "1", 4: "S", 5: [["AFIS/FBI", "M"]]}),
            TaggedRecord(13, {2: "03", 3: "4", 13: ["0", "19"]}, data=_NASTY),
            TaggedRecord(14, {2: "04", 3: "1", 13: "2", 22: [[2, 3]]}, data=_NASTY),
            TaggedRecord(15, {2: "05", 3: "10", 13: "25"}, data=b"palm"),
        ),
    )


# ---------------------------------------------------------------------------------------------
# Exact encoding
# ---------------------------------------------------------------------------------------------


def test_a_tagged_record_is_written_byte_for_byte() -> None:
    data = write_transaction(
        Transaction(_header(), (TaggedRecord(2, {2: 0, 18: "A", 47: [["1", "2"], ["3"]]}),))
    )
    header = (
        b"1.001:89\x1d1.002:0500\x1d1.003:1\x1f1\x1e2\x1f00\x1d1.004:CAR\x1d1.005:20260102"
        b"\x1d1.007:DAI\x1d1.008:ORI\x1d1.009:T1\x1c"
    )
    type2 = b"2.001:37\x1d2.002:0\x1d2.018:A\x1d2.047:1\x1f2\x1e3\x1c"
    assert data == header + type2
    assert len(header) == 89 and len(type2) == 37


def test_a_type4_record_has_the_standard_binary_layout() -> None:
    record = Type4Record(
        idc=7, impression=1, positions=(13, 2), width=804, height=752, compression=1,
        data=b"\xff\xa0wsq",
    )  # fmt: skip
    data = write_transaction(Transaction(_header(), (record,)))
    raw = data[data.index(b"\x1c") + 1 :]
    # LEN(4) IDC(1) IMP(1) FGP(6, unused 255) ISR(1) HLL(2) VLL(2) GCA(1), then the data
    assert raw == (
        struct.pack(">I", 23) + bytes([7, 1, 13, 2, 255, 255, 255, 255, 0])
        + struct.pack(">HH", 804, 752) + b"\x01" + b"\xff\xa0wsq"
    )  # fmt: skip


@pytest.mark.parametrize("size", [0, 1, 83, 84, 85, 975, 976, 977, 9975, 9976])
def test_len_counts_itself_across_digit_boundaries(size: int) -> None:
    record = TaggedRecord(14, {2: 1, 13: 1}, b"x" * size)
    data = write_transaction(Transaction(_header(), (record,)))
    start = data.index(b"\x1c") + 1
    record = data[start:]
    length = int(record[len(b"14.001:") : record.index(b"\x1d")])
    assert length == len(record)
    assert read_transaction(data).records[0].data == b"x" * size


def test_field_values_have_one_canonical_form() -> None:
    record = TaggedRecord(2, {2: 0, 5: ["A"], 6: [["A"]], 7: [["A", ""]], 8: ["A", "B"]})
    assert record.fields == {2: "0", 5: "A", 6: "A", 7: (("A", ""),), 8: (("A",), ("B",))}
    assert record.text(8) == "A;B" and record.subfields(5) == (("A",),)


# ---------------------------------------------------------------------------------------------
# Round trips
# ---------------------------------------------------------------------------------------------


def test_every_record_type_round_trips() -> None:
    original = _every_type()
    data = write_transaction(original)
    back = read_transaction(data)
    assert back == original
    assert [r.type for r in back.records] == [2, 4, 9, 13, 14, 15]
    assert back.records[3].data == _NASTY and back.records[4].data == _NASTY
    assert back.records[1].data == b"\x1c\x1d\x1e\x1f\x00\xff"
    assert back.records[0].fields[47] == (("", "BURGLARY"), ("20250101", "X"))
    assert write_transaction(back) == data
    assert back.lengths == ansi_nist.record_lengths(original)
    assert sum(back.lengths) == len(data)


def test_other_types_are_read_and_noted() -> None:
    face = TaggedRecord(10, {2: "01", 3: "FACE"}, data=b"jpeg")
    signature = SkippedRecord(8, 2, struct.pack(">IB", 9, 2) + b"sign")
    data = write_transaction(Transaction(_header(), (face, signature)))
    back = read_transaction(data)
    assert back.records == (face, signature)
    assert back.notes == (
        "record 2 (Type-10): read as tagged fields, not interpreted by the station",
        "record 3 (Type-8): legacy binary record of 9 bytes kept, not interpreted",
    )


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_characters="\x1c\x1d\x1e\x1f", exclude_categories=["Cs"]),
    max_size=12,
)
_VALUE = st.one_of(
    _TEXT,
    st.lists(st.lists(_TEXT, min_size=1, max_size=3), min_size=1, max_size=3),
)


@settings(max_examples=50, deadline=None)
@given(
    fields=st.dictionaries(st.integers(3, 998), _VALUE, max_size=6),
    data=st.one_of(st.none(), st.binary(max_size=64)),
    idc=st.integers(0, 99),
)
def test_random_field_values_round_trip(fields: dict, data: bytes | None, idc: int) -> None:
    record = TaggedRecord(14 if data is not None else 2, {2: idc, **fields, 13: "1"}, data)
    transaction = Transaction(_header(), (record,))
    assert read_transaction(write_transaction(transaction)) == transaction


def test_docstring_examples() -> None:
    for name in ("station.interchange.ansi_nist", "station.interchange.ebts",
                 "station.interchange.describe"):  # fmt: skip
        module = importlib.import_module(name)
        out = io.StringIO()
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        tests = doctest.DocTestFinder().find(module, name)
        assert sum(len(t.examples) for t in tests) >= 3, name
        for test in tests:
            runner.run(test, out=out.write)
        assert runner.summarize(verbose=False).failed == 0, out.getvalue()


# ---------------------------------------------------------------------------------------------
# Bad input: one InterchangeError naming the record and the field
# ---------------------------------------------------------------------------------------------


def _good() -> bytes:
    return write_transaction(_every_type())


def _error(data: bytes) -> str:
    with pytest.raises(InterchangeError) as info:
        read_transaction(data)
    return str(info.value)


def test_truncated_files_name_the_record_and_its_len() -> None:
    data = _good()
    message = _error(data[:-10])
    assert message.startswith("record 7 (Type-15) field 15.001 LEN says")
    assert "truncated" in message
    # cut inside a binary Type-4 record
    at = data.index(b"\x1c", data.index(b"2.001")) + 1
    assert _error(data[: at + 10]).startswith("record 3 (Type-4) field 4.001 LEN says 24 bytes")
    # cut right after the header: the records CNT lists are missing
    first = data.index(b"\x1c") + 1
    assert _error(data[:first]) == (
        "record 2 (Type-2): the file ends before this record, listed in 1.003 CNT: truncated"
    )
    assert "record 1 (Type-1) field 1.001 LEN" in _error(b"")


def test_a_len_that_lies_is_named() -> None:
    data = _good()
    start = data.index(b"2.001:")
    end = data.index(b"\x1d", start)
    length = int(data[start + 6 : end])
    shorter = data[: start + 6] + str(length - 1).encode() + data[end:]
    assert _error(shorter) == (
        f"record 2 (Type-2) field 2.001 LEN says {length - 1} bytes but byte {length - 1} is "
        "not the record's end (FS): the LEN is wrong"
    )
    longer = data[: start + 6] + str(length + 3).encode() + data[end:]
    assert _error(longer).startswith(f"record 2 (Type-2) field 2.001 LEN says {length + 3} bytes")
    assert data[:10] == b"1.001:118\x1d"
    assert _error(b"1.001:119" + data[9:]).startswith(
        "record 1 (Type-1) field 1.001 LEN says 119 bytes but byte 119 is not the record's end"
    )


def test_a_binary_len_that_lies_is_named() -> None:
    data = _good()
    at = data.index(b"\x1c", data.index(b"2.001")) + 1
    assert struct.unpack_from(">I", data, at) == (24,)
    bad = data[:at] + struct.pack(">I", 3) + data[at + 4 :]
    assert _error(bad) == (
        "record 3 (Type-4) field 4.001 LEN says 3 bytes, below the 18 of the record's fixed fields"
    )
    longer = data[:at] + struct.pack(">I", 25) + data[at + 4 :]
    assert _error(longer).startswith("record 4 (Type-9) field 9.001 LEN")


def test_an_unknown_record_type_is_named() -> None:
    data = write_transaction(Transaction(_header(), (TaggedRecord(2, {2: 0}),)))
    bad = data.replace(b"1.003:1\x1f1\x1e2\x1f00", b"1.003:1\x1f1\x1e42\x1f0")
    assert _error(bad) == (
        "record 2 (Type-42) (listed in 1.003 CNT subfield 2): unknown record type 42"
    )


def test_a_record_of_another_type_than_cnt_says_is_named() -> None:
    data = write_transaction(Transaction(_header(), (TaggedRecord(2, {2: 0}),)))
    bad = data.replace(b"1.003:1\x1f1\x1e2\x1f00", b"1.003:1\x1f1\x1e9\x1f00")
    assert _error(bad) == (
        "record 2 (Type-9) field 9.001 LEN: record does not start with '9.001:' (found b'2.001:17')"
    )


def test_a_type14_finger_position_out_of_range_is_named() -> None:
    data = write_transaction(
        Transaction(_header(), (TaggedRecord(14, {2: 1, 13: "12"}, data=b"img"),))
    )
    bad = data.replace(b"14.013:12", b"14.013:99")
    assert _error(bad) == (
        "record 2 (Type-14): Type-14 record field 14.013 FGP: finger position '99' is out of "
        "range (0-17 or 19)"
    )
    with pytest.raises(InterchangeError, match=r"14\.013 FGP: finger position '18'"):
        TaggedRecord(14, {2: 1, 13: "18"})
    with pytest.raises(InterchangeError, match=r"14\.013 FGP is missing"):
        TaggedRecord(14, {2: 1})


def test_a_type4_finger_position_out_of_range_is_named() -> None:
    data = _good()
    at = data.index(b"\x1c", data.index(b"2.001")) + 1
    bad = data[: at + 6] + b"\x30" + data[at + 7 :]
    assert _error(bad) == (
        "record 3 (Type-4) field 4.004 FGP: finger position(s) [48, 255, 255, 255, 255, 255] "
        "out of range (0-15, 255 unused)"
    )


def test_cnt_errors_are_named() -> None:
    data = write_transaction(Transaction(_header(), (TaggedRecord(2, {2: 0}),)))
    assert _error(data.replace(b"1.003:1\x1f1", b"1.003:1\x1f3")) == (
        "record 1 (Type-1) field 1.003 CNT says 3 records but lists 1"
    )
    assert _error(data + b"junk") == (
        "4 byte(s) after record 2, the last one 1.003 CNT lists (a LEN is wrong or CNT misses "
        "a record)"
    )


def test_writing_refuses_separators_in_text() -> None:
    with pytest.raises(InterchangeError, match=r"Type-2 field 2.018: value holds separator"):
        TaggedRecord(2, {2: 0, 18: "DOE\x1eJOHN"})
    with pytest.raises(InterchangeError, match=r"field 4.004 FGP"):
        Type4Record(1, 1, (16,), 1, 1, 0, b"x")
    with pytest.raises(InterchangeError, match=r"1\.003 CNT is computed"):
        TaggedRecord(1, {3: "1"})


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.an2"
    with path.open("wb") as handle:  # 2 GB, sparse: nothing is written to disk
        handle.truncate(2 * 1024**3)
    with pytest.raises(InterchangeError) as info:
        read_file(path)
    assert str(info.value) == (
        f"{path}: 2147483648 bytes is over the 268435456 byte limit of a transaction; not read"
    )
    assert os.path.getsize(path) == 2 * 1024**3


def test_read_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "cut.an2"
    path.write_bytes(_good()[:50])
    with pytest.raises(InterchangeError, match=rf"^{path}: record 1 \(Type-1\) field 1.001 LEN"):
        read_file(path)
