"""Health check and export of a gallery (called through ``Gallery.check`` / ``Gallery.export``)."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from station.core.template import Template, TemplateError

from . import codecs
from .connection import integrity_lines, translate
from .errors import GalleryError
from .schema import APPLICATION_ID, SCHEMA_VERSION

if TYPE_CHECKING:
    from .store import Gallery

__all__ = ["check", "export"]

log = logging.getLogger(__name__)

_FETCH = 64


def check(gallery: Gallery, *, images: bool = True) -> list[str]:
    """Problems found in ``gallery``, one sentence each; ``[]`` when healthy.

    Parameters
    ----------
    gallery : Gallery
    images : bool
        Also decode every stored image.
    """
    conn = gallery._conn
    problems = _integrity(conn)
    try:
        with gallery._snapshot():
            problems += _check_rows(conn, images=images)
    except sqlite3.DatabaseError as exc:
        problems.append(f"reading the gallery failed: {exc}")
    for problem in problems:
        log.warning("gallery %s: %s", gallery.path, problem)
    return problems


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
            "SELECT i.id, i.width, i.height, i.png, p.id, b.id FROM images i "
            "LEFT JOIN prints p ON p.image_id = i.id "
            "LEFT JOIN booking_prints b ON b.image_id = i.id"
        )
        while rows := cursor.fetchmany(_FETCH):
            for image_id, width, height, png, print_id, booking_print_id in rows:
                owner = (
                    f"print {print_id}"
                    if print_id is not None
                    else f"booking print {booking_print_id}"
                    if booking_print_id is not None
                    else f"image {image_id} (belongs to no print)"
                )
                try:
                    shape = codecs.decode_png(png).shape
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
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def export(gallery: Gallery, out_dir: Path) -> Path:
    """Write ``gallery`` into ``out_dir`` as JSON and PNG files (see ``Gallery.export``).

    Raises
    ------
    GalleryError
        ``out_dir`` exists and is not an empty directory, or it cannot be written.
    """
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise GalleryError(f"export directory {out_dir} is not empty")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with gallery._snapshot():
            counts = _export(gallery, out_dir)
    except sqlite3.Error as exc:
        raise translate(exc, gallery.path, gallery._connection) from exc
    except OSError as exc:
        raise GalleryError(f"cannot write export to {out_dir}: {exc}") from None
    log.info("gallery %s exported to %s: %s", gallery.path, out_dir, counts)
    return out_dir


def _export(gallery: Gallery, out_dir: Path) -> dict[str, int]:
    conn = gallery._conn
    prints_dir = out_dir / "prints"
    prints_dir.mkdir()
    subjects = gallery._rows("SELECT * FROM subjects ORDER BY id")
    n_prints = 0
    for subject in subjects:
        subject["prints"] = gallery.prints(subject["id"])
        seen: dict[str, int] = {}
        for meta in subject["prints"]:
            stem = f"{subject['id']}_{meta['finger']}_{meta['impression']}"
            seen[stem] = seen.get(stem, 0) + 1
            if seen[stem] > 1:
                stem += f"_{seen[stem]}"
            png, blob = conn.execute(
                "SELECT i.png, p.template FROM prints p JOIN images i ON i.id = p.image_id "
                "WHERE p.id = ?",
                (meta["id"],),
            ).fetchone()
            (prints_dir / f"{stem}.png").write_bytes(png)
            meta["file"] = f"prints/{stem}.png"
            if blob is not None:
                (prints_dir / f"{stem}.tpl").write_bytes(blob)
                meta["template_file"] = f"prints/{stem}.tpl"
            n_prints += 1
    _write_json(out_dir / "subjects.json", subjects)
    _write_json(out_dir / "records.json", gallery._rows("SELECT * FROM records ORDER BY id"))

    bookings = gallery._rows("SELECT id FROM bookings ORDER BY id")
    exported = []
    for (booking_id,) in (tuple(b.values()) for b in bookings):
        booking = gallery.booking(booking_id)
        folder = out_dir / "bookings" / booking["tcn"]
        booking["prints"] = gallery.booking_prints(booking_id)
        for meta in booking["prints"]:
            if meta["annotation"] is not None:
                continue
            (png,) = conn.execute(
                "SELECT i.png FROM booking_prints p JOIN images i ON i.id = p.image_id "
                "WHERE p.id = ?",
                (meta["id"],),
            ).fetchone()
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{meta['finger']}_{meta['impression']}.png"
            (folder / name).write_bytes(png)
            meta["file"] = f"bookings/{booking['tcn']}/{name}"
        booking["responses"] = gallery.responses(booking_id)
        booking["decisions"] = gallery.decisions(booking_id)
        exported.append(booking)
    _write_json(out_dir / "bookings.json", exported)

    audit = gallery._rows("SELECT * FROM audit ORDER BY id")
    for row in audit:
        row["detail"] = codecs.from_json(row["detail"])
    _write_json(out_dir / "audit.json", audit)
    return {"subjects": len(subjects), "prints": n_prints, "bookings": len(exported)}
