"""``station bench --only ebts``: a full booking's CAR transaction — size, write and read time,
round trips through our reader and through nistitl, and the shared ten-print card booked.

The booking is made in a private copy of the gallery (the gallery given is never written):
a synthetic subject of the gallery, ten rolled prints and the three slaps on the mock scanner.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from station.gallery import open_gallery
from station.interchange import TaggedRecord, parse_submission, read_transaction
from station.interchange.ansi_nist import write_transaction
from station.service import BookingService, load_index
from station.service.drive import book_synthetic, book_transaction_file
from station.service.transactions import submission_transaction

__all__ = ["EbtsBench", "ebts_bench", "format_ebts", "nistitl_mismatches"]


@dataclass(frozen=True)
class EbtsBench:
    """What ``--only ebts`` measured.

    Attributes
    ----------
    disposition : str
        Of the booking whose CAR is measured.
    records, car_bytes, image_bytes : int
        The CAR's records (Type-1 included), its size and the bytes of its images.
    write_ms, read_ms : float
        Median over ``repeats``: the CAR made from the gallery and encoded (``write``); the
        bytes read and parsed into a submission (``read``).
    ours_equal : bool
        Our reader gives back every record and field written.
    nistitl_fields : int or None
        Fields nistitl read and compared (``None``: nistitl is not installed).
    nistitl_mismatches : int or None
        Of those, how many differ from what we wrote.
    card_disposition : str or None
        The shared ten-print card booked into the gallery copy (``None``: sample absent).
    """

    disposition: str
    records: int
    car_bytes: int
    image_bytes: int
    write_ms: float
    read_ms: float
    ours_equal: bool
    nistitl_fields: int | None
    nistitl_mismatches: int | None
    card_disposition: str | None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def nistitl_mismatches(data: bytes) -> tuple[int, int] | None:
    """``(fields compared, fields that differ)`` between nistitl's reading of ``data`` and
    ours (tagged records; IDCs compared as numbers); ``None`` when nistitl is absent."""
    try:
        import nistitl
    except ImportError:
        return None
    ours = read_transaction(data)
    theirs = nistitl.Message()
    theirs.parse(data)
    compared = differ = 0
    for mine, other in zip((ours.header, *ours.records), theirs, strict=True):
        if not isinstance(mine, TaggedRecord):
            continue
        fields = {f.tag: f for f in other._fields}
        for tag, value in mine.fields.items():
            got = fields[tag].value if tag in fields else None
            if got is None:
                same = False
            elif tag == 2:
                same = int(got) == int(value)
            elif isinstance(value, str):
                same = str(got) == value
            else:
                subs = tuple(tuple(s) if isinstance(s, list) else (s,) for s in got)
                same = tuple(tuple(map(str, s)) for s in subs) == value
            compared += 1
            differ += not same
        if mine.data is not None:
            compared += 1
            differ += bytes(fields[999].value) != mine.data if 999 in fields else 1
    return compared, differ


def _median_ms(fn: Any, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def ebts_bench(
    gallery: Path,
    *,
    subject: int,
    population: int = 0,
    repeats: int = 5,
    card: Path | None = None,
) -> EbtsBench:
    """Book ``subject`` in a copy of ``gallery`` and measure its CAR (see module doc).

    Parameters
    ----------
    gallery : pathlib.Path
        A seeded gallery (read only).
    subject, population : int
        The synthetic subject booked (with slaps).
    repeats : int
        Timings are the median of this many runs.
    card : pathlib.Path, optional
        The shared ten-print card (Type-4); booked too when the file exists.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    with tempfile.TemporaryDirectory(prefix="station-ebts-") as tmp:
        copy = Path(tmp) / "gallery.sqlite"
        with open_gallery(gallery, readonly=True) as g:
            g.copy_to(copy)
        with open_gallery(copy) as g:
            service = BookingService(g, index=load_index(g))
            report = book_synthetic(service, subject, population=population, slaps=True)
            booking_id = report.booking_id
            write_ms, data = _median_ms(
                lambda: write_transaction(submission_transaction(service, booking_id)), repeats
            )
            read_ms, _ = _median_ms(lambda: parse_submission(read_transaction(data)), repeats)
            made = submission_transaction(service, booking_id)
            card_disposition = None
            if card is not None and card.is_file():
                demo = Path(tmp) / "demo.json"
                demo.write_text(
                    json.dumps(
                        {
                            "last_name": "Card",
                            "first_name": "Ten",
                            "sex": "M",
                            "date_of_birth": "1980-01-02",
                        }
                    )
                )
                booked = book_transaction_file(service, card, demo)
                card_disposition = str(booked.disposition)
    nist = nistitl_mismatches(data)
    images = sum(len(r.data or b"") for r in made.records if isinstance(r, TaggedRecord))
    return EbtsBench(
        disposition=str(report.disposition),
        records=1 + len(made.records),
        car_bytes=len(data),
        image_bytes=images,
        write_ms=write_ms,
        read_ms=read_ms,
        ours_equal=read_transaction(data) == made,
        nistitl_fields=None if nist is None else nist[0],
        nistitl_mismatches=None if nist is None else nist[1],
        card_disposition=card_disposition,
    )


def format_ebts(result: EbtsBench) -> str:
    """The lines ``station bench --only ebts`` prints."""
    nist = (
        "nistitl not installed"
        if result.nistitl_fields is None
        else f"nistitl read {result.nistitl_fields} fields, {result.nistitl_mismatches} differ"
    )
    card = (
        "shared ten-print card absent"
        if result.card_disposition is None
        else f"shared ten-print card booked: {result.card_disposition}"
    )
    return "\n".join(
        (
            f"  CAR of a full booking ({result.disposition}): {result.records} records, "
            f"{result.car_bytes:,} bytes ({result.image_bytes:,} of WSQ images)",
            f"  write (from the gallery) {result.write_ms:.0f} ms, read (parse) "
            f"{result.read_ms:.1f} ms — median",
            f"  our reader gives back every field: {'yes' if result.ours_equal else 'NO'}; {nist}",
            f"  {card}",
        )
    )
