"""A small seeded gallery, built once per test session and copied for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from station.gallery import Gallery, open_gallery
from station.service import BookingService, in_gallery, load_index, seed

#: Synthetic subjects enrolled in the session gallery (population 0).
SEEDED = 3


@pytest.fixture(scope="session")
def seeded_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seeded") / "gallery.sqlite"
    seed(path, SEEDED, workers=2)
    return path


@pytest.fixture(scope="session")
def enrolled() -> list[int]:
    """Synthetic ids in the seeded gallery."""
    return list(in_gallery(SEEDED))


@pytest.fixture
def gallery_copy(seeded_path: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "gallery.sqlite"
    with open_gallery(seeded_path, readonly=True) as g:
        g.copy_to(dest)
    return dest


@pytest.fixture
def service(gallery_copy: Path) -> Iterator[BookingService]:
    with open_gallery(gallery_copy) as gallery:
        yield BookingService(gallery, index=load_index(gallery), station_id="TEST-1")


@pytest.fixture
def gallery(service: BookingService) -> Gallery:
    return service.gallery
