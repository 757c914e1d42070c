"""Capture sources behind one interface: the emulated live-scan scanner and image files.

Python, numpy and scipy, no Qt: the GUI drives a source from a timer or a worker thread.
:class:`~station.scanner.base.CaptureSource` is the interface; :class:`MockScanner` emulates
a live-scan device with a synthetic subject on the platen and scripted faults;
:class:`ImageFileSource` reads a folder of prints assigned to slots by file name.
"""

from __future__ import annotations

from .base import (
    Capture,
    CaptureSource,
    Frame,
    PlatenEmpty,
    ScannerDisconnected,
    ScannerError,
    ScannerTimeout,
)
from .files import ImageFileSource
from .mock import MockScanner, MockSettings, ScannerFaults
from .scenarios import SCENARIOS, PlatenSubject, setup_scenario

__all__ = [
    "SCENARIOS",
    "Capture",
    "CaptureSource",
    "Frame",
    "ImageFileSource",
    "MockScanner",
    "MockSettings",
    "PlatenEmpty",
    "PlatenSubject",
    "ScannerDisconnected",
    "ScannerError",
    "ScannerFaults",
    "ScannerTimeout",
    "setup_scenario",
]
