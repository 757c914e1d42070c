"""Training: scripted scenarios, a scripted trainee's booking, and the score of what they did.

:mod:`~station.training.scenario` reads the scenario files (the format is in its docstring),
:mod:`~station.training.actions` the trainee's action files, :mod:`~station.training.runner`
prepares the gallery and plays a booking through :class:`~station.service.BookingService`
with the mock scanner set up from the scenario, and :mod:`~station.training.scoring` compares
what the trainee did with what the scenario expects.
"""

from __future__ import annotations

from .scenario import (
    AGENCY_NAMES,
    NEW_PERSON,
    Expectation,
    GalleryRole,
    Platen,
    Scenario,
    ScenarioArrest,
    ScenarioError,
    library_dir,
    load_library,
    load_scenario,
    parse_scenario,
)
from .scoring import ActionEvent, ExpectationResult, FinalState, Score, StepTime, score

__all__ = [
    "AGENCY_NAMES",
    "NEW_PERSON",
    "ActionEvent",
    "Expectation",
    "ExpectationResult",
    "FinalState",
    "GalleryRole",
    "Platen",
    "Scenario",
    "ScenarioArrest",
    "ScenarioError",
    "Score",
    "StepTime",
    "library_dir",
    "load_library",
    "load_scenario",
    "parse_scenario",
    "score",
]
