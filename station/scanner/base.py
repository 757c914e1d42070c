"""What every capture source shares: the capture record, preview frames, errors and slots.

A capture source is anything that turns a slot — a finger position and an impression type —
into an image: the emulated live-scan scanner (:mod:`station.scanner.mock`) or a folder of
image files (:mod:`station.scanner.files`). Nothing here imports Qt; the GUI drives the
sources from a timer or a worker thread and shows their errors' messages as they are.

Slots follow ANSI/NIST-ITL 1-2011 (Table 8, finger positions): the ten fingers ``R1``–``L5``
(FGP 1–10) rolled or plain, and the three plain "4-4-2" slaps ``RS`` (right four fingers,
FGP 13), ``LS`` (left four fingers, FGP 14) and ``TS`` (both thumbs, FGP 15).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

import numpy as np

from ..core.vocabulary import FINGERS, IMPRESSIONS, SLAP_FINGERS, SLAPS

__all__ = [
    "Box",
    "Capture",
    "CaptureSource",
    "Frame",
    "PlatenEmpty",
    "ScannerDisconnected",
    "ScannerError",
    "ScannerTimeout",
    "utc_now",
    "validate_slot",
]

#: A finger's box in a slap image: ``(row0, col0, row1, col1)`` in pixels, ends exclusive, so
#: ``image[row0:row1, col0:col1]`` is the finger.
Box = tuple[int, int, int, int]


def utc_now() -> str:
    """The current time as ISO-8601 UTC with seconds, e.g. ``2009-10-27T14:03:11+00:00``."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def validate_slot(finger: str, impression: str) -> tuple[str, str]:
    """Return the canonical ``(finger, impression)`` of a slot or raise ``ValueError``.

    Parameters
    ----------
    finger : str
        ``R1``–``R5``, ``L1``–``L5`` or a slap code ``RS``, ``LS``, ``TS`` (any case).
    impression : {'rolled', 'flat'}
        Impression type. Slaps are always ``'flat'`` (plain).

    Returns
    -------
    slot : tuple of str
        Upper-case finger or slap code and impression type.
    """
    code = finger.strip().upper() if isinstance(finger, str) else None
    if code not in FINGERS and code not in SLAPS:
        raise ValueError(
            f"unknown finger {finger!r}: use one of {', '.join(FINGERS)} or a slap "
            f"{', '.join(SLAPS)}"
        )
    kind = impression.strip().lower() if isinstance(impression, str) else None
    if kind not in IMPRESSIONS:
        raise ValueError(f"unknown impression {impression!r}: use 'rolled' or 'flat'")
    if code in SLAPS and kind != "flat":
        raise ValueError(f"slap {code} is a plain impression: ask for 'flat', not {kind!r}")
    return code, kind


class ScannerError(RuntimeError):
    """A capture failed; ``str(error)`` tells the officer what happened and what to do next."""

    default_message = "The capture failed — check the scanner and press Capture again"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class ScannerDisconnected(ScannerError):  # noqa: N818 (device-event names)
    """The scanner is not connected (unplugged, powered off, or lost during a capture)."""

    default_message = "Scanner disconnected — reconnect it and press Capture again"


class ScannerTimeout(ScannerError):  # noqa: N818 (device-event names)
    """The finger never held still long enough for the scanner to take the print."""

    default_message = (
        "No steady print — press the finger flat on the platen, hold it still, and press "
        "Capture again"
    )


class PlatenEmpty(ScannerError):  # noqa: N818 (device-event names)
    """Nothing was placed on the platen (for example an amputated finger)."""

    default_message = (
        "No finger on the platen — if the finger is missing or cannot be printed, annotate it "
        "(XX amputated, UP unable to print) and go on to the next finger"
    )


@dataclass(frozen=True)
class Capture:
    """One captured print, as a source hands it to the booking.

    Attributes
    ----------
    image : (M, N) ndarray of uint8
        The print at 500 ppi, dark ridges on a light background; read-only.
    finger : str
        ``R1``–``L5``, or ``RS``, ``LS``, ``TS`` for a slap.
    impression : {'rolled', 'flat'}
        Impression type.
    device : str
        Who made the image (scanner model, or the file it came from).
    captured_at : str
        ISO-8601 UTC time of the capture.
    segments : tuple of (str, Box)
        For a slap, each finger on it with its box ``(row0, col0, row1, col1)`` in ``image``
        (pixels, ends exclusive), left to right; a finger missing from the slap is left out.
        Empty for a single finger, or when a slap file could not be segmented.
    annotation : str or None
        A note from the source for the officer, e.g. ``"L4 not on the platen"``.
    """

    image: np.ndarray
    finger: str
    impression: str
    device: str
    captured_at: str
    segments: tuple[tuple[str, Box], ...] = ()
    annotation: str | None = None

    def __post_init__(self) -> None:
        finger, impression = validate_slot(self.finger, self.impression)
        image = np.asarray(self.image)
        if image.dtype != np.uint8 or image.ndim != 2 or min(image.shape) < 1:
            raise ValueError(
                f"a capture image must be a 2-D uint8 array, got {image.dtype} {image.shape}"
            )
        if image.flags.writeable:
            image = image.copy()
            image.flags.writeable = False
        rows, cols = image.shape
        segments = tuple((str(f), tuple(int(v) for v in box)) for f, box in self.segments)
        for code, (r0, c0, r1, c1) in segments:
            if code not in SLAP_FINGERS.get(finger, ()):
                raise ValueError(f"segment {code!r} is not a finger of slap {finger}")
            if not (0 <= r0 < r1 <= rows and 0 <= c0 < c1 <= cols):
                raise ValueError(f"segment {code} box {(r0, c0, r1, c1)} is outside the image")
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "finger", finger)
        object.__setattr__(self, "impression", impression)
        object.__setattr__(self, "segments", segments)

    @property
    def is_slap(self) -> bool:
        """True for a slap (``RS``, ``LS``, ``TS``)."""
        return self.finger in SLAPS

    def segment(self, finger: str) -> np.ndarray:
        """The part of a slap image showing ``finger`` (a read-only view).

        Raises
        ------
        KeyError
            ``finger`` has no segment in this capture.
        """
        for code, (r0, c0, r1, c1) in self.segments:
            if code == finger.strip().upper():
                return self.image[r0:r1, c0:c1]
        raise KeyError(f"{finger} has no segment in this {self.finger} capture")


@dataclass(frozen=True)
class Frame:
    """One live-preview frame from a scanner.

    Attributes
    ----------
    image : (M, N) ndarray of uint8
        Preview image (smaller than the capture: downsampled for display).
    finger_present : bool
        A finger touches the platen.
    stable : bool
        The print has settled: an auto-capture may take it now.
    contrast : float
        Ridge contrast reached, 0 (nothing on the platen) … 1 (full pressure).
    index : int
        Frame number since the placement started (0 first); at the scanner's ``fps``.
    """

    image: np.ndarray
    finger_present: bool
    stable: bool
    contrast: float
    index: int


@runtime_checkable
class CaptureSource(Protocol):
    """Anything the booking can take prints from."""

    @property
    def name(self) -> str:
        """Short name for the status bar."""
        ...

    @property
    def connected(self) -> bool:
        """True when :meth:`capture` can be called."""
        ...

    def capture(self, finger: str, impression: str) -> Capture:
        """Capture a slot; raises :class:`ScannerError` (or a subclass) with a readable message."""
        ...
