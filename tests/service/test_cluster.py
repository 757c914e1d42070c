"""The sharded search gives exactly the candidates of one process."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from station.benchmark.scale import standin
from station.core.match import SearchGallery, search
from station.core.template import Template
from station.core.vocabulary import FINGERS

pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # a LocalCluster of two worker processes starts in 5-30 s

from station.service.cluster import ShardedSearch, shard_of_entries  # noqa: E402

SUBJECTS = 12


def _finger(subject: int, position: int) -> Template:
    """A made-up finger: 45 minutiae at places drawn from the subject and finger."""
    rng = np.random.default_rng([subject, position, 5])
    n = 45
    m = np.column_stack(
        [rng.uniform(150, 650, n), rng.uniform(150, 600, n), rng.uniform(-np.pi, np.pi, n),
         rng.integers(0, 2, n)]
    )  # fmt: skip
    return Template(width=800, height=750, minutiae=m.astype(np.float32))


@pytest.fixture(scope="module")
def entries() -> list[tuple[str, str, Template]]:
    # Subject "s3" twice over (a later encounter) and in an order that is not the id order.
    out = [(f"s{s}", f, _finger(s, k)) for s in range(SUBJECTS) for k, f in enumerate(FINGERS)]
    out += [("s3", "R1", _finger(3, 0))]
    return out[::-1]


@pytest.fixture(scope="module")
def sharded(entries):
    with ShardedSearch(partial(shard_of_entries, entries), shards=2) as cluster:
        yield cluster


def _probe(subject: int, seed: int) -> dict[str, Template]:
    rng = np.random.default_rng(seed)
    return {f: standin(_finger(subject, k), rng) for k, f in enumerate(FINGERS) if k != 4}


def _as_tuples(candidates) -> list[tuple]:
    return [(c.subject, c.score, dict(c.finger_scores), c.rank, c.preselection) for c in candidates]


def test_shards_split_the_subjects_between_them(sharded) -> None:
    assert sharded.sizes == (SUBJECTS // 2, SUBJECTS // 2)
    assert len(sharded) == SUBJECTS


@pytest.mark.parametrize(("subject", "shortlist"), [(3, 8), (7, 3), (10, 1)])
def test_sharded_candidates_equal_one_process(entries, sharded, subject, shortlist) -> None:
    whole = SearchGallery(entries)
    probe = _probe(subject, subject)
    expected = search(probe, whole, shortlist=shortlist, limit=5)
    got = sharded.search(probe, shortlist=shortlist, limit=5)
    assert _as_tuples(got) == _as_tuples(expected)
    assert got[0].subject == f"s{subject}"
    assert len(got) == min(shortlist, 5)


def test_ties_fall_the_same_way_as_in_one_process(sharded, entries) -> None:
    # A probe of a finger no one has: every stage-1 score is 0, the shortlist is gallery order.
    probe = {"R1": Template(width=800, height=750)}
    whole = SearchGallery(entries)
    assert _as_tuples(sharded.search(probe, shortlist=4)) == _as_tuples(
        search(probe, whole, shortlist=4)
    )
    # Subjects are numbered by first appearance: the extra encounter of s3 comes first.
    assert [c.subject for c in sharded.search(probe, shortlist=4)] == ["s3", "s11", "s10", "s9"]


def test_empty_probe_and_bad_arguments(sharded) -> None:
    assert sharded.search({}) == []
    with pytest.raises(ValueError, match="shortlist"):
        sharded.search(_probe(1, 1), shortlist=0)
    with pytest.raises(ValueError, match="shards"):
        ShardedSearch(partial(shard_of_entries, []), shards=0)
    with pytest.raises(ValueError, match="shard must be"):
        shard_of_entries([], 2, 2)


@pytest.fixture(scope="module")
def indexed(entries):
    whole = SearchGallery(entries)
    quantiser = whole.train_index(nlist=3, nprobe=1, seed=2)
    loader = partial(shard_of_entries, entries, index=quantiser, nprobe=1)
    with ShardedSearch(loader, shards=2) as cluster:
        yield whole, cluster


@pytest.mark.parametrize("subject", [3, 7, 10])
def test_indexed_sharded_candidates_equal_one_indexed_process(indexed, subject) -> None:
    whole, sharded = indexed
    probe = _probe(subject, subject)
    assert whole.stage1_subjects(probe) < SUBJECTS  # the index really narrows stage 1
    expected = search(probe, whole, shortlist=8, limit=8)
    assert _as_tuples(sharded.search(probe, shortlist=8, limit=8)) == _as_tuples(expected)
    # Only subjects of the visited cells can be candidates.
    visited = np.isin(whole.cells(), whole.visited_cells(probe))
    assert {c.subject for c in expected} <= {whole.subjects[r] for r in np.flatnonzero(visited)}
