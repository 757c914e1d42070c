"""Health check, backup copy and export of a gallery (part of :class:`Gallery`)."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from pathlib import Path
from typing import Any

from station.core.template import Template, TemplateError
from station.core.vocabulary import ImageFormat

from . import codecs
from .base import guarded
from .bookings import TCN, BookingStore
from .connection import integrity_lines
from .errors import GalleryError
from .private import PRIVATE_DIR, create_private, make_private_dirs, write_private
from .schema import APPLICATION_ID, SCHEMA_VERSION
from .subjects import SubjectStore
from .tamper import ChainStore

__all__ = ["MaintenanceStore"]

log = logging.getLogger(__name__)

_FETCH = 64
#: A file name an export writes: letters, digits, '.', '_' and '-', not starting with '.'.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class MaintenanceStore(SubjectStore, BookingStore, ChainStore):
    """Check, copy and export a gallery (part of :class:`Gallery`).

    Built on the subject and booking parts because an export writes out what they read.
    """

    def check(self, *, images: bool = True) -> list[str]:
        """Look for damage; ``[]`` when the gallery is healthy.

        Runs ``PRAGMA integrity_check`` and ``foreign_key_check``, loads every template and,
        with ``images``, decodes every image (slow on a large gallery); then verifies the
        tamper-evident chain (:meth:`verify`).

        Parameters
        ----------
        images : bool
            Also decode every stored image.

        Returns
        -------
        problems : list of str
            One plain sentence each.
        """
        conn = self._conn
        problems = _integrity(conn)
        try:
            with self._snapshot():
                problems += _check_rows(conn, images=images)
        except sqlite3.DatabaseError as exc:
            problems.append(f"reading the gallery failed: {exc}")
        for problem in problems:
            log.warning("gallery %s: %s", self.path, problem)
        return problems + self._tamper_problems()

    @guarded
    def copy_to(self, dest: str | Path) -> Path:
        """Write a consistent copy of the gallery (a snapshot, WAL included) to a new ``0600``
        file.

        Raises
        ------
        GalleryError
            ``dest`` exists, or cannot be written.
        """
        dest = Path(dest)
        if dest.exists():
            raise GalleryError(f"{dest} exists: copy the gallery to a new file")
        try:
            create_private(dest).close()  # 0600 from the start, as the gallery itself
        except OSError as exc:
            raise GalleryError(f"cannot write {dest}: {exc.strerror or exc}") from None
        target = sqlite3.connect(dest)
        try:
            self._conn.backup(target)
        finally:
            target.close()
        return dest

    @guarded
    def export(self, out_dir: str | Path) -> Path:
        """Write the gallery as JSON and PNG files into an empty or new directory.

        Images kept as WSQ are decoded and written as PNG, as images always were.

        Layout: ``subjects.json`` (with each subject's prints' metadata and file names),
        ``records.json``, ``bookings.json`` (with prints, responses and decisions),
        ``audit.json``, ``prints/<subject>_<finger>_<impression>.png`` (``_2``, ``_3`` … for
        further encounters of the same finger) with a ``.tpl`` template beside it when there
        is one, and ``bookings/<TCN>/<finger>_<impression>.png``.

        Files are created ``0600`` and folders ``0700``. Every file name is built from stored
        values, so each part is checked and every path must stay inside ``out_dir``: a
        booking whose TCN is not a valid TCN (one edited into the file by hand, such as
        ``../../etc/x``) is written under ``bookings/_unsafe-tcn-<booking id>/`` instead,
        with a warning, and its ``file`` entries in ``bookings.json`` say so.

        Returns
        -------
        out_dir : pathlib.Path

        Raises
        ------
        GalleryError
            ``out_dir`` exists and is not an empty directory, or it cannot be written.
        """
        out_dir = Path(out_dir)
        if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
            raise GalleryError(f"export directory {out_dir} is not empty")
        try:
            make_private_dirs(out_dir)
            with self._snapshot():
                counts = self._export_files(out_dir)
        except OSError as exc:
            raise GalleryError(f"cannot write export to {out_dir}: {exc}") from None
        log.info("gallery %s exported to %s: %s", self.path, out_dir, counts)
        return out_dir

    def _png_file(self, data: bytes, fmt: str, what: str) -> bytes:
        """A stored image as PNG file bytes (PNG rows as stored, WSQ rows decoded)."""
        if fmt == ImageFormat.PNG:
            return bytes(data)
        png, _, _ = codecs.encode_png(self._decode(data, fmt, f"image {what}"))
        return png

    def _export_files(self, out_dir: Path) -> dict[str, int]:
        """Write every table into ``out_dir`` (inside a read snapshot); what was written."""
        conn = self._conn
        root = out_dir.resolve()
        prints_dir = _inside(root, "prints")
        prints_dir.mkdir(mode=PRIVATE_DIR)
        subjects = self._rows("SELECT * FROM subjects ORDER BY id")
        n_prints = 0
        for subject in subjects:
            subject["prints"] = self.prints(subject["id"])
            seen: dict[str, int] = {}
            for meta in subject["prints"]:
                stem = f"{subject['id']}_{meta['finger']}_{meta['impression']}"
                if not _SAFE_NAME.fullmatch(stem):
                    stem = f"_unsafe-print-{int(meta['id'])}"
                seen[stem] = seen.get(stem, 0) + 1
                if seen[stem] > 1:
                    stem += f"_{seen[stem]}"
                data, fmt, blob = conn.execute(
                    "SELECT i.data, i.format, p.template FROM prints p "
                    "JOIN images i ON i.id = p.image_id WHERE p.id = ?",
                    (meta["id"],),
                ).fetchone()
                write_private(_inside(prints_dir, f"{stem}.png"), self._png_file(data, fmt, stem))
                meta["file"] = f"prints/{stem}.png"
                if blob is not None:
                    write_private(_inside(prints_dir, f"{stem}.tpl"), blob)
                    meta["template_file"] = f"prints/{stem}.tpl"
                n_prints += 1
        _write_json(_inside(root, "subjects.json"), subjects)
        _write_json(_inside(root, "records.json"), self._rows("SELECT * FROM records ORDER BY id"))
        bookings_dir = _inside(root, "bookings")

        bookings = self._rows("SELECT id FROM bookings ORDER BY id")
        exported = []
        for (booking_id,) in (tuple(b.values()) for b in bookings):
            booking = self.booking(booking_id)
            name = _booking_folder(booking["tcn"], booking_id)
            folder = _inside(bookings_dir, name)
            booking["prints"] = self.booking_prints(booking_id)
            for meta in booking["prints"]:
                if meta["annotation"] is not None:
                    continue
                data, fmt = conn.execute(
                    "SELECT i.data, i.format FROM booking_prints p "
                    "JOIN images i ON i.id = p.image_id WHERE p.id = ?",
                    (meta["id"],),
                ).fetchone()
                make_private_dirs(folder)
                file = f"{meta['finger']}_{meta['impression']}.png"
                if not _SAFE_NAME.fullmatch(file):
                    file = f"_unsafe-print-{int(meta['id'])}.png"
                write_private(_inside(folder, file), self._png_file(data, fmt, file))
                meta["file"] = f"bookings/{name}/{file}"
            booking["responses"] = self.responses(booking_id)
            booking["decisions"] = self.decisions(booking_id)
            exported.append(booking)
        _write_json(_inside(root, "bookings.json"), exported)

        audit = self._rows("SELECT * FROM audit ORDER BY id")
        for row in audit:
            row["detail"] = codecs.from_json(row["detail"])
        _write_json(_inside(root, "audit.json"), audit)
        return {"subjects": len(subjects), "prints": n_prints, "bookings": len(exported)}


def _integrity(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA integrity_check`` problems; on a badly damaged file the full check can stop
    with an error, so fewer problems are asked for before giving up."""
    error: sqlite3.Error | None = None
    for pragma in ("integrity_check", "integrity_check(100)", "integrity_check(1)"):
        try:
            rows = conn.execute(f"PRAGMA {pragma}").fetchall()
        except sqlite3.DatabaseError as exc:
            error = exc
            continue
        problems = [f"integrity: {line}" for line in integrity_lines(rows)]
        if error is not None:
            problems.append(f"integrity: the full check stopped early ({error})")
        return problems
    return [f"integrity: the check cannot run ({error})"]


def _check_rows(conn: sqlite3.Connection, *, images: bool) -> list[str]:
    problems = []
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    application = conn.execute("PRAGMA application_id").fetchone()[0]
    if version != SCHEMA_VERSION or application != APPLICATION_ID:
        problems.append(
            f"header: schema version {version}, application id {application:#x} (expected "
            f"{SCHEMA_VERSION}, {APPLICATION_ID:#x})"
        )
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchall():
        problems.append(f"{table} row {rowid} refers to a missing {parent} row")
    for table, what in (("prints", "print"), ("booking_prints", "booking print")):
        cursor = conn.execute(f"SELECT id, template FROM {table} WHERE template IS NOT NULL")
        while rows := cursor.fetchmany(_FETCH):
            for row_id, blob in rows:
                try:
                    Template.from_bytes(blob)
                except TemplateError as exc:
                    problems.append(f"template of {what} {row_id} does not load: {exc}")
    if images:
        cursor = conn.execute(
            "SELECT i.id, i.width, i.height, i.data, i.format, p.id, b.id FROM images i "
            "LEFT JOIN prints p ON p.image_id = i.id "
            "LEFT JOIN booking_prints b ON b.image_id = i.id"
        )
        while rows := cursor.fetchmany(_FETCH):
            for image_id, width, height, data, fmt, print_id, booking_print_id in rows:
                owner = (
                    f"print {print_id}"
                    if print_id is not None
                    else f"booking print {booking_print_id}"
                    if booking_print_id is not None
                    else f"image {image_id} (belongs to no print)"
                )
                try:
                    shape = codecs.decode_image(data, fmt).shape
                except ValueError as exc:
                    problems.append(f"image of {owner} does not decode: {exc}")
                    continue
                if shape != (height, width):
                    problems.append(
                        f"image of {owner} is {shape[1]}x{shape[0]}, recorded as {width}x{height}"
                    )
    orphans = conn.execute(
        "SELECT count(*) FROM images WHERE id NOT IN (SELECT image_id FROM prints) AND id NOT IN "
        "(SELECT image_id FROM booking_prints WHERE image_id IS NOT NULL)"
    ).fetchone()[0]
    if orphans:
        problems.append(f"{orphans} stored image(s) belong to no print")
    return problems


def _write_json(path: Path, value: Any) -> None:
    text = json.dumps(value, indent=1, ensure_ascii=False) + "\n"
    write_private(path, text.encode("utf-8"))


def _booking_folder(tcn: Any, booking_id: int) -> str:
    """The export folder name of a booking: its TCN, or a fixed name if the TCN is not one."""
    if isinstance(tcn, str) and TCN.fullmatch(tcn):
        return tcn
    log.warning(
        "booking %d has an invalid TCN %r: exported as _unsafe-tcn-%d", booking_id, tcn, booking_id
    )
    return f"_unsafe-tcn-{booking_id}"


def _inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing a ``name`` that is not one plain file name inside it.

    Raises
    ------
    GalleryError
        ``name`` is empty, ``.`` or ``..``, holds a path separator, or the resolved path
        leaves ``folder`` (``folder`` must already be resolved).
    """
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise GalleryError(f"export refused the file name {name!r}: not a plain file name")
    path = folder / name
    if not path.resolve().is_relative_to(folder):
        raise GalleryError(f"export refused {path}: it is outside the export folder {folder}")
    return path
