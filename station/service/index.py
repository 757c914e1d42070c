"""The gallery's search index: its templates in memory, ready for a 1:N search, in seconds.

Building the index means reading every enrolled rolled template and computing its stage-1
descriptor (:func:`station.core.match.index.descriptor`, about 0.5 ms each: 50 s for a
10 000-subject gallery). The descriptors are therefore cached, quantised as the index holds
them, in a file beside the gallery (``<gallery>.index.npz``), keyed by each template's
checksum and the matcher parameters: at start only templates added or changed since the
cache was written are described again, and template bytes are parsed only when a search
re-scores them. A damaged or stale cache is rebuilt, never trusted; so is one whose keyed
hash (stored in it, keyed by the gallery's secret,
:meth:`~station.gallery.Gallery.keyed_hash`) does not verify: a cache edited by hand, or one
written for another gallery, is never used.

From :data:`IVF_MIN_SUBJECTS` subjects the index has an inverted file, whose k-means training
and filing cost seconds per 100 000 subjects; the same file keeps its centroids and every
subject's cell, so a start files only the subjects whose templates changed, and trains anew
only when the gallery has grown or shrunk by more than :data:`IVF_RETRAIN_SHARE` since.

The cache also keeps the templates themselves, as the gallery held them at its
:meth:`~station.gallery.Gallery.generation`, so that a start with the gallery unchanged since
reads neither the gallery nor the templates: its arrays are read straight from the file
(stored by finger and cell, so the inverted lists are views of them, not copies), and a
template's bytes are read from the file when a search first re-scores it, checked against a
keyed hash of its own (a template whose hash does not verify is read from the gallery
instead, with a warning).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import mmap
import os
import threading
import time
import weakref
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass
from io import BufferedReader
from pathlib import Path

import numpy as np

from station.core.match import DEFAULT_PARAMETERS, MatchParameters, SearchGallery
from station.core.match.index import descriptor, descriptor_size
from station.core.match.ivf import CoarseQuantiser
from station.core.match.search import TemplateBlobs, quantise
from station.core.template import FORMAT_VERSION, Template
from station.core.vocabulary import FINGERS
from station.gallery import Gallery, TemplateRows, open_gallery
from station.gallery.private import create_private

__all__ = ["IVF_MIN_SUBJECTS", "IVF_RETRAIN_SHARE", "cache_path", "ivf_settings", "load_index"]

log = logging.getLogger(__name__)

#: From this many subjects the index gets an inverted-file first stage
#: (:meth:`SearchGallery.train_index`). Below it the linear scan costs at most ~27 ms of a
#: ~210 ms search (README, "Matcher v2: 1:N search") and can miss no one stage 1 would rank,
#: while the index costs ~10 s of training and filing at each start and a small miss risk;
#: above it the linear scan grows with the gallery (~270 ms at a million) and the index
#: keeps stage 1 at a few ms.
IVF_MIN_SUBJECTS = 100_000


def ivf_settings(subjects: int) -> tuple[int, int]:
    """``(nlist, nprobe)`` for a gallery of ``subjects``: ~400 subjects a cell, 1/16 visited.

    At 100 000 subjects (250 cells, 15 visited) the bench measured no first-stage miss at
    ~10 % penetration (``station bench --only search --ivf 256:16``).

    Examples
    --------
    >>> ivf_settings(100_000), ivf_settings(4)
    ((250, 15), (4, 4))
    """
    if subjects < 1:
        raise ValueError(f"subjects must be at least 1, got {subjects}")
    nlist = min(subjects, max(16, subjects // 400))
    return nlist, _nprobe(nlist)


def _nprobe(nlist: int) -> int:
    return min(nlist, max(4, nlist // 16))


#: The centroids of a cached inverted file are trained again when the gallery's subjects
#: differ from the number they were trained on by more than this share (new subjects are
#: filed under the nearest existing centroid meanwhile; cells stay meaningful while the
#: gallery is much the same population).
IVF_RETRAIN_SHARE = 0.1


def cache_path(gallery_path: str | Path) -> Path:
    """Where the descriptor cache of a gallery file lives."""
    path = Path(gallery_path)
    return path.with_name(path.name + ".index.npz")


def store_path(gallery_path: str | Path) -> Path:
    """Where the cache's template file of a gallery file lives."""
    path = Path(gallery_path)
    return path.with_name(path.name + ".index.templates")


def _crc(blob: bytes) -> int:
    crc = Template.checksum(blob)
    return -1 if crc is None else crc


def _params_key(params: MatchParameters) -> str:
    text = f"{FORMAT_VERSION}|" + "|".join(str(v) for v in astuple(params))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_PURPOSE = "search index cache"
#: Row ``n`` of a cache: the template of subject ``subjects[n]``'s finger ``fingers[n]``
#: (index in FINGERS) with CRC ``crcs[n]`` has the descriptor ``codes[n] × scales[n]``, stored
#: quantised as the index holds it (:func:`~station.core.match.search.quantise`).
_FIELDS = ("key", "subjects", "fingers", "crcs", "codes", "scales")
#: The inverted file, in a cache of a gallery that has one: centroids (codes, scales), the
#: subject count they were trained on, and each subject's cell with a digest of the templates
#: it was filed by (:func:`_digests`).
_IVF_FIELDS = (
    "ivf_codes", "ivf_scales", "ivf_trained_on", "ivf_subjects", "ivf_digests", "ivf_cells",
)  # fmt: skip
#: The templates, in a cache written with them: the gallery generation they are current at,
#: each row's print id and span of the template file (:func:`store_path`, named by
#: ``store_id``) with the keyed hash of those bytes (:data:`_TEMPLATE_PURPOSE`), and the
#: templates left out as damaged (print, subject, finger), named again at each start. The
#: template file is not in the cache's keyed hash: each template is checked when it is read.
_SNAPSHOT_FIELDS = ("generation", "print_ids", "starts", "ends", "macs", "damaged", "store_id")
#: With the templates, from schema 10 on: the gallery's change-log position they are current
#: at (:meth:`~station.gallery.Gallery.template_changes`), so a start after the gallery
#: changed re-reads only the subjects changed since. A cache without it reads the gallery.
_POSITION_FIELDS = ("position",)
#: A start re-reads only the changed subjects while the changes since the cache number at most
#: this many, or this share of the cache's templates if more; beyond, it reads the gallery.
_CHANGES_MIN = 10_000
_CHANGES_SHARE = 0.1
_TEMPLATE_PURPOSE = "search index templates"
_MAC_BYTES = 16
#: The template file: this magic and a random 16-byte id, then template bytes, appended as
#: templates come and rewritten (with a new id) when more than a quarter of it is stale.
_STORE_MAGIC = b"BSIXTPL1"
_STORE_HEADER = len(_STORE_MAGIC) + 16
_STORE_STALE_SHARE = 0.25


@dataclass(frozen=True, eq=False)
class _CachedIvf:
    """An inverted file as a cache holds it (see :data:`_IVF_FIELDS`)."""

    quantiser: CoarseQuantiser
    trained_on: int
    subjects: np.ndarray  # (n,) int64, each subject's id ...
    digests: np.ndarray  # (n,) uint64 ... the digest of the templates it was filed by ...
    cells: np.ndarray  # (n,) int64 ... and its cell

    def __post_init__(self) -> None:
        if not len(self.subjects) == len(self.digests) == len(self.cells):
            raise ValueError("inverted-file fields of different lengths")

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> _CachedIvf:
        return cls(
            CoarseQuantiser(arrays["ivf_codes"], arrays["ivf_scales"]),
            int(arrays["ivf_trained_on"]),
            np.asarray(arrays["ivf_subjects"], np.int64),
            np.asarray(arrays["ivf_digests"], np.uint64),
            np.asarray(arrays["ivf_cells"], np.int64),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "ivf_codes": self.quantiser.codes,
            "ivf_scales": self.quantiser.scales,
            "ivf_trained_on": np.array(self.trained_on, np.int64),
            "ivf_subjects": self.subjects,
            "ivf_digests": self.digests,
            "ivf_cells": self.cells,
        }

    def same_as(self, other: _CachedIvf | None) -> bool:
        return other is not None and all(
            np.array_equal(a, b)
            for a, b in zip(self.arrays().values(), other.arrays().values(), strict=True)
        )


def _digests(subjects: np.ndarray, fingers: np.ndarray, crcs: np.ndarray) -> dict[int, int]:
    """A 64-bit digest per subject of the (finger, template CRC) pairs it is indexed by.

    A subject whose digest is unchanged has the same descriptors, so the same cell. Each
    pair is mixed by SplitMix64's finaliser (Steele, Lea and Flood, "Fast splittable
    pseudorandom number generators", OOPSLA 2014) and the mixes are added modulo 2⁶⁴, so
    the order of the rows does not matter.
    """
    if not len(subjects):
        return {}
    z = (crcs.astype(np.uint64) << np.uint64(8)) | fingers.astype(np.uint64)
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    order = np.argsort(subjects, kind="stable")
    keys = subjects[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sums = np.add.reduceat(z[order], starts)
    return dict(zip(keys[starts].tolist(), sums.tolist(), strict=True))


def _cache_mac(gallery: Gallery, arrays: dict[str, np.ndarray]) -> bytes:
    """The gallery-keyed hash of a cache's arrays: each field's name, dtype, shape and bytes
    (the inverted file's fields too when the cache has them)."""
    names = (
        _FIELDS
        + (_IVF_FIELDS if _IVF_FIELDS[0] in arrays else ())
        + (_SNAPSHOT_FIELDS if _SNAPSHOT_FIELDS[0] in arrays else ())
        + (_POSITION_FIELDS if _POSITION_FIELDS[0] in arrays else ())
    )

    def parts() -> Iterator[bytes | memoryview]:
        for name in names:
            array = np.ascontiguousarray(arrays[name])
            head = f"{name}|{array.dtype.str}|{array.shape}|".encode()
            yield len(head).to_bytes(4, "big") + head
            yield array.reshape(-1).view(np.uint8).data  # its bytes, not a copy

    return gallery.keyed_hash(parts(), purpose=_PURPOSE)


def _positions(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where each of ``wanted`` is in ``keys`` (the first place if repeated), -1 if absent."""
    if not len(keys):
        return np.full(len(wanted), -1, np.int64)
    order = np.argsort(keys, kind="stable")
    at = order[np.minimum(np.searchsorted(keys[order], wanted), len(order) - 1)]
    at[keys[at] != wanted] = -1
    return at


def _empty_codes(n: int, dim: int) -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((n, dim), np.uint8), np.zeros(n, np.float32)


@dataclass(frozen=True, eq=False)
class _Snapshot:
    """The templates a verified cache holds (see :data:`_SNAPSHOT_FIELDS`), their bytes in
    the template file ``store_id``."""

    generation: int
    print_ids: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    macs: np.ndarray
    damaged: np.ndarray  # (k, 3) int64: print id, subject id, finger index
    store_id: bytes
    position: int | None = None  # the gallery's change-log position; None: not recorded


@dataclass(frozen=True, eq=False)
class _Known:
    """The quantised descriptors a verified cache holds (see :data:`_FIELDS`), and its
    templates when it has them."""

    subjects: np.ndarray
    fingers: np.ndarray
    crcs: np.ndarray
    codes: np.ndarray
    scales: np.ndarray
    snapshot: _Snapshot | None = None

    def __len__(self) -> int:
        return len(self.subjects)

    def positions(self, subjects: np.ndarray, fingers: np.ndarray) -> np.ndarray:
        """The cache row of each (subject, finger), -1 where it has none."""
        return _positions(
            self.subjects.astype(np.int64) * 16 + self.fingers,
            subjects.astype(np.int64) * 16 + fingers,
        )

    def lookup(
        self, subjects: np.ndarray, fingers: np.ndarray, crcs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The cached codes and scales of gallery rows given by (subject, finger, CRC).

        Returns
        -------
        codes, scales : ndarray
            One row per gallery row; zeros where the cache has no descriptor.
        missing : ndarray
            The gallery rows the cache has no descriptor for.

        Sorted arrays, not a dictionary: a 100 000-subject gallery has a million rows.
        """
        n = len(subjects)
        if not len(self) or not n:
            return (*_empty_codes(n, self.codes.shape[1]), np.arange(n))
        at = self.positions(subjects, fingers)
        hit = (at >= 0) & (self.crcs[at] == crcs) & (crcs >= 0)
        codes, scales = self.codes[at], self.scales[at]
        codes[~hit], scales[~hit] = 0, 0
        return codes, scales, np.flatnonzero(~hit)


@dataclass(frozen=True)
class _Member:
    """Where an array of a ``.npz`` file (stored, not compressed) lies in the file."""

    offset: int
    dtype: np.dtype
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return self.dtype.itemsize * math.prod(self.shape)


def _members(fh: BufferedReader) -> dict[str, _Member]:
    """The arrays of an ``np.savez`` file, located without reading them.

    ``np.savez`` stores each array uncompressed, as a ``.npy`` file in a ZIP archive: a
    local file header (30 bytes, then the name and an extra field; PKWARE APPNOTE.TXT
    4.3.7) and the ``.npy`` header precede its bytes. Reading them straight into arrays
    skips the ZIP reader's copies and CRC pass (0.5 GB of descriptors at 100 000 subjects).

    Raises
    ------
    ValueError, zipfile.BadZipFile
        Not such a file, or an array that is compressed, of objects or cut short.
    """
    with zipfile.ZipFile(fh) as archive:  # a file object passed in stays open
        infos = archive.infolist()
    out = {}
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise ValueError(f"unexpected member {info.filename!r}")
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"member {info.filename!r} is compressed")
        fh.seek(info.header_offset)
        head = fh.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            raise ValueError(f"member {info.filename!r} has no local header")
        name_len = int.from_bytes(head[26:28], "little")
        extra_len = int.from_bytes(head[28:30], "little")
        begin = info.header_offset + 30 + name_len + extra_len
        fh.seek(begin)
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"member {info.filename!r} is .npy version {version}")
        if dtype.hasobject or (fortran and len(shape) > 1):
            raise ValueError(f"member {info.filename!r} is not a plain array")
        member = _Member(fh.tell(), dtype, tuple(shape))
        if member.offset - begin + member.nbytes > info.file_size:
            raise ValueError(f"member {info.filename!r} is cut short")
        out[info.filename[: -len(".npy")]] = member
    return out


#: Arrays from this size are read into memory mapped with its pages populated at once.
_POPULATE_BYTES = 1 << 24


def _empty(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """``np.empty``; from :data:`_POPULATE_BYTES` in memory whose pages are populated at
    once (``MAP_POPULATE``, Linux), not faulted in a page at a time as it is first written."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * math.prod(shape)
    if nbytes < _POPULATE_BYTES or not hasattr(mmap, "MAP_POPULATE"):
        return np.empty(shape, dtype)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE
    memory = mmap.mmap(-1, nbytes, flags=flags)
    return np.frombuffer(memory, dtype, math.prod(shape)).reshape(shape)


def _read_member(fh: BufferedReader, member: _Member) -> np.ndarray:
    """A member's array, read once into memory, read-only (a change copies it first).

    A large array is read into anonymous memory whose pages the kernel populates in one
    call (``MAP_POPULATE``, Linux): faulting in 0.5 GB a 4 KB page at a time cost 0.4-1.4 s
    of a 100 000-subject start, populated it is 0.15-0.2 s (measured on the 2-core bench
    machine). The copy, not a mapping of the file, is what the keyed hash then checks.
    """
    array = _empty(member.shape, member.dtype)
    view = array.reshape(-1).view(np.uint8).data
    fh.seek(member.offset)
    done = 0
    while done < len(view):
        got = fh.readinto(view[done:])
        if not got:
            raise EOFError("the cache file ends inside an array")
        done += got
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class _Cache:
    """A verified cache: descriptors (and templates), its inverted file."""

    known: _Known
    ivf: _CachedIvf | None


def _read_cache(path: Path, key: str, dim: int, gallery: Gallery) -> _Cache | None:
    """The verified contents of a cache file, None if it is missing or unusable."""
    try:
        with open(path, "rb") as fh:
            members = _members(fh)
            if not set(_FIELDS) <= set(members):
                log.info("search cache %s is of an earlier layout; rebuilding it", path)
                return None
            ivf = _IVF_FIELDS if _IVF_FIELDS[0] in members else ()
            snap = _SNAPSHOT_FIELDS if set(_SNAPSHOT_FIELDS) <= set(members) else ()
            position = _POSITION_FIELDS if snap and set(_POSITION_FIELDS) <= set(members) else ()
            names = (*_FIELDS, *ivf, *snap, *position, "mac")
            arrays = {name: _read_member(fh, members[name]) for name in names}
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        log.warning("ignoring damaged search cache %s (%s)", path, exc)
        return None
    known = _check_cache(path, key, dim, gallery, arrays)
    if known is None:
        return None
    cached = None
    if ivf:
        try:
            cached = _CachedIvf.from_arrays(arrays)
        except (ValueError, TypeError) as exc:  # verified, yet not an inverted file we wrote
            log.warning("ignoring the inverted file of search cache %s (%s)", path, exc)
    return _Cache(known, cached)


def _check_cache(
    path: Path,
    key: str,
    dim: int,
    gallery: Gallery,
    arrays: dict[str, np.ndarray],
) -> _Known | None:
    stored = arrays["mac"]
    if stored.dtype != np.uint8 or not hmac.compare_digest(
        stored.tobytes(), _cache_mac(gallery, arrays)
    ):
        log.warning(
            "ignoring search cache %s: it was not written for this gallery or was edited", path
        )
        return None
    codes, scales = arrays["codes"], arrays["scales"]
    if str(arrays["key"]) != key or codes.shape[1:] != (dim,):
        log.info("search cache %s is for other matcher parameters; rebuilding", path)
        return None
    subjects, fingers, crcs = arrays["subjects"], arrays["fingers"], arrays["crcs"]
    if not len(subjects) == len(fingers) == len(crcs) == len(codes) == len(scales) or (
        codes.dtype != np.uint8 or scales.dtype != np.float32
    ):
        log.warning("ignoring damaged search cache %s (fields of other lengths or types)", path)
        return None
    snapshot = None
    if _SNAPSHOT_FIELDS[0] in arrays:
        snapshot = _snapshot(arrays, len(subjects))
        if snapshot is None:  # verified, yet not templates we wrote: use the descriptors
            log.warning("ignoring the templates of search cache %s (inconsistent fields)", path)
    return _Known(subjects, fingers, crcs, codes, scales, snapshot)


def _snapshot(arrays: dict[str, np.ndarray], n: int) -> _Snapshot | None:
    print_ids, starts, ends = arrays["print_ids"], arrays["starts"], arrays["ends"]
    macs, damaged, store_id = arrays["macs"], arrays["damaged"], arrays["store_id"]
    if not (len(print_ids) == len(starts) == len(ends) == len(macs) == n):
        return None
    if macs.shape[1:] != (_MAC_BYTES,) or damaged.ndim != 2 or damaged.shape[1] != 3:
        return None
    if store_id.dtype != np.uint8 or store_id.shape != (16,):
        return None
    if n and (starts.min() < _STORE_HEADER or np.any(ends < starts)):
        return None
    position = arrays.get(_POSITION_FIELDS[0])
    if position is not None and (position.shape != () or position.dtype.kind != "i"):
        return None
    return _Snapshot(
        int(arrays["generation"]),
        print_ids,
        starts,
        ends,
        macs,
        damaged,
        store_id.tobytes(),
        None if position is None else int(position),
    )


def _store_header(data: bytes) -> bytes | None:
    """The id in a template file's header, None if it is not one."""
    if len(data) != _STORE_HEADER or not data.startswith(_STORE_MAGIC):
        return None
    return data[len(_STORE_MAGIC) :]


def _open_store(path: Path, snapshot: _Snapshot) -> BufferedReader | None:
    """The template file a snapshot was written with, open; None (and why, logged) if it is
    missing, another one, or shorter than the snapshot's spans."""
    try:
        fh = open(path, "rb")  # noqa: SIM115 (kept open by the index)
    except OSError as exc:
        log.info("search cache template file %s: %s; reading the gallery", path, exc)
        return None
    try:
        ident = _store_header(fh.read(_STORE_HEADER))
        size = os.fstat(fh.fileno()).st_size
    except OSError as exc:
        ident, size = None, 0
        log.warning("search cache template file %s: %s", path, exc)
    last = int(snapshot.ends.max()) if len(snapshot.ends) else _STORE_HEADER
    if ident != snapshot.store_id or size < last:
        fh.close()
        log.info(
            "search cache template file %s is not the one the cache was written with; "
            "reading the gallery",
            path,
        )
        return None
    return fh


class _CachedTemplates:
    """The templates of a cache, read from its file when a search needs them
    (a :class:`~station.core.match.search.BlobReader`).

    Each template's bytes are checked against its keyed hash; bytes that do not verify (the
    file was edited or damaged since it was checked at start) are read from the gallery
    instead, with a warning naming the print.
    """

    def __init__(
        self, file: BufferedReader, snapshot: _Snapshot, key: bytes, gallery: Path
    ) -> None:
        self._file = file
        weakref.finalize(self, file.close)  # closed with the index, not left to the collector
        self._lock = threading.Lock()
        self._snapshot = snapshot
        self._key = key
        self._gallery = gallery
        self._size = os.fstat(file.fileno()).st_size
        self._by_start: np.ndarray | None = None  # rows by start, made at the first read

    @property
    def size(self) -> int:
        return self._size

    def _row(self, start: int, end: int) -> int:
        snap = self._snapshot
        if self._by_start is None:
            self._by_start = np.argsort(snap.starts, kind="stable")
        by_start = self._by_start
        at = int(np.searchsorted(snap.starts[by_start], start))
        k = int(by_start[at]) if at < len(by_start) else -1
        if k < 0 or snap.starts[k] != start or snap.ends[k] != end:
            raise ValueError(f"no template at bytes {start}-{end} of the search cache")
        return k

    def _pread(self, count: int, offset: int) -> bytes:
        if hasattr(os, "pread"):  # one call, safe from any thread
            return os.pread(self._file.fileno(), count, offset)
        with self._lock:  # no pread (Windows): seek and read under a lock
            self._file.seek(offset)
            return self._file.read(count)

    def read(self, start: int, end: int) -> bytes:
        snap = self._snapshot
        k = self._row(start, end)
        try:
            data = self._pread(end - start, start)
        except (OSError, ValueError) as exc:  # ValueError: the file was closed
            data = b""
            log.warning("search cache of %s: %s", self._gallery, exc)
        if len(data) == end - start and hmac.compare_digest(
            _template_mac(self._key, data), snap.macs[k].tobytes()
        ):
            return data
        print_id = int(snap.print_ids[k])
        log.warning(
            "search cache of %s: the template of print %d does not verify; read from the gallery",
            self._gallery,
            print_id,
        )
        with open_gallery(self._gallery, readonly=True) as gallery:
            template = gallery.template(print_id)
        if template is None:
            raise ValueError(f"print {print_id} of gallery {self._gallery} has no template")
        return template.to_bytes()


def _template_key(gallery: Gallery) -> bytes:
    return gallery.keyed_hash([b"template bytes"], purpose=_TEMPLATE_PURPOSE)


def _template_mac(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, "sha256")[:_MAC_BYTES]


def _write_cache(
    path: Path,
    gallery: Gallery,
    key: str,
    rows: _Rows,
    codes: np.ndarray,
    scales: np.ndarray,
    ivf: _CachedIvf | None,
    known: _Known | None,
) -> None:
    """Write the cache: descriptors, inverted file and template spans, rows by finger, cell
    and subject (so each finger's entries, and each cell's, are one run of the file); the
    templates go to the template file first (:func:`_store_templates`)."""
    cells = np.zeros(len(rows), np.int64)
    if ivf is not None:
        cells = ivf.cells[_positions(ivf.subjects, rows.subjects)]
    order = np.lexsort((rows.subjects, cells, rows.fingers))
    tkey = _template_key(gallery)
    macs = np.zeros((len(rows), _MAC_BYTES), np.uint8)
    kept = np.full(len(rows), -1, np.int64)  # the cache row whose stored template is the same
    old = None if known is None else known.snapshot
    if known is not None and old is not None and len(known):
        at = known.positions(rows.subjects, rows.fingers)
        found = at >= 0
        same = np.zeros(len(rows), bool)
        same[found] = (known.crcs[at[found]] == rows.crcs[found]) & (
            old.print_ids[at[found]] == rows.print_ids[found]
        )
        kept[same] = at[same]
        macs[same] = old.macs[at[same]]
    for n in np.flatnonzero(kept < 0).tolist():  # a wrong one is only a slower read
        macs[n] = np.frombuffer(_template_mac(tkey, rows.blobs[n]), np.uint8)
    arrays = {
        "key": np.array(key),
        "subjects": rows.subjects[order],
        "fingers": rows.fingers[order],
        "crcs": rows.crcs[order],
        "codes": codes[order],
        "scales": scales[order],
    }
    store = store_path(gallery.path)
    try:
        store_id, starts, ends = _store_templates(store, rows, order, old, kept)
    except OSError as exc:  # a read-only folder: descriptors alone, the gallery read next time
        log.warning("could not write search cache templates %s (%s)", store, exc)
    else:
        arrays.update(
            generation=np.array(rows.generation, np.int64),
            position=np.array(rows.position, np.int64),
            print_ids=rows.print_ids[order],
            starts=starts[order],
            ends=ends[order],
            macs=macs[order],
            damaged=rows.damaged,
            store_id=np.frombuffer(store_id, np.uint8),
        )
    _save_cache(path, gallery, arrays, ivf)


def _save_cache(
    path: Path,
    gallery: Gallery,
    arrays: dict[str, np.ndarray],
    ivf: _CachedIvf | None,
    *,
    behind: bool = False,
) -> None:
    """Write a cache's arrays (and its inverted file's) with their keyed hash, atomically.

    With ``behind`` the keyed hash is taken here (it needs the gallery's connection, which
    stays on its thread) and the file is written by a thread of its own, so that the index
    is searchable meanwhile; the next :func:`load_index` of this gallery in this process
    waits for it, and so does the interpreter's exit (not a daemon thread).
    """
    if ivf is not None:
        arrays.update(ivf.arrays())
    mac = np.frombuffer(_cache_mac(gallery, arrays), np.uint8)
    if not behind:
        _write_npz(path, mac, arrays)
        return
    writer = threading.Thread(
        target=_write_npz, args=(path, mac, arrays), name="search-cache-writer"
    )
    with _WRITERS_LOCK:
        _WRITERS[path] = writer
        writer.start()


#: A start after changes writes the cache behind it (the index is searchable meanwhile).
_WRITE_BEHIND = True
#: Cache files being written behind a start (:func:`_save_cache`), by path.
_WRITERS: dict[Path, threading.Thread] = {}
_WRITERS_LOCK = threading.Lock()


def _wait_for_writer(path: Path) -> None:
    """Wait until a cache file this process is writing behind a start is written."""
    with _WRITERS_LOCK:
        writer = _WRITERS.pop(path, None)
    if writer is not None:
        writer.join()


def _write_npz(path: Path, mac: np.ndarray, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with create_private(tmp, exclusive=False) as fh:  # 0600, as the gallery
            np.savez(fh, mac=mac, **arrays)
        tmp.replace(path)
    except Exception as exc:  # a read-only folder, a full disk: start slower, lose nothing
        # (any error: on the writer thread there is no caller to raise it to)
        log.warning("could not write search cache %s (%s)", path, exc)
        tmp.unlink(missing_ok=True)


#: Templates written to the template file this many at a time.
_WRITE_BATCH = 4096


def _store_templates(
    path: Path, rows: _Rows, order: np.ndarray, old: _Snapshot | None, kept: np.ndarray
) -> tuple[bytes, np.ndarray, np.ndarray]:
    """Put the rows' templates in the template file; return its id and each row's span.

    Templates the cache already holds (``kept``: their row in the old snapshot, -1 for
    none) stay where they are while the file is the one it was written with; the others
    are appended, each batch in one ``write`` to a file opened for appending (another
    station appending at once cannot interleave with it; the span is read back from where
    the write ended). When the file is missing or another one, or more than
    :data:`_STORE_STALE_SHARE` of it would be stale, it is written afresh with a new id
    (beside it, then moved over it: a station reading the old one keeps it).
    """
    lengths = np.fromiter(map(len, rows.blobs), np.int64, len(rows))
    starts, ends = np.zeros(len(rows), np.int64), np.zeros(len(rows), np.int64)
    fd = None
    try:  # never through a link planted in its place
        fd = os.open(path, os.O_RDWR | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
        ident = _store_header(os.pread(fd, _STORE_HEADER, 0))
        size = os.fstat(fd).st_size
    except FileNotFoundError:
        ident, size = None, 0
    except OSError:
        if fd is not None:
            os.close(fd)
        raise
    if old is None or ident != old.store_id:
        kept = np.full(len(rows), -1, np.int64)
    keep = kept >= 0
    if keep.any() and int(old.ends[kept[keep]].max()) > size:  # type: ignore[union-attr]
        kept, keep = np.full(len(rows), -1, np.int64), np.zeros(len(rows), bool)
    live = int(lengths.sum())
    added = int(lengths[~keep].sum())
    if (
        fd is None
        or ident is None
        or (size - _STORE_HEADER + added) * (1 - _STORE_STALE_SHARE) > live
    ):
        if fd is not None:
            os.close(fd)
        return _rewrite_store(path, rows, order, lengths)
    try:
        assert old is not None or not keep.any()
        if keep.any():
            assert old is not None
            starts[keep], ends[keep] = old.starts[kept[keep]], old.ends[kept[keep]]
        _append(fd, rows.blobs, order[~keep[order]].tolist(), lengths, starts, ends)
    finally:
        os.close(fd)
    return ident, starts, ends


def _append(
    fd: int,
    blobs: Sequence[bytes],
    picks: list[int],
    lengths: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> None:
    """Append ``blobs[k]`` for ``k`` in ``picks`` to the template file open for appending at
    ``fd``, a batch per ``write``, and set their spans in ``starts`` and ``ends``."""
    for lo in range(0, len(picks), _WRITE_BATCH):
        batch = picks[lo : lo + _WRITE_BATCH]
        data = b"".join([blobs[k] for k in batch])
        if os.write(fd, data) != len(data):
            raise OSError("short write to the template file")
        first = os.lseek(fd, 0, os.SEEK_CUR) - len(data)
        spans = np.cumsum(lengths[batch]) + first
        ends[batch], starts[batch] = spans, spans - lengths[batch]


def _rewrite_store(
    path: Path, rows: _Rows, order: np.ndarray, lengths: np.ndarray
) -> tuple[bytes, np.ndarray, np.ndarray]:
    ident = os.urandom(16)
    ends = np.zeros(len(rows), np.int64)
    ends[order] = np.cumsum(lengths[order]) + _STORE_HEADER
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        with create_private(tmp, exclusive=False) as fh:
            fh.write(_STORE_MAGIC + ident)
            picks = order.tolist()
            for lo in range(0, len(picks), _WRITE_BATCH):
                fh.write(b"".join([rows.blobs[k] for k in picks[lo : lo + _WRITE_BATCH]]))
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return ident, ends - lengths, ends


@dataclass(frozen=True, eq=False)
class _Rows:
    """The gallery's indexed templates as read at one generation (damaged ones left out)."""

    generation: int
    position: int  # the gallery's change-log position at that generation
    subjects: np.ndarray  # int64
    fingers: np.ndarray  # int64, index in FINGERS
    crcs: np.ndarray
    print_ids: np.ndarray
    blobs: list[bytes]
    damaged: np.ndarray  # (k, 3): print id, subject id, finger index

    def __len__(self) -> int:
        return len(self.subjects)


def load_index(
    gallery: Gallery | str | Path,
    *,
    params: MatchParameters | None = None,
    cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SearchGallery:
    """Load a gallery's rolled templates into a :class:`SearchGallery`.

    Parameters
    ----------
    gallery : Gallery or path
        An open gallery, or a gallery file (opened read-only on the calling thread, so a
        worker thread can load the index while the GUI thread keeps its own connection).
    params : MatchParameters, optional
    cache : bool
        Use and refresh the cache beside the gallery file.
    progress : callable, optional
        ``progress(done, total)`` while descriptors are computed.

    Returns
    -------
    SearchGallery
        Subjects keyed by gallery subject id, in the gallery's order; each finger is the
        subject's best-quality rolled template. A template that does not load (damaged
        bytes) is left out with a warning naming its subject, finger and print id; the rest
        is still searched.
    """
    if not isinstance(gallery, Gallery):
        with open_gallery(gallery, readonly=True) as opened:
            return load_index(opened, params=params, cache=cache, progress=progress)
    params = DEFAULT_PARAMETERS if params is None else params
    start = time.perf_counter()
    dim = descriptor_size(params)
    key = _params_key(params)
    path = cache_path(gallery.path)
    _wait_for_writer(path)  # one this process is writing behind an earlier start
    cached = _read_cache(path, key, dim, gallery) if cache else None
    snapshot = None if cached is None else cached.known.snapshot
    unchanged = snapshot is not None and snapshot.generation == gallery.generation()
    if cached is not None and snapshot is not None and (unchanged or snapshot.position is not None):
        store = _open_store(store_path(gallery.path), snapshot)
        if store is not None and unchanged:
            index = _from_snapshot(gallery, params, cached, snapshot, store)
            log.info(
                "search index: %d subjects, %d templates from the cache (gallery unchanged) "
                "in %.2f s",
                len(index),
                index.template_count,
                time.perf_counter() - start,
            )
            return index
        if store is not None:
            try:
                changed = _from_changes(gallery, params, key, cached, snapshot, store, progress)
            except BaseException:
                store.close()  # kept open only by an index built on it
                raise
            if changed is not None:
                log.info(
                    "search index: %d subjects, %d templates from the cache and the changes "
                    "since in %.2f s",
                    len(changed),
                    changed.template_count,
                    time.perf_counter() - start,
                )
                return changed
            store.close()
    known = None if cached is None else cached.known
    rows, codes, scales, described = _read_gallery(gallery, params, known, progress)
    index = SearchGallery(params=params)
    index.add_encoded(rows.subjects, rows.fingers, rows.blobs, codes, scales)
    ivf = _index_ivf(
        index, rows.subjects, rows.fingers, rows.crcs, None if cached is None else cached.ivf
    )
    if cache:
        _write_cache(path, gallery, key, rows, codes, scales, ivf, known)
    log.info(
        "search index: %d subjects, %d templates (%d described afresh, %d damaged left "
        "out) in %.2f s",
        len(index),
        len(rows),
        described,
        len(rows.damaged),
        time.perf_counter() - start,
    )
    return index


def _from_snapshot(
    gallery: Gallery,
    params: MatchParameters,
    cached: _Cache,
    snapshot: _Snapshot,
    store: BufferedReader,
) -> SearchGallery:
    """The index of an unchanged gallery, from the cache alone."""
    return _build(gallery, params, cached, snapshot, store, snapshot.damaged)[0]


def _build(
    gallery: Gallery,
    params: MatchParameters,
    cached: _Cache,
    snapshot: _Snapshot,
    store: BufferedReader,
    named: np.ndarray,
) -> tuple[SearchGallery, _CachedIvf | None]:
    """The index of a cache's rows (its templates read from ``store`` when needed) and its
    inverted file; the damaged templates ``named`` (print, subject, finger) are named."""
    known = cached.known
    for print_id, subject, finger in named.tolist():
        _warn_damaged(gallery, print_id, subject, finger)
    reader = _CachedTemplates(store, snapshot, _template_key(gallery), gallery.path)
    index = SearchGallery(params=params)
    index.reserve(np.unique(known.subjects).tolist())  # the gallery's order (by subject id)
    index.add_encoded(
        known.subjects,
        known.fingers,
        TemplateBlobs(reader, snapshot.starts, snapshot.ends),
        known.codes,
        known.scales,
    )
    ivf = _index_ivf(index, known.subjects, known.fingers, known.crcs, cached.ivf)
    return index, ivf


def _read_gallery(
    gallery: Gallery,
    params: MatchParameters,
    known: _Known | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[_Rows, np.ndarray, np.ndarray, int]:
    """The gallery's templates with their quantised descriptors: cached where the cache
    has them, described here otherwise. Returns the rows, codes, scales and how many were
    described."""
    read = gallery.template_rows()
    return _parse_rows(gallery, read, params, known, progress)


def _parse_rows(
    gallery: Gallery,
    read: TemplateRows,
    params: MatchParameters,
    known: _Known | None,
    progress: Callable[[int, int], None] | None,
) -> tuple[_Rows, np.ndarray, np.ndarray, int]:
    """Template rows read from the gallery, with their quantised descriptors (the cache's
    where it has them); templates that do not load are left out, named."""
    table = read.rows
    subjects = np.array([r[1] for r in table], np.int64)
    fingers = np.array([FINGERS.index(r[2]) for r in table], np.int64)
    print_ids = np.array([r[0] for r in table], np.int64)
    blobs = [r[3] for r in table]
    del table
    # A template's own body CRC names its content; -1 (a template whose checksum does not
    # verify) is never in the cache, so such a template is read, and reported damaged.
    crcs = np.array([_crc(b) for b in blobs], np.int64)
    dim = descriptor_size(params)
    if known is None:
        codes, scales = _empty_codes(len(blobs), dim)
        missing: Sequence[int] | np.ndarray = range(len(blobs))
    else:
        codes, scales, missing = known.lookup(subjects, fingers, crcs)
    damaged, described, fresh = [], [], []
    for done, n in enumerate(missing, start=1):
        try:
            template = Template.from_bytes(blobs[n])
        except ValueError as exc:  # TemplateError: named, left out, the rest still searched
            damaged.append(n)
            log.warning(
                "gallery %s: template of subject %d finger %s (print %d) does not load, left "
                "out of the search index: %s",
                gallery.path,
                subjects[n],
                FINGERS[fingers[n]],
                print_ids[n],
                exc,
            )
            continue
        described.append(n)
        fresh.append(descriptor(template, params))
        if progress is not None and (done % 256 == 0 or done == len(missing)):
            progress(done, len(missing))
    if fresh:  # quantised as the index holds them, so the cache gives the same index
        codes[described], scales[described] = quantise(np.array(fresh, np.float32))
    left_out = np.column_stack([print_ids[damaged], subjects[damaged], fingers[damaged]]).reshape(
        -1, 3
    )
    if damaged:
        keep = np.setdiff1d(np.arange(len(blobs)), damaged)
        subjects, fingers, crcs = subjects[keep], fingers[keep], crcs[keep]
        print_ids, codes, scales = print_ids[keep], codes[keep], scales[keep]
        blobs = [blobs[n] for n in keep.tolist()]
    rows = _Rows(
        read.generation, read.position, subjects, fingers, crcs, print_ids, blobs, left_out
    )
    return rows, codes, scales, len(described)


def _from_changes(
    gallery: Gallery,
    params: MatchParameters,
    key: str,
    cached: _Cache,
    snapshot: _Snapshot,
    store: BufferedReader,
    progress: Callable[[int, int], None] | None,
) -> SearchGallery | None:
    """The index of a gallery changed since the cache: the cache's rows of the subjects not
    changed since, and the changed subjects' rows read afresh; their new templates are
    appended to the template file and the cache is rewritten. None, with nothing written,
    when the gallery's change log cannot say what changed (or too much did) or the template
    file would be more than :data:`_STORE_STALE_SHARE` stale: read the whole gallery."""
    known = cached.known
    assert snapshot.position is not None
    limit = max(_CHANGES_MIN, int(_CHANGES_SHARE * len(known)))
    changed = gallery.template_changes(snapshot.generation, snapshot.position, limit=limit)
    if changed is None:
        log.info("search cache: the gallery's change log does not cover it; reading the gallery")
        return None
    assert changed.subjects is not None
    names = np.array(changed.subjects, np.int64)
    keep = ~np.isin(known.subjects, names)
    path = store_path(gallery.path)
    try:  # never through a link planted in its place
        fd = os.open(path, os.O_RDWR | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        log.info("search cache template file %s: %s; reading the gallery", path, exc)
        return None
    try:
        if _store_header(os.pread(fd, _STORE_HEADER, 0)) != snapshot.store_id:
            return None  # replaced meanwhile
        new, new_codes, new_scales, described = _parse_rows(
            gallery, changed, params, known, progress
        )
        # Kept templates stay where they are in the template file, new ones are appended.
        lengths = np.fromiter(map(len, new.blobs), np.int64, len(new))
        starts, ends = np.zeros(len(new), np.int64), np.zeros(len(new), np.int64)
        live = int((snapshot.ends - snapshot.starts)[keep].sum() + lengths.sum())
        grown = os.fstat(fd).st_size - _STORE_HEADER + int(lengths.sum())
        if grown * (1 - _STORE_STALE_SHARE) > live:
            return None  # due to be written afresh
        _append(fd, new.blobs, list(range(len(new))), lengths, starts, ends)
    except OSError as exc:
        log.warning("could not add to search cache templates %s (%s)", path, exc)
        return None
    finally:
        os.close(fd)
    tkey = _template_key(gallery)
    macs = np.array(
        [np.frombuffer(_template_mac(tkey, b), np.uint8) for b in new.blobs], np.uint8
    ).reshape(-1, _MAC_BYTES)
    still = snapshot.damaged[~np.isin(snapshot.damaged[:, 1], names)]  # named again below
    damaged = np.concatenate([still, new.damaged]).astype(np.int64)
    # The rows in the cache's order (finger, cell, subject), so the index takes them as the
    # unchanged start does (views, not copies) and the cache is written from the same arrays.
    subjects = _joined(known.subjects, keep, new.subjects)
    fingers = _joined(known.fingers, keep, new.fingers)
    cells = np.zeros(len(subjects), np.int64)
    ivf = cached.ivf
    fits = ivf is not None and _ivf_fits(ivf, len(np.unique(subjects)), descriptor_size(params))
    if ivf is not None and fits and len(new):
        cells = ivf.cells[np.maximum(_positions(ivf.subjects, subjects), 0)]
        fresh = np.isin(subjects, new.subjects)  # filed here as the index files them
        cells[fresh] = _cells_of(params, ivf, new, new_codes, new_scales)[
            np.searchsorted(np.unique(new.subjects), subjects[fresh])
        ]
    order = np.lexsort((subjects, cells, fingers))

    def ordered(kept: np.ndarray, added: np.ndarray) -> np.ndarray:
        both = _joined(kept, keep, added)
        # mode "clip" (the indices are in range): with "raise", take buffers its output
        return np.take(both, order, axis=0, out=_empty(both.shape, both.dtype), mode="clip")

    now = _Snapshot(
        new.generation,
        ordered(snapshot.print_ids, new.print_ids),
        ordered(snapshot.starts, starts),
        ordered(snapshot.ends, ends),
        ordered(snapshot.macs, macs),
        damaged,
        snapshot.store_id,
        new.position,
    )
    merged = _Known(
        subjects[order],
        fingers[order],
        ordered(known.crcs, new.crcs),
        ordered(known.codes, new_codes),
        ordered(known.scales, new_scales),
        now,
    )
    del subjects, fingers, cells
    index, ivf = _build(gallery, params, _Cache(merged, cached.ivf), now, store, still)
    arrays = {
        "key": np.array(key),
        "subjects": merged.subjects,
        "fingers": merged.fingers,
        "crcs": merged.crcs,
        "codes": merged.codes,
        "scales": merged.scales,
        "generation": np.array(now.generation, np.int64),
        "position": np.array(now.position, np.int64),
        "print_ids": now.print_ids,
        "starts": now.starts,
        "ends": now.ends,
        "macs": now.macs,
        "damaged": now.damaged,
        "store_id": np.frombuffer(now.store_id, np.uint8),
    }
    _save_cache(cache_path(gallery.path), gallery, arrays, ivf, behind=_WRITE_BEHIND)
    log.info(
        "search index: %d subjects changed since the cache (%d templates read, %d described "
        "afresh, %d damaged left out)",
        len(names),
        len(new) + len(new.damaged),
        described,
        len(new.damaged),
    )
    return index


def _joined(kept: np.ndarray, keep: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``kept[keep]`` followed by ``new``, in one new array.

    Filled in place rather than by ``np.concatenate``, which took 3.3 s for the 0.5 GB of
    descriptors of a 100 000-subject cache (0.2 s this way; measured on the bench machine).
    """
    n = len(kept) if keep.all() else int(keep.sum())
    out = _empty((n + len(new), *kept.shape[1:]), kept.dtype)
    if n == len(kept):
        out[:n] = kept
    else:
        np.compress(keep, kept, axis=0, out=out[:n])
    out[n:] = new
    return out


def _warn_damaged(gallery: Gallery, print_id: int, subject: int, finger: int) -> None:
    log.warning(
        "gallery %s: template of subject %d finger %s (print %d) does not load, left "
        "out of the search index",
        gallery.path,
        subject,
        FINGERS[finger],
        print_id,
    )


def _same(a: _CachedIvf | None, b: _CachedIvf | None) -> bool:
    if a is None:
        return b is None
    return a.same_as(b)


def _ivf_fits(cached: _CachedIvf, subjects: int, dim: int) -> bool:
    """Whether a cached inverted file serves a gallery of ``subjects`` as it is: the index
    has one at that size, its centroids fit the descriptors, and the gallery is within
    :data:`IVF_RETRAIN_SHARE` of the subjects they were trained on."""
    return (
        subjects >= IVF_MIN_SUBJECTS
        and cached.quantiser.codes.shape[1:] == (len(FINGERS), dim)
        and abs(subjects - cached.trained_on) <= IVF_RETRAIN_SHARE * cached.trained_on
    )


def _cells_of(
    params: MatchParameters,
    ivf: _CachedIvf,
    rows: _Rows,
    codes: np.ndarray,
    scales: np.ndarray,
) -> np.ndarray:
    """The cells of the inverted file ``ivf`` that the subjects of ``rows`` are filed in,
    by subject id: the index's own filing, on an index of those subjects alone."""
    alone = SearchGallery(params=params)
    alone.add_encoded(rows.subjects, rows.fingers, rows.blobs, codes, scales)
    alone.use_index(ivf.quantiser, nprobe=_nprobe(ivf.quantiser.nlist))
    by_id = np.argsort(np.array(alone.subjects, np.int64))
    return alone.cells()[by_id]


def _index_ivf(
    index: SearchGallery,
    subjects: np.ndarray,
    fingers: np.ndarray,
    crcs: np.ndarray,
    cached: _CachedIvf | None,
) -> _CachedIvf | None:
    """Give ``index`` its inverted file, from the cache's when it still fits; return it.

    The cached centroids are kept while the gallery's subject count is within
    :data:`IVF_RETRAIN_SHARE` of the count they were trained on and they fit the
    descriptors; a subject whose templates are those it was filed by (same digest) keeps
    its cell, any other is filed afresh.
    """
    n = len(index)
    if n < IVF_MIN_SUBJECTS:
        return None
    digest = _digests(subjects, fingers, crcs)
    rows = np.array([digest[s] for s in index.subjects], np.uint64)
    ids = np.array(index.subjects, np.int64)
    dim = descriptor_size(index.params)
    fits = cached is not None and _ivf_fits(cached, n, dim)
    if fits:
        assert cached is not None
        q, trained_on = cached.quantiser, cached.trained_on
        cells = np.full(n, -1, np.int64)
        at = _positions(cached.subjects, ids)
        same = (at >= 0) & (cached.digests[at] == rows)
        cells[same] = cached.cells[at[same]]
        cells[(cells < 0) | (cells >= q.nlist)] = -1
        index.use_index(q, nprobe=_nprobe(q.nlist), cells=cells)
        log.info(
            "search index: cached inverted file of %d cells (trained on %d subjects), "
            "%d subjects filed afresh",
            q.nlist,
            trained_on,
            int((cells < 0).sum()),
        )
    else:
        nlist, nprobe = ivf_settings(n)
        q = index.train_index(nlist=nlist, nprobe=nprobe, seed=0)
        trained_on = n
        log.info("search index: inverted file of %d cells, %d visited a probe", nlist, nprobe)
    return _CachedIvf(q, trained_on, ids, rows, index.cells())
