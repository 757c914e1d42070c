"""1:N tenprint search over a gallery held in memory as numpy arrays.

Two stages:

1. **Pre-selection.** Every gallery template has a fixed-length pair-geometry vector
   (:mod:`station.core.match.index`), stacked per finger position into one matrix. A probe
   finger scores every enrolled subject with one matrix-vector product; the probe's fingers
   are fused by summing, and the best ``shortlist`` subjects go on.
2. **Re-scoring.** The full matcher compares each probe finger with the same finger of every
   shortlisted subject; the fused score is the sum of the finger scores (the sum rule; a
   finger missing on either side, amputated or not printed, simply adds nothing). Candidates
   are ranked by fused score, ties broken by subject order, so the same probe and gallery
   always give the same list.

The share of the gallery that reaches stage 2 is the penetration rate; a true mate left out by
stage 1 is a pre-selection miss (both are measured by ``station bench``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from ..template import Template
from ..vocabulary import FINGERS, validate_finger
from .index import descriptor, descriptor_size
from .params import DEFAULT_PARAMETERS, MatchParameters

__all__ = ["Candidate", "SearchGallery", "search"]


@dataclass(frozen=True)
class Candidate:
    """One gallery subject proposed by a search.

    Attributes
    ----------
    subject : hashable
        The gallery's key for the subject.
    score : float
        Fused score: the sum of ``finger_scores`` (0 … number of fingers compared).
    finger_scores : mapping of str to float
        Full-matcher score per finger compared (finger code → 0..1).
    rank : int
        1 for the best candidate.
    preselection : float
        The stage-1 fused score that put the subject on the shortlist.
    """

    subject: Hashable
    score: float
    finger_scores: Mapping[str, float] = field(default_factory=dict)
    rank: int = 0
    preselection: float = 0.0


class _Finger:
    """The gallery's templates of one finger position: vectors stacked, grown in chunks."""

    def __init__(self, dim: int) -> None:
        self.rows = np.zeros(0, np.int64)  # subject row of each entry
        self.vectors = np.zeros((0, dim), np.float32)
        self.templates: list[Template | bytes] = []  # bytes: serialised, parsed on first use
        self._size = 0

    def template(self, slot: int) -> Template:
        item = self.templates[slot]
        if isinstance(item, bytes):
            item = Template.from_bytes(item)
            self.templates[slot] = item
        return item

    def extend(
        self, rows: np.ndarray, vectors: np.ndarray, templates: list[Template | bytes]
    ) -> int:
        """Append many entries at once; returns the first new slot."""
        first = self._size
        n = len(rows)
        self.rows = np.concatenate([self.rows[:first], np.asarray(rows, np.int64)])
        self.vectors = np.concatenate([self.vectors[:first], np.asarray(vectors, np.float32)])
        self.templates.extend(templates)
        self._size = first + n
        return first

    def add(self, row: int, vector: np.ndarray, template: Template | bytes) -> None:
        if self._size == len(self.rows):
            grow = max(1024, len(self.rows))
            self.rows = np.concatenate([self.rows, np.full(grow, -1, np.int64)])
            self.vectors = np.vstack(
                [self.vectors, np.zeros((grow, self.vectors.shape[1]), np.float32)]
            )
        self.rows[self._size] = row
        self.vectors[self._size] = vector
        self.templates.append(template)
        self._size += 1

    def scores(self, vector: np.ndarray, subjects: int) -> np.ndarray:
        """Stage-1 score of every subject (0 for subjects without this finger)."""
        out = np.zeros(subjects, np.float32)
        n = self._size
        out[self.rows[:n]] = self.vectors[:n] @ vector
        return out


class SearchGallery:
    """Enrolled subjects' finger templates, ready for :func:`search`.

    Build it from ``(subject, finger, template)`` triples; ``subject`` is any hashable key
    (the station's gallery uses subject ids). A subject may lack fingers. Adding a finger a
    subject already has replaces it (a later encounter).

    Examples
    --------
    >>> gallery = SearchGallery()
    >>> len(gallery)
    0
    """

    def __init__(
        self,
        entries: Iterable[tuple[Hashable, str, Template]] = (),
        *,
        params: MatchParameters | None = None,
    ) -> None:
        self.params = DEFAULT_PARAMETERS if params is None else params
        self._dim = descriptor_size(self.params)
        self._subjects: list[Hashable] = []
        self._row: dict[Hashable, int] = {}
        self._fingers: dict[str, _Finger] = {f: _Finger(self._dim) for f in FINGERS}
        self._where: dict[tuple[int, str], int] = {}
        for subject, finger, template in entries:
            self.add(subject, finger, template)

    def __len__(self) -> int:
        return len(self._subjects)

    def __contains__(self, subject: object) -> bool:
        return subject in self._row

    @property
    def subjects(self) -> tuple[Hashable, ...]:
        return tuple(self._subjects)

    @property
    def template_count(self) -> int:
        return len(self._where)

    def _subject_row(self, subject: Hashable) -> int:
        row = self._row.get(subject)
        if row is None:
            row = len(self._subjects)
            self._subjects.append(subject)
            self._row[subject] = row
        return row

    def add(
        self,
        subject: Hashable,
        finger: str,
        template: Template | bytes,
        *,
        vector: np.ndarray | None = None,
    ) -> None:
        """Enrol one finger of a subject.

        Parameters
        ----------
        subject : hashable
        finger : str
        template : Template or bytes
            The template, or its serialisation (parsed when the search first needs it;
            then ``vector`` is required).
        vector : ndarray, optional
            Its precomputed stage-1 descriptor.
        """
        finger = validate_finger(finger)
        if isinstance(template, bytes):
            if vector is None:
                raise ValueError("a serialised template needs its precomputed vector")
        elif not isinstance(template, Template):
            raise TypeError(f"expected a Template, got {type(template).__name__}")
        row = self._subject_row(subject)
        if vector is None:
            vector = descriptor(template, self.params)  # type: ignore[arg-type]  # not bytes
        if vector.shape != (self._dim,):
            raise ValueError(f"descriptor must have {self._dim} values, got {vector.shape}")
        index = self._fingers[finger]
        slot = self._where.get((row, finger))
        if slot is None:
            self._where[(row, finger)] = index._size
            index.add(row, vector, template)
        else:
            index.vectors[slot] = vector
            index.templates[slot] = template

    def add_many(
        self,
        subjects: list[Hashable],
        fingers: list[str],
        templates: list[Template | bytes],
        vectors: np.ndarray,
    ) -> None:
        """Enrol many fingers at once (the gallery's start-up path).

        The same as calling :meth:`add` for each entry, in order, with its vector; much
        faster for large galleries.
        """
        if not len(subjects) == len(fingers) == len(templates) == len(vectors):
            raise ValueError("subjects, fingers, templates and vectors must have one length")
        vectors = np.asarray(vectors, np.float32).reshape(len(subjects), self._dim)
        rows = np.array([self._subject_row(s) for s in subjects], np.int64)
        codes = [validate_finger(f) for f in fingers]
        last: dict[tuple[int, str], int] = {}  # a repeated finger: the later entry wins
        for n, key in enumerate(zip(rows.tolist(), codes, strict=True)):
            last[key] = n
        fresh: dict[str, list[int]] = {f: [] for f in FINGERS}
        for (row, finger), n in last.items():
            if (row, finger) in self._where:
                self.add(subjects[n], finger, templates[n], vector=vectors[n])
            else:
                fresh[finger].append(n)
        for finger, picks in fresh.items():
            if not picks:
                continue
            index = self._fingers[finger]
            first = index.extend(rows[picks], vectors[picks], [templates[n] for n in picks])
            for k, n in enumerate(picks):
                self._where[(int(rows[n]), finger)] = first + k

    def template(self, subject: Hashable, finger: str) -> Template | None:
        """The enrolled template of one finger, or None."""
        row = self._row.get(subject)
        slot = self._where.get((row, validate_finger(finger))) if row is not None else None
        return None if slot is None else self._fingers[finger].template(slot)

    def fingers(self, subject: Hashable) -> dict[str, Template]:
        """All enrolled fingers of a subject."""
        return {f: t for f in FINGERS if (t := self.template(subject, f)) is not None}

    def preselect(self, probe: Mapping[str, Template]) -> np.ndarray:
        """Stage-1 fused score of every subject, in gallery order."""
        total = np.zeros(len(self._subjects), np.float32)
        for finger, template in probe.items():
            vector = descriptor(template, self.params)
            if vector.any():
                total += self._fingers[finger].scores(vector, len(self._subjects))
        return total


def _check_probe(probe: Mapping[str, Template]) -> dict[str, Template]:
    if not isinstance(probe, Mapping):
        raise TypeError("probe must map finger codes to templates")
    checked: dict[str, Template] = {}
    for finger, template in probe.items():
        if not isinstance(template, Template):
            raise TypeError(f"probe finger {finger}: expected a Template")
        checked[validate_finger(finger)] = template
    return checked


def search(
    probe: Mapping[str, Template],
    gallery: SearchGallery,
    *,
    shortlist: int | None = None,
    limit: int = 10,
) -> list[Candidate]:
    """Search a gallery with the fingers of one subject.

    Parameters
    ----------
    probe : mapping of str to Template
        Finger code (``R1`` … ``L5``) → template; absent fingers are simply not searched.
    gallery : SearchGallery
    shortlist : int, optional
        Subjects re-scored by the full matcher (default ``params.shortlist``).
    limit : int, optional
        Candidates returned, best first.

    Returns
    -------
    candidates : list of Candidate
        Ranked by fused score; empty when the probe or the gallery is empty.
    """
    from . import compare

    probe = _check_probe(probe)
    if not probe or len(gallery) == 0:
        return []
    shortlist = gallery.params.shortlist if shortlist is None else int(shortlist)
    if shortlist < 1 or limit < 1:
        raise ValueError("shortlist and limit must be at least 1")
    first = gallery.preselect(probe)
    count = min(shortlist, len(first))
    # Best first; stable on ties so the order never depends on anything but the data.
    order = np.argsort(-first, kind="stable")[:count]
    candidates = []
    for row in order:
        subject = gallery._subjects[int(row)]
        scores = {}
        for finger, template in probe.items():
            enrolled = gallery.template(subject, finger)
            if enrolled is not None:
                scores[finger] = compare(template, enrolled)
        candidates.append((sum(scores.values()), int(row), subject, scores, float(first[row])))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    return [
        Candidate(subject, float(total), MappingProxyType(scores), rank, pre)
        for rank, (total, _, subject, scores, pre) in enumerate(candidates[:limit], start=1)
    ]
