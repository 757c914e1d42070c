"""Bookings: the transaction, its captures and recaptures, responses, examiners' decisions."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Mapping
from typing import Any

import numpy as np

from station.core.arrest import Arrest
from station.core.template import Template
from station.core.vocabulary import (
    ANNOTATIONS,
    BOOKING_STATUSES,
    DECISIONS,
    DISPOSITIONS,
    FINGERS,
    IMPRESSIONS,
    SLAPS,
    TRANSACTION_TYPES,
    BookingStatus,
    Decision,
    Impression,
    TransactionType,
)

from . import checks, codecs
from .base import GalleryBase, finger_order, guarded
from .errors import GalleryError, NotFoundError
from .schema import DEMOGRAPHIC_FIELDS

__all__ = ["TCN", "BookingStore"]

log = logging.getLogger(__name__)

#: TCN: 1-40 characters, letters, digits, '.', '_' and '-' (safe as a file name too).
TCN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
_BOOKING_COLUMNS = ", ".join(
    (
        "id",
        "tcn",
        "transaction_type",
        "operator",
        "station_id",
        "status",
        "subject_id",
        *DEMOGRAPHIC_FIELDS,
        "created_at",
        "updated_at",
    )
)
_BOOKING_PRINT_COLUMNS = (
    "p.id, p.booking_id, p.finger, p.impression, p.annotation, p.attempt, p.quality, p.level, "
    "p.device, p.captured_at, p.created_at, i.width, i.height, "
    "p.template IS NOT NULL AS has_template"
)


class BookingStore(GalleryBase):
    """Bookings, captures, responses and decisions (part of :class:`Gallery`)."""

    @guarded
    def open_booking(
        self,
        *,
        tcn: str,
        operator: str,
        station_id: str,
        transaction_type: str = TransactionType.CAR,
        demographics: Mapping[str, Any],
    ) -> int:
        """Start a booking transaction (status ``open``).

        Parameters
        ----------
        tcn : str
            Transaction Control Number, unique: 1-40 letters, digits, '.', '_' or '-'.
        operator, station_id : str
            Who books, on which station.
        transaction_type : str
            ``"CAR"`` (criminal tenprint, answer required) or ``"CNA"`` (no answer necessary).
        demographics : mapping or Demographics
            As for :meth:`add_subject`.

        Returns
        -------
        booking_id : int

        Raises
        ------
        GalleryError
            A booking with this TCN exists.
        """
        if not isinstance(tcn, str) or not TCN.fullmatch(tcn):
            raise ValueError(
                f"TCN must be 1-40 letters, digits, '.', '_' or '-' (starting with a letter or "
                f"digit), got {tcn!r}"
            )
        operator = checks.text(operator, "operator")
        station_id = checks.text(station_id, "station_id")
        transaction_type = checks.choice(transaction_type, TRANSACTION_TYPES, "transaction type")
        row = codecs.demographics_row(demographics)
        with self.transaction():
            if self._scalar("SELECT 1 FROM bookings WHERE tcn = ?", (tcn,)) is not None:
                raise GalleryError(f"booking TCN {tcn} exists")
            stamp = codecs.now()
            try:
                return self._insert(
                    "bookings",
                    {
                        "tcn": tcn,
                        "transaction_type": transaction_type,
                        "operator": operator,
                        "station_id": station_id,
                        "status": BookingStatus.OPEN,
                        **row,
                        "created_at": stamp,
                        "updated_at": stamp,
                    },
                )
            except sqlite3.IntegrityError as exc:
                if "bookings.tcn" in str(exc):
                    raise GalleryError(f"booking TCN {tcn} exists") from None
                raise

    @guarded
    def next_tcn_sequence(self) -> int:
        """Draw the next number of the gallery's TCN sequence (1, 2, 3 … never repeated).

        The counter lives in the gallery (``meta`` key ``tcn_sequence``) and is incremented
        under the write lock, so two processes or stations sharing the gallery never draw the
        same number. Call it inside the transaction that opens the booking
        (``with gallery.transaction():``) so the number and the booking commit together; a
        number drawn by a transaction that rolls back is drawn again.

        Returns
        -------
        sequence : int

        Examples
        --------
        >>> with gallery.transaction():  # doctest: +SKIP
        ...     n = gallery.next_tcn_sequence()
        ...     gallery.open_booking(tcn=f"BS-01-20260101120000-{n:06d}", ...)
        """
        with self.transaction():
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES ('tcn_sequence', 1) "
                "ON CONFLICT (key) DO UPDATE SET value = value + 1"
            )
            return int(self._scalar("SELECT value FROM meta WHERE key = 'tcn_sequence'"))

    def _booking_row(self, where: str, value: Any, what: str) -> dict[str, Any]:
        row = self._row(f"SELECT {_BOOKING_COLUMNS} FROM bookings WHERE {where} = ?", (value,))
        if row is None:
            raise NotFoundError(f"no booking {what} in gallery {self.path}")
        return checks.booking_dict(row)

    @guarded
    def booking(self, booking_id: int) -> dict[str, Any]:
        """One booking: ``id, tcn, transaction_type, operator, station_id, status, subject_id,
        created_at, updated_at`` and ``demographics`` (a dict of the demographic fields)."""
        booking_id = checks.row_id(booking_id, "booking id")
        return self._booking_row("id", booking_id, str(booking_id))

    @guarded
    def booking_by_tcn(self, tcn: str) -> dict[str, Any]:
        """The booking with this TCN (as :meth:`booking`); ``NotFoundError`` if none."""
        if not isinstance(tcn, str):
            raise ValueError(f"TCN must be text, got {tcn!r}")
        return self._booking_row("tcn", tcn, f"with TCN {tcn}")

    @guarded
    def bookings(
        self, *, limit: int = 100, offset: int = 0, status: str | None = None
    ) -> list[dict[str, Any]]:
        """A page of bookings, newest first, optionally only those with ``status``."""
        limit, offset = checks.count(limit, "limit"), checks.count(offset, "offset")
        sql, params = f"SELECT {_BOOKING_COLUMNS} FROM bookings", []
        if status is not None:
            sql += " WHERE status = ?"
            params.append(checks.choice(status, BOOKING_STATUSES, "booking status"))
        sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        return [checks.booking_dict(r) for r in self._rows(sql, (*params, limit, offset))]

    @guarded
    def stale_bookings(self, *, older_than: float = 0.0) -> list[dict[str, Any]]:
        """Bookings left unfinished (``open`` or ``submitted``) and idle for ``older_than`` s.

        A station that stopped (crashed, killed, switched off) in the middle of a booking
        leaves it open (or, if an older station wrote it, "submitted" without a response);
        an officer still capturing also has an open booking, so only those idle
        for longer than ``older_than`` seconds are listed.

        Parameters
        ----------
        older_than : float
            Seconds since the booking's last activity (its last change or capture).

        Returns
        -------
        bookings : list of dict
            Oldest activity first: ``id, tcn, status, operator, station_id, created_at,
            last_activity`` (ISO-8601 UTC), ``age_seconds`` (float), ``prints`` (captures and
            annotations stored) and ``responses`` (count).

        Examples
        --------
        >>> gallery.stale_bookings(older_than=600)  # doctest: +SKIP
        [{'id': 7, 'tcn': 'BS-01-…', 'status': 'open', 'age_seconds': 3721.5, 'prints': 3, …}]
        """
        if (
            isinstance(older_than, bool)
            or not isinstance(older_than, int | float)
            or not older_than >= 0
        ):
            raise ValueError(f"older_than must be a number of seconds >= 0, got {older_than!r}")
        rows = self._rows(
            "SELECT b.id, b.tcn, b.status, b.operator, b.station_id, b.created_at, "
            "max(b.updated_at, coalesce((SELECT max(p.created_at) FROM booking_prints p "
            "WHERE p.booking_id = b.id), '')) AS last_activity, "
            "(SELECT count(*) FROM booking_prints p WHERE p.booking_id = b.id) AS prints, "
            "(SELECT count(*) FROM responses r WHERE r.booking_id = b.id) AS responses "
            "FROM bookings b WHERE b.status IN (?, ?) ORDER BY last_activity, b.id",
            (BookingStatus.OPEN, BookingStatus.SUBMITTED),
        )
        now = codecs.parse_time(codecs.now())
        stale = []
        for row in rows:
            row["age_seconds"] = (now - codecs.parse_time(row["last_activity"])).total_seconds()
            if row["age_seconds"] >= older_than:
                stale.append(row)
        return stale

    def _open_booking_status(self, booking_id: object, what: str = "its prints") -> int:
        """The id of ``booking_id`` if it is open; else ``GalleryError`` saying ``what`` can
        only change while it is open."""
        booking_id = self._require("bookings", booking_id, "booking")
        status, tcn = self._conn.execute(
            "SELECT status, tcn FROM bookings WHERE id = ?", (booking_id,)
        ).fetchone()
        if status != BookingStatus.OPEN:
            raise GalleryError(
                f"booking {tcn} is {status}: {what} can only change while it is open"
            )
        return booking_id

    @guarded
    def set_arrest(self, booking_id: int, arrest: Arrest, *, jms_booking: str | None = None) -> int:
        """Store the arrest data of an open booking (replacing what it had), chained.

        Parameters
        ----------
        booking_id : int
        arrest : Arrest
            Checked by the caller (:func:`station.service.arrest.clean_arrest`).
        jms_booking : str, optional
            The jail management system's booking number it came from.

        Returns
        -------
        arrest_id : int

        Raises
        ------
        GalleryError
            The booking is not open (a submitted booking's arrest data is what was sent).
        NotFoundError
            No such booking.
        """
        if not isinstance(arrest, Arrest):
            raise ValueError(f"arrest must be an Arrest, got {type(arrest).__name__}")
        if jms_booking is not None:
            jms_booking = checks.text(jms_booking, "JMS booking number")
        data = arrest.to_json()
        row = {
            "oca": data["oca"],
            "ori": data["ori"],
            "date_of_arrest": data["date_of_arrest"],
            "charges": codecs.to_json(data["charges"], "charges"),
            "race": data["race"],
            "smt": codecs.to_json(data["smt"], "smt"),
            "jms_booking": jms_booking,
        }
        with self.transaction():
            booking_id = self._open_booking_status(booking_id, "its arrest data")
            stamp = codecs.now()
            existing = self._scalar("SELECT id FROM arrests WHERE booking_id = ?", (booking_id,))
            if existing is None:
                return self._insert(
                    "arrests",
                    {"booking_id": booking_id, **row, "created_at": stamp, "updated_at": stamp},
                )
            sets = ", ".join(f"{k} = ?" for k in row)
            self._conn.execute(
                f"UPDATE arrests SET {sets}, updated_at = ? WHERE id = ?",
                (*row.values(), stamp, existing),
            )
            self._chain("arrests", int(existing), "update")
            return int(existing)

    @guarded
    def arrest(self, booking_id: int) -> dict[str, Any] | None:
        """The booking's arrest data, or ``None`` when it has none.

        Returns
        -------
        dict or None
            ``id, booking_id, oca, ori, date_of_arrest, race, jms_booking, created_at,
            updated_at``, ``charges`` (list of ``{"code", "offence_date"}``) and ``smt`` (list
            of text): :meth:`station.core.arrest.Arrest.from_json` reads it.
        """
        booking_id = self._require("bookings", booking_id, "booking")
        row = self._row("SELECT * FROM arrests WHERE booking_id = ?", (booking_id,))
        if row is None:
            return None
        row["charges"] = codecs.from_json(row["charges"])
        row["smt"] = codecs.from_json(row["smt"])
        return row

    @guarded
    def add_booking_print(
        self,
        booking_id: int,
        finger: str,
        impression: str,
        image: np.ndarray | None,
        *,
        annotation: str | None = None,
        template: Template | None = None,
        quality: int | None = None,
        level: int | None = None,
        device: str,
        captured_at: str | None = None,
    ) -> int:
        """Store a capture of an open booking, replacing an earlier one of the same slot.

        Parameters
        ----------
        booking_id : int
        finger : str
            ``R1`` … ``L5``, or a slap: ``RS`` right four, ``LS`` left four, ``TS`` both
            thumbs (slaps are flat).
        impression : str
            ``"rolled"`` or ``"flat"``.
        image : (M, N) ndarray of uint8 or None
            ``None`` exactly when ``annotation`` is given.
        annotation : str, optional
            ``"XX"`` amputated or ``"UP"`` unable to print: the slot is annotated, not captured.
        template : Template, optional
        quality, level : int, optional
            Default to the template's.
        device : str
        captured_at : str or datetime, optional
            Default now.

        Returns
        -------
        booking_print_id : int
            A recapture gets a new id, and ``attempt`` one more than the print it replaces;
            the replaced print and its image are deleted in the same transaction.

        Raises
        ------
        GalleryError
            The booking is not open.
        """
        finger = checks.finger_or_slap(finger)
        impression = checks.choice(impression, IMPRESSIONS, "impression")
        if finger in SLAPS and impression != Impression.FLAT:
            raise ValueError(f"slap {finger} is a flat impression")
        if annotation is not None:
            annotation = checks.choice(annotation, ANNOTATIONS, "annotation")
            if image is not None or template is not None:
                raise ValueError(f"an annotated ({annotation}) finger has no image or template")
        elif image is None:
            raise ValueError("image is required unless the finger is annotated (XX or UP)")
        encoded = None if image is None else codecs.encode_image(image)
        blob = checks.template_blob(template)
        if template is not None:
            quality = template.quality if quality is None else quality
            level = template.level if level is None else level
        quality = checks.score(quality, "quality", 0, 100)
        level = checks.score(level, "level", 1, 5)
        device = checks.text(device, "device")
        captured = codecs.timestamp(captured_at)
        with self.transaction():
            booking_id = self._open_booking_status(booking_id)
            old = self._row(
                "SELECT id, image_id, attempt FROM booking_prints "
                "WHERE booking_id = ? AND finger = ? AND impression = ?",
                (booking_id, finger, impression),
            )
            attempt = 1
            if old is not None:
                attempt = old["attempt"] + 1
                self._delete_chained("booking_prints", old["id"])
                if old["image_id"] is not None:
                    self._delete_chained("images", old["image_id"])
                log.info(
                    "booking %d: %s %s recaptured (attempt %d)",
                    booking_id,
                    finger,
                    impression,
                    attempt,
                )
            image_id = None
            if encoded is not None:
                data, fmt, width, height = encoded
                image_id = self._insert(
                    "images", {"width": width, "height": height, "data": data, "format": fmt}
                )
            return self._insert(
                "booking_prints",
                {
                    "booking_id": booking_id,
                    "finger": finger,
                    "impression": impression,
                    "annotation": annotation,
                    "attempt": attempt,
                    "quality": quality,
                    "level": level,
                    "device": device,
                    "captured_at": captured,
                    "image_id": image_id,
                    "created_at": codecs.now(),
                    "template": blob,
                },
            )

    @guarded
    def booking_prints(self, booking_id: int, *, with_images: bool = False) -> list[dict[str, Any]]:
        """The booking's captures in capture order (R1 … L5 rolled, then flats and slaps).

        Each dict holds ``id, booking_id, finger, impression, annotation, attempt, quality,
        level, device, captured_at, created_at, width, height, has_template`` and, with
        ``with_images``, ``image`` ((M, N) uint8, or ``None`` for an annotated finger).
        """
        booking_id = self._require("bookings", booking_id, "booking")
        extra = ", i.data, i.format" if with_images else ""
        rows = checks.flags(
            self._rows(
                f"SELECT {_BOOKING_PRINT_COLUMNS}{extra} FROM booking_prints p "
                "LEFT JOIN images i ON i.id = p.image_id WHERE p.booking_id = ? "
                f"ORDER BY p.impression DESC, {finger_order('p.finger')}",
                (booking_id,),
            )
        )
        if with_images:
            for row in rows:
                data, fmt = row.pop("data"), row.pop("format")
                what = f"image of booking print {row['id']}"
                row["image"] = None if data is None else self._decode(data, fmt, what)
        return rows

    @guarded
    def booking_print_data(self, booking_id: int) -> dict[int, tuple[bytes, str]]:
        """The stored image bytes of the booking's captures, as kept (not decoded).

        Returns
        -------
        dict
            ``{booking print id: (data, format)}`` with ``format`` ``"WSQ"`` or ``"PNG"``;
            annotated fingers (no image) are left out. An interchange file can carry the
            WSQ bytes as they are, without compressing the print a second time.
        """
        booking_id = self._require("bookings", booking_id, "booking")
        rows = self._rows(
            "SELECT p.id, i.data, i.format FROM booking_prints p "
            "JOIN images i ON i.id = p.image_id WHERE p.booking_id = ?",
            (booking_id,),
        )
        return {r["id"]: (bytes(r["data"]), str(r["format"])) for r in rows}

    @guarded
    def booking_templates(
        self, booking_id: int, *, impression: str = Impression.ROLLED
    ) -> dict[str, Any]:
        """``{finger: Template}`` of the booking's captured prints of one impression type.

        Annotated fingers, slaps and prints without a template are left out: this is the
        probe of a tenprint search.
        """
        impression = checks.choice(impression, IMPRESSIONS, "impression")
        booking_id = self._require("bookings", booking_id, "booking")
        rows = self._rows(
            "SELECT id, finger, template FROM booking_prints WHERE booking_id = ? "
            f"AND impression = ? AND template IS NOT NULL ORDER BY {finger_order()}",
            (booking_id, impression),
        )
        return {
            r["finger"]: self._load_template(r["template"], f"template of booking print {r['id']}")
            for r in rows
            if r["finger"] in FINGERS
        }

    @guarded
    def set_booking_status(self, booking_id: int, status: str) -> None:
        """Move a booking to ``status`` (one of ``BOOKING_STATUSES``; no transition rules)."""
        status = checks.choice(status, BOOKING_STATUSES, "booking status")
        with self.transaction():
            booking_id = self._require("bookings", booking_id, "booking")
            self._conn.execute(
                "UPDATE bookings SET status = ?, updated_at = ? WHERE id = ?",
                (status, codecs.now(), booking_id),
            )
            self._chain("bookings", booking_id, "update")

    @guarded
    def link_booking_subject(
        self, booking_id: int, subject_id: int | None, *, replace: bool = False
    ) -> None:
        """Record which enrolled subject the booked person is.

        Parameters
        ----------
        booking_id : int
        subject_id : int or None
            ``None`` unlinks (with ``replace``).
        replace : bool
            Replace an earlier link (an examiner's decision was made or undone).

        Raises
        ------
        GalleryError
            The booking is already linked to another subject (without ``replace``).
        """
        with self.transaction():
            booking_id = self._require("bookings", booking_id, "booking")
            if subject_id is not None:
                subject_id = self._require("subjects", subject_id, "subject")
            elif not replace:
                raise ValueError("a subject id is required unless replacing the link")
            linked = self._scalar("SELECT subject_id FROM bookings WHERE id = ?", (booking_id,))
            if linked == subject_id:
                return
            if linked is not None and not replace:
                raise GalleryError(f"booking {booking_id} is already linked to subject {linked}")
            self._conn.execute(
                "UPDATE bookings SET subject_id = ?, updated_at = ? WHERE id = ?",
                (subject_id, codecs.now(), booking_id),
            )
            self._chain("bookings", booking_id, "update")

    @guarded
    def add_response(self, booking_id: int, disposition: str, payload: Mapping[str, Any]) -> int:
        """Store the search response to a booking.

        Parameters
        ----------
        booking_id : int
        disposition : str
            ``HIT``, ``NO HIT``, ``REVIEW``, ``RECAPTURE`` or ``ERROR``.
        payload : mapping
            JSON-able details: candidates with per-finger scores, the threshold, a reason, …
            (numpy numbers and arrays are accepted).

        Returns
        -------
        response_id : int
        """
        disposition = checks.choice(disposition, DISPOSITIONS, "disposition")
        if not isinstance(payload, Mapping):
            raise ValueError(f"payload must be a mapping, got {type(payload).__name__}")
        text = codecs.to_json(dict(payload))
        with self.transaction():
            booking_id = self._require("bookings", booking_id, "booking")
            return self._insert(
                "responses",
                {
                    "booking_id": booking_id,
                    "disposition": disposition,
                    "payload": text,
                    "received_at": codecs.now(),
                },
            )

    @guarded
    def responses(self, booking_id: int) -> list[dict[str, Any]]:
        """The booking's responses, oldest first: ``id, booking_id, disposition, payload
        (parsed), received_at``."""
        booking_id = self._require("bookings", booking_id, "booking")
        rows = self._rows(
            "SELECT id, booking_id, disposition, payload, received_at FROM responses "
            "WHERE booking_id = ? ORDER BY id",
            (booking_id,),
        )
        for row in rows:
            row["payload"] = codecs.from_json(row["payload"])
        return rows

    @guarded
    def add_decision(
        self,
        booking_id: int,
        response_id: int,
        *,
        examiner: str,
        subject_id: int | None,
        decision: str,
        note: str = "",
    ) -> int:
        """Record an examiner's decision on a response's candidate.

        Parameters
        ----------
        booking_id, response_id : int
            The response must belong to the booking.
        examiner : str
        subject_id : int or None
            The candidate decided on; required to ``confirm``.
        decision : str
            ``"confirm"``, ``"reject"`` or ``"undo"`` (cancels the latest decision not undone
            yet; names the same subject).
        note : str

        Returns
        -------
        decision_id : int
        """
        decision = checks.choice(decision, DECISIONS, "decision")
        examiner = checks.text(examiner, "examiner")
        if not isinstance(note, str):
            raise ValueError(f"note must be text, got {note!r}")
        if decision == Decision.CONFIRM and subject_id is None:
            raise ValueError("a confirmation names the subject it confirms")
        with self.transaction():
            booking_id = self._require("bookings", booking_id, "booking")
            response_id = self._require("responses", response_id, "response")
            owner = self._scalar("SELECT booking_id FROM responses WHERE id = ?", (response_id,))
            if owner != booking_id:
                raise GalleryError(
                    f"response {response_id} is not a response to booking {booking_id}"
                )
            if subject_id is not None:
                subject_id = self._require("subjects", subject_id, "subject")
            return self._insert(
                "decisions",
                {
                    "booking_id": booking_id,
                    "response_id": response_id,
                    "examiner": examiner,
                    "subject_id": subject_id,
                    "decision": decision,
                    "note": note,
                    "decided_at": codecs.now(),
                },
            )

    @guarded
    def decisions(self, booking_id: int) -> list[dict[str, Any]]:
        """The booking's decisions, oldest first."""
        booking_id = self._require("bookings", booking_id, "booking")
        return self._rows(
            "SELECT id, booking_id, response_id, examiner, subject_id, decision, note, decided_at "
            "FROM decisions WHERE booking_id = ? ORDER BY id",
            (booking_id,),
        )
