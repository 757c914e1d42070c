"""Choosing the synthetic subject to book (the station's "Generate synthetic subject")."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.core.synth.holdings import holdings
from station.core.synth.population import demographics
from station.gallery import Gallery, open_gallery
from station.service import SyntheticSubject, pick_subject
from station.service import synthetic as synthetic_module
from station.service.synthetic import NEW_SUBJECT_IDS, SUBJECT_KINDS


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Gallery]:
    """Synthetic subjects 3 and 7 of population 0, 5 of population 1, one non-synthetic."""
    with open_gallery(tmp_path / "small.sqlite", create=True) as gallery:
        for k, population in ((3, 0), (7, 0), (5, 1)):
            gallery.add_subject(
                demographics(k, population=population), synthetic_id=k, population=population
            )
        gallery.add_subject({"last_name": "Walk-in", "first_name": "Real"})
        yield gallery


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[Gallery]:
    with open_gallery(tmp_path / "empty.sqlite", create=True) as gallery:
        yield gallery


def test_kinds_are_gallery_new_and_the_scenarios() -> None:
    assert SUBJECT_KINDS == (
        "gallery",
        "new",
        "swapped",
        "poor-finger",
        "amputated",
        "dirty-platen",
        "timeout",
        "disconnect",
    )


def test_an_enrolled_number_gives_that_subject_and_their_demographics(small: Gallery) -> None:
    subject = pick_subject(small, "gallery", 7)
    assert subject == SyntheticSubject("gallery", 7, 0, demographics(7, population=0))


def test_a_number_not_enrolled_is_refused_for_a_gallery_subject(small: Gallery) -> None:
    with pytest.raises(ValueError, match=r"#5 is not in this gallery — choose another number"):
        pick_subject(small, "gallery", 5)  # enrolled, but in population 1
    assert pick_subject(small, "gallery", 5, population=1).demographics == demographics(
        5, population=1
    )


def test_a_scenario_with_a_number_takes_it_enrolled_or_not(small: Gallery) -> None:
    subject = pick_subject(small, "swapped", 11)
    assert (subject.kind, subject.synthetic_id) == ("swapped", 11)
    assert subject.demographics == demographics(11)


@pytest.mark.parametrize("kind", ["gallery", "poor-finger", "disconnect"])
def test_any_picks_among_the_enrolled_of_the_population(small: Gallery, kind: str) -> None:
    rng = random.Random(1)
    picked = {pick_subject(small, kind, -1, rng=rng).synthetic_id for _ in range(40)}
    assert picked == {3, 7}
    assert pick_subject(small, kind, population=1).synthetic_id == 5


def test_any_in_a_gallery_without_synthetic_subjects_says_what_to_do(empty: Gallery) -> None:
    with pytest.raises(ValueError, match=r"no synthetic subjects — seed it \(station seed\)"):
        pick_subject(empty, "gallery")
    with pytest.raises(ValueError, match="no synthetic subjects"):
        pick_subject(empty, "timeout")


def test_a_new_subject_with_a_number_is_that_number(small: Gallery) -> None:
    assert pick_subject(small, "new", 3).synthetic_id == 3  # the officer's choice stands


def test_a_new_subject_drawn_has_no_records_and_is_not_enrolled(tmp_path: Path) -> None:
    with open_gallery(tmp_path / "g.sqlite", create=True) as gallery:
        k = pick_subject(gallery, "new", rng=random.Random(5)).synthetic_id
        assert k in NEW_SUBJECT_IDS
        assert holdings(k) == []
        gallery.add_subject(demographics(k), synthetic_id=k)
        # the same draws now skip the enrolled subject
        other = pick_subject(gallery, "new", rng=random.Random(5)).synthetic_id
    assert other != k and other in NEW_SUBJECT_IDS and holdings(other) == []


def test_a_new_subject_gives_up_when_every_draw_is_held(
    empty: Gallery, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synthetic_module, "holdings", lambda k, population: ["local"])
    with pytest.raises(ValueError, match="no unused synthetic subject found — type a number"):
        pick_subject(empty, "new", rng=random.Random(0))


@pytest.mark.parametrize(
    ("kind", "number", "population", "message"),
    [
        ("nobody", -1, 0, "unknown kind of subject 'nobody'"),
        ("normal", -1, 0, "unknown kind of subject 'normal'"),
        ("new", -2, 0, "synthetic_id must be a whole number of at least -1, got -2"),
        ("new", 1.5, 0, "synthetic_id must be a whole number"),
        ("gallery", 3, -1, "population must be a whole number of at least 0, got -1"),
    ],
)
def test_bad_requests_are_refused(
    small: Gallery, kind: str, number: object, population: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        pick_subject(small, kind, number, population=population)
