"""The agency queue: messages a booking sent to the emulated agencies (part of :class:`Gallery`).

One row of ``agency_messages`` (schema version 6) per message: which booking, the message's
own TCN, the system (``STATE``, ``NGI``, ``IDENT``, ``LESC``), the request's type of
transaction, when it was sent, when the agency will answer (``due_at``) and when the station
stops waiting (``deadline_at``), then, once settled, the status, the answer's type, result and
details. Rows are never deleted (but by a retention purge of their booking); a resubmission
is a new row that names the one it ``replaces``.

Any station on the same gallery may settle a pending message: :meth:`AgencyStore.
settle_agency_message` changes a row only while it is still pending, inside the write lock,
so of two stations answering one message exactly one succeeds. Every write is chained.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from station.core.vocabulary import SYSTEM_STATUSES, SYSTEMS, SystemStatus

from . import checks, codecs
from .base import GalleryBase, guarded

__all__ = ["AgencyStore", "message_digest"]

_COLUMNS = (
    "id, booking_id, tcn, system, tot, status, sent_at, due_at, deadline_at, answered_at, "
    "answered_by, response_tot, result, details, request_digest, response, replaces"
)


def message_digest(data: bytes) -> str:
    """The SHA-256 of a message's bytes, as the queue stores it (64 hex digits).

    Examples
    --------
    >>> message_digest(b"")[:12]
    'e3b0c44298fc'
    """
    if not isinstance(data, bytes | bytearray):
        raise ValueError(f"a message is bytes, got {type(data).__name__}")
    return hashlib.sha256(bytes(data)).hexdigest()


def _message(row: dict[str, Any]) -> dict[str, Any]:
    row["details"] = codecs.from_json(row["details"])
    return row


class AgencyStore(GalleryBase):
    """The queue of agency messages (part of :class:`Gallery`)."""

    @guarded
    def add_agency_message(
        self,
        booking_id: int,
        *,
        tcn: str,
        system: str,
        tot: str,
        sent_at: str,
        due_at: str,
        deadline_at: str,
        request_digest: str,
        replaces: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        """Queue a message to an agency (pending until an agency answers or it times out).

        Parameters
        ----------
        booking_id : int
        tcn : str
            The message's own TCN (unique).
        system : str
            One of ``SYSTEMS``.
        tot : str
            The request's type of transaction (``CAR``, ``IAQ`` …).
        sent_at, due_at, deadline_at : str
            Stored times (:func:`codecs.now` form): sent, answer due, waiting given up.
        request_digest : str
            :func:`message_digest` of the request's bytes.
        replaces : int, optional
            The message this one resubmits.
        details : mapping, optional
            JSON-able facts about the request.

        Returns
        -------
        message_id : int
        """
        tcn = checks.text(tcn, "tcn", limit=80)
        system = checks.choice(system, SYSTEMS, "system")
        tot = checks.text(tot, "tot", limit=8)
        times = {
            name: codecs.timestamp(value, name)
            for name, value in (
                ("sent_at", sent_at),
                ("due_at", due_at),
                ("deadline_at", deadline_at),
            )
        }
        if not isinstance(request_digest, str) or len(request_digest) != 64:
            raise ValueError(f"request_digest must be 64 hex digits, got {request_digest!r}")
        detail_text = codecs.to_json(dict(details or {}), "details")
        with self.transaction():
            booking_id = self._require("bookings", booking_id, "booking")
            if replaces is not None:
                replaces = self._require("agency_messages", replaces, "agency message")
            return self._insert(
                "agency_messages",
                {
                    "booking_id": booking_id,
                    "tcn": tcn,
                    "system": system,
                    "tot": tot,
                    "status": SystemStatus.PENDING,
                    **times,
                    "details": detail_text,
                    "request_digest": request_digest,
                    "replaces": replaces,
                },
            )

    @guarded
    def settle_agency_message(
        self,
        message_id: int,
        *,
        status: str,
        answered_by: str,
        answered_at: str | None = None,
        response_tot: str | None = None,
        result: str | None = None,
        details: Mapping[str, Any] | None = None,
        response: bytes | None = None,
    ) -> bool:
        """Settle a pending message (answered, error or timeout), once.

        The row changes only while it is still pending; the check and the change are one
        statement inside the write lock, so when two stations settle one message exactly one
        of them gets ``True``.

        Parameters
        ----------
        message_id : int
        status : str
            ``answered``, ``error`` or ``timeout``.
        answered_by : str
            Who settled it (a station id).
        answered_at : str, optional
            When (default: now).
        response_tot, result : str, optional
            The answer's type (``SRE``, ``ERRT``, ``IAR``) and short result (``ident`` …).
        details : mapping, optional
            The answer's content (JSON-able).
        response : bytes, optional
            The answer's bytes as the agency sent them.

        Returns
        -------
        bool
            Whether this call settled it (``False``: it was settled already).
        """
        message_id = checks.row_id(message_id, "agency message id")
        status = checks.choice(status, SYSTEM_STATUSES, "status")
        if status == SystemStatus.PENDING:
            raise ValueError("a message is settled as answered, error or timeout, not pending")
        answered_by = checks.text(answered_by, "answered_by", limit=80)
        answered_at = codecs.timestamp(answered_at, "answered_at")
        response_tot = checks.text(response_tot, "response_tot", optional=True, limit=8)
        result = checks.text(result, "result", optional=True)
        detail_text = codecs.to_json(dict(details or {}), "details")
        if response is not None and not isinstance(response, bytes | bytearray):
            raise ValueError(f"response must be bytes, got {type(response).__name__}")
        with self.transaction():
            self._require("agency_messages", message_id, "agency message")
            cursor = self._conn.execute(
                "UPDATE agency_messages SET status = ?, answered_at = ?, answered_by = ?, "
                "response_tot = ?, result = ?, details = ?, response = ? "
                "WHERE id = ? AND status = ?",
                (
                    status,
                    answered_at,
                    answered_by,
                    response_tot,
                    result,
                    detail_text,
                    None if response is None else bytes(response),
                    message_id,
                    SystemStatus.PENDING,
                ),
            )
            if cursor.rowcount != 1:
                return False
            self._chain("agency_messages", message_id, "update")
            return True

    @guarded
    def agency_message(self, message_id: int) -> dict[str, Any]:
        """One message (``details`` a dict); ``NotFoundError`` if there is none."""
        message_id = self._require("agency_messages", message_id, "agency message")
        row = self._row(f"SELECT {_COLUMNS} FROM agency_messages WHERE id = ?", (message_id,))
        assert row is not None
        return _message(row)

    @guarded
    def agency_messages(
        self, booking_id: int | None = None, *, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Messages, oldest first: of one booking, or of all; optionally only with ``status``."""
        where: list[str] = []
        params: list[Any] = []
        if booking_id is not None:
            where.append("booking_id = ?")
            params.append(checks.row_id(booking_id, "booking id"))
        if status is not None:
            where.append("status = ?")
            params.append(checks.choice(status, SYSTEM_STATUSES, "status"))
        sql = f"SELECT {_COLUMNS} FROM agency_messages"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_message(r) for r in self._rows(sql + " ORDER BY id", params)]
