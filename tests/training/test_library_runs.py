"""Every scenario of the library, played headless: its right actions earn full marks, its
wrong ones lose points with the mistakes named. Parametrised over the library, so a new
scenario file (with its ``ID.right.json`` and ``ID.wrong.json``) is tested automatically.

Each run is a whole booking on the mock scanner (fast preview settings) against a copy of
the session's seeded gallery: about 2-5 s each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from station.core.vocabulary import ExpectedAction, Verdict
from station.gallery import open_gallery
from station.scanner import MockSettings
from station.service import BookingService
from station.settings import AgencySettings
from station.training import load_library
from station.training.actions import load_actions
from station.training.runner import play

#: A fast mock scanner: the print settles after 2-3 frames.
FAST = MockSettings(approach_frames=1, press_frames=1, settle_frames=(2, 3), empty_frames=4)
#: Agencies that answer at once: the runner waits for every final answer after a response.
QUICK = AgencySettings(state_delay=0.02, ngi_delay=0.02, ident_delay=0.02, lesc_delay=0.02)
LIBRARY = load_library()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["right", "wrong"])
@pytest.mark.parametrize("scenario_id", sorted(LIBRARY))
def test_library_scenario(scenario_id: str, kind: str, gallery_copy: Path) -> None:
    scenario = LIBRARY[scenario_id]
    assert scenario.path is not None
    script = load_actions(scenario.path.with_name(f"{scenario_id}.{kind}.json"))
    with open_gallery(gallery_copy) as gallery:
        result = play(
            BookingService(gallery),
            scenario,
            script,
            trainee="tia",
            settings=FAST,
            agencies=QUICK,
        )
        score = result.score
        # an agency expectation is always scored now: the runner asks the agencies
        assert all(
            r.verdict is not Verdict.NOT_SCORED
            for r in score.results
            if r.action is ExpectedAction.AGENCY
        ), score.summary()
        if kind == "right":
            assert score.mistakes == (), score.summary()
            assert score.points == score.max_points > 0
        else:
            assert score.points < score.max_points, score.summary()
            assert script.expected_mistakes, "a wrong action file names the mistakes it makes"
            assert set(script.expected_mistakes) <= set(score.mistakes), score.summary()
        stored = gallery.training_run(result.run_id)
        assert (stored["trainee"], stored["points"]) == ("tia", score.points)
        assert stored["score"]["mistakes"] == list(score.mistakes)
        assert len(gallery.training_events(result.run_id)) == len(result.events)
        assert gallery.verify().problem is None
