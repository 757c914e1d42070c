"""An inverted-file (IVF) coarse quantiser for the first stage of the 1:N search.

The linear first stage (:mod:`station.core.match.search`) scores a probe against every
subject: per finger position the dot product of two quantised pair-geometry descriptors,
summed over the fingers. That sum is the inner product of two *fused* vectors — the ten
finger descriptors of a subject laid end to end, a missing finger as zeros — so the stage is
a maximum inner-product search over one vector per subject. An inverted file makes it
sub-linear: ``nlist`` centroids are trained by k-means on a sample of subjects' fused vectors
(each normalised to unit length), every subject is filed under the centroid its fused vector
scores highest with (its *cell*, an inverted list), and a probe scores only the subjects of
the ``nprobe`` cells whose centroids score highest with the probe's fused vector. The share of
the gallery scored is the first stage's penetration.

This is the inverted file of text retrieval brought to vectors by Sivic and Zisserman
("Video Google: a text retrieval approach to object matching in videos", ICCV 2003) and the
coarse quantiser of Jégou, Douze and Schmid ("Product quantization for nearest neighbor
search", IEEE TPAMI 33(1), 2011: IVF-ADC); for fingerprints, retrieval by the nearest feature
vectors rather than by exclusive classes is Lumini, Maio and Maltoni ("Continuous versus
exclusive classification for fingerprint retrieval", Pattern Recognition Letters 18, 1997).

Centroids are stored quantised like the gallery's descriptors (one byte per value, a scale
per finger block: :func:`~station.core.match.search.quantise`), and cell scores use the same
exact integer arithmetic as stage 1 (:mod:`._ivf`). A subject's cell therefore depends only
on its own descriptors and the centroids, and the cells a probe visits only on the probe and
the centroids: trained once and shipped to every shard, the index gives the same visited
subjects, and so the same candidates, in one process and in any sharding.
"""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["CoarseQuantiser", "train"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class CoarseQuantiser:
    """Trained IVF centroids, quantised per finger block.

    Attributes
    ----------
    codes : (nlist, fingers, D) ndarray of uint8
        Each centroid (unit length before quantisation) as one byte per value.
    scales : (nlist, fingers) ndarray of float32
        Per finger block: value = code × scale.
    seed : int
        The k-means seed it was trained with.
    training_s : float
        Wall time of the training.

    Examples
    --------
    >>> q = CoarseQuantiser(np.ones((2, 10, 4), np.uint8), np.ones((2, 10), np.float32))
    >>> q.nlist, q.nbytes
    (2, 160)
    """

    codes: np.ndarray
    scales: np.ndarray
    seed: int = 0
    training_s: float = 0.0

    def __post_init__(self) -> None:
        if self.codes.dtype != np.uint8 or self.codes.ndim != 3 or not len(self.codes):
            raise ValueError("codes must be a non-empty (nlist, fingers, D) uint8 array")
        if self.scales.shape != self.codes.shape[:2]:
            raise ValueError(
                f"scales must be {self.codes.shape[:2]} (one per centroid and finger block), "
                f"got {self.scales.shape}"
            )

    @property
    def nlist(self) -> int:
        """Number of cells."""
        return int(self.codes.shape[0])

    @property
    def nbytes(self) -> int:
        """Bytes of the centroids (codes and scales)."""
        return int(self.codes.nbytes + self.scales.nbytes)

    def probe_scores(self, codes: np.ndarray, scales: np.ndarray) -> np.ndarray:
        """Every centroid's inner product with a probe's fused vector.

        Parameters
        ----------
        codes : (fingers, D) ndarray of uint8
            The probe's quantised descriptor per finger position (zeros where absent).
        scales : (fingers,) ndarray of float32

        Returns
        -------
        scores : (nlist,) ndarray of float64
            Integer dot products per finger block, scaled and summed in finger order.
        """
        if codes.shape != self.codes.shape[1:] or scales.shape != self.codes.shape[1:2]:
            raise ValueError(f"a probe must be {self.codes.shape[1:]} codes with one scale each")
        total = np.zeros(self.nlist, np.float64)
        for f in range(codes.shape[0]):
            if scales[f] == 0:
                continue
            # Integer products summed in float64 are exact (every partial sum is below
            # 512 × 255² < 2⁵³), so BLAS may add them in any order.
            dots = self._blocks[f] @ codes[f].astype(np.float64)
            total += dots * (self.scales[:, f].astype(np.float64) * np.float64(scales[f]))
        return total

    @cached_property
    def _blocks(self) -> list[np.ndarray]:
        """Each finger block of every centroid as float64 (for :meth:`probe_scores`)."""
        fingers = self.codes.shape[1]
        return [np.ascontiguousarray(self.codes[:, f, :], np.float64) for f in range(fingers)]

    def visit(self, codes: np.ndarray, scales: np.ndarray, nprobe: int) -> np.ndarray:
        """The ``nprobe`` cells a probe visits: best scores first, ties by lower cell number."""
        if not 1 <= nprobe <= self.nlist:
            raise ValueError(f"nprobe must be in 1..{self.nlist} (nlist), got {nprobe}")
        scores = self.probe_scores(codes, scales)
        return np.lexsort((np.arange(self.nlist), -scores))[:nprobe]


def train(fused: np.ndarray, nlist: int, *, seed: int = 0, iterations: int = 10) -> CoarseQuantiser:
    """Train ``nlist`` centroids by k-means on fused vectors.

    Parameters
    ----------
    fused : (N, fingers, D) ndarray of float
        Sample subjects' descriptors per finger position (zeros where absent). Subjects
        without any descriptor are left out.
    nlist : int
        Cells; at most the number of sample subjects with a descriptor.
    seed : int
        Seed of the initial centroids (``nlist`` sample subjects drawn at random;
        :func:`scipy.cluster.vq.kmeans2` with ``minit="points"``: k-means++ seeding costs
        minutes at this dimension).
    iterations : int
        k-means iterations.

    Returns
    -------
    CoarseQuantiser
        Unit-length centroids, quantised per finger block.
    """
    from scipy.cluster.vq import kmeans2

    from .search import quantise

    fused = np.asarray(fused, np.float32)
    if fused.ndim != 3:
        raise ValueError(f"fused vectors must be (N, fingers, D), got shape {fused.shape}")
    if nlist < 1:
        raise ValueError(f"nlist must be at least 1, got {nlist}")
    if iterations < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations}")
    n, fingers, dim = fused.shape
    flat = fused.reshape(n, fingers * dim)
    norms = np.linalg.norm(flat, axis=1)
    flat = flat[norms > 0] / norms[norms > 0, None]
    if nlist > len(flat):
        raise ValueError(
            f"nlist ({nlist}) is more than the subjects with a descriptor to train on ({len(flat)})"
        )
    start = time.perf_counter()
    with warnings.catch_warnings():
        # An empty cluster keeps its previous centroid; it simply files no subject.
        warnings.filterwarnings("ignore", "One of the clusters is empty")
        centroids, _ = kmeans2(
            flat, nlist, iter=iterations, minit="points", rng=np.random.default_rng(seed)
        )
    centroids = np.asarray(centroids, np.float64)
    lengths = np.linalg.norm(centroids, axis=1)
    centroids = np.where(lengths[:, None] > 0, centroids / np.maximum(lengths, 1e-30)[:, None], 0)
    codes, scales = quantise(np.clip(centroids, 0, None).reshape(nlist * fingers, dim))
    took = time.perf_counter() - start
    log.info("IVF: %d centroids trained on %d subjects in %.2f s", nlist, len(flat), took)
    return CoarseQuantiser(
        codes.reshape(nlist, fingers, dim), scales.reshape(nlist, fingers), seed, took
    )
