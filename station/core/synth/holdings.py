"""Synthetic ground truth of who is on record: which repositories hold subject ``k``.

Every synthetic subject ``k`` of population ``s`` has a fixed fate: most are held by one or
more repositories (the jail's own ``local`` records, the ``state`` repository, the FBI's
criminal repository, DHS's immigration repository — Secure Communities, 2009), some by none:
those exist in the population but are never enrolled, so booking them gives NO HIT. Criminal
records (``state``, ``federal-criminal``) carry an offence level (Level 1 the most serious) and
an example charge. Everything is made up and drawn from the ``HOLDINGS`` random stream of
:mod:`station.core.synth.rng`, so it depends only on ``(population, subject)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..vocabulary import Repository
from . import rng as rngs

__all__ = ["NONE_SHARE", "OFFENCE_LEVELS", "REPOSITORY_SHARES", "Holding", "holdings"]

#: Share of the population held by no repository (never enrolled).
NONE_SHARE = 0.2
#: Chance that a held subject has a record in each repository (drawn in this order).
REPOSITORY_SHARES: dict[Repository, float] = {
    Repository.LOCAL: 0.6,
    Repository.STATE: 0.45,
    Repository.FEDERAL_CRIMINAL: 0.35,
    Repository.FEDERAL_IMMIGRATION: 0.15,
}
#: Offence levels of criminal records (Secure Communities, 2009: Level 1 the most serious)
#: with their chance, and example charges.
OFFENCE_LEVELS: dict[int, tuple[float, tuple[str, ...]]] = {
    1: (0.15, ("homicide", "rape", "kidnapping", "armed robbery")),
    2: (0.35, ("burglary", "grand larceny", "fraud", "auto theft")),
    3: (0.50, ("petty theft", "vandalism", "trespass", "disorderly conduct")),
}
_CRIMINAL = (Repository.STATE, Repository.FEDERAL_CRIMINAL)
_PREFIX = {
    Repository.LOCAL: "LOC",
    Repository.STATE: "SID",
    Repository.FEDERAL_CRIMINAL: "FBI",
    Repository.FEDERAL_IMMIGRATION: "FIN",
}


@dataclass(frozen=True)
class Holding:
    """A record of a subject in one repository.

    Attributes
    ----------
    repository : Repository
        Which repository holds the record.
    record_number : str
        The repository's number for the subject, e.g. ``"SID-000000042"``.
    offence_level : int or None
        1 (most serious) to 3, on criminal records only.
    charge : str or None
        An example charge of that level, on criminal records only.
    """

    repository: Repository
    record_number: str
    offence_level: int | None = None
    charge: str | None = None


def holdings(subject: int, population: int = 0) -> list[Holding]:
    """The repository records of synthetic subject ``subject`` (empty: held by none).

    Parameters
    ----------
    subject : int
        Synthetic subject number (>= 0).
    population : int
        Population seed (>= 0).

    Returns
    -------
    list of Holding
        In the order of ``REPOSITORY_SHARES``; deterministic in ``(population, subject)``.

    Examples
    --------
    >>> [h.repository.value for h in holdings(0)]
    ['local', 'state']
    >>> record = holdings(0)[1]
    >>> record.record_number, record.offence_level, record.charge
    ('SID-000000000', 3, 'vandalism')
    """
    subject = rngs.check_seed("subject", subject)
    population = rngs.check_seed("population", population)
    rng = rngs.stream(population, subject, rngs.HOLDINGS)
    if rng.random() < NONE_SHARE:
        return []
    held = [repo for repo, share in REPOSITORY_SHARES.items() if rng.random() < share]
    if not held:
        held = [Repository.LOCAL]
    out = []
    for repo in held:
        number = f"{_PREFIX[repo]}-{population:02d}{subject:07d}"
        level = charge = None
        if repo in _CRIMINAL:
            levels = list(OFFENCE_LEVELS)
            level = int(rng.choice(levels, p=[OFFENCE_LEVELS[v][0] for v in levels]))
            charge = str(rng.choice(OFFENCE_LEVELS[level][1]))
        out.append(Holding(repo, number, level, charge))
    return out
