"""Loading and saving fingerprint images.

``load`` accepts PNG, TIFF, BMP, JPEG and PGM files and returns an 8-bit grey array: colour
is converted to luminance (ITU-R BT.601 weights, Pillow's ``L`` mode), transparency is laid on
white (an empty platen), and 16-bit images are scaled to 8 bits. Anything else is refused with
an ``ImageError`` that says why.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

__all__ = ["FORMATS", "MAX_PIXELS", "ImageError", "load", "save"]

FORMATS = ("PNG", "TIFF", "BMP", "JPEG", "PPM")  # Pillow names PGM files "PPM"
#: Largest image accepted: 40 megapixels (a 1000 ppi four-finger slap is about 10).
MAX_PIXELS = 40_000_000


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


def load(path: str | Path) -> np.ndarray:
    """Read a fingerprint image file as an 8-bit grey array.

    Parameters
    ----------
    path : str or pathlib.Path
        PNG, TIFF, BMP, JPEG or PGM file.

    Returns
    -------
    image : (M, N) ndarray of uint8
        Grey levels, 0 black.

    Raises
    ------
    ImageError
        Missing, empty, corrupt, oversized or unsupported file, with the reason.
    """
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
                img.load()
                grey = _to_grey(img)
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{path}: not a readable image (corrupt or unknown format)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{path}: the image is damaged ({exc})") from None
    if grey.ndim != 2 or min(grey.shape) < 1:
        raise ImageError(f"{path}: the image has no pixels")
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
