"""Synthetic holdings: who is on record, pinned subject by subject (the gallery tests depend
on exactly which subjects are held)."""

from __future__ import annotations

import pytest

from station.core.synth.holdings import Holding, holdings
from station.core.synth.rng import HOLDINGS
from station.core.vocabulary import Repository


def _summary(subject: int, population: int = 0) -> list[tuple[str, int | None, str | None]]:
    return [(h.repository.value, h.offence_level, h.charge) for h in holdings(subject, population)]


def test_first_subjects_are_pinned() -> None:
    assert _summary(0) == [("local", None, None), ("state", 3, "vandalism")]
    assert _summary(3) == [
        ("local", None, None),
        ("federal-criminal", 2, "auto theft"),
        ("federal-immigration", None, None),
    ]
    assert _summary(4) == [("state", 2, "grand larceny"), ("federal-criminal", 3, "petty theft")]
    assert _summary(6) == [] and _summary(11) == []
    assert _summary(10) == [
        ("federal-criminal", 1, "armed robbery"),
        ("federal-immigration", None, None),
    ]


def test_record_numbers_name_population_and_subject() -> None:
    assert holdings(5, 2) == [
        Holding(Repository.LOCAL, "LOC-020000005"),
        Holding(Repository.STATE, "SID-020000005", 3, "petty theft"),
    ]


def test_only_criminal_records_carry_offences() -> None:
    for k in range(200):
        for h in holdings(k):
            criminal = h.repository in (Repository.STATE, Repository.FEDERAL_CRIMINAL)
            assert (h.offence_level is not None) == criminal
            assert (h.charge is not None) == criminal


def test_share_held_and_stream() -> None:
    assert sum(1 for k in range(1000) if holdings(k)) == 807  # NONE_SHARE 0.2
    assert HOLDINGS == 0x5EED  # the seed constant the holdings always had


def test_bad_subject_is_refused() -> None:
    with pytest.raises(ValueError, match="subject must be"):
        holdings(-1)
    with pytest.raises(ValueError, match="population must be a whole number"):
        holdings(0, population=1.5)  # type: ignore[arg-type]
