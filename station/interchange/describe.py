"""A transaction described record by record, for people and scripts (``station ebts show``).

Every field is listed with its tag, its mnemonic where the standard names it, and its value;
images are summarised (compression, bytes, width × height, ppi), never dumped.

Examples
--------
>>> from station.interchange.ansi_nist import TaggedRecord, Transaction
>>> t = Transaction(TaggedRecord(1, {2: "0500", 4: "CAR"}),
...                 (TaggedRecord(14, {2: 1, 6: 3, 7: 2, 9: 500, 11: "NONE", 13: 2},
...                               data=bytes(6)),))
>>> print(format_description(describe(t)))
record 1: Type-1 (LEN 46)
  1.001 LEN  46
  1.002 VER  0500
  1.003 CNT  [1, 1] [14, 01]
  1.004 TOT  CAR
record 2: Type-14, IDC 1 (LEN 83)
  14.001 LEN  83
  14.002 IDC  1
  14.006 HLL  3
  14.007 VLL  2
  14.009 THPS  500
  14.011 CGA  NONE
  14.013 FGP  2
  14.999 DATA  image: NONE, 6 bytes, 3x2, 500 ppi
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ansi_nist import (
    SkippedRecord,
    TaggedRecord,
    Transaction,
    Type4Record,
    record_lengths,
)

__all__ = [
    "FIELD_NAMES",
    "FieldLine",
    "ImageSummary",
    "RecordDescription",
    "describe",
    "format_description",
]

_IMAGE = {
    1: "LEN", 2: "IDC", 3: "IMP", 4: "SRC", 5: "FCD", 6: "HLL", 7: "VLL", 8: "SLC", 9: "THPS",
    10: "TVPS", 11: "CGA", 12: "BPX", 13: "FGP", 20: "COM", 999: "DATA",
}  # fmt: skip
#: Mnemonics of the fields this station reads (ANSI/NIST-ITL 1-2011; Type-2 as FBI EBTS).
FIELD_NAMES: dict[int, dict[int, str]] = {
    1: {
        1: "LEN", 2: "VER", 3: "CNT", 4: "TOT", 5: "DAT", 6: "PRY", 7: "DAI", 8: "ORI",
        9: "TCN", 10: "TCR", 11: "NSR", 12: "NTR", 13: "DOM", 14: "GMT", 15: "DCS",
        16: "APS", 17: "ANM",
    },
    2: {
        1: "LEN", 2: "IDC", 5: "RET", 9: "OCA", 14: "FBI", 15: "SID", 18: "NAM", 20: "POB",
        22: "DOB", 24: "SEX", 25: "RAC", 26: "SMT", 27: "HGT", 29: "WGT", 31: "EYE", 32: "HAI",
        45: "DOA", 47: "ASL", 59: "SRF", 60: "MSG", 73: "CRI",
    },
    4: {1: "LEN", 2: "IDC", 3: "IMP", 4: "FGP", 5: "ISR", 6: "HLL", 7: "VLL", 8: "GCA",
        9: "DATA"},
    9: {1: "LEN", 2: "IDC", 3: "IMP", 4: "FMT"},
    10: {**_IMAGE, 3: "IMT", 5: "PHD", 12: "CSP", 13: "SAP"},
    13: {**_IMAGE, 5: "LCD", 24: "LQM"},
    14: {**_IMAGE, 18: "AMP", 21: "SEG", 22: "NQM", 23: "SQM", 24: "FQM"},
    15: {**_IMAGE, 5: "PCD", 24: "PQM"},
}  # fmt: skip
_GCA_NAMES = {0: "NONE", 1: "WSQ20", 2: "JPEGB", 3: "JPEGL", 4: "JP2", 5: "JP2L", 6: "PNG"}


@dataclass(frozen=True)
class FieldLine:
    """One field: ``tag`` as ``"14.013"``, its mnemonic (may be empty) and its value."""

    tag: str
    name: str
    value: str | tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class ImageSummary:
    """An image field summarised: compression code, bytes, pixels and resolution."""

    compression: str
    size: int
    width: int | None
    height: int | None
    ppi: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "compression": self.compression,
            "bytes": self.size,
            "width": self.width,
            "height": self.height,
            "ppi": self.ppi,
        }


@dataclass(frozen=True)
class RecordDescription:
    """One record: position (1 = Type-1), type, IDC, LEN, fields and image summary."""

    index: int
    type: int
    idc: int | None
    length: int
    fields: tuple[FieldLine, ...]
    image: ImageSummary | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "type": self.type,
            "idc": self.idc,
            "length": self.length,
            "fields": [
                {
                    "tag": f.tag,
                    "name": f.name,
                    "value": f.value if isinstance(f.value, str) else [list(s) for s in f.value],
                }
                for f in self.fields
            ],
            "image": None if self.image is None else self.image.to_json(),
            "note": self.note,
        }


def _int(text: str | None) -> int | None:
    try:
        return int((text or "").strip())
    except ValueError:
        return None


def _ppi(record: TaggedRecord) -> int | None:
    value = _int(record.text(9))
    scale = (record.text(8) or "").strip()
    if scale == "0":  # SLC 0: no scale, THPS/TVPS give the pixel aspect ratio only
        return None
    if value is not None and scale == "2":  # pixels per centimetre
        value = round(value * 2.54)
    return value


def describe(transaction: Transaction) -> tuple[RecordDescription, ...]:
    """Every record of ``transaction`` with its fields, images summarised.

    Parameters
    ----------
    transaction : Transaction
        As read (LENs as in the file) or built (LENs as they would be written).

    Returns
    -------
    tuple of RecordDescription
    """
    lengths = transaction.lengths or record_lengths(transaction)
    nsr = _int((transaction.header.text(11) or "").replace(".", "")) or 0
    native_ppi = round(nsr / 100 * 25.4) if nsr else 500
    cnt = (
        ("1", str(len(transaction.records))),
        *((str(t), f"{i:02d}") for t, i in transaction.contents),
    )
    out: list[RecordDescription] = []
    records = (transaction.header, *transaction.records)
    for index, (record, length) in enumerate(zip(records, lengths, strict=True), start=1):
        names = FIELD_NAMES.get(record.type, {})
        lines = [FieldLine(f"{record.type}.001", "LEN", str(length))]
        if isinstance(record, TaggedRecord):
            fields = dict(record.fields)
            if record.type == 1:
                fields[3] = cnt
            for tag in sorted(fields):
                lines.append(FieldLine(f"{record.type}.{tag:03d}", names.get(tag, ""), fields[tag]))
            image = None
            if record.data is not None:
                image = ImageSummary(
                    compression=(record.text(11) or "?").strip(),
                    size=len(record.data),
                    width=_int(record.text(6)),
                    height=_int(record.text(7)),
                    ppi=_ppi(record),
                )
            out.append(
                RecordDescription(index, record.type, record.idc if index > 1 else None,
                                  length, tuple(lines), image)
            )  # fmt: skip
        elif isinstance(record, Type4Record):
            fgp = ", ".join(str(p) for p in record.positions)
            for tag, value in (
                (2, str(record.idc)), (3, str(record.impression)), (4, fgp),
                (5, str(record.scanning)), (6, str(record.width)), (7, str(record.height)),
                (8, str(record.compression)),
            ):  # fmt: skip
                lines.append(FieldLine(f"4.{tag:03d}", names[tag], value))
            image = ImageSummary(
                compression=_GCA_NAMES.get(record.compression, str(record.compression)),
                size=len(record.data),
                width=record.width,
                height=record.height,
                ppi=native_ppi if record.scanning == 0 else 500,
            )
            out.append(RecordDescription(index, 4, record.idc, length, tuple(lines), image))
        else:
            assert isinstance(record, SkippedRecord)
            out.append(
                RecordDescription(
                    index, record.type, record.idc, length, tuple(lines),
                    note=f"legacy binary Type-{record.type} record, not interpreted",
                )
            )  # fmt: skip
    return tuple(out)


def _value_text(value: str | tuple[tuple[str, ...], ...], *, limit: int = 100) -> str:
    text = value if isinstance(value, str) else " ".join(f"[{', '.join(i)}]" for i in value)
    if len(text) > limit:
        count = "" if isinstance(value, str) else f", {len(value)} subfields"
        text = f"{text[:limit]}… ({len(text)} characters{count})"
    return text


def format_description(records: tuple[RecordDescription, ...]) -> str:
    """Plain-text form of :func:`describe`: one heading per record, one line per field."""
    lines: list[str] = []
    for record in records:
        idc = "" if record.idc is None else f", IDC {record.idc}"
        lines.append(f"record {record.index}: Type-{record.type}{idc} (LEN {record.length})")
        for f in record.fields:
            label = f"{f.tag} {f.name}" if f.name else f.tag
            lines.append(f"  {label}  {_value_text(f.value)}")
        if record.image is not None:
            i = record.image
            size = f"{i.width}x{i.height}" if i.width and i.height else "size unknown"
            ppi = f"{i.ppi} ppi" if i.ppi else "ppi unknown"
            tag = "4.009 DATA" if record.type == 4 else f"{record.type}.999 DATA"
            lines.append(f"  {tag}  image: {i.compression}, {i.size} bytes, {size}, {ppi}")
        if record.note:
            lines.append(f"  note: {record.note}")
    return "\n".join(lines)
