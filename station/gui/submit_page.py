"""Step 4, Submit: progress while the search runs on a worker."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from .widgets import plain

__all__ = ["SubmitPage"]


class SubmitPage(QWidget):
    """Shows the search in progress: what is searched and for how long."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("submitPage")
        self.title = plain(QLabel("Submitting…"))
        self.title.setObjectName("pageTitle")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = plain(QLabel())
        self.detail.setObjectName("searchStatusLabel")
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setObjectName("searchProgress")
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.elapsed = QLabel()
        self.elapsed.setObjectName("searchElapsedLabel")
        self.elapsed.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        layout.addWidget(self.progress)
        layout.addWidget(self.elapsed)
        layout.addStretch(2)
        self._start = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._tick)

    def start(self, title: str, detail: str) -> None:
        """Show a running step."""
        self.title.setText(title)
        self.detail.setText(detail)
        self.progress.setRange(0, 0)
        self._start = time.perf_counter()
        self._tick()
        self._timer.start()

    def stop(self) -> None:
        """The step ended."""
        self._timer.stop()
        self.progress.setRange(0, 1)
        self.progress.setValue(1)

    def _tick(self) -> None:
        self.elapsed.setText(f"{time.perf_counter() - self._start:.1f} s")
