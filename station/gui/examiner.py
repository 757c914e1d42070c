"""The examiner view: probe and candidate prints side by side, matched minutiae joined.

Images and templates are read from the gallery on the GUI thread by the caller; the
comparison (:func:`station.core.match.comparison`) runs in :func:`match_pairs`, a pure
function for a worker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from station.core.match import comparison, prepare
from station.core.template import Template

from .imaging import to_pixmap

__all__ = ["MatchResult", "MatchView", "match_pairs"]


@dataclass(frozen=True)
class MatchResult:
    """Matched minutiae of two prints (plain data).

    Attributes
    ----------
    score : float
        1:1 similarity 0..1.
    probe_xy, candidate_xy : (P, 2) ndarray of float
        Pixel coordinates (x, y) of the matched minutiae, pair by pair.
    probe_all, candidate_all : (N, 2) ndarray of float
        All minutiae of each print (x, y).
    """

    score: float
    probe_xy: np.ndarray
    candidate_xy: np.ndarray
    probe_all: np.ndarray
    candidate_all: np.ndarray


def match_pairs(probe: Template, candidate: Template) -> MatchResult:
    """Compare two templates and return the matched minutiae coordinates (pure).

    Parameters
    ----------
    probe, candidate : Template

    Returns
    -------
    MatchResult
    """
    result = comparison(probe, candidate)
    a = prepare(probe).minutiae
    b = prepare(candidate).minutiae
    pairs = np.asarray(result.pairs, int).reshape(-1, 2)
    return MatchResult(
        score=float(result.score),
        probe_xy=np.asarray(a[pairs[:, 0], :2], float) if len(pairs) else np.zeros((0, 2)),
        candidate_xy=np.asarray(b[pairs[:, 1], :2], float) if len(pairs) else np.zeros((0, 2)),
        probe_all=np.asarray(probe.minutiae[:, :2], float),
        candidate_all=np.asarray(candidate.minutiae[:, :2], float),
    )


class MatchView(QWidget):
    """Paints the probe (left) and the candidate (right) with matched minutiae joined."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("examinerView")
        self.setAccessibleName("Examiner comparison view")
        self.setMinimumSize(360, 220)
        self.probe: QPixmap | None = None
        self.candidate: QPixmap | None = None
        self.result: MatchResult | None = None
        self.message = "Select a candidate to compare"

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(640, 340)

    def set_prints(
        self,
        probe: np.ndarray | None,
        candidate: np.ndarray | None,
        result: MatchResult | None,
        message: str = "",
    ) -> None:
        """Show two prints and their matched minutiae (``None``: nothing to show)."""
        self.probe = None if probe is None else to_pixmap(probe)
        self.candidate = None if candidate is None else to_pixmap(candidate)
        self.result = result
        self.message = message
        self.update()

    def _place(self, pixmap: QPixmap, box: QRectF) -> QRectF:
        scale = min(box.width() / pixmap.width(), box.height() / pixmap.height())
        w, h = pixmap.width() * scale, pixmap.height() * scale
        return QRectF(box.x() + (box.width() - w) / 2, box.y() + (box.height() - h) / 2, w, h)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.fillRect(self.rect(), QColor("#1d2733"))
        header = self.fontMetrics().height() + 8
        half = self.width() / 2
        boxes = (
            QRectF(4, header, half - 8, self.height() - header - 4),
            QRectF(half + 4, header, half - 8, self.height() - header - 4),
        )
        painter.setPen(QColor("#e8eef5"))
        painter.drawText(QRectF(4, 2, half - 8, header), Qt.AlignmentFlag.AlignCenter, "PROBE")
        painter.drawText(
            QRectF(half + 4, 2, half - 8, header), Qt.AlignmentFlag.AlignCenter, "CANDIDATE"
        )
        placed: list[QRectF | None] = []
        for pixmap, box in zip((self.probe, self.candidate), boxes, strict=True):
            if pixmap is None or pixmap.isNull():
                placed.append(None)
                continue
            target = self._place(pixmap, box)
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
            placed.append(target)
        if self.result is not None and placed[0] is not None and placed[1] is not None:
            self._paint_minutiae(painter, placed[0], placed[1])
        if self.message and self.result is None:
            painter.setPen(QColor("#ffd37a"))
            painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, self.message)
        painter.end()

    def _paint_minutiae(self, painter: QPainter, left: QRectF, right: QRectF) -> None:
        assert self.result is not None and self.probe is not None and self.candidate is not None
        sx_a = left.width() / self.probe.width()
        sx_b = right.width() / self.candidate.width()

        def at(rect: QRectF, scale: float, xy: np.ndarray) -> QPointF:
            return QPointF(rect.x() + xy[0] * scale, rect.y() + xy[1] * scale)

        painter.setPen(QPen(QColor(120, 160, 220, 150), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for xy in self.result.probe_all:
            painter.drawEllipse(at(left, sx_a, xy), 2.5, 2.5)
        for xy in self.result.candidate_all:
            painter.drawEllipse(at(right, sx_b, xy), 2.5, 2.5)
        line = QPen(QColor(60, 220, 120, 200), 1.2)
        dot = QPen(QColor(60, 220, 120), 2)
        for a, b in zip(self.result.probe_xy, self.result.candidate_xy, strict=True):
            pa, pb = at(left, sx_a, a), at(right, sx_b, b)
            painter.setPen(line)
            painter.drawLine(pa, pb)
            painter.setPen(dot)
            painter.drawEllipse(pa, 4, 4)
            painter.drawEllipse(pb, 4, 4)
