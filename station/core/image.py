"""Loading and saving fingerprint images.

``load`` accepts PNG, TIFF, BMP, JPEG and PGM files and returns an 8-bit grey array: colour
is converted to luminance (ITU-R BT.601 weights, Pillow's ``L`` mode), transparency is laid on
white (an empty platen), and 16-bit images are scaled to 8 bits. Anything else is refused with
an ``ImageError`` that says why.

The image comes back upright and at 500 ppi, the resolution the station works at:

* the EXIF orientation tag (JPEG, TIFF, PNG ``eXIf``), when there is one, is applied
  (``PIL.ImageOps.exif_transpose``; Pillow turns a TIFF as it decodes it), so a print stored
  sideways with a "rotate 90" tag is read as the scanner saw it;
* the resolution the file records (PNG ``pHYs`` in pixels per metre, TIFF ``XResolution`` /
  ``YResolution``, JPEG JFIF density, as Pillow reports it in ``info["dpi"]``) is honoured:
  the image is resampled to 500 ppi as the extractor resamples
  (:func:`station.core.extract.preprocess.resample`). A resolution from 250 to 2000 ppi is
  accepted; anything else (e.g. the 72 or 96 "dpi" of a screen image), or different horizontal
  and vertical resolutions, is refused with the reason. Within 1 % of 500 ppi is 500 ppi
  (``pHYs`` stores whole pixels per metre, so 500 ppi reads as 499.999).
* A file that records no resolution (or only an aspect ratio), and any BMP or PGM file, is
  assumed to be 500 ppi.
"""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .extract.preprocess import resample

__all__ = [
    "FORMATS",
    "MAX_PIXELS",
    "MAX_PPI",
    "MIN_PPI",
    "PPI",
    "ImageError",
    "file_resolution",
    "load",
    "save",
]

FORMATS = ("PNG", "TIFF", "BMP", "JPEG", "PPM")  # Pillow names PGM files "PPM"
#: Largest image accepted: 40 megapixels (a 1000 ppi four-finger slap is about 10).
MAX_PIXELS = 40_000_000
#: The station's working resolution (pixels per inch); ``load`` returns images at it.
PPI = 500
#: Plausible resolutions of a fingerprint image file; outside them a file is refused.
MIN_PPI, MAX_PPI = 250, 2000
#: Relative difference from :data:`PPI` read as :data:`PPI` (rounding in the file format).
_PPI_TOLERANCE = 0.01


class ImageError(ValueError):
    """An image file that cannot be used as a fingerprint image."""


def _to_grey(img: Image.Image) -> np.ndarray:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        data = np.asarray(img, dtype=np.float64)
        top = data.max() if data.size else 0.0
        scale = 255.0 / (65535.0 if top > 255 else max(top, 1.0))
        return np.clip(np.rint(data * scale), 0, 255).astype(np.uint8)
    if img.mode == "F":
        data = np.asarray(img, dtype=np.float64)
        if not np.isfinite(data).all():
            raise ImageError("image has NaN or infinite pixel values")
        lo, hi = float(data.min()), float(data.max())
        return np.clip(np.rint((data - lo) * (255.0 / max(hi - lo, 1e-12))), 0, 255).astype(
            np.uint8
        )
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    return np.asarray(img.convert("L"), dtype=np.uint8)


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation the file records (1, upright, when none or unreadable)."""
    try:
        value = img.getexif().get(0x0112, 1)
    except (OSError, SyntaxError, ValueError, struct.error):
        return 1
    return value if isinstance(value, int) else 1


def _info(img: Image.Image) -> dict:
    """``img.info`` without a "dpi" the file does not record.

    Pillow reports 1 x 1 for a TIFF with no resolution tags, and 72 x 72 for a JPEG with an
    EXIF block but no resolution in it nor in its JFIF header; neither is the file's word. A
    BMP header always holds a resolution, nearly always a screen's default: it is ignored.
    """
    info = dict(img.info)
    if img.format == "BMP":  # always written, rarely meant (Pillow writes 96, Windows 72 or 0)
        info.pop("dpi", None)
    elif img.format == "TIFF":
        tags = getattr(img, "tag_v2", None)
        if tags is not None and 282 not in tags:  # XResolution
            info.pop("dpi", None)
    elif (
        img.format == "JPEG"
        and info.get("jfif_unit") not in (1, 2)
        and 0x011A not in img.getexif()  # EXIF XResolution
    ):
        info.pop("dpi", None)
    return info


def file_resolution(info: dict, *, name: str = "image") -> int | None:
    """The resolution an image file records, in whole pixels per inch (``None``: none).

    Parameters
    ----------
    info : dict
        Pillow's ``Image.info`` of the opened file.
    name : str
        How to name the file in an error.

    Returns
    -------
    ppi : int or None
        Pixels per inch (500 when within 1 % of it), or ``None`` when the file says nothing.

    Raises
    ------
    ImageError
        Different horizontal and vertical resolutions, or one outside 250–2000 ppi.

    Examples
    --------
    >>> file_resolution({"dpi": (499.999, 499.999)})
    500
    >>> file_resolution({}) is None
    True
    """
    dpi = info.get("dpi")
    if dpi is None:
        return None
    try:
        across, down = (float(v) for v in dpi)
    except (TypeError, ValueError):
        raise ImageError(f"{name}: the resolution it records is unreadable ({dpi!r})") from None
    if not (np.isfinite(across) and np.isfinite(down)) or across <= 0 or down <= 0:
        raise ImageError(f"{name}: the resolution it records is not a resolution ({dpi!r})")
    if abs(across - down) > _PPI_TOLERANCE * max(across, down):
        raise ImageError(
            f"{name}: {across:g} ppi across but {down:g} ppi down — a fingerprint image must "
            "have square pixels; rescan it or resample it to 500 ppi"
        )
    ppi = (across + down) / 2
    if abs(ppi - PPI) <= _PPI_TOLERANCE * PPI:
        return PPI
    if not MIN_PPI <= ppi <= MAX_PPI:
        raise ImageError(
            f"{name}: the file says {ppi:g} ppi, not a fingerprint scan's resolution "
            f"({MIN_PPI}–{MAX_PPI} ppi); rescan it, or save it at its real resolution"
        )
    return round(ppi)


def load(path: str | Path, *, dpi: int | None = None) -> np.ndarray:
    """Read a fingerprint image file as an 8-bit grey array, upright, at 500 ppi.

    Parameters
    ----------
    path : str or pathlib.Path
        PNG, TIFF, BMP, JPEG or PGM file.
    dpi : int, optional
        The file's resolution when the caller knows better than the file (250–2000). Default:
        the resolution the file records, and 500 ppi when it records none.

    Returns
    -------
    image : (M, N) ndarray of uint8
        Grey levels, 0 black, at 500 ppi, turned as the EXIF orientation tag says.

    Raises
    ------
    ImageError
        Missing, empty, corrupt, oversized, animated or unsupported file, or an implausible
        resolution, with the reason.
    """
    if dpi is not None and (
        isinstance(dpi, bool) or not isinstance(dpi, int) or not MIN_PPI <= dpi <= MAX_PPI
    ):
        raise ValueError(f"dpi must be a whole number from {MIN_PPI} to {MAX_PPI}, got {dpi!r}")
    path = Path(path)
    if not path.is_file():
        raise ImageError(f"{path}: no such image file")
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.format not in FORMATS:
                    raise ImageError(
                        f"{path}: {img.format} images are not supported (use PNG, TIFF, BMP, "
                        "JPEG or PGM)"
                    )
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise ImageError(
                        f"{path}: {width}x{height} pixels is too large "
                        f"(at most {MAX_PIXELS // 1_000_000} megapixels)"
                    )
                frames = int(getattr(img, "n_frames", 1))
                if frames > 1:
                    raise ImageError(
                        f"{path}: the file holds {frames} images; save the print alone"
                    )
                ppi = dpi if dpi is not None else file_resolution(_info(img), name=str(path))
                if (
                    img.format == "TIFF"
                    and img.info.get("compression") == "raw"
                    and _orientation(img) in (5, 6, 7, 8)
                ):
                    # Pillow turns a TIFF upright as it decodes it (and drops the tag), but
                    # misreads an uncompressed one stored turned a quarter.
                    raise ImageError(
                        f"{path}: an uncompressed TIFF stored turned a quarter (EXIF orientation "
                        f"{_orientation(img)}) cannot be read reliably; save it upright or "
                        "compressed (LZW)"
                    )
                img.load()
                upright = ImageOps.exif_transpose(img)
                grey = _to_grey(upright)
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: not a readable image (corrupt or unknown format)") from None
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise ImageError(f"{path}: the image is damaged ({exc})") from None
    if grey.ndim != 2 or min(grey.shape) < 1:
        raise ImageError(f"{path}: the image has no pixels")
    if ppi is not None and ppi != PPI:
        scaled = resample(grey.astype(np.float32), ppi, PPI)
        if min(scaled.shape) < 1:
            raise ImageError(f"{path}: the image has no pixels at {PPI} ppi")
        grey = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    return grey


def save(path: str | Path, image: np.ndarray) -> Path:
    """Write an 8-bit grey (or RGB) array to ``path``; the suffix picks the format."""
    path = Path(path)
    array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim not in (2, 3):
        raise ValueError(f"save expects a uint8 grey or RGB array, got {array.dtype} {array.shape}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        Image.fromarray(array).save(path)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{path}: cannot write this file type ({exc})") from None
    return path
