"""Enrolled subjects: demographics, repository records, prints and their templates."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from station.core.template import Template
from station.core.vocabulary import (
    IMPRESSIONS,
    OFFENCE_REPOSITORIES,
    REPOSITORIES,
    Impression,
    validate_finger,
)

from . import checks, codecs
from .base import GalleryBase, finger_order, guarded
from .connection import translate
from .errors import GalleryError, NotFoundError
from .schema import DEMOGRAPHIC_FIELDS

__all__ = ["SubjectStore", "TemplateRows"]

_FETCH = 256
_SUBJECT_COLUMNS = ", ".join(("id", "synthetic_id", "population", *DEMOGRAPHIC_FIELDS))
_PRINT_COLUMNS = (
    "p.id, p.subject_id, p.finger, p.impression, p.quality, p.level, p.device, p.captured_at, "
    "p.booking_id, p.created_at, i.width, i.height, p.template IS NOT NULL AS has_template"
)


#: Each subject's best template per finger (highest quality, then latest, then last added;
#: see :meth:`SubjectStore.iter_templates`).
#: A correlated subquery on ``prints_subject`` rather than a window: the window sorted every
#: row and the final ordering carried the template bytes through a temporary B-tree (2.0 s
#: against 0.64 s for 200 000 prints).
def _templates_sql(where: str = "") -> str:
    return f"""
    SELECT p.id, p.subject_id, p.finger, p.template
    FROM prints p
    WHERE p.impression = ? AND p.template IS NOT NULL {where} AND p.id = (
        SELECT q.id FROM prints q
        WHERE q.subject_id = p.subject_id AND q.finger = p.finger
            AND q.impression = p.impression AND q.template IS NOT NULL
        ORDER BY q.quality IS NULL, q.quality DESC, q.captured_at DESC, q.id DESC
        LIMIT 1
    )
    ORDER BY p.subject_id, {finger_order("p.finger")}
"""


_TEMPLATES_SQL = _templates_sql()
#: The same rows for the subjects a JSON list names (the second parameter).
_SUBJECT_TEMPLATES_SQL = _templates_sql("AND p.subject_id IN (SELECT value FROM json_each(?))")
_CHANGES_SQL = "SELECT subject_id, other_subject_id FROM template_changes WHERE id > ?"


@dataclass(frozen=True)
class TemplateRows:
    """Template rows (:meth:`SubjectStore.iter_template_rows`) read in one read transaction.

    Attributes
    ----------
    generation : int
        :meth:`SubjectStore.generation` they are current at.
    position : int
        The change log's position then (:meth:`SubjectStore.template_changes` reads on from
        it).
    subjects : tuple of int or None
        The subjects whose rows these are (changed since a position), or None for all.
    rows : list of (print_id, subject_id, finger, template)
    """

    generation: int
    position: int
    subjects: tuple[int, ...] | None
    rows: list[tuple[int, int, str, bytes]]


class SubjectStore(GalleryBase):
    """Subjects, records, prints and templates (part of :class:`Gallery`)."""

    @guarded
    def add_subject(
        self,
        demographics: Mapping[str, Any],
        *,
        synthetic_id: int | None = None,
        population: int | None = None,
    ) -> int:
        """Enrol a subject.

        Parameters
        ----------
        demographics : mapping or Demographics
            Fields of ``DEMOGRAPHIC_FIELDS`` (missing ones are unknown).
        synthetic_id, population : int, optional
            Which synthetic subject this is (``population`` defaults to 0 when
            ``synthetic_id`` is given); a synthetic subject is enrolled at most once.

        Returns
        -------
        subject_id : int
        """
        row = codecs.demographics_row(demographics)
        if synthetic_id is None and population is not None:
            raise ValueError("population is given without synthetic_id")
        if synthetic_id is not None:
            synthetic_id = checks.count(synthetic_id, "synthetic_id")
            population = 0 if population is None else checks.count(population, "population")
        with self.transaction():
            if synthetic_id is not None:
                existing = self.subject_by_synthetic(synthetic_id, population or 0)
                if existing is not None:
                    raise GalleryError(
                        f"synthetic subject {synthetic_id} of population {population} is "
                        f"already enrolled as subject {existing}"
                    )
            return self._insert(
                "subjects",
                {
                    "synthetic_id": synthetic_id,
                    "population": population,
                    **row,
                    "created_at": codecs.now(),
                },
            )

    @guarded
    def subject(self, subject_id: int) -> dict[str, Any]:
        """One subject: ``id, synthetic_id, population``, the demographic fields, ``created_at``.

        Raises
        ------
        NotFoundError
            No such subject.
        """
        subject_id = checks.row_id(subject_id, "subject id")
        row = self._row(
            f"SELECT {_SUBJECT_COLUMNS}, created_at FROM subjects WHERE id = ?", (subject_id,)
        )
        if row is None:
            raise NotFoundError(f"no subject {subject_id} in gallery {self.path}")
        return row

    @guarded
    def subjects(
        self, *, offset: int = 0, limit: int = 100, search: str | None = None
    ) -> list[dict[str, Any]]:
        """A page of subjects in enrolment order, optionally filtered.

        Parameters
        ----------
        offset, limit : int
            Page position and size.
        search : str, optional
            Words that must each appear (case-insensitively, as part of the text) in the last
            name, first name, date of birth or a record number; a number also matches the
            subject id.
        """
        offset, limit = checks.count(offset, "offset"), checks.count(limit, "limit")
        where: list[str] = []
        params: list[str | int] = []
        if search is not None and not isinstance(search, str):
            raise ValueError(f"search must be text, got {search!r}")
        for term in re.split(r"[\s,]+", (search or "").strip()):
            if not term:
                continue
            like = checks.like(term)
            clause = (
                "(last_name LIKE ? ESCAPE '\\' OR first_name LIKE ? ESCAPE '\\' "
                "OR date_of_birth LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM records r "
                "WHERE r.subject_id = subjects.id AND r.record_number LIKE ? ESCAPE '\\')"
            )
            params += [like] * 4
            if term.isdigit():
                clause += " OR id = ?"
                params.append(int(term))
            where.append(clause + ")")
        sql = f"SELECT {_SUBJECT_COLUMNS}, created_at FROM subjects"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self._rows(sql + " ORDER BY id LIMIT ? OFFSET ?", (*params, limit, offset))

    @guarded
    def subject_by_synthetic(self, synthetic_id: int, population: int) -> int | None:
        """The subject id of synthetic subject ``synthetic_id`` of ``population``, if enrolled."""
        synthetic_id = checks.count(synthetic_id, "synthetic_id")
        population = checks.count(population, "population")
        return self._scalar(
            "SELECT id FROM subjects WHERE synthetic_id = ? AND population = ?",
            (synthetic_id, population),
        )

    @guarded
    def add_record(
        self,
        subject_id: int,
        repository: str,
        record_number: str,
        *,
        offence_level: int | None = None,
        charge: str | None = None,
        history: Mapping[str, Any] | None = None,
    ) -> int:
        """Note that ``repository`` holds a record of the subject.

        Parameters
        ----------
        subject_id : int
        repository : str
            One of ``REPOSITORIES``.
        record_number : str
            The repository's number for the record; unique within the repository.
        offence_level : int, optional
            1 (most serious, e.g. homicide) … 3; only for ``state`` and ``federal-criminal``.
        charge : str, optional
        history : mapping, optional
            The repository's history of the subject as a JSON object (schema version 6): a
            criminal history ``{"arrests": [...]}`` or an IDENT encounter history
            ``{"a_number", "status", "encounters": [...]}``; what the agencies answer from.

        Returns
        -------
        record_id : int
        """
        repository = checks.choice(repository, REPOSITORIES, "repository")
        record_number = checks.text(record_number, "record_number", limit=40)
        offence_level = checks.score(offence_level, "offence_level", 1, 3)
        if offence_level is not None and repository not in OFFENCE_REPOSITORIES:
            raise ValueError(
                f"offence_level applies to {' and '.join(OFFENCE_REPOSITORIES)} records only"
            )
        charge = checks.text(charge, "charge", optional=True)
        if history is not None and not isinstance(history, Mapping):
            raise ValueError(f"history must be a mapping (a JSON object), got {history!r}")
        history_text = None if history is None else codecs.to_json(dict(history), "history")
        with self.transaction():
            subject_id = self._require("subjects", subject_id, "subject")
            owner = self._scalar(
                "SELECT subject_id FROM records WHERE repository = ? AND record_number = ?",
                (repository, record_number),
            )
            if owner is not None:
                raise GalleryError(f"record {repository} {record_number} exists (subject {owner})")
            return self._insert(
                "records",
                {
                    "subject_id": subject_id,
                    "repository": repository,
                    "record_number": record_number,
                    "offence_level": offence_level,
                    "charge": charge,
                    "history": history_text,
                    "created_at": codecs.now(),
                },
            )

    @guarded
    def records(self, subject_id: int) -> list[dict[str, Any]]:
        """The subject's records in the order they were added (``history`` a dict, or
        ``None`` on a record written without one)."""
        subject_id = self._require("subjects", subject_id, "subject")
        rows = self._rows(
            "SELECT id, subject_id, repository, record_number, offence_level, charge, "
            "history, created_at FROM records WHERE subject_id = ? ORDER BY id",
            (subject_id,),
        )
        for row in rows:
            row["history"] = codecs.from_json(row["history"])
        return rows

    @guarded
    def add_print(
        self,
        subject_id: int,
        finger: str,
        impression: str,
        image: np.ndarray | codecs.EncodedImage,
        *,
        template: Template | None = None,
        quality: int | None = None,
        level: int | None = None,
        device: str,
        captured_at: str | None = None,
        booking_id: int | None = None,
    ) -> int:
        """Store an enrolled print: the image (WSQ; PNG under 64 px a side) and its template.

        Parameters
        ----------
        subject_id : int
        finger : str
            ``R1`` … ``L5``.
        impression : str
            ``"rolled"`` or ``"flat"``.
        image : (M, N) ndarray of uint8, or EncodedImage
            The print at 500 ppi, kept so the template can be re-extracted; or the same
            already encoded by ``codecs.encoded_image`` (checked against its header).
        template : Template, optional
        quality, level : int, optional
            0-100 and 1-5; default to the template's when a template is given.
        device : str
            What captured the print (scanner model, "file", …).
        captured_at : str or datetime, optional
            ISO-8601 with a time zone; default now.
        booking_id : int, optional
            The booking the print came from.

        Returns
        -------
        print_id : int

        Raises
        ------
        ValueError
            Unknown finger or impression, or a bad image or value; nothing is written.
        """
        finger = validate_finger(finger)
        impression = checks.choice(impression, IMPRESSIONS, "impression")
        if isinstance(image, codecs.EncodedImage):
            data, fmt, width, height = codecs.checked_encoded(image)
        else:
            data, fmt, width, height = codecs.encode_image(image)
        blob = checks.template_blob(template)
        if template is not None:
            quality = template.quality if quality is None else quality
            level = template.level if level is None else level
        quality = checks.score(quality, "quality", 0, 100)
        level = checks.score(level, "level", 1, 5)
        device = checks.text(device, "device")
        captured = codecs.timestamp(captured_at)
        with self.transaction():
            subject_id = self._require("subjects", subject_id, "subject")
            if booking_id is not None:
                booking_id = self._require("bookings", booking_id, "booking")
            image_id = self._insert(
                "images", {"width": width, "height": height, "data": data, "format": fmt}
            )
            return self._insert(
                "prints",
                {
                    "subject_id": subject_id,
                    "finger": finger,
                    "impression": impression,
                    "quality": quality,
                    "level": level,
                    "device": device,
                    "captured_at": captured,
                    "booking_id": booking_id,
                    "image_id": image_id,
                    "created_at": codecs.now(),
                    "template": blob,
                },
            )

    def _image_row(self, table: str, print_id: int, what: str) -> dict[str, Any]:
        row = self._row(
            f"SELECT i.data, i.format FROM {table} p LEFT JOIN images i ON i.id = p.image_id "
            "WHERE p.id = ?",
            (print_id,),
        )
        if row is None:
            raise NotFoundError(f"no {what} {print_id} in gallery {self.path}")
        return row

    @guarded
    def print_image(self, print_id: int) -> np.ndarray:
        """The stored image of an enrolled print, (M, N) uint8.

        Raises
        ------
        NotFoundError
            No such print.
        GalleryError
            The stored image does not decode.
        """
        print_id = checks.row_id(print_id, "print id")
        row = self._image_row("prints", print_id, "print")
        return self._decode(row["data"], row["format"], f"image of print {print_id}")

    @guarded
    def prints(self, subject_id: int) -> list[dict[str, Any]]:
        """Metadata of the subject's prints (no images), in capture order, rolled first.

        Each dict holds ``id, subject_id, finger, impression, quality, level, device,
        captured_at, booking_id, created_at, width, height, has_template``.
        """
        subject_id = self._require("subjects", subject_id, "subject")
        return checks.flags(
            self._rows(
                f"SELECT {_PRINT_COLUMNS} FROM prints p JOIN images i ON i.id = p.image_id "
                f"WHERE p.subject_id = ? ORDER BY {finger_order('p.finger')}, "
                "p.impression DESC, p.captured_at, p.id",
                (subject_id,),
            )
        )

    @guarded
    def template(self, print_id: int) -> Template | None:
        """The template of an enrolled print, or ``None`` if it has none.

        Raises
        ------
        NotFoundError
            No such print.
        GalleryError
            The stored template does not load (re-extract it from :meth:`print_image`).
        """
        print_id = checks.row_id(print_id, "print id")
        row = self._row("SELECT template FROM prints WHERE id = ?", (print_id,))
        if row is None:
            raise NotFoundError(f"no print {print_id} in gallery {self.path}")
        return self._load_template(row["template"], f"template of print {print_id}")

    @guarded
    def set_template(self, print_id: int, template: Template) -> None:
        """Replace a print's template (after re-extraction); its quality and level stay."""
        blob = checks.template_blob(template)
        if blob is None:
            raise ValueError("template must be a Template, got None")
        with self.transaction():
            print_id = self._require("prints", print_id, "print")
            self._conn.execute("UPDATE prints SET template = ? WHERE id = ?", (blob, print_id))
            self._chain("prints", print_id, "update")

    @guarded
    def iter_templates(
        self, *, impression: str = Impression.ROLLED
    ) -> Iterator[tuple[int, str, bytes]]:
        """Every enrolled subject's templates, for building a search index.

        Parameters
        ----------
        impression : str
            ``"rolled"`` (default) or ``"flat"``.

        Yields
        ------
        subject_id : int
        finger : str
        template : bytes
            ``Template.to_bytes()`` form; ``Template.from_bytes`` reads it.

        Notes
        -----
        Ordered by subject id, then finger in capture order (R1 … R5, L1 … L5). When a subject
        has several prints of one finger (several encounters), the one with the highest
        quality is given; among equal qualities (or none recorded) the latest captured.
        Prints without a template are skipped. Rows are read lazily in one statement, which
        sees one state of the file; do not write to this gallery while iterating.
        """
        impression = checks.choice(impression, IMPRESSIONS, "impression")
        cursor = self._conn.execute(_TEMPLATES_SQL, (impression,))
        return self._stream(cursor)

    @guarded
    def iter_template_rows(
        self, *, impression: str = Impression.ROLLED
    ) -> Iterator[tuple[int, int, str, bytes]]:
        """As :meth:`iter_templates`, each with its print id first: ``(print_id, subject_id,
        finger, template)``, so a template that does not load can be named."""
        impression = checks.choice(impression, IMPRESSIONS, "impression")
        cursor = self._conn.execute(_TEMPLATES_SQL, (impression,))
        return self._stream(cursor, with_id=True)

    def _stream(self, cursor: sqlite3.Cursor, *, with_id: bool = False) -> Iterator[Any]:
        try:
            while rows := cursor.fetchmany(_FETCH):
                for print_id, subject_id, finger, blob in rows:
                    if with_id:
                        yield int(print_id), int(subject_id), str(finger), bytes(blob)
                    else:
                        yield int(subject_id), str(finger), bytes(blob)
        except sqlite3.ProgrammingError:
            raise
        except sqlite3.Error as exc:
            raise translate(exc, self.path, self._connection) from exc
        finally:
            if self._connection is not None:  # closing the gallery closed the cursor already
                cursor.close()

    @guarded
    def template_rows(self, *, impression: str = Impression.ROLLED) -> TemplateRows:
        """All of :meth:`iter_template_rows` with the :meth:`generation` and change-log
        position they are current at, read in one read transaction (another process's write
        lands before or after all of them)."""
        impression = checks.choice(impression, IMPRESSIONS, "impression")
        with self._snapshot():
            generation, position = self.generation(), self._change_position()
            rows = list(self.iter_template_rows(impression=impression))
        return TemplateRows(generation, position, None, rows)

    @guarded
    def template_changes(
        self,
        generation: int,
        position: int,
        *,
        limit: int,
        impression: str = Impression.ROLLED,
    ) -> TemplateRows | None:
        """The template rows of the subjects changed since a :meth:`template_rows` read.

        Every change the :meth:`generation` counter counts (a subject or print inserted,
        updated or deleted) also leaves a row in the gallery's change log naming the subject.
        Read in one read transaction: the log's rows after ``position``, and the current
        template rows (as :meth:`iter_template_rows`) of every subject they name.

        Parameters
        ----------
        generation, position : int
            The :class:`TemplateRows` fields of the earlier read.
        limit : int
            Most changes worth reading this way; beyond it, None.

        Returns
        -------
        TemplateRows or None
            None when the log does not account for exactly the ``generation`` changes since
            (a log that lost or gained rows, a gallery restored from an older copy, a position
            from another gallery) or there are more than ``limit``: read everything instead.
        """
        impression = checks.choice(impression, IMPRESSIONS, "impression")
        for name, value in (("generation", generation), ("position", position), ("limit", limit)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number of at least 0, got {value!r}")
        with self._snapshot():
            now, at = self.generation(), self._change_position()
            if not (0 <= now - generation <= limit) or at - position != now - generation:
                return None
            changes = self._conn.execute(_CHANGES_SQL, (position,)).fetchall()
            if len(changes) != now - generation:
                return None
            subjects = sorted({int(s) for row in changes for s in row if s is not None})
            cursor = self._conn.execute(_SUBJECT_TEMPLATES_SQL, (impression, json.dumps(subjects)))
            rows = list(self._stream(cursor, with_id=True))
        return TemplateRows(now, at, tuple(subjects), rows)

    def _change_position(self) -> int:
        return int(self._scalar("SELECT coalesce(max(id), 0) FROM template_changes"))

    @guarded
    def generation(self) -> int:
        """A counter that changes whenever subjects or prints (or their templates) change.

        Kept by triggers in the file, so it also sees other processes' writes: a search index
        built from :meth:`iter_templates` is current while this value is unchanged.
        """
        return int(self._scalar("SELECT value FROM meta WHERE key = 'generation'"))
