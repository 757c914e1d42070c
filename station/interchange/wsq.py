"""FBI WSQ (Wavelet Scalar Quantization, IAFIS-IC-0110 v3.1) fingerprint image compression.

The codec is NIST's NBIS WSQ library as packaged by the ``wsq`` distribution (IDEMIA's
Pillow plugin: a thin wrapper around NBIS 5.0 ``wsq_encode_mem`` / ``wsq_decode_mem``). We
call the two functions of its extension module ``_wsq`` directly, as its Pillow plugin does,
which skips the plugin's per-pixel Python list (about 2.5 times faster on a rolled print).

What this module adds: input checks, a Python reader of the file's markers (:func:`read_header`,
used to refuse bad bytes before NBIS sees them and to report the resolution and the frame
header), the resolution written into the ``NIST_COM`` comment, and one error type.

The wrapper fixes the encoder's bit rate at 0.75 bits per pixel (the FBI's usual rate for
500 ppi prints, about 15:1 on rolled prints), so ``bitrate`` accepts only that value.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from station.core.image import MAX_PIXELS

__all__ = [
    "BITRATE",
    "MIN_SIDE",
    "WsqError",
    "WsqHeader",
    "decode",
    "encode",
    "is_wsq",
    "read_header",
]

#: Bits per pixel of the encoder (fixed by the ``wsq`` wrapper).
BITRATE = 0.75
#: Smallest side this module encodes. NBIS refuses images of about 16 px a side and decodes
#: small ones wrongly or badly (measured: a constant 32 x 40 or 36 x 36 image comes back black;
#: 32-40 px crops of a print come back at 14 dB, 48 px at 28 dB, 64 px at 27 dB like whole
#: prints). Every constant image from 64 to 139 px a side was checked to come back exactly.
#: The gallery keeps smaller images as PNG.
MIN_SIDE = 64

_SOI, _EOI, _SOF, _SOB = 0xFFA0, 0xFFA1, 0xFFA2, 0xFFA3
_SEGMENTS = {0xFFA2, 0xFFA3, 0xFFA4, 0xFFA5, 0xFFA6, 0xFFA7, 0xFFA8}
_COM = 0xFFA8
_NISTCOM = b"NIST_COM"


class WsqError(ValueError):
    """Bytes that are not a readable WSQ image (or an image WSQ cannot hold)."""


@dataclass(frozen=True)
class WsqHeader:
    """What a WSQ file says about itself (its frame header and ``NIST_COM`` comment).

    Attributes
    ----------
    rows, cols : int
        Image height and width in pixels.
    ppi : int or None
        Scanning resolution from the ``NIST_COM`` comment (``None`` when absent or ``-1``).
    bitrate : float or None
        ``WSQ_BITRATE`` of the ``NIST_COM`` comment, the encoder's target bits per pixel.
    black, white : int
        Frame header's black and white calibration grey levels.
    shift, scale : float
        The encoder's pixel normalisation ``(pixel - shift) / scale`` (mean and range).
    encoder, software : int
        Encoder algorithm number and the software implementation number.
    size : int
        Bytes of the file.
    """

    rows: int
    cols: int
    ppi: int | None
    bitrate: float | None
    black: int
    white: int
    shift: float
    scale: float
    encoder: int
    software: int
    size: int

    @property
    def ratio(self) -> float:
        """Compression ratio against 8-bit pixels."""
        return self.rows * self.cols / self.size


def is_wsq(data: bytes) -> bool:
    """Whether ``data`` starts like a WSQ file (start-of-image marker, then a marker).

    Examples
    --------
    >>> is_wsq(b"\\xff\\xa0\\xff\\xa8")
    True
    >>> is_wsq(b"\\x89PNG\\r\\n\\x1a\\n")
    False
    """
    return len(data) >= 4 and data[:2] == b"\xff\xa0" and data[2] == 0xFF


def _scaled(exponent: int, value: int) -> float:
    """A WSQ scaled number: ``value / 10**exponent``."""
    return value / 10.0**exponent


def _next_marker(data: bytes, at: int) -> int:
    """Position of the next marker (0xFF then a non-zero byte) at or after ``at``."""
    while True:
        at = data.find(b"\xff", at)
        if at < 0 or at + 1 >= len(data):
            raise WsqError("truncated WSQ data: the entropy-coded data has no end marker")
        if data[at + 1] != 0x00:
            return at
        at += 2


def read_header(data: bytes) -> WsqHeader:
    """Read the markers of a WSQ file: dimensions, resolution and frame header.

    Walks every marker segment from start-of-image to end-of-image, so truncated or mangled
    files are refused here with a reason before any decoder sees them.

    Parameters
    ----------
    data : bytes
        A whole WSQ file.

    Returns
    -------
    WsqHeader

    Raises
    ------
    WsqError
        Not WSQ, truncated, no frame header, or a segment whose length runs past the end.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise WsqError(f"WSQ data must be bytes, got {type(data).__name__}")
    data = bytes(data)
    if not is_wsq(data):
        raise WsqError("not WSQ data: no start-of-image marker (FF A0)")
    at, frame, comments, blocks = 2, None, [], 0
    while True:
        if at + 2 > len(data):
            raise WsqError(f"truncated WSQ data: it ends at byte {len(data)} before its end marker")
        (marker,) = struct.unpack_from(">H", data, at)
        if marker == _EOI:
            break
        if marker not in _SEGMENTS:
            raise WsqError(f"bad WSQ data: unknown marker {marker:04X} at byte {at}")
        if at + 4 > len(data):
            raise WsqError(f"truncated WSQ data: marker {marker:04X} at byte {at} has no length")
        (length,) = struct.unpack_from(">H", data, at + 2)
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise WsqError(
                f"bad WSQ data: segment {marker:04X} at byte {at} says {length} bytes, "
                f"{len(data) - at - 2} remain"
            )
        body = data[at + 4 : end]
        if marker == _SOF:
            if len(body) != 15:
                raise WsqError(f"bad WSQ frame header: {len(body)} bytes, expected 15")
            frame = struct.unpack(">BBHHBHBHBH", body)
        elif marker == _COM:
            comments.append(body)
        if marker == _SOB:
            blocks += 1
            at = _next_marker(data, end)
        else:
            at = end
    if frame is None:
        raise WsqError("bad WSQ data: no frame header (FF A2)")
    if blocks == 0:
        raise WsqError("bad WSQ data: no image data block (FF A3)")
    black, white, rows, cols, em, m, er, r, encoder, software = frame
    if rows < 1 or cols < 1:
        raise WsqError(f"bad WSQ frame header: {cols}x{rows} pixels")
    ppi, bitrate = _nistcom(comments)
    return WsqHeader(
        rows=rows,
        cols=cols,
        ppi=ppi,
        bitrate=bitrate,
        black=black,
        white=white,
        shift=_scaled(em, m),
        scale=_scaled(er, r),
        encoder=encoder,
        software=software,
        size=len(data),
    )


def _nistcom(comments: list[bytes]) -> tuple[int | None, float | None]:
    """``PPI`` and ``WSQ_BITRATE`` of the ``NIST_COM`` comment, if there is one."""
    fields: dict[str, str] = {}
    for body in comments:
        if body.startswith(_NISTCOM):
            for line in body.decode("latin-1").splitlines():
                name, _, value = line.partition(" ")
                fields[name] = value.strip()
    try:
        ppi = int(fields["PPI"]) if "PPI" in fields else None
    except ValueError:
        ppi = None
    try:
        bitrate = float(fields["WSQ_BITRATE"]) if "WSQ_BITRATE" in fields else None
    except ValueError:
        bitrate = None
    return (ppi if ppi is not None and ppi > 0 else None), bitrate


def _with_ppi(data: bytes, ppi: int) -> bytes:
    """``data`` with the ``PPI`` line of its ``NIST_COM`` comment set to ``ppi``."""
    at = 2
    while at + 4 <= len(data):
        marker, length = struct.unpack_from(">HH", data, at)
        if marker == _COM and data[at + 4 : at + 4 + len(_NISTCOM)] == _NISTCOM:
            lines = data[at + 4 : at + 2 + length].split(b"\n")
            lines = [f"PPI {ppi}".encode() if ln.startswith(b"PPI ") else ln for ln in lines]
            body = b"\n".join(lines)
            segment = struct.pack(">HH", _COM, len(body) + 2) + body
            return data[:at] + segment + data[at + 2 + length :]
        if marker not in _SEGMENTS or marker == _SOB:
            break
        at += 2 + length
    raise WsqError("the encoder wrote no NIST_COM comment to carry the resolution")


def _codec() -> ModuleType:
    """The NBIS extension shipped by the ``wsq`` distribution (imported on first use)."""
    try:
        import _wsq  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise ImportError("WSQ needs the 'wsq' package (pip install wsq)") from exc
    return _wsq


def encode(image: np.ndarray, *, ppi: int = 500, bitrate: float = BITRATE) -> bytes:
    """Compress a grey fingerprint image with WSQ.

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        Grey levels, 0 black; each side at least ``MIN_SIDE``.
    ppi : int
        Scanning resolution written into the file's ``NIST_COM`` comment.
    bitrate : float
        Target bits per pixel; only ``BITRATE`` (0.75), the rate the codec is built for.

    Returns
    -------
    bytes
        A WSQ file.

    Raises
    ------
    ValueError
        Not a 2-D uint8 array, a side under ``MIN_SIDE``, too many pixels, a bad ``ppi`` or
        another bit rate.

    Examples
    --------
    >>> import numpy as np
    >>> rows, cols = np.mgrid[0:64, 0:64]
    >>> image = (128 + 100 * np.sin(rows / 2.0)).astype(np.uint8)
    >>> data = encode(image, ppi=500)
    >>> read_header(data).ppi, decode(data).shape
    (500, (64, 64))
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 2:
        what = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image)
        raise ValueError(f"image must be a 2-D uint8 array, got {what}")
    rows, cols = image.shape
    if min(rows, cols) < MIN_SIDE:
        raise ValueError(f"image is {cols}x{rows}: WSQ needs at least {MIN_SIDE} px a side")
    if rows * cols > MAX_PIXELS or max(rows, cols) > 0xFFFF:
        raise ValueError(f"image is too large for WSQ: {cols}x{rows} pixels")
    if isinstance(ppi, bool) or not isinstance(ppi, int | np.integer) or not 1 <= ppi <= 99999:
        raise ValueError(f"ppi must be a whole number 1-99999, got {ppi!r}")
    if bitrate != BITRATE:
        raise ValueError(f"bitrate must be {BITRATE} (the codec's fixed rate), got {bitrate!r}")
    pixels = np.ascontiguousarray(image).tobytes()
    try:
        data: bytes = _codec().compress(pixels, rows, cols, float(bitrate))
    except Exception as exc:  # NBIS reports failures as a bare Exception with a code
        raise WsqError(f"WSQ encoding of a {cols}x{rows} image failed: {exc}") from None
    if read_header(data).ppi != int(ppi):
        data = _with_ppi(data, int(ppi))
    return data


def decode(data: bytes) -> np.ndarray:
    """Decompress a WSQ file to a writable (M, N) uint8 array.

    The resolution and the frame header are in :func:`read_header`.

    Raises
    ------
    WsqError
        Not WSQ, truncated or corrupt data (the markers are read first, then NBIS decodes).
    """
    header = read_header(data)
    if header.rows * header.cols > MAX_PIXELS:
        raise WsqError(f"WSQ image is too large: {header.cols}x{header.rows} pixels")
    try:
        pixels, cols, rows, _ppi = _codec().decompress(bytes(data))
    except Exception as exc:  # NBIS reports failures as a bare Exception with a code
        raise WsqError(f"WSQ data does not decode: {exc}") from None
    if (rows, cols) != (header.rows, header.cols) or len(pixels) != rows * cols:
        raise WsqError(
            f"WSQ data decoded to {cols}x{rows}, its frame header says {header.cols}x{header.rows}"
        )
    return np.frombuffer(pixels, np.uint8).reshape(rows, cols).copy()
