"""Conversions between Python values and what the gallery stores.

Timestamps are ISO-8601 UTC text with millisecond precision and a ``Z``
(``2026-01-01T12:00:00.000Z``), so text order is time order. Print images are stored as FBI
WSQ at 0.75 bits per pixel (:mod:`station.interchange.wsq`, about 15:1 on rolled prints);
images under ``wsq.MIN_SIDE`` pixels a side, and every image of a gallery made before schema
version 3, are 8-bit grey PNG (lossless; every row Sub-filtered, zlib run-length strategy:
about as small as zlib level 6 with adaptive filters and several times faster to write). The
``images.format`` column says which; :func:`decode_image` also checks the bytes' signature.
JSON accepts numpy scalars and arrays.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from station.core.image import MAX_PIXELS
from station.core.vocabulary import ImageFormat
from station.interchange import wsq

from .schema import DEMOGRAPHIC_FIELDS

__all__ = [
    "EncodedImage",
    "checked_encoded",
    "decode_image",
    "decode_png",
    "demographics_row",
    "encode_image",
    "encode_png",
    "encoded_image",
    "from_json",
    "now",
    "parse_time",
    "timestamp",
    "to_json",
]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Deflate settings of the image data: level 1 with the run-length strategy. Sensor noise
#: leaves the deflate matcher little to find, so this is within a few per cent of level 6.
_PNG_LEVEL = 1
_PNG_STRATEGY = zlib.Z_RLE
_PNG_FILTER_SUB = 1  # PNG filter type: each byte minus the byte to its left


def now() -> str:
    """The current time as stored: ISO-8601 UTC with milliseconds and ``Z``."""
    return _format(dt.datetime.now(dt.UTC))


def parse_time(stamp: str) -> dt.datetime:
    """A stored time (:func:`now`'s form) as an aware UTC datetime."""
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(dt.UTC)


def _format(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def timestamp(value: str | dt.datetime | None, name: str = "captured_at") -> str:
    """Normalise a time to the stored form; ``None`` means now.

    Parameters
    ----------
    value : str, datetime or None
        ISO-8601 text or a datetime, either with a time zone (a time without one is refused:
        a booking record must not guess the zone).
    name : str
        Argument name for the error message.

    Raises
    ------
    ValueError
        Not a time, or a time without a zone.
    """
    if value is None:
        return now()
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name} is not an ISO-8601 time: {value!r}") from None
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{name} must be ISO-8601 text or a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} needs a time zone (for example a trailing 'Z'): {value}")
    return _format(value)


def encode_png(image: np.ndarray, name: str = "image") -> tuple[bytes, int, int]:
    """Check a fingerprint image and encode it as PNG.

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        Grey levels, 0 black.

    Returns
    -------
    png : bytes
    width, height : int
        Columns and rows.

    Raises
    ------
    ValueError
        Not a non-empty 2-D uint8 array of at most ``station.core.image.MAX_PIXELS`` pixels.
    """
    width, height = _checked(image, name)
    return _png_grey(image), width, height


def encode_image(image: np.ndarray, name: str = "image") -> tuple[bytes, ImageFormat, int, int]:
    """Check a fingerprint image and encode it as the gallery stores new prints.

    WSQ (500 ppi, 0.75 bits per pixel) when both sides are at least ``wsq.MIN_SIDE``, PNG
    otherwise.

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        Grey levels, 0 black.

    Returns
    -------
    data : bytes
    format : ImageFormat
    width, height : int
        Columns and rows.

    Raises
    ------
    ValueError
        Not a non-empty 2-D uint8 array of at most ``station.core.image.MAX_PIXELS`` pixels.
    """
    width, height = _checked(image, name)
    if min(width, height) < wsq.MIN_SIDE:
        return _png_grey(image), ImageFormat.PNG, width, height
    return wsq.encode(image, ppi=500), ImageFormat.WSQ, width, height


@dataclass(frozen=True)
class EncodedImage:
    """A print image already encoded as the gallery stores it (:func:`encoded_image`).

    Lets the costly encoding run where the image is made (a seeding worker) and only the
    bytes travel to the process that writes the gallery.

    Attributes
    ----------
    data : bytes
        WSQ or PNG bytes.
    format : ImageFormat
        Which of the two.
    width, height : int
        Columns and rows.
    """

    data: bytes
    format: ImageFormat
    width: int
    height: int


def encoded_image(image: np.ndarray, name: str = "image") -> EncodedImage:
    """:func:`encode_image` as an :class:`EncodedImage`.

    Examples
    --------
    >>> blank = np.full((64, 80), 200, np.uint8)
    >>> e = encoded_image(blank)
    >>> e.format, e.width, e.height
    (<ImageFormat.WSQ: 'wsq'>, 80, 64)
    """
    data, fmt, width, height = encode_image(image, name)
    return EncodedImage(data, fmt, width, height)


def checked_encoded(image: EncodedImage) -> tuple[bytes, ImageFormat, int, int]:
    """An :class:`EncodedImage` about to be stored, checked against its own header.

    Its format must be one the gallery writes for its size (WSQ from ``wsq.MIN_SIDE`` px a
    side, PNG under it), and the bytes' own header must give its width and height.

    Raises
    ------
    ValueError
        Any of these does not hold.
    """
    if not isinstance(image, EncodedImage):
        raise ValueError(f"expected an EncodedImage, got {type(image).__name__}")
    width, height, data = image.width, image.height, bytes(image.data)
    wanted = ImageFormat.WSQ if min(width, height) >= wsq.MIN_SIDE else ImageFormat.PNG
    if image.format != wanted:
        raise ValueError(f"a {width}x{height} image is stored as {wanted}, not {image.format}")
    if wanted is ImageFormat.WSQ:
        try:
            header = wsq.read_header(data)
        except wsq.WsqError as exc:
            raise ValueError(f"encoded image is not readable WSQ: {exc}") from None
        size = (header.cols, header.rows)
    else:
        if data[:8] != _PNG_SIGNATURE or len(data) < 24:
            raise ValueError("encoded image is not PNG")
        size = struct.unpack(">II", data[16:24])
    if size != (width, height):
        raise ValueError(f"encoded image says {size[0]}x{size[1]}, not {width}x{height}")
    return data, wanted, width, height


def decode_image(data: bytes, format: str) -> np.ndarray:
    """Decode a stored image of the given format to a writable (M, N) uint8 array.

    Raises
    ------
    ValueError
        Unknown format, bytes that are not of that format, or bytes that do not decode.
    """
    kind = ImageFormat.parse(format, what="image format")
    data = bytes(data)
    if kind is ImageFormat.WSQ:
        if not wsq.is_wsq(data):
            raise ValueError("recorded as WSQ but the bytes are not WSQ")
        return wsq.decode(data)
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("recorded as PNG but the bytes are not PNG")
    return decode_png(data)


def _checked(image: np.ndarray, name: str) -> tuple[int, int]:
    """Check ``image`` is a storable fingerprint image: ``(width, height)``."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"{name} must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8 or image.ndim != 2:
        raise ValueError(f"{name} must be a 2-D uint8 array, got {image.dtype} {image.shape}")
    height, width = image.shape
    if height < 1 or width < 1:
        raise ValueError(f"{name} has no pixels")
    if height * width > MAX_PIXELS:
        raise ValueError(f"{name} is too large: {width}x{height} pixels")
    return width, height


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_grey(image: np.ndarray) -> bytes:
    """A PNG file of an (M, N) uint8 image: 8-bit greyscale, not interlaced, Sub filter."""
    height, width = image.shape
    rows = np.empty((height, width + 1), np.uint8)
    rows[:, 0] = _PNG_FILTER_SUB
    rows[:, 1] = image[:, 0]
    np.subtract(image[:, 1:], image[:, :-1], out=rows[:, 2:])  # modulo 256
    deflate = zlib.compressobj(_PNG_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS, 8, _PNG_STRATEGY)
    data = deflate.compress(rows.data) + deflate.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    return b"".join(
        [
            _PNG_SIGNATURE,
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", data),
            _png_chunk(b"IEND", b""),
        ]
    )


def decode_png(data: bytes) -> np.ndarray:
    """Decode a stored PNG to a writable (M, N) uint8 array.

    Raises
    ------
    ValueError
        The bytes are not an 8-bit grey PNG.
    """
    try:
        with Image.open(io.BytesIO(bytes(data))) as img:
            if img.format != "PNG" or img.mode != "L":
                raise ValueError(f"not an 8-bit grey PNG ({img.format} {img.mode})")
            img.load()
            return np.array(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"not a readable PNG ({exc})") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(value: Any, name: str = "payload") -> str:
    """JSON text of ``value`` (numpy scalars and arrays become numbers and lists).

    Raises
    ------
    ValueError
        ``value`` holds something JSON cannot represent (or NaN / infinity).
    """
    try:
        return json.dumps(value, default=_json_default, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} cannot be stored as JSON: {exc}") from None


def from_json(text: str | None) -> Any:
    """Inverse of :func:`to_json` (``None`` stays ``None``)."""
    return None if text is None else json.loads(text)


def demographics_row(demographics: Any) -> dict[str, Any]:
    """Check demographics and return one value per field of ``DEMOGRAPHIC_FIELDS``.

    Parameters
    ----------
    demographics : mapping or Demographics
        A mapping with some of the fields (missing ones are stored as unknown), or an object
        with ``as_dict()`` such as :class:`station.core.synth.population.Demographics`.

    Raises
    ------
    ValueError
        Unknown fields, or a value of the wrong kind (``weight`` a whole number of pounds,
        ``date_of_birth`` an ISO date, the others text).
    """
    if hasattr(demographics, "as_dict") and not isinstance(demographics, Mapping):
        demographics = demographics.as_dict()
    if not isinstance(demographics, Mapping):
        raise ValueError(f"demographics must be a mapping, got {type(demographics).__name__}")
    unknown = sorted(set(demographics) - set(DEMOGRAPHIC_FIELDS))
    if unknown:
        raise ValueError(
            f"unknown demographic field(s) {', '.join(map(str, unknown))}: "
            f"use {', '.join(DEMOGRAPHIC_FIELDS)}"
        )
    row: dict[str, Any] = {}
    for field in DEMOGRAPHIC_FIELDS:
        value = demographics.get(field)
        if value is None:
            row[field] = None
        elif field == "weight":
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
                raise ValueError(f"weight must be a positive whole number of pounds: {value!r}")
            row[field] = int(value)
        elif field == "date_of_birth":
            if isinstance(value, dt.datetime):
                raise ValueError("date_of_birth must be a date, not a date and time")
            if isinstance(value, str):
                try:
                    value = dt.date.fromisoformat(value)
                except ValueError:
                    raise ValueError(f"date_of_birth is not an ISO date: {value!r}") from None
            if not isinstance(value, dt.date):
                raise ValueError(f"date_of_birth must be an ISO date: {value!r}")
            row[field] = value.isoformat()
        else:
            if not isinstance(value, str):
                raise ValueError(f"{field} must be text, got {value!r}")
            row[field] = value.strip() or None
    return row
