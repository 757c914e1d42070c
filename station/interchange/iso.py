"""Standard finger minutiae records: ISO/IEC 19794-2:2005 and ANSI INCITS 378-2004.

Both records start with the same 8 bytes (format identifier ``"FMR\\0"``, version ``" 20\\0"``)
and share the finger view and minutia layouts; they differ in the header and the angle unit.
All integers are big-endian. The layouts below follow the standards' record tables as
summarised by NIST's public-domain reference code (``usnistgov/biomdi``, ``fingerminutia``:
``fmr.h``, ``validate.c``, ``iso2ansi.c``) and by the FingerprintIO format summaries written
from the standards (templates.machinezoo.com); no code is taken from either.

ISO/IEC 19794-2:2005 record header, 24 bytes::

    format identifier   4   "FMR\\0"
    version             4   " 20\\0"
    record length       4   whole record, header included
    capture equipment   2   4 bits certification flags, 12 bits device type ID (0 = unreported)
    image size X, Y     2+2 pixels
    resolution X, Y     2+2 pixels per centimetre
    number of views     1
    reserved            1   0

ANSI INCITS 378-2004 record header, 26 bytes (30 with the long length form)::

    format identifier   4   "FMR\\0"
    version             4   " 20\\0"
    record length       2   or 0x0000 then 4 bytes when the record is over 65 535 bytes
    CBEFF product ID    4   owner (IBIA-registered, non-zero) and type, 2 bytes each
    capture equipment   2   4 bits compliance, 12 bits device type ID
    image size X, Y     2+2 pixels
    resolution X, Y     2+2 pixels per centimetre
    number of views     1
    reserved            1   0

Finger view (both), 4 bytes, then its minutiae and an extended data block::

    finger position     1   0 unknown, 1-10 as ANSI/NIST-ITL (1 right thumb ... 10 left little)
    view number, impression type   4 bits + 4 bits (0 live plain, 1 live rolled,
                                   2 non-live plain, 3 non-live rolled, 8 swipe, 9 contactless)
    finger quality      1   0-100
    number of minutiae  1
    minutia             6 each: type (2 bits: 01 ending, 10 bifurcation, 00 other) + X (14 bits);
                                reserved (2 bits, 0) + Y (14 bits); angle (1 byte);
                                quality (1 byte, 1-100, 0 = not reported)
    extended data length 2  0 when there is none (this writer adds none)

Conventions, and how the station's own (:mod:`station.core.template`) map onto them:

- Origin top left, X to the right, Y down, whole pixels in both standards (unlike the
  ANSI/NIST-ITL Type-9 record, whose origin is bottom left). A station coordinate is rounded
  to the nearest pixel; one that rounds outside the image is refused.
- Angle: counter-clockwise from the horizontal axis pointing right, as the image is viewed.
  The station measures from +x toward +y with y pointing down, i.e. clockwise on the screen,
  so the standard angle is the negated station angle (``phi = -theta``). ISO units are
  360/256 = 1.40625 degrees (byte 0-255); INCITS 378 units are 2 degrees (0-179). NIST's
  ISO -> ANSI converter (``iso2ansi.c``) changes only the unit, so the two standards share
  the direction convention.
- Direction: the minutia points along the ridge that ends (into the ridge, away from its
  end) and, for a bifurcation, along the valley between the two branches. This is the
  ANSI/NIST-ITL 1-2011 section 8.9.7 (EFS) construction -- three rays along the valleys
  (ending) or ridges (bifurcation), the smallest angle bisected -- which the NIST friction
  ridge training material states is the INCITS 378 definition, and SourceAFIS (whose ISO
  and ANSI codecs only mirror the rotation sense) documents endings as pointing "towards the
  ridge" and bifurcations "towards the split side". It is the station's own convention too,
  so only the rotation sense changes.
- Minutia quality: the station's 0-1 value times 100, rounded, at least 1 (0 means "not
  reported" in the records); on reading, 0 becomes 1.0, the value a station template gives a
  minutia whose quality nobody reported.
- Finger quality: the template's 0-100 score as it is. Resolution: ``round(ppi / 2.54)``
  pixels per centimetre (500 ppi -> 197), read back as ``round(ppcm * 2.54)`` ppi.
- Minutia type "other" (00) is read as an ending, as SourceAFIS does; singular points are not
  carried (the records keep cores and deltas only in optional extended data, which this
  writer leaves out and the reader skips after checking its length).
- The INCITS 378 product owner is 0x0103, IBIA's "vendor unknown" (the standard requires a
  non-zero owner; the station has no IBIA registration), product type 0.

Examples
--------
>>> import numpy as np
>>> from station.core.template import Template
>>> t = Template(8, 8, 500, np.array([[3, 2, -np.pi / 2, 0]], np.float32), quality=70, level=2)
>>> record = to_iso19794_2(t)
>>> record[:8], len(record), record[-8:-2].hex()
(b'FMR\\x00 20\\x00', 36, '400300024064')
>>> view = from_iso19794_2(record)[0]
>>> view.finger is None, view.impression.value, view.template.minutiae.tolist()
(True, 'flat', [[3.0, 2.0, -1.5707963705062866, 0.0]])
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from ..core.angles import wrap_angle
from ..core.extract.quality import level_for_score
from ..core.template import Template
from ..core.vocabulary import FINGERS, Finger, Impression, MinutiaType

__all__ = [
    "INCITS_ANGLE_UNIT",
    "INCITS_PRODUCT_OWNER",
    "ISO_ANGLE_UNIT",
    "FingerView",
    "MinutiaeRecord",
    "MinutiaeRecordError",
    "TemplateStandard",
    "detect_standard",
    "from_incits378",
    "from_iso19794_2",
    "read_minutiae_record",
    "to_incits378",
    "to_iso19794_2",
]

#: Degrees per ISO/IEC 19794-2:2005 angle unit (a byte covers the full turn).
ISO_ANGLE_UNIT = 360.0 / 256.0
#: Degrees per ANSI INCITS 378-2004 angle unit (values 0-179).
INCITS_ANGLE_UNIT = 2.0
#: IBIA-registered CBEFF owner "vendor unknown", written as the INCITS 378 product owner.
INCITS_PRODUCT_OWNER = 0x0103

_MAGIC = b"FMR\x00"
_VERSION = b" 20\x00"
_ISO_HEADER = struct.Struct(">4s4sIHHHHHBB")  # 24 bytes
_ANSI_TAIL = struct.Struct(">HHHHHHHBB")  # after the length field: 16 bytes
_VIEW = struct.Struct(">BBBB")
_MINUTIA = struct.Struct(">HHBB")
_EXT_LEN = struct.Struct(">H")
_EXT_BLOCK = struct.Struct(">HH")
#: Impression type codes the 2005 records define (ISO/IEC 19794-2:2005, INCITS 378-2004):
#: 0 live-scan plain, 1 live-scan rolled, 2 non-live plain, 3 non-live rolled, 8 swipe,
#: 9 live-scan contactless (accepted by NIST's validator).
_IMPRESSION_CODES = frozenset({0, 1, 2, 3, 8, 9})
_ROLLED_CODES = frozenset({1, 3})
_TYPE_CODE = {MinutiaType.ENDING: 0b01, MinutiaType.BIFURCATION: 0b10}
_MAX_COORD = 0x3FFF
_UNREPORTED_QUALITY = 1.0


class TemplateStandard(StrEnum):
    """The two finger minutiae record standards this module reads and writes."""

    ISO = "ISO/IEC 19794-2:2005"
    INCITS = "ANSI INCITS 378-2004"

    @property
    def angle_unit(self) -> float:
        """Degrees per stored angle unit."""
        return ISO_ANGLE_UNIT if self is TemplateStandard.ISO else INCITS_ANGLE_UNIT

    @property
    def angle_units(self) -> int:
        """Number of distinct angle values (256 or 180)."""
        return 256 if self is TemplateStandard.ISO else 180


class MinutiaeRecordError(ValueError):
    """A record that is not a valid minutiae record, or a template that cannot become one.

    ``field`` names the record field at fault (e.g. ``"record length"``,
    ``"view 1 minutia 3 X"``); the message starts with the standard and that field.
    """

    def __init__(self, standard: TemplateStandard | str, field: str, message: str) -> None:
        self.standard = str(standard)
        self.field = field
        super().__init__(f"{standard} record, {field}: {message}")


@dataclass(frozen=True)
class FingerView:
    """One finger view of a minutiae record: a template with its finger and impression.

    Attributes
    ----------
    template : Template
        The minutiae; its ``width``, ``height`` and ``dpi`` are the record's.
    finger : Finger or None
        ``None`` for finger position 0 (unknown).
    impression_code : int
        Impression type as stored: 0 live-scan plain, 1 live-scan rolled, 2 non-live plain,
        3 non-live rolled, 8 swipe, 9 contactless.
    view_number : int
        0 for the first view of a finger, 1 for the second, ... (0-15).
    """

    template: Template
    finger: Finger | None = None
    impression_code: int = 0
    view_number: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.template, Template):
            raise ValueError(f"template must be a Template, got {type(self.template).__name__}")
        if self.finger is not None:
            object.__setattr__(self, "finger", Finger.parse(self.finger, what="finger code"))
        if self.impression_code not in _IMPRESSION_CODES:
            raise ValueError(
                f"impression code {self.impression_code!r} is not one of "
                f"{sorted(_IMPRESSION_CODES)}"
            )
        if not 0 <= self.view_number <= 15:
            raise ValueError(f"view number must be 0-15, got {self.view_number}")

    @classmethod
    def of(
        cls,
        template: Template,
        *,
        finger: Finger | str | None = None,
        impression: Impression | str = Impression.FLAT,
        view_number: int = 0,
    ) -> FingerView:
        """A live-scan view: ``impression`` rolled -> code 1, flat -> code 0.

        Examples
        --------
        >>> FingerView.of(Template(10, 10), finger="r2", impression="rolled").impression_code
        1
        """
        imp = Impression.parse(impression, what="impression")
        finger_code = None if finger is None else Finger.parse(finger, what="finger code")
        return cls(template, finger_code, imp.imp, view_number)

    @property
    def impression(self) -> Impression:
        """Rolled (codes 1 and 3) or flat (every other code)."""
        return Impression.ROLLED if self.impression_code in _ROLLED_CODES else Impression.FLAT

    @property
    def finger_position(self) -> int:
        """The stored finger position code, 0 (unknown) or 1-10."""
        return 0 if self.finger is None else self.finger.fgp


@dataclass(frozen=True)
class MinutiaeRecord:
    """A whole record as read: which standard, its header fields and its views."""

    standard: TemplateStandard
    width: int
    height: int
    resolution_ppcm: int
    equipment: int
    product_owner: int | None
    product_type: int | None
    views: tuple[FingerView, ...]


# --- writing ----------------------------------------------------------------------------------


def to_iso19794_2(
    template: Template | Sequence[FingerView],
    *,
    finger: Finger | str | None = None,
    impression: Impression | str = Impression.FLAT,
) -> bytes:
    """An ISO/IEC 19794-2:2005 finger minutiae record.

    Parameters
    ----------
    template : Template or sequence of FingerView
        One template (one view, described by ``finger`` and ``impression``) or several views.
        Image size and resolution come from the templates (the record has one of each: the
        largest width and height are written, and all views must share the resolution).
    finger : Finger or str, optional
        Finger of a single template; position 0 (unknown) when left out.
    impression : Impression or str
        ``"flat"`` (live-scan plain, the default) or ``"rolled"`` (live-scan rolled).

    Returns
    -------
    bytes
        The record.

    Raises
    ------
    MinutiaeRecordError
        A minutia outside the image, more than 255 minutiae in a view, more than 255 views,
        views of different resolutions or view numbers out of order.

    Examples
    --------
    >>> to_iso19794_2(Template(400, 300))[:12]
    b'FMR\\x00 20\\x00\\x00\\x00\\x00\\x1e'
    """
    return _write(TemplateStandard.ISO, _views(template, finger, impression))


def to_incits378(
    template: Template | Sequence[FingerView],
    *,
    finger: Finger | str | None = None,
    impression: Impression | str = Impression.FLAT,
) -> bytes:
    """An ANSI INCITS 378-2004 finger minutiae record (same parameters as `to_iso19794_2`).

    Examples
    --------
    >>> to_incits378(Template(400, 300))[:10]
    b'FMR\\x00 20\\x00\\x00 '
    """
    return _write(TemplateStandard.INCITS, _views(template, finger, impression))


def _views(
    template: Template | Sequence[FingerView],
    finger: Finger | str | None,
    impression: Impression | str,
) -> list[FingerView]:
    if isinstance(template, Template):
        return [FingerView.of(template, finger=finger, impression=impression)]
    views = list(template)
    for view in views:
        if not isinstance(view, FingerView):
            raise ValueError(f"expected a Template or FingerView objects, got {view!r}")
    return views


def _write(standard: TemplateStandard, views: list[FingerView]) -> bytes:
    if len(views) > 255:
        raise MinutiaeRecordError(standard, "number of views", f"{len(views)} is over 255")
    width = max((v.template.width for v in views), default=1)
    height = max((v.template.height for v in views), default=1)
    dpis = {v.template.dpi for v in views}
    if len(dpis) > 1:
        raise MinutiaeRecordError(
            standard, "resolution", f"views differ ({sorted(dpis)} ppi); a record has one"
        )
    ppcm = round((dpis.pop() if dpis else 500) / 2.54)
    for name, value in (("image size X", width), ("image size Y", height)):
        if value > 0xFFFF:
            raise MinutiaeRecordError(standard, name, f"{value} px is over 65535")
    _check_view_numbers(standard, views)
    body = b"".join(_view_bytes(standard, i, v, width, height) for i, v in enumerate(views, 1))
    if standard is TemplateStandard.ISO:
        length = _ISO_HEADER.size + len(body)
        header = _ISO_HEADER.pack(
            _MAGIC, _VERSION, length, 0, width, height, ppcm, ppcm, len(views), 0
        )
        return header + body
    tail = _ANSI_TAIL.pack(INCITS_PRODUCT_OWNER, 0, 0, width, height, ppcm, ppcm, len(views), 0)
    short = 8 + 2 + len(tail) + len(body)
    # Over 65 535 bytes, INCITS 378-2004 writes 0x0000 then a 4-byte length that counts them.
    long_form = short > 0xFFFF
    length_field = struct.pack(">HI", 0, short + 4) if long_form else struct.pack(">H", short)
    return _MAGIC + _VERSION + length_field + tail + body


def _check_view_numbers(standard: TemplateStandard, views: list[FingerView]) -> None:
    expected: dict[int, int] = {}
    for i, view in enumerate(views, 1):
        position = view.finger_position
        want = expected.get(position, 0)
        if view.view_number != want:
            raise MinutiaeRecordError(
                standard,
                f"view {i} view number",
                f"is {view.view_number}, expected {want} (views of finger position "
                f"{position} are numbered 0, 1, ... in record order)",
            )
        expected[position] = want + 1


def _view_bytes(
    standard: TemplateStandard, index: int, view: FingerView, width: int, height: int
) -> bytes:
    t = view.template
    n = len(t.minutiae)
    if n > 255:
        raise MinutiaeRecordError(standard, f"view {index} number of minutiae", f"{n} is over 255")
    out = [
        _VIEW.pack(
            view.finger_position, (view.view_number << 4) | view.impression_code, t.quality, n
        )
    ]
    for j, (m, q) in enumerate(zip(t.minutiae, t.minutia_quality, strict=True), 1):
        x = _pixel(standard, f"view {index} minutia {j} X", float(m[0]), width)
        y = _pixel(standard, f"view {index} minutia {j} Y", float(m[1]), height)
        kind = _TYPE_CODE[MinutiaType(int(m[3]))]
        angle = _encode_angle(standard, float(m[2]))
        quality = min(100, max(1, math.floor(float(q) * 100 + 0.5)))
        out.append(_MINUTIA.pack((kind << 14) | x, y, angle, quality))
    out.append(_EXT_LEN.pack(0))
    return b"".join(out)


def _pixel(standard: TemplateStandard, field: str, value: float, size: int) -> int:
    # Pixel centres sit on whole coordinates: pixel k covers [k - 0.5, k + 0.5).
    if not -0.5 <= value < size - 0.5:
        raise MinutiaeRecordError(
            standard, field, f"{value:.2f} is outside the image (0-{size - 1} px)"
        )
    pixel = min(size - 1, max(0, math.floor(value + 0.5)))
    if pixel > _MAX_COORD:
        raise MinutiaeRecordError(standard, field, f"{pixel} does not fit in 14 bits")
    return pixel


def _encode_angle(standard: TemplateStandard, theta: float) -> int:
    # Station: from +x toward +y (y down) = clockwise on screen. Standards: counter-clockwise.
    phi = (-math.degrees(theta)) % 360.0
    return math.floor(phi / standard.angle_unit + 0.5) % standard.angle_units


def _decode_angle(standard: TemplateStandard, value: int) -> float:
    return float(wrap_angle(-math.radians(value * standard.angle_unit)))


# --- reading ----------------------------------------------------------------------------------


def detect_standard(data: bytes) -> TemplateStandard:
    """Which of the two standards a record follows, from its header and length scheme.

    Both start ``"FMR\\0 20\\0"``. ISO/IEC 19794-2:2005 follows with a 4-byte record length,
    INCITS 378-2004 with a 2-byte one (or 0x0000 and a 4-byte one). The interpretation whose
    length equals the data's size wins; when neither does, the one FingerprintIO's rule picks
    (a first 16-bit word of 26 or more, or zero followed by a word under 24, is INCITS).

    Raises
    ------
    MinutiaeRecordError
        Not a finger minutiae record of either standard (bad identifier or version, or too
        short to tell).
    """
    data = _as_bytes(data)
    label = "finger minutiae"
    if len(data) < 12:
        raise MinutiaeRecordError(label, "header", f"truncated: {len(data)} bytes")
    if data[:4] != _MAGIC:
        raise MinutiaeRecordError(label, "format identifier", f"{data[:4]!r} is not b'FMR\\x00'")
    if data[4:8] != _VERSION:
        raise MinutiaeRecordError(
            label,
            "version",
            f"{data[4:8]!r} is not b' 20\\x00' (only ISO/IEC 19794-2:2005 and "
            "ANSI INCITS 378-2004 are read)",
        )
    iso_length = struct.unpack_from(">I", data, 8)[0]
    first, second = struct.unpack_from(">HH", data, 8)
    ansi_length = first
    if first == 0 and len(data) >= 14:
        ansi_length = struct.unpack_from(">I", data, 10)[0]
    if iso_length == len(data):
        return TemplateStandard.ISO
    if ansi_length == len(data):
        return TemplateStandard.INCITS
    if first >= 26 or (first == 0 and second < 24):
        return TemplateStandard.INCITS
    return TemplateStandard.ISO


def read_minutiae_record(data: bytes) -> MinutiaeRecord:
    """Read either standard's record, detected by :func:`detect_standard`.

    Raises
    ------
    MinutiaeRecordError
        Naming the field: bad identifier or version, a record length that does not match
        the data, a truncated view or minutia, counts that do not add up, codes out of range,
        a minutia outside the image.
    """
    data = _as_bytes(data)
    return _read(detect_standard(data), data)


def from_iso19794_2(data: bytes) -> list[FingerView]:
    """The finger views of an ISO/IEC 19794-2:2005 record.

    Raises
    ------
    MinutiaeRecordError
        As :func:`read_minutiae_record`; also when the data is an INCITS 378 record.
    """
    return list(_read_as(TemplateStandard.ISO, data).views)


def from_incits378(data: bytes) -> list[FingerView]:
    """The finger views of an ANSI INCITS 378-2004 record (see `from_iso19794_2`)."""
    return list(_read_as(TemplateStandard.INCITS, data).views)


def _read_as(standard: TemplateStandard, data: bytes) -> MinutiaeRecord:
    data = _as_bytes(data)
    found = detect_standard(data)
    if found is not standard:
        raise MinutiaeRecordError(
            standard, "record length", f"the length scheme is that of an {found} record"
        )
    return _read(standard, data)


def _as_bytes(data: bytes) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"record bytes expected, got {type(data).__name__}")
    return bytes(data)


class _Reader:
    def __init__(self, standard: TemplateStandard, data: bytes, offset: int) -> None:
        self.standard, self.data, self.offset = standard, data, offset

    def take(self, layout: struct.Struct, field: str) -> tuple[int, ...]:
        end = self.offset + layout.size
        if end > len(self.data):
            raise MinutiaeRecordError(
                self.standard,
                field,
                f"truncated: needs bytes {self.offset}-{end - 1}, the record ends at "
                f"{len(self.data)}",
            )
        values = layout.unpack_from(self.data, self.offset)
        self.offset = end
        return values


def _read(standard: TemplateStandard, data: bytes) -> MinutiaeRecord:
    if standard is TemplateStandard.ISO:
        if len(data) < _ISO_HEADER.size:
            raise MinutiaeRecordError(standard, "header", f"truncated: {len(data)} bytes")
        (_, _, length, equipment, width, height, res_x, res_y, n_views, _) = (
            _ISO_HEADER.unpack_from(data)
        )
        offset, owner, ptype = _ISO_HEADER.size, None, None
    else:
        first = struct.unpack_from(">H", data, 8)[0]
        offset = 10 if first else 14
        if len(data) < offset + _ANSI_TAIL.size:
            raise MinutiaeRecordError(standard, "header", f"truncated: {len(data)} bytes")
        length = first if first else struct.unpack_from(">I", data, 10)[0]
        (owner, ptype, equipment, width, height, res_x, res_y, n_views, _) = _ANSI_TAIL.unpack_from(
            data, offset
        )
        offset += _ANSI_TAIL.size
    if length != len(data):
        raise MinutiaeRecordError(
            standard, "record length", f"says {length} bytes, the data has {len(data)}"
        )
    for name, value in (("image size X", width), ("image size Y", height)):
        if value == 0:
            raise MinutiaeRecordError(standard, name, "is 0")
    if res_x == 0 or res_y == 0:
        raise MinutiaeRecordError(standard, "resolution", f"is {res_x} x {res_y} px/cm")
    if res_x != res_y:
        raise MinutiaeRecordError(
            standard,
            "resolution",
            f"X {res_x} and Y {res_y} px/cm differ; station templates have one resolution",
        )
    dpi = round(res_x * 2.54)
    reader = _Reader(standard, data, offset)
    views = tuple(_read_view(reader, i, width, height, dpi) for i in range(1, n_views + 1))
    if reader.offset != len(data):
        raise MinutiaeRecordError(
            standard,
            "number of views",
            f"{n_views} view(s) end at byte {reader.offset}, the record has {len(data)} "
            f"bytes ({len(data) - reader.offset} left over)",
        )
    return MinutiaeRecord(standard, width, height, res_x, equipment, owner, ptype, views)


def _read_view(reader: _Reader, index: int, width: int, height: int, dpi: int) -> FingerView:
    standard = reader.standard
    where = f"view {index}"
    position, view_imp, quality, n = reader.take(_VIEW, f"{where} header")
    if position > 10:
        raise MinutiaeRecordError(standard, f"{where} finger position", f"{position} is not 0-10")
    impression = view_imp & 0x0F
    if impression not in _IMPRESSION_CODES:
        raise MinutiaeRecordError(
            standard, f"{where} impression type", f"{impression} is not a defined code"
        )
    if quality > 100:
        raise MinutiaeRecordError(standard, f"{where} finger quality", f"{quality} is over 100")
    rows = np.zeros((n, 4), np.float32)
    mq = np.zeros(n, np.float32)
    for j in range(n):
        field = f"{where} minutia {j + 1}"
        word_x, word_y, angle, q = reader.take(_MINUTIA, field)
        kind, x, y = word_x >> 14, word_x & _MAX_COORD, word_y & _MAX_COORD
        if kind == 0b11:
            raise MinutiaeRecordError(standard, f"{field} type", "code 11 is not defined")
        if x >= width:
            raise MinutiaeRecordError(
                standard, f"{field} X", f"{x} is outside the image width {width}"
            )
        if y >= height:
            raise MinutiaeRecordError(
                standard, f"{field} Y", f"{y} is outside the image height {height}"
            )
        if angle >= standard.angle_units:
            raise MinutiaeRecordError(
                standard, f"{field} angle", f"{angle} is over {standard.angle_units - 1}"
            )
        if q > 100:
            raise MinutiaeRecordError(standard, f"{field} quality", f"{q} is over 100")
        kind_station = MinutiaType.BIFURCATION if kind == 0b10 else MinutiaType.ENDING
        rows[j] = (x, y, _decode_angle(standard, angle), kind_station)
        mq[j] = q / 100.0 if q else _UNREPORTED_QUALITY
    (ext_length,) = reader.take(_EXT_LEN, f"{where} extended data length")
    end = reader.offset + ext_length
    while reader.offset < end:
        _, block_length = reader.take(_EXT_BLOCK, f"{where} extended data block")
        if block_length < _EXT_BLOCK.size or reader.offset - _EXT_BLOCK.size + block_length > end:
            raise MinutiaeRecordError(
                standard,
                f"{where} extended data block length",
                f"{block_length} does not fit the extended data length {ext_length}",
            )
        reader.offset += block_length - _EXT_BLOCK.size
    if reader.offset > len(reader.data):
        raise MinutiaeRecordError(
            standard, f"{where} extended data", "truncated: runs past the end of the record"
        )
    level = level_for_score(quality)
    template = Template(
        width,
        height,
        dpi,
        rows,
        mq,
        quality=quality,
        level=level,
        reason="good" if level < 5 else f"low quality (from the {standard} record)",
    )
    finger = None if position == 0 else FINGERS[position - 1]
    return FingerView(template, finger, impression, view_imp >> 4)
