"""Scoring on hand-made events: each expectation right, missed, wrong or not scored, with
its named mistake, the points and the time per step."""

from __future__ import annotations

import pytest

from station.core.vocabulary import Disposition, TraineeAction, Verdict
from station.training import parse_scenario
from station.training.scoring import ActionEvent, FinalState, score

SCENARIO = parse_scenario(
    """
id = "all-kinds"
title = "All kinds"
[[gallery]]
role = "twin"
subject = 3
[platen]
person = "new"
subject = 6
[[expect]]
action = "annotate"
finger = "L4"
annotation = "XX"
points = 3
[[expect]]
action = "recapture"
finger = "R2"
below = 4
points = 2
[[expect]]
action = "clean platen"
[[expect]]
action = "reconnect"
[[expect]]
action = "decide"
decision = "reject"
candidate = "twin"
[[expect]]
action = "disposition"
any_of = ["NO HIT"]
[[expect]]
action = "enrol"
done = false
[[expect]]
action = "agency"
agency = "ICE"
answer = "Level 1"
""",
    "all.toml",
)

A = TraineeAction


def _events(*items: tuple[float, TraineeAction, dict]) -> list[ActionEvent]:
    return [ActionEvent(n, at, action, detail) for n, (at, action, detail) in enumerate(items, 1)]


def test_a_perfect_booking_earns_every_scored_point() -> None:
    events = _events(
        (2.0, A.CLEAN_PLATEN, {}),
        (5.0, A.ANNOTATE, {"finger": "L4", "annotation": "XX"}),
        (9.5, A.CAPTURE, {"finger": "R2", "level": 5}),
        (12.0, A.CAPTURE, {"finger": "R3", "error": "Scanner disconnected — reconnect"}),
        (20.0, A.RECONNECT, {}),
        (24.0, A.CAPTURE, {"finger": "R2", "level": 2}),
        (40.0, A.SUBMIT, {"disposition": "REVIEW"}),
        (55.0, A.DECIDE, {"decision": "reject", "role": "twin", "subject_id": 4}),
    )
    result = score(SCENARIO, events, FinalState(Disposition.NO_HIT), trainee="tia")
    verdicts = [r.verdict for r in result.results]
    assert verdicts == [Verdict.RIGHT] * 7 + [Verdict.NOT_SCORED]
    assert (result.points, result.max_points, result.full) == (10, 10, True)
    assert result.mistakes == ()
    assert [(s.label, s.seconds) for s in result.steps] == [
        ("clean platen", 2.0),
        ("annotate L4", 3.0),
        ("capture R2", 4.5),
        ("capture R3", 2.5),
        ("reconnect", 8.0),
        ("capture R2", 4.0),
        ("submit", 16.0),
        ("decide", 15.0),
    ]
    assert result.seconds == 55.0 and result.trainee == "tia"
    assert result.results[-1].note == "no agency answered this booking"


def test_mistakes_are_named_and_cost_their_points() -> None:
    events = _events(
        (1.0, A.ANNOTATE, {"finger": "L4", "annotation": "UP"}),
        (3.0, A.CAPTURE, {"finger": "R2", "level": 5}),
        (4.0, A.ACCEPT_QUALITY, {"finger": "R2"}),
        (6.0, A.CAPTURE, {"finger": "R3", "error": "Scanner disconnected"}),
        (8.0, A.SUBMIT, {"disposition": "REVIEW"}),
        (9.0, A.CLEAN_PLATEN, {}),
        (10.0, A.DECIDE, {"decision": "confirm", "role": "twin"}),
        (11.0, A.ENROL, {"subject_id": 4}),
    )
    final = FinalState(Disposition.HIT, agency_answers={"ICE": "Level 2"})
    result = score(SCENARIO, events, final, trainee="tia")
    assert [r.verdict for r in result.results] == [
        Verdict.WRONG,
        Verdict.WRONG,
        Verdict.MISSED,
        Verdict.MISSED,
        Verdict.WRONG,
        Verdict.WRONG,
        Verdict.WRONG,
        Verdict.WRONG,
    ]
    assert result.mistakes == (
        "annotated L4 as UP, not XX",
        "accepted the poor print of R2 instead of recapturing it",
        "did not clean the dirty platen before submitting",
        "did not reconnect the scanner after it dropped off",
        "confirmed the twin candidate instead of reject",
        "the booking ended HIT, not NO HIT",
        "enrolled a booking that must not be enrolled",
        "ICE answered Level 2, not Level 1",
    )
    assert (result.points, result.max_points) == (0, 11)
    assert "WRONG  annotate L4 as XX (0/3)" in result.summary()


def test_nothing_done_is_missed_and_situations_that_never_arose_are_not_scored() -> None:
    result = score(SCENARIO, [], FinalState(), trainee="tia")
    by_label = {r.label: r for r in result.results}
    assert by_label["annotate L4 as XX"].mistake == "did not annotate L4 as XX"
    assert by_label["recapture R2"].mistake == "did not capture R2"
    assert by_label["reconnect"].verdict is Verdict.NOT_SCORED
    assert by_label["end with NO HIT"].mistake == "the booking never got a response (NO HIT)"
    assert by_label["do not enrol the booking"].verdict is Verdict.RIGHT
    # A booking never submitted never reached the agencies: the agency answer is missed.
    assert by_label["ICE answers Level 1"].mistake == (
        "the booking never reached the agencies (ICE: Level 1)"
    )
    assert (result.points, result.max_points, result.disposition) == (1, 10, None)
    # A good first print leaves nothing to recapture: not scored, not a mistake.
    good = _events((1.0, A.CAPTURE, {"finger": "R2", "level": 1}))
    recapture = score(SCENARIO, good, FinalState(), trainee="t").results[1]
    assert recapture.verdict is Verdict.NOT_SCORED and recapture.mistake is None


def test_refused_actions_do_not_count() -> None:
    scenario = parse_scenario(
        'id = "r"\ntitle = "R"\n[platen]\nperson = "new"\nsubject = 6\n'
        '[[expect]]\naction = "enrol"\n[[expect]]\naction = "refuse"\n',
        "r.toml",
    )
    events = _events(
        (1.0, A.ENROL, {"error": "a REVIEW booking cannot be enrolled"}),
        (2.0, A.SUBMIT, {"error": "booking was already submitted"}),
        (3.0, A.REFUSE, {"reason": "out of order"}),
    )
    result = score(scenario, events, FinalState(), trainee="t")
    assert [r.verdict for r in result.results] == [Verdict.MISSED, Verdict.RIGHT]
    assert result.as_dict()["mistakes"] == ["did not enrol the booking"]


AGENCY = parse_scenario(
    'id = "a"\ntitle = "A"\n[platen]\nperson = "new"\nsubject = 6\n'
    '[[expect]]\naction = "agency"\nagency = "ICE"\nanswer = "level 1"\npoints = 2\n'
    '[[expect]]\naction = "agency"\nagency = "fbi"\nanswer = "ident"\n',
    "a.toml",
)


@pytest.mark.parametrize(
    ("answers", "verdicts", "mistakes", "note"),
    [
        # the runner's form: by system code, several answers each
        (
            {"NGI": ("ident",), "IDENT": ("match",), "LESC": ("removable", "Level 1", "detainer")},
            [Verdict.RIGHT, Verdict.RIGHT],
            (),
            "",
        ),
        (
            {"NGI": ("non-ident",), "LESC": ("not removable", "Level 2")},
            [Verdict.WRONG, Verdict.WRONG],
            (
                "ICE answered not removable, Level 2, not level 1",
                "fbi answered non-ident, not ident",
            ),
            "",
        ),
        # no IDENT match: LESC never got a query
        (
            {"NGI": ("ident",), "IDENT": ("no match",)},
            [Verdict.WRONG, Verdict.RIGHT],
            ("ICE answered nothing, not level 1",),
            "",
        ),
        # an agency down is not the trainee's doing
        (
            {"NGI": ("ident",), "LESC": ("error", "ICE LESC: system unavailable")},
            [Verdict.NOT_SCORED, Verdict.RIGHT],
            (),
            "ICE did not answer (error, ICE LESC: system unavailable)",
        ),
    ],
)
def test_agency_answers_are_scored_by_system(
    answers: dict, verdicts: list, mistakes: tuple, note: str
) -> None:
    events = _events((3.0, A.SUBMIT, {"disposition": "HIT"}))
    result = score(AGENCY, events, FinalState(Disposition.HIT, agency_answers=answers), trainee="t")
    assert [r.verdict for r in result.results] == verdicts
    assert result.mistakes == mistakes
    assert result.results[0].note == note
