"""Synthetic demographics: stable per subject and plausible."""

from __future__ import annotations

import pytest

from station.core.synth.population import demographics


def test_demographics_are_stable_and_plausible() -> None:
    a, b = demographics(9, population=2), demographics(9, population=2)
    assert a == b and a != demographics(10, population=2)
    assert a.sex in {"M", "F"}
    assert 56 <= int(a.height[0]) * 12 + int(a.height[1:]) <= 82
    assert 1950 < a.date_of_birth.year < 2009
    assert set(a.as_dict()) >= {"last_name", "first_name", "date_of_birth", "place_of_birth"}


def test_demographics_refuse_bad_seeds() -> None:
    with pytest.raises(ValueError, match="subject must be"):
        demographics(-1)
