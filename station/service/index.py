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
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import astuple, dataclass
from pathlib import Path

import numpy as np

from station.core.match import DEFAULT_PARAMETERS, MatchParameters, SearchGallery
from station.core.match.index import descriptor, descriptor_size
from station.core.match.ivf import CoarseQuantiser
from station.core.match.search import quantise
from station.core.template import FORMAT_VERSION, Template
from station.core.vocabulary import FINGERS
from station.gallery import Gallery, open_gallery
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
    names = _FIELDS + (_IVF_FIELDS if _IVF_FIELDS[0] in arrays else ())

    def parts() -> Iterator[bytes]:
        for name in names:
            array = np.ascontiguousarray(arrays[name])
            head = f"{name}|{array.dtype.str}|{array.shape}|".encode()
            yield len(head).to_bytes(4, "big") + head
            yield memoryview(array.reshape(-1)).cast("B")  # its bytes, not a copy

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
class _Known:
    """The quantised descriptors a verified cache holds (see :data:`_FIELDS`)."""

    subjects: np.ndarray
    fingers: np.ndarray
    crcs: np.ndarray
    codes: np.ndarray
    scales: np.ndarray

    def __len__(self) -> int:
        return len(self.subjects)

    def lookup(
        self, subjects: np.ndarray, fingers: np.ndarray, crcs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The cached codes and scales of gallery rows given by (subject, finger, CRC).

        Returns
        -------
        codes, scales : ndarray
            One row per gallery row; zeros where the cache has no descriptor. The cache's
            own arrays when they are the gallery's rows in its order, as at a usual start
            (no copy of a million rows).
        missing : ndarray
            The gallery rows the cache has no descriptor for.

        Sorted arrays, not a dictionary: a 100 000-subject gallery has a million rows.
        """
        n = len(subjects)
        if not len(self) or not n:
            return (*_empty_codes(n, self.codes.shape[1]), np.arange(n))
        aligned = (  # the usual start: the gallery's rows are the cache's, in its order
            len(self) == n
            and np.array_equal(self.subjects, subjects)
            and np.array_equal(self.fingers, fingers)
        )
        if aligned:
            at = np.arange(n)
        else:
            at = _positions(
                self.subjects.astype(np.int64) * 16 + self.fingers,
                subjects.astype(np.int64) * 16 + fingers,
            )
        hit = (at >= 0) & (self.crcs[at] == crcs) & (crcs >= 0)
        if aligned and hit.all():
            return self.codes, self.scales, np.zeros(0, np.int64)
        codes, scales = self.codes[at], self.scales[at]
        codes[~hit], scales[~hit] = 0, 0
        return codes, scales, np.flatnonzero(~hit)


def _read_cache(
    path: Path, key: str, dim: int, gallery: Gallery
) -> tuple[_Known | None, _CachedIvf | None]:
    """The descriptors a cache file holds (None if it is unusable) and its inverted file
    (None if none)."""
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            if not set(_FIELDS) <= set(data.files):
                log.info("search cache %s is of an earlier layout; rebuilding it", path)
                return None, None
            ivf = _IVF_FIELDS if _IVF_FIELDS[0] in data.files else ()
            arrays = {name: data[name] for name in (*_FIELDS, *ivf, "mac")}
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        log.warning("ignoring damaged search cache %s (%s)", path, exc)
        return None, None
    known = _check_cache(path, key, dim, gallery, arrays)
    if not known or not ivf:
        return known, None
    try:
        cached = _CachedIvf.from_arrays(arrays)
    except (ValueError, TypeError) as exc:  # verified, yet not an inverted file we wrote
        log.warning("ignoring the inverted file of search cache %s (%s)", path, exc)
        return known, None
    return known, cached


def _check_cache(
    path: Path, key: str, dim: int, gallery: Gallery, arrays: dict[str, np.ndarray]
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
    return _Known(subjects, fingers, crcs, codes, scales)


def _write_cache(
    path: Path,
    gallery: Gallery,
    key: str,
    subjects: np.ndarray,
    fingers: np.ndarray,
    crcs: np.ndarray,
    codes: np.ndarray,
    scales: np.ndarray,
    ivf: _CachedIvf | None,
) -> None:
    arrays = {
        "key": np.array(key),
        "subjects": subjects,
        "fingers": fingers,
        "crcs": crcs,
        "codes": codes,
        "scales": scales,
    }
    if ivf is not None:
        arrays.update(ivf.arrays())
    mac = np.frombuffer(_cache_mac(gallery, arrays), np.uint8)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        with create_private(tmp, exclusive=False) as fh:  # 0600, as the gallery
            np.savez(fh, mac=mac, **arrays)
        tmp.replace(path)
    except OSError as exc:  # a read-only folder: start slower next time, lose nothing
        log.warning("could not write search cache %s (%s)", path, exc)
        tmp.unlink(missing_ok=True)


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
        Use and refresh the descriptor cache beside the gallery file.
    progress : callable, optional
        ``progress(done, total)`` while descriptors are computed.

    Returns
    -------
    SearchGallery
        Subjects keyed by gallery subject id; each finger is the subject's best-quality
        rolled template. A template that does not load (damaged bytes) is left out with a
        warning naming its subject, finger and print id; the rest is still searched.
    """
    if not isinstance(gallery, Gallery):
        with open_gallery(gallery, readonly=True) as opened:
            return load_index(opened, params=params, cache=cache, progress=progress)
    params = DEFAULT_PARAMETERS if params is None else params
    start = time.perf_counter()
    subjects, fingers, blobs, print_ids = [], [], [], []
    for print_id, subject_id, finger, blob in gallery.iter_template_rows():
        subjects.append(subject_id)
        fingers.append(FINGERS.index(finger))
        blobs.append(blob)
        print_ids.append(print_id)
    # A template's own body CRC names its content; -1 (a template whose checksum does not
    # verify) is never in the cache, so such a template is read, and reported damaged.
    crcs = np.array([_crc(b) for b in blobs], np.int64)
    dim = descriptor_size(params)
    key = _params_key(params)
    path = cache_path(gallery.path)
    known, cached_ivf = _read_cache(path, key, dim, gallery) if cache else (None, None)
    if known is None:
        codes, scales = _empty_codes(len(blobs), dim)
        missing: Sequence[int] | np.ndarray = range(len(blobs))
    else:
        rows = (np.array(subjects, np.int64), np.array(fingers, np.int64), crcs)
        codes, scales, missing = known.lookup(*rows)
    damaged, described, fresh = set(), [], []
    for done, n in enumerate(missing, start=1):
        try:
            template = Template.from_bytes(blobs[n])
        except ValueError as exc:  # TemplateError: named, left out, the rest still searched
            damaged.add(n)
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
        # (with rows missing, lookup gave arrays of its own, not the cache's)
        codes[described], scales[described] = quantise(np.array(fresh, np.float32))
    if damaged:
        keep = [n for n in range(len(blobs)) if n not in damaged]
        subjects, fingers = [subjects[n] for n in keep], [fingers[n] for n in keep]
        blobs, codes, scales, crcs = [blobs[n] for n in keep], codes[keep], scales[keep], crcs[keep]
    index = SearchGallery(params=params)
    index.add_encoded(subjects, [FINGERS[f] for f in fingers], blobs, codes, scales)
    subject_ids = np.array(subjects, np.int64)
    finger_ids = np.array(fingers, np.int8)
    ivf = _index_ivf(index, subject_ids, finger_ids, crcs, cached_ivf)
    cached_rows = 0 if known is None else len(known)
    if cache and (described or cached_rows != len(blobs) or not _same(ivf, cached_ivf)):
        _write_cache(path, gallery, key, subject_ids, finger_ids, crcs, codes, scales, ivf)
    log.info(
        "search index: %d subjects, %d templates (%d described afresh, %d damaged left "
        "out) in %.2f s",
        len(index),
        len(blobs),
        len(described),
        len(damaged),
        time.perf_counter() - start,
    )
    return index


def _same(a: _CachedIvf | None, b: _CachedIvf | None) -> bool:
    if a is None:
        return b is None
    return a.same_as(b)


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
    fits = (
        cached is not None
        and cached.quantiser.codes.shape[1:] == (len(FINGERS), dim)
        and abs(n - cached.trained_on) <= IVF_RETRAIN_SHARE * cached.trained_on
    )
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
