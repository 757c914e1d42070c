"""The SQLite gallery: schema, migrations, records and audit; the only package that writes SQL.

Enrolled subjects with their repository records, prints (images kept, so templates can be
re-extracted) and templates; bookings with their captures, search responses and examiners'
decisions; an append-only audit trail. Importable without Qt (a test checks that).

Examples
--------
>>> from station.gallery import open_gallery
>>> with open_gallery("db/gallery.sqlite") as gallery:  # doctest: +SKIP
...     booking = gallery.open_booking(
...         tcn="T0001", operator="officer 7", station_id="BS-1", demographics={}
...     )
...     index = list(gallery.iter_templates())
"""

from __future__ import annotations

from .chain import Finding, FindingKind, VerifyReport
from .errors import GalleryError, NotFoundError
from .schema import (
    ANNOTATIONS,
    BOOKING_STATUSES,
    DECISIONS,
    DEMOGRAPHIC_FIELDS,
    DISPOSITIONS,
    IMPRESSIONS,
    OFFENCE_REPOSITORIES,
    REPOSITORIES,
    SCHEMA_VERSION,
    SLAPS,
    TRANSACTION_TYPES,
)
from .store import Gallery, open_gallery

__all__ = [
    "ANNOTATIONS",
    "BOOKING_STATUSES",
    "DECISIONS",
    "DEMOGRAPHIC_FIELDS",
    "DISPOSITIONS",
    "IMPRESSIONS",
    "OFFENCE_REPOSITORIES",
    "REPOSITORIES",
    "SCHEMA_VERSION",
    "SLAPS",
    "TRANSACTION_TYPES",
    "Finding",
    "FindingKind",
    "Gallery",
    "GalleryError",
    "NotFoundError",
    "VerifyReport",
    "open_gallery",
]
