"""Retention: purging closed bookings older than a number of days (part of :class:`Gallery`).

A purge removes each such booking with everything recorded about it — its captures and their
images, its search responses, examiners' decisions and audit entries — through the chained
delete, so the tamper-evident chain stays valid (``station gallery verify`` says ok after). An
enrolled subject's gallery prints are kept: they are the gallery; they only lose their link
to the purged booking (a chained update). One audit entry records the purge.

Responses, decisions and audit entries are append-only (triggers refuse a delete); the purge
lifts those three triggers inside its own transaction and puts them back, exactly as they
were, before it commits, so no other connection ever sees the gallery without them.

Deleted content is overwritten in the file (``PRAGMA secure_delete``) and the write-ahead
log is checkpointed and truncated afterwards (when no other connection is reading), so the
purged prints do not linger in free pages or in the ``-wal`` file. The file is not vacuumed:
it keeps its size and reuses the freed pages.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace

from station.core.vocabulary import BookingStatus

from . import checks, codecs
from .base import GalleryBase, guarded
from .errors import GalleryError

__all__ = ["CLOSED_STATUSES", "PurgeReport", "RetentionStore"]

log = logging.getLogger(__name__)

#: Statuses of a booking that is finished and may be purged.
CLOSED_STATUSES: tuple[BookingStatus, ...] = (
    BookingStatus.DECIDED,
    BookingStatus.ENROLLED,
    BookingStatus.CANCELLED,
    BookingStatus.ERROR,
)
#: Append-only triggers a purge lifts for its own transaction.
_APPEND_ONLY = ("responses_no_delete", "decisions_no_delete", "audit_no_delete")


@dataclass(frozen=True)
class PurgeReport:
    """What :meth:`RetentionStore.purge` removed (or, on a dry run, would remove).

    Attributes
    ----------
    cutoff : str
        Bookings last changed before this time (ISO-8601 UTC) were purged.
    dry_run : bool
        Nothing was written.
    tcns : tuple of str
        The purged bookings' TCNs, oldest first.
    booking_prints, images, responses, decisions, audit : int
        Rows removed with them.
    prints_kept : int
        Enrolled subjects' gallery prints kept, unlinked from a purged booking.
    audit_id : int or None
        The audit entry recording the purge (``None`` on a dry run).
    """

    cutoff: str
    dry_run: bool
    tcns: tuple[str, ...]
    booking_prints: int
    images: int
    responses: int
    decisions: int
    audit: int
    prints_kept: int
    audit_id: int | None = None

    @property
    def bookings(self) -> int:
        """Bookings purged."""
        return len(self.tcns)


class RetentionStore(GalleryBase):
    """Purging old closed bookings (part of :class:`Gallery`)."""

    @guarded
    def purge(
        self,
        older_than_days: float,
        *,
        actor: str,
        dry_run: bool = False,
        now: dt.datetime | None = None,
    ) -> PurgeReport:
        """Remove closed bookings (decided, enrolled, cancelled, error) older than a limit.

        A booking is old when it was last changed (``updated_at``) more than
        ``older_than_days`` days before ``now``. Open, submitted and responded bookings are
        never purged.

        Parameters
        ----------
        older_than_days : float
            At least 0.
        actor : str
            Who purges (named in the audit entry).
        dry_run : bool
            Count what would go and write nothing.
        now : datetime, optional
            Aware; the current time by default.

        Returns
        -------
        PurgeReport

        Raises
        ------
        GalleryError
            Read-only gallery, or the purge could not be written (nothing is then removed).

        Examples
        --------
        >>> report = gallery.purge(365, actor="administrator")  # doctest: +SKIP
        >>> report.bookings, report.prints_kept  # doctest: +SKIP
        (12, 30)
        """
        if (
            isinstance(older_than_days, bool)
            or not isinstance(older_than_days, int | float)
            or not 0 <= older_than_days < 1e6
        ):
            raise ValueError(
                f"older_than_days must be a number of days >= 0, got {older_than_days!r}"
            )
        actor = checks.text(actor, "actor")
        if now is not None and now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        moment = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=older_than_days)
        cutoff = moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")
        cutoff = cutoff.replace("+00:00", "Z")
        if dry_run:
            with self._snapshot():
                return self._purge_plan(cutoff, dry_run=True)[0]
        if self.readonly:
            raise GalleryError(f"gallery {self.path} is open read-only")
        conn = self._conn
        secure = conn.execute("PRAGMA secure_delete").fetchone()[0]
        conn.execute("PRAGMA secure_delete = ON")
        try:
            with self.transaction():
                report = self._purge(cutoff, actor, older_than_days)
        finally:
            conn.execute(f"PRAGMA secure_delete = {int(secure)}")
        if report.tcns:
            self._truncate_log()
        log.info("gallery %s: purged %d bookings before %s", self.path, report.bookings, cutoff)
        return report

    def _purge_plan(self, cutoff: str, *, dry_run: bool) -> tuple[PurgeReport, list[int]]:
        """What a purge with this cutoff removes, and the ids of the bookings it removes
        (read inside the caller's transaction)."""
        rows = self._rows(
            f"SELECT id, tcn FROM bookings WHERE updated_at < ? AND status IN "
            f"({', '.join('?' for _ in CLOSED_STATUSES)}) ORDER BY updated_at, id",
            (cutoff, *CLOSED_STATUSES),
        )
        ids = [int(row["id"]) for row in rows]
        report = PurgeReport(
            cutoff=cutoff,
            dry_run=dry_run,
            tcns=tuple(str(row["tcn"]) for row in rows),
            booking_prints=len(self._ids("booking_prints", "booking_id", ids)),
            images=len(self._booking_images(ids)),
            responses=len(self._ids("responses", "booking_id", ids)),
            decisions=len(self._ids("decisions", "booking_id", ids)),
            audit=len(self._ids("audit", "booking_id", ids)),
            prints_kept=len(self._ids("prints", "booking_id", ids)),
        )
        return report, ids

    def _ids(self, table: str, column: str, values: Sequence[int]) -> list[int]:
        """Ids of the rows of ``table`` whose ``column`` is one of ``values``."""
        out: list[int] = []
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT id FROM {table} WHERE {column} IN ({marks}) ORDER BY id"
            out += [row[0] for row in self._conn.execute(sql, chunk).fetchall()]
        return out

    def _booking_images(self, booking_ids: Sequence[int]) -> list[int]:
        """Images of these bookings' captures that no gallery print uses."""
        out: list[int] = []
        for start in range(0, len(booking_ids), 500):
            chunk = booking_ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            sql = (
                f"SELECT DISTINCT image_id FROM booking_prints WHERE booking_id IN ({marks}) "
                "AND image_id IS NOT NULL AND image_id NOT IN (SELECT image_id FROM prints) "
                "ORDER BY image_id"
            )
            out += [row[0] for row in self._conn.execute(sql, chunk).fetchall()]
        return out

    def _purge(self, cutoff: str, actor: str, days: float) -> PurgeReport:
        """Remove the old closed bookings (inside the write transaction)."""
        plan, ids = self._purge_plan(cutoff, dry_run=False)
        if not ids:
            return plan
        conn = self._conn
        for print_id in self._ids("prints", "booking_id", ids):
            conn.execute("UPDATE prints SET booking_id = NULL WHERE id = ?", (print_id,))
            self._chain("prints", print_id, "update")
        images = self._booking_images(ids)
        triggers = self._lift(_APPEND_ONLY)
        try:
            for table in (
                "decisions",
                "responses",
                "audit",
                "booking_prints",
                "agency_messages",
                "arrests",
            ):
                for row_id in sorted(self._ids(table, "booking_id", ids), reverse=True):
                    self._delete_chained(table, row_id)
            for image_id in images:
                self._delete_chained("images", image_id)
            for booking_id in ids:
                self._delete_chained("bookings", booking_id)
        finally:
            for sql in triggers:
                conn.execute(sql)
        detail = {
            "older_than_days": days,
            "cutoff": cutoff,
            "bookings": plan.bookings,
            "tcns": list(plan.tcns),
            "booking_prints": plan.booking_prints,
            "images": plan.images,
            "responses": plan.responses,
            "decisions": plan.decisions,
            "audit": plan.audit,
            "prints_kept": plan.prints_kept,
        }
        audit_id = self._insert(
            "audit",
            {
                "at": codecs.now(),
                "actor": actor,
                "action": "purge bookings",
                "booking_id": None,
                "subject_id": None,
                "detail": codecs.to_json(detail, "detail"),
            },
        )
        return replace(plan, audit_id=audit_id)

    def _lift(self, names: Sequence[str]) -> list[str]:
        """Drop these triggers (inside the caller's transaction); their ``CREATE`` statements."""
        saved = []
        for name in names:
            sql = self._scalar(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)
            )
            if sql is None:
                raise GalleryError(f"gallery {self.path} is damaged: trigger {name} is missing")
            self._conn.execute(f"DROP TRIGGER {name}")
            saved.append(str(sql))
        return saved

    def _truncate_log(self) -> None:
        """Checkpoint the write-ahead log into the file and truncate it (best effort: another
        connection reading the gallery keeps the log until it is done)."""
        try:
            busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.Error as exc:
            log.warning("gallery %s: checkpoint after purge failed: %s", self.path, exc)
            return
        if busy:
            log.warning(
                "gallery %s: another connection is reading: the purged rows stay in the "
                "write-ahead log until it is checkpointed",
                self.path,
            )
