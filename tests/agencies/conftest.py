"""A gallery holding a seeded subject of each profile, and its bookings (built once)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from station.core.synth.holdings import Profile, profile
from station.gallery import open_gallery
from station.service import BookingService, load_index, seed
from station.service.drive import book_synthetic

#: When the tests send their bookings to the agencies (the times are exact from there).
T0 = dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=dt.UTC)
#: Subjects enrolled: the session gallery's four (0-3) and 4, 5, 7, 8, 9.
SUBJECTS = 9


def first_of(kind: Profile, *, start: int = 0) -> int:
    """The first synthetic subject of ``kind`` (population 0)."""
    k = start
    while profile(k) is not kind:
        k += 1
    return k


@pytest.fixture(scope="module")
def kinds_gallery(
    seeded_gallery: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[Profile, tuple[Path, int, int]]:
    """A gallery file with one booking (searched, not sent) of a subject of each profile:
    ``{profile: (template file, synthetic id, booking id)}``; copy the file to write to it."""
    path = tmp_path_factory.mktemp("kinds") / "gallery.sqlite"
    with open_gallery(seeded_gallery, readonly=True) as gallery:
        gallery.copy_to(path)
    seed(path, SUBJECTS, population=0, workers=2)
    out = {}
    with open_gallery(path) as gallery:
        service = BookingService(gallery, index=load_index(gallery))
        for kind in (
            Profile.CRIMINAL,
            Profile.IMMIGRATION,
            Profile.BOTH,
            Profile.REMOVED_RETURNED,
            Profile.UNKNOWN,
        ):
            k = first_of(kind)
            report = book_synthetic(service, k, slaps=False)
            out[kind] = (path, k, report.booking_id)
    return out


@pytest.fixture
def kinds_copy(kinds_gallery: dict[Profile, tuple[Path, int, int]], tmp_path: Path) -> Path:
    """A private copy of the kinds gallery (its bookings not sent yet)."""
    source = next(iter(kinds_gallery.values()))[0]
    dest = tmp_path / "kinds.sqlite"
    with open_gallery(source, readonly=True) as gallery:
        gallery.copy_to(dest)
    return dest
