"""The search index: loaded from the gallery, its descriptors cached beside the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import station.service.index as index_module
from station.core.match import SearchGallery, search
from station.core.vocabulary import FINGERS
from station.gallery import Gallery, open_gallery
from station.service import cache_path, load_index


@pytest.fixture(autouse=True)
def _cache_written_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A start after changes writes the cache before it returns, so a test reads it after."""
    monkeypatch.setattr(index_module, "_WRITE_BEHIND", False)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = index_module.descriptor

    def descriptor(template, params):
        calls[0] += 1
        return real(template, params)

    monkeypatch.setattr(index_module, "descriptor", descriptor)
    return calls


def test_cache_is_written_then_reused(
    gallery_copy: Path, enrolled: list[int], counted: list[int]
) -> None:
    first = load_index(gallery_copy)
    assert counted[0] == first.template_count == 10 * len(enrolled)  # ten rolled per subject
    assert cache_path(gallery_copy).is_file()
    counted[0] = 0
    second = load_index(gallery_copy)
    assert counted[0] == 0
    assert second.subjects == first.subjects
    probe = {f: t for f in FINGERS if (t := first.template(first.subjects[1], f)) is not None}
    assert search(probe, second)[0].subject == first.subjects[1]


def test_a_new_print_is_described_alone(gallery_copy: Path, counted: list[int]) -> None:
    index = load_index(gallery_copy)
    template = index.template(index.subjects[0], "R1")
    with open_gallery(gallery_copy) as g:
        sid = g.add_subject({"last_name": "New"})
        g.add_print(
            sid, "R1", "rolled", np.full((32, 32), 200, np.uint8), template=template, device="t"
        )
    counted[0] = 0
    again = load_index(gallery_copy)
    assert counted[0] == 1
    assert sid in again


def test_a_better_print_of_an_enrolled_finger_is_described_afresh(
    gallery_copy: Path, counted: list[int]
) -> None:
    first = load_index(gallery_copy)
    subject, other = first.subjects[0], first.subjects[1]
    better = first.template(other, "R1")
    with open_gallery(gallery_copy) as g:
        image = np.full((32, 32), 200, np.uint8)
        g.add_print(subject, "R1", "rolled", image, template=better, device="t", quality=100)
    counted[0] = 0
    again = load_index(gallery_copy)
    assert counted[0] == 1  # its cached descriptor was of the template it replaced
    assert again.template(subject, "R1") == better
    fresh = load_index(gallery_copy, cache=False)
    probe = {"R1": better}
    assert [c[2] for c in again.shortlist(probe, 2)] == [c[2] for c in fresh.shortlist(probe, 2)]


@pytest.mark.parametrize("junk", [b"", b"not a zip file", b"PK\x03\x04broken"])
def test_a_damaged_cache_is_rebuilt(gallery_copy: Path, counted: list[int], junk: bytes) -> None:
    cache_path(gallery_copy).write_bytes(junk)
    index = load_index(gallery_copy)
    assert counted[0] == index.template_count
    counted[0] = 0
    load_index(gallery_copy)
    assert counted[0] == 0


def test_lazy_templates_match_eager_ones(gallery_copy: Path) -> None:
    eager = SearchGallery()
    with open_gallery(gallery_copy, readonly=True) as g:
        from station.core.template import Template

        for subject, finger, blob in g.iter_templates():
            eager.add(subject, finger, Template.from_bytes(blob))
    lazy = load_index(gallery_copy)
    for subject in eager.subjects:
        probe = eager.fingers(subject)
        a, b = search(probe, eager), search(probe, lazy)
        # Same candidates in the same order; scores equal up to float32 summation order
        # (BLAS kernels may pick another order for arrays at another alignment).
        assert [c.subject for c in a] == [c.subject for c in b]
        assert [c.score for c in a] == pytest.approx([c.score for c in b], rel=1e-5, abs=1e-6)


def _rewrite_cache(path: Path, **changes: np.ndarray) -> None:
    """Rewrite the cache file with numpy, fields changed, everything else (key, CRCs, the
    stored hash) kept as it was."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays.update(changes)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def test_a_hand_edited_cache_is_never_used(gallery_copy: Path, counted: list[int]) -> None:
    first = load_index(gallery_copy)
    mate = first.subjects[1]
    probe = {f: t for f in FINGERS if (t := first.template(mate, f)) is not None}
    path = cache_path(gallery_copy)
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) == {
            "key", "subjects", "fingers", "crcs", "codes", "scales", "mac", "generation",
            "print_ids", "starts", "ends", "macs", "damaged", "store_id", "position",
        }  # fmt: skip
        subjects, codes = data["subjects"], data["codes"].copy()
    rows = np.flatnonzero(subjects == mate)
    assert rows.size == 10
    # One descriptor value of the mate changed: the CRCs and the key still match its templates.
    codes[rows[0], 0] = 255 - codes[rows[0], 0]
    _rewrite_cache(path, codes=codes)
    counted[0] = 0
    again = load_index(gallery_copy)
    assert counted[0] == again.template_count == first.template_count  # all described afresh
    assert search(probe, again)[0].subject == mate
    with np.load(path, allow_pickle=False) as data:  # and the cache was rewritten
        assert not np.array_equal(data["codes"], codes)
    counted[0] = 0
    load_index(gallery_copy)
    assert counted[0] == 0


@pytest.mark.parametrize(
    "field",
    ["mac", "crcs", "key", "codes", "generation", "print_ids", "starts", "macs", "store_id"],
)
def test_a_cache_with_any_field_edited_is_rebuilt(
    gallery_copy: Path, counted: list[int], field: str
) -> None:
    load_index(gallery_copy)
    path = cache_path(gallery_copy)
    with np.load(path, allow_pickle=False) as data:
        value = data[field].copy()
    if field == "key":
        value = np.array(str(value)[::-1])
    else:
        value.reshape(-1)[:1] ^= 1
    _rewrite_cache(path, **{field: value})
    counted[0] = 0
    index = load_index(gallery_copy)
    assert counted[0] == index.template_count


def test_a_cache_without_a_hash_is_rebuilt(gallery_copy: Path, counted: list[int]) -> None:
    """A cache written before caches carried a keyed hash is described afresh once."""
    load_index(gallery_copy)
    path = cache_path(gallery_copy)
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files if name != "mac"}
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    counted[0] = 0
    index = load_index(gallery_copy)
    assert counted[0] == index.template_count


def test_a_cache_of_the_earlier_layout_is_rebuilt_once(
    gallery_copy: Path, counted: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    """Caches of float16 descriptors (before they were stored quantised) are described afresh."""
    load_index(gallery_copy)
    path = cache_path(gallery_copy)
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files if name not in ("codes", "scales")}
        arrays["vectors"] = (data["codes"] * data["scales"][:, None]).astype(np.float16)
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    counted[0] = 0
    with caplog.at_level("INFO", logger="station.service.index"):
        index = load_index(gallery_copy)
    assert counted[0] == index.template_count
    assert "earlier layout" in caplog.text
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    counted[0] = 0
    load_index(gallery_copy)
    assert counted[0] == 0


def test_a_large_gallery_gets_an_inverted_file(
    gallery_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linear = load_index(gallery_copy, cache=False)  # both from freshly made descriptors
    assert linear.index is None
    monkeypatch.setattr(index_module, "IVF_MIN_SUBJECTS", len(linear))
    indexed = load_index(gallery_copy, cache=False)
    nlist, nprobe = index_module.ivf_settings(len(linear))
    assert indexed.index is not None and indexed.index.nlist == nlist == len(linear)
    assert indexed.nprobe == nprobe == nlist  # every cell visited: the linear candidates
    for subject in linear.subjects:
        probe = linear.fingers(subject)
        assert indexed.shortlist(probe, 8) == linear.shortlist(probe, 8)


def test_ivf_settings_follow_the_gallery_size() -> None:
    assert index_module.ivf_settings(20_000) == (50, 4)
    assert index_module.ivf_settings(1_000_000) == (2500, 156)
    with pytest.raises(ValueError, match="subjects must be at least 1"):
        index_module.ivf_settings(0)


@pytest.fixture
def trainings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every gallery of one or more subjects gets an inverted file; counts its trainings."""
    monkeypatch.setattr(index_module, "IVF_MIN_SUBJECTS", 1)
    calls = [0]
    real = SearchGallery.train_index

    def train_index(self: SearchGallery, **kwargs: int) -> object:
        calls[0] += 1
        return real(self, **kwargs)

    monkeypatch.setattr(SearchGallery, "train_index", train_index)
    return calls


def _cached_cells(path: Path) -> dict[int, int]:
    with np.load(path, allow_pickle=False) as data:
        return dict(zip(data["ivf_subjects"].tolist(), data["ivf_cells"].tolist(), strict=True))


def _add_copy(gallery: Path, index: SearchGallery, of: int) -> int:
    """A new subject with the ten templates of subject ``of``."""
    with open_gallery(gallery) as g:
        sid = g.add_subject({"last_name": "Copy"})
        for finger, template in index.fingers(of).items():
            image = np.full((32, 32), 200, np.uint8)
            g.add_print(sid, finger, "rolled", image, template=template, device="t")
    return sid


def test_a_cached_inverted_file_is_used_as_it_was_written(
    gallery_copy: Path, trainings: list[int], counted: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    first = load_index(gallery_copy)
    assert trainings[0] == 1 and first.index is not None
    cells = _cached_cells(cache_path(gallery_copy))
    assert cells == dict(zip(first.subjects, first.cells().tolist(), strict=True))
    counted[0] = 0
    with caplog.at_level("INFO", logger="station.service.index"):
        second = load_index(gallery_copy)
    assert trainings[0] == 1 and counted[0] == 0  # neither trained nor described again
    assert "0 subjects filed afresh" in caplog.text
    assert second.index is not None
    assert np.array_equal(second.index.codes, first.index.codes)
    assert second.cells().tolist() == first.cells().tolist()
    assert second.nprobe == first.nprobe
    for subject in first.subjects:  # the start from the cache searches as the first did
        probe = first.fingers(subject)
        assert second.shortlist(probe, 4) == first.shortlist(probe, 4)


def test_only_a_new_subject_is_filed_while_the_gallery_is_much_the_same(
    gallery_copy: Path,
    trainings: list[int],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(index_module, "IVF_RETRAIN_SHARE", 0.25)  # 4 subjects: one more is 25 %
    first = load_index(gallery_copy)
    source = first.subjects[2]
    sid = _add_copy(gallery_copy, first, source)
    with caplog.at_level("INFO", logger="station.service.index"):
        again = load_index(gallery_copy)
    assert trainings[0] == 1
    assert "1 subjects filed afresh" in caplog.text
    cells = dict(zip(again.subjects, again.cells().tolist(), strict=True))
    assert cells[sid] == cells[source]  # the same templates file into the same cell
    assert _cached_cells(cache_path(gallery_copy)) == cells
    with np.load(cache_path(gallery_copy), allow_pickle=False) as data:
        assert int(data["ivf_trained_on"]) == len(first)  # the centroids of the first start


def test_a_subject_whose_templates_changed_is_filed_afresh(
    gallery_copy: Path, trainings: list[int], caplog: pytest.LogCaptureFixture
) -> None:
    first = load_index(gallery_copy)
    moved = first.subjects[0]
    with open_gallery(gallery_copy) as g:  # a later, better R1 for subject 0
        template = first.template(first.subjects[1], "R1")
        g.add_print(moved, "R1", "rolled", np.full((32, 32), 200, np.uint8), template=template,
                    device="t", quality=100)  # fmt: skip
    with caplog.at_level("INFO", logger="station.service.index"):
        again = load_index(gallery_copy)
    assert trainings[0] == 1
    assert again.template(moved, "R1") == template
    assert "1 subjects filed afresh" in caplog.text


def test_a_gallery_that_grew_beyond_the_share_is_trained_again(
    gallery_copy: Path, trainings: list[int]
) -> None:
    first = load_index(gallery_copy)
    _add_copy(gallery_copy, first, first.subjects[0])  # 4 -> 5 subjects: 25 % > 10 %
    again = load_index(gallery_copy)
    assert trainings[0] == 2
    assert again.index is not None and again.index.nlist == len(again) == 5
    with np.load(cache_path(gallery_copy), allow_pickle=False) as data:
        assert int(data["ivf_trained_on"]) == 5


@pytest.mark.parametrize("field", ["ivf_cells", "ivf_codes", "ivf_digests", "ivf_trained_on"])
def test_a_cache_with_an_edited_inverted_file_is_rebuilt(
    gallery_copy: Path, trainings: list[int], counted: list[int], field: str
) -> None:
    first = load_index(gallery_copy)
    path = cache_path(gallery_copy)
    with np.load(path, allow_pickle=False) as data:
        value = data[field].copy()
    value.reshape(-1)[:1] ^= 1
    _rewrite_cache(path, **{field: value})
    counted[0] = 0
    again = load_index(gallery_copy)
    assert counted[0] == again.template_count and trainings[0] == 2  # nothing trusted
    assert again.cells().tolist() == first.cells().tolist()


def _no_gallery_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from station.gallery import Gallery

    def refuse(self: Gallery, **kwargs: object) -> None:
        raise AssertionError("the gallery's templates were read")

    monkeypatch.setattr(Gallery, "template_rows", refuse)


def test_an_unchanged_gallery_starts_from_the_cache_alone(
    gallery_copy: Path, trainings: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_index(gallery_copy)
    _no_gallery_read(monkeypatch)
    second = load_index(gallery_copy)
    assert trainings[0] == 1
    assert second.subjects == first.subjects  # the gallery's order, as the first start
    assert second.cells().tolist() == first.cells().tolist()
    for subject in first.subjects:
        probe = first.fingers(subject)
        assert second.shortlist(probe, 4) == first.shortlist(probe, 4)
        assert second.fingers(subject) == probe  # the templates, read from the cache file
        assert search(probe, second) == search(probe, first)


def _same_index(a: SearchGallery, b: SearchGallery) -> None:
    assert a.subjects == b.subjects
    for subject in b.subjects:
        probe = b.fingers(subject)
        assert a.fingers(subject) == probe
        assert a.shortlist(probe, 4) == b.shortlist(probe, 4)
        assert search(probe, a) == search(probe, b)


def test_a_changed_gallery_rereads_only_the_changed_subjects(
    gallery_copy: Path, trainings: list[int], counted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start after changes reads the cache and the changed subjects' rows alone (the
    inverted file on: changed subjects are filed), builds the index a whole read of the
    gallery would, and writes the cache behind it."""
    monkeypatch.setattr(index_module, "IVF_RETRAIN_SHARE", 1.0)  # keep the centroids
    monkeypatch.setattr(index_module, "_WRITE_BEHIND", True)
    first = load_index(gallery_copy)
    subject, other = first.subjects[0], first.subjects[1]
    better = first.template(other, "R1")
    added = _add_copy(gallery_copy, first, first.subjects[2])
    with open_gallery(gallery_copy) as g:
        image = np.full((32, 32), 200, np.uint8)
        g.add_print(subject, "R1", "rolled", image, template=better, device="t", quality=100)
    files = [cache_path(gallery_copy), index_module.store_path(gallery_copy)]
    kept = [f.read_bytes() for f in files]
    with pytest.MonkeyPatch.context() as m:
        m.setattr(index_module, "_from_changes", lambda *args: None)
        whole = load_index(gallery_copy)  # the gallery read, with the same cache
    for f, data in zip(files, kept, strict=True):
        f.write_bytes(data)
    counted[0] = 0
    with pytest.MonkeyPatch.context() as m:
        _no_gallery_read(m)
        again = load_index(gallery_copy)
    assert counted[0] == 11  # the new subject's ten templates and the better print alone
    assert added in again and again.template(subject, "R1") == better
    assert again.cells().min() >= 0  # every subject filed
    lists = again._lists  # rows placed in cell order: the lists are views, as unchanged
    assert lists is not None
    assert np.shares_memory(lists["R1"].codes, again._fingers["R1"].codes)
    _same_index(again, whole)
    # The cache, written behind that start, holds the changes: the next start (which waits
    # for the writer) reads nothing from the gallery and looks for no changes.
    _no_gallery_read(monkeypatch)
    monkeypatch.setattr(index_module, "_from_changes", None)
    _same_index(load_index(gallery_copy), again)


def test_a_change_log_that_does_not_add_up_is_not_used(
    gallery_copy: Path, counted: list[int]
) -> None:
    first = load_index(gallery_copy)
    added = _add_copy(gallery_copy, first, first.subjects[2])
    import sqlite3

    with sqlite3.connect(gallery_copy) as raw:  # lose the log's last row behind its back
        raw.execute("DROP TRIGGER template_changes_no_delete")
        raw.execute(
            "DELETE FROM template_changes WHERE id = (SELECT max(id) FROM template_changes)"
        )
    raw.close()
    read = [0]
    real = Gallery.template_rows

    def template_rows(self: Gallery, **kwargs: str) -> object:
        read[0] += 1
        return real(self, **kwargs)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(Gallery, "template_rows", template_rows)
        again = load_index(gallery_copy)
    assert read[0] == 1 and added in again  # the whole gallery read
    _same_index(again, load_index(gallery_copy, cache=False))


def test_the_inverted_lists_of_a_cached_start_are_views_of_its_arrays(
    gallery_copy: Path, trainings: list[int]
) -> None:
    first = load_index(gallery_copy)
    second = load_index(gallery_copy)
    first.cells(), second.cells()  # both filed, lists built
    assert second.index_nbytes < first.index_nbytes  # the lists hold no copy of the codes
    lists = second._lists
    assert lists is not None
    assert np.shares_memory(lists["R1"].codes, second._fingers["R1"].codes)


def test_a_changed_gallery_is_read_again(gallery_copy: Path) -> None:
    first = load_index(gallery_copy)
    sid = _add_copy(gallery_copy, first, first.subjects[0])
    again = load_index(gallery_copy)
    assert sid in again and sid not in first
    assert again.fingers(sid) == first.fingers(first.subjects[0])


def test_an_edited_template_in_the_cache_is_read_from_the_gallery(
    gallery_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = load_index(gallery_copy)
    with np.load(cache_path(gallery_copy), allow_pickle=False) as data:
        subject, finger = int(data["subjects"][0]), FINGERS[int(data["fingers"][0])]
        print_id, end = int(data["print_ids"][0]), int(data["ends"][0])
    with open(index_module.store_path(gallery_copy), "r+b") as fh:  # a byte of its minutiae
        fh.seek(end - 5)
        byte = fh.read(1)
        fh.seek(end - 5)
        fh.write(bytes([byte[0] ^ 0x40]))
    second = load_index(gallery_copy)
    with caplog.at_level("WARNING", logger="station.service.index"):
        assert second.template(subject, finger) == first.template(subject, finger)
    assert f"template of print {print_id} does not verify" in caplog.text


def _store_id(gallery: Path) -> bytes:
    return index_module.store_path(gallery).read_bytes()[8:24]


def test_new_templates_are_appended_to_the_template_file(
    gallery_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_index(gallery_copy)
    store = index_module.store_path(gallery_copy)
    ident, size = _store_id(gallery_copy), store.stat().st_size
    sid = _add_copy(gallery_copy, first, first.subjects[0])
    added = sum(len(t.to_bytes()) for t in first.fingers(first.subjects[0]).values())
    again = load_index(gallery_copy)
    assert _store_id(gallery_copy) == ident and store.stat().st_size == size + added
    _no_gallery_read(monkeypatch)
    third = load_index(gallery_copy)  # from the cache, the appended templates read back
    assert third.fingers(sid) == again.fingers(sid) == first.fingers(first.subjects[0])


def test_a_template_file_mostly_stale_is_written_afresh(
    gallery_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_index(gallery_copy)
    ident = _store_id(gallery_copy)
    monkeypatch.setattr(index_module, "_STORE_STALE_SHARE", 0.0)  # any stale byte is too many
    with open_gallery(gallery_copy) as g:  # a better R1 for one subject: its old one is stale
        template = first.template(first.subjects[1], "R1")
        g.add_print(first.subjects[0], "R1", "rolled", np.full((32, 32), 200, np.uint8),
                    template=template, device="t", quality=100)  # fmt: skip
    load_index(gallery_copy)
    assert _store_id(gallery_copy) != ident
    _no_gallery_read(monkeypatch)
    assert load_index(gallery_copy).template(first.subjects[0], "R1") == template


@pytest.mark.parametrize("damage", ["missing", "other", "short"])
def test_a_missing_or_foreign_template_file_means_reading_the_gallery(
    gallery_copy: Path, damage: str
) -> None:
    first = load_index(gallery_copy)
    store = index_module.store_path(gallery_copy)
    if damage == "missing":
        store.unlink()
    elif damage == "other":
        data = bytearray(store.read_bytes())
        data[10] ^= 1  # another file's id
        store.write_bytes(bytes(data))
    else:
        store.write_bytes(store.read_bytes()[:-10])
    again = load_index(gallery_copy)
    assert again.fingers(first.subjects[0]) == first.fingers(first.subjects[0])
    assert store.is_file() and len(load_index(gallery_copy)) == len(first)


def test_a_damaged_template_is_named_at_every_start(
    gallery_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with open_gallery(gallery_copy) as g:
        print_id, subject, finger, blob = next(g.iter_template_rows())
        g._conn.execute(  # the template's bytes damaged behind the gallery's back
            "UPDATE prints SET template = ? WHERE id = ?", (blob[:-3], print_id)
        )
    for _ in range(2):
        caplog.clear()
        with caplog.at_level("WARNING", logger="station.service.index"):
            index = load_index(gallery_copy)
        assert f"(print {print_id}) does not load" in caplog.text
        assert index.template(subject, finger) is None


def test_a_gallery_that_was_empty_when_cached_is_read_when_it_fills(
    tmp_path: Path, gallery_copy: Path
) -> None:
    path = tmp_path / "empty.sqlite"
    with open_gallery(path, create=True):
        pass
    assert len(load_index(path)) == 0  # an empty cache written
    source = load_index(gallery_copy)
    sid = _add_copy(path, source, source.subjects[0])
    index = load_index(path)
    assert list(index.subjects) == [sid]
    assert len(load_index(path)) == 1  # and from the cache
