"""Choosing the synthetic subject to book: who is on the mock scanner's platen, and their details.

The station's "Generate synthetic subject" asks for a kind of subject and, optionally, a
number: an enrolled gallery subject (the booking should HIT), a new subject the gallery does
not know (NO HIT), or a scenario acted out by an enrolled subject (swapped fingers, a poor
finger, a dirty platen …). :func:`pick_subject` makes that choice against the gallery and
returns the subject's synthetic demographics; the interface only shows them.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from station.core.synth.holdings import holdings
from station.core.synth.population import Demographics, demographics
from station.gallery import Gallery
from station.scanner import SCENARIOS

__all__ = ["NEW_SUBJECT_IDS", "SUBJECT_KINDS", "SyntheticSubject", "pick_subject"]

log = logging.getLogger(__name__)

#: What can be asked for: an enrolled subject, a new one, or a scenario (acted out by an
#: enrolled subject unless a number is given).
SUBJECT_KINDS: tuple[str, ...] = ("gallery", "new", *(s for s in SCENARIOS if s != "normal"))
#: Synthetic ids a new subject is drawn from when none is given (far above seeded ids).
NEW_SUBJECT_IDS = range(100_000, 1_000_000)
#: Draws of a new subject before giving up.
_NEW_TRIES = 1000
#: Enrolled subjects considered when the station chooses one.
_GALLERY_SAMPLE = 1000


@dataclass(frozen=True)
class SyntheticSubject:
    """The synthetic subject chosen for a booking.

    Attributes
    ----------
    kind : str
        What was asked for (one of :data:`SUBJECT_KINDS`): the platen choice.
    synthetic_id, population : int
        The synthetic subject on the platen: the mock scanner prints their fingers.
    demographics : Demographics
        Their name, date of birth, sex and description, for the booking form.
    """

    kind: str
    synthetic_id: int
    population: int
    demographics: Demographics


def pick_subject(
    gallery: Gallery,
    kind: str,
    synthetic_id: int = -1,
    *,
    population: int = 0,
    rng: random.Random | None = None,
) -> SyntheticSubject:
    """Choose the synthetic subject for a booking.

    Parameters
    ----------
    gallery : Gallery
        The station's gallery (read only: which synthetic subjects are enrolled).
    kind : str
        One of :data:`SUBJECT_KINDS`.
    synthetic_id : int
        The subject's number, or -1 to let the station choose: for ``'new'`` an id in
        :data:`NEW_SUBJECT_IDS` with no records and not enrolled; otherwise a random enrolled
        subject of ``population``.
    population : int
        Synthetic population.
    rng : random.Random, optional
        Source of the random choices (a fresh unseeded one by default).

    Returns
    -------
    subject : SyntheticSubject

    Raises
    ------
    ValueError
        ``kind`` is unknown or ``synthetic_id``/``population`` is not a whole number in range;
        or no subject fits: a ``'gallery'`` number that is not enrolled, a gallery without
        synthetic subjects of ``population``, or no unused new id found. The message says
        what the officer can do instead.

    Examples
    --------
    >>> from station.gallery import open_gallery
    >>> with open_gallery(":memory:", create=True) as gallery:
    ...     subject = pick_subject(gallery, "new", 123_456)
    >>> subject.synthetic_id, subject.demographics.sex in ("M", "F")
    (123456, True)
    """
    if kind not in SUBJECT_KINDS:
        raise ValueError(f"unknown kind of subject {kind!r}: use one of {', '.join(SUBJECT_KINDS)}")
    for name, value, low in (("synthetic_id", synthetic_id, -1), ("population", population, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be a whole number of at least {low}, got {value!r}")
    rng = rng if rng is not None else random.Random()
    if kind == "new":
        k = synthetic_id if synthetic_id >= 0 else _unused_id(gallery, population, rng)
    elif synthetic_id >= 0:
        if kind == "gallery" and gallery.subject_by_synthetic(synthetic_id, population) is None:
            raise ValueError(
                f"Synthetic subject #{synthetic_id} is not in this gallery — choose another "
                "number, 'any', or a new subject"
            )
        k = synthetic_id
    else:
        k = _enrolled_id(gallery, population, rng)
    log.info("synthetic subject #%d of population %d (%s)", k, population, kind)
    return SyntheticSubject(kind, k, population, demographics(k, population=population))


def _unused_id(gallery: Gallery, population: int, rng: random.Random) -> int:
    """A random new-subject id that no repository holds and the gallery has not enrolled."""
    for _ in range(_NEW_TRIES):
        k = rng.randrange(NEW_SUBJECT_IDS.start, NEW_SUBJECT_IDS.stop)
        if not holdings(k, population) and gallery.subject_by_synthetic(k, population) is None:
            return k
    raise ValueError("no unused synthetic subject found — type a number instead")


def _enrolled_id(gallery: Gallery, population: int, rng: random.Random) -> int:
    """A random enrolled synthetic subject of ``population`` (among the first enrolled)."""
    ids = [
        int(row["synthetic_id"])
        for row in gallery.subjects(limit=_GALLERY_SAMPLE)
        if row.get("synthetic_id") is not None and row.get("population") == population
    ]
    if not ids:
        raise ValueError(
            "The gallery holds no synthetic subjects — seed it (station seed) or book a new subject"
        )
    return rng.choice(ids)
