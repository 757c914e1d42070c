"""The central 1:N search sharded over the workers of a Dask distributed cluster.

A gallery too large for one machine is split by subject into ``shards``; each shard is a
:class:`~station.core.match.SearchGallery` living in one Dask worker's memory, built there by
a loader (so the shard's templates never pass through the client). A search takes two round
trips:

1. every shard sends its best ``shortlist`` subjects by stage-1 score; the client keeps the
   best ``shortlist`` of all of them (equal scores: the subject's place in the whole gallery);
2. each shard re-scores those of its own subjects with the full matcher; the client ranks.

The candidates are exactly those of one process searching the whole gallery
(:func:`station.core.match.search`): the global shortlist is the best ``shortlist`` of the
union of the shards' best, stage-1 scores are exact integer sums (a subject scores the same
in any shard), and ties are broken by the same order key. With an inverted-file index the
loaders give every shard the centroids trained on the whole gallery: a subject's cell and a
probe's visited cells depend only on them, so the shards together score exactly the
subjects one process would.

Without a scheduler address a :class:`distributed.LocalCluster` is started with one worker
process (one thread) per shard; with ``address="tcp://host:8786"`` the shards go to a real
cluster's workers. Dask is the optional extra ``cluster`` (``pip install -e '.[cluster]'``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import numpy as np

from station.core.match import Candidate, SearchGallery
from station.core.match.index import descriptor
from station.core.match.ivf import CoarseQuantiser
from station.core.match.search import rank
from station.core.template import Template

__all__ = ["ShardedSearch", "shard_of_entries"]

log = logging.getLogger(__name__)


def shard_of_entries(
    entries: Iterable[tuple[Hashable, str, Template]],
    shard: int,
    shards: int,
    *,
    index: CoarseQuantiser | None = None,
    nprobe: int = 1,
) -> SearchGallery:
    """The shard ``shard`` of ``shards`` of a gallery given as ``(subject, finger, template)``.

    Subjects are numbered by first appearance; subject ``k`` goes to shard ``k % shards``
    with ``k`` as its order key, as in a one-process gallery built from the same entries.
    With ``index`` (centroids trained on the whole gallery) the shard files its subjects in
    the same cells as the whole gallery does and visits ``nprobe`` cells a probe.
    """
    if not 0 <= shard < shards:
        raise ValueError(f"shard must be in 0..{shards - 1}, got {shard}")
    ordinal: dict[Hashable, int] = {}
    picked: list[tuple[Hashable, str, Template, int]] = []
    for subject, finger, template in entries:
        k = ordinal.setdefault(subject, len(ordinal))
        if k % shards == shard:
            picked.append((subject, finger, template, k))
    gallery = SearchGallery()
    if picked:
        vectors = np.array([descriptor(t, gallery.params) for _, _, t, _ in picked])
        gallery.add_many(
            [p[0] for p in picked],
            [p[1] for p in picked],
            [p[2] for p in picked],
            vectors,
            keys=[p[3] for p in picked],
        )
    if index is not None:
        gallery.use_index(index, nprobe=nprobe)
    return gallery


def _stage1(
    gallery: SearchGallery, probe: Mapping[str, Template], count: int
) -> list[tuple[float, int, Hashable]]:
    return gallery.shortlist(probe, count)


def _stage2(
    gallery: SearchGallery, probe: Mapping[str, Template], subjects: list[Hashable]
) -> list[tuple[float, int, Hashable, dict[str, float]]]:
    return gallery.rescore(probe, subjects)


def _size(gallery: SearchGallery) -> int:
    return len(gallery)


class ShardedSearch:
    """A gallery split over Dask workers, searched like one.

    Parameters
    ----------
    loader : callable
        ``loader(shard, shards) -> SearchGallery``, run on the worker that keeps the shard;
        it must be importable there (a module-level function or a ``functools.partial`` of
        one), e.g. ``functools.partial(shard_of_entries, entries)``.
    shards : int
        Number of shards (at least 1).
    address : str, optional
        A running scheduler (``tcp://host:8786``). Default: a LocalCluster with one
        single-threaded worker process per shard, closed with this object.

    Examples
    --------
    >>> from functools import partial
    >>> with ShardedSearch(partial(shard_of_entries, []), shards=1) as sharded:  # doctest: +SKIP
    ...     sharded.search(probe)
    """

    def __init__(
        self,
        loader: Callable[[int, int], SearchGallery],
        *,
        shards: int,
        address: str | None = None,
    ) -> None:
        if shards < 1:
            raise ValueError(f"shards must be at least 1, got {shards}")
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - the cluster extra provides it
            raise RuntimeError(
                "sharded search needs Dask distributed: pip install -e '.[cluster]'"
            ) from None
        self._cluster: Any = None
        if address is None:
            self._cluster = LocalCluster(
                n_workers=shards,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: two clusters may run at once
            )
            self._client: Any = Client(self._cluster)
        else:
            self._client = Client(address)
        try:
            self._client.wait_for_workers(1)
            workers = sorted(self._client.scheduler_info()["workers"])
            self._workers = [workers[j % len(workers)] for j in range(shards)]
            self._shards = [
                self._client.submit(
                    loader, j, shards, workers=[w], allow_other_workers=False, pure=False
                )
                for j, w in enumerate(self._workers)
            ]
            sizes = self._client.gather(
                [
                    self._client.submit(_size, s, workers=[w], pure=False)
                    for s, w in zip(self._shards, self._workers, strict=True)
                ]
            )
        except BaseException:
            self.close()
            raise
        self.sizes: tuple[int, ...] = tuple(sizes)
        log.info("sharded search: %d shards, %d subjects", shards, sum(sizes))

    def __len__(self) -> int:
        return sum(self.sizes)

    def __enter__(self) -> ShardedSearch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the shards; stop the LocalCluster if this object started it."""
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def _map(self, function: Callable[..., Any], *args: Any) -> list[Any]:
        futures = [
            self._client.submit(function, s, *args, workers=[w], pure=False)
            for s, w in zip(self._shards, self._workers, strict=True)
        ]
        return self._client.gather(futures)

    def search(
        self,
        probe: Mapping[str, Template],
        *,
        shortlist: int | None = None,
        limit: int = 10,
    ) -> list[Candidate]:
        """The candidates :func:`station.core.match.search` gives on the whole gallery.

        Parameters
        ----------
        probe : mapping of str to Template
        shortlist : int, optional
            Subjects re-scored (default the matcher's ``shortlist``).
        limit : int
            Candidates returned, best first.

        Returns
        -------
        list of Candidate
        """
        from station.core.match import DEFAULT_PARAMETERS

        shortlist = DEFAULT_PARAMETERS.shortlist if shortlist is None else int(shortlist)
        if shortlist < 1 or limit < 1:
            raise ValueError("shortlist and limit must be at least 1")
        probe = dict(probe)
        if not probe or not len(self):
            return []
        firsts = [c for part in self._map(_stage1, probe, shortlist) for c in part]
        first = sorted(firsts, key=lambda c: (-c[0], c[1]))[:shortlist]
        chosen = [s for _, _, s in first]
        scored = [c for part in self._map(_stage2, probe, chosen) for c in part]
        return rank(first, scored, limit=limit)
