"""A capture source reading the prints of an ANSI/NIST-ITL transaction file.

A file another system wrote (an EBTS submission of Type-14 records, or a ten-print card of
legacy Type-4 records) is read, checked and decoded whole when the source is made, so a bad
file is refused before anything reaches a booking: a truncated file, a LEN that lies, an
unknown record type, a finger position out of range, an image that does not decode or is not
500 ppi each give one :class:`~station.scanner.base.ScannerError` naming the record and field.

The rolled fingers (FGP 1-10) become rolled captures, the slaps (FGP 13, 14, 15) flat slap
captures with their 14.021 SEG boxes (or, without them, the boxes
:func:`station.core.slap.segment_slap` finds); a 14.018 AMP annotation says which fingers are
missing (``XX`` amputated, ``UP`` unable to print). Names and the other Type-2 fields, when the
file has them, are offered as :attr:`TransactionFileSource.demographics`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..core.offences import offence_of_literal
from ..core.slap import segment_slap
from ..core.vocabulary import (
    CAPTURE_ORDER,
    DEMOGRAPHIC_FIELDS,
    FINGERS,
    SLAP_FINGERS,
    SLAPS,
    Annotation,
    Impression,
)
from ..interchange import wsq
from ..interchange.ansi_nist import InterchangeError, TaggedRecord, Type4Record, read_file
from ..interchange.ebts import PrintImage, TenprintSubmission, parse_submission
from .base import Capture, ScannerError, utc_now, validate_slot

__all__ = ["TRANSACTION_SUFFIXES", "TransactionFileSource", "decode_print"]

logger = logging.getLogger(__name__)

#: File name endings of ANSI/NIST-ITL transactions (for a file dialog's filter).
TRANSACTION_SUFFIXES = (".an2", ".eft", ".nist", ".int")
#: Slap finger positions (ANSI/NIST-ITL table 8).
_SLAP_FGP = {"RS": 13, "LS": 14, "TS": 15}


def _record_of(transaction: Any) -> dict[int, str]:
    """``{finger position: "record N (Type-T)"}`` for the error messages."""
    out: dict[int, str] = {}
    for index, record in enumerate(transaction.records, start=2):
        fgp = None
        if isinstance(record, Type4Record) and record.positions:
            fgp = record.positions[0]
        elif isinstance(record, TaggedRecord) and record.type == 14:
            text = (record.text(13) or "").strip()
            fgp = int(text) if text.isdigit() else None
        if fgp is not None:
            out.setdefault(fgp, f"record {index} (Type-{record.type})")
    return out


def decode_print(image: PrintImage, where: str) -> np.ndarray:
    """Decode a transaction's print to a (rows, columns) uint8 array at 500 ppi.

    Parameters
    ----------
    image : PrintImage
        WSQ (``WSQ20``) or uncompressed (``NONE``) 8-bit grey.
    where : str
        The record, for the message (``"record 3 (Type-14)"``).

    Returns
    -------
    (M, N) ndarray of uint8

    Raises
    ------
    InterchangeError
        Not 500 ppi, a compression the station cannot decode, an image that does not decode,
        or a decoded size other than the record's HLL × VLL.

    Examples
    --------
    >>> decode_print(PrintImage(bytes(range(6)), "NONE", 3, 2), "record 2 (Type-14)")
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    if image.ppi != 500:
        raise InterchangeError(
            f"{where} field 14.009 THPS: {image.ppi} ppi; the station books 500 ppi prints"
        )
    if image.compression == "NONE":
        return np.frombuffer(image.data, np.uint8).reshape(image.height, image.width).copy()
    if image.compression != "WSQ20":
        raise InterchangeError(
            f"{where} field 14.011 CGA: {image.compression} images cannot be decoded here "
            "(WSQ20 or NONE)"
        )
    try:
        pixels = wsq.decode(image.data)
    except ValueError as exc:
        raise InterchangeError(
            f"{where} field 14.999 DATA: the WSQ image does not decode: {exc}"
        ) from None
    if pixels.shape != (image.height, image.width):
        raise InterchangeError(
            f"{where} field 14.999 DATA: the WSQ image is {pixels.shape[1]}x{pixels.shape[0]}, "
            f"the record says {image.width}x{image.height} (HLL x VLL)"
        )
    return pixels


def _arrest_fields(submission: TenprintSubmission) -> dict[str, Any] | None:
    """The submission's arrest data as plain fields (see :attr:`TransactionFileSource.arrest`)."""
    s = submission
    if s.oca is None and s.date_of_arrest is None and not s.charges:
        return None
    charges: list[dict[str, Any]] = []
    for charge in s.charges:
        try:
            code = offence_of_literal(charge.literal).code
        except ValueError:
            code = charge.literal  # refused by name when the arrest is checked
        when = charge.offence_date
        charges.append({"code": code, "offence_date": when.isoformat() if when else None})
    return {
        "oca": s.oca or "",
        "ori": s.ori,
        "date_of_arrest": s.date_of_arrest.isoformat() if s.date_of_arrest else None,
        "charges": charges,
        "race": s.demographics.get("race"),
        "smt": list(s.smt),
    }


class TransactionFileSource:
    """Prints read from one ANSI/NIST-ITL transaction file (Type-14 or Type-4 fingers).

    Parameters
    ----------
    path : pathlib.Path
        The transaction (``.an2``, ``.eft``, ``.nist``).
    clock : callable, optional
        Returns the capture time as an ISO-8601 string (default: now, UTC).

    Raises
    ------
    ScannerError
        The file cannot be read, is not a valid transaction, or one of its prints does not
        decode; the message names the file, the record and the field.

    Attributes
    ----------
    submission : TenprintSubmission
        The file as parsed (the images still compressed).
    assignments : dict
        ``{(slot, impression): Capture}`` of every print in the file.
    annotations : dict
        ``{finger: Annotation}`` from 14.018 AMP.
    demographics : dict
        Booking demographics from the file's Type-2 (empty when it has none).
    arrest : dict or None
        The Type-2's arrest data as plain fields for
        :func:`station.service.arrest.clean_arrest` — ``oca`` (2.009), ``ori`` (1.008),
        ``date_of_arrest`` (2.045), ``charges`` (2.047, each read by its statute: an unknown
        one keeps its literal, which the check then refuses by name), ``race`` (2.025),
        ``smt`` (2.026) — or ``None`` when the file carries none of 2.009, 2.045, 2.047.
    """

    def __init__(self, path: Path, *, clock: Callable[[], str] = utc_now) -> None:
        self.path = Path(path)
        self._clock = clock
        try:
            transaction = read_file(self.path)
            self.submission: TenprintSubmission = parse_submission(transaction)
            records = _record_of(transaction)
            images: dict[str, np.ndarray] = {}
            for finger, value in self.submission.fingers.items():
                if isinstance(value, PrintImage):
                    where = records.get(FINGERS.index(finger) + 1, f"finger {finger}")
                    images[finger] = decode_print(value, where)
            for slap, value in self.submission.slaps.items():
                images[slap] = decode_print(value, records.get(_SLAP_FGP[slap], f"slap {slap}"))
        except InterchangeError as exc:
            text = str(exc)
            prefix = "" if text.startswith(str(self.path)) else f"{self.path}: "
            raise ScannerError(f"{prefix}{text}") from None
        except OSError as exc:
            raise ScannerError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        self.annotations: dict[str, Annotation] = {
            str(f): v for f, v in self.submission.fingers.items() if isinstance(v, Annotation)
        }
        self.demographics: dict[str, Any] = {
            k: self.submission.demographics[k]
            for k in DEMOGRAPHIC_FIELDS  # the Type-2 fields a booking keeps (no race)
            if k in self.submission.demographics
        }
        self.arrest: dict[str, Any] | None = _arrest_fields(self.submission)
        stamp = self._captured_at()
        self.assignments: dict[tuple[str, str], Capture] = {}
        for code, pixels in images.items():
            impression = Impression.FLAT if code in SLAPS else Impression.ROLLED
            segments: tuple[tuple[str, tuple[int, int, int, int]], ...] = ()
            note = None
            if code in SLAPS:
                segments, note = self._segments(code, pixels)
            self.assignments[(str(code), str(impression))] = Capture(
                image=pixels,
                finger=str(code),
                impression=str(impression),
                device=f"transaction file {self.path.name}",
                captured_at=stamp,
                segments=segments,
                annotation=note,
            )
        logger.info(
            "%s: %d prints, %d annotated fingers",
            self.path.name,
            len(self.assignments),
            len(self.annotations),
        )

    def _captured_at(self) -> str:
        gmt = self.submission.gmt
        return self._clock() if gmt is None else gmt.strftime("%Y-%m-%dT%H:%M:%SZ")

    def _segments(
        self, slap: str, pixels: np.ndarray
    ) -> tuple[tuple[tuple[str, tuple[int, int, int, int]], ...], str | None]:
        """The slap's fingertip boxes: from 14.021 SEG, else found on the image."""
        given = self.submission.slaps[slap].segments
        rows, cols = pixels.shape
        if given:
            return tuple(
                (str(s.finger), (s.row0, s.col0, min(s.row1, rows), min(s.col1, cols)))
                for s in given
                if str(s.finger) in SLAP_FINGERS[slap]
            ), None
        fingers = [f for f in SLAP_FINGERS[slap] if f not in self.annotations]
        if not fingers:
            return (), None
        try:
            boxes = segment_slap(pixels, len(fingers))
        except ValueError as exc:
            return (), f"fingers not segmented: {exc}"
        return tuple(zip(fingers, boxes, strict=True)), None

    @property
    def name(self) -> str:
        """Short name for the status bar."""
        return f"ANSI/NIST file ({self.path.name})"

    @property
    def connected(self) -> bool:
        """True while the file exists."""
        return self.path.is_file()

    @property
    def missing(self) -> list[tuple[str, str]]:
        """Slots of the booking capture order the file has no print for."""
        return [slot for slot in CAPTURE_ORDER if slot not in self.assignments]

    @property
    def captures(self) -> list[Capture]:
        """Every print of the file, in capture order."""
        return [self.assignments[s] for s in CAPTURE_ORDER if s in self.assignments]

    def capture(self, finger: str, impression: str) -> Capture:
        """The file's print for a slot (already decoded).

        Raises
        ------
        ScannerError
            The file has no print for the slot.
        """
        slot = validate_slot(finger, impression)
        found = self.assignments.get(slot)
        if found is None:
            raise ScannerError(f"{self.path.name} has no {slot[0]} {slot[1]} print")
        return found
