"""numpy images to Qt images (grey or RGB, copied so Qt owns the pixels)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap

__all__ = ["to_pixmap", "to_qimage"]


def to_qimage(image: np.ndarray) -> QImage:
    """A ``QImage`` copy of a grey ``(M, N)`` or RGB ``(M, N, 3)`` uint8 array.

    Parameters
    ----------
    image : (M, N) or (M, N, 3) ndarray of uint8

    Returns
    -------
    QImage
        Independent of ``image`` (safe to keep after the array goes away).
    """
    array = np.ascontiguousarray(image, dtype=np.uint8)
    if array.ndim == 2:
        rows, cols = array.shape
        fmt = QImage.Format.Format_Grayscale8
        stride = cols
    elif array.ndim == 3 and array.shape[2] == 3:
        rows, cols = array.shape[:2]
        fmt = QImage.Format.Format_RGB888
        stride = 3 * cols
    else:
        raise ValueError(f"expected a grey or RGB image, got shape {array.shape}")
    return QImage(array.data, cols, rows, stride, fmt).copy()


def to_pixmap(image: np.ndarray) -> QPixmap:
    """A ``QPixmap`` of a grey or RGB uint8 array (see :func:`to_qimage`)."""
    return QPixmap.fromImage(to_qimage(image))
