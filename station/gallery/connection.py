"""Opening a gallery file: checks before touching it, pragmas, migrations, error messages.

The order matters for never damaging a file that is not ours: a non-empty file must start
with SQLite's 16-byte header before SQLite sees it; a database newer than this build, or one
that belongs to another application, is closed again before anything is written.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from .errors import GalleryError
from .private import create_private, make_private_dirs
from .schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

__all__ = [
    "SQLITE_HEADER",
    "check_file",
    "connect",
    "integrity_lines",
    "prepare",
    "quick_check",
    "translate",
]

log = logging.getLogger(__name__)

#: The first 16 bytes of every SQLite 3 database file (sqlite.org/fileformat.html, 1.3).
SQLITE_HEADER = b"SQLite format 3\x00"

# Primary result codes (sqlite.org/rescode.html).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def check_file(path: Path, *, create: bool, readonly: bool) -> None:
    """Refuse a path that is not, and may not become, a gallery, without opening it.

    Raises
    ------
    GalleryError
        A directory; a missing or empty file when not creating; a file that does not start
        with the SQLite header.
    """
    if path.is_dir():
        raise GalleryError(f"{path} is a directory, not a gallery file")
    if not path.exists():
        if readonly or not create:
            raise GalleryError(f"no gallery at {path}")
        _create_private(path)
        return
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(_HEADER_SIZE)
    except OSError as exc:
        raise GalleryError(f"cannot read gallery {path}: {exc.strerror or exc}") from None
    if size == 0:
        if readonly or not create:
            raise GalleryError(f"gallery {path} is empty")
        return
    if head[: len(SQLITE_HEADER)] != SQLITE_HEADER:
        raise GalleryError(f"not a SQLite database: {path}")
    _check_header(path, head)


#: The database header: 100 bytes (sqlite.org/fileformat.html, 1.3).
_HEADER_SIZE = 100


def _check_header(path: Path, head: bytes) -> None:
    """Refuse a newer schema or another application's database from its header bytes alone.

    SQLite is never started on such a file, so it leaves no ``-wal``/``-shm`` files beside
    it (a read-only connection to a WAL-mode file cannot remove them when it closes). Only
    when no ``-wal`` file exists, since a write-ahead log may hold a newer header; then
    :func:`prepare` checks again through SQLite.
    """
    if len(head) < _HEADER_SIZE or path.with_name(path.name + "-wal").exists():
        return
    pages, version, application = (
        int.from_bytes(head[28:32], "big"),
        int.from_bytes(head[60:64], "big"),
        int.from_bytes(head[68:72], "big"),
    )
    # The page count is valid when the change counter equals "version-valid-for".
    pages_valid = head[24:28] == head[92:96]
    if version > SCHEMA_VERSION and application in (0, APPLICATION_ID):
        raise _too_new(path, version)
    if application not in (0, APPLICATION_ID) or (
        application == 0 and (version or (pages_valid and pages > 1))
    ):
        raise GalleryError(f"{path} is a SQLite database but not a Booking Station gallery")


def _create_private(path: Path) -> None:
    """Create the new gallery file empty and ``0600`` (its folders ``0700``) before SQLite
    opens it, so the file, and the ``-wal``/``-shm`` files SQLite gives the same mode, are
    never readable by other users."""
    try:
        make_private_dirs(path.parent)
        create_private(path).close()
    except FileExistsError:  # created meanwhile by another process: SQLite checks it
        pass
    except OSError as exc:
        raise GalleryError(f"cannot create gallery {path}: {exc.strerror or exc}") from None


def connect(path: Path, *, readonly: bool, create: bool, timeout: float) -> sqlite3.Connection:
    """One connection in autocommit mode (the gallery issues BEGIN / COMMIT itself).

    Read-only, in a folder this process cannot write (where SQLite could not create the
    ``-shm`` file a WAL-mode file needs), the file is opened ``immutable``: read as it is
    on disk, with no locks, which is right for a gallery no station is writing. When a
    non-empty ``-wal`` file is there, committed changes may still be in it, so the plain
    read-only mode is kept (SQLite then reads the log if it can).
    """
    mode = "ro" if readonly else ("rwc" if create else "rw")
    uri = f"{path.resolve().as_uri()}?mode={mode}"
    if readonly and not _writable_folder(path):
        wal = path.with_name(path.name + "-wal")
        if not wal.exists() or wal.stat().st_size == 0:
            log.info("gallery %s: read-only folder, opened immutable", path)
            uri += "&immutable=1"
    try:
        return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(exc, path) from None


def _writable_folder(path: Path) -> bool:
    """Whether this process may create files beside ``path`` (``access(2)``: a read-only
    mount counts as not writable even for root)."""
    import os

    return os.access(path.resolve().parent, os.W_OK | os.X_OK)


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA quick_check`` before anything is written; ``GalleryError`` naming the first
    problem if the file is damaged (it is then opened read-only only, for ``check``)."""
    try:
        lines = integrity_lines(conn.execute("PRAGMA quick_check(1)").fetchall())
    except sqlite3.DatabaseError as exc:
        lines = [str(exc)]
    if lines:
        raise GalleryError(
            f"gallery {path} is damaged: {lines[0]} (nothing is written to a damaged "
            "gallery: see 'station gallery check', restore a backup)"
        )


def translate(exc: sqlite3.Error, path: Path, conn: sqlite3.Connection | None = None) -> Exception:
    """The readable exception for a SQLite error (programming errors are returned unchanged)."""
    if isinstance(exc, sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return exc
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    text = str(exc)
    if primary in (_BUSY, _LOCKED) or "locked" in text:
        return GalleryError(f"gallery {path} is locked by another process")
    if primary == _NOTADB:
        return GalleryError(f"not a SQLite database: {path}")
    if primary == _CORRUPT or "disk image is malformed" in text or "malformed database" in text:
        return GalleryError(f"gallery {path} is damaged: {_first_problem(conn, text)}")
    if primary == _READONLY:
        return GalleryError(f"gallery {path} is read-only here: {text}")
    if primary == _FULL:
        return GalleryError(f"gallery {path}: the disk is full")
    if primary in (_IOERR, _CANTOPEN):
        return GalleryError(f"gallery {path} cannot be read or written: {text}")
    if isinstance(exc, sqlite3.IntegrityError):
        return GalleryError(f"gallery {path} refused the change: {text}")
    return GalleryError(f"gallery {path}: {text}")


def file_integrity(path: str | Path) -> list[str]:
    """SQLite's ``PRAGMA integrity_check`` of a gallery file, read-only: ``[]`` when the file's
    structure is sound, else its problems, one line each (nothing is written).

    A page of damage inside a stored value (the middle of an image's bytes) passes this check;
    the tamper chain (:meth:`Gallery.verify`) is what names such a row.
    """
    try:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [str(exc)]
    try:
        return integrity_lines(conn.execute("PRAGMA integrity_check").fetchall())
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()


def integrity_lines(rows: list[tuple]) -> list[str]:
    """Problems reported by ``PRAGMA integrity_check`` rows, one line each (``[]`` if ok)."""
    lines = [line for row in rows for line in str(row[0]).splitlines()]
    return [line for line in lines if line != "ok" and not line.startswith("*** in database")]


def _first_problem(conn: sqlite3.Connection | None, fallback: str) -> str:
    """First problem of ``PRAGMA integrity_check``, or ``fallback`` if that cannot run."""
    if conn is None:
        return fallback
    try:
        lines = integrity_lines(conn.execute("PRAGMA integrity_check(1)").fetchall())
    except sqlite3.Error:
        return fallback
    return lines[0] if lines else fallback


def _header(conn: sqlite3.Connection) -> tuple[int, int]:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    application = conn.execute("PRAGMA application_id").fetchone()[0]
    return int(version), int(application)


def _too_new(path: Path, version: int) -> GalleryError:
    return GalleryError(
        f"gallery {path} has schema version {version}, this station knows up to "
        f"{SCHEMA_VERSION}; upgrade the station"
    )


def prepare(conn: sqlite3.Connection, path: Path, *, readonly: bool, timeout: float) -> int:
    """Set the pragmas, check the file is a gallery this build can use, migrate it.

    Returns
    -------
    version : int
        Schema version of the file after migration (``SCHEMA_VERSION``).

    Raises
    ------
    GalleryError
        Newer schema, another application's database, locked, damaged, or a read-only
        gallery that would need a migration.
    """
    try:
        conn.execute(f"PRAGMA busy_timeout = {max(0, round(timeout * 1000))}")
        conn.execute("PRAGMA foreign_keys = ON")
        version, application = _header(conn)
        if version > SCHEMA_VERSION:
            raise _too_new(path, version)
        n_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if application != APPLICATION_ID and (application != 0 or version or n_tables):
            raise GalleryError(f"{path} is a SQLite database but not a Booking Station gallery")
        if readonly:
            if version < SCHEMA_VERSION:
                raise GalleryError(
                    f"gallery {path} has schema version {version}, this station needs "
                    f"{SCHEMA_VERSION}; open it once read-write to upgrade it"
                )
            conn.execute("PRAGMA query_only = ON")
            return version
        if n_tables:
            quick_check(conn, path)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("gallery %s: write-ahead log unavailable, journal mode %s", path, mode)
        # FULL: a committed booking survives a crash of the machine, not only of the process.
        conn.execute("PRAGMA synchronous = FULL")
        return _migrate(conn, path, version)
    except sqlite3.Error as exc:
        raise translate(exc, path, conn) from None


def _migrate(conn: sqlite3.Connection, path: Path, version: int) -> int:
    if version == SCHEMA_VERSION:
        return version
    import sqlite_utils  # only needed to migrate, and slow to import

    db = sqlite_utils.Database(conn, execute_plugins=False, recursive_triggers=False)
    for target in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            current, _ = _header(conn)  # another process may have migrated meanwhile
            if current > SCHEMA_VERSION:
                raise _too_new(path, current)
            if current < target:
                MIGRATIONS[target - 1](db)
                conn.execute(f"PRAGMA user_version = {target}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        log.info("gallery %s: schema version %d", path, target)
        version = target
    return version
