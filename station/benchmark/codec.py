"""``station bench --only wsq``: WSQ compression ratio and PSNR on fingerprint images.

Three sets: synthetic rolled prints (800 x 750), the prints of an FVC-style folder, and the
folder's ``wsq/`` files written by another WSQ encoder (NBIS), decoded here and compared with
the folder's images. Files that were encoded from a shifted copy of the image (a header read as
pixels, for instance) are found by searching the raster offset that best aligns them.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["CodecFigures", "NbisFile", "nbis_files", "psnr", "round_trips", "synthetic_rolled"]

#: Largest raster offset (pixels) searched when aligning another encoder's file.
MAX_OFFSET = 64


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two 8-bit images in dB (``inf`` when equal).

    Examples
    --------
    >>> a = np.zeros((2, 2), np.uint8)
    >>> b = a.copy(); b[0, 0] = 255
    >>> round(psnr(a, b), 2)
    6.02
    """
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} and {b.shape}")
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


@dataclass(frozen=True)
class CodecFigures:
    """Ratio and PSNR over a set of images (median, min, max)."""

    images: int
    ratio: tuple[float, float, float]
    psnr: tuple[float, float, float]

    def to_json(self) -> dict:
        return {"images": self.images, "ratio": list(self.ratio), "psnr_db": list(self.psnr)}


def _spread(values: Sequence[float]) -> tuple[float, float, float]:
    return (float(statistics.median(values)), float(min(values)), float(max(values)))


def round_trips(images: Sequence[np.ndarray]) -> CodecFigures:
    """Encode and decode each image with :mod:`station.interchange.wsq` (0.75 bpp)."""
    from ..interchange import wsq

    ratios, psnrs = [], []
    for image in images:
        data = wsq.encode(image, ppi=500)
        ratios.append(image.size / len(data))
        psnrs.append(psnr(image, wsq.decode(data)))
    return CodecFigures(len(ratios), _spread(ratios), _spread(psnrs))


def synthetic_rolled(count: int, *, first_subject: int = 40_000) -> list[np.ndarray]:
    """``count`` synthetic rolled prints (800 x 750), one finger of each of ``count`` subjects."""
    from ..core.synth import impression
    from ..core.vocabulary import FINGERS

    return [
        impression(first_subject + i, FINGERS[i % 10], 0, kind="rolled")[0] for i in range(count)
    ]


@dataclass(frozen=True)
class NbisFile:
    """Another encoder's WSQ file compared with the image it should hold.

    Attributes
    ----------
    name : str
    ratio : float
    bitrate : float or None
        ``WSQ_BITRATE`` the file declares.
    ppi : int or None
        Resolution the file declares.
    psnr : float
        Decoded file against the image as it is.
    offset : int
        Raster offset (pixels) that best aligns the decoded file with the image: decoded pixel
        ``k + offset`` holds image pixel ``k`` in row-major order.
    psnr_aligned : float
        PSNR at that offset, over the pixels both hold.
    """

    name: str
    ratio: float
    bitrate: float | None
    ppi: int | None
    psnr: float
    offset: int
    psnr_aligned: float


def nbis_files(folder: Path, paths: Sequence[Path]) -> list[NbisFile]:
    """Decode ``folder/wsq/<stem>.wsq`` for each image path that has one and compare."""
    from ..core.image import load
    from ..interchange import wsq

    out = []
    for path in paths:
        other = folder / "wsq" / f"{path.stem}.wsq"
        if not other.is_file():
            continue
        data = other.read_bytes()
        header = wsq.read_header(data)
        decoded = wsq.decode(data).ravel()
        image = load(path).ravel()
        if decoded.size != image.size:
            continue
        scores = [psnr(decoded[k:], image[: image.size - k]) for k in range(MAX_OFFSET + 1)]
        best = int(np.argmax(scores))
        out.append(
            NbisFile(
                other.name,
                header.ratio,
                header.bitrate,
                header.ppi,
                scores[0],
                best,
                scores[best],
            )
        )
    return out
