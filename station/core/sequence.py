"""The sequence check: do the rolled prints sit in the right finger positions?

On a live-scan station the ten rolled prints are followed by the plain "4-4-2" slaps. A slap
cannot be taken out of order — the fingers lie side by side on the platen — so each finger
cut out of a slap must match the rolled print of the same position. A rolled print that does
not match its slap segment was rolled out of order or on the wrong hand; when two rolled
prints each match the other's slap segment, the two were swapped (FBI EBTS: the "sequence
check" of a tenprint submission).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .template import Template
from .vocabulary import FINGERS, SLAP_FINGERS

__all__ = ["SequenceResult", "sequence_check", "slap_crops"]


def slap_crops(
    image: np.ndarray,
    slap: str,
    boxes: Sequence[tuple[int, int, int, int]],
    absent: Sequence[str] = (),
) -> dict[str, np.ndarray]:
    """Cut the fingers out of a slap image.

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        The slap at 500 ppi.
    slap : {'RS', 'LS', 'TS'}
    boxes : sequence of (row0, col0, row1, col1)
        Fingertip boxes left to right (px, ends exclusive), one per finger present.
    absent : sequence of str
        Fingers of this slap not on the platen (amputated or unable to print).

    Returns
    -------
    crops : dict of str to ndarray
        Finger code → its fingertip image (a view of ``image``).

    Raises
    ------
    ValueError
        The number of boxes does not match the fingers present.
    """
    present = [f for f in SLAP_FINGERS[slap] if f not in set(absent)]
    if len(boxes) != len(present):
        raise ValueError(
            f"slap {slap}: found {len(boxes)} fingertip(s) but expected {len(present)} "
            f"({', '.join(present)}); recapture the slap with the fingers apart"
        )
    return {f: image[r0:r1, c0:c1] for f, (r0, c0, r1, c1) in zip(present, boxes, strict=True)}


@dataclass(frozen=True)
class SequenceResult:
    """The outcome of a sequence check.

    Attributes
    ----------
    scores : mapping of str to float
        Finger → matcher score of its rolled print against its slap segment.
    mismatched : tuple of str
        Fingers whose rolled print does not match their own slap segment.
    swaps : tuple of (str, str)
        Pairs of mismatched fingers each of whose rolled print matches the other's segment.
    unchecked : tuple of str
        Fingers with a rolled print but no usable slap segment, or the reverse.
    """

    scores: Mapping[str, float]
    mismatched: tuple[str, ...] = ()
    swaps: tuple[tuple[str, str], ...] = ()
    unchecked: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when every checked finger matched its slap segment."""
        return not self.mismatched

    def message(self) -> str:
        """One line for the officer."""
        if self.swaps:
            pairs = ", ".join(f"{a} and {b}" for a, b in self.swaps)
            return f"Sequence check failed: {pairs} look swapped — re-roll them in order"
        if self.mismatched:
            return (
                "Sequence check failed: "
                + ", ".join(self.mismatched)
                + " do not match the slaps — re-roll them or recapture the slaps"
            )
        if not self.scores:
            return "Sequence check not done: no finger has both a rolled print and a slap"
        return f"Sequence check passed ({len(self.scores)} fingers)"

    def as_dict(self) -> dict[str, object]:
        return {
            "passed": self.passed,
            "scores": {f: round(float(s), 4) for f, s in self.scores.items()},
            "mismatched": list(self.mismatched),
            "swaps": [list(pair) for pair in self.swaps],
            "unchecked": list(self.unchecked),
            "message": self.message(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SequenceResult:
        """The result :meth:`as_dict` gave (``passed`` and ``message`` are derived again).

        Raises
        ------
        ValueError
            ``data`` is not a mapping with ``scores``, ``mismatched``, ``swaps`` and
            ``unchecked`` of the right shapes.

        Examples
        --------
        >>> r = SequenceResult({"R2": 0.5}, unchecked=("R3",))
        >>> SequenceResult.from_dict(r.as_dict()) == r
        True
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a sequence check result must be an object, got {data!r}")
        try:
            scores = {str(f): float(s) for f, s in dict(data["scores"]).items()}
            swaps = tuple((str(a), str(b)) for a, b in data["swaps"])
            mismatched = tuple(str(f) for f in data["mismatched"])
            unchecked = tuple(str(f) for f in data["unchecked"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed sequence check result {dict(data)!r}: {exc}") from None
        return cls(scores, mismatched=mismatched, swaps=swaps, unchecked=unchecked)


def sequence_check(
    rolled: Mapping[str, Template],
    plain: Mapping[str, Template],
    *,
    threshold: float,
) -> SequenceResult:
    """Compare each rolled print with the slap segment of the same finger position.

    Parameters
    ----------
    rolled : mapping of str to Template
        Finger → template of its rolled print.
    plain : mapping of str to Template
        Finger → template of its segment cut from a slap.
    threshold : float
        Matcher score (0 … 1) at or above which two prints are of one finger; a low-FMR
        threshold from :func:`station.core.match.threshold`.

    Returns
    -------
    SequenceResult
    """
    from .match import compare

    both = [f for f in FINGERS if f in rolled and f in plain]
    unchecked = tuple(f for f in FINGERS if (f in rolled) != (f in plain))
    scores: dict[str, float] = {f: compare(rolled[f], plain[f]) for f in both}
    mismatched = [f for f in both if scores[f] < threshold]
    swaps: list[tuple[str, str]] = []
    paired: set[str] = set()
    for n, a in enumerate(mismatched):
        for b in mismatched[n + 1 :]:
            if a in paired or b in paired:
                continue
            if (
                compare(rolled[a], plain[b]) >= threshold
                and compare(rolled[b], plain[a]) >= threshold
            ):
                swaps.append((a, b))
                paired.update((a, b))
    return SequenceResult(
        scores=MappingProxyType(scores),
        mismatched=tuple(mismatched),
        swaps=tuple(swaps),
        unchecked=unchecked,
    )
