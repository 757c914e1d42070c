"""Fixtures shared by the whole suite: one seeded gallery, built once, copied per test.

Seeding renders and extracts ten rolled prints per subject (the slow part of the suites that
book against a gallery), so the session builds the gallery once, with the largest subject set
any test needs, and each test that writes works on its own copy (:func:`gallery_copy`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from station.gallery import open_gallery
from station.service import in_gallery, seed

#: The test kit's plugin, under its entry-point name (``pyproject.toml``).
_KIT = "station"
_KIT_MODULE = "station.testing.plugin"


def pytest_configure(config: pytest.Config) -> None:
    """Load the test kit's plugin (``station.testing.plugin``) unless pytest already has it:
    an installed station registers it through the ``pytest11`` entry point, a source tree
    that is not the installed one (or ``PYTEST_DISABLE_PLUGIN_AUTOLOAD``) does not."""
    manager = config.pluginmanager
    if not (manager.has_plugin(_KIT) or manager.has_plugin(_KIT_MODULE)):
        manager.import_plugin(_KIT_MODULE)


#: Synthetic subjects of population 0 enrolled in the session gallery: the GUI flows book the
#: first four (HIT, REVIEW, RECAPTURE, amputated finger) on one gallery.
SEEDED_SUBJECTS = 4


@pytest.fixture(scope="session")
def seeded_gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's seeded gallery file (read it, never write it: use ``gallery_copy``)."""
    path = tmp_path_factory.mktemp("seeded") / "gallery.sqlite"
    seed(path, SEEDED_SUBJECTS, population=0, workers=2)
    return path


@pytest.fixture(scope="session")
def enrolled() -> list[int]:
    """Synthetic ids of the seeded subjects, in seeding order."""
    return list(in_gallery(SEEDED_SUBJECTS, 0))


@pytest.fixture
def gallery_copy(seeded_gallery: Path, tmp_path: Path) -> Path:
    """A private copy of the seeded gallery, for a test that writes (no search cache)."""
    dest = tmp_path / "gallery.sqlite"
    with open_gallery(seeded_gallery, readonly=True) as gallery:
        gallery.copy_to(dest)
    return dest
