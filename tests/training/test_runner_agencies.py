"""The runner and the arrest data and agencies: the scenario's arrest is stored on the live
booking and written in the transaction file's CAR; after a response the runner asks the
Secure Communities agencies, records their answers in the submit event and scores the
scenario's ``agency`` expectations against them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station.core.vocabulary import (
    FINGERS,
    Annotation,
    ExpectedAction,
    Finger,
    Race,
    TraineeAction,
    Verdict,
)
from station.gallery import open_gallery
from station.interchange import read_transaction
from station.interchange.ansi_nist import write_transaction
from station.interchange.ebts import PrintImage, build_submission, parse_submission
from station.scanner import MockSettings
from station.service import BookingService
from station.settings import AgencySettings
from station.training import load_library
from station.training.actions import load_actions
from station.training.runner import play, scenario_submission, trainee_demographics

FAST = MockSettings(approach_frames=1, press_frames=1, settle_frames=(2, 3), empty_frames=4)
QUICK = AgencySettings(state_delay=0.02, ngi_delay=0.02, ident_delay=0.02, lesc_delay=0.02)
LIBRARY = load_library()


def _right(scenario_id: str):
    scenario = LIBRARY[scenario_id]
    assert scenario.path is not None
    return scenario, load_actions(scenario.path.with_name(f"{scenario_id}.right.json"))


@pytest.mark.slow
def test_level_1_run_stores_the_arrest_and_scores_ices_answer(gallery_copy: Path) -> None:
    scenario, script = _right("level1-immigration")
    with open_gallery(gallery_copy) as gallery:
        service = BookingService(gallery)
        result = play(service, scenario, script, trainee="tia", settings=FAST, agencies=QUICK)
        assert result.booking_id is not None
        arrest = service.arrest(result.booking_id)
        assert arrest is not None
        assert [c.code for c in arrest.charges] == ["PL160.15"]
        assert (arrest.race, arrest.level, arrest.smt) == (Race.B, 1, ("TAT R FARM",))
        assert arrest.date_of_arrest == dt.date.today()
        assert arrest.oca == "TR-LEVEL1-IMMIGRATIO"
        [submit] = [e for e in result.events if e.action is TraineeAction.SUBMIT]
        systems = {a["system"]: a for a in submit.detail["agencies"]}
        assert [a["system"] for a in submit.detail["agencies"]] == ["STATE", "NGI", "IDENT", "LESC"]
        assert all(a["status"] == "answered" for a in systems.values())
        assert (systems["NGI"]["result"], systems["NGI"]["role"]) == ("ident", "wanted")
        assert systems["IDENT"]["result"] == "match"
        lesc = systems["LESC"]
        assert (lesc["level"], lesc["removable"], lesc["detainer"]) == (1, True, "I-247")
        assert lesc["answers"] == ["removable", "Level 1", "detainer"]
        [agency] = [r for r in result.score.results if r.action is ExpectedAction.AGENCY]
        assert (agency.verdict, agency.earned) == (Verdict.RIGHT, 2)
        assert result.score.full
        stored = gallery.training_events(result.run_id)
        submitted = [e for e in stored if e["action"] == "submit"]
        assert submitted[0]["detail"]["agencies"][3]["level"] == 1  # replay/report read it
        assert gallery.verify().problem is None


@pytest.mark.slow
def test_ice_down_leaves_the_agency_answer_unscored(gallery_copy: Path) -> None:
    scenario, script = _right("level1-immigration")
    down = AgencySettings(
        state_delay=0.02, ngi_delay=0.02, ident_delay=0.02, lesc_delay=0.02, down="LESC"
    )
    with open_gallery(gallery_copy) as gallery:
        result = play(
            BookingService(gallery), scenario, script, trainee="tia", settings=FAST, agencies=down
        )
        [agency] = [r for r in result.score.results if r.action is ExpectedAction.AGENCY]
        assert agency.verdict is Verdict.NOT_SCORED and agency.mistake is None
        assert agency.note.startswith("ICE did not answer (error")
        assert result.score.full and result.score.max_points == scenario.max_points - 2


def test_the_transaction_files_car_carries_the_scenarios_arrest() -> None:
    scenario = LIBRARY["transaction-file"]
    assert scenario.arrest is not None
    arrest = scenario.arrest.on(dt.date(2026, 11, 30))
    image = PrintImage(bytes(64 * 64), "NONE", 64, 64)
    fingers: dict[Finger, PrintImage | Annotation] = {f: Annotation.UP for f in FINGERS}
    fingers[Finger.R1] = image
    submission = scenario_submission(
        scenario,
        trainee_demographics(scenario),
        fingers,
        arrest=arrest,
        today=dt.date(2026, 12, 1),
    )
    back = parse_submission(read_transaction(write_transaction(build_submission(submission))))
    assert back.demographics["race"] == "A"
    assert (back.oca, back.date_of_arrest, back.ori) == (
        "CS-26-2291",
        dt.date(2026, 11, 30),
        "NY0290000",
    )
    assert [c.literal for c in back.charges] == ["NY VTL 1192.3 DRIVING WHILE INTOXICATED"]
