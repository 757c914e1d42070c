"""Fingerprint templates: immutable minutiae sets with a versioned, checked serialisation.

Binary layout, version 1 (little-endian)::

    magic  b"BSTM"          4 bytes
    version                 u16
    width, height           u32, u32   (px)
    dpi                     u16
    quality, level          u8, u8     (0-100, 1-5)
    n_minutiae, n_singular  u32, u16
    reason length           u16, then UTF-8 text
    minutiae                n x 4 float32 (x, y, angle_rad, type)
    minutia quality         n float32 (0-1)
    singular points         k x 3 float32 (x, y, kind: +1 core, -1 delta)
    crc32 of all the above  u32

Minutiae follow the convention of :mod:`station.core.synth`: x right, y down (pixels), angle
from +x toward +y; an ending points along its ridge, a bifurcation along the valley between
its branches. Raw images are kept elsewhere, so a template can always be re-extracted.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "FORMAT_VERSION",
    "MAX_MINUTIAE",
    "MAX_SIDE",
    "MAX_SINGULAR",
    "Template",
    "TemplateError",
]

FORMAT_VERSION = 1
_MAGIC = b"BSTM"
_HEADER = struct.Struct("<4sHIIHBBIHH")


class TemplateError(ValueError):
    """Bytes or JSON that are not a template this version can read."""


#: Largest image side a stored template may describe (px); a 1000 ppi slap is about 3200.
MAX_SIDE = 10_000
#: Most minutiae and singular points a stored template may hold.
MAX_MINUTIAE, MAX_SINGULAR = 10_000, 100
#: Resolutions a stored template may refer to (ppi), as the extractor accepts.
_DPI_RANGE = (100, 2000)
#: Slack for float32 rounding at the ends of the ranges below.
_EPS = 1e-4


def _check_stored(t: Template) -> Template:
    """``t`` if every value is one the extractor can produce; else ``TemplateError`` naming
    the field (the first bad entry, counted from 0)."""
    if not isinstance(t.reason, str):
        raise TemplateError(f"template is invalid: reason must be text, got {t.reason!r}")
    if not (t.width <= MAX_SIDE and t.height <= MAX_SIDE):
        raise TemplateError(f"template image size {t.width}x{t.height} exceeds {MAX_SIDE} px")
    if not _DPI_RANGE[0] <= t.dpi <= _DPI_RANGE[1]:
        raise TemplateError(f"template dpi {t.dpi} is outside {_DPI_RANGE[0]}-{_DPI_RANGE[1]}")
    if len(t.minutiae) > MAX_MINUTIAE or len(t.singular_points) > MAX_SINGULAR:
        raise TemplateError(
            f"template holds {len(t.minutiae)} minutiae and {len(t.singular_points)} singular "
            f"points (at most {MAX_MINUTIAE} and {MAX_SINGULAR})"
        )
    m = t.minutiae.astype(np.float64)
    checks = (
        ("minutia x", m[:, 0], 0.0, t.width + _EPS),
        ("minutia y", m[:, 1], 0.0, t.height + _EPS),
        ("minutia angle", m[:, 2], -np.pi - _EPS, 2 * np.pi + _EPS),
        ("minutia quality", t.minutia_quality.astype(np.float64), 0.0, 1.0 + _EPS),
    )
    for name, values, low, high in checks:
        bad = np.flatnonzero((values < low) | (values > high))
        if bad.size:
            raise TemplateError(
                f"template is invalid: {name} {float(values[bad[0]]):g} (entry {int(bad[0])}) is "
                f"outside {low:.4g}..{high:.4g}"
            )
    bad = np.flatnonzero((m[:, 3] != 0) & (m[:, 3] != 1))
    if bad.size:
        raise TemplateError(
            f"template is invalid: minutia type {float(m[bad[0], 3]):g} (entry {int(bad[0])}) "
            "is not 0 (ending) or 1 (bifurcation)"
        )
    sp = t.singular_points.astype(np.float64)
    for name, values, high in (
        ("singular point x", sp[:, 0], t.width + _EPS),
        ("singular point y", sp[:, 1], t.height + _EPS),
    ):
        bad = np.flatnonzero((values < 0) | (values > high))
        if bad.size:
            raise TemplateError(
                f"template is invalid: {name} {float(values[bad[0]]):g} (entry {int(bad[0])}) "
                f"is outside 0..{high:.4g}"
            )
    bad = np.flatnonzero(np.abs(sp[:, 2]) != 1)
    if bad.size:
        raise TemplateError(
            f"template is invalid: singular point kind {float(sp[bad[0], 2]):g} (entry "
            f"{int(bad[0])}) is not +1 (core) or -1 (delta)"
        )
    return t


def _frozen(array: Any, shape_tail: tuple[int, ...], name: str) -> np.ndarray:
    a = np.array(array, dtype=np.float32, copy=True)
    if a.size == 0:
        a = a.reshape((0, *shape_tail))
    if a.shape[1:] != shape_tail:
        raise ValueError(f"{name} must have shape (n, {', '.join(map(str, shape_tail))})")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} holds NaN or infinite values")
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Template:
    """Features of one fingerprint image.

    Attributes
    ----------
    width, height : int
        Image size (px) at ``dpi``.
    dpi : int
        Resolution the coordinates refer to (500 after extraction).
    minutiae : (N, 4) ndarray of float32
        ``x, y, angle_rad, type`` (0 ending, 1 bifurcation); read-only.
    minutia_quality : (N,) ndarray of float32
        0 (doubtful) … 1 (certain); read-only.
    singular_points : (K, 3) ndarray of float32
        ``x, y, kind`` (+1 core, -1 delta); read-only.
    quality : int
        Image quality 0 (unusable) … 100 (excellent).
    level : int
        NFIQ-style level 1 (excellent) … 5 (poor).
    reason : str
        Plain-words reason when quality is low ("good" otherwise).
    """

    width: int
    height: int
    dpi: int = 500
    minutiae: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    # None (all ones) is accepted at construction; __post_init__ always stores an array.
    minutia_quality: np.ndarray = None  # type: ignore[assignment]
    singular_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.float32))
    quality: int = 0
    level: int = 5
    reason: str = "good"

    VERSION: ClassVar[int] = FORMAT_VERSION

    def __post_init__(self) -> None:
        for name in ("width", "height", "dpi", "quality", "level"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            object.__setattr__(self, name, int(value))
        if not (0 < self.width < 2**32 and 0 < self.height < 2**32):
            raise ValueError("width and height must be positive")
        if not 0 < self.dpi < 2**16:
            raise ValueError(f"dpi out of range: {self.dpi}")
        if not 0 <= self.quality <= 100 or not 1 <= self.level <= 5:
            raise ValueError("quality must be 0-100 and level 1-5")
        minutiae = _frozen(self.minutiae, (4,), "minutiae")
        object.__setattr__(self, "minutiae", minutiae)
        mq = self.minutia_quality
        mq = np.ones(len(minutiae), np.float32) if mq is None else np.array(mq, np.float32)
        if mq.shape != (len(minutiae),):
            raise ValueError("minutia_quality must have one value per minutia")
        mq.setflags(write=False)
        object.__setattr__(self, "minutia_quality", mq)
        object.__setattr__(
            self, "singular_points", _frozen(self.singular_points, (3,), "singular_points")
        )

    def __len__(self) -> int:
        return len(self.minutiae)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Template):
            return NotImplemented
        return self.to_bytes() == other.to_bytes()

    def __hash__(self) -> int:
        return hash(self.to_bytes())

    # --- binary -------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """Compact versioned binary form (see the module docstring)."""
        _check_stored(self)  # never write what from_bytes would refuse to read back
        reason = self.reason.encode("utf-8")[:65535]
        body = _HEADER.pack(
            _MAGIC,
            FORMAT_VERSION,
            self.width,
            self.height,
            self.dpi,
            self.quality,
            self.level,
            len(self.minutiae),
            len(self.singular_points),
            len(reason),
        )
        body += reason
        body += self.minutiae.astype("<f4").tobytes()
        body += self.minutia_quality.astype("<f4").tobytes()
        body += self.singular_points.astype("<f4").tobytes()
        return body + struct.pack("<I", zlib.crc32(body))

    @staticmethod
    def checksum(data: bytes) -> int | None:
        """The CRC-32 of a template's body that its last four bytes carry, if it verifies.

        It names a template's content (a cache key) without reading the template. A CRC-32
        of the whole bytes would not: a message followed by its own CRC-32 always has the
        same CRC-32 whatever the message (the CRC's residue, ``0x2144DF1C`` for zlib's).

        Returns
        -------
        int or None
            ``0 … 2³² - 1``; None when the bytes are too short or the checksum does not
            match the body (:meth:`from_bytes` says what is wrong).
        """
        if len(data) < _HEADER.size + 4:
            return None
        crc = zlib.crc32(memoryview(data)[:-4])
        return crc if crc == int.from_bytes(data[-4:], "little") else None

    @classmethod
    def from_bytes(cls, data: bytes) -> Template:
        """Read the binary form; raise ``TemplateError`` on anything but a valid template.

        Besides the format (magic, version, lengths, checksum) the values are checked: image
        size at most :data:`MAX_SIDE`, dpi 100-2000, minutiae inside the image, angles in
        [-pi, 2pi], types 0 or 1, minutia quality 0-1, singular points inside the image
        with kind +1 or -1, quality 0-100, level 1-5; the message names the field.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TemplateError("template bytes expected")
        data = bytes(data)
        if len(data) < _HEADER.size + 4 or data[:4] != _MAGIC:
            raise TemplateError("not a Booking Station template (bad magic or too short)")
        version = struct.unpack_from("<H", data, 4)[0]
        if version != FORMAT_VERSION:
            raise TemplateError(
                f"template format version {version} is not supported (this build reads "
                f"version {FORMAT_VERSION}); re-extract it from the stored image"
            )
        body, crc = data[:-4], struct.unpack("<I", data[-4:])[0]
        if zlib.crc32(body) != crc:
            raise TemplateError("template is corrupt (checksum mismatch)")
        _, _, width, height, dpi, quality, level, n, k, n_reason = _HEADER.unpack_from(body)
        offset = _HEADER.size
        expected = offset + n_reason + 4 * (4 * n + n + 3 * k)
        if len(body) != expected:
            raise TemplateError("template is corrupt (length does not match its header)")
        try:
            reason = body[offset : offset + n_reason].decode("utf-8")
        except UnicodeDecodeError:
            raise TemplateError("template is corrupt (reason text)") from None
        offset += n_reason
        arrays = np.frombuffer(body, "<f4", offset=offset)
        minutiae = arrays[: 4 * n].reshape(n, 4)
        mq = arrays[4 * n : 5 * n]
        sp = arrays[5 * n :].reshape(k, 3)
        if n > MAX_MINUTIAE or k > MAX_SINGULAR:
            raise TemplateError(
                f"template header counts {n} minutiae and {k} singular points (at most "
                f"{MAX_MINUTIAE} and {MAX_SINGULAR})"
            )
        try:
            template = cls(width, height, dpi, minutiae, mq, sp, quality, level, reason)
        except ValueError as exc:
            raise TemplateError(f"template is corrupt ({exc})") from None
        return _check_stored(template)

    # --- JSON ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "format": "booking-station-template",
            "version": FORMAT_VERSION,
            "width": self.width,
            "height": self.height,
            "dpi": self.dpi,
            "quality": self.quality,
            "level": self.level,
            "reason": self.reason,
            "minutiae": [
                {
                    "x": round(float(m[0]), 2),
                    "y": round(float(m[1]), 2),
                    "angle": round(float(m[2]), 4),
                    "type": "bifurcation" if m[3] else "ending",
                    "quality": round(float(q), 3),
                }
                for m, q in zip(self.minutiae, self.minutia_quality, strict=True)
            ],
            "singular_points": [
                {
                    "x": round(float(p[0]), 1),
                    "y": round(float(p[1]), 1),
                    "kind": "core" if p[2] > 0 else "delta",
                }
                for p in self.singular_points
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Template:
        """Read the JSON form; raise ``TemplateError`` if it is not one (values checked as
        :meth:`from_bytes` checks them)."""
        try:
            d = json.loads(text)
            if d.get("format") != "booking-station-template":
                raise TemplateError("not a Booking Station template (JSON)")
            if d.get("version") != FORMAT_VERSION:
                raise TemplateError(f"template JSON version {d.get('version')} is not supported")
            minutiae = [
                (m["x"], m["y"], m["angle"], {"ending": 0, "bifurcation": 1}[m["type"]])
                for m in d["minutiae"]
            ]
            mq = [m.get("quality", 1.0) for m in d["minutiae"]]
            sp = [(p["x"], p["y"], 1 if p["kind"] == "core" else -1) for p in d["singular_points"]]
            if not isinstance(d["minutiae"], list) or not isinstance(d["singular_points"], list):
                raise TemplateError("template JSON: minutiae and singular_points must be lists")
            template = cls(
                d["width"],
                d["height"],
                d["dpi"],
                np.array(minutiae, np.float32),
                np.array(mq, np.float32),
                np.array(sp, np.float32),
                d["quality"],
                d["level"],
                d["reason"],
            )
        except TemplateError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise TemplateError(f"template JSON is malformed ({exc})") from None
        return _check_stored(template)
