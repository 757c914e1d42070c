"""The gallery: enrolled subjects and their prints, bookings and their outcome, the audit trail.

:class:`Gallery` is composed of :class:`~station.gallery.base.GalleryBase` (connection and
transactions), :class:`~station.gallery.subjects.SubjectStore`,
:class:`~station.gallery.bookings.BookingStore`,
:class:`~station.gallery.maintenance.MaintenanceStore` (check, copy, export),
:class:`~station.gallery.tamper.ChainStore` (tamper evidence),
:class:`~station.gallery.retention.RetentionStore` (purge) and
:class:`~station.gallery.accounts.AccountStore` (operator accounts); this module adds the audit
trail and the counts.

Bad arguments raise ``ValueError`` before anything is written; a missing row raises
:class:`NotFoundError`; anything the file itself refuses raises :class:`GalleryError` with one
readable message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from station.core.vocabulary import BOOKING_STATUSES, DISPOSITIONS, REPOSITORIES

from . import checks, codecs
from .accounts import AccountStore
from .base import guarded
from .maintenance import MaintenanceStore
from .retention import RetentionStore

__all__ = ["Gallery", "open_gallery"]

log = logging.getLogger(__name__)


class Gallery(MaintenanceStore, RetentionStore, AccountStore):
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
            status), ``responses`` (per disposition), ``decisions, audit``.
        """

        def grouped(table: str, column: str, keys: Sequence[str]) -> dict[str, int]:
            counts = dict.fromkeys(keys, 0)
            rows = self._conn.execute(f"SELECT {column}, count(*) FROM {table} GROUP BY {column}")
            counts.update({key: int(n) for key, n in rows})
            return counts

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
            }


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
