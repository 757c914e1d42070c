"""Scenario files: the format is read into frozen dataclasses; anything wrong is refused with
the file, the key and the problem; the library has the scenarios issue 15 asks for."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from station.core.vocabulary import (
    Annotation,
    Disposition,
    ExpectedAction,
    FingerCondition,
    Slap,
)
from station.training import (
    NEW_PERSON,
    ScenarioError,
    load_library,
    load_scenario,
    parse_scenario,
)
from station.training.actions import ActionError, load_actions, parse_actions

MINIMAL = """
id = "mini"
title = "Mini"
[platen]
person = "new"
subject = 6
"""

FULL = """
id = "full-1"
title = "Everything"
brief = "for the instructor"
[[gallery]]
role = "returning"
subject = 0
[[gallery]]
role = "twin"
subject = 3
population = 0
[platen]
person = "returning"
swap = ["r2", "R3"]
wrong_hand = "LS"
dirty_platen = true
disconnect_at = 4
shares = { twin = ["L1"] }
[platen.fingers]
L4 = "amputated"
R5 = "Dry"
[demographics]
last_name = "Marsh"
[arrest]
charges = ["burglary"]
agency = "Metro PD"
[[expect]]
action = "annotate"
finger = "L4"
annotation = "xx"
points = 3
[[expect]]
action = "recapture"
finger = "LS"
[[expect]]
action = "decide"
decision = "reject"
candidate = "twin"
mistake = "did not reject the twin"
[[expect]]
action = "disposition"
any_of = ["NO HIT", "review"]
[[expect]]
action = "enrol"
done = false
"""


def test_a_full_scenario_is_read_into_frozen_values() -> None:
    s = parse_scenario(FULL, "full.toml")
    assert (s.id, s.title, s.brief, s.source) == (
        "full-1",
        "Everything",
        "for the instructor",
        "scanner",
    )
    assert [(r.role, r.subject, r.population) for r in s.gallery] == [
        ("returning", 0, 0),
        ("twin", 3, 0),
    ]
    p = s.platen
    assert (p.person, p.subject, p.swap, p.wrong_hand) == ("returning", None, ("R2", "R3"), Slap.LS)
    assert (p.dirty_platen, p.disconnect_at, p.shares) == (True, 4, (("twin", ("L1",)),))
    assert p.fingers == {"L4": FingerCondition.AMPUTATED, "R5": FingerCondition.DRY}
    assert s.demographics == {"last_name": "Marsh"}
    assert (s.arrest.charges, s.arrest.agency) == (("burglary",), "Metro PD")
    kinds = [e.action for e in s.expect]
    assert kinds == [
        ExpectedAction.ANNOTATE,
        ExpectedAction.RECAPTURE,
        ExpectedAction.DECIDE,
        ExpectedAction.DISPOSITION,
        ExpectedAction.ENROL,
    ]
    assert s.expect[0].annotation is Annotation.XX and s.expect[0].points == 3
    assert s.expect[1].finger == "LS" and s.expect[1].below == 4
    assert s.expect[3].any_of == (Disposition.NO_HIT, Disposition.REVIEW)
    assert [e.label for e in s.expect] == [
        "annotate L4 as XX",
        "recapture LS",
        "reject the twin candidate",
        "end with NO HIT or REVIEW",
        "do not enrol the booking",
    ]
    assert s.max_points == 7
    assert "brief" not in s.trainee_view() and "id" not in s.trainee_view()
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.title = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('id = "mini"', 'colour = "red"\nid = "mini"'), "x.toml: unknown key 'colour'"),
        (('id = "mini"', 'id = "Mini Scenario"'), "x.toml: id must be lower-case"),
        (("subject = 6", "subjekt = 6"), "x.toml: [platen] unknown key 'subjekt'"),
        (
            ('person = "new"', 'person = "ghost"'),
            "[platen] person 'ghost' is not a [[gallery]] role",
        ),
        (("subject = 6", "subject = -1"), "[platen] subject must be a whole number >= 0, got -1"),
        (("subject = 6", 'subject = 6\nswap = ["R2", "R2"]'), "swap needs two different fingers"),
        (("subject = 6", 'subject = 6\nwrong_hand = "TS"'), "wrong_hand must be RS or LS"),
        (
            ("subject = 6", "subject = 6\ndisconnect_at = 0"),
            "disconnect_at must be a whole number >= 1",
        ),
        (
            ("subject = 6", 'subject = 6\n[platen.fingers]\nR9 = "dry"'),
            "[platen.fingers] unknown key 'R9'",
        ),
        (
            ("subject = 6", 'subject = 6\n[platen.fingers]\nR1 = "sore"'),
            "unknown condition of R1 'sore'",
        ),
        (("", '[[expect]]\naction = "dance"\n'), "[[expect]] #1 unknown action 'dance'"),
        (
            ("", '[[expect]]\naction = "annotate"\nfinger = "L4"\n'),
            "[[expect]] #1 annotate needs annotation",
        ),
        (
            ("", '[[expect]]\naction = "enrol"\nfinger = "L4"\n'),
            "[[expect]] #1 (enrol) unknown key 'finger'",
        ),
        (
            ("", '[[expect]]\naction = "decide"\ndecision = "reject"\ncandidate = "x"\n'),
            "candidate 'x' is not a [[gallery]] role",
        ),
        (
            ("", '[[expect]]\naction = "recapture"\nfinger = "R2"\nbelow = 6\n'),
            "below must be a quality level 1-5",
        ),
        (("", '[[expect]]\naction = "enrol"\npoints = 0\n'), "points must be a whole number >= 1"),
        (
            ('title = "Mini"', 'title = "Mini"\nsource = "fax"'),
            "source must be one of scanner, transaction",
        ),
        (("", "[demographics]\nshoe_size = '9'\n"), "[demographics] unknown key 'shoe_size'"),
        (("", "= broken"), "x.toml: is not valid TOML"),
    ],
)
def test_bad_files_are_refused_naming_file_key_and_problem(
    change: tuple[str, str], message: str
) -> None:
    old, new = change
    text = MINIMAL + new if not old else MINIMAL.replace(old, new, 1)
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, "x.toml")
    assert message in str(info.value)


def test_a_gallery_role_must_be_defined_once_and_not_called_new() -> None:
    twice = MINIMAL + '[[gallery]]\nrole = "a"\nsubject = 1\n[[gallery]]\nrole = "a"\nsubject = 2\n'
    with pytest.raises(ScenarioError, match="role 'a' is defined twice"):
        parse_scenario(twice, "x.toml")
    with pytest.raises(ScenarioError, match="other than 'new'"):
        parse_scenario(MINIMAL + '[[gallery]]\nrole = "new"\nsubject = 1\n', "x.toml")


#: The scenarios issue 15 asks for (and one more: the wrong hand on a slap).
ISSUE_15 = {
    "first-arrest",
    "returning-alias",
    "level1-immigration",
    "swapped-fingers",
    "amputated-finger",
    "bandaged-finger",
    "dry-skin",
    "dirty-platen",
    "scanner-failure",
    "two-strong-candidates",
    "twin-near-miss",
    "transaction-file",
}


def test_the_library_holds_the_issue_scenarios_each_with_actions() -> None:
    library = load_library()
    assert set(library) >= ISSUE_15 and len(library) >= 12
    for scenario in library.values():
        assert scenario.brief and scenario.expect, scenario.id
        assert scenario.path is not None
        for kind in ("right", "wrong"):
            load_actions(scenario.path.with_name(f"{scenario.id}.{kind}.json"))
    assert library["returning-alias"].demographics["last_name"] == "Marsh"
    assert library["transaction-file"].source == "transaction"
    assert library["first-arrest"].platen.person == NEW_PERSON


def test_an_instructor_folder_adds_and_replaces_scenarios(tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(MINIMAL.replace('"mini"', '"my-own"'))
    (tmp_path / "first.toml").write_text(MINIMAL.replace('"mini"', '"first-arrest"'))
    library = load_library(tmp_path)
    assert library["my-own"].title == "Mini"
    assert library["first-arrest"].title == "Mini"  # the folder's replaces the library's
    (tmp_path / "again.toml").write_text(MINIMAL.replace('"mini"', '"my-own"'))
    with pytest.raises(ScenarioError, match="id 'my-own' is used by"):
        load_library(tmp_path)
    with pytest.raises(ScenarioError, match="scenario folder not found"):
        load_library(tmp_path / "absent")
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_scenario(tmp_path / "absent.toml")


def test_action_files_are_checked() -> None:
    script = parse_actions(
        {
            "actions": [
                {"do": "capture", "finger": "rs"},
                {"do": "decide", "decision": "reject", "candidate": 2, "note": "n", "at": 3},
            ]
        },
        "a.json",
    )
    assert script.steps[0].finger == "RS" and script.steps[0].impression == "flat"
    assert (script.steps[1].candidate, script.steps[1].reason, script.steps[1].at) == (2, "n", 3.0)
    bad = [
        ({"actions": [{"do": "fly"}]}, "a.json: action 1: unknown action 'fly'"),
        ({"actions": [{"do": "submit", "finger": "R1"}]}, "unknown key 'finger' for submit"),
        ({"actions": [{"do": "annotate", "finger": "R1"}]}, "annotate needs 'annotation'"),
        ({"actions": [{"do": "capture", "finger": "RS", "impression": "rolled"}]}, "is a flat"),
        ({"actions": [{"do": "submit", "at": 5}, {"do": "enrol", "at": 2}]}, "before the step"),
        ({"actions": [], "extra": 1}, "unknown key 'extra'"),
        ([], "must be a JSON object"),
    ]
    for data, message in bad:
        with pytest.raises(ActionError) as info:
            parse_actions(data, "a.json")
        assert message in str(info.value)
