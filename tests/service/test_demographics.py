"""The one demographics check: fields named, bounds, characters, dates, numbers, JSON limits."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core.synth.population import demographics
from station.service.demographics import (
    DemographicsError,
    check_demographics,
    clean_demographics,
    read_demographics_file,
)

TODAY = dt.date(2026, 6, 1)
GOOD = {
    "last_name": "O'Brien-Núñez",
    "first_name": "J. Anne",
    "middle_initial": "Q",
    "date_of_birth": "1980-04-05",
    "sex": "F",
    "height": "507",
    "weight": 140,
    "eye_colour": "BRO",
    "hair_colour": "BLK",
    "place_of_birth": "TX",
}


def _fields(data: dict) -> list[str]:
    return [p.field for p in check_demographics(data, today=TODAY)]


def test_good_demographics_pass_and_are_cleaned() -> None:
    assert check_demographics(GOOD, today=TODAY) == []
    assert clean_demographics({**GOOD, "last_name": "  Doe  ", "height": ""}, today=TODAY) == {
        **{k: v for k, v in GOOD.items() if k != "height"},
        "last_name": "Doe",
    }


def test_every_synthetic_subject_passes() -> None:
    for k in range(200):
        assert check_demographics(demographics(k).as_dict()) == [], k


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"first_name": None}, "first_name", "First name is required"),
        ({"last_name": "x" * 51}, "last_name", "longer than 50 characters"),
        ({"last_name": "Doe\u202eeoD"}, "last_name", "bidirectional override (U+202E)"),
        ({"last_name": "Doe\u2066"}, "last_name", "bidirectional override (U+2066)"),
        ({"first_name": "Jo\x07"}, "first_name", "control character (U+0007)"),
        ({"last_name": "<script>"}, "last_name", "may hold only letters"),
        ({"last_name": "<b>NO HIT</b>"}, "last_name", "not '/' '<' '>'"),
        ({"last_name": "123"}, "last_name", "may hold only letters"),
        ({"last_name": "--"}, "last_name", "must contain letters"),
        ({"last_name": 5}, "last_name", "must be text, not int"),
        ({"middle_initial": "AB"}, "middle_initial", "one letter"),
        ({"date_of_birth": "2027-01-01"}, "date_of_birth", "in the past"),
        ({"date_of_birth": "1899-12-31"}, "date_of_birth", "before 1900"),
        ({"date_of_birth": "05/04/1980"}, "date_of_birth", "YYYY-MM-DD"),
        ({"date_of_birth": "19800405"}, "date_of_birth", "YYYY-MM-DD"),
        ({"date_of_birth": None}, "date_of_birth", "YYYY-MM-DD"),
        ({"sex": "Q"}, "sex", "M, F, X or U"),
        ({"height": "5ft"}, "height", "three digits"),
        ({"height": "512"}, "height", "inches 00-11"),
        ({"height": "911"}, "height", "3-8 ft"),
        ({"weight": 10**30}, "weight", "50-999 (got 10000000000000000000…)"),
        ({"weight": 12}, "weight", "50-999"),
        ({"weight": 150.5}, "weight", "whole number"),
        ({"weight": True}, "weight", "whole number"),
        ({"weight": "150"}, "weight", "whole number"),
        ({"eye_colour": "brown"}, "eye_colour", "three-letter code"),
        ({"place_of_birth": "x" * 61}, "place_of_birth", "longer than 60"),
        ({"place_of_birth": "T\nX"}, "place_of_birth", "control character (U+000A)"),
        ({"place_of_birth": "TX\u0085X"}, "place_of_birth", "control character (U+0085)"),
        ({"alias": "x"}, "", "unknown field(s) 'alias'"),
    ],
)
def test_each_problem_names_its_field(change: dict, field: str, words: str) -> None:
    problems = check_demographics({**GOOD, **change}, today=TODAY)
    assert [p.field for p in problems] == [field]
    assert words in problems[0].message
    with pytest.raises(DemographicsError, match=f"field {field}" if field else "unknown"):
        clean_demographics({**GOOD, **change}, today=TODAY)


def test_unicode_letters_are_names() -> None:
    for name in ("Ærøskøbing", "Łukasz", "Ñandú", "Δημήτρης", "Иванов", "김", "O’Neil"):
        assert _fields({**GOOD, "last_name": name}) == [], name


def test_a_file_without_a_first_name_is_refused_as_the_form_refuses_it(tmp_path: Path) -> None:
    f = tmp_path / "d.json"
    f.write_text(json.dumps({k: v for k, v in GOOD.items() if k != "first_name"}))
    with pytest.raises(DemographicsError, match=r"First name is required \(field first_name\)"):
        read_demographics_file(f, today=TODAY)


def test_file_limits(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_text('{"last_name": "' + "x" * 10_000_000 + '"}')
    with pytest.raises(ValueError, match="10000017 bytes, more than the 64000"):
        read_demographics_file(big)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 30_000 + "]" * 30_000)
    with pytest.raises(ValueError, match="nested too deeply"):
        read_demographics_file(deep)
    nested = tmp_path / "nested.json"
    nested.write_text(json.dumps({**GOOD, "last_name": {"a": [1]}}))
    with pytest.raises(ValueError, match="Last name must be text, not dict"):
        read_demographics_file(nested, today=TODAY)
    for text, words in (
        ("[1]", "JSON object"),
        ("{", "not valid JSON"),
        ("\udcff", "not valid JSON"),
    ):
        (tmp_path / "x.json").write_bytes(text.encode("utf-8", "surrogateescape"))
        with pytest.raises(ValueError, match=words):
            read_demographics_file(tmp_path / "x.json")
    with pytest.raises(ValueError, match="not found"):
        read_demographics_file(tmp_path / "none.json")
    with pytest.raises(ValueError, match="is not a file"):
        read_demographics_file(tmp_path)


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(sorted(GOOD)),
        st.one_of(
            st.none(),
            st.text(max_size=80),
            st.integers(),
            st.floats(),
            st.booleans(),
            st.lists(st.integers(), max_size=3),
        ),
    )
)
def test_any_values_give_problems_or_pass_never_raise(change: dict) -> None:
    data = {**GOOD, **change}
    problems = check_demographics(data, today=TODAY)
    assert all(p.field in GOOD and p.message for p in problems)
    if not problems:
        assert clean_demographics(data, today=TODAY)["last_name"]
