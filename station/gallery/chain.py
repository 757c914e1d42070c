"""Tamper evidence: every change to the gallery's history is chained with a keyed hash.

Each write of a tracked table (subjects, records, images, prints, bookings, booking prints,
responses, decisions, audit; operator accounts from schema version 3, agency messages from
version 6) appends, in the same transaction, one entry to the ``chain`` table::

    mac = HMAC-SHA256(key, prev_mac || seq || table || row_id || op || row_digest)

``key`` is 32 random bytes kept in the gallery (``chain_key``), ``prev_mac`` the previous
entry's ``mac`` (32 zero bytes for the first), ``op`` one of ``insert``, ``update``,
``delete`` and ``row_digest`` the SHA-256 of the row's canonical encoding (the row as it is
after the write; for a delete, as it was before it). :func:`verify` walks the chain,
recomputing every ``mac``, then compares the latest digest of every row with the row as it
is, so an edit made with any tool that does not use the key is found and named.

Canonical encoding of a row (``row_digest``): for each column in sorted name order, the name
(4-byte big-endian length, UTF-8) followed by the typed value: ``N`` for NULL; ``I`` and an
8-byte big-endian signed integer; ``F`` and an 8-byte big-endian IEEE double; ``T``, a 4-byte
length and UTF-8 text; ``B`` and the SHA-256 of a BLOB. Integers are packed big-endian in
the ``mac`` input too (``seq`` and ``row_id`` 8 bytes; ``table`` and ``op`` length-prefixed).

A migration that adds or changes a column of a tracked table changes the digests of its rows
and must append an ``update`` entry for each of them.

This is evidence, not secrecy: the key is in the file, so whoever reads it and re-implements
the chain can forge it, and cutting the newest rows off together with their entries (a
roll-back) looks like an older gallery.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from . import codecs

__all__ = [
    "TRACKED",
    "V2_TRACKED",
    "Finding",
    "FindingKind",
    "VerifyReport",
    "append",
    "read_key",
    "rechain",
    "row_digest",
    "start",
    "track_tables",
    "verify",
]

#: The tables chained by schema version 2 (frozen: its migration creates the chain with them).
V2_TRACKED: tuple[str, ...] = (
    "subjects",
    "records",
    "images",
    "prints",
    "bookings",
    "booking_prints",
    "responses",
    "decisions",
    "audit",
)
#: Tables whose every change is chained, in the order a migration chains existing rows
#: (schema version 3 added ``accounts``, version 6 ``agency_messages``, version 7 ``arrests``,
#: version 8 the training runs and events, version 9 the training classes and their events).
TRACKED: tuple[str, ...] = (
    *V2_TRACKED,
    "accounts",
    "agency_messages",
    "arrests",
    "training_runs",
    "training_events",
    "training_classes",
    "training_class_events",
)
_OPS = ("insert", "update", "delete")
_ZERO = bytes(32)
_FETCH = 256


def _chain_table(name: str, tables: tuple[str, ...]) -> str:
    return f"""
CREATE TABLE {name} (
    seq INTEGER PRIMARY KEY,
    tbl TEXT NOT NULL CHECK (tbl IN ({", ".join(f"'{t}'" for t in tables)})),
    row_id INTEGER NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    row_digest BLOB NOT NULL CHECK (length(row_digest) = 32),
    prev_mac BLOB NOT NULL CHECK (length(prev_mac) = 32),
    mac BLOB NOT NULL CHECK (length(mac) = 32)
);"""


_CHAIN_TRIGGERS = """
CREATE TRIGGER chain_no_update BEFORE UPDATE ON chain
BEGIN SELECT RAISE(ABORT, 'chain rows are append-only'); END;
CREATE TRIGGER chain_no_delete BEFORE DELETE ON chain
BEGIN SELECT RAISE(ABORT, 'chain rows are append-only'); END;
"""

#: Tables of schema version 2 (created by :func:`start`'s migration).
SCHEMA = f"""
CREATE TABLE chain_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key BLOB NOT NULL CHECK (length(key) = 32)
);{_chain_table("chain", V2_TRACKED)}
CREATE TRIGGER chain_key_no_update BEFORE UPDATE ON chain_key
BEGIN SELECT RAISE(ABORT, 'the chain key never changes'); END;
CREATE TRIGGER chain_key_no_delete BEFORE DELETE ON chain_key
BEGIN SELECT RAISE(ABORT, 'the chain key never changes'); END;{_CHAIN_TRIGGERS}"""


class FindingKind(StrEnum):
    """What :func:`verify` found wrong."""

    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted out of chain"
    ENTRY_ALTERED = "chain entry altered"
    ENTRY_REMOVED = "chain entry removed"
    CHAIN_MISSING = "chain missing"


@dataclass(frozen=True)
class Finding:
    """The first problem :func:`verify` found.

    Attributes
    ----------
    kind : FindingKind
    table : str
        The tracked table of the row (of the altered entry's row), or ``"chain"`` for a
        removed chain entry or a missing chain or key.
    row_id : int or None
        The row's id (``None`` when no row can be named).
    seq : int or None
        The chain entry concerned, if any.
    message : str
        One sentence naming the row.
    """

    kind: FindingKind
    table: str
    row_id: int | None
    seq: int | None
    message: str


@dataclass(frozen=True)
class VerifyReport:
    """Result of :func:`verify`.

    Attributes
    ----------
    rows : int
        Rows of the tracked tables compared with the chain.
    entries : int
        Chain entries whose ``mac`` was recomputed.
    problem : Finding or None
        The first problem found; ``None`` when the gallery verifies.
    """

    rows: int
    entries: int
    problem: Finding | None = None

    @property
    def ok(self) -> bool:
        """No problem found."""
        return self.problem is None


class _Text(bytes):
    """A TEXT value as stored (UTF-8 bytes, not decoded), so text that is not valid UTF-8,
    as a hand edit can leave, is hashed rather than failing to read."""


@contextmanager
def _raw_text(conn: sqlite3.Connection) -> Iterator[None]:
    saved = conn.text_factory
    conn.text_factory = _Text
    try:
        yield
    finally:
        conn.text_factory = saved


def _name(value: Any) -> str:
    """A TEXT field of the chain read under :func:`_raw_text`, as ``str``."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""


def _encode(value: Any) -> bytes:
    if value is None:
        return b"N"
    if isinstance(value, int):
        return b"I" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"F" + struct.pack(">d", value)
    if isinstance(value, _Text | str):
        data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
        return b"T" + struct.pack(">I", len(data)) + data
    if isinstance(value, bytes | memoryview):
        return b"B" + hashlib.sha256(value).digest()
    raise TypeError(f"unexpected SQLite value of type {type(value).__name__}")


def _digest(names: list[str], values: tuple) -> bytes:
    """``row_digest`` of one row given its column names and values."""
    h = hashlib.sha256()
    for name, value in sorted(zip(names, values, strict=True)):
        data = name.encode("utf-8")
        h.update(struct.pack(">I", len(data)) + data + _encode(value))
    return h.digest()


def row_digest(conn: sqlite3.Connection, table: str, row_id: int) -> bytes | None:
    """``row_digest`` of row ``row_id`` of a tracked ``table``; ``None`` if there is none."""
    if table not in TRACKED:
        raise ValueError(f"{table!r} is not a tracked table")
    with _raw_text(conn):
        cursor = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
        row = cursor.fetchone()
    if row is None:
        return None
    return _digest([d[0] for d in cursor.description], row)


def _mac(
    key: bytes, prev: bytes, seq: int, table: str, row_id: int, op: str, digest: bytes
) -> bytes:
    name, verb = table.encode(), op.encode()
    message = b"".join(
        (
            prev,
            struct.pack(">q", seq),
            struct.pack(">I", len(name)),
            name,
            struct.pack(">q", row_id),
            struct.pack(">I", len(verb)),
            verb,
            digest,
        )
    )
    return hmac.new(key, message, hashlib.sha256).digest()


def read_key(conn: sqlite3.Connection) -> bytes | None:
    """The gallery's chain key, or ``None`` if it has none (or a damaged one)."""
    try:
        row = conn.execute("SELECT key FROM chain_key WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None or type(row[0]) is not bytes or len(row[0]) != 32:
        return None
    return row[0]


def append(
    conn: sqlite3.Connection,
    key: bytes,
    table: str,
    row_id: int,
    op: str,
    digest: bytes | None = None,
) -> int:
    """Chain a write of row ``row_id`` of ``table``; call it inside the write's transaction.

    Parameters
    ----------
    conn : sqlite3.Connection
    key : bytes
        The gallery's chain key.
    table : str
        One of ``TRACKED``.
    row_id : int
    op : str
        ``"insert"`` or ``"update"`` (after the write; the row is read back), or
        ``"delete"`` (``digest`` of the row read before it was deleted).
    digest : bytes, optional
        The row's digest; read from the table when not given.

    Returns
    -------
    seq : int
        The new chain entry.
    """
    if op not in _OPS:
        raise ValueError(f"op must be one of {', '.join(_OPS)}, got {op!r}")
    if digest is None:
        digest = row_digest(conn, table, row_id)
        if digest is None:
            raise ValueError(f"no {table} row {row_id} to chain")
    last = conn.execute("SELECT seq, mac FROM chain ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (1, _ZERO) if last is None else (last[0] + 1, last[1])
    mac = _mac(key, prev, seq, table, row_id, op, digest)
    conn.execute(
        "INSERT INTO chain (seq, tbl, row_id, op, row_digest, prev_mac, mac) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq, table, row_id, op, digest, prev, mac),
    )
    return seq


def start(conn: sqlite3.Connection) -> int:
    """Schema version 2: create the chain, its key, and chain every existing row once.

    Rows are chained table by table in ``TRACKED`` order, each table by id; when there were
    any, an audit entry ("start tamper-evident chain") records how many, and is chained too.
    Runs inside the migration's transaction.

    Returns
    -------
    rows : int
        Existing rows chained.
    """
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    key = secrets.token_bytes(32)
    conn.execute("INSERT INTO chain_key (id, key) VALUES (1, ?)", (key,))
    rows = 0
    with _raw_text(conn):
        for table in V2_TRACKED:
            for row_id, digest in list(_table_digests(conn, table)):
                append(conn, key, table, row_id, "insert", digest)
                rows += 1
    if rows:
        _audit_migration(conn, key, "start tamper-evident chain", rows, 2)
    return rows


def track_tables(conn: sqlite3.Connection) -> None:
    """Let the chain hold entries of every table of ``TRACKED`` (a migration adding one).

    SQLite cannot change a ``CHECK`` constraint in place, so the chain table is rebuilt with
    the new list of tables: its entries are copied unchanged (same ``seq``, ``mac``), the old
    table is dropped (its triggers with it, without firing) and the triggers made again.
    Runs inside the migration's transaction.
    """
    conn.execute(_chain_table("chain_rebuilt", TRACKED))
    conn.execute(
        "INSERT INTO chain_rebuilt (seq, tbl, row_id, op, row_digest, prev_mac, mac) "
        "SELECT seq, tbl, row_id, op, row_digest, prev_mac, mac FROM chain ORDER BY seq"
    )
    conn.execute("DROP TABLE chain")
    conn.execute("ALTER TABLE chain_rebuilt RENAME TO chain")
    for statement in _CHAIN_TRIGGERS.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def rechain(conn: sqlite3.Connection, table: str, action: str, version: int) -> int:
    """Chain an ``update`` of every row of ``table`` after a migration changed its columns.

    When there were rows, an audit entry (``action``, with the count and ``version``) records
    it and is chained too. Runs inside the migration's transaction.

    Returns
    -------
    rows : int
        Rows chained.
    """
    key = read_key(conn)
    if key is None:
        raise sqlite3.DatabaseError("the gallery's chain key is missing")
    rows = 0
    with _raw_text(conn):
        for row_id, digest in list(_table_digests(conn, table)):
            append(conn, key, table, row_id, "update", digest)
            rows += 1
    if rows:
        _audit_migration(conn, key, action, rows, version)
    return rows


def _audit_migration(
    conn: sqlite3.Connection, key: bytes, action: str, rows: int, version: int
) -> None:
    """Record a migration that chained ``rows`` rows in the audit log, chained too."""
    cursor = conn.execute(
        "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
        (
            codecs.now(),
            "station",
            action,
            codecs.to_json({"rows": rows, "schema_version": version}, "detail"),
        ),
    )
    append(conn, key, "audit", int(cursor.lastrowid), "insert")  # type: ignore[arg-type]


def _table_digests(conn: sqlite3.Connection, table: str) -> Iterator[tuple[int, bytes]]:
    """``(id, row_digest)`` of every row of ``table``, by id (read lazily)."""
    cursor = conn.execute(f"SELECT * FROM {table} ORDER BY id")
    names = [d[0] for d in cursor.description]
    at = names.index("id")
    try:
        while rows := cursor.fetchmany(_FETCH):
            for row in rows:
                yield int(row[at]), _digest(names, row)
    finally:
        cursor.close()


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(sql, (name,)).fetchone() is not None


def verify(conn: sqlite3.Connection) -> VerifyReport:
    """Check the chain and every tracked row against it; stop at the first problem.

    First every chain entry's ``mac`` is recomputed in ``seq`` order (an altered entry, a
    reordered one or a gap in ``seq`` is reported); then each tracked table's rows, by id,
    are compared with the latest entry of each row: a row whose digest differs was changed,
    a row that is gone although its latest entry is not a delete was removed, and a row with
    no entry (or whose latest entry is a delete) was inserted out of chain.

    Parameters
    ----------
    conn : sqlite3.Connection
        Read inside one snapshot (the caller's transaction).

    Returns
    -------
    VerifyReport
    """
    with _raw_text(conn):
        return _verify(conn)


def _verify(conn: sqlite3.Connection) -> VerifyReport:
    key = read_key(conn)
    if key is None or not _has_table(conn, "chain"):
        what = "chain key" if _has_table(conn, "chain") else "chain"
        return VerifyReport(
            0,
            0,
            Finding(
                FindingKind.CHAIN_MISSING,
                "chain",
                None,
                None,
                f"the gallery's {what} is missing or damaged: nothing can be verified",
            ),
        )
    entries, problem = _walk(conn, key)
    if problem is not None:
        return VerifyReport(0, entries, problem)
    rows = 0
    for table in TRACKED:
        n, problem = _compare(conn, table)
        rows += n
        if problem is not None:
            return VerifyReport(rows, entries, problem)
    return VerifyReport(rows, entries)


def _walk(conn: sqlite3.Connection, key: bytes) -> tuple[int, Finding | None]:
    """Recompute every entry's ``mac`` in ``seq`` order: ``(entries, first problem)``."""
    cursor = conn.execute(
        "SELECT seq, tbl, row_id, op, row_digest, prev_mac, mac FROM chain ORDER BY seq"
    )
    prev, expected, entries = _ZERO, 1, 0
    try:
        while rows := cursor.fetchmany(_FETCH):
            for seq, tbl, row_id, verb, digest, stored_prev, mac in rows:
                table, op = _name(tbl), _name(verb)
                where = f"chain entry {seq} ({table} row {row_id})"
                if seq != expected:
                    missing = f"{expected}" if seq == expected + 1 else f"{expected}-{seq - 1}"
                    return entries, Finding(
                        FindingKind.ENTRY_REMOVED,
                        "chain",
                        None,
                        expected,
                        f"chain entry {missing} was removed (the chain goes from "
                        f"{expected - 1} to {seq})",
                    )
                fields_ok = (
                    isinstance(digest, bytes)
                    and isinstance(stored_prev, bytes)
                    and isinstance(mac, bytes)
                    and isinstance(row_id, int)
                    and table in TRACKED
                    and op in _OPS
                )
                if not fields_ok or not hmac.compare_digest(stored_prev, prev):
                    return entries, _altered(seq, table, row_id, where)
                if not hmac.compare_digest(mac, _mac(key, prev, seq, table, row_id, op, digest)):
                    return entries, _altered(seq, table, row_id, where)
                prev, expected, entries = mac, seq + 1, entries + 1
    finally:
        cursor.close()
    return entries, None


def _altered(seq: int, table: Any, row_id: Any, where: str) -> Finding:
    return Finding(
        FindingKind.ENTRY_ALTERED,
        str(table),
        row_id if isinstance(row_id, int) else None,
        seq,
        f"{where} was altered: its hash does not match",
    )


def _latest(conn: sqlite3.Connection, table: str) -> Iterator[tuple[int, str, bytes, int]]:
    """``(row_id, op, row_digest, seq)`` of the latest chain entry of each row, by row id."""
    cursor = conn.execute(
        "SELECT c.row_id, c.op, c.row_digest, c.seq FROM chain c JOIN ("
        "SELECT row_id, max(seq) AS seq FROM chain WHERE tbl = ? GROUP BY row_id"
        ") m ON m.seq = c.seq ORDER BY c.row_id",
        (table,),
    )
    try:
        while rows := cursor.fetchmany(_FETCH):
            yield from rows
    finally:
        cursor.close()


def _compare(conn: sqlite3.Connection, table: str) -> tuple[int, Finding | None]:
    """Merge the table's rows with their latest chain entries: ``(rows, first problem)``."""
    rows = _table_digests(conn, table)
    latest = _latest(conn, table)
    row, entry = next(rows, None), next(latest, None)
    n = 0
    while row is not None or entry is not None:
        if entry is None or (row is not None and row[0] < entry[0]):
            assert row is not None
            return n, _finding(FindingKind.INSERTED, table, row[0], None)
        row_id, verb, digest, seq = entry
        op = _name(verb)
        if row is None or row_id < row[0]:
            if op != "delete":
                return n, _finding(FindingKind.REMOVED, table, row_id, seq)
            entry = next(latest, None)
            continue
        if op == "delete":
            return n, _finding(FindingKind.INSERTED, table, row_id, seq)
        if not hmac.compare_digest(row[1], digest):
            return n, _finding(FindingKind.CHANGED, table, row_id, seq)
        n += 1
        row, entry = next(rows, None), next(latest, None)
    return n, None


def _finding(kind: FindingKind, table: str, row_id: int, seq: int | None) -> Finding:
    text = {
        FindingKind.CHANGED: "was changed outside the station (it differs from chain entry {seq})",
        FindingKind.REMOVED: "was removed outside the station (chain entry {seq} has it)",
        FindingKind.INSERTED: "was inserted out of chain (no chain entry has it)",
    }[kind]
    if kind is FindingKind.INSERTED and seq is not None:
        text = "was inserted out of chain (chain entry {seq} deleted it)"
    return Finding(kind, table, row_id, seq, f"{table} row {row_id} " + text.format(seq=seq))
