"""The sequence check as a report: each slap segment beside its rolled print, pass or fail,
and the matcher score (the Review page shows it; the officer sees which fingers disagree).

The rows are plain data (:func:`report_rows`, no Qt); :class:`SequenceReport` draws them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from station.core.vocabulary import FINGERS

from . import theme
from .imaging import to_pixmap

__all__ = ["ReportRow", "SequenceReport", "report_rows"]

log = logging.getLogger(__name__)

#: Longest side of a print in the report (px).
_SIDE = 72


@dataclass(frozen=True)
class ReportRow:
    """One finger of the sequence check.

    Attributes
    ----------
    finger : str
        ``R1`` … ``L5``.
    verdict : {'pass', 'fail', 'not checked'}
    score : float or None
        Rolled print against its own slap segment (None when not compared).
    note : str
        What else the officer should know (``"looks swapped with R3"``), or ``""``.
    """

    finger: str
    verdict: str
    score: float | None
    note: str = ""

    @property
    def text(self) -> str:
        """The row in words, e.g. ``'R2 fail 0.012 — looks swapped with R3'``."""
        score = "" if self.score is None else f" {self.score:.3f}"
        return f"{self.finger} {self.verdict}{score}" + (f" — {self.note}" if self.note else "")


def report_rows(sequence: Mapping[str, Any] | None) -> list[ReportRow]:
    """The report's rows from a sequence-check result (``SequenceResult.as_dict()``), in
    card order.

    Parameters
    ----------
    sequence : mapping, optional
        ``scores``, ``mismatched``, ``swaps``, ``unchecked``; None: no check yet.

    Returns
    -------
    list of ReportRow
        One per finger that was compared or could not be (fingers absent from the result are
        left out).

    Examples
    --------
    >>> rows = report_rows({"scores": {"R2": 0.01, "R3": 0.02, "R4": 0.6},
    ...     "mismatched": ["R2", "R3"], "swaps": [["R2", "R3"]], "unchecked": ["L5"]})
    >>> [row.text for row in rows]  # doctest: +NORMALIZE_WHITESPACE
    ['R2 fail 0.010 — looks swapped with R3', 'R3 fail 0.020 — looks swapped with R2',
     'R4 pass 0.600', 'L5 not checked — no slap segment or no rolled print']
    """
    if not sequence:
        return []
    scores = {str(f): float(s) for f, s in dict(sequence.get("scores") or {}).items()}
    mismatched = {str(f) for f in sequence.get("mismatched") or ()}
    unchecked = {str(f) for f in sequence.get("unchecked") or ()}
    partner: dict[str, str] = {}
    for a, b in sequence.get("swaps") or ():
        partner[str(a)], partner[str(b)] = str(b), str(a)
    rows = []
    for finger in FINGERS:
        if finger in scores:
            verdict = "fail" if finger in mismatched else "pass"
            note = f"looks swapped with {partner[finger]}" if finger in partner else ""
            if verdict == "fail" and not note:
                note = "does not match its slap segment"
            rows.append(ReportRow(finger, verdict, scores[finger], note))
        elif finger in unchecked:
            rows.append(
                ReportRow(finger, "not checked", None, "no slap segment or no rolled print")
            )
    return rows


def _thumb(image: np.ndarray | None) -> QLabel:
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setFixedSize(_SIDE + 4, _SIDE + 4)
    label.setStyleSheet("background: #f4f6f9; border: 1px solid #c3ccd7;")
    if image is None:
        label.setText("—")
        return label
    # smooth scaling: striding a ridge pattern down would draw moiré, not the print
    label.setPixmap(
        to_pixmap(image).scaled(
            _SIDE,
            _SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    )
    return label


class SequenceReport(QWidget):
    """Each slap segment beside its rolled print, with pass / fail and the score.

    Columns are fingers in card order; the rows are the slap segment, the rolled print and the
    verdict (the word and the score, coloured; the word carries the meaning).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sequenceReport")
        self.setAccessibleName("Sequence check report")
        self.rows: list[ReportRow] = []
        self.summary = QLabel("Sequence check: after the slaps")
        self.summary.setObjectName("sequenceReportSummary")
        self.summary.setWordWrap(True)
        self._grid_host = QWidget()
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(6)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self._grid_host)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)

    def set_result(
        self,
        sequence: Mapping[str, Any] | None,
        segments: Mapping[str, np.ndarray | None],
        rolled: Mapping[str, np.ndarray | None],
    ) -> None:
        """Show a sequence-check result with the segment and rolled images of each finger.

        Parameters
        ----------
        sequence : mapping, optional
            ``SequenceResult.as_dict()``; None before the slaps.
        segments, rolled : mapping of str to ndarray or None
            Finger → slap segment / rolled print (grey uint8).
        """
        self.rows = report_rows(sequence)
        while self._grid.count():
            item = self._grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().deleteLater()
        if not sequence:
            self.summary.setText("Sequence check: after the slaps (none taken yet)")
            return
        self.summary.setText(str(sequence.get("message") or ""))
        for caption, row in (("Slap segment", 1), ("Rolled print", 2)):
            self._grid.addWidget(QLabel(caption), row, 0)
        for col, r in enumerate(self.rows, start=1):
            head = QLabel(f"<b>{r.finger}</b>")
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._grid.addWidget(head, 0, col)
            self._grid.addWidget(_thumb(segments.get(r.finger)), 1, col)
            self._grid.addWidget(_thumb(rolled.get(r.finger)), 2, col)
            mark = {"pass": "✓ pass", "fail": "✗ FAIL"}.get(r.verdict, "– not checked")
            score = "" if r.score is None else f"\n{r.score:.3f}"
            verdict = QLabel(mark + score)
            verdict.setObjectName(f"sequenceVerdict{r.finger}")
            verdict.setAlignment(Qt.AlignmentFlag.AlignCenter)
            colour = {"pass": theme.GREEN, "fail": theme.RED}.get(r.verdict, theme.MUTED)
            verdict.setStyleSheet(f"color: {colour}; font-weight: bold;")
            verdict.setToolTip(r.text)
            self._grid.addWidget(verdict, 3, col)
        self._grid.setColumnStretch(len(self.rows) + 1, 1)
        self._grid.setRowStretch(4, 1)
