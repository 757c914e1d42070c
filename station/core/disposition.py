"""Disposition rules: what a booking's search result means for the officer.

Pure functions over plain data (no gallery, no Qt), in the order a submission goes through
them:

1. :func:`quality_gate` — fingers whose print is too poor must be recaptured before a search
   (a station asks again, and lets the officer override after a few tries; NIST NFIQ levels
   1 excellent … 5 poor).
2. :func:`dispose` — the ranked candidates of the tenprint search against the thresholds of
   the repositories that hold each candidate: ``HIT`` (one subject clearly identified),
   ``REVIEW`` (a candidate an examiner must confirm or reject), ``NO HIT``.

Thresholds are on the fused score, the sum of the per-finger scores of the full matcher
(:class:`station.core.match.Candidate`). Their defaults are measured by
``station bench --only booking`` (see README, "Disposition").
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from .vocabulary import FINGERS, Disposition

__all__ = [
    "DispositionPolicy",
    "FingerStatus",
    "Thresholds",
    "Verdict",
    "dispose",
    "quality_gate",
]


@dataclass(frozen=True)
class Thresholds:
    """Fused-score thresholds of one repository.

    Attributes
    ----------
    hit : float
        A top candidate scoring at least this is a HIT.
    review : float
        A candidate scoring at least this (and below ``hit``) goes to an examiner.
    """

    hit: float = 1.0
    review: float = 0.25

    def __post_init__(self) -> None:
        if not (math.isfinite(self.review) and math.isfinite(self.hit)):
            raise ValueError(f"thresholds must be finite numbers, got {self.review}, {self.hit}")
        if not 0.0 < self.review <= self.hit:
            raise ValueError(f"thresholds need 0 < review <= hit, got {self.review}, {self.hit}")


@dataclass(frozen=True)
class DispositionPolicy:
    """The station's disposition policy (``[disposition]`` in the settings file).

    Attributes
    ----------
    hit, review : float
        Default fused-score thresholds (see :class:`Thresholds`).
    recapture_level : int
        A finger whose quality level (1 best … 5 worst) is this or worse must be recaptured.
    max_attempts : int
        After this many captures of a finger the officer may submit it anyway.
    min_fingers : int
        Usable fingers a search needs; fewer is an ERROR (nothing to search with).
    candidates : int
        Candidates listed in a response.
    repositories : mapping of str to Thresholds
        Per-repository thresholds replacing the defaults.
    """

    hit: float = 1.0
    review: float = 0.25
    recapture_level: int = 5
    max_attempts: int = 3
    min_fingers: int = 1
    candidates: int = 5
    repositories: Mapping[str, Thresholds] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Thresholds(self.hit, self.review)  # validates
        if not 1 <= self.recapture_level <= 5:
            raise ValueError(f"recapture_level must be 1..5, got {self.recapture_level}")
        for name in ("max_attempts", "min_fingers", "candidates"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        repositories = dict(self.repositories)
        for repo, value in repositories.items():
            if not isinstance(value, Thresholds):
                raise ValueError(f"repository {repo!r}: thresholds must be Thresholds")
        object.__setattr__(self, "repositories", MappingProxyType(repositories))

    def thresholds(self, repository: str) -> Thresholds:
        """The thresholds that apply to a candidate held in ``repository``."""
        return self.repositories.get(repository) or Thresholds(self.hit, self.review)


@dataclass(frozen=True)
class FingerStatus:
    """One finger of a booking as the quality gate sees it.

    Attributes
    ----------
    finger : str
        ``R1`` … ``L5``.
    level : int or None
        Quality level 1 … 5 of the latest capture; ``None`` when not captured.
    attempts : int
        Captures taken of this finger.
    annotation : str or None
        ``'XX'`` (amputated) or ``'UP'`` (unable to print): not captured on purpose.
    reason : str
        The extractor's plain-words reason for a low quality.
    accepted : bool
        The officer accepted this capture as it is (with a reason) although its level asks
        for a recapture: it is searched, not sent back.
    """

    finger: str
    level: int | None = None
    attempts: int = 0
    annotation: str | None = None
    reason: str = ""
    accepted: bool = False


def quality_gate(
    fingers: Sequence[FingerStatus], policy: DispositionPolicy
) -> tuple[list[FingerStatus], list[str]]:
    """Split a booking's fingers into those to recapture and those to search.

    Parameters
    ----------
    fingers : sequence of FingerStatus
        One entry per finger position that was captured or annotated.
    policy : DispositionPolicy

    Returns
    -------
    recapture : list of FingerStatus
        Captured fingers at ``recapture_level`` or worse with fewer than ``max_attempts``
        tries and not accepted by the officer, in capture order.
    usable : list of str
        Fingers to search with: captured, and either good enough or overridden by the
        officer after ``max_attempts`` tries (a print at level 5 with no minutiae is
        searched as nothing).
    """
    recapture, usable = [], []
    order: dict[str, int] = {f: n for n, f in enumerate(FINGERS)}
    for status in sorted(fingers, key=lambda s: order.get(s.finger, 99)):
        if status.annotation is not None or status.level is None:
            continue
        if (
            status.level >= policy.recapture_level
            and status.attempts < policy.max_attempts
            and not status.accepted
        ):
            recapture.append(status)
        else:
            usable.append(status.finger)
    return recapture, usable


@dataclass(frozen=True)
class Verdict:
    """What a search result means.

    Attributes
    ----------
    disposition : Disposition
        ``HIT``, ``NO HIT`` or ``REVIEW``.
    subject : hashable or None
        The identified subject on a HIT.
    repositories : tuple of str
        On a HIT, the repositories whose threshold the score reached.
    review : tuple of hashable
        On REVIEW, the candidates an examiner must look at, best first.
    """

    disposition: Disposition
    subject: Hashable | None = None
    repositories: tuple[str, ...] = ()
    review: tuple[Hashable, ...] = ()


def dispose(
    scores: Sequence[tuple[Hashable, float]],
    holdings: Mapping[Hashable, Sequence[str]],
    policy: DispositionPolicy,
) -> Verdict:
    """Decide HIT, REVIEW or NO HIT from ranked candidates.

    Parameters
    ----------
    scores : sequence of (subject, fused score)
        Candidates best first.
    holdings : mapping of subject to sequence of str
        The repositories that hold each candidate (a candidate in none uses the defaults).
    policy : DispositionPolicy

    Returns
    -------
    Verdict
        HIT when the top candidate reaches the HIT threshold of at least one of its
        repositories and no other candidate reaches a HIT threshold too (two would need an
        examiner); REVIEW when a candidate reaches a REVIEW threshold; NO HIT otherwise.
    """

    def limits(subject: Hashable) -> list[tuple[str, Thresholds]]:
        repos = list(holdings.get(subject) or ())
        return [(r, policy.thresholds(r)) for r in repos] or [("", policy.thresholds(""))]

    strong = [s for s, score in scores if any(score >= t.hit for _, t in limits(s))]
    if len(strong) == 1 and scores and strong[0] == scores[0][0]:
        top, score = scores[0]
        reached = tuple(r for r, t in limits(top) if r and score >= t.hit)
        return Verdict(Disposition.HIT, subject=top, repositories=reached)
    doubtful = tuple(s for s, score in scores if any(score >= t.review for _, t in limits(s)))
    if doubtful:
        return Verdict(Disposition.REVIEW, review=doubtful)
    return Verdict(Disposition.NO_HIT)
