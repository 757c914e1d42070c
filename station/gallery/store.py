"""The gallery: enrolled subjects and their prints, bookings and their outcome, the audit trail.

:class:`Gallery` is composed of :class:`~station.gallery.base.GalleryBase` (connection and
transactions), :class:`~station.gallery.subjects.SubjectStore`,
:class:`~station.gallery.bookings.BookingStore`,
:class:`~station.gallery.maintenance.MaintenanceStore` (check, copy, export),
:class:`~station.gallery.tamper.ChainStore` (tamper evidence),
:class:`~station.gallery.retention.RetentionStore` (purge) and
:class:`~station.gallery.accounts.AccountStore` (operator accounts) and
:class:`~station.gallery.agencies.AgencyStore` (the agency queue),
:class:`~station.gallery.training.TrainingStore` (scored training runs); this module adds the audit
trail and the counts.

Bad arguments raise ``ValueError`` before anything is written; a missing row raises
:class:`NotFoundError`; anything the file itself refuses raises :class:`GalleryError` with one
readable message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.core.vocabulary import (
    BOOKING_STATUSES,
    DISPOSITIONS,
    IMAGE_FORMATS,
    REPOSITORIES,
    ImageFormat,
)
from station.interchange import wsq

from . import checks, codecs
from .accounts import AccountStore
from .agencies import AgencyStore
from .base import guarded
from .maintenance import MaintenanceStore
from .retention import RetentionStore
from .training import TrainingStore

__all__ = ["Gallery", "ImageMigration", "open_gallery"]

log = logging.getLogger(__name__)


#: SQL condition of a stored PNG image that ``migrate_images`` converts to WSQ.
_CONVERTIBLE = f"format = '{ImageFormat.PNG}' AND min(width, height) >= {wsq.MIN_SIDE}"


@dataclass(frozen=True)
class ImageMigration:
    """What :meth:`Gallery.migrate_images` did.

    Attributes
    ----------
    converted : int
        PNG images rewritten as WSQ by this call.
    batches : int
        Transactions committed by this call.
    remaining : int
        PNG images still to convert (0 when done; more when ``limit`` stopped the call).
    png_bytes, wsq_bytes : int
        Stored bytes of the converted images before and after.
    """

    converted: int
    batches: int
    remaining: int
    png_bytes: int
    wsq_bytes: int


class Gallery(MaintenanceStore, RetentionStore, AccountStore, AgencyStore, TrainingStore):
    """An open gallery file; use :func:`open_gallery` to get one.

    Parameters
    ----------
    path : str or pathlib.Path
        The SQLite file.
    create : bool
        Create (and initialise) the file if it does not exist or is empty.
    readonly : bool
        Open for reading only (the file must exist at the current schema version).
    timeout : float
        Seconds to wait for another process's write lock before giving up with
        ``GalleryError("gallery … is locked by another process")``.

    Attributes
    ----------
    path : pathlib.Path
    readonly : bool
    schema_version : int
        ``SCHEMA_VERSION`` once open.
    closed : bool

    Examples
    --------
    >>> with open_gallery("db/gallery.sqlite") as gallery:  # doctest: +SKIP
    ...     sid = gallery.add_subject({"last_name": "Novak", "first_name": "Ana"})
    ...     with gallery.transaction():
    ...         gallery.add_record(sid, "local", "L-0001")
    ...         gallery.audit("enrol", actor="officer 7", subject_id=sid)
    """

    @guarded
    def audit(
        self,
        action: str,
        *,
        actor: str,
        booking_id: int | None = None,
        subject_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append an entry to the audit trail (entries can never be changed or deleted).

        Parameters
        ----------
        action : str
            What happened ("open booking", "override quality", "confirm hit", …).
        actor : str
            Who did it.
        booking_id, subject_id : int, optional
            What it concerns.
        detail : mapping, optional
            JSON-able details.

        Returns
        -------
        audit_id : int
        """
        action = checks.text(action, "action")
        actor = checks.text(actor, "actor")
        if detail is not None and not isinstance(detail, Mapping):
            raise ValueError(f"detail must be a mapping, got {type(detail).__name__}")
        text = None if detail is None else codecs.to_json(dict(detail), "detail")
        with self.transaction():
            if booking_id is not None:
                booking_id = self._require("bookings", booking_id, "booking")
            if subject_id is not None:
                subject_id = self._require("subjects", subject_id, "subject")
            return self._insert(
                "audit",
                {
                    "at": codecs.now(),
                    "actor": actor,
                    "action": action,
                    "booking_id": booking_id,
                    "subject_id": subject_id,
                    "detail": text,
                },
            )

    @guarded
    def audit_log(
        self,
        *,
        booking_id: int | None = None,
        subject_id: int | None = None,
        limit: int = 1000,
    ) -> list[dict[str, Any]]:
        """The latest ``limit`` audit entries (optionally of one booking or subject), oldest
        first: ``id, at, actor, action, booking_id, subject_id, detail`` (parsed)."""
        limit = checks.count(limit, "limit")
        where, params = [], []
        if booking_id is not None:
            where.append("booking_id = ?")
            params.append(checks.row_id(booking_id, "booking id"))
        if subject_id is not None:
            where.append("subject_id = ?")
            params.append(checks.row_id(subject_id, "subject id"))
        sql = "SELECT id, at, actor, action, booking_id, subject_id, detail FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._rows(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        for row in rows:
            row["detail"] = codecs.from_json(row["detail"])
        return rows[::-1]

    @guarded
    def stats(self) -> dict[str, Any]:
        """Counts for a status line or ``station gallery stats``.

        Returns
        -------
        stats : dict
            ``path, schema_version, file_size, wal_size`` (bytes), ``generation, subjects,
            records`` (per repository), ``prints, templates, booking_prints, bookings`` (per
            status), ``responses`` (per disposition), ``decisions, audit``, ``images`` (per
            format: ``png``, ``wsq``), ``images_to_convert`` (PNG images that
            :meth:`migrate_images` would convert) and ``image_bytes`` (per format).
        """

        def grouped(table: str, column: str, keys: Sequence[str]) -> dict[str, int]:
            counts = dict.fromkeys(keys, 0)
            rows = self._conn.execute(f"SELECT {column}, count(*) FROM {table} GROUP BY {column}")
            counts.update({key: int(n) for key, n in rows})
            return counts

        def grouped_sum(table: str, column: str, value: str, keys: Sequence[str]) -> dict[str, int]:
            sums = dict.fromkeys(keys, 0)
            sql = f"SELECT {column}, total({value}) FROM {table} GROUP BY {column}"
            sums.update({key: int(n) for key, n in self._conn.execute(sql)})
            return sums

        def count(sql: str) -> int:
            return int(self._scalar(sql))

        wal = self.path.with_name(self.path.name + "-wal")
        with self._snapshot():
            return {
                "path": str(self.path),
                "schema_version": int(self._scalar("PRAGMA user_version")),
                "file_size": self.path.stat().st_size,
                "wal_size": wal.stat().st_size if wal.exists() else 0,
                "generation": self.generation(),
                "subjects": count("SELECT count(*) FROM subjects"),
                "records": grouped("records", "repository", REPOSITORIES),
                "prints": count("SELECT count(*) FROM prints"),
                "templates": count("SELECT count(*) FROM prints WHERE template IS NOT NULL"),
                "booking_prints": count("SELECT count(*) FROM booking_prints"),
                "bookings": grouped("bookings", "status", BOOKING_STATUSES),
                "responses": grouped("responses", "disposition", DISPOSITIONS),
                "decisions": count("SELECT count(*) FROM decisions"),
                "audit": count("SELECT count(*) FROM audit"),
                "images": grouped("images", "format", IMAGE_FORMATS),
                "images_to_convert": count(f"SELECT count(*) FROM images WHERE {_CONVERTIBLE}"),
                "image_bytes": grouped_sum("images", "format", "length(data)", IMAGE_FORMATS),
            }

    @guarded
    def migrate_images(
        self,
        *,
        batch: int = 200,
        limit: int | None = None,
        actor: str = "station",
        progress: Callable[[int, int], None] | None = None,
        vacuum: bool = True,
    ) -> ImageMigration:
        """Convert the gallery's PNG print images to WSQ, in batches.

        Each batch is one transaction: its images are rewritten, each rewrite is chained as an
        update (so ``verify`` still passes) and one audit entry records the batch. Stopping at
        any point leaves whole batches converted and the rest PNG; running again resumes.
        Images under ``wsq.MIN_SIDE`` pixels a side stay PNG. Templates are not touched.

        Parameters
        ----------
        batch : int
            Images per transaction.
        limit : int, optional
            Convert at most this many images in this call.
        actor : str
            Who runs it, for the audit trail.
        progress : callable, optional
            Called as ``progress(converted, total)`` after each batch.
        vacuum : bool
            When this call converted the last PNG images, ``VACUUM`` the file so the space they
            held goes back to the file system (SQLite keeps freed pages otherwise).

        Returns
        -------
        ImageMigration
        """
        batch = checks.count(batch, "batch")
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        if limit is not None:
            limit = checks.count(limit, "limit")
        actor = checks.text(actor, "actor")
        total = int(self._scalar(f"SELECT count(*) FROM images WHERE {_CONVERTIBLE}"))
        if limit is not None:
            total = min(total, limit)
        converted = batches = before = after = 0
        while converted < total:
            size = min(batch, total - converted)
            with self.transaction():
                rows = self._conn.execute(
                    f"SELECT id, data FROM images WHERE {_CONVERTIBLE} ORDER BY id LIMIT ?",
                    (size,),
                ).fetchall()
                if not rows:
                    break
                for image_id, png in rows:
                    image = self._decode(png, ImageFormat.PNG, f"image {image_id}")
                    data = wsq.encode(image, ppi=500)
                    self._conn.execute(
                        "UPDATE images SET data = ?, format = ? WHERE id = ?",
                        (data, ImageFormat.WSQ, image_id),
                    )
                    self._chain("images", image_id, "update")
                    before += len(png)
                    after += len(data)
                self.audit(
                    "convert images to WSQ",
                    actor=actor,
                    detail={"images": len(rows), "first_id": rows[0][0], "last_id": rows[-1][0]},
                )
            converted += len(rows)
            batches += 1
            log.info("gallery %s: %d of %d images converted to WSQ", self.path, converted, total)
            if progress:
                progress(converted, total)
        remaining = int(self._scalar(f"SELECT count(*) FROM images WHERE {_CONVERTIBLE}"))
        if vacuum and converted and not remaining and not self._conn.in_transaction:
            log.info("gallery %s: vacuum after converting images", self.path)
            self._conn.execute("VACUUM")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return ImageMigration(converted, batches, remaining, before, after)


def open_gallery(
    path: str | Path,
    *,
    create: bool = True,
    readonly: bool = False,
    timeout: float = 5.0,
) -> Gallery:
    """Open (and if need be create and migrate) a gallery file.

    Parameters
    ----------
    path : str or pathlib.Path
    create : bool
        Create the file (and its directory) if missing.
    readonly : bool
        Read only; the file must exist at ``SCHEMA_VERSION``.
    timeout : float
        Seconds to wait for another process's lock.

    Returns
    -------
    gallery : Gallery
        Close it, or use it as a context manager.

    Raises
    ------
    GalleryError
        Not a SQLite file, another application's database, a newer schema, locked or damaged;
        the file is left as it was.
    """
    return Gallery(path, create=create, readonly=readonly, timeout=timeout)
