"""Each kind of subject gets the right answers from the right agencies (one test per kind)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from station.core.synth.holdings import Profile
from station.core.vocabulary import Disposition, System, SystemStatus
from station.gallery import open_gallery
from station.interchange import parse_response, read_transaction
from station.interchange.ice import parse_response as parse_iar
from station.service import BookingService
from station.service.secure_communities import SecureCommunities
from station.settings import AgencySettings

#: When the tests send their bookings (the same instant as the agencies conftest's ``T0``:
#: a module-level constant cannot come from a conftest, whose import name is not unique).
T0 = dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=dt.UTC)


def _run(path: Path, booking_id: int) -> tuple[dict[str, tuple], Disposition, list]:
    """Send at T0, pump at T0 + 10 s; ``{system: (status, result, response_tot, details)}``."""
    with open_gallery(path) as gallery:
        agencies = SecureCommunities(BookingService(gallery), settings=AgencySettings())
        sent = agencies.send(booking_id, now=T0)
        assert [(a.system, a.status) for a in sent] == [
            (s, SystemStatus.PENDING) for s in (System.STATE, System.NGI, System.IDENT)
        ]
        assert agencies.pump(T0 + dt.timedelta(seconds=10)) >= 3
        answers = agencies.systems(booking_id)
        overall = agencies.overall(booking_id)
        raw = [gallery.agency_message(a.message_id)["response"] for a in answers]
        assert gallery.verify().ok
    got = {str(a.system): (a.status, a.result, a.response_tot, a.details) for a in answers}
    return got, overall, raw


def test_criminal_only_state_and_ngi_identify(kinds_gallery, kinds_copy) -> None:
    _, k, booking = kinds_gallery[Profile.CRIMINAL]
    got, overall, raw = _run(kinds_copy, booking)
    assert k == 3 and list(got) == ["STATE", "NGI", "IDENT"]  # no IDENT match: no LESC
    assert got["STATE"][:3] == (SystemStatus.ANSWERED, "ident", "SRE")
    assert got["STATE"][3]["sid"] == "SID-000000003"
    assert got["STATE"][3]["offence_level"] == 2
    assert got["NGI"][:3] == (SystemStatus.ANSWERED, "ident", "SRE")
    assert got["NGI"][3]["ucn"] == "FBI-000000003"
    assert [a["statute"] for a in got["NGI"][3]["arrests"]] == [
        "NY PL 220.16",
        "NY PL 240.20",
        "NY VTL 1192.3",
    ]
    assert got["IDENT"][:3] == (SystemStatus.ANSWERED, "no match", "SRE")
    sre = parse_response(read_transaction(raw[1]))
    assert (sre.disposition, sre.subject.fbi) == (Disposition.HIT, "FBI-000000003")
    assert parse_response(read_transaction(raw[2])).disposition is Disposition.NO_HIT
    assert overall is Disposition.HIT


def test_immigration_only_ident_matches_lesc_answers(kinds_gallery, kinds_copy) -> None:
    _, k, booking = kinds_gallery[Profile.IMMIGRATION]
    got, overall, raw = _run(kinds_copy, booking)
    assert k == 4
    assert got["STATE"][:2] == got["NGI"][:2] == (SystemStatus.ANSWERED, "non-ident")
    assert got["IDENT"][:2] == (SystemStatus.ANSWERED, "match")
    assert got["IDENT"][3]["fin"] == "FIN-000000004"
    assert got["IDENT"][3]["a_number"] == "A000000004"
    assert got["IDENT"][3]["status"] == "lawful permanent resident"
    assert got["LESC"][:3] == (SystemStatus.ANSWERED, "not removable", "IAR")
    assert (got["LESC"][3]["level"], got["LESC"][3]["detainer"]) == (None, None)
    iar = parse_iar(raw[3])
    assert (iar.status, iar.removable, iar.level, iar.detainer) == (
        "lawful permanent resident",
        False,
        None,
        False,
    )
    assert overall is Disposition.HIT


def test_both_every_agency_answers_level_1_with_detainer(kinds_gallery, kinds_copy) -> None:
    _, k, booking = kinds_gallery[Profile.BOTH]
    got, overall, raw = _run(kinds_copy, booking)
    assert k == 9 and list(got) == ["STATE", "NGI", "IDENT", "LESC"]
    assert got["STATE"][1] == got["NGI"][1] == "ident"
    assert got["STATE"][3]["offence_level"] == 3  # the in-state arrest only
    assert got["NGI"][3]["offence_level"] == 1  # arson, out of state
    assert got["IDENT"][1] == "match" and got["IDENT"][3]["status"] == "visa overstay"
    lesc = got["LESC"][3]
    assert got["LESC"][1] == "removable"
    assert (lesc["level"], lesc["detainer"], lesc["removable"]) == (1, "I-247", True)
    assert parse_iar(raw[3]).detainer
    assert overall is Disposition.HIT


def test_removed_and_returned_ident_shows_the_removal(kinds_gallery, kinds_copy) -> None:
    _, k, booking = kinds_gallery[Profile.REMOVED_RETURNED]
    got, overall, _ = _run(kinds_copy, booking)
    assert k == 2
    assert got["STATE"][1] == got["NGI"][1] == "non-ident"
    encounters = got["IDENT"][3]["encounters"]
    assert [e["kind"] for e in encounters] == ["border entry", "removal", "re-entry"]
    assert got["LESC"][1] == "removable"
    assert got["LESC"][3]["status"] == "previously removed"
    assert got["LESC"][3]["level"] is None  # no criminal history
    assert overall is Disposition.HIT


def test_unknown_subject_no_agency_identifies(kinds_gallery, kinds_copy) -> None:
    _, k, booking = kinds_gallery[Profile.UNKNOWN]
    got, overall, _ = _run(kinds_copy, booking)
    assert k == 6
    assert {s: v[:3] for s, v in got.items()} == {
        "STATE": (SystemStatus.ANSWERED, "non-ident", "SRE"),
        "NGI": (SystemStatus.ANSWERED, "non-ident", "SRE"),
        "IDENT": (SystemStatus.ANSWERED, "no match", "SRE"),
    }
    assert overall is Disposition.NO_HIT


def test_answers_arrive_after_each_agencys_delay(kinds_gallery, kinds_copy) -> None:
    booking = kinds_gallery[Profile.BOTH][2]
    settings = AgencySettings(state_delay=0.3, ngi_delay=0.5, ident_delay=0.5, lesc_delay=0.5)
    with open_gallery(kinds_copy) as gallery:
        agencies = SecureCommunities(BookingService(gallery), settings=settings)
        agencies.send(booking, now=T0)
        at = [T0 + dt.timedelta(seconds=s) for s in (0.2, 0.3, 0.5, 0.99, 1.0)]
        assert [agencies.pump(t) for t in at] == [0, 1, 2, 0, 1]
        answers = agencies.systems(booking)
        assert agencies.in_flight() == ()
    assert [(str(a.system), a.sent_at, a.answered_at) for a in answers] == [
        ("STATE", "2026-12-01T10:00:00.000Z", "2026-12-01T10:00:00.300Z"),
        ("NGI", "2026-12-01T10:00:00.000Z", "2026-12-01T10:00:00.500Z"),
        ("IDENT", "2026-12-01T10:00:00.000Z", "2026-12-01T10:00:00.500Z"),
        ("LESC", "2026-12-01T10:00:00.500Z", "2026-12-01T10:00:01.000Z"),
    ]
    assert [a.tot for a in answers] == ["CAR", "CAR", "CAR", "IAQ"]
