"""A capture source that reads prints from image files (a folder of a booking's prints).

Each file goes to a slot by its name, read as tokens split at anything that is not a letter or
a digit (``subject_r1_rolled.tif`` is ``subject``, ``r1``, ``rolled``), case-insensitive:

* a finger code ``R1``–``R5``, ``L1``–``L5``, or a slap code ``RS``, ``LS``, ``TS``;
* otherwise a finger position code (FGP, ANSI/NIST-ITL 1-2011 Table 8) written ``fgp3`` or
  ``fgp_3``; otherwise a bare two-digit token ``01``–``15``. FGP 1–10 are the ten fingers,
  11 and 12 the plain right and left thumbs, 13–15 the right four, left four and thumb slaps;
* ``flat`` or ``plain`` makes a finger a plain impression (default rolled); ``rolled`` or
  ``roll`` says rolled explicitly. Slaps are always plain.

A name that fits no slot, or fits two, is left unassigned with the reason, and so is a name
that is not valid UTF-8, and a folder, link or other entry that is not a regular file
(``R1.png/`` is not a print); two files for the same slot are refused, naming both. A folder
may hold :data:`ANNOTATIONS_FILE`, which says which fingers are missing on purpose (see
:func:`read_annotations`); it is not a print.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from ..core.image import ImageError, load
from ..core.slap import segment_slap
from ..core.vocabulary import CAPTURE_ORDER, FINGERS, SLAP_FINGERS, SLAPS, Annotation, Finger
from .base import Capture, ScannerError, utc_now, validate_slot

__all__ = [
    "ANNOTATIONS_FILE",
    "FGP_SLOTS",
    "IMAGE_SUFFIXES",
    "MAX_FILE_BYTES",
    "ImageFileSource",
    "Unassigned",
    "read_annotations",
    "shown_name",
    "slot_from_name",
]

logger = logging.getLogger(__name__)

#: File types read (as :func:`station.core.image.load` does).
IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".tif", ".tiff", ".bmp", ".jpg", ".jpeg", ".pgm")
#: Largest file read: 50 MB (a 1000 ppi uncompressed slap is about 10 MB).
MAX_FILE_BYTES = 50_000_000

#: The file in a prints folder that names the fingers missing on purpose.
ANNOTATIONS_FILE = "annotations.json"
#: Largest annotations file read, in bytes (ten short entries need well under 1 kB).
_MAX_ANNOTATIONS_BYTES = 10_000

#: Slot of each finger position code (ANSI/NIST-ITL 1-2011, Table 8).
FGP_SLOTS: dict[int, tuple[str, str]] = {
    **{i + 1: (finger, "rolled") for i, finger in enumerate(FINGERS)},
    11: ("R1", "flat"),
    12: ("L1", "flat"),
    13: ("RS", "flat"),
    14: ("LS", "flat"),
    15: ("TS", "flat"),
}

_CODES = {code.lower(): code for code in (*FINGERS, *SLAPS)}
_FLAT_WORDS = frozenset({"flat", "plain"})
_ROLLED_WORDS = frozenset({"rolled", "roll"})
_FGP_TOKEN = re.compile(r"fgp(\d{1,2})")
_TWO_DIGITS = re.compile(r"\d{2}")


class Unassigned(NamedTuple):
    """A file that was not given a slot, and why."""

    path: Path
    reason: str


def _utf8(name: str) -> bool:
    """True if ``name`` is text (a name that is not UTF-8 on disk holds surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(path: Path) -> str:
    """A file's name fit for a message: bytes that are not UTF-8 shown as U+FFFD."""
    return path.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _fgp_candidates(tokens: list[str]) -> tuple[set[int], set[int]]:
    """FGP numbers written ``fgpN``/``fgp_N``, and bare two-digit tokens."""
    named: set[int] = set()
    for i, token in enumerate(tokens):
        match = _FGP_TOKEN.fullmatch(token)
        if match:
            named.add(int(match.group(1)))
        elif token == "fgp" and i + 1 < len(tokens) and tokens[i + 1].isdigit():
            named.add(int(tokens[i + 1]))
    bare = {int(t) for t in tokens if _TWO_DIGITS.fullmatch(t) and 1 <= int(t) <= 15}
    return named, bare


def slot_from_name(name: str) -> tuple[str, str]:
    """The slot ``(finger, impression)`` a file name stands for.

    Parameters
    ----------
    name : str
        File name (the suffix is ignored), e.g. ``"subject_r1_rolled.png"``, ``"fgp13.tif"``.

    Returns
    -------
    slot : tuple of str
        Finger or slap code and ``'rolled'`` or ``'flat'``.

    Raises
    ------
    ValueError
        The name fits no slot, or more than one; the message says which.

    Examples
    --------
    >>> slot_from_name("Subject_R2_plain.png")
    ('R2', 'flat')
    >>> slot_from_name("0007_13.tif")
    ('RS', 'flat')
    """
    tokens = [t for t in re.split(r"[^0-9a-z]+", Path(name).stem.lower()) if t]
    codes = {_CODES[t] for t in tokens if t in _CODES}
    named, bare = _fgp_candidates(tokens)
    flat = bool(_FLAT_WORDS.intersection(tokens))
    rolled = bool(_ROLLED_WORDS.intersection(tokens))
    if flat and rolled:
        raise ValueError("the name says both flat and rolled")
    if codes:
        if len(codes) > 1:
            raise ValueError(f"the name has several finger codes ({', '.join(sorted(codes))})")
        code = codes.pop()
        kind = "flat" if flat or code in SLAPS else "rolled"
    else:
        numbers = named or bare
        if not numbers:
            raise ValueError("no finger code (R1–L5, RS, LS, TS) or FGP number (01–15) in the name")
        if len(numbers) > 1:
            listed = ", ".join(f"{n:02d}" for n in sorted(numbers))
            raise ValueError(f"the name has several finger position numbers ({listed})")
        number = numbers.pop()
        if number not in FGP_SLOTS:
            raise ValueError(f"FGP {number} is not a booking finger position (use 01–15)")
        code, kind = FGP_SLOTS[number]
        if flat:
            kind = "flat"
    if rolled and kind == "flat":
        raise ValueError(f"the name says rolled, but {code} here is a plain impression")
    return code, kind


class ImageFileSource:
    """Prints read from image files, each assigned to a slot by its name.

    Parameters
    ----------
    source : pathlib.Path or iterable of pathlib.Path
        A folder (its image files are read; hidden files are skipped) or the files.
    clock : callable, optional
        Returns the capture time as an ISO-8601 string (default: now, UTC).

    Raises
    ------
    ScannerError
        The folder does not exist, or two files name the same slot.

    Examples
    --------
    >>> source = ImageFileSource([Path("booking/R1.png"), Path("booking/fgp13.png")])
    >>> sorted(source.assignments)
    [('R1', 'rolled'), ('RS', 'flat')]
    """

    def __init__(
        self, source: Path | Iterable[Path], *, clock: Callable[[], str] = utc_now
    ) -> None:
        self._clock = clock
        self.folder: Path | None = None
        if isinstance(source, str | Path):
            path = Path(source)
            if path.is_dir():
                self.folder = path
                files = sorted(
                    f
                    for f in path.iterdir()
                    if not f.name.startswith(".") and f.name != ANNOTATIONS_FILE
                )
            elif path.exists() or path.suffix:
                files = [path]
            else:
                raise ScannerError(f"folder not found: {path} — choose another folder")
        else:
            files = [Path(f) for f in source]
        self.assignments: dict[tuple[str, str], Path] = {}
        self.unassigned: list[Unassigned] = []
        for path in files:
            if not _utf8(path.name):
                self.unassigned.append(
                    Unassigned(path, "the file name is not valid UTF-8: rename the file")
                )
                continue
            if path.is_dir():
                self.unassigned.append(Unassigned(path, "a folder, not an image file"))
                continue
            if path.exists() and not path.is_file():
                self.unassigned.append(Unassigned(path, "not a regular file"))
                continue
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                self.unassigned.append(
                    Unassigned(path, f"not an image file ({path.suffix or 'no suffix'})")
                )
                continue
            try:
                slot = slot_from_name(path.name)
            except ValueError as exc:
                self.unassigned.append(Unassigned(path, str(exc)))
                continue
            if slot in self.assignments:
                other = self.assignments[slot]
                raise ScannerError(
                    f"Two files for {slot[0]} {slot[1]}: {other.name} and {path.name} — keep one "
                    "and load the files again"
                )
            self.assignments[slot] = path
        logger.info("%d image files assigned, %d not", len(self.assignments), len(self.unassigned))

    @property
    def name(self) -> str:
        """Short name for the status bar."""
        return f"Image files ({self.folder.name})" if self.folder else "Image files"

    @property
    def connected(self) -> bool:
        """True while the folder (if one was given) exists."""
        return self.folder is None or self.folder.is_dir()

    @property
    def missing(self) -> list[tuple[str, str]]:
        """Slots of the booking capture order that have no file."""
        return [slot for slot in CAPTURE_ORDER if slot not in self.assignments]

    def capture(self, finger: str, impression: str) -> Capture:
        """Read the file assigned to a slot.

        Parameters
        ----------
        finger : str
            ``R1``–``L5``, or a slap ``RS``, ``LS``, ``TS``.
        impression : {'rolled', 'flat'}
            Impression type (slaps are ``'flat'``).

        Returns
        -------
        capture : Capture
            The image as read; for a slap, the fingertips found by
            :func:`station.core.slap.segment_slap` (none, with an annotation saying why,
            when they cannot be found).

        Raises
        ------
        ScannerError
            No file for the slot, the file is gone, too large or not a readable image; the
            message names the file.
        """
        slot = validate_slot(finger, impression)
        path = self.assignments.get(slot)
        if path is None:
            raise ScannerError(
                f"No file for {slot[0]} {slot[1]} — add one named like {slot[0]}"
                f"{'_flat' if slot[1] == 'flat' and slot[0] not in SLAPS else ''}.png"
            )
        if not path.is_file():
            raise ScannerError(f"file not found: {path} — check the folder and load it again")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScannerError(
                f"{path.name} is {size / 1e6:.0f} MB, more than the {MAX_FILE_BYTES // 1_000_000} "
                "MB a fingerprint image may be — export it smaller"
            )
        try:
            image = load(path)
        except ImageError as exc:
            raise ScannerError(f"Cannot read {path.name}: {exc}") from exc
        segments: tuple[tuple[str, tuple[int, int, int, int]], ...] = ()
        annotation = None
        if slot[0] in SLAPS:
            fingers = SLAP_FINGERS[slot[0]]
            try:
                boxes = segment_slap(image, len(fingers))
            except ValueError as exc:
                logger.warning("%s: %s", path.name, exc)
                annotation = f"fingers not segmented: {exc}"
            else:
                segments = tuple(zip(fingers, boxes, strict=True))
        logger.info("read %s as %s %s", path.name, *slot)
        return Capture(
            image=image,
            finger=slot[0],
            impression=slot[1],
            device=f"image file {path.name}",
            captured_at=self._clock(),
            segments=segments,
            annotation=annotation,
        )


def read_annotations(folder: Path) -> dict[Finger, Annotation]:
    """The fingers a prints folder says are missing on purpose, from its ``annotations.json``.

    The file holds one JSON object from finger code to annotation code, e.g.
    ``{"L4": "XX", "R2": "UP"}`` (``XX`` amputated, ``UP`` unable to print). No file: no
    annotations, and every rolled finger needs a print.

    Parameters
    ----------
    folder : pathlib.Path
        The prints folder.

    Returns
    -------
    annotations : dict of Finger to Annotation

    Raises
    ------
    ValueError
        The file is not a small JSON object of finger codes to ``XX``/``UP``; the message names
        the file and the entry.

    Examples
    --------
    >>> read_annotations(Path("no-such-folder"))
    {}
    """
    path = Path(folder) / ANNOTATIONS_FILE
    if not path.exists():
        return {}
    if not path.is_file():
        raise ValueError(f"{path}: must be a file")
    if path.stat().st_size > _MAX_ANNOTATIONS_BYTES:
        raise ValueError(f"{path}: larger than {_MAX_ANNOTATIONS_BYTES} bytes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f'{path}: must hold a JSON object such as {{"L4": "XX"}}')
    annotations: dict[Finger, Annotation] = {}
    for key, value in data.items():
        try:
            finger = Finger.parse(key, what="finger")
            annotations[finger] = Annotation.parse(value, what="annotation")
        except ValueError as exc:
            raise ValueError(f"{path}: {key!r}: {exc}") from None
    return annotations
