"""The station's pytest plugin (registered as the ``pytest11`` entry point ``station``).

Fixtures (all prefixed, so they never clash with a project's own):

``station``
    :class:`~station.testing.pages.Station`: the page objects on ``station_window``.
``station_window``
    The booking window on ``station_gallery``, ``station_officer`` signed in, the fast mock
    scanner, the search index loaded (closed after the test).
``station_gallery``
    A private copy of a throw-away seeded gallery (4 synthetic subjects of population 0 by
    default; ``@pytest.mark.station_gallery(subjects=N, population=P)`` for another; each
    size is seeded once per test session).
``station_officer``
    ``kim`` (officer and examiner) of that gallery, signed in.
``station_enrolled``
    The synthetic ids of the gallery's subjects, in seeding order.
``station_settings``
    The settings in force (defaults; ``@pytest.mark.station_policy(hit=..., review=...,
    recapture_level=..., max_attempts=...)`` changes the disposition policy).

``@pytest.mark.station_scanner(seed=0, settle_frames=(8, 12), ...)`` sets the mock scanner's
device seed and frame counts (a recorded booking replays with the recording's); the frame
rate stays the kit's fast one.

The window fixtures need pytest-qt (``qtbot``) for the ``QApplication`` and clean-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from station.core.disposition import DispositionPolicy
from station.gui.automation.galleries import (
    FAST_SCANNER,
    copy_gallery,
    open_station_window,
    prepare_gallery,
    sign_in,
)
from station.gui.automation.pages import Station
from station.scanner import MockSettings
from station.service import Operator, in_gallery
from station.settings import Settings, set_settings

__all__ = [
    "station",
    "station_enrolled",
    "station_gallery",
    "station_officer",
    "station_settings",
    "station_window",
]

#: The default throw-away gallery: synthetic subjects and population.
DEFAULT_SUBJECTS, DEFAULT_POPULATION = 4, 0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "station_gallery(subjects=4, population=0): the seeded gallery the station fixtures use",
    )
    config.addinivalue_line(
        "markers",
        "station_policy(**fields): the disposition policy of the station fixtures' window",
    )
    config.addinivalue_line(
        "markers",
        "station_scanner(seed=0, **frames): the mock scanner of the station fixtures' window",
    )


def _scanner_spec(request: pytest.FixtureRequest) -> tuple[int, dict[str, Any]]:
    """The ``station_scanner`` marker: the device seed and the mock's other settings."""
    marker = request.node.get_closest_marker("station_scanner")
    if marker is None:
        return 0, {}
    if marker.args:
        raise ValueError("station_scanner takes keywords only, e.g. seed=1")
    kwargs = dict(marker.kwargs)
    seed = int(kwargs.pop("seed", 0))
    known = {f.name for f in fields(MockSettings)}
    unknown = set(kwargs) - known
    if unknown:
        raise ValueError(f"station_scanner: unknown mock scanner setting(s) {sorted(unknown)}")
    return seed, {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def _gallery_spec(request: pytest.FixtureRequest) -> tuple[int, int]:
    marker = request.node.get_closest_marker("station_gallery")
    kwargs = dict(marker.kwargs) if marker is not None else {}
    unknown = set(kwargs) - {"subjects", "population"}
    if unknown or (marker is not None and marker.args):
        raise ValueError(
            f"station_gallery takes subjects= and population= only, got {marker.args} {kwargs}"
        )
    return int(kwargs.get("subjects", DEFAULT_SUBJECTS)), int(
        kwargs.get("population", DEFAULT_POPULATION)
    )


@pytest.fixture(scope="session")
def station_seeded(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[int, int], Path]:
    """``station_seeded(subjects, population)``: the session's seeded kit gallery of that
    size, built on first use (read it, never write it: use ``station_gallery``)."""
    built: dict[tuple[int, int], Path] = {}

    def get(subjects: int, population: int) -> Path:
        key = (subjects, population)
        if key not in built:
            folder = tmp_path_factory.mktemp(f"station-{subjects}-{population}")
            built[key] = prepare_gallery(
                folder / "gallery.sqlite", subjects=subjects, population=population
            )
        return built[key]

    return get


@pytest.fixture
def station_gallery(
    request: pytest.FixtureRequest,
    station_seeded: Callable[[int, int], Path],
    tmp_path: Path,
) -> Path:
    """A private copy of the seeded kit gallery (the ``station_gallery`` marker's size)."""
    subjects, population = _gallery_spec(request)
    return copy_gallery(station_seeded(subjects, population), tmp_path / "station.sqlite")


@pytest.fixture
def station_enrolled(request: pytest.FixtureRequest) -> list[int]:
    """Synthetic ids of the kit gallery's subjects, in seeding order."""
    subjects, population = _gallery_spec(request)
    return list(in_gallery(subjects, population))


@pytest.fixture
def station_officer(station_gallery: Path) -> Operator:
    """``kim``, officer and examiner of ``station_gallery``, signed in."""
    return sign_in(station_gallery)


@pytest.fixture
def station_settings(request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Default settings in force for the test; the ``station_policy`` marker changes the
    disposition policy."""
    settings = Settings()
    marker = request.node.get_closest_marker("station_policy")
    if marker is not None:
        if marker.args:
            raise ValueError("station_policy takes keywords only, e.g. hit=2.0")
        settings = replace(settings, disposition=DispositionPolicy(**marker.kwargs))
    seed, _mock = _scanner_spec(request)
    if seed:
        settings = replace(settings, scanner=replace(settings.scanner, seed=seed))
    set_settings(settings)
    yield settings
    set_settings(None)


@pytest.fixture
def station_window(
    request: pytest.FixtureRequest,
    qtbot,
    station_gallery: Path,
    station_settings: Settings,
    station_officer: Operator,
):
    """The station window on ``station_gallery``, signed in, ready for a booking."""
    _seed, mock = _scanner_spec(request)
    scanner = replace(FAST_SCANNER, **mock)
    window = open_station_window(station_gallery, station_officer, scanner=scanner)
    qtbot.addWidget(window)
    return window


@pytest.fixture
def station(station_window) -> Station:
    """The page objects on ``station_window``: ``station.booking``, ``station.capture``,
    ``station.response``."""
    return Station(station_window)
