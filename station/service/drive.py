"""Whole bookings without a window: a synthetic subject on the mock scanner, or image files.

Used by ``station book`` and the booking benchmark; the GUI drives the same
:class:`~station.service.booking.BookingService` step by step instead.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from station.core.synth.population import demographics
from station.core.vocabulary import CAPTURE_ORDER, FINGERS, SLAP_FINGERS, Annotation, Impression
from station.scanner.base import Capture, ScannerError
from station.scanner.files import ImageFileSource
from station.scanner.mock import MockScanner
from station.scanner.scenarios import PlatenSubject

from .booking import BookingService, process_capture
from .demographics import validate_demographics
from .results import BookingReport

__all__ = ["book_captures", "book_files", "book_synthetic", "read_demographics"]

log = logging.getLogger(__name__)


def book_captures(
    service: BookingService,
    demographics: Mapping[str, Any],
    captures: list[Capture],
    *,
    annotations: Mapping[str, str] | None = None,
    tcn: str | None = None,
) -> BookingReport:
    """Open a booking, store the captures and annotations, submit; returns the response.

    Features are extracted before the booking is opened, so a capture that cannot be
    processed leaves nothing behind.
    """
    annotations = dict(annotations or {})
    processed = [process_capture(c, absent=annotations) for c in captures]
    booking_id = service.open_booking(demographics, tcn=tcn)
    for finger, code in annotations.items():
        service.annotate(booking_id, finger, code)
    for item in processed:
        service.add_capture(booking_id, item)
    return BookingReport(service.submit(booking_id), booking_id)


def book_synthetic(
    service: BookingService,
    subject: int,
    *,
    population: int = 0,
    slaps: bool = True,
    device_seed: int = 0,
    platen: PlatenSubject | None = None,
) -> BookingReport:
    """Book synthetic subject ``subject`` with fresh impressions from the mock scanner.

    Parameters
    ----------
    service : BookingService
    subject, population : int
        Who is booked.
    slaps : bool
        Also take the three slaps (and run the sequence check).
    device_seed : int
        Mock scanner seed: different seeds give different impressions.
    platen : PlatenSubject, optional
        A scenario subject (swapped fingers, an amputation …) instead of a plain one.

    Returns
    -------
    report : BookingReport
        The stored response, the booking id and ``booked`` (who was on the platen).
    """
    platen = platen or PlatenSubject(subject, population, origin="cli")
    scanner = MockScanner(platen, seed=device_seed)
    scanner.connect()
    annotations = {f: Annotation.XX for f in platen.absent}
    captures = []
    for slot, impression in CAPTURE_ORDER:
        if slot in annotations or (impression == Impression.FLAT and not slaps):
            continue
        if slot in SLAP_FINGERS and all(f in annotations for f in SLAP_FINGERS[slot]):
            continue
        captures.append(scanner.capture(slot, impression))
    report = book_captures(
        service,
        demographics(subject, population=population).as_dict(),
        captures,
        annotations=annotations,
    )
    return replace(report, booked={"synthetic_id": subject, "population": population})


def read_demographics(path: Path) -> dict[str, Any]:
    """Demographics from a JSON object file, with a readable error for anything else."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"demographics file not found: {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"demographics file {path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValueError(f"demographics file {path} must hold a JSON object")
    return data


def book_files(service: BookingService, folder: Path, demographics_file: Path) -> BookingReport:
    """Book from image files named by finger code (``R1.png`` … ``L5.png``, slaps ``RS`` …).

    Every file is read and checked before the booking opens: an unknown finger code, an
    unreadable or corrupt image, or no rolled print at all is an error and nothing is written.
    Rolled fingers without a file are annotated ``UP`` (unable to print).
    """
    data = read_demographics(demographics_file)
    problems = validate_demographics(data)  # the New booking form's checks
    if problems:
        raise ValueError(f"demographics file {demographics_file}: " + "; ".join(problems))
    folder = Path(folder)
    if not folder.exists():
        raise ValueError(f"prints folder not found: {folder}")
    source = ImageFileSource(folder)
    if source.unassigned:
        bad = source.unassigned[0]
        raise ValueError(f"{bad.path.name}: {bad.reason}")
    captures = []
    for finger, impression in sorted(source.assignments, key=_slot_order):
        try:
            captures.append(source.capture(finger, impression))
        except ScannerError as exc:
            raise ValueError(str(exc)) from None
    rolled = {c.finger for c in captures if c.impression == Impression.ROLLED}
    if not rolled:
        raise ValueError(f"no rolled prints in {folder}: name the files R1.png … L5.png")
    annotations = {f: Annotation.UP for f in FINGERS if f not in rolled}
    return book_captures(service, data, captures, annotations=annotations)


def _slot_order(slot: tuple[str, str]) -> int:
    try:
        return CAPTURE_ORDER.index(slot)
    except ValueError:
        return len(CAPTURE_ORDER)
