"""ANSI/NIST-ITL 1-2011 transactions in the traditional encoding: read and write.

A transaction is a Type-1 header followed by the records its field 1.003 CNT lists. Two kinds
of record are spoken here (ANSI/NIST-ITL 1-2011, clause 7 and annex B):

- **Tagged records** (Type-1, 2, 9, 10, 13, 14, 15, …): ASCII fields ``T.NNN:value``
  separated by GS (0x1D), subfields by RS (0x1E), items by US (0x1F), the record ended by FS
  (0x1C). Field ``T.001`` (LEN) is the record's length in bytes, itself included; the image
  of an image record is field ``T.999``, binary, always the last field.
- **Binary records** (Type-4, legacy 8-bit grayscale fingerprint; Type-3, 5, 6, 7, 8 are read
  and skipped): a fixed layout, big-endian. Type-4 (clause 10, table 17): LEN 4 bytes, IDC 1,
  IMP 1, FGP 6 (unused positions 255), ISR 1, HLL 2, VLL 2, GCA 1, then the image data.

A field value is text (``"0500"``), or, when it has several subfields or items, a tuple of
subfields, each a tuple of items (``(("1", "15"), ("2", "00"))``). A value with one subfield of
one item is always stored as text, so every value has exactly one form and a read → write →
read round trip gives equal records. LEN (``T.001``) is never stored: it is computed when
writing and checked when reading; the Type-1 record's CNT (``1.003``) likewise comes from the
transaction's record list.

Examples
--------
>>> header = TaggedRecord(1, {2: "0500", 4: "CAR", 5: "20260101", 7: "DAI", 8: "ORI",
...                           9: "TCN1", 11: "19.69", 12: "19.69"})
>>> demo = TaggedRecord(2, {2: "00", 18: "DOE,JOHN"})
>>> data = write_transaction(Transaction(header, (demo,)))
>>> data[:36]
b'1.001:116\\x1d1.002:0500\\x1d1.003:1\\x1f1\\x1e2\\x1f00\\x1d'
>>> back = read_transaction(data)
>>> back.records[0].text(18), back.header.text(9)
('DOE,JOHN', 'TCN1')
>>> back == Transaction(header, (demo,))
True
"""

from __future__ import annotations

import logging
import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeAlias

__all__ = [
    "BINARY_TYPES",
    "FS",
    "GS",
    "MAX_TRANSACTION_BYTES",
    "RS",
    "TAGGED_TYPES",
    "US",
    "FieldValue",
    "InterchangeError",
    "Record",
    "SkippedRecord",
    "TaggedRecord",
    "Transaction",
    "Type4Record",
    "read_file",
    "read_transaction",
    "record_lengths",
    "write_transaction",
]

log = logging.getLogger(__name__)

FS = b"\x1c"  #: file separator: ends a tagged record
GS = b"\x1d"  #: group separator: between fields
RS = b"\x1e"  #: record separator: between subfields
US = b"\x1f"  #: unit separator: between items
_SEPARATORS = frozenset(b"\x1c\x1d\x1e\x1f")

#: A transaction larger than this is refused before it is read (256 MiB).
MAX_TRANSACTION_BYTES = 256 * 1024 * 1024

#: Record types in the tagged (ASCII) encoding (ANSI/NIST-ITL 1-2011 table 3, plus 11 and 12
#: reserved for its 2013 update): read field by field whatever their content.
TAGGED_TYPES = frozenset({1, 2, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 98, 99})
#: Binary record types (all begin with a 4-byte big-endian LEN). Type-4 is read; the others
#: (3, 5, 6 deprecated images, 7 user-defined, 8 signature) are kept as bytes with a note.
BINARY_TYPES = frozenset({3, 4, 5, 6, 7, 8})
#: Types read and written field by field (the others are read and skipped with a note).
_INTERPRETED = frozenset({1, 2, 4, 9, 13, 14, 15})

#: Finger positions a Type-14 record may hold (ANSI/NIST-ITL 1-2011 table 8: 0 unknown,
#: 1-10 fingers, 11-15 plain thumbs and slaps, 16-17 extra digits, 19 EJI or tip).
_TYPE14_FGP = frozenset(range(0, 18)) | {19}
#: Finger positions of a Type-4 record (0-15), 255 filling the unused bytes.
_TYPE4_FGP = frozenset(range(0, 16))
#: Type-4 header: LEN(4) IDC(1) IMP(1) FGP(6) ISR(1) HLL(2) VLL(2) GCA(1), big-endian.
_TYPE4_HEADER = struct.Struct(">IBB6sBHHB")

#: A field value: text, or subfields of items.
FieldValue: TypeAlias = str | tuple[tuple[str, ...], ...]


class InterchangeError(ValueError):
    """A transaction that cannot be read or written; the message names record and field."""


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


def _normalise_value(value: object, where: str) -> FieldValue:
    """One canonical form of a field value (see the module docstring)."""
    if isinstance(value, bool):
        raise InterchangeError(f"{where}: a field value must be text or numbers, got {value!r}")
    if isinstance(value, str | int):
        text = str(value)
        _check_text(text, where)
        return text
    if isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        if not value:
            raise InterchangeError(f"{where}: a field needs at least one subfield")
        subfields: list[tuple[str, ...]] = []
        for sub in value:
            if isinstance(sub, str | int) and not isinstance(sub, bool):
                items: tuple[str, ...] = (str(sub),)
            elif isinstance(sub, Sequence) and not isinstance(sub, bytes | bytearray) and sub:
                items = tuple(str(item) if isinstance(item, int) else item for item in sub)
            else:
                raise InterchangeError(f"{where}: a subfield must be text or items, got {sub!r}")
            for item in items:
                if not isinstance(item, str) or isinstance(item, bool):
                    raise InterchangeError(f"{where}: an item must be text, got {item!r}")
                _check_text(item, where)
            subfields.append(items)
        if len(subfields) == 1 and len(subfields[0]) == 1:
            return subfields[0][0]
        return tuple(subfields)
    raise InterchangeError(f"{where}: a field value must be text or subfields, got {value!r}")


def _check_text(text: str, where: str) -> None:
    bad = sorted({f"0x{ord(c):02X}" for c in text if ord(c) in _SEPARATORS})
    if bad:
        raise InterchangeError(f"{where}: value holds separator byte(s) {', '.join(bad)}")


@dataclass(frozen=True)
class TaggedRecord:
    """A tagged (ASCII) record: its type, fields ``tag -> value`` and the binary field .999.

    Parameters
    ----------
    type : int
        Record type (1, 2, 9, 13, 14, …).
    fields : mapping of int to value
        Field number -> value, LEN (``.001``) excluded; for records other than Type-1, field
        ``.002`` is the IDC. Values may be given as text, a number, a sequence of subfields or
        a sequence of sequences of items; they are stored in their canonical form (text, or a
        tuple of tuples of text), sorted by tag.
    data : bytes, optional
        The binary field ``.999`` (an image), written last.

    Examples
    --------
    >>> r = TaggedRecord(14, {2: 1, 13: [2, 3], 21: [[2, 10, 300, 20, 500]]}, data=b"\\xff\\xa0")
    >>> r.idc, r.fields[13], r.fields[21]
    (1, (('2',), ('3',)), (('2', '10', '300', '20', '500'),))
    """

    type: int
    fields: Mapping[int, FieldValue]
    data: bytes | None = None

    def __post_init__(self) -> None:
        if isinstance(self.type, bool) or not isinstance(self.type, int):
            raise InterchangeError(f"record type must be a number, got {self.type!r}")
        if self.type not in TAGGED_TYPES:
            raise InterchangeError(f"Type-{self.type} is not a tagged record type")
        if not isinstance(self.fields, Mapping):
            raise InterchangeError(f"Type-{self.type} fields must be a mapping tag -> value")
        clean: dict[int, FieldValue] = {}
        for tag in sorted(self.fields):
            where = f"Type-{self.type} field {self.type}.{tag:03d}" if isinstance(tag, int) else ""
            if isinstance(tag, bool) or not isinstance(tag, int) or not 2 <= tag <= 998:
                raise InterchangeError(
                    f"Type-{self.type}: field tags are 2-998 (LEN .001 is computed, the data "
                    f".999 goes in data=), got {tag!r}"
                )
            clean[tag] = _normalise_value(self.fields[tag], where)
        if self.type != 1 and 2 not in clean:
            raise InterchangeError(f"Type-{self.type}: field {self.type}.002 IDC is missing")
        if self.type == 1 and 3 in clean:
            raise InterchangeError("Type-1: 1.003 CNT is computed from the transaction's records")
        object.__setattr__(self, "fields", clean)
        if self.data is not None:
            if not isinstance(self.data, bytes | bytearray):
                raise InterchangeError(f"Type-{self.type} field .999 must be bytes")
            object.__setattr__(self, "data", bytes(self.data))
        if self.type == 14:
            _check_type14(self, record_index=None)

    @classmethod
    def of(
        cls, record_type: int, fields: Mapping[int, object], data: bytes | None = None
    ) -> TaggedRecord:
        """A record from loosely typed values (numbers, lists), normalised as the constructor does.

        Examples
        --------
        >>> TaggedRecord.of(2, {2: 0, 47: [["", "THEFT"]]}).fields
        {2: '0', 47: (('', 'THEFT'),)}
        """
        return cls(record_type, fields, data)  # type: ignore[arg-type]  # normalised on init

    @property
    def idc(self) -> int:
        """Information designation character (field ``.002``); 0 for Type-1."""
        if self.type == 1:
            return 0
        value = self.fields[2]
        if not isinstance(value, str) or not value.strip().isdigit():
            raise InterchangeError(f"Type-{self.type} field {self.type}.002 IDC is not a number")
        return int(value)

    def text(self, tag: int, default: str | None = None) -> str | None:
        """Field ``tag`` as text (``default`` when absent; items joined by ``,``)."""
        value = self.fields.get(tag)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        return ";".join(",".join(items) for items in value)

    def subfields(self, tag: int) -> tuple[tuple[str, ...], ...]:
        """Field ``tag`` as subfields of items (empty when absent)."""
        value = self.fields.get(tag)
        if value is None:
            return ()
        if isinstance(value, str):
            return ((value,),)
        return value


@dataclass(frozen=True)
class Type4Record:
    """A Type-4 record: a legacy 8-bit grayscale fingerprint at 500 ppi, binary layout.

    Parameters
    ----------
    idc : int
        Information designation character, 0-255.
    impression : int
        IMP: 0 live-scan plain, 1 live-scan rolled, 2 non-live-scan plain, 3 non-live-scan
        rolled.
    positions : tuple of int
        FGP: one to six finger positions 0-15 (written padded with 255).
    width, height : int
        HLL and VLL in pixels, 1-65535.
    compression : int
        GCA: 0 uncompressed, 1 WSQ.
    data : bytes
        The image, as the compression code says.
    scanning : int, optional
        ISR: 0 native scanning resolution (19.69 px/mm), 1 the minimum (default 0).
    """

    type: ClassVar[int] = 4
    idc: int
    impression: int
    positions: tuple[int, ...]
    width: int
    height: int
    compression: int
    data: bytes
    scanning: int = 0

    def __post_init__(self) -> None:
        where = f"Type-4 record (IDC {self.idc})"
        for name, value, top in (
            ("4.002 IDC", self.idc, 255),
            ("4.003 IMP", self.impression, 3),
            ("4.005 ISR", self.scanning, 1),
            ("4.006 HLL", self.width, 65535),
            ("4.007 VLL", self.height, 65535),
            ("4.008 GCA", self.compression, 255),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                raise InterchangeError(f"{where} field {name} must be 0-{top}, got {value!r}")
        positions = tuple(self.positions)
        if not 1 <= len(positions) <= 6 or any(p not in _TYPE4_FGP for p in positions):
            raise InterchangeError(
                f"{where} field 4.004 FGP must be one to six positions 0-15, got {positions!r}"
            )
        object.__setattr__(self, "positions", positions)
        if not isinstance(self.data, bytes | bytearray):
            raise InterchangeError(f"{where} field 4.009 DATA must be bytes")
        object.__setattr__(self, "data", bytes(self.data))


@dataclass(frozen=True)
class SkippedRecord:
    """A record the station does not interpret (Type-3, 5, 6, 7, 8): kept byte for byte.

    Parameters
    ----------
    type : int
        Record type.
    idc : int
        Its IDC as listed in 1.003 CNT.
    raw : bytes
        The whole record, LEN included, written back unchanged.
    """

    type: int
    idc: int
    raw: bytes


Record: TypeAlias = TaggedRecord | Type4Record | SkippedRecord


@dataclass(frozen=True)
class Transaction:
    """A Type-1 header and the records that follow it, in file order.

    Parameters
    ----------
    header : TaggedRecord
        The Type-1 record, without LEN and CNT (both computed when writing).
    records : tuple of records
        The other records, in order; 1.003 CNT is made from their types and IDCs.
    notes : tuple of str
        What the reader noticed and skipped (not compared).
    lengths : tuple of int
        Each record's LEN as read (header first); empty for a transaction built in memory
        (not compared).
    """

    header: TaggedRecord
    records: tuple[Record, ...] = ()
    notes: tuple[str, ...] = field(default=(), compare=False)
    lengths: tuple[int, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.header, TaggedRecord) or self.header.type != 1:
            raise InterchangeError("a transaction's header must be a Type-1 TaggedRecord")
        records = tuple(self.records)
        for index, record in enumerate(records, start=2):
            if not isinstance(record, TaggedRecord | Type4Record | SkippedRecord):
                raise InterchangeError(f"record {index} is not a record: {record!r}")
            if record.type == 1:
                raise InterchangeError(f"record {index}: only the first record is Type-1")
        object.__setattr__(self, "records", records)
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "lengths", tuple(self.lengths))

    @property
    def contents(self) -> tuple[tuple[int, int], ...]:
        """``(type, idc)`` of each record after the header, as 1.003 CNT lists them."""
        return tuple((r.type, r.idc) for r in self.records)

    def of_type(self, record_type: int) -> tuple[Record, ...]:
        """The records of one type, in file order."""
        return tuple(r for r in self.records if r.type == record_type)


def _check_type14(record: TaggedRecord, *, record_index: int | None) -> None:
    """A Type-14 record names valid finger positions in 14.013 FGP."""
    where = f"record {record_index} (Type-14)" if record_index else "Type-14 record"
    if 13 not in record.fields:
        raise InterchangeError(f"{where} field 14.013 FGP is missing")
    for items in record.subfields(13):
        text = items[0].strip()
        if not text.isdigit() or int(text) not in _TYPE14_FGP:
            raise InterchangeError(
                f"{where} field 14.013 FGP: finger position {items[0]!r} is out of range "
                "(0-17 or 19)"
            )


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _encode_value(value: FieldValue) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    return RS.join(US.join(item.encode("utf-8") for item in sub) for sub in value)


def _encode_tagged(record: TaggedRecord, extra: Mapping[int, FieldValue] | None = None) -> bytes:
    """A tagged record with its LEN computed (the LEN counts its own digits)."""
    fields = dict(record.fields)
    if extra:
        fields.update(extra)
    parts = [
        f"{record.type}.{tag:03d}:".encode() + _encode_value(fields[tag]) for tag in sorted(fields)
    ]
    if record.data is not None:
        parts.append(f"{record.type}.999:".encode() + record.data)
    rest = GS + GS.join(parts) + FS
    prefix = f"{record.type}.001:".encode()
    base = len(prefix) + len(rest)
    length = base + 1
    while base + len(str(length)) != length:  # the LEN counts its own digits
        length = base + len(str(length))
    encoded = prefix + str(length).encode() + rest
    if len(encoded) != length:  # pragma: no cover - arithmetic guard
        raise AssertionError("LEN computation failed")
    return encoded


def _encode_type4(record: Type4Record) -> bytes:
    positions = record.positions + (255,) * (6 - len(record.positions))
    length = _TYPE4_HEADER.size + len(record.data)
    if length > 0xFFFFFFFF:
        raise InterchangeError(f"Type-4 record (IDC {record.idc}) is too large for 4.001 LEN")
    header = _TYPE4_HEADER.pack(
        length,
        record.idc,
        record.impression,
        bytes(positions),
        record.scanning,
        record.width,
        record.height,
        record.compression,
    )
    return header + record.data


def record_lengths(transaction: Transaction) -> tuple[int, ...]:
    """Each record's LEN as :func:`write_transaction` writes it (header first)."""
    return tuple(len(chunk) for chunk in _encode_records(transaction))


def write_transaction(transaction: Transaction) -> bytes:
    """The transaction in the traditional encoding: LEN and CNT computed.

    Parameters
    ----------
    transaction : Transaction
        Header and records.

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    InterchangeError
        A record that cannot be written (an IDC over two digits in CNT, too large).
    """
    return b"".join(_encode_records(transaction))


def _encode_records(transaction: Transaction) -> list[bytes]:
    if not isinstance(transaction, Transaction):
        raise InterchangeError(f"expected a Transaction, got {type(transaction).__name__}")
    cnt: list[tuple[str, ...]] = [("1", str(len(transaction.records)))]
    for index, record in enumerate(transaction.records, start=2):
        if not 0 <= record.idc <= 99:
            raise InterchangeError(
                f"record {index} (Type-{record.type}) IDC {record.idc} does not fit 1.003 CNT"
            )
        cnt.append((str(record.type), f"{record.idc:02d}"))
    chunks = [_encode_tagged(transaction.header, {3: tuple(cnt)})]
    for record in transaction.records:
        if isinstance(record, TaggedRecord):
            chunks.append(_encode_tagged(record))
        elif isinstance(record, Type4Record):
            chunks.append(_encode_type4(record))
        else:
            chunks.append(record.raw)
    return chunks


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _decode_text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _decode_value(raw: bytes) -> FieldValue:
    if RS not in raw and US not in raw:
        return _decode_text(raw)
    return tuple(tuple(_decode_text(i) for i in sub.split(US)) for sub in raw.split(RS))


def _parse_tag(chunk: bytes, record_type: int, where: str) -> tuple[int, bytes]:
    colon = chunk.find(b":")
    head = chunk[:colon] if colon >= 0 else chunk[:12]
    parts = head.split(b".")
    if colon < 0 or len(parts) != 2 or not parts[0].isdigit() or not parts[1].isdigit():
        raise InterchangeError(f"{where}: malformed field tag {head[:12]!r}")
    if int(parts[0]) != record_type:
        raise InterchangeError(
            f"{where} field {head.decode('latin-1')}: tag of Type-{int(parts[0])} "
            f"inside a Type-{record_type} record"
        )
    return int(parts[1]), chunk[colon + 1 :]


def _read_tagged(
    buffer: bytes, offset: int, record_type: int, index: int
) -> tuple[TaggedRecord, int]:
    """The tagged record at ``offset`` and the offset after it (LEN checked)."""
    where = f"record {index} (Type-{record_type})"
    lead = f"{record_type}.001:".encode()
    if buffer[offset : offset + len(lead)] != lead:
        probe = buffer[offset : offset + 8]
        if len(probe) < len(lead):
            raise InterchangeError(f"{where} field {record_type}.001 LEN: file ends before it")
        raise InterchangeError(
            f"{where} field {record_type}.001 LEN: record does not start with "
            f"{lead.decode()!r} (found {probe!r})"
        )
    start = offset + len(lead)
    end_len = start
    while (
        end_len < len(buffer) and end_len - start < 12 and buffer[end_len : end_len + 1].isdigit()
    ):
        end_len += 1
    digits = buffer[start:end_len]
    if not digits or buffer[end_len : end_len + 1] not in (GS, FS):
        raise InterchangeError(f"{where} field {record_type}.001 LEN is not a number")
    length = int(digits)
    if length < end_len - offset + 1:
        raise InterchangeError(
            f"{where} field {record_type}.001 LEN says {length} bytes, shorter than the "
            "LEN field itself"
        )
    if offset + length > len(buffer):
        raise InterchangeError(
            f"{where} field {record_type}.001 LEN says {length} bytes but the file ends after "
            f"{len(buffer) - offset}: truncated"
        )
    body = buffer[offset : offset + length]
    if body[-1:] != FS:
        raise InterchangeError(
            f"{where} field {record_type}.001 LEN says {length} bytes but byte {length} is not "
            "the record's end (FS): the LEN is wrong"
        )
    data_tag = f"{GS.decode()}{record_type}.999:".encode()
    data_at = body.find(data_tag)
    data: bytes | None = None
    text = body[:-1]
    if data_at >= 0:
        data = body[data_at + len(data_tag) : -1]
        text = body[:data_at]
    if FS in text:
        raise InterchangeError(
            f"{where} field {record_type}.001 LEN says {length} bytes but the record ends "
            f"(FS) after {text.index(FS) + 1}: the LEN is wrong"
        )
    fields: dict[int, FieldValue] = {}
    for chunk in text.split(GS):
        tag, raw = _parse_tag(chunk, record_type, where)
        if tag in fields or (tag == 1) != (not fields):
            raise InterchangeError(
                f"{where} field {record_type}.{tag:03d} appears twice or LEN is not first"
            )
        if tag == 999:
            raise InterchangeError(f"{where} field {record_type}.999 must be the last field")
        fields[tag] = _decode_value(raw)
    fields.pop(1, None)
    if record_type == 1:
        fields.pop(3, None)
    elif 2 not in fields:
        raise InterchangeError(f"{where} field {record_type}.002 IDC is missing")
    try:
        record = TaggedRecord(record_type, fields, data)
    except InterchangeError as exc:
        raise InterchangeError(f"{where}: {exc}") from None
    return record, offset + length


def _read_cnt(buffer: bytes, where: str) -> list[tuple[int, int]]:
    """1.003 CNT of the raw Type-1 record: ``(type, idc)`` of each following record."""
    marker = GS + b"1.003:"
    at = buffer.find(marker)
    if at < 0:
        raise InterchangeError(f"{where} field 1.003 CNT is missing")
    stop = min(p for p in (buffer.find(GS, at + 1), buffer.find(FS, at + 1), len(buffer)) if p >= 0)
    value = buffer[at + len(marker) : stop]
    entries: list[tuple[int, int]] = []
    for number, sub in enumerate(value.split(RS), start=1):
        items = sub.split(US)
        if len(items) != 2 or not items[0].strip().isdigit() or not items[1].strip().isdigit():
            raise InterchangeError(
                f"{where} field 1.003 CNT subfield {number} is not TYPE<US>IDC: {sub[:20]!r}"
            )
        entries.append((int(items[0]), int(items[1])))
    if entries[0][0] != 1:
        raise InterchangeError(f"{where} field 1.003 CNT must start with 1<US>count")
    if entries[0][1] != len(entries) - 1:
        raise InterchangeError(
            f"{where} field 1.003 CNT says {entries[0][1]} records but lists {len(entries) - 1}"
        )
    return entries[1:]


def read_transaction(data: bytes) -> Transaction:
    """Read a transaction in the traditional encoding.

    Type-1's 1.003 CNT says which records follow (their types and IDCs); each tagged record
    is cut by its LEN, which is checked; Type-4 is read field by field; Type-3, 5, 6, 7, 8
    are kept as bytes with a note.

    Parameters
    ----------
    data : bytes
        The whole file.

    Returns
    -------
    Transaction

    Raises
    ------
    InterchangeError
        A truncated file, a LEN that lies, an unknown record type, a Type-14 finger position
        out of range, bytes after the last record, a file over ``MAX_TRANSACTION_BYTES``; the
        message names the record (its position and type) and the field.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InterchangeError(f"expected bytes, got {type(data).__name__}")
    buffer = bytes(data)
    if len(buffer) > MAX_TRANSACTION_BYTES:
        raise InterchangeError(
            f"transaction of {len(buffer)} bytes is over the {MAX_TRANSACTION_BYTES} byte limit"
        )
    if not buffer:
        raise InterchangeError("record 1 (Type-1) field 1.001 LEN: the file is empty")
    header, offset = _read_tagged(buffer, 0, 1, 1)
    lengths = [offset]
    contents = _read_cnt(buffer[:offset], "record 1 (Type-1)")
    records: list[Record] = []
    notes: list[str] = []
    for index, (record_type, idc) in enumerate(contents, start=2):
        where = f"record {index} (Type-{record_type})"
        start = offset
        if offset >= len(buffer):
            raise InterchangeError(
                f"{where}: the file ends before this record, listed in 1.003 CNT: truncated"
            )
        if record_type in TAGGED_TYPES:
            record, offset = _read_tagged(buffer, offset, record_type, index)
            if record.idc != idc:
                notes.append(f"{where}: IDC {record.idc} but 1.003 CNT says {idc}")
            if record_type not in _INTERPRETED:
                notes.append(f"{where}: read as tagged fields, not interpreted by the station")
            records.append(record)
        elif record_type in BINARY_TYPES:
            record_b, offset = _read_binary(buffer, offset, record_type, idc, index, notes)
            records.append(record_b)
        else:
            raise InterchangeError(
                f"{where} (listed in 1.003 CNT subfield {index}): unknown record type {record_type}"
            )
        lengths.append(offset - start)
    if offset != len(buffer):
        raise InterchangeError(
            f"{len(buffer) - offset} byte(s) after record {len(contents) + 1}, the last one "
            "1.003 CNT lists (a LEN is wrong or CNT misses a record)"
        )
    for note in notes:
        log.info("%s", note)
    return Transaction(header, tuple(records), tuple(notes), tuple(lengths))


def _read_binary(
    buffer: bytes, offset: int, record_type: int, idc: int, index: int, notes: list[str]
) -> tuple[Type4Record | SkippedRecord, int]:
    where = f"record {index} (Type-{record_type})"
    if offset + 4 > len(buffer):
        raise InterchangeError(f"{where} field {record_type}.001 LEN: the file ends inside it")
    (length,) = struct.unpack_from(">I", buffer, offset)
    minimum = _TYPE4_HEADER.size if record_type == 4 else 5
    if length < minimum:
        raise InterchangeError(
            f"{where} field {record_type}.001 LEN says {length} bytes, below the {minimum} "
            "of the record's fixed fields"
        )
    if offset + length > len(buffer):
        raise InterchangeError(
            f"{where} field {record_type}.001 LEN says {length} bytes but the file ends after "
            f"{len(buffer) - offset}: truncated"
        )
    raw = buffer[offset : offset + length]
    if raw[4] != idc:
        notes.append(f"{where}: IDC {raw[4]} but 1.003 CNT says {idc}")
    if record_type != 4:
        notes.append(f"{where}: legacy binary record of {length} bytes kept, not interpreted")
        return SkippedRecord(record_type, idc, raw), offset + length
    _, idc_b, imp, fgp, isr, hll, vll, gca = _TYPE4_HEADER.unpack_from(raw)
    positions = tuple(p for p in fgp if p != 255)
    bad = [p for p in positions if p not in _TYPE4_FGP]
    if bad or not positions:
        raise InterchangeError(
            f"{where} field 4.004 FGP: finger position(s) {list(fgp)} out of range (0-15, "
            "255 unused)"
        )
    if imp > 3:
        raise InterchangeError(f"{where} field 4.003 IMP {imp} out of range (0-3)")
    if isr > 1:
        raise InterchangeError(f"{where} field 4.005 ISR {isr} out of range (0-1)")
    record = Type4Record(
        idc=idc_b,
        impression=imp,
        positions=positions,
        width=hll,
        height=vll,
        compression=gca,
        data=raw[_TYPE4_HEADER.size :],
        scanning=isr,
    )
    return record, offset + length


def read_file(path: str | os.PathLike[str]) -> Transaction:
    """Read a transaction file, refusing one over ``MAX_TRANSACTION_BYTES`` before reading it.

    Parameters
    ----------
    path : path-like
        An ANSI/NIST-ITL file (``.an2``, ``.eft``, ``.nist``).

    Returns
    -------
    Transaction

    Raises
    ------
    InterchangeError
        The file is too large or is not a valid transaction (the message starts with the path).
    OSError
        The file cannot be read.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_TRANSACTION_BYTES:
        raise InterchangeError(
            f"{path}: {size} bytes is over the {MAX_TRANSACTION_BYTES} byte limit of a "
            "transaction; not read"
        )
    try:
        return read_transaction(path.read_bytes())
    except InterchangeError as exc:
        raise InterchangeError(f"{path}: {exc}") from None
