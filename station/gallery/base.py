"""The connection of a gallery: opening, closing, transactions and query helpers.

One :class:`GalleryBase` owns one SQLite connection, which belongs to the thread that opened it
(run gallery work on one thread, as Anki's task manager does). Every public write is one
transaction that commits before the method returns; inside ``with gallery.transaction():``
the methods join the enclosing transaction instead (each as a savepoint, so a method that
fails undoes only its own part if the caller catches the error).
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, Self, TypeVar

import numpy as np

from station.core.template import Template, TemplateError
from station.core.vocabulary import CAPTURE_ORDER

from . import chain, checks, codecs
from .connection import check_file, connect, prepare, translate
from .errors import GalleryError, NotFoundError

__all__ = ["GalleryBase", "dict_row", "finger_order", "guarded"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Every finger and slap code is two characters, so ``instr`` of this string sorts them in
#: capture order: R1 … R5, L1 … L5, then the right, left and thumb slaps.
_CAPTURE_ORDER_SQL = "".join(slot for slot, _ in CAPTURE_ORDER)


def finger_order(column: str = "finger") -> str:
    """SQL expression sorting a finger code ``column`` in capture order."""
    return f"instr('{_CAPTURE_ORDER_SQL}', {column})"


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn SQLite errors escaping a public method into one readable ``GalleryError``."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            gallery = args[0]
            assert isinstance(gallery, GalleryBase)
            raise translate(exc, gallery.path, gallery._connection) from exc

    return wrapper


def dict_row(cursor: sqlite3.Cursor, row: tuple) -> dict[str, Any]:
    """Row factory: ``{column: value}``."""
    return {d[0]: value for d, value in zip(cursor.description, row, strict=True)}


class GalleryBase:
    """Connection, transactions and query helpers shared by the parts of :class:`Gallery`."""

    def __init__(
        self,
        path: str | Path,
        *,
        create: bool = True,
        readonly: bool = False,
        timeout: float = 5.0,
    ) -> None:
        self.path = Path(path)
        self.readonly = bool(readonly)
        self._connection: sqlite3.Connection | None = None
        self._savepoints = 0
        self._key: bytes | None = None
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
            raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        check_file(self.path, create=create, readonly=self.readonly)
        conn = connect(self.path, readonly=self.readonly, create=create, timeout=timeout)
        try:
            self.schema_version = prepare(conn, self.path, readonly=self.readonly, timeout=timeout)
        except BaseException:
            conn.close()
            raise
        self._connection = conn
        log.debug("gallery %s open (schema %d)", self.path, self.schema_version)

    def close(self) -> None:
        """Close the connection (an open transaction is rolled back); safe to call twice."""
        conn, self._connection = self._connection, None
        if conn is None:
            return
        if conn.in_transaction:
            log.warning("gallery %s closed inside a transaction: rolled back", self.path)
        try:
            conn.close()
        except sqlite3.Error as exc:  # pragma: no cover - close of a healthy file
            log.warning("gallery %s: closing failed: %s", self.path, exc)

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._connection is None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("read-only" if self.readonly else "open")
        return f"<Gallery {str(self.path)!r} {state}>"

    @property
    def _conn(self) -> sqlite3.Connection:
        """The open connection, for the parts of :class:`Gallery` (``GalleryError`` if closed)."""
        if self._connection is None:
            raise GalleryError(f"gallery {self.path} is closed")
        return self._connection

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one transaction: all of them are kept, or none.

        ``BEGIN IMMEDIATE`` takes the write lock at once (waiting up to ``timeout``); the block
        commits when it ends and rolls back if it raises. Used inside another transaction it
        becomes a savepoint of that one, so the methods, which all use it, join an enclosing
        transaction rather than committing on their own.

        Raises
        ------
        GalleryError
            Read-only or closed gallery, or the lock could not be had.
        """
        conn = self._conn
        if self.readonly:
            raise GalleryError(f"gallery {self.path} is open read-only")
        if conn.in_transaction:
            self._savepoints += 1
            name = f"station_{self._savepoints}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield
            except BaseException:
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO {name}")
                    conn.execute(f"RELEASE {name}")
                raise
            else:
                conn.execute(f"RELEASE {name}")
            finally:
                self._savepoints -= 1
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise translate(exc, self.path, conn) from None
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise translate(exc, self.path, conn) from None

    @contextmanager
    def _snapshot(self) -> Iterator[None]:
        """A read transaction, so several queries see one state of the file."""
        conn = self._conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """All rows of a query as ``{column: value}`` dicts."""
        cursor = self._conn.cursor()
        cursor.row_factory = dict_row
        try:
            return cursor.execute(sql, params).fetchall()
        finally:
            cursor.close()

    def _row(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        """The first row of a query as a dict, or None."""
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row of a query, or None."""
        row = self._conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def _insert(self, table: str, row: Mapping[str, Any]) -> int:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cursor = self._conn.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values())
        )
        row_id = int(cursor.lastrowid)  # type: ignore[arg-type]
        if table in chain.TRACKED:
            self._chain(table, row_id)
        return row_id

    def _chain_key(self) -> bytes:
        """The gallery's chain key (read once; it never changes)."""
        if self._key is None:
            key = chain.read_key(self._conn)
            if key is None:
                raise GalleryError(f"gallery {self.path} is damaged: its chain key is missing")
            self._key = key
        return self._key

    def _chain(self, table: str, row_id: int, op: str = "insert") -> None:
        """Chain the write just made to row ``row_id`` of ``table`` (same transaction)."""
        chain.append(self._conn, self._chain_key(), table, row_id, op)

    def _delete_chained(self, table: str, row_id: int) -> None:
        """Delete row ``row_id`` of ``table`` and chain the deletion (same transaction)."""
        digest = chain.row_digest(self._conn, table, row_id)
        self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
        if digest is not None:
            chain.append(self._conn, self._chain_key(), table, row_id, "delete", digest)

    def _require(self, table: str, row_id: object, what: str) -> int:
        row_id = checks.row_id(row_id, f"{what} id")
        if self._scalar(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)) is None:
            raise NotFoundError(f"no {what} {row_id} in gallery {self.path}")
        return row_id

    def _decode(self, data: bytes, format: str, what: str) -> np.ndarray:
        try:
            return codecs.decode_image(data, format)
        except ValueError as exc:
            raise GalleryError(f"gallery {self.path} is damaged: {what}: {exc}") from None

    def _load_template(self, blob: bytes | None, what: str) -> Template | None:
        if blob is None:
            return None
        try:
            return Template.from_bytes(blob)
        except TemplateError as exc:
            raise GalleryError(f"gallery {self.path} is damaged: {what}: {exc}") from None
