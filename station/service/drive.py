"""Whole bookings without a window: a synthetic subject on the mock scanner, or image files.

Used by ``station book`` and the booking benchmark; the GUI drives the same
:class:`~station.service.booking.BookingService` step by step instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from station.core.arrest import Arrest
from station.core.synth.population import demographics
from station.core.vocabulary import (
    CAPTURE_ORDER,
    FINGERS,
    SLAP_FINGERS,
    Annotation,
    Impression,
    TransactionType,
)
from station.scanner.base import Capture, ScannerError
from station.scanner.files import (
    ANNOTATIONS_FILE,
    ImageFileSource,
    read_annotations,
    shown_name,
)
from station.scanner.mock import MockScanner
from station.scanner.scenarios import PlatenSubject
from station.scanner.transaction import TransactionFileSource

from .arrest import ArrestError, clean_arrest
from .booking import BookingService, process_capture
from .demographics import DemographicsError, clean_demographics, read_demographics_file
from .jms import JmsBooking
from .results import BookingReport

__all__ = [
    "book_captures",
    "book_files",
    "book_synthetic",
    "book_transaction_file",
    "jms_data",
    "read_demographics",
]

log = logging.getLogger(__name__)


def book_captures(
    service: BookingService,
    demographics: Mapping[str, Any],
    captures: list[Capture],
    *,
    annotations: Mapping[str, str] | None = None,
    tcn: str | None = None,
    transaction_type: str = TransactionType.CAR,
    jms: JmsBooking | None = None,
    arrest: Arrest | None = None,
) -> BookingReport:
    """Open a booking, store the captures and annotations, submit; returns the response.

    With ``jms``, the booking's demographics and arrest data are the jail management
    system's (checked before anything is processed; ``demographics`` and ``arrest`` are not
    used). Otherwise ``arrest``, when given, is the booking's arrest data.

    Features are extracted before the booking is opened, and the booking is opened and its
    captures stored in one transaction: a capture that cannot be processed or stored (a bad
    image, a device name the gallery refuses …) leaves nothing behind, not even an empty
    open booking or its audit entry. The submission is a second transaction (the search
    runs between them): a crash during the search leaves a complete open booking, which
    :meth:`BookingService.resume` submits again. ``transaction_type`` is ``CAR`` or ``CNA``.
    """
    annotations = dict(annotations or {})
    transaction_type = TransactionType.parse(transaction_type, what="transaction type")
    if jms is not None:
        demographics, arrest = jms_data(jms)
    processed = [process_capture(c, absent=annotations) for c in captures]
    with service.gallery.transaction():
        booking_id = service.open_booking(
            demographics,
            tcn=tcn,
            transaction_type=transaction_type,
            arrest=arrest,
            jms_booking=None if jms is None else jms.booking_number,
        )
        for finger, code in annotations.items():
            service.annotate(booking_id, finger, code)
        for item in processed:
            service.add_capture(booking_id, item)
    return BookingReport(service.submit(booking_id), booking_id, arrest=service.arrest(booking_id))


def jms_data(jms: JmsBooking) -> tuple[dict[str, Any], Any]:
    """A JMS booking's demographics and :class:`~station.core.arrest.Arrest`, checked.

    Raises
    ------
    DemographicsError
        A field of the record is wrong (:class:`ArrestError` for the arrest's); the message
        names the JMS booking and every field.
    """
    where = f"JMS booking {jms.booking_number}: "
    try:
        data = clean_demographics(jms.demographics)
    except DemographicsError as exc:
        raise DemographicsError(exc.problems, where=where) from None
    try:
        arrest = clean_arrest(jms.arrest, date_of_birth=data.get("date_of_birth"))
    except ArrestError as exc:
        raise ArrestError(exc.problems, where=where) from None
    return data, arrest


def book_synthetic(
    service: BookingService,
    subject: int,
    *,
    population: int = 0,
    slaps: bool = True,
    device_seed: int = 0,
    platen: PlatenSubject | None = None,
    transaction_type: str = TransactionType.CAR,
    jms: JmsBooking | None = None,
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
    transaction_type : {'CAR', 'CNA'}
        The transaction's type (``[station] transaction_type`` in the settings).
    jms : JmsBooking, optional
        The jail management system's booking: its demographics and arrest data are booked
        (the prints are still subject ``subject``'s).

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
        transaction_type=transaction_type,
        jms=jms,
    )
    return replace(report, booked={"synthetic_id": subject, "population": population})


def read_demographics(path: Path) -> dict[str, Any]:
    """Demographics from a JSON object file, checked as the booking form checks them.

    See :func:`station.service.demographics.read_demographics_file`: a readable error naming
    the field (or the file's problem) for anything else.
    """
    return read_demographics_file(path)


def book_files(
    service: BookingService,
    folder: Path,
    demographics_file: Path | None,
    *,
    transaction_type: str = TransactionType.CAR,
    jms: JmsBooking | None = None,
) -> BookingReport:
    """Book from image files named by finger code (``R1.png`` … ``L5.png``, slaps ``RS`` …).

    Every file is read and checked before the booking opens: an unknown finger code, a folder
    or other non-file where a print should be, an unreadable or corrupt image, or no rolled
    print at all is an error naming the file, and nothing is written. Every rolled finger
    needs a file unless the folder's ``annotations.json`` says it is missing (``{"L4":
    "XX"}``: amputated; ``"UP"``: unable to print, see
    :func:`station.scanner.files.read_annotations`); a finger with both is an error too.
    With ``jms`` the demographics and arrest data are the jail management system's
    booking's (and ``demographics_file`` may be ``None``).
    """
    if jms is not None:
        data = jms_data(jms)[0]
    elif demographics_file is None:
        raise ValueError("name a demographics file or a JMS booking")
    else:
        data = read_demographics(demographics_file)  # checked as the New booking form checks
    folder = Path(folder)
    if not folder.exists():
        raise ValueError(f"prints folder not found: {folder}")
    if not folder.is_dir():
        raise ValueError(f"prints folder {folder} is a file, not a folder")
    annotations = read_annotations(folder)
    try:
        source = ImageFileSource(folder)
    except ScannerError as exc:  # two files for one slot
        raise ValueError(str(exc)) from None
    if source.unassigned:
        bad = source.unassigned[0]
        raise ValueError(f"{shown_name(bad.path)}: {bad.reason}")
    captures = []
    for finger, impression in sorted(source.assignments, key=_slot_order):
        try:
            captures.append(source.capture(finger, impression))
        except ScannerError as exc:
            raise ValueError(str(exc)) from None
    rolled = {c.finger for c in captures if c.impression == Impression.ROLLED}
    if not rolled:
        raise ValueError(f"no rolled prints in {folder}: name the files R1.png … L5.png")
    both = [f for f in FINGERS if f in rolled and f in annotations]
    if both:
        raise ValueError(
            f"{both[0]} has a print in {folder} and is annotated {annotations[both[0]]} in "
            f"{ANNOTATIONS_FILE}: keep one"
        )
    missing = [f for f in FINGERS if f not in rolled and f not in annotations]
    if missing:
        raise ValueError(
            f"no rolled print for {', '.join(missing)} in {folder}: add "
            f"{', '.join(f + '.png' for f in missing)}, or say in {folder / ANNOTATIONS_FILE} "
            f'why each is missing, e.g. {{"{missing[0]}": "UP"}} (XX amputated, UP unable to '
            "print)"
        )
    return book_captures(
        service,
        data,
        captures,
        annotations=dict(annotations),
        transaction_type=transaction_type,
        jms=jms,
    )


def book_transaction_file(
    service: BookingService,
    path: Path,
    demographics_file: Path | None = None,
    *,
    transaction_type: str = TransactionType.CAR,
    jms: JmsBooking | None = None,
) -> BookingReport:
    """Book the prints of an ANSI/NIST-ITL transaction file (Type-14 or Type-4 fingers).

    The whole file is read, checked and its images decoded before the booking opens (see
    :class:`station.scanner.transaction.TransactionFileSource`): a file that is refused
    writes nothing. Names and the other demographics come from the file's Type-2 when it
    has names, else from ``demographics_file`` (a JSON object, as for ``--prints``); a
    demographics file, when given, is used instead of the Type-2. The arrest data (2.009
    OCA, 2.045 DOA, 2.047 ASL with 2.025 RAC, 2.026 SMT, and as the arresting agency the
    file's 1.008 ORI, which EBTS pairs with the OCA) become the booking's, checked like a
    typed arrest; ``jms`` replaces both the names and the arrest. Every rolled finger needs
    a print or a 14.018 AMP annotation (``XX`` / ``UP``).

    Raises
    ------
    ValueError
        The file is refused (the message names the record and field), it has no names and
        no ``demographics_file`` was given, or rolled fingers are missing.
    ArrestError
        The file's arrest data cannot be booked (a charge of no statute in the offence
        table, no race, a date in the future …): every problem named; nothing is written.
    """
    path = Path(path)
    try:
        source = TransactionFileSource(path)
    except ScannerError as exc:
        raise ValueError(str(exc)) from None
    if jms is not None:
        data = jms_data(jms)[0]
    elif demographics_file is not None:
        data = read_demographics(demographics_file)
    elif source.demographics.get("last_name") or source.demographics.get("first_name"):
        data = source.demographics
    else:
        raise ValueError(
            f"{path} has no names (no Type-2 2.018 NAM): give --demographics FILE.json"
        )
    arrest = None
    if jms is None and source.arrest is not None:
        try:
            arrest = clean_arrest(source.arrest, date_of_birth=data.get("date_of_birth"))
        except ArrestError as exc:
            raise ArrestError(exc.problems, where=f"{path} (Type-2 arrest data): ") from None
    captures = source.captures
    rolled = {c.finger for c in captures if c.impression == Impression.ROLLED}
    missing = [f for f in FINGERS if f not in rolled and f not in source.annotations]
    if missing:
        raise ValueError(
            f"{path} has no rolled print (Type-14 or Type-4, FGP 1-10) and no 14.018 AMP "
            f"annotation for {', '.join(missing)}"
        )
    return book_captures(
        service,
        data,
        captures,
        annotations=dict(source.annotations),
        transaction_type=transaction_type,
        jms=jms,
        arrest=arrest,
    )


def _slot_order(slot: tuple[str, str]) -> int:
    try:
        return CAPTURE_ORDER.index(slot)
    except ValueError:
        return len(CAPTURE_ORDER)
