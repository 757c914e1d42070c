"""ICE LESC reads the booking's charges from its arrest data (the ``arrests`` table)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from station.core.synth.holdings import Profile, profile
from station.core.vocabulary import System, SystemStatus
from station.gallery import open_gallery
from station.service import BookingService, load_index
from station.service.drive import book_synthetic
from station.service.jms import JmsBooking
from station.service.secure_communities import SecureCommunities, booking_charge_levels
from station.settings import AgencySettings

T0 = dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=dt.UTC)

_DEMOGRAPHICS = {
    "last_name": "Anderson",
    "first_name": "Brian",
    "date_of_birth": "1964-02-18",
    "sex": "M",
    "place_of_birth": "PH",
}


def _jms(*codes: str) -> JmsBooking:
    arrest = {
        "oca": "26-715629",
        "ori": "NY0304000",
        "date_of_arrest": "2026-09-08",
        "charges": [{"code": c, "offence_date": "2026-09-07"} for c in codes],
        "race": "W",
        "smt": [],
    }
    return JmsBooking("BK26-T0001", _DEMOGRAPHICS, arrest)


def _lesc(path: Path, jms: JmsBooking | None) -> tuple[tuple[int, ...], dict]:
    with open_gallery(path) as gallery:
        service = BookingService(gallery, index=load_index(gallery))
        booking_id = book_synthetic(service, 4, slaps=False, jms=jms).booking_id
        levels = booking_charge_levels(gallery, booking_id)
        agencies = SecureCommunities(service, settings=AgencySettings())
        agencies.send(booking_id, now=T0)
        agencies.pump(T0 + dt.timedelta(seconds=10))
        answers = {a.system: a for a in agencies.systems(booking_id)}
        assert gallery.verify().ok
    lesc = answers[System.LESC]
    assert lesc.status is SystemStatus.ANSWERED
    return levels, lesc.details


def test_a_level_1_charge_makes_an_ident_only_subject_level_1(kinds_gallery, kinds_copy) -> None:
    assert profile(4) is Profile.IMMIGRATION  # IDENT encounters, no criminal history
    levels, details = _lesc(kinds_copy, _jms("PL155.25", "PL125.25"))
    assert levels == (3, 1)
    assert (details["level"], details["detainer"]) == (1, "I-247")
    assert details["current_charge_levels"] == [3, 1]


def test_without_the_charge_there_is_no_level(kinds_gallery, kinds_copy) -> None:
    levels, details = _lesc(kinds_copy, _jms("PL155.25"))
    assert levels == (3,)
    assert (details["level"], details["detainer"]) == (3, None)
    levels, details = _lesc(kinds_copy, None)
    assert levels == ()
    assert (details["level"], details["detainer"]) == (None, None)
