"""The gallery's search index: its templates in memory, ready for a 1:N search, in seconds.

Building the index means reading every enrolled rolled template and computing its stage-1
descriptor (:func:`station.core.match.index.descriptor`, about 0.5 ms each: 50 s for a
10 000-subject gallery). The descriptors are therefore cached in a file beside the gallery
(``<gallery>.index.npz``), keyed by each template's checksum and the matcher parameters: at
start only templates added or changed since the cache was written are described again, and
template bytes are parsed only when a search re-scores them. A damaged or stale cache is
rebuilt, never trusted; so is one whose keyed hash (stored in it, keyed by the gallery's
secret, :meth:`~station.gallery.Gallery.keyed_hash`) does not verify: a cache edited by hand,
or one written for another gallery, is never used.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import astuple
from pathlib import Path

import numpy as np

from station.core.match import DEFAULT_PARAMETERS, MatchParameters, SearchGallery
from station.core.match.index import descriptor, descriptor_size
from station.core.template import FORMAT_VERSION, Template
from station.core.vocabulary import FINGERS
from station.gallery import Gallery, open_gallery
from station.gallery.private import create_private

__all__ = ["IVF_MIN_SUBJECTS", "cache_path", "ivf_settings", "load_index"]

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
    return nlist, min(nlist, max(4, nlist // 16))


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
_FIELDS = ("key", "subjects", "fingers", "crcs", "vectors")


def _cache_mac(gallery: Gallery, arrays: dict[str, np.ndarray]) -> bytes:
    """The gallery-keyed hash of a cache's arrays: each field's name, dtype, shape and bytes."""

    def parts() -> Iterator[bytes]:
        for name in _FIELDS:
            array = np.ascontiguousarray(arrays[name])
            head = f"{name}|{array.dtype.str}|{array.shape}|".encode()
            yield len(head).to_bytes(4, "big") + head
            yield array.tobytes()

    return gallery.keyed_hash(parts(), purpose=_PURPOSE)


def _read_cache(
    path: Path, key: str, dim: int, gallery: Gallery
) -> dict[tuple[int, int, int], np.ndarray]:
    """``{(subject, finger index, crc): vector}`` from a cache file, or empty if unusable."""
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            arrays = {name: data[name] for name in (*_FIELDS, "mac")}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        log.warning("ignoring damaged search cache %s (%s)", path, exc)
        return {}
    stored = arrays["mac"]
    if stored.dtype != np.uint8 or not hmac.compare_digest(
        stored.tobytes(), _cache_mac(gallery, arrays)
    ):
        log.warning(
            "ignoring search cache %s: it was not written for this gallery or was edited", path
        )
        return {}
    if str(arrays["key"]) != key or arrays["vectors"].shape[1:] != (dim,):
        log.info("search cache %s is for other matcher parameters; rebuilding", path)
        return {}
    subjects, fingers, crcs = arrays["subjects"], arrays["fingers"], arrays["crcs"]
    vectors = arrays["vectors"]
    if not len(subjects) == len(fingers) == len(crcs) == len(vectors):
        log.warning("ignoring damaged search cache %s (fields of different lengths)", path)
        return {}
    keys = zip(subjects.tolist(), fingers.tolist(), crcs.tolist(), strict=True)
    return {k: vectors[n] for n, k in enumerate(keys)}


def _write_cache(
    path: Path,
    gallery: Gallery,
    key: str,
    subjects: np.ndarray,
    fingers: np.ndarray,
    crcs: np.ndarray,
    vectors: np.ndarray,
) -> None:
    arrays = {
        "key": np.array(key),
        "subjects": subjects,
        "fingers": fingers,
        "crcs": crcs,
        "vectors": vectors.astype(np.float16),
    }
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
    known = _read_cache(path, key, dim, gallery) if cache else {}
    vectors = np.zeros((len(blobs), dim), np.float32)
    missing = []
    for n, k in enumerate(zip(subjects, fingers, crcs.tolist(), strict=True)):
        hit = known.get(k)
        if hit is None:
            missing.append(n)
        else:
            vectors[n] = hit
    damaged = set()
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
        vectors[n] = descriptor(template, params)
        if progress is not None and (done % 256 == 0 or done == len(missing)):
            progress(done, len(missing))
    if damaged:
        keep = [n for n in range(len(blobs)) if n not in damaged]
        subjects, fingers = [subjects[n] for n in keep], [fingers[n] for n in keep]
        blobs, vectors = [blobs[n] for n in keep], vectors[keep]
        crcs, missing = crcs[keep], [n for n in missing if n not in damaged]
    if cache and (missing or len(known) != len(blobs)):
        _write_cache(
            path,
            gallery,
            key,
            np.array(subjects, np.int64),
            np.array(fingers, np.int8),
            crcs,
            vectors,
        )
    index = SearchGallery(params=params)
    index.add_many(subjects, [FINGERS[f] for f in fingers], blobs, vectors)
    if len(index) >= IVF_MIN_SUBJECTS:
        nlist, nprobe = ivf_settings(len(index))
        index.train_index(nlist=nlist, nprobe=nprobe, seed=0)
        log.info("search index: inverted file of %d cells, %d visited a probe", nlist, nprobe)
    log.info(
        "search index: %d subjects, %d templates (%d described afresh, %d damaged left "
        "out) in %.2f s",
        len(index),
        len(blobs),
        len(missing),
        len(damaged),
        time.perf_counter() - start,
    )
    return index
