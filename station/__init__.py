"""Booking Station: a live-scan fingerprint booking station emulator.

Layers (data flows one way): ``scanner`` → ``core`` → ``gallery`` → ``gui``.
``station.core`` and ``station.gallery`` never import Qt.
"""

__version__ = "0.1.0"
