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

# The gallery's codes live in station.core.vocabulary; these two are re-exported for the
# settings dialog and the gallery page.
from station.core.vocabulary import REPOSITORIES, TRANSACTION_TYPES

from .chain import Finding, FindingKind, VerifyReport
from .connection import file_integrity
from .errors import GalleryError, NotFoundError
from .retention import PurgeReport
from .schema import DEMOGRAPHIC_FIELDS, SCHEMA_VERSION
from .store import Gallery, ImageMigration, open_gallery
from .subjects import TemplateRows

__all__ = [
    "DEMOGRAPHIC_FIELDS",
    "REPOSITORIES",
    "SCHEMA_VERSION",
    "TRANSACTION_TYPES",
    "Finding",
    "FindingKind",
    "Gallery",
    "GalleryError",
    "ImageMigration",
    "NotFoundError",
    "PurgeReport",
    "TemplateRows",
    "VerifyReport",
    "file_integrity",
    "open_gallery",
]
