"""FBI EBTS criminal ten-print submissions (CAR / CNA) and their responses (SRE / ERRT).

Plain frozen dataclasses in, ANSI/NIST-ITL records out, and back:

- :func:`build_submission` turns a :class:`TenprintSubmission` into a
  :class:`~station.interchange.ansi_nist.Transaction`: Type-1 (version, TOT, DAT, DAI, ORI,
  TCN, NSR/NTR, DOM, GMT), one Type-2 with the demographics, one Type-14 per rolled finger
  (FGP 1-10, IMP 1 live-scan rolled) and per slap (FGP 13, 14, 15, IMP 0 live-scan plain,
  with 14.021 SEG segment boxes), each with 14.022 NQM quality and 14.018 AMP for an
  amputated (``XX``) or unprintable (``UP``) finger.
- :func:`parse_submission` reads one back, from Type-14 or from legacy Type-4 records (a
  ten-print card written by another system), so prints from another system can be booked.
- :func:`build_response` / :func:`parse_response`: SRE (submission results) and ERRT
  (transaction error), as :class:`SubmissionResponse`.

Field choices (FBI EBTS 11.0 on ANSI/NIST-ITL 1-2011 Update:2015; each checked against the
standard's field list):

Type-1
    1.002 VER ``0502`` (the 2015 update EBTS 11 builds on), 1.004 TOT, 1.005 DAT
    (CCYYMMDD), 1.007 DAI, 1.008 ORI, 1.009 TCN, 1.010 TCR (responses: the TCN answered),
    1.011 NSR and 1.012 NTR ``19.69`` px/mm (500 ppi), 1.013 DOM ``EBTS`` / ``11.0``, 1.014
    GMT (when given).
Type-2 (submission)
    2.005 RET (``Y`` retain / ``N``), 2.009 OCA (the arrest number), 2.018 NAM
    ``LAST,FIRST M``, 2.020 POB, 2.022 DOB, 2.024 SEX, 2.025 RAC, 2.026 SMT (one subfield per
    scar, mark or tattoo), 2.027 HGT (``510`` = 5 ft 10 in), 2.029 WGT (pounds, 3 digits),
    2.031 EYE, 2.032 HAI, 2.045 DOA, 2.047 ASL (one subfield per charge: DOO date of offence
    item, CCYYMMDD, empty when unknown, then AOL the charge literal).
Type-2 (responses)
    2.059 SRF (``I`` identification on a HIT, ``N`` otherwise), 2.014 FBI, 2.015 SID,
    2.018 NAM and 2.022 DOB of the identified subject, 2.060 MSG: first subfield the
    station's disposition (``HIT``, ``NO HIT``, ``REVIEW``, ``RECAPTURE``, ``ERROR``),
    then the message text (an ERRT's reason).
Type-14
    14.003 IMP, 14.004 SRC (the ORI), 14.005 FCD, 14.006 HLL, 14.007 VLL, 14.008 SLC ``1``
    (pixels per inch), 14.009 THPS and 14.010 TVPS (ppi), 14.011 CGA (``WSQ20`` or ``NONE``),
    14.012 BPX ``8``, 14.013 FGP, 14.018 AMP (FGP / ``XX`` or ``UP``), 14.021 SEG (FGP, left,
    right, top, bottom pixel offsets, inclusive), 14.022 NQM (FGP / NFIQ level 1-5), 14.999.
    An annotated rolled finger is a Type-14 record with IMP, FGP and AMP and no image.

Examples
--------
>>> import datetime as dt
>>> print_ = PrintImage(b"\\x00" * 6, compression="NONE", width=3, height=2, quality=2)
>>> sub = TenprintSubmission(
...     tcn="TCN-1", ori="NY0303000", dai="WVIAFIS0Z", date=dt.date(2026, 1, 2),
...     demographics={"last_name": "Doe", "first_name": "John", "sex": "M"},
...     fingers={"R1": print_, "L4": Annotation.XX})
>>> transaction = build_submission(sub)
>>> [(r.type, r.idc) for r in transaction.records]
[(2, 0), (14, 1), (14, 2)]
>>> transaction.records[0].text(18)
'DOE,JOHN'
>>> parse_submission(transaction).fingers["L4"]
<Annotation.XX: 'XX'>
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from station.core.vocabulary import Annotation, Disposition, Finger, Slap

from .ansi_nist import (
    InterchangeError,
    Record,
    TaggedRecord,
    Transaction,
    Type4Record,
)

__all__ = [
    "ANSI_NIST_VERSION",
    "COMPRESSIONS",
    "DEMOGRAPHIC_KEYS",
    "DOMAIN",
    "EBTS_VERSION",
    "RESPONSE_TYPES",
    "ArrestCharge",
    "HitSubject",
    "PrintImage",
    "Segment",
    "SubmissionResponse",
    "TenprintSubmission",
    "build_response",
    "build_submission",
    "parse_response",
    "parse_submission",
]

#: FBI EBTS version written in 1.013 DOM.
EBTS_VERSION = "11.0"
#: 1.002 VER: ANSI/NIST-ITL 1-2011 Update:2015, the base of EBTS 11.
ANSI_NIST_VERSION = "0502"
#: 1.013 DOM: domain name and version.
DOMAIN = ("EBTS", EBTS_VERSION)
#: 1.011 NSR / 1.012 NTR: 500 ppi in pixels per millimetre.
_NATIVE_RESOLUTION = "19.69"
#: Compression codes: Type-14 14.011 CGA text -> Type-4 4.008 GCA number
#: (ANSI/NIST-ITL 1-2011 table 15).
COMPRESSIONS: dict[str, int] = {
    "NONE": 0,
    "WSQ20": 1,
    "JPEGB": 2,
    "JPEGL": 3,
    "JP2": 4,
    "JP2L": 5,
    "PNG": 6,
}
_CGA_OF_GCA = {number: code for code, number in COMPRESSIONS.items()}
#: Keys of a submission's demographics: the booking's fields plus race.
DEMOGRAPHIC_KEYS: tuple[str, ...] = (
    "last_name",
    "first_name",
    "middle_initial",
    "date_of_birth",
    "sex",
    "race",
    "height",
    "weight",
    "eye_colour",
    "hair_colour",
    "place_of_birth",
)
#: Response transaction types.
RESPONSE_TYPES = ("SRE", "ERRT")
#: Quality values of 14.022 NQM: NFIQ 1 (excellent) - 5 (poor), 254 not computed, 255 failed.
_QUALITIES = frozenset({1, 2, 3, 4, 5, 254, 255})
#: One-field demographic codes of Type-2: key -> field number.
_TYPE2_TEXT = {
    "place_of_birth": 20,
    "sex": 24,
    "race": 25,
    "height": 27,
    "eye_colour": 31,
    "hair_colour": 32,
}


@dataclass(frozen=True)
class Segment:
    """One fingertip's box inside a slap image (14.021 SEG).

    Parameters
    ----------
    finger : Finger or str
        The finger in the box.
    row0, col0, row1, col1 : int
        Pixel box, ends exclusive (``image[row0:row1, col0:col1]``).
    quality : int, optional
        The segment's NFIQ level 1-5, written to the slap's 14.022 NQM.
    """

    finger: Finger
    row0: int
    col0: int
    row1: int
    col1: int
    quality: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "finger", _finger(self.finger, "segment"))
        box = (self.row0, self.col0, self.row1, self.col1)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in box) or not (
            0 <= self.row0 < self.row1 and 0 <= self.col0 < self.col1
        ):
            raise ValueError(f"segment {self.finger}: box must be 0 <= row0 < row1, col0 < col1")
        _check_quality(self.quality, f"segment {self.finger}")


@dataclass(frozen=True)
class PrintImage:
    """A captured print as the transaction carries it: compressed bytes and their size.

    Parameters
    ----------
    data : bytes
        The image: WSQ bytes (``compression="WSQ20"``) or raw 8-bit rows (``"NONE"``).
    compression : str
        14.011 CGA code (``"WSQ20"``, ``"NONE"``, …; see ``COMPRESSIONS``).
    width, height : int
        Pixels (14.006 HLL, 14.007 VLL).
    ppi : int
        Pixels per inch (14.009 THPS = 14.010 TVPS); 500 by default.
    quality : int, optional
        NFIQ level 1-5 (14.022 NQM).
    impression : int, optional
        IMP code when not the live-scan default (1 rolled fingers, 0 plain slaps).
    segments : tuple of Segment
        For a slap: its fingertip boxes.
    """

    data: bytes
    compression: str
    width: int
    height: int
    ppi: int = 500
    quality: int | None = None
    impression: int | None = None
    segments: tuple[Segment, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.data, bytes | bytearray):
            raise ValueError("print data must be bytes")
        object.__setattr__(self, "data", bytes(self.data))
        code = str(self.compression).strip().upper()
        if code not in COMPRESSIONS:
            raise ValueError(
                f"unknown compression {self.compression!r}: use one of {', '.join(COMPRESSIONS)}"
            )
        object.__setattr__(self, "compression", code)
        for name in ("width", "height", "ppi"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"print {name} must be a positive whole number, got {value!r}")
        if code == "NONE" and len(self.data) != self.width * self.height:
            raise ValueError(
                f"uncompressed print holds {len(self.data)} bytes, not width × height = "
                f"{self.width * self.height}"
            )
        _check_quality(self.quality, "print")
        if self.impression is not None and self.impression not in range(0, 4):
            raise ValueError(f"impression code must be 0-3, got {self.impression!r}")
        object.__setattr__(self, "segments", tuple(self.segments))


@dataclass(frozen=True)
class ArrestCharge:
    """One subfield of 2.047 ASL: the date of the offence (DOO, when known) and the charge
    literal (AOL).

    Parameters
    ----------
    literal : str
        The charge as written (``"NY PL 140.25 BURGLARY IN THE SECOND DEGREE"``).
    offence_date : datetime.date, optional
    """

    literal: str
    offence_date: dt.date | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.literal, str) or not self.literal.strip():
            raise ValueError(f"a charge literal must be non-empty text, got {self.literal!r}")
        if self.offence_date is not None and (
            not isinstance(self.offence_date, dt.date) or isinstance(self.offence_date, dt.datetime)
        ):
            raise ValueError(f"offence date must be a date, got {self.offence_date!r}")


@dataclass(frozen=True)
class TenprintSubmission:
    """A criminal ten-print submission, plain data.

    Parameters
    ----------
    tcn : str
        Transaction control number (1.009).
    ori : str
        Originating agency (1.008, 14.004).
    dai : str
        Destination agency (1.007).
    date : datetime.date
        Transaction date (1.005) and capture date (14.005).
    tot : str
        ``CAR`` (answer required) or ``CNA`` (no answer necessary); a parsed file keeps its own.
    demographics : mapping
        Keys of ``DEMOGRAPHIC_KEYS``: names, ``date_of_birth`` (ISO text or a date),
        ``sex``, ``race``, ``height`` (``510``), ``weight`` (pounds), ``eye_colour``,
        ``hair_colour``, ``place_of_birth``; missing or ``None`` values are left out.
    date_of_arrest : datetime.date, optional
        2.045 DOA.
    charges : tuple of ArrestCharge
        2.047 ASL, one per charge (a plain text is a charge literal without offence date).
    oca : str, optional
        2.009 OCA, the originating agency's case (arrest) number.
    smt : tuple of str
        2.026 SMT, scars, marks and tattoos.
    fingers : mapping of Finger to PrintImage or Annotation
        The rolled prints; a finger that could not be printed is annotated ``XX`` or ``UP``.
    slaps : mapping of Slap to PrintImage
        The plain slaps with their segments.
    gmt : datetime.datetime, optional
        1.014 GMT (UTC).
    retain : bool
        2.005 RET: keep the prints on file (``Y``).
    notes : tuple of str
        What :func:`parse_submission` skipped (not compared).
    """

    tcn: str
    ori: str
    dai: str
    date: dt.date
    tot: str = "CAR"
    demographics: Mapping[str, str | int | None] = field(default_factory=dict)
    date_of_arrest: dt.date | None = None
    charges: tuple[ArrestCharge, ...] = ()
    oca: str | None = None
    smt: tuple[str, ...] = ()
    fingers: Mapping[Finger, PrintImage | Annotation] = field(default_factory=dict)
    slaps: Mapping[Slap, PrintImage] = field(default_factory=dict)
    gmt: dt.datetime | None = None
    retain: bool = True
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        for name in ("tcn", "ori", "dai", "tot"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"submission {name} must be non-empty text, got {value!r}")
        if not isinstance(self.date, dt.date) or isinstance(self.date, dt.datetime):
            raise ValueError(f"submission date must be a date, got {self.date!r}")
        unknown = sorted(set(self.demographics) - set(DEMOGRAPHIC_KEYS))
        if unknown:
            raise ValueError(
                f"unknown demographic key(s) {', '.join(map(str, unknown))}: "
                f"use {', '.join(DEMOGRAPHIC_KEYS)}"
            )
        object.__setattr__(
            self, "demographics", {k: v for k, v in self.demographics.items() if v is not None}
        )
        fingers: dict[Finger, PrintImage | Annotation] = {}
        for code, value in self.fingers.items():
            finger = _finger(code, "submission")
            if isinstance(value, str) and not isinstance(value, Annotation):
                value = Annotation.parse(value, what="annotation")
            if not isinstance(value, PrintImage | Annotation):
                raise ValueError(f"finger {finger}: expected a PrintImage or XX/UP, got {value!r}")
            fingers[finger] = value
        object.__setattr__(self, "fingers", {f: fingers[f] for f in Finger if f in fingers})
        slaps: dict[Slap, PrintImage] = {}
        for slap_code, slap_print in self.slaps.items():
            slap = Slap.parse(slap_code, what="slap code")
            if not isinstance(slap_print, PrintImage):
                raise ValueError(f"slap {slap}: expected a PrintImage, got {slap_print!r}")
            slaps[slap] = slap_print
        object.__setattr__(self, "slaps", {s: slaps[s] for s in Slap if s in slaps})
        object.__setattr__(
            self,
            "charges",
            tuple(ArrestCharge(c) if isinstance(c, str) else c for c in self.charges),
        )
        if not all(isinstance(c, ArrestCharge) for c in self.charges):
            raise ValueError("charges must be ArrestCharge values or charge literals")
        object.__setattr__(self, "smt", tuple(self.smt))
        object.__setattr__(self, "notes", tuple(self.notes))


@dataclass(frozen=True)
class HitSubject:
    """The subject a HIT identified, as an SRE names it (all optional)."""

    name: str | None = None  # 2.018 NAM, "LAST,FIRST M"
    fbi: str | None = None  # 2.014 FBI / UCN
    sid: str | None = None  # 2.015 state identification number
    date_of_birth: dt.date | None = None  # 2.022 DOB


@dataclass(frozen=True)
class SubmissionResponse:
    """An SRE (submission results) or ERRT (transaction error).

    Parameters
    ----------
    tot : str
        ``SRE`` or ``ERRT``.
    tcn : str
        The response's own TCN (1.009).
    tcr : str
        The TCN of the submission answered (1.010 TCR).
    ori : str
        Who answers (1.008).
    dai : str
        The submitting agency (1.007).
    date : datetime.date
    disposition : Disposition
        ``HIT``, ``NO HIT`` or ``REVIEW`` in an SRE; ``RECAPTURE`` or ``ERROR`` in an ERRT.
    subject : HitSubject, optional
        On a HIT: the identified subject's numbers and name.
    message : str
        Free text; an ERRT's reason (required there).
    """

    tot: str
    tcn: str
    tcr: str
    ori: str
    dai: str
    date: dt.date
    disposition: Disposition
    subject: HitSubject | None = None
    message: str = ""

    def __post_init__(self) -> None:
        if self.tot not in RESPONSE_TYPES:
            raise ValueError(f"response type must be SRE or ERRT, got {self.tot!r}")
        object.__setattr__(
            self, "disposition", Disposition.parse(self.disposition, what="disposition")
        )
        sre = {Disposition.HIT, Disposition.NO_HIT, Disposition.REVIEW}
        if (self.tot == "SRE") != (self.disposition in sre):
            raise ValueError(
                f"{self.tot} cannot carry disposition {self.disposition}: SRE answers HIT, "
                "NO HIT or REVIEW; ERRT answers RECAPTURE or ERROR"
            )
        if self.tot == "ERRT" and not self.message.strip():
            raise ValueError("an ERRT needs its reason in message")
        for name in ("tcn", "tcr", "ori", "dai"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"response {name} must be non-empty text, got {value!r}")


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _finger(code: object, what: str) -> Finger:
    try:
        return Finger.parse(code, what="finger code")
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _check_quality(value: int | None, what: str) -> None:
    if value is not None and (isinstance(value, bool) or value not in _QUALITIES):
        raise ValueError(f"{what}: quality must be an NFIQ level 1-5 (or 254, 255), got {value!r}")


def _date_text(value: dt.date | str) -> str:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return value.strftime("%Y%m%d")


def _parse_date(text: str | None, where: str) -> dt.date | None:
    if text is None or not text.strip():
        return None
    try:
        return dt.datetime.strptime(text.strip(), "%Y%m%d").date()
    except ValueError:
        raise InterchangeError(f"{where}: not a date CCYYMMDD: {text!r}") from None


def _name(last: object, first: object, middle: object) -> str:
    name = f"{str(last or '').strip()},{str(first or '').strip()}"
    if middle:
        name += f" {str(middle).strip()}"
    return name.upper()


def _split_name(name: str) -> tuple[str, str | None, str | None]:
    last, _, given = name.partition(",")
    parts = given.split()
    first = parts[0] if parts else None
    middle = parts[1][0] if len(parts) > 1 else None
    return last.strip(), first, middle


def _header(
    tot: str, tcn: str, ori: str, dai: str, date: dt.date, extra: Mapping[int, object]
) -> TaggedRecord:
    fields: dict[int, object] = {
        2: ANSI_NIST_VERSION,
        4: tot,
        5: _date_text(date),
        7: dai,
        8: ori,
        9: tcn,
        11: _NATIVE_RESOLUTION,
        12: _NATIVE_RESOLUTION,
        13: [list(DOMAIN)],
    }
    fields.update(extra)
    return TaggedRecord.of(1, fields)


# ---------------------------------------------------------------------------------------------
# Submissions
# ---------------------------------------------------------------------------------------------


def _image_fields(image: PrintImage, *, imp: int, fgp: int, src: str, date: dt.date) -> dict:
    return {
        3: imp if image.impression is None else image.impression,
        4: src,
        5: _date_text(date),
        6: image.width,
        7: image.height,
        8: 1,
        9: image.ppi,
        10: image.ppi,
        11: image.compression,
        12: 8,
        13: fgp,
    }


def build_submission(submission: TenprintSubmission) -> Transaction:
    """The EBTS transaction of a ten-print submission.

    Parameters
    ----------
    submission : TenprintSubmission

    Returns
    -------
    Transaction
        Type-1, Type-2 (IDC 0), then Type-14 records (IDC 1, 2, …): the rolled fingers in
        capture order, then the slaps.

    Raises
    ------
    ValueError
        A demographic value in the wrong form (a bad date, a weight that is not a number); a
        CAR carrying arrest data (2.009, 2.045 or 2.047) without the race (2.025 RAC).
    """
    if not isinstance(submission, TenprintSubmission):
        raise ValueError(f"expected a TenprintSubmission, got {type(submission).__name__}")
    s = submission
    extra: dict[int, object] = {}
    if s.gmt is not None:
        extra[14] = s.gmt.strftime("%Y%m%d%H%M%SZ")
    header = _header(s.tot, s.tcn, s.ori, s.dai, s.date, extra)

    demo = s.demographics
    type2: dict[int, object] = {2: "00", 5: "Y" if s.retain else "N"}
    if demo.get("last_name") or demo.get("first_name"):
        type2[18] = _name(demo.get("last_name"), demo.get("first_name"), demo.get("middle_initial"))
    if demo.get("date_of_birth"):
        dob = demo["date_of_birth"]
        try:
            type2[22] = _date_text(dob if isinstance(dob, dt.date) else str(dob))
        except (TypeError, ValueError):
            raise ValueError(f"date_of_birth is not an ISO date: {dob!r}") from None
    for key, tag in _TYPE2_TEXT.items():
        if demo.get(key):
            type2[tag] = str(demo[key]).strip().upper()
    if demo.get("weight") is not None:
        weight = demo["weight"]
        if isinstance(weight, bool) or not str(weight).strip().isdigit():
            raise ValueError(f"weight must be a whole number of pounds: {weight!r}")
        type2[29] = f"{int(str(weight)):03d}"
    if s.oca:
        type2[9] = s.oca.strip()
    if s.smt:
        type2[26] = [[item.strip().upper()] for item in s.smt]
    if s.date_of_arrest is not None:
        type2[45] = _date_text(s.date_of_arrest)
    if s.charges:
        type2[47] = [
            ["" if c.offence_date is None else _date_text(c.offence_date), c.literal]
            for c in s.charges
        ]
    arrested = s.date_of_arrest is not None or bool(s.charges) or bool(s.oca)
    if s.tot == "CAR" and arrested and not type2.get(25):
        raise ValueError(
            f"submission {s.tcn}: a CAR with arrest data needs the subject's race "
            "(2.025 RAC is mandatory in EBTS)"
        )
    records: list[Record] = [TaggedRecord.of(2, type2)]

    idc = 1
    for finger, value in s.fingers.items():
        if isinstance(value, Annotation):
            fields: dict[int, object] = {3: 1, 13: finger.fgp, 18: [[finger.fgp, value.value]]}
            records.append(TaggedRecord.of(14, {2: f"{idc:02d}", **fields}))
        else:
            fields = _image_fields(value, imp=1, fgp=finger.fgp, src=s.ori, date=s.date)
            if value.quality is not None:
                fields[22] = [[finger.fgp, value.quality]]
            records.append(TaggedRecord.of(14, {2: f"{idc:02d}", **fields}, data=value.data))
        idc += 1
    for slap, value in s.slaps.items():
        fields = _image_fields(value, imp=0, fgp=slap.fgp, src=s.ori, date=s.date)
        missing = [f for f in slap.fingers if isinstance(s.fingers.get(f), Annotation)]
        if missing:
            fields[18] = [[f.fgp, str(s.fingers[f])] for f in missing]
        if value.segments:
            fields[21] = [
                [seg.finger.fgp, seg.col0, seg.col1 - 1, seg.row0, seg.row1 - 1]
                for seg in value.segments
            ]
        qualities = [[seg.finger.fgp, seg.quality] for seg in value.segments if seg.quality]
        if qualities:
            fields[22] = qualities
        elif value.quality is not None:
            fields[22] = [[slap.fgp, value.quality]]
        records.append(TaggedRecord.of(14, {2: f"{idc:02d}", **fields}, data=value.data))
        idc += 1
    return Transaction(header, tuple(records))


def _int_field(record: TaggedRecord, tag: int, where: str, default: int | None = None) -> int:
    text = record.text(tag)
    if text is None or not text.strip():
        if default is not None:
            return default
        raise InterchangeError(f"{where} field {record.type}.{tag:03d} is missing")
    try:
        return int(text.strip())
    except ValueError:
        raise InterchangeError(
            f"{where} field {record.type}.{tag:03d} is not a number: {text!r}"
        ) from None


def _pairs(record: TaggedRecord, tag: int, where: str) -> list[tuple[int, str]]:
    """Subfields ``FGP<US>value`` of a field (AMP, NQM)."""
    pairs = []
    for items in record.subfields(tag):
        if len(items) < 2 or not items[0].strip().isdigit():
            raise InterchangeError(f"{where} field {record.type}.{tag:03d}: expected FGP<US>value")
        pairs.append((int(items[0]), items[1].strip()))
    return pairs


def _quality(text: str, where: str) -> int:
    if not text.isdigit() or int(text) not in _QUALITIES:
        raise InterchangeError(f"{where}: quality {text!r} is not 1-5, 254 or 255")
    return int(text)


def _from_type14(record: TaggedRecord, index: int) -> tuple[int, PrintImage | Annotation]:
    where = f"record {index} (Type-14)"
    fgp = _int_field(record, 13, where)
    if fgp not in range(0, 16):
        raise InterchangeError(
            f"{where} field 14.013 FGP: finger position {fgp} out of range (0-15)"
        )
    annotations = {p: code for p, code in _pairs(record, 18, where)}
    if fgp in annotations and record.data is None:
        try:
            return fgp, Annotation.parse(annotations[fgp], what="annotation")
        except ValueError as exc:
            raise InterchangeError(f"{where} field 14.018 AMP: {exc}") from None
    if record.data is None:
        raise InterchangeError(f"{where} field 14.999 DATA is missing (and no 14.018 AMP)")
    qualities = {p: _quality(q, f"{where} field 14.022 NQM") for p, q in _pairs(record, 22, where)}
    segments = []
    for items in record.subfields(21):
        if len(items) != 5 or not all(i.strip().isdigit() for i in items):
            raise InterchangeError(
                f"{where} field 14.021 SEG: expected FGP, left, right, top, bottom"
            )
        pos, left, right, top, bottom = (int(i) for i in items)
        if pos not in range(1, 11):
            raise InterchangeError(f"{where} field 14.021 SEG: finger position {pos} not 1-10")
        try:
            segments.append(
                Segment(
                    Finger(list(Finger)[pos - 1]),
                    top,
                    left,
                    bottom + 1,
                    right + 1,
                    qualities.get(pos),
                )
            )
        except ValueError as exc:
            raise InterchangeError(f"{where} field 14.021 SEG: {exc}") from None
    ppi = _int_field(record, 9, where, default=500)
    if (record.text(8) or "1").strip() == "2":  # SLC 2: pixels per centimetre
        ppi = round(ppi * 2.54)
    try:
        image = PrintImage(
            record.data,
            compression=(record.text(11) or "NONE").strip(),
            width=_int_field(record, 6, where),
            height=_int_field(record, 7, where),
            ppi=ppi,
            quality=qualities.get(fgp) if not segments else None,
            impression=_int_field(record, 3, where),
            segments=tuple(segments),
        )
    except ValueError as exc:
        raise InterchangeError(f"{where}: {exc}") from None
    return fgp, image


def _from_type4(record: Type4Record, index: int) -> tuple[int, PrintImage]:
    where = f"record {index} (Type-4)"
    code = _CGA_OF_GCA.get(record.compression)
    if code is None:
        raise InterchangeError(f"{where} field 4.008 GCA: unknown compression {record.compression}")
    try:
        image = PrintImage(
            record.data,
            compression=code,
            width=record.width,
            height=record.height,
            ppi=500,
            impression=record.impression,
        )
    except ValueError as exc:
        raise InterchangeError(f"{where}: {exc}") from None
    return record.positions[0], image


def parse_submission(transaction: Transaction) -> TenprintSubmission:
    """The ten-print submission a transaction carries (Type-14 or Type-4 fingers).

    Parameters
    ----------
    transaction : Transaction
        As read by :func:`~station.interchange.ansi_nist.read_transaction`.

    Returns
    -------
    TenprintSubmission
        Fingers FGP 1-10 and slaps FGP 13-15; other positions (plain thumbs 11, 12) and
        other record types are left out and named in ``notes``. A print's ``impression`` is
        the file's IMP code, ``None`` when it is the live-scan default (1 for a rolled finger
        in Type-14, 0 for a slap).

    Raises
    ------
    InterchangeError
        A required Type-1 field missing, a date or number that does not parse, a finger
        position given twice; the message names the record and field.
    """
    header = transaction.header
    where = "record 1 (Type-1)"

    def need(tag: int, name: str) -> str:
        value = header.text(tag)
        if value is None or not value.strip():
            raise InterchangeError(f"{where} field 1.{tag:03d} {name} is missing")
        return value.strip()

    date = _parse_date(need(5, "DAT"), f"{where} field 1.005 DAT")
    assert date is not None
    notes: list[str] = list(transaction.notes)
    fingers: dict[Finger, PrintImage | Annotation] = {}
    slaps: dict[Slap, PrintImage] = {}
    demographics: dict[str, str | int | None] = {}
    date_of_arrest = None
    charges: tuple[ArrestCharge, ...] = ()
    oca: str | None = None
    smt: tuple[str, ...] = ()
    retain = True
    for index, record in enumerate(transaction.records, start=2):
        if isinstance(record, TaggedRecord) and record.type == 2:
            w2 = f"record {index} (Type-2)"
            if demographics or charges:
                notes.append(f"{w2}: a second Type-2 record, left out")
                continue
            name = record.text(18)
            if name:
                last, first, middle = _split_name(name)
                demographics.update(last_name=last, first_name=first, middle_initial=middle)
            dob = _parse_date(record.text(22), f"{w2} field 2.022 DOB")
            if dob is not None:
                demographics["date_of_birth"] = dob.isoformat()
            for key, tag in _TYPE2_TEXT.items():
                if record.text(tag):
                    demographics[key] = record.text(tag)
            if record.text(29):
                demographics["weight"] = _int_field(record, 29, w2)
            date_of_arrest = _parse_date(record.text(45), f"{w2} field 2.045 DOA")
            charges = tuple(
                ArrestCharge(
                    items[-1],
                    _parse_date(items[0], f"{w2} field 2.047 ASL DOO") if len(items) > 1 else None,
                )
                for items in record.subfields(47)
                if items and items[-1].strip()
            )
            oca = (record.text(9) or "").strip() or None
            smt = tuple(items[0] for items in record.subfields(26) if items and items[0].strip())
            retain = (record.text(5) or "Y").strip().upper() != "N"
            continue
        if isinstance(record, TaggedRecord) and record.type == 14:
            fgp, value = _from_type14(record, index)
        elif isinstance(record, Type4Record):
            fgp, value = _from_type4(record, index)
        else:
            if record.type != 2:
                notes.append(f"record {index} (Type-{record.type}): not a finger record, left out")
            continue
        if isinstance(record, TaggedRecord) and isinstance(value, PrintImage):
            default = 1 if 1 <= fgp <= 10 else 0  # live-scan rolled fingers, plain slaps
            if value.impression == default:
                value = replace(value, impression=None)
        if 1 <= fgp <= 10:
            finger = list(Finger)[fgp - 1]
            if finger in fingers:
                raise InterchangeError(
                    f"record {index} (Type-{record.type}) field FGP: finger position {fgp} "
                    "given twice"
                )
            fingers[finger] = value
        elif fgp in (13, 14, 15) and isinstance(value, PrintImage):
            slap = {13: Slap.RS, 14: Slap.LS, 15: Slap.TS}[fgp]
            if slap in slaps:
                raise InterchangeError(
                    f"record {index} (Type-{record.type}) field FGP: slap position {fgp} "
                    "given twice"
                )
            slaps[slap] = value
        else:
            notes.append(f"record {index} (Type-{record.type}): finger position {fgp} left out")
    gmt = None
    if header.text(14):
        try:
            gmt = dt.datetime.strptime(header.text(14) or "", "%Y%m%d%H%M%SZ")
        except ValueError:
            raise InterchangeError(f"{where} field 1.014 GMT is not CCYYMMDDhhmmssZ") from None
    return TenprintSubmission(
        tcn=need(9, "TCN"),
        ori=need(8, "ORI"),
        dai=need(7, "DAI"),
        date=date,
        tot=need(4, "TOT"),
        demographics=demographics,
        date_of_arrest=date_of_arrest,
        charges=charges,
        oca=oca,
        smt=smt,
        fingers=fingers,
        slaps=slaps,
        gmt=gmt,
        retain=retain,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------------


def build_response(response: SubmissionResponse) -> Transaction:
    """The SRE or ERRT transaction of a response (Type-1 and one Type-2).

    Examples
    --------
    >>> import datetime as dt
    >>> r = SubmissionResponse("ERRT", "R-1", "TCN-1", "WVIAFIS0Z", "NY0303000",
    ...                        dt.date(2026, 1, 2), Disposition.RECAPTURE, message="R2 poor")
    >>> build_response(r).records[0].fields[60]
    (('RECAPTURE',), ('R2 poor',))
    >>> parse_response(build_response(r)) == r
    True
    """
    if not isinstance(response, SubmissionResponse):
        raise ValueError(f"expected a SubmissionResponse, got {type(response).__name__}")
    r = response
    header = _header(r.tot, r.tcn, r.ori, r.dai, r.date, {10: r.tcr})
    type2: dict[int, object] = {2: "00"}
    if r.tot == "SRE":
        type2[59] = "I" if r.disposition is Disposition.HIT else "N"
    if r.subject is not None:
        if r.subject.fbi:
            type2[14] = r.subject.fbi
        if r.subject.sid:
            type2[15] = r.subject.sid
        if r.subject.name:
            type2[18] = r.subject.name
        if r.subject.date_of_birth:
            type2[22] = _date_text(r.subject.date_of_birth)
    type2[60] = [r.disposition.value] + ([r.message] if r.message else [])
    return Transaction(header, (TaggedRecord.of(2, type2),))


def parse_response(transaction: Transaction) -> SubmissionResponse:
    """The SRE or ERRT a transaction carries.

    Raises
    ------
    InterchangeError
        Not an SRE or ERRT, no Type-2, or a field that does not parse (named).
    """
    header = transaction.header
    where = "record 1 (Type-1)"
    tot = (header.text(4) or "").strip()
    if tot not in RESPONSE_TYPES:
        raise InterchangeError(f"{where} field 1.004 TOT is {tot!r}, not SRE or ERRT")
    type2 = next(
        (r for r in transaction.records if isinstance(r, TaggedRecord) and r.type == 2), None
    )
    if type2 is None:
        raise InterchangeError(f"{tot} transaction has no Type-2 record")
    w2 = f"record {transaction.records.index(type2) + 2} (Type-2)"
    msg = [items[0] for items in type2.subfields(60)]
    try:
        if msg and msg[0].strip().upper() in {d.value for d in Disposition}:
            disposition = Disposition.parse(msg.pop(0))
        elif tot == "SRE":
            disposition = Disposition.HIT if type2.text(59) == "I" else Disposition.NO_HIT
        else:
            disposition = Disposition.ERROR
    except ValueError as exc:
        raise InterchangeError(f"{w2} field 2.060 MSG: {exc}") from None
    subject = None
    if any(type2.text(t) for t in (14, 15, 18, 22)):
        subject = HitSubject(
            name=type2.text(18),
            fbi=type2.text(14),
            sid=type2.text(15),
            date_of_birth=_parse_date(type2.text(22), f"{w2} field 2.022 DOB"),
        )
    date = _parse_date(header.text(5), f"{where} field 1.005 DAT")
    if date is None:
        raise InterchangeError(f"{where} field 1.005 DAT is missing")
    try:
        return SubmissionResponse(
            tot=tot,
            tcn=header.text(9) or "",
            tcr=header.text(10) or "",
            ori=header.text(8) or "",
            dai=header.text(7) or "",
            date=date,
            disposition=disposition,
            subject=subject,
            message="\n".join(msg),
        )
    except ValueError as exc:
        raise InterchangeError(f"{tot} transaction: {exc}") from None
