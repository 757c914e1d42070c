"""Synthetic holdings: who is on record, pinned subject by subject (the gallery tests depend
on exactly which subjects are held), with each subject's profile and agency histories."""

from __future__ import annotations

from collections import Counter

import pytest

from station.core.offences import OFFENCES
from station.core.synth.holdings import (
    Arrest,
    Encounter,
    Holding,
    Profile,
    holdings,
    profile,
)
from station.core.synth.rng import HOLDINGS
from station.core.vocabulary import Repository

_CPCS3 = "Criminal possession of a controlled substance in the third degree"


def _summary(subject: int, population: int = 0) -> list[tuple[str, int | None, str | None]]:
    return [(h.repository.value, h.offence_level, h.charge) for h in holdings(subject, population)]


def test_first_subjects_are_pinned() -> None:
    assert _summary(0) == [("local", None, None)]
    assert _summary(2) == [("federal-immigration", None, None)]
    assert _summary(3) == [("state", 2, _CPCS3), ("federal-criminal", 2, _CPCS3)]
    assert _summary(4) == [("local", None, None), ("federal-immigration", None, None)]
    assert _summary(6) == [] and _summary(11) == []
    assert _summary(9) == [
        ("state", 3, "Disorderly conduct"),
        ("federal-criminal", 1, "Arson in the first degree"),
        ("federal-immigration", None, None),
    ]


def test_profiles_of_the_first_subjects() -> None:
    got = [profile(k) for k in range(10)]
    assert got == [
        Profile.LOCAL_ONLY,
        Profile.LOCAL_ONLY,
        Profile.REMOVED_RETURNED,
        Profile.CRIMINAL,
        Profile.IMMIGRATION,
        Profile.IMMIGRATION,
        Profile.UNKNOWN,
        Profile.CRIMINAL,
        Profile.CRIMINAL,
        Profile.BOTH,
    ]


def test_record_numbers_name_population_and_subject() -> None:
    assert holdings(5, 2) == [
        Holding(Repository.LOCAL, "LOC-020000005"),
        Holding(
            Repository.STATE,
            "SID-020000005",
            3,
            "Resisting arrest",
            arrests=(
                Arrest(
                    "2016-07-20",
                    "NY PL 205.30",
                    "Resisting arrest",
                    3,
                    "convicted",
                ),
            ),
        ),
    ]


def test_state_holds_in_state_arrests_ngi_all_of_them() -> None:
    state, fbi, _ = holdings(9)
    assert [a.date for a in fbi.arrests] == ["2019-07-25", "2021-09-11", "2023-03-08"]
    assert [a.date for a in state.arrests] == ["2019-07-25"]  # the others out of state
    assert fbi.arrests[2].statute == "NY PL 150.20" and fbi.arrests[2].disposition == "convicted"


def test_removed_and_returned_has_removal_then_reentry() -> None:
    (ident,) = holdings(2)
    assert ident.a_number == "A000000002" and ident.status == "previously removed"
    assert ident.encounters == (
        Encounter("border entry", "2000-12-22", "El Paso, TX"),
        Encounter("removal", "2013-10-24", "removed via El Paso, TX"),
        Encounter("re-entry", "2025-11-21", "JFK International Airport, NY"),
    )
    assert ident.history() == {
        "a_number": "A000000002",
        "status": "previously removed",
        "encounters": [e.to_json() for e in ident.encounters],
    }


def test_charges_come_from_the_offence_table() -> None:
    drawn = {a.statute for k in range(300) for h in holdings(k) for a in h.arrests}
    table = {o.statute: o for o in OFFENCES}
    assert drawn <= set(table)
    for k in range(300):
        for h in holdings(k):
            for a in h.arrests:
                assert (a.charge, a.level) == (table[a.statute].description, table[a.statute].level)


def test_only_criminal_records_carry_offences_and_arrests() -> None:
    for k in range(200):
        for h in holdings(k):
            criminal = h.repository in (Repository.STATE, Repository.FEDERAL_CRIMINAL)
            assert (h.offence_level is not None) == criminal == bool(h.arrests)
            assert (h.charge is not None) == criminal
            assert bool(h.encounters) == (h.repository is Repository.FEDERAL_IMMIGRATION)
            if criminal:
                assert h.offence_level == min(a.level for a in h.arrests)


def test_profile_counts_of_a_thousand_subjects() -> None:
    counts = Counter(profile(k) for k in range(1000))
    assert counts == {
        Profile.UNKNOWN: 193,
        Profile.LOCAL_ONLY: 162,
        Profile.CRIMINAL: 362,
        Profile.IMMIGRATION: 125,
        Profile.BOTH: 94,
        Profile.REMOVED_RETURNED: 64,
    }


def test_share_held_and_stream() -> None:
    assert sum(1 for k in range(1000) if holdings(k)) == 807  # NONE_SHARE 0.2
    assert HOLDINGS == 0x5EED  # the seed constant the holdings always had


def test_bad_subject_is_refused() -> None:
    with pytest.raises(ValueError, match="subject must be"):
        holdings(-1)
    with pytest.raises(ValueError, match="population must be a whole number"):
        holdings(0, population=1.5)  # type: ignore[arg-type]
