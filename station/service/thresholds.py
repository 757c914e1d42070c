"""The gallery's own score distributions, for the instructor's threshold explorer.

A *genuine* score is the fused score (the sum of the per-finger scores of the full matcher,
the score the disposition thresholds apply to; :mod:`station.core.disposition`) of a fresh
impression of an enrolled synthetic subject's fingers against that subject's enrolled
prints. An *impostor* score is the fused score of the same fresh impression against another
enrolled subject. The fresh impression is the synthetic generator's impression
:data:`TRIAL_IMPRESSION` of each finger (never enrolled: seeding uses impression 0), the
number ``station bench --only booking`` books its mated trials with. Every probe is compared
(no pre-selection) with its own subject and with up to ``impostors`` other subjects (the
first enrolled), so ``P`` probes in a gallery of ``N`` subjects give ``P`` genuine and
``P·min(N−1, impostors)`` impostor scores.

At a HIT threshold ``t`` the false matches are the impostor scores ``>= t`` and the misses the
genuine scores ``< t`` (:meth:`ScoreDistributions.counts`).

Plain data in and out (no Qt); slow (a probe renders and extracts ten prints, about 0.25 s
each on an idle core, and makes ten comparisons per subject compared), so the GUI runs it on
a worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from station.core import synth
from station.core.disposition import DispositionPolicy
from station.core.extract import extract
from station.core.match import compare
from station.core.vocabulary import FINGERS
from station.gallery import Gallery, open_gallery

from .index import load_index

__all__ = [
    "DEFAULT_IMPOSTORS",
    "DEFAULT_PROBES",
    "TRIAL_IMPRESSION",
    "ScoreDistributions",
    "ThresholdCounts",
    "ThresholdService",
    "score_distributions",
]

log = logging.getLogger(__name__)

#: Impression number of the fresh prints (as ``station bench --only booking``'s trials).
TRIAL_IMPRESSION = 1000
#: Enrolled subjects used as probes unless told otherwise (the first ones enrolled).
DEFAULT_PROBES = 20
#: Other subjects each probe is compared with unless told otherwise (the first ones enrolled).
DEFAULT_IMPOSTORS = 40


@dataclass(frozen=True)
class ThresholdCounts:
    """Errors at one HIT threshold.

    Attributes
    ----------
    threshold : float
    false_matches : int
        Impostor scores at or above the threshold.
    impostor : int
        Impostor scores in all.
    misses : int
        Genuine scores below the threshold.
    genuine : int
        Genuine scores in all.
    """

    threshold: float
    false_matches: int
    impostor: int
    misses: int
    genuine: int

    @property
    def false_match_rate(self) -> float:
        """False matches over impostor scores (0 when there are none)."""
        return self.false_matches / self.impostor if self.impostor else 0.0

    @property
    def miss_rate(self) -> float:
        """Misses over genuine scores (0 when there are none)."""
        return self.misses / self.genuine if self.genuine else 0.0


def _scores(values: object, name: str) -> np.ndarray:
    array = np.array(values, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} scores must be finite numbers")
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class ScoreDistributions:
    """Genuine and impostor fused scores of a gallery, with the policy's thresholds.

    Attributes
    ----------
    genuine, impostor : (K,) ndarray of float64
        Read-only.
    hit, review : float
        The disposition policy's default HIT and REVIEW thresholds.
    probes : tuple of int
        Synthetic ids of the subjects whose fresh impressions were the probes.
    fingers : tuple of str
        Fingers compared.

    Examples
    --------
    >>> d = ScoreDistributions([0.5, 2.0, 3.0], [0.1, 0.3, 1.0, 2.0], hit=1.0, review=0.25)
    >>> c = d.counts(1.0)
    >>> c.false_matches, c.misses
    (2, 1)
    """

    genuine: np.ndarray
    impostor: np.ndarray
    hit: float
    review: float
    probes: tuple[int, ...] = ()
    fingers: tuple[str, ...] = field(default=tuple(FINGERS))

    def __post_init__(self) -> None:
        object.__setattr__(self, "genuine", _scores(self.genuine, "genuine"))
        object.__setattr__(self, "impostor", _scores(self.impostor, "impostor"))
        for name in ("hit", "review"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number, got {value!r}")

    def counts(self, threshold: float) -> ThresholdCounts:
        """False matches (impostor ``>= threshold``) and misses (genuine ``< threshold``)."""
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise ValueError(f"threshold must be a number, got {threshold!r}")
        return ThresholdCounts(
            float(threshold),
            int(np.count_nonzero(self.impostor >= threshold)),
            int(self.impostor.size),
            int(np.count_nonzero(self.genuine < threshold)),
            int(self.genuine.size),
        )

    @property
    def highest(self) -> float:
        """The highest score of either kind (0 when there are none)."""
        both = np.concatenate([self.genuine, self.impostor])
        return float(both.max()) if both.size else 0.0

    def det(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The DET curve: every distinct score as a threshold, ascending.

        Returns
        -------
        thresholds, false_match_rate, miss_rate : (T,) ndarray of float64
            The rates at each threshold (false match rate falls, miss rate rises).
        """
        thresholds = np.unique(np.concatenate([self.genuine, self.impostor]))
        impostor, genuine = np.sort(self.impostor), np.sort(self.genuine)
        fmr = (impostor.size - np.searchsorted(impostor, thresholds, side="left")) / max(
            impostor.size, 1
        )
        fnmr = np.searchsorted(genuine, thresholds, side="left") / max(genuine.size, 1)
        return thresholds, fmr, fnmr


def _fused(probe: dict[str, object], enrolled: dict[str, object]) -> float:
    return float(sum(compare(probe[f], enrolled[f]) for f in probe if f in enrolled))


def score_distributions(
    gallery: Gallery,
    *,
    policy: DispositionPolicy | None = None,
    probes: int = DEFAULT_PROBES,
    impostors: int = DEFAULT_IMPOSTORS,
    fingers: Sequence[str] = FINGERS,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ScoreDistributions:
    """Genuine and impostor fused scores of ``gallery`` (see the module's description).

    Parameters
    ----------
    gallery : Gallery
        Read only.
    policy : DispositionPolicy, optional
        Whose HIT and REVIEW thresholds go with the scores (default: the default policy).
    probes : int
        At most this many enrolled synthetic subjects (the first enrolled) are probes.
    impostors : int
        Each probe is compared with at most this many other subjects (the first enrolled).
    fingers : sequence of str
        Fingers compared (all ten by default, as a booking searches).
    progress : callable, optional
        ``progress(done, total)`` after each probe.
    cancelled : callable, optional
        Polled between probes: when it returns True the work stops with ``InterruptedError``.

    Returns
    -------
    ScoreDistributions

    Raises
    ------
    ValueError
        ``probes`` is not a whole number >= 1, a finger code is unknown, or the gallery
        holds fewer than two subjects or no synthetic subject.
    """
    for name, value in (("probes", probes), ("impostors", impostors)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    fingers = tuple(fingers)
    unknown = [f for f in fingers if f not in FINGERS]
    if unknown or not fingers:
        raise ValueError(f"fingers must be finger codes R1 … L5, got {list(fingers)!r}")
    policy = policy if policy is not None else DispositionPolicy()
    index = load_index(gallery, cache=False)
    subjects = sorted(index.subjects)  # gallery subject ids: the order they were enrolled
    if len(subjects) < 2:
        raise ValueError("the gallery needs at least two enrolled subjects to compare")
    enrolled = {s: index.fingers(s) for s in subjects}
    chosen: list[tuple[object, int, int]] = []
    for s in subjects:
        row = gallery.subject(int(s))
        if row.get("synthetic_id") is not None and len(chosen) < probes:
            chosen.append((s, int(row["synthetic_id"]), int(row["population"])))
    if not chosen:
        raise ValueError("the gallery holds no synthetic subjects to make fresh impressions of")
    genuine: list[float] = []
    impostor: list[float] = []
    for done, (subject, k, population) in enumerate(chosen, start=1):
        if cancelled is not None and cancelled():
            raise InterruptedError("scoring cancelled")
        probe = {
            f: extract(
                synth.impression(k, f, TRIAL_IMPRESSION, population=population, kind="rolled")[0]
            )
            for f in fingers
        }
        genuine.append(_fused(probe, enrolled[subject]))
        others = [o for o in subjects if o != subject][:impostors]
        impostor.extend(_fused(probe, enrolled[o]) for o in others)
        if progress is not None:
            progress(done, len(chosen))
    log.info(
        "score distributions: %d genuine, %d impostor scores from %d probes",
        len(genuine),
        len(impostor),
        len(chosen),
    )
    return ScoreDistributions(
        np.array(genuine),
        np.array(impostor),
        hit=policy.hit,
        review=policy.review,
        probes=tuple(k for _, k, _ in chosen),
        fingers=fingers,
    )


@dataclass(frozen=True)
class ThresholdService:
    """What the threshold explorer needs: a gallery file and the policy (plain data, so the
    work can run on another thread with its own read-only connection).

    Attributes
    ----------
    gallery_path : Path
    policy : DispositionPolicy
    probes, impostors : int
    fingers : tuple of str
    """

    gallery_path: Path
    policy: DispositionPolicy = field(default_factory=DispositionPolicy)
    probes: int = DEFAULT_PROBES
    impostors: int = DEFAULT_IMPOSTORS
    fingers: tuple[str, ...] = tuple(FINGERS)

    def distributions(
        self,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> ScoreDistributions:
        """Open the gallery read-only (on the calling thread) and score it
        (:func:`score_distributions`)."""
        with open_gallery(Path(self.gallery_path), readonly=True) as gallery:
            return score_distributions(
                gallery,
                policy=self.policy,
                probes=self.probes,
                impostors=self.impostors,
                fingers=self.fingers,
                progress=progress,
                cancelled=cancelled,
            )
