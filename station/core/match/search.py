"""1:N tenprint search over a gallery held in memory as numpy arrays.

Two stages:

1. **Pre-selection.** Every gallery template has a fixed-length pair-geometry vector
   (:mod:`station.core.match.index`), stored per finger position as one byte per value
   (:func:`quantise`: 512 bytes and a float scale a finger). A probe finger scores every
   enrolled subject with one pass of a compiled integer dot product
   (:mod:`._preselect`); the probe's fingers are fused by summing, and the best
   ``shortlist`` subjects go on (ties broken by subject order).
2. **Re-scoring.** The full matcher compares each probe finger with the same finger of every
   shortlisted subject; the fused score is the sum of the finger scores (the sum rule; a
   finger missing on either side, amputated or not printed, simply adds nothing). Candidates
   are ranked by fused score, ties broken by subject order, so the same probe and gallery
   always give the same list.

The share of the gallery that reaches stage 2 is the penetration rate; a true mate left out by
stage 1 is a pre-selection miss (both are measured by ``station bench``).

Stage 1 scans every subject unless the gallery has an inverted-file index
(:meth:`SearchGallery.train_index`, :mod:`station.core.match.ivf`): then a probe scores only
the subjects filed under the ``nprobe`` cells nearest to it, with the same exact integer
scores, and the shortlist is the best of those. With ``nprobe`` equal to ``nlist`` the
candidates are exactly the linear scan's.

The two stages are also public (:meth:`SearchGallery.shortlist`, :meth:`SearchGallery.rescore`,
:func:`rank`) so that a gallery split into shards (``station.service.cluster``) gives exactly
the candidates of one process: every shard sends its own best ``shortlist`` subjects, the
client keeps the best ``shortlist`` of those, the shards re-score them and the client ranks.
Stage-1 scores are exact integer sums times per-entry scales, so a subject scores the same in
any shard.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..template import Template
from ..vocabulary import FINGERS, validate_finger
from .index import descriptor, descriptor_size
from .ivf import CoarseQuantiser, train
from .params import DEFAULT_PARAMETERS, MatchParameters

__all__ = [
    "BlobReader", "Candidate", "SearchGallery", "TemplateBlobs", "quantise", "rank", "search",
]  # fmt: skip


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


def quantise(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Descriptors as bytes: each row scaled so its largest value is 255, then rounded.

    Parameters
    ----------
    vectors : (N, D) ndarray
        Non-negative stage-1 descriptors.

    Returns
    -------
    codes : (N, D) ndarray of uint8
    scales : (N,) ndarray of float32
        ``vectors ≈ codes × scales[:, None]`` (a row of zeros has scale 0).

    Examples
    --------
    >>> codes, scales = quantise(np.array([[0.0, 0.2, 1.0]]))
    >>> codes.tolist(), float(scales[0] * 255)
    ([[0, 51, 255]], 1.0)
    """
    v = np.asarray(vectors, np.float32)
    if v.ndim != 2:
        raise ValueError(f"expected an (N, D) array of descriptors, got shape {v.shape}")
    if v.size and float(v.min()) < 0:
        raise ValueError("stage-1 descriptors are histograms: no value may be negative")
    top = v.max(axis=1) if v.shape[1] else np.zeros(len(v), np.float32)
    scales = (top / 255).astype(np.float32)
    safe = np.where(scales > 0, scales, 1).astype(np.float32)
    codes = np.clip(np.rint(v / safe[:, None]), 0, 255).astype(np.uint8)
    return codes, scales


_accumulate: Any = None
_ivf_kernels: Any = None
#: Subjects whose cells are computed in one pass (bounds the (rows, nlist) score array).
_ASSIGN_CHUNK = 4096
#: Subjects changed since the inverted lists were built that are scored outside them; beyond
#: ``max(_STALE_MIN, _STALE_SHARE × subjects)`` the lists are rebuilt (an enrolment a booking
#: then costs one subject's filing, not a rebuild of the whole index).
_STALE_MIN = 1024
_STALE_SHARE = 0.01


def _kernel() -> Any:
    global _accumulate
    if _accumulate is None:  # numba's import is deferred to the first search
        from ._preselect import accumulate

        _accumulate = accumulate
    return _accumulate


def _ivf() -> Any:
    global _ivf_kernels
    if _ivf_kernels is None:  # numba, imported when an index is first used
        from . import _ivf

        _ivf_kernels = _ivf
    return _ivf_kernels


@runtime_checkable
class BlobReader(Protocol):
    """Serialised templates kept outside memory (a file), read when a search needs one.

    ``size`` is the number of bytes it holds; ``read(start, end)`` gives bytes ``start`` up to
    ``end`` (a reader may check them, or fetch them again from where they came from).
    """

    @property
    def size(self) -> int: ...

    def read(self, start: int, end: int) -> bytes: ...


def _read(buffer: np.ndarray | BlobReader, start: int, end: int) -> bytes:
    if isinstance(buffer, np.ndarray):
        return buffer[start:end].tobytes()
    return buffer.read(start, end)


@dataclass(frozen=True, eq=False)
class TemplateBlobs:
    """Many serialised templates in one byte buffer: entry ``k`` is ``buffer[starts[k]:ends[k]]``.

    A large gallery starts from this without making a Python object per template; a template
    is parsed when a search first re-scores it. The buffer is a 1-D ``uint8`` array or a
    :class:`BlobReader` (the bytes stay in a file until read).

    Examples
    --------
    >>> blobs = TemplateBlobs.join([b"ab", b"cde"])
    >>> len(blobs), blobs[1]
    (2, b'cde')
    """

    buffer: np.ndarray | BlobReader
    starts: np.ndarray
    ends: np.ndarray

    def __post_init__(self) -> None:
        if isinstance(self.buffer, np.ndarray):
            if self.buffer.dtype != np.uint8 or self.buffer.ndim != 1:
                raise ValueError("the buffer must be a 1-D uint8 array")
            size = len(self.buffer)
        elif isinstance(self.buffer, BlobReader):
            size = int(self.buffer.size)
        else:
            raise TypeError(f"the buffer must be an array or a BlobReader, got {self.buffer!r}")
        if self.starts.shape != self.ends.shape or np.any(self.starts > self.ends):
            raise ValueError("starts and ends must pair up, each start at most its end")
        if len(self.ends) and (self.starts.min() < 0 or self.ends.max() > size):
            raise ValueError("an entry lies outside the buffer")

    @classmethod
    def join(cls, items: list[bytes]) -> TemplateBlobs:
        ends = np.cumsum([len(b) for b in items], dtype=np.int64)
        starts = ends - np.array([len(b) for b in items], np.int64)
        return cls(np.frombuffer(b"".join(items), np.uint8), starts, ends)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, k: int) -> bytes:
        return _read(self.buffer, int(self.starts[k]), int(self.ends[k]))

    def take(self, picks: np.ndarray | slice) -> TemplateBlobs:
        """The entries ``picks``, sharing this buffer."""
        return TemplateBlobs(self.buffer, self.starts[picks], self.ends[picks])

    def compact(self) -> TemplateBlobs:
        """The same entries in a buffer of their own (no bytes of other entries kept), in
        memory.

        Entries that follow each other in the buffer are copied as one run.
        """
        n = len(self.starts)
        lengths = self.ends - self.starts
        ends = np.cumsum(lengths)
        if n == 0:
            return TemplateBlobs(np.zeros(0, np.uint8), ends, ends)
        breaks = np.flatnonzero(self.starts[1:] != self.ends[:-1]) + 1
        firsts = np.concatenate([[0], breaks])
        lasts = np.concatenate([breaks - 1, [n - 1]])
        runs = zip(self.starts[firsts].tolist(), self.ends[lasts].tolist(), strict=True)
        buffer = np.frombuffer(b"".join(_read(self.buffer, lo, hi) for lo, hi in runs), np.uint8)
        return TemplateBlobs(buffer, ends - lengths, ends)


class _Finger:
    """The gallery's templates of one finger position: quantised descriptors, grown in chunks.

    A template is a :class:`Template`, its bytes, or ``None`` when it lies in one of
    ``buffers`` (``blob_ref``, ``blob_start``, ``blob_end``); bytes are parsed on first use.
    """

    def __init__(self, dim: int) -> None:
        self.rows = np.zeros(0, np.int64)  # subject row of each entry
        self.codes = np.zeros((0, dim), np.uint8)
        self.scales = np.zeros(0, np.float32)
        self.templates: list[Template | bytes | None] = []
        self.buffers: list[np.ndarray | BlobReader] = []
        self.blob_ref = np.zeros(0, np.int32)  # -1: not in a buffer
        self.blob_span = np.zeros((0, 2), np.int64)
        self.slot_of = np.zeros(0, np.int64)  # subject row -> slot, -1 without this finger
        self._size = 0

    def slot(self, row: int) -> int:
        return int(self.slot_of[row]) if row < len(self.slot_of) else -1

    def slots(self, rows: np.ndarray) -> np.ndarray:
        """The slots of subject ``rows`` (-1 where the subject has no template here)."""
        inside = rows < len(self.slot_of)
        out = np.full(len(rows), -1, np.int64)
        out[inside] = self.slot_of[rows[inside]]
        return out

    def place(self, rows: np.ndarray, slots: np.ndarray, subjects: int) -> None:
        """Record that subject ``rows[k]`` has its template at ``slots[k]``."""
        if len(self.slot_of) < subjects:
            grow = max(subjects, 2 * len(self.slot_of))
            self.slot_of = np.concatenate(
                [self.slot_of, np.full(grow - len(self.slot_of), -1, np.int64)]
            )
        self.slot_of[rows] = slots

    @property
    def array_bytes(self) -> int:
        """Bytes of the per-entry arrays and the template list (buffers not included)."""
        arrays = (self.rows, self.codes, self.scales, self.blob_ref, self.blob_span, self.slot_of)
        loose = sum(sys.getsizeof(t) for t in self.templates if isinstance(t, bytes))
        return sum(a.nbytes for a in arrays) + 8 * len(self.templates) + loose

    def template(self, slot: int) -> Template:
        item = self.templates[slot]
        if item is None:
            lo, hi = self.blob_span[slot]
            item = _read(self.buffers[self.blob_ref[slot]], int(lo), int(hi))
        if isinstance(item, bytes):
            item = Template.from_bytes(item)
            self.templates[slot] = item
        return item

    def put(self, slot: int, template: Template | bytes) -> None:
        self.templates[slot] = template
        self.blob_ref[slot] = -1

    def extend(
        self,
        rows: np.ndarray,
        codes: np.ndarray,
        scales: np.ndarray,
        templates: list[Template | bytes] | TemplateBlobs,
    ) -> int:
        """Append many quantised entries at once; returns the first new slot.

        Into an empty finger the arrays are taken as they are (a memory-mapped cache stays
        mapped); they are copied before the first change (:meth:`_own`).
        """
        first = self._size
        n = len(rows)
        if first == 0:
            self.rows = np.asarray(rows, np.int64)
            self.codes = np.ascontiguousarray(codes, np.uint8)
            self.scales = np.asarray(scales, np.float32)
        else:
            self.rows = np.concatenate([self.rows[:first], np.asarray(rows, np.int64)])
            self.codes = np.concatenate([self.codes[:first], codes])
            self.scales = np.concatenate([self.scales[:first], scales])
        if isinstance(templates, TemplateBlobs):
            ref = next((k for k, b in enumerate(self.buffers) if b is templates.buffer), None)
            if ref is None:
                ref = len(self.buffers)
                self.buffers.append(templates.buffer)
            refs = np.full(n, ref, np.int32)
            spans = np.column_stack([templates.starts, templates.ends]).astype(np.int64)
            self.templates.extend([None] * n)
        else:
            refs = np.full(n, -1, np.int32)
            spans = np.zeros((n, 2), np.int64)
            self.templates.extend(templates)
        self.blob_ref = np.concatenate([self.blob_ref[:first], refs])
        self.blob_span = np.concatenate([self.blob_span[:first], spans.reshape(n, 2)])
        self._size = first + n
        return first

    def _own(self) -> None:
        """Copy arrays taken from a caller or a read-only mapping before changing them."""
        if not (self.codes.flags.writeable and self.scales.flags.writeable):
            self.codes, self.scales = self.codes.copy(), self.scales.copy()

    def set(self, slot: int, vector: np.ndarray) -> None:
        self._own()
        codes, scales = quantise(vector[None, :])
        self.codes[slot], self.scales[slot] = codes[0], scales[0]

    def add(self, row: int, vector: np.ndarray, template: Template | bytes) -> None:
        if self._size == len(self.rows):
            grow = max(1024, len(self.rows))
            self.rows = np.concatenate([self.rows, np.full(grow, -1, np.int64)])
            self.codes = np.vstack([self.codes, np.zeros((grow, self.codes.shape[1]), np.uint8)])
            self.scales = np.concatenate([self.scales, np.zeros(grow, np.float32)])
            self.blob_ref = np.concatenate([self.blob_ref, np.full(grow, -1, np.int32)])
            self.blob_span = np.vstack([self.blob_span, np.zeros((grow, 2), np.int64)])
        self.rows[self._size] = row
        self.set(self._size, vector)
        self.templates.append(template)
        self.blob_ref[self._size] = -1
        self._size += 1

    def accumulate(self, vector: np.ndarray, out: np.ndarray) -> None:
        """Add every entry's stage-1 score to its subject's total in ``out`` (float64)."""
        n = self._size
        if n == 0:
            return
        codes, scales = quantise(vector[None, :])
        _kernel()(
            self.codes[:n], self.scales[:n], self.rows[:n], codes[0].astype(np.int32),
            float(scales[0]), out,
        )  # fmt: skip


@dataclass(frozen=True, eq=False)
class _Lists:
    """One finger position's inverted lists: the entries of cell ``c`` are
    ``bounds[c]:bounds[c + 1]`` of the cell-ordered copies of its stage-1 arrays (for the
    subject lists, ``rows`` alone)."""

    bounds: np.ndarray
    codes: np.ndarray
    scales: np.ndarray
    rows: np.ndarray

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.bounds, self.codes, self.scales, self.rows))


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
        self._keys: list[int] = []  # tie-break order of each row (a shard: global order)
        self._fingers: dict[str, _Finger] = {f: _Finger(self._dim) for f in FINGERS}
        self._count = 0  # enrolled (subject, finger) templates
        # The inverted-file index (None: stage 1 scans every subject).
        self._coarse: CoarseQuantiser | None = None
        self._nprobe = 0
        self._cell = np.zeros(0, np.int64)  # subject row -> cell, -1 not yet filed
        self._lists: dict[str, _Lists] | None = None
        # Subjects changed since the lists were built: their list entries are outdated, so
        # stage 1 scores them from the gallery's own arrays until the next rebuild.
        self._stale = np.zeros(0, np.int64)
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
        return self._count

    @property
    def nbytes(self) -> int:
        """Bytes held: per-entry arrays, template bytes (buffers counted once) and lists.

        Templates held as parsed :class:`Template` objects, the subject dictionary and
        template bytes a :class:`BlobReader` keeps in a file are not counted.
        """
        buffers = {
            id(b): b.nbytes
            for f in self._fingers.values()
            for b in f.buffers
            if isinstance(b, np.ndarray)
        }
        arrays = sum(f.array_bytes for f in self._fingers.values())
        return arrays + sum(buffers.values()) + self.index_nbytes

    @property
    def index_nbytes(self) -> int:
        """Bytes of the inverted-file index: centroids, cells and inverted lists (0 without;
        lists that are views of the fingers' arrays add nothing)."""
        if self._coarse is None:
            return 0
        lists = self._lists or {}
        held = sum(part.nbytes for one in lists.values() for part in one if part.base is None)
        return self._coarse.nbytes + self._cell.nbytes + held

    def _subject_row(self, subject: Hashable, key: int | None = None) -> int:
        row = self._row.get(subject)
        if row is None:
            row = len(self._subjects)
            self._subjects.append(subject)
            self._row[subject] = row
            self._keys.append(row if key is None else int(key))
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
        slot = index.slot(row)
        self._unfile(np.array([row]))
        if slot < 0:
            index.place(np.array([row]), np.array([index._size]), len(self._subjects))
            index.add(row, vector, template)
            self._count += 1
        else:
            index.set(slot, vector)
            index.put(slot, template)

    def add_many(
        self,
        subjects: list[Hashable],
        fingers: list[str],
        templates: list[Template | bytes],
        vectors: np.ndarray,
        *,
        keys: list[int] | None = None,
    ) -> None:
        """Enrol many fingers at once (the gallery's start-up path).

        The same as calling :meth:`add` for each entry, in order, with its vector; much
        faster for large galleries. ``keys`` (one per entry) sets the tie-break order of
        subjects new to the gallery (default: the order they arrive in); a shard of a larger
        gallery passes the subjects' places in the whole gallery.
        """
        vectors = np.asarray(vectors, np.float32).reshape(len(vectors), self._dim)
        codes, scales = quantise(vectors)
        self.add_encoded(subjects, fingers, templates, codes, scales, keys=keys)

    def reserve(self, subjects: Iterable[Hashable]) -> None:
        """Give ``subjects`` their places in the gallery's order (the order equal scores are
        ranked in) before their templates are added, in the order given; subjects already
        here keep theirs.

        A gallery loaded in another order than its own (the start-up cache stores templates
        by finger and cell) ranks as the gallery would. A subject given no template counts
        in ``len`` and is never a candidate.
        """
        for subject in subjects:
            self._subject_row(subject)
        self._unfile(np.zeros(0, np.int64))

    def add_encoded(
        self,
        subjects: list[Hashable] | np.ndarray,
        fingers: list[str] | np.ndarray,
        templates: Sequence[Template | bytes] | TemplateBlobs,
        codes: np.ndarray,
        scales: np.ndarray,
        *,
        keys: list[int] | None = None,
    ) -> None:
        """:meth:`add_many` with descriptors already quantised (:func:`quantise`).

        A cached gallery starts with this: no descriptor is computed or converted, and with
        ``templates`` as :class:`TemplateBlobs` no Python object is made per template.
        ``subjects`` may be an integer array (integer subject keys) and ``fingers`` an
        integer array of positions in ``FINGERS``: a million entries are then placed
        without a Python step per entry.
        """
        n = len(subjects)
        if not n == len(fingers) == len(templates) == len(codes) == len(scales):
            raise ValueError("subjects, fingers, templates and descriptors must have one length")
        if keys is not None and len(keys) != n:
            raise ValueError("keys must have one entry per subject entry")
        codes = np.asarray(codes)
        if codes.dtype != np.uint8 or codes.shape != (n, self._dim):
            raise ValueError(
                f"codes must be ({n}, {self._dim}) uint8, got {codes.dtype} {codes.shape}"
            )
        scales = np.asarray(scales, np.float32)
        positions = self._positions_of(fingers)
        if isinstance(subjects, np.ndarray):
            rows = self._rows_of(subjects, keys)
        else:
            if keys is None:
                for subject in dict.fromkeys(subjects):
                    self._subject_row(subject)
            else:
                first_key: dict[Hashable, int] = {}
                for subject, key in zip(subjects, keys, strict=True):
                    first_key.setdefault(subject, key)
                for subject, key in first_key.items():
                    self._subject_row(subject, key)
            rows = np.fromiter(map(self._row.__getitem__, subjects), np.int64, count=n)
        self._unfile(rows)
        # A repeated (subject, finger): the later entry wins.
        pair = rows * len(FINGERS) + positions
        _, last_rev = np.unique(pair[::-1], return_index=True)
        last = np.sort(n - 1 - last_rev)
        for position, finger in enumerate(FINGERS):
            index = self._fingers[finger]
            mine = last[positions[last] == position]
            if not len(mine):
                continue
            known = np.zeros(len(mine), bool)
            if len(index.slot_of):
                inside = rows[mine] < len(index.slot_of)
                known[inside] = index.slot_of[rows[mine][inside]] >= 0
            old = known
            for k in mine[old]:
                slot = index.slot(int(rows[k]))
                index._own()
                index.codes[slot], index.scales[slot] = codes[k], scales[k]
                index.put(slot, templates[k])
            picks = mine[~old]
            if not len(picks):
                continue
            run: np.ndarray | slice = picks
            if picks[-1] - picks[0] + 1 == len(picks):  # one run: views, not copies
                run = slice(int(picks[0]), int(picks[-1]) + 1)
            first = index.extend(
                rows[run],
                codes[run],
                scales[run],
                templates.take(run)
                if isinstance(templates, TemplateBlobs)
                else [templates[k] for k in picks],
            )
            index.place(rows[picks], first + np.arange(len(picks)), len(self._subjects))
            self._count += len(picks)

    @staticmethod
    def _positions_of(fingers: list[str] | np.ndarray) -> np.ndarray:
        """Finger codes, or positions in ``FINGERS`` as an integer array, as positions."""
        if isinstance(fingers, np.ndarray) and fingers.dtype.kind in "iu":
            positions = fingers.astype(np.int64)
            if len(positions) and (positions.min() < 0 or positions.max() >= len(FINGERS)):
                raise ValueError(f"finger positions must be 0 … {len(FINGERS) - 1}")
            return positions
        for finger in set(fingers):
            validate_finger(finger)
        place: dict[str, int] = {str(f): k for k, f in enumerate(FINGERS)}
        return np.fromiter(map(place.__getitem__, fingers), np.int64, count=len(fingers))

    def _rows_of(self, subjects: np.ndarray, keys: list[int] | None) -> np.ndarray:
        """The rows of integer subject keys, new subjects placed in order of first entry."""
        if subjects.dtype.kind not in "iu" or subjects.ndim != 1:
            raise ValueError(f"subjects as an array must be 1-D integers, got {subjects.dtype}")
        ids = subjects.astype(np.int64)
        unique, first = np.unique(ids, return_index=True)
        by_entry = np.argsort(first, kind="stable")
        firsts = first[by_entry].tolist()
        for k, subject in zip(firsts, unique[by_entry].tolist(), strict=True):
            self._subject_row(subject, None if keys is None else keys[k])
        table = np.fromiter(map(self._row.__getitem__, unique.tolist()), np.int64, len(unique))
        return table[np.searchsorted(unique, ids)]

    def template(self, subject: Hashable, finger: str) -> Template | None:
        """The enrolled template of one finger, or None."""
        row = self._row.get(subject)
        index = self._fingers[validate_finger(finger)]
        slot = -1 if row is None else index.slot(row)
        return None if slot < 0 else index.template(slot)

    def fingers(self, subject: Hashable) -> dict[str, Template]:
        """All enrolled fingers of a subject."""
        return {f: t for f in FINGERS if (t := self.template(subject, f)) is not None}

    # -- the inverted-file index ---------------------------------------------------------

    @property
    def index(self) -> CoarseQuantiser | None:
        """The inverted-file centroids in use, or None (stage 1 scans every subject)."""
        return self._coarse

    @property
    def nprobe(self) -> int:
        """Cells a probe visits (0 without an index)."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if self._coarse is None:
            raise ValueError("nprobe needs an index: call train_index or use_index first")
        self._nprobe = _check_nprobe(value, self._coarse.nlist)

    def train_index(
        self,
        *,
        nlist: int,
        nprobe: int,
        seed: int = 0,
        sample: int | None = None,
        iterations: int = 10,
    ) -> CoarseQuantiser:
        """Train an inverted-file index on this gallery's subjects and use it.

        Parameters
        ----------
        nlist : int
            Cells (k-means centroids): 1 … number of subjects.
        nprobe : int
            Cells a probe visits: 1 … ``nlist``.
        seed : int
            Seed of the training sample and of the k-means initialisation.
        sample : int, optional
            Subjects trained on (default ``min(subjects, max(40 × nlist, 2 000), 10 000)``).
        iterations : int
            k-means iterations.

        Returns
        -------
        CoarseQuantiser
            The centroids; give them to other galleries (shards) with :meth:`use_index`.

        Examples
        --------
        >>> SearchGallery().train_index(nlist=4, nprobe=1)
        Traceback (most recent call last):
        ...
        ValueError: nlist (4) must be at most the gallery's subjects (0)
        """
        n = len(self._subjects)
        if nlist < 1:
            raise ValueError(f"nlist must be at least 1, got {nlist}")
        if nlist > n:
            raise ValueError(f"nlist ({nlist}) must be at most the gallery's subjects ({n})")
        _check_nprobe(nprobe, nlist)
        if sample is None:
            sample = min(n, max(40 * nlist, 2_000), 10_000)
        if not nlist <= sample:
            raise ValueError(f"sample ({sample}) must be at least nlist ({nlist})")
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(n, size=min(sample, n), replace=False))
        quantiser = train(self._fused(rows), nlist, seed=seed, iterations=iterations)
        self.use_index(quantiser, nprobe=nprobe)
        return quantiser

    def use_index(
        self,
        quantiser: CoarseQuantiser | None,
        *,
        nprobe: int = 1,
        cells: np.ndarray | None = None,
    ) -> None:
        """Use trained centroids (None: back to the linear scan); files every subject.

        A shard is given the centroids trained on the whole gallery, so its subjects land in
        the cells they have there.

        Parameters
        ----------
        quantiser : CoarseQuantiser or None
            The centroids.
        nprobe : int
            Cells a probe visits.
        cells : (subjects,) ndarray of int, optional
            Each subject's cell in gallery order, as :meth:`cells` gave it for these
            centroids and the subject's present descriptors; -1 files the subject afresh.
            Filing is a function of the two alone, so a cell remembered from an earlier
            filing is the one filing would give (a start-up cache skips the filing of
            unchanged subjects this way). A cell outside ``0 … nlist - 1`` is refused.
        """
        if quantiser is None:
            self._coarse, self._nprobe, self._lists = None, 0, None
            self._cell = np.zeros(0, np.int64)
            return
        if quantiser.codes.shape[1:] != (len(FINGERS), self._dim):
            raise ValueError(
                f"centroids must have ({len(FINGERS)}, {self._dim}) codes each, got "
                f"{quantiser.codes.shape[1:]}"
            )
        filed = np.full(len(self._subjects), -1, np.int64)
        if cells is not None:
            given = np.asarray(cells)
            if given.shape != filed.shape or given.dtype.kind not in "iu":
                raise ValueError(
                    f"cells must be {len(self._subjects)} integers (one per subject), got "
                    f"{given.dtype} of shape {given.shape}"
                )
            if len(given) and (given.min() < -1 or given.max() >= quantiser.nlist):
                raise ValueError(f"cells must be -1 (not filed) or 0 … {quantiser.nlist - 1}")
            filed[:] = given
        self._nprobe = _check_nprobe(nprobe, quantiser.nlist)
        self._coarse = quantiser
        self._cell = filed
        self._lists = None
        self._stale = np.zeros(0, np.int64)
        self._file()

    def cells(self) -> np.ndarray:
        """Every subject's cell, in gallery order (an empty array without an index)."""
        if self._coarse is None:
            return np.zeros(0, np.int64)
        self._file()
        return self._cell.copy()

    def _unfile(self, rows: np.ndarray) -> None:
        """Subjects whose fingers changed: filed again before the next search."""
        if self._coarse is None:
            return
        known = len(self._cell)
        if known < len(self._subjects):  # new subjects: not filed, not in the lists
            grow = np.full(len(self._subjects) - known, -1, np.int64)
            self._cell = np.concatenate([self._cell, grow])
            rows = np.concatenate([rows, np.arange(known, len(self._subjects))])
        self._cell[rows] = -1
        if self._lists is None:
            return
        stale = np.union1d(self._stale, rows)
        if len(stale) > max(_STALE_MIN, _STALE_SHARE * len(self._subjects)):
            self._lists, stale = None, np.zeros(0, np.int64)  # rebuilt before the next search
        self._stale = stale

    def _fused(self, rows: np.ndarray) -> np.ndarray:
        """Subjects' descriptors per finger position, (len(rows), fingers, D) float32."""
        out = np.zeros((len(rows), len(FINGERS), self._dim), np.float32)
        for position, finger in enumerate(FINGERS):
            index = self._fingers[finger]
            slots = index.slots(rows)
            have = np.flatnonzero(slots >= 0)
            picked = slots[have]
            out[have, position] = index.codes[picked] * index.scales[picked, None]
        return out

    def _file(self) -> None:
        """File the subjects not yet in a cell and rebuild the inverted lists if needed."""
        coarse = self._coarse
        if coarse is None:
            return
        if len(self._cell) < len(self._subjects):
            self._unfile(np.zeros(0, np.int64))
        pending = np.flatnonzero(self._cell < 0)
        if not len(pending) and self._lists is not None:
            return
        kernels = _ivf() if len(pending) else None
        centroids = [coarse.codes[:, k, :].astype(np.int32) for k in range(len(FINGERS))]
        cscales = [coarse.scales[:, k].astype(np.float64) for k in range(len(FINGERS))]
        for lo in range(0, len(pending), _ASSIGN_CHUNK):
            assert kernels is not None
            rows = pending[lo : lo + _ASSIGN_CHUNK]
            out = np.zeros((len(rows), coarse.nlist), np.float64)
            for position, finger in enumerate(FINGERS):
                index = self._fingers[finger]
                slots = index.slots(rows)
                local = np.flatnonzero(slots >= 0)
                if len(local):
                    kernels.cell_scores(
                        index.codes, index.scales, slots[local], local.astype(np.int64),
                        centroids[position], cscales[position], out,
                    )  # fmt: skip
            self._cell[rows] = np.argmax(out, axis=1)  # equal scores: the lower cell
        if self._lists is not None:
            return
        # The inverted lists hold their entries' stage-1 arrays in cell order, so a visited
        # cell is one contiguous run (a gather of scattered 512-byte rows costs about ten
        # times as much per entry as a sequential pass). Entries already in cell order (a
        # gallery loaded in that order, as the start-up cache stores it) are the finger's
        # own arrays, not a copy; a later change to a subject makes it stale (searched
        # from the finger's arrays) until the lists are rebuilt.
        lists: dict[str, _Lists] = {}
        edges = np.arange(coarse.nlist + 1)
        for code, index in self._fingers.items():
            n = index._size
            cells = self._cell[index.rows[:n]]
            if _ascending(cells):
                lists[code] = _Lists(
                    np.searchsorted(cells, edges),
                    index.codes[:n],
                    index.scales[:n],
                    index.rows[:n].copy(),
                )
                continue
            order = np.argsort(cells, kind="stable")
            lists[code] = _Lists(
                np.searchsorted(cells[order], edges),
                index.codes[order],
                index.scales[order],
                index.rows[order],
            )
        if _ascending(self._cell):
            order = np.arange(len(self._cell))
        else:
            order = np.argsort(self._cell, kind="stable")
        bounds = np.searchsorted(self._cell[order], edges)
        lists[""] = _Lists(bounds, np.zeros((0, 0), np.uint8), np.zeros(0, np.float32), order)
        self._lists = lists
        self._stale = np.zeros(0, np.int64)

    def _visited(self, vectors: Mapping[str, np.ndarray]) -> np.ndarray:
        """The cells a probe with these descriptors visits."""
        assert self._coarse is not None
        codes = np.zeros((len(FINGERS), self._dim), np.uint8)
        scales = np.zeros(len(FINGERS), np.float32)
        place = {str(f): k for k, f in enumerate(FINGERS)}
        for finger, vector in vectors.items():
            c, sc = quantise(vector[None, :])
            codes[place[finger]], scales[place[finger]] = c[0], sc[0]
        return self._coarse.visit(codes, scales, self._nprobe)

    def _members(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The subject rows filed under ``cells``: those in the lists, and the stale ones."""
        assert self._lists is not None
        lists = self._lists[""]
        parts = [lists.rows[lists.bounds[c] : lists.bounds[c + 1]] for c in cells.tolist()]
        listed = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        if not len(self._stale):
            return listed, self._stale
        listed = listed[~np.isin(listed, self._stale)]
        return listed, self._stale[np.isin(self._cell[self._stale], cells)]

    def visited_cells(self, probe: Mapping[str, Template]) -> np.ndarray:
        """The cells a probe visits, best first (an empty array without an index)."""
        vectors = self._probe_vectors(_check_probe(probe))
        if self._coarse is None or not vectors:
            return np.zeros(0, np.int64)
        return self._visited(vectors)

    def stage1_subjects(self, probe: Mapping[str, Template]) -> int:
        """How many subjects stage 1 scores for this probe (all of them without an index)."""
        vectors = self._probe_vectors(_check_probe(probe))
        if self._coarse is None or not vectors:
            return len(self._subjects)
        self._file()
        return sum(map(len, self._members(self._visited(vectors))))

    # -- the two stages --------------------------------------------------------------------

    def _probe_vectors(self, probe: Mapping[str, Template]) -> dict[str, np.ndarray]:
        vectors = {}
        for finger, template in probe.items():
            vector = descriptor(template, self.params)
            if vector.any():
                vectors[finger] = vector
        return vectors

    def preselect(self, probe: Mapping[str, Template]) -> np.ndarray:
        """Stage-1 fused score of every subject, in gallery order (a linear scan)."""
        total = np.zeros(len(self._subjects), np.float64)
        for finger, vector in self._probe_vectors(probe).items():
            self._fingers[finger].accumulate(vector, total)
        return total

    def _stage1(self, probe: Mapping[str, Template]) -> tuple[np.ndarray, np.ndarray]:
        """Stage-1 scores (zero where not scored) and the subject rows scored."""
        vectors = self._probe_vectors(probe)
        if self._coarse is None or not vectors:
            total = np.zeros(len(self._subjects), np.float64)
            for finger, vector in vectors.items():
                self._fingers[finger].accumulate(vector, total)
            return total, np.arange(len(self._subjects))
        self._file()
        assert self._lists is not None
        cells = np.sort(self._visited(vectors))
        listed, stale = self._members(cells)
        total = np.zeros(len(self._subjects), np.float64)
        accumulate = _kernel()
        for finger, vector in vectors.items():
            lists = self._lists[finger]
            codes, scales = quantise(vector[None, :])
            probe, scale = codes[0].astype(np.int32), float(scales[0])
            for c in cells.tolist():
                lo, hi = int(lists.bounds[c]), int(lists.bounds[c + 1])
                if hi > lo:  # the linear scan's kernel over one cell's run: the same scores
                    accumulate(
                        lists.codes[lo:hi], lists.scales[lo:hi], lists.rows[lo:hi], probe,
                        scale, total,
                    )  # fmt: skip
        if len(self._stale):
            total[self._stale] = 0.0  # their list entries (if any) are outdated
            for finger, vector in vectors.items():
                index = self._fingers[finger]
                inside = stale[stale < len(index.slot_of)]
                slots = index.slot_of[inside]
                slots = slots[slots >= 0]
                if len(slots):
                    codes, scales = quantise(vector[None, :])
                    accumulate(
                        index.codes[slots], index.scales[slots], index.rows[slots],
                        codes[0].astype(np.int32), float(scales[0]), total,
                    )  # fmt: skip
        return total, np.concatenate([listed, stale])

    def shortlist(
        self, probe: Mapping[str, Template], count: int
    ) -> list[tuple[float, int, Hashable]]:
        """Stage 1: the best ``count`` subjects as ``(stage-1 score, order key, subject)``.

        Best first; equal scores in gallery order (a shard's order key is the subject's
        place in the whole gallery). Without an index, the same as the first ``count``
        subjects of a stable sort of :meth:`preselect`, without sorting the whole gallery;
        with one, only the subjects of the probe's ``nprobe`` cells are scored and ranked.
        """
        if count < 1:
            raise ValueError(f"count must be at least 1, got {count}")
        probe = _check_probe(probe)
        if not probe or not self._subjects:
            return []
        scores, pool = self._stage1(probe)
        keys = np.asarray(self._keys, np.int64)
        if count < len(pool):
            kth = np.partition(-scores[pool], count - 1)[count - 1]
            pool = pool[-scores[pool] <= kth]
        pool = pool[np.lexsort((keys[pool], -scores[pool]))][:count]
        return [(float(scores[r]), int(keys[r]), self._subjects[int(r)]) for r in pool]

    def rescore(
        self, probe: Mapping[str, Template], subjects: Iterable[Hashable]
    ) -> list[tuple[float, int, Hashable, dict[str, float]]]:
        """Stage 2: the full matcher's scores of enrolled subjects against the probe.

        Returns ``(fused score, order key, subject, finger scores)`` per subject, in the
        order given; subjects not in this gallery are skipped (a shard re-scores its own).
        """
        from . import compare

        probe = _check_probe(probe)
        out = []
        for subject in subjects:
            row = self._row.get(subject)
            if row is None:
                continue
            scores = {}
            for finger, template in probe.items():
                enrolled = self.template(subject, finger)
                if enrolled is not None:
                    scores[finger] = compare(template, enrolled)
            out.append((sum(scores.values()), self._keys[row], subject, scores))
        return out


def _ascending(values: np.ndarray) -> bool:
    return bool(np.all(values[1:] >= values[:-1]))


def _check_nprobe(nprobe: int, nlist: int) -> int:
    if isinstance(nprobe, bool) or not isinstance(nprobe, (int, np.integer)):
        raise ValueError(f"nprobe must be an integer, got {nprobe!r}")
    if not 1 <= nprobe <= nlist:
        raise ValueError(f"nprobe must be in 1..{nlist} (the index's nlist), got {nprobe}")
    return int(nprobe)


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
    probe = _check_probe(probe)
    shortlist = gallery.params.shortlist if shortlist is None else int(shortlist)
    if shortlist < 1 or limit < 1:
        raise ValueError("shortlist and limit must be at least 1")
    if not probe or len(gallery) == 0:
        return []
    first = gallery.shortlist(probe, shortlist)
    return rank(first, gallery.rescore(probe, [s for _, _, s in first]), limit=limit)


def rank(
    first: Iterable[tuple[float, int, Hashable]],
    scored: Iterable[tuple[float, int, Hashable, dict[str, float]]],
    *,
    limit: int,
) -> list[Candidate]:
    """Rank re-scored subjects: best fused score first, equal scores by order key.

    Parameters
    ----------
    first : iterable of (float, int, hashable)
        The shortlist, as :meth:`SearchGallery.shortlist` gives it (for the stage-1 score).
    scored : iterable of (float, int, hashable, dict)
        :meth:`SearchGallery.rescore`'s results, from one gallery or from its shards.
    limit : int
        Candidates returned.

    Returns
    -------
    candidates : list of Candidate
    """
    stage1 = {subject: score for score, _, subject in first}
    ordered = sorted(scored, key=lambda c: (-c[0], c[1]))
    return [
        Candidate(subject, float(total), MappingProxyType(scores), n, stage1.get(subject, 0.0))
        for n, (total, _, subject, scores) in enumerate(ordered[:limit], start=1)
    ]
