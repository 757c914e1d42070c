"""Files written by other implementations: the four public ANSI/NIST-ITL samples, and
nistitl (an independent parser, IDEMIA's) reading what we write, field for field."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.interchange import (
    TaggedRecord,
    Transaction,
    Type4Record,
    read_file,
    read_transaction,
    write_transaction,
)
from station.interchange.ansi_nist import SkippedRecord

nistitl = pytest.importorskip("nistitl", reason="nistitl (the independent parser) not installed")


def test_type1_sample(samples: Path) -> None:
    t = read_file(samples / "type-1.an2")
    assert t.contents == ((2, 0),)
    assert t.lengths == (259, 17)
    h = t.header
    assert (h.text(2), h.text(4), h.text(5), h.text(9), h.text(14)) == (
        "0500", "A", "20120726", "TCN", "20120726111545Z"
    )  # fmt: skip
    assert h.fields[16] == (("ORG", "APSNAME", "1.0.0"), ("ORG2", "APS2NAME", "version three"))
    assert h.fields[13] == (("DOM", "1.00"),)
    assert t.records == (TaggedRecord(2, {2: "0"}),)
    # the sample writes CNT's IDC as "0", we write "00": one byte more, same content
    again = write_transaction(t)
    assert len(again) == 277 and read_transaction(again) == t


def test_tenprint_card_of_type4_wsq_records(samples: Path) -> None:
    path = samples / "type-4-tpcard.an2"
    t = read_file(path)
    assert len(t.records) == 15 and t.notes == ()
    assert t.header.text(4) == "AMN" and t.header.text(11) == "19.69"
    assert t.records[0] == TaggedRecord(2, {2: "00", 3: "domain defined text place holder"})
    prints = t.records[1:]
    assert all(isinstance(r, Type4Record) for r in prints)
    assert [r.positions for r in prints] == [(p,) for p in (*range(1, 11), 14, 12, 11, 13)]
    assert [r.idc for r in prints] == list(range(1, 15))
    assert [r.impression for r in prints] == [3] * 10 + [2] * 4  # non-live-scan rolled / plain
    assert {r.compression for r in prints} == {1}  # WSQ
    assert all(r.data[:2] == b"\xff\xa0" for r in prints)  # the WSQ start-of-image marker
    assert (prints[0].width, prints[0].height, len(prints[0].data)) == (804, 752, 42297)
    assert (prints[10].width, prints[10].height) == (1608, 1000)  # left four fingers
    assert write_transaction(t) == path.read_bytes()


def test_minutiae_face_and_finger_sample(samples: Path) -> None:
    path = samples / "type-9-10-14.an2"
    t = read_file(path)
    assert t.contents == ((2, 0), (9, 1), (10, 2), (14, 1))
    assert t.notes == ("record 4 (Type-10): read as tagged fields, not interpreted by the station",)
    minutiae, face, finger = t.records[1:]
    assert minutiae.text(4) == "S" and len(minutiae.subfields(12)) == 48
    assert minutiae.subfields(12)[0][:4] == ("001", "21952030101", "00", "D")
    assert (face.text(11), face.text(6), face.text(7)) == ("JPEGB", "1181", "1575")
    assert face.data is not None and face.data[:2] == b"\xff\xd8"  # JPEG start of image
    assert finger.text(13) == "8" and finger.text(11) == "NONE"
    assert (finger.text(8), finger.text(9)) == ("2", "197")  # pixels per centimetre
    assert finger.data is not None and len(finger.data) == 800 * 768
    assert write_transaction(t) == path.read_bytes()


def test_latent_sample(samples: Path) -> None:
    t = read_file(samples / "type-13.an2")
    (latent,) = t.records
    assert isinstance(latent, TaggedRecord) and latent.type == 13
    assert latent.fields[13] == (("0",), ("19",))
    assert latent.fields[24] == (("0", "90", "0000", "1"), ("19", "95", "FFFF", "65535"))
    assert latent.data is not None and len(latent.data) == 800 * 768
    assert t.lengths == (260, 614671)


# ---------------------------------------------------------------------------------------------
# nistitl, field for field
# ---------------------------------------------------------------------------------------------


def _nistitl_fields(record: object) -> dict[int, object]:
    """A nistitl record's fields in our canonical form (text, or subfields of items)."""
    out: dict[int, object] = {}
    for f in record._fields:  # type: ignore[attr-defined]
        if isinstance(f, nistitl.BinaryField):
            out[f.tag] = bytes(f.value)
            continue
        value = f.value
        if isinstance(value, list):
            subs = tuple(tuple(s) if isinstance(s, list) else (s,) for s in value)
            out[f.tag] = subs[0][0] if len(subs) == 1 and len(subs[0]) == 1 else subs
        else:
            out[f.tag] = str(value)
    if getattr(record, "type", None) == 1:  # CNT's IDCs as numbers ("0" and "00" are equal)
        out[3] = tuple((int(t), int(i)) for t, i in out[3])  # type: ignore[union-attr]
    return out


def _ours(record: TaggedRecord, length: int, transaction: Transaction) -> dict[int, object]:
    fields: dict[int, object] = {1: str(length), **record.fields}
    if record.type == 1:
        fields[3] = ((1, len(transaction.records)), *transaction.contents)
    else:
        fields[2] = str(record.idc)  # nistitl reads IDCs as numbers
    if record.data is not None:
        fields[999] = record.data
    return fields


def _compare_with_nistitl(data: bytes) -> int:
    ours = read_transaction(data)
    theirs = nistitl.Message()
    theirs.parse(data)
    records = (ours.header, *ours.records)
    assert len(theirs) == len(records)
    checked = 0
    for mine, length, other in zip(records, ours.lengths, theirs, strict=True):
        assert other.type == mine.type
        if isinstance(mine, TaggedRecord):
            assert _nistitl_fields(other) == _ours(mine, length, ours)
            checked += len(mine.fields)
        elif isinstance(mine, Type4Record):
            raw = write_transaction(Transaction(ours.header, (mine,)))[-length:]
            assert int(other.IDC) == mine.idc and other.value == raw[5:]
            checked += 1
        else:
            assert isinstance(mine, SkippedRecord)
    return checked


def test_nistitl_reads_our_transactions_field_for_field() -> None:
    header = TaggedRecord(
        1, {2: "0502", 4: "CAR", 5: "20260102", 7: "WVIAFIS0Z", 8: "NY0303000", 9: "T-1",
            11: "19.69", 12: "19.69", 13: [["EBTS", "11.0"]]},
    )  # fmt: skip
    t = Transaction(
        header,
        (
            TaggedRecord(2, {2: "00", 18: "DOE,JOHN Q", 47: [["20250101", "BURGLARY"], ["", "X"]]}),
            Type4Record(1, 1, (2,), 4, 2, 0, bytes(range(8))),
            TaggedRecord(9, {2: "02", 3: "1", 4: "S"}),
            TaggedRecord(13, {2: "03", 3: "4", 13: ["0", "19"]}, data=b"\x1c\x1d" * 40),
            TaggedRecord(14, {2: "04", 3: "1", 13: "2", 22: [[2, 3]]}, data=b"\x1e\x1f" * 40),
            TaggedRecord(15, {2: "05", 3: "10", 13: "25"}, data=b"palm"),
        ),
    )
    assert _compare_with_nistitl(write_transaction(t)) == 26


def test_nistitl_reads_the_samples_as_we_do(samples: Path) -> None:
    for name in ("type-1.an2", "type-4-tpcard.an2", "type-9-10-14.an2", "type-13.an2"):
        assert _compare_with_nistitl((samples / name).read_bytes()) > 10, name
