"""Fixtures of the service tests: a booking service on a copy of the session's seeded gallery
(``seeded_gallery``, ``gallery_copy`` and ``enrolled`` come from ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from station.gallery import Gallery, open_gallery
from station.service import BookingService, load_index


@pytest.fixture
def service(gallery_copy: Path) -> Iterator[BookingService]:
    with open_gallery(gallery_copy) as gallery:
        yield BookingService(gallery, index=load_index(gallery), station_id="TEST-1")


@pytest.fixture
def gallery(service: BookingService) -> Gallery:
    return service.gallery
