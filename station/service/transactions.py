"""A booking's EBTS transactions: its CAR / CNA submission and its SRE / ERRT response.

The station writes both for every submitted booking and reads them back. They are not
stored as files: they are generated, deterministically, from what the gallery already keeps
(the booking's TCN, type, demographics and creation time; its captures with their stored
WSQ bytes, quality levels and annotations; its stored responses and the examiners'
decisions). Storing them as well would keep every print twice (the images are most of a
transaction's bytes) and add a second copy that could disagree with the chained rows it was
made from; generating them gives the same bytes every time for the same booking, which the
tests check, and needs no schema change.

Choices (field by field in :mod:`station.interchange.ebts`):

- Type-1: DAT and GMT are the booking's creation time (UTC); ORI and DAI the settings'
  ``[station] ori`` / ``dai``; TCN the booking's.
- Type-2: the booking's demographics and, when the officer entered them (or fetched them
  from the jail management system), its arrest data: 2.009 OCA, 2.025 RAC, 2.026 SMT,
  2.045 DOA and 2.047 ASL (each charge's offence date and literal, the statute and the
  offence's name from :mod:`station.core.offences`). A booking without arrest data has none
  of these fields; a CAR with arrest data always has its race (the arrest check requires it
  and :func:`station.interchange.ebts.build_submission` refuses one without).
- Type-14: each rolled finger (FGP 1-10, IMP 1) with its stored WSQ bytes as they are (a
  PNG-stored print is compressed to WSQ; a print too small for WSQ goes uncompressed),
  500 ppi, 14.022 NQM its quality level 1-5; an ``XX`` / ``UP`` finger as 14.018 AMP with no
  image; each slap (FGP 13, 14, 15, IMP 0) with the fingertip boxes
  :func:`station.core.slap.segment_slap` finds on the stored slap (14.021 SEG).
- The response: SRE with the booking's disposition now (the latest response amended by the
  examiners' decisions) and, on a HIT, the subject's name, date of birth, FBI number (its
  federal-criminal record) and SID (its state record); ERRT on RECAPTURE or ERROR with the
  reason. Its TCN is the booking's TCN with ``-R`` and the response's id, its date the
  response's.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.core.arrest import Arrest
from station.core.slap import segment_slap
from station.core.vocabulary import (
    FINGERS,
    SLAP_FINGERS,
    SLAPS,
    Annotation,
    Disposition,
    ImageFormat,
    Impression,
    Repository,
)
from station.gallery import codecs
from station.gallery.errors import GalleryError
from station.interchange import wsq
from station.interchange.ansi_nist import Transaction, write_transaction
from station.interchange.ebts import (
    ArrestCharge,
    HitSubject,
    PrintImage,
    Segment,
    SubmissionResponse,
    TenprintSubmission,
    build_response,
    build_submission,
)

from .accounts import Permission
from .booking import BookingService
from .results import SubjectSummary

__all__ = [
    "StoredBooking",
    "TransactionFile",
    "booking_response",
    "booking_submission",
    "read_booking",
    "response_transaction",
    "submission_of",
    "submission_transaction",
    "write_booking_transaction",
    "write_transaction_file",
]

log = logging.getLogger(__name__)

#: Dispositions answered by an SRE (the others by an ERRT).
_SRE = frozenset({Disposition.HIT, Disposition.NO_HIT, Disposition.REVIEW})


@dataclass(frozen=True)
class TransactionFile:
    """A transaction written to a file.

    Attributes
    ----------
    path : pathlib.Path
    tot : str
        ``CAR``, ``CNA``, ``SRE`` or ``ERRT``.
    tcn : str
        The transaction's own TCN.
    size : int
        Bytes written.
    records : int
        Records in the file, Type-1 included.
    """

    path: Path
    tot: str
    tcn: str
    size: int
    records: int

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "tot": self.tot,
            "tcn": self.tcn,
            "bytes": self.size,
            "records": self.records,
        }


def _agencies(ori: str | None, dai: str | None) -> tuple[str, str]:
    if ori is None or dai is None:
        from station.settings import get_settings

        station = get_settings().station
        ori = station.ori if ori is None else ori
        dai = station.dai if dai is None else dai
    return ori, dai


def _print_image(data: bytes, fmt: str, row: dict[str, Any], what: str) -> tuple[PrintImage, Any]:
    """The stored capture as a transaction's print (WSQ bytes kept as they are)."""
    pixels = codecs.decode_image(data, fmt)
    quality = row.get("level")
    if ImageFormat.parse(fmt, what="image format") is ImageFormat.WSQ:
        compressed = data
    elif min(pixels.shape) >= wsq.MIN_SIDE:
        compressed = wsq.encode(pixels, ppi=500)
    else:
        log.info("%s is too small for WSQ: written uncompressed", what)
        rows, cols = pixels.shape
        return PrintImage(pixels.tobytes(), "NONE", cols, rows, quality=quality), pixels
    rows, cols = pixels.shape
    return PrintImage(compressed, "WSQ20", cols, rows, quality=quality), pixels


@dataclass(frozen=True)
class StoredBooking:
    """What a booking's submission is made from, as read from the gallery (plain data: safe
    to hand to a worker thread, which then needs no gallery).

    Attributes
    ----------
    booking : mapping
        The booking row (:meth:`Gallery.booking`).
    prints : tuple of mapping
        Its captures (:meth:`Gallery.booking_prints`, no images).
    data : mapping
        ``{booking print id: (bytes, format)}`` as stored.
    ori, dai : str
        Originating and destination agencies.
    arrest : Arrest or None
        The booking's arrest data.
    """

    booking: Mapping[str, Any]
    prints: tuple[Mapping[str, Any], ...]
    data: Mapping[int, tuple[bytes, str]]
    ori: str
    dai: str
    arrest: Arrest | None = None


def read_booking(
    service: BookingService, booking_id: int, *, ori: str | None = None, dai: str | None = None
) -> StoredBooking:
    """Read what :func:`submission_of` needs (the gallery part of :func:`booking_submission`).

    Raises
    ------
    NotFoundError
        No such booking.
    """
    ori, dai = _agencies(ori, dai)
    gallery = service.gallery
    booking = gallery.booking(booking_id)
    return StoredBooking(
        booking=booking,
        prints=tuple(gallery.booking_prints(booking["id"])),
        data=gallery.booking_print_data(booking["id"]),
        ori=ori,
        dai=dai,
        arrest=service.arrest(booking["id"]),
    )


def _arrest_fields(arrest: Arrest | None) -> dict[str, Any]:
    """The submission's arrest fields (2.009 OCA, 2.026 SMT, 2.045 DOA, 2.047 ASL)."""
    if arrest is None:
        return {}
    return {
        "oca": arrest.oca,
        "smt": arrest.smt,
        "date_of_arrest": arrest.date_of_arrest,
        "charges": tuple(ArrestCharge(c.offence.literal, c.offence_date) for c in arrest.charges),
    }


def submission_of(stored: StoredBooking) -> TenprintSubmission:
    """The submission made from a :class:`StoredBooking` (pure: decodes and segments the
    slaps; may run on a worker thread).

    Raises
    ------
    ValueError
        A stored image does not decode.
    """
    booking = stored.booking
    created = codecs.parse_time(booking["created_at"]).astimezone(dt.UTC)
    fingers: dict[str, PrintImage | Annotation] = {}
    slaps: dict[str, tuple[PrintImage, Any]] = {}
    for row in stored.prints:
        finger = row["finger"]
        if row["annotation"] is not None:
            if finger in FINGERS and row["impression"] == Impression.ROLLED:
                fingers[finger] = Annotation(row["annotation"])
            continue
        what = f"booking {booking['id']} print {finger} {row['impression']}"
        data, fmt = stored.data[row["id"]]
        if finger in SLAPS:
            slaps[finger] = _print_image(data, fmt, row, what)
        elif row["impression"] == Impression.ROLLED:
            fingers[finger] = _print_image(data, fmt, row, what)[0]
    slap_images: dict[str, PrintImage] = {}
    for slap, (image, pixels) in slaps.items():
        present = [f for f in SLAP_FINGERS[slap] if not isinstance(fingers.get(f), Annotation)]
        segments: tuple[Segment, ...] = ()
        if present:
            try:
                boxes = segment_slap(pixels, len(present))
            except ValueError as exc:
                log.info("booking %d slap %s not segmented: %s", booking["id"], slap, exc)
            else:
                segments = tuple(Segment(f, *box) for f, box in zip(present, boxes, strict=True))
        slap_images[slap] = PrintImage(
            image.data,
            image.compression,
            image.width,
            image.height,
            quality=image.quality,
            segments=segments,
        )
    return TenprintSubmission(
        tcn=booking["tcn"],
        ori=stored.ori,
        dai=stored.dai,
        date=created.date(),
        tot=booking["transaction_type"],
        demographics={
            **booking["demographics"],
            **({"race": str(stored.arrest.race)} if stored.arrest is not None else {}),
        },
        **_arrest_fields(stored.arrest),
        fingers=fingers,
        slaps=slap_images,
        gmt=created.replace(tzinfo=None, microsecond=0),
    )


def booking_submission(
    service: BookingService, booking_id: int, *, ori: str | None = None, dai: str | None = None
) -> TenprintSubmission:
    """The booking's ten-print submission (CAR or CNA, as the booking was opened).

    Parameters
    ----------
    service : BookingService
    booking_id : int
    ori, dai : str, optional
        Originating and destination agencies; default the settings' ``[station]`` ones.

    Returns
    -------
    TenprintSubmission

    Raises
    ------
    NotFoundError
        No such booking.
    ValueError
        A stored image does not decode.
    """
    return submission_of(read_booking(service, booking_id, ori=ori, dai=dai))


def _numbers(subject: SubjectSummary) -> HitSubject:
    records = {r.repository: r.record_number for r in subject.records}
    demo = subject.demographics
    last, first = demo.get("last_name"), demo.get("first_name")
    middle = demo.get("middle_initial")
    name = None
    if last or first:
        name = f"{str(last or '').upper()},{str(first or '').upper()}"
        if middle:
            name += f" {str(middle).upper()}"
    dob = demo.get("date_of_birth")
    return HitSubject(
        name=name,
        fbi=records.get(Repository.FEDERAL_CRIMINAL),
        sid=records.get(Repository.STATE),
        date_of_birth=dt.date.fromisoformat(dob) if dob else None,
    )


def booking_response(
    service: BookingService, booking_id: int, *, ori: str | None = None, dai: str | None = None
) -> SubmissionResponse:
    """The answer to the booking's submission: SRE or ERRT.

    The SRE carries the booking's disposition now (examiners' decisions included) and, on a
    HIT, the identified subject's numbers; an ERRT (RECAPTURE or ERROR) carries the reason.
    ``ori`` answers ``dai`` (the responder is the destination of the submission).

    Raises
    ------
    GalleryError
        The booking was never submitted (it has no response).
    """
    ori, dai = _agencies(ori, dai)
    gallery = service.gallery
    booking = gallery.booking(booking_id)
    stored = gallery.responses(booking["id"])
    if not stored:
        raise GalleryError(
            f"booking {booking['id']} ({booking['tcn']}) has no response yet: submit it first"
        )
    latest = service.latest_response(booking["id"])
    received = codecs.parse_time(stored[-1]["received_at"]).astimezone(dt.UTC)
    common = {
        "tcn": f"{booking['tcn']}-R{stored[-1]['id']}",
        "tcr": booking["tcn"],
        "ori": dai,
        "dai": ori,
        "date": received.date(),
    }
    if latest.disposition not in _SRE:
        reason = latest.reason or str(latest.disposition)
        if latest.recapture:
            reason += "; recapture " + ", ".join(r.finger for r in latest.recapture)
        return SubmissionResponse(
            tot="ERRT", disposition=latest.disposition, message=reason, **common
        )
    outcome = service.outcome(booking["id"])
    subject = None
    if outcome.disposition is Disposition.HIT and outcome.subject is not None:
        subject = _numbers(outcome.subject)
    return SubmissionResponse(
        tot="SRE",
        disposition=outcome.disposition,
        subject=subject,
        message=latest.reason or "",
        **common,
    )


def submission_transaction(
    service: BookingService, booking_id: int, **agencies: Any
) -> Transaction:
    """:func:`booking_submission` as an ANSI/NIST-ITL transaction."""
    return build_submission(booking_submission(service, booking_id, **agencies))


def response_transaction(service: BookingService, booking_id: int, **agencies: Any) -> Transaction:
    """:func:`booking_response` as an ANSI/NIST-ITL transaction."""
    return build_response(booking_response(service, booking_id, **agencies))


def _check_target(path: Path) -> Path:
    if path.is_dir():
        raise ValueError(f"{path} is a folder: name the transaction file to write")
    if not path.parent.is_dir():
        raise ValueError(f"folder {path.parent} does not exist")
    return path


def write_transaction_file(transaction: Transaction, path: Path) -> TransactionFile:
    """Write a transaction to ``path`` (pure file work: may run on a worker thread).

    Raises
    ------
    ValueError
        ``path`` is a folder or its folder does not exist.
    """
    path = _check_target(Path(path))
    data = write_transaction(transaction)
    path.write_bytes(data)
    header = transaction.header
    log.info("wrote %s %s to %s (%d bytes)", header.text(4), header.text(9), path, len(data))
    return TransactionFile(
        path=path,
        tot=str(header.text(4)),
        tcn=str(header.text(9)),
        size=len(data),
        records=1 + len(transaction.records),
    )


def write_booking_transaction(
    service: BookingService,
    booking_id: int,
    path: Path,
    *,
    response: bool = False,
    ori: str | None = None,
    dai: str | None = None,
) -> TransactionFile:
    """Write the booking's submission (or, with ``response``, its SRE / ERRT) to ``path``.

    Parameters
    ----------
    service : BookingService
    booking_id : int
    path : pathlib.Path
        The file to write (replaced if it exists; its folder must exist).
    response : bool
        Write the response instead of the submission.
    ori, dai : str, optional
        Default the settings'.

    Returns
    -------
    TransactionFile

    Raises
    ------
    ValueError
        ``path`` is a folder or its folder does not exist; a stored image does not decode.
    GalleryError
        No response yet (``response=True``).
    RoleError
        The operator may not export (an administrator's job once the gallery has accounts).
    """
    service.allow(Permission.EXPORT)
    _check_target(Path(path))
    build = response_transaction if response else submission_transaction
    return write_transaction_file(build(service, booking_id, ori=ori, dai=dai), path)
