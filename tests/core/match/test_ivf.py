"""The inverted-file first stage: cells, visits, filing after adds, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.match import SearchGallery, search
from station.core.match.index import descriptor, descriptor_size
from station.core.match.ivf import CoarseQuantiser, train
from station.core.match.params import DEFAULT_PARAMETERS
from station.core.match.search import quantise
from station.core.template import Template
from station.core.vocabulary import FINGERS

DIM = descriptor_size(DEFAULT_PARAMETERS)


def _finger(seed: int, n: int = 40) -> Template:
    """A made-up finger: ``n`` minutiae at places drawn from ``seed``."""
    rng = np.random.default_rng([seed, 11])
    m = np.column_stack(
        [rng.uniform(100, 400, n), rng.uniform(100, 400, n), rng.uniform(-np.pi, np.pi, n),
         rng.integers(0, 2, n)]
    )  # fmt: skip
    return Template(width=500, height=500, minutiae=m.astype(np.float32))


A, B = _finger(1), _finger(2)


def _two_cells() -> CoarseQuantiser:
    """Cell 0 is finger A's descriptor in the R1 block, cell 1 finger B's."""
    codes = np.zeros((2, len(FINGERS), DIM), np.uint8)
    scales = np.zeros((2, len(FINGERS)), np.float32)
    for cell, template in enumerate((A, B)):
        c, s = quantise(descriptor(template, DEFAULT_PARAMETERS)[None, :])
        codes[cell, 0], scales[cell, 0] = c[0], s[0]
    return CoarseQuantiser(codes, scales)


def _gallery() -> SearchGallery:
    gallery = SearchGallery()
    for subject, template in (("a1", A), ("b1", B), ("a2", A), ("b2", B)):
        gallery.add(subject, "R1", template)
    return gallery


def test_a_probe_visiting_one_of_two_cells_scores_only_that_cells_subjects() -> None:
    gallery = _gallery()
    gallery.use_index(_two_cells(), nprobe=1)
    assert gallery.cells().tolist() == [0, 1, 0, 1]
    assert gallery.stage1_subjects({"R1": A}) == 2
    assert [s for _, _, s in gallery.shortlist({"R1": A}, 4)] == ["a1", "a2"]
    assert [s for _, _, s in gallery.shortlist({"R1": B}, 4)] == ["b1", "b2"]
    # The scores are the linear scan's, for the subjects scored.
    linear = _gallery()
    assert gallery.shortlist({"R1": A}, 2) == linear.shortlist({"R1": A}, 2)
    gallery.nprobe = 2
    assert gallery.stage1_subjects({"R1": A}) == 4
    assert gallery.shortlist({"R1": A}, 4) == linear.shortlist({"R1": A}, 4)


def test_added_and_replaced_subjects_are_filed_again() -> None:
    gallery = _gallery()
    gallery.use_index(_two_cells(), nprobe=1)
    gallery.add("b3", "R1", B)  # a new subject
    gallery.add("a1", "R1", B)  # a later encounter moves a1 to B's cell
    gallery.add_many(["a3"], ["R1"], [A], descriptor(A, DEFAULT_PARAMETERS)[None, :])
    assert gallery.cells().tolist() == [1, 1, 0, 1, 1, 0]
    assert [s for _, _, s in gallery.shortlist({"R1": B}, 8)] == ["a1", "b1", "b2", "b3"]
    assert [s for _, _, s in gallery.shortlist({"R1": A}, 8)] == ["a2", "a3"]


def _made_up(subjects: int) -> list[tuple[int, str, Template]]:
    return [
        (s, f, _finger(1000 * s + k, 25 + (s * 7 + k) % 20))
        for s in range(subjects)
        for k, f in enumerate(FINGERS)
        if (s + k) % 9  # some fingers missing
    ]


def test_nprobe_equal_to_nlist_gives_exactly_the_linear_candidates() -> None:
    entries = _made_up(24)
    linear, indexed = SearchGallery(entries), SearchGallery(entries)
    quantiser = indexed.train_index(nlist=5, nprobe=5, seed=3)
    assert quantiser.nlist == 5 and indexed.index is quantiser
    for subject in (0, 9, 23):
        probe = {f: t for s, f, t in entries if s == subject}
        assert indexed.shortlist(probe, 6) == linear.shortlist(probe, 6)
        got, want = search(probe, indexed, shortlist=4), search(probe, linear, shortlist=4)
        assert [(c.subject, c.score, c.rank) for c in got] == [
            (c.subject, c.score, c.rank) for c in want
        ]
    indexed.use_index(None)
    assert indexed.index is None and indexed.nprobe == 0 and indexed.index_nbytes == 0


def test_training_is_deterministic_and_cells_follow_the_centroids() -> None:
    entries = _made_up(24)
    one, two = SearchGallery(entries), SearchGallery(entries)
    q1 = one.train_index(nlist=4, nprobe=1, seed=7)
    q2 = two.train_index(nlist=4, nprobe=1, seed=7)
    assert np.array_equal(q1.codes, q2.codes) and np.array_equal(q1.scales, q2.scales)
    assert one.cells().tolist() == two.cells().tolist()
    # A gallery holding every other subject, given the same centroids, files them alike.
    half = SearchGallery([e for e in entries if e[0] % 2 == 0])
    half.use_index(q1, nprobe=2)
    assert half.cells().tolist() == one.cells()[::2].tolist()
    assert one.index_nbytes > q1.nbytes


def test_train_on_fused_vectors_gives_unit_centroids() -> None:
    fused = np.zeros((6, len(FINGERS), 4), np.float32)
    fused[:3, 0, 0] = 1.0  # three subjects on one axis, three on another
    fused[3:, 1, 2] = 2.0
    q = train(fused, 2, seed=0)
    top = sorted((int(np.argmax(q.codes[c].ravel())), int(q.codes[c].max())) for c in range(2))
    assert top == [(0, 255), (6, 255)]  # R1 block value 0 and R2 block value 2


def test_bad_settings_are_refused() -> None:
    gallery = _gallery()
    with pytest.raises(ValueError, match="nlist must be at least 1"):
        gallery.train_index(nlist=0, nprobe=1)
    with pytest.raises(ValueError, match=r"nlist \(5\) must be at most the gallery's subjects"):
        gallery.train_index(nlist=5, nprobe=1)
    with pytest.raises(ValueError, match=r"nprobe must be in 1\.\.2"):
        gallery.train_index(nlist=2, nprobe=3)
    with pytest.raises(ValueError, match=r"sample \(1\) must be at least nlist"):
        gallery.train_index(nlist=2, nprobe=1, sample=1)
    with pytest.raises(ValueError, match="nprobe needs an index"):
        gallery.nprobe = 1
    with pytest.raises(ValueError, match=r"nprobe must be in 1\.\.2"):
        gallery.use_index(_two_cells(), nprobe=0)
    gallery.use_index(_two_cells(), nprobe=2)
    with pytest.raises(ValueError, match=r"nprobe must be in 1\.\.2"):
        gallery.nprobe = 3
    wrong = CoarseQuantiser(np.zeros((2, 3, DIM), np.uint8), np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="centroids must have"):
        gallery.use_index(wrong)
    with pytest.raises(ValueError, match="scales must be"):
        CoarseQuantiser(np.zeros((2, 10, 4), np.uint8), np.zeros(2, np.float32))
    with pytest.raises(ValueError, match=r"nlist \(3\) is more than the subjects"):
        train(np.ones((2, 10, 4)), 3)


def test_subjects_changed_after_the_lists_were_built_are_scored_outside_them() -> None:
    gallery = _gallery()
    gallery.use_index(_two_cells(), nprobe=1)
    gallery.shortlist({"R1": A}, 4)  # builds the inverted lists
    gallery.add("b9", "R1", B)
    gallery.add("a2", "R1", B)  # moves to B's cell: its A entry in the lists is outdated
    assert gallery._lists is not None and gallery._stale.tolist() == [2, 4]  # no rebuild
    assert gallery.stage1_subjects({"R1": A}) == 1
    assert [s for _, _, s in gallery.shortlist({"R1": A}, 4)] == ["a1"]
    linear = SearchGallery([(s, "R1", t) for s, t in (("a1", A), ("b1", B), ("a2", B))])
    linear.add("b2", "R1", B)
    linear.add("b9", "R1", B)
    want = linear.shortlist({"R1": B}, 4)
    assert gallery.shortlist({"R1": B}, 4) == want
    assert [s for _, _, s in want] == ["b1", "a2", "b2", "b9"]
    assert gallery.visited_cells({"R1": B}).tolist() == [1]


def test_remembered_cells_are_kept_and_the_rest_filed() -> None:
    gallery = _gallery()
    # Cells given for a1 and b1 are kept even where filing would say otherwise (a cache's
    # cells are the filing of the same descriptors); -1 is filed afresh.
    gallery.use_index(_two_cells(), nprobe=1, cells=np.array([1, 0, -1, -1]))
    assert gallery.cells().tolist() == [1, 0, 0, 1]
    assert [s for _, _, s in gallery.shortlist({"R1": A}, 4)] == ["a2", "b1"]  # cell 0


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (np.array([0, 1, 0]), "cells must be 4 integers"),
        (np.array([0.0, 1.0, 0.0, 1.0]), "cells must be 4 integers"),
        (np.array([0, 1, 2, 0]), r"cells must be -1 \(not filed\) or 0 … 1"),
        (np.array([0, -2, 0, 0]), r"cells must be -1 \(not filed\) or 0 … 1"),
    ],
)
def test_bad_remembered_cells_are_refused(cells: np.ndarray, message: str) -> None:
    gallery = _gallery()
    with pytest.raises(ValueError, match=message):
        gallery.use_index(_two_cells(), nprobe=1, cells=cells)
    assert gallery.index is None  # nothing half-applied
