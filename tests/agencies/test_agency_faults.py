"""Fault injection (an agency down or slow), resubmission, two stations on one queue, and a
gallery from before schema 6."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path

import pytest

from station.agencies import AgencyRequest, Lesc, Ngi
from station.cli import main
from station.core.disposition import DispositionPolicy
from station.core.synth.holdings import Profile
from station.core.vocabulary import Disposition, System, SystemStatus
from station.gallery import GalleryError, open_gallery
from station.gallery import connection as gallery_connection
from station.gallery.schema import MIGRATIONS
from station.interchange import parse_response, read_transaction
from station.service import BookingService
from station.service.secure_communities import SecureCommunities
from station.settings import AgencySettings

#: When the tests send their bookings (the same instant as the agencies conftest's ``T0``:
#: a module-level constant cannot come from a conftest, whose import name is not unique).
T0 = dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=dt.UTC)


def _at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_ngi_down_answers_errt_then_resubmission_is_answered(kinds_gallery, kinds_copy) -> None:
    booking = kinds_gallery[Profile.CRIMINAL][2]
    with open_gallery(kinds_copy) as gallery:
        service = BookingService(gallery)
        down = SecureCommunities(service, settings=AgencySettings(down="NGI"))
        down.send(booking, now=T0)
        assert down.pump(_at(5)) == 3
        ngi = {a.system: a for a in down.systems(booking)}[System.NGI]
        assert (ngi.status, ngi.response_tot) == (SystemStatus.ERROR, "ERRT")
        assert ngi.result == "FBI NGI (IAFIS): system unavailable"
        errt = parse_response(read_transaction(gallery.agency_message(ngi.message_id)["response"]))
        assert (errt.tot, errt.disposition) == ("ERRT", Disposition.ERROR)
        with pytest.raises(GalleryError, match="only an error or a time-out is resubmitted"):
            down.resubmit(booking, "STATE", now=_at(6))
        up = SecureCommunities(service, settings=AgencySettings())
        again = up.resubmit(booking, "ngi", now=_at(6))
        assert (again.status, again.replaces, again.tcn.endswith("-NGI-2")) == (
            SystemStatus.PENDING,
            ngi.message_id,
            True,
        )
        assert up.pump(_at(7)) == 1
        latest = {a.system: a for a in up.systems(booking)}[System.NGI]
        assert (latest.status, latest.result) == (SystemStatus.ANSWERED, "ident")
        history = [(str(a.system), str(a.status)) for a in up.history(booking)]
        assert history == [
            ("STATE", "answered"),
            ("NGI", "error"),  # kept: nothing lost
            ("IDENT", "answered"),
            ("NGI", "answered"),
        ]
        actions = [e["action"] for e in gallery.audit_log() if e["booking_id"] == booking]
        assert actions[-2:] == ["send to agencies", "resubmit to agency"]
    assert main(["gallery", "verify", "--gallery", str(kinds_copy)]) == 0


def test_slow_ngi_times_out_and_is_resubmitted(kinds_gallery, kinds_copy) -> None:
    booking = kinds_gallery[Profile.CRIMINAL][2]
    with open_gallery(kinds_copy) as gallery:
        service = BookingService(gallery)
        slow = SecureCommunities(service, settings=AgencySettings(ngi_delay=60, timeout=5))
        slow.send(booking, now=T0)
        assert slow.pump(_at(4.9)) == 2  # STATE and IDENT; NGI still pending
        assert [a.system for a in slow.in_flight()] == [System.NGI]
        assert slow.pump(_at(5)) == 1
        ngi = {a.system: a for a in slow.systems(booking)}[System.NGI]
        assert (ngi.status, ngi.result, ngi.answered_at) == (
            SystemStatus.TIMEOUT,
            None,
            "2026-12-01T10:00:05.000Z",
        )
        SecureCommunities(service, settings=AgencySettings()).resubmit(booking, "NGI", now=_at(6))
        assert slow.pump(_at(6.5)) == 1  # the new message's own delay (0.5 s) was stored
        answers = slow.systems(booking)
        assert [(str(a.system), a.result) for a in answers] == [
            ("STATE", "ident"),
            ("NGI", "ident"),
            ("IDENT", "no match"),
        ]
        assert len(slow.history(booking)) == 4
        assert gallery.verify().ok


def test_two_stations_answer_each_message_once(kinds_gallery, kinds_copy) -> None:
    booking = kinds_gallery[Profile.BOTH][2]
    with open_gallery(kinds_copy) as gallery:
        SecureCommunities(BookingService(gallery, station_id="BS-01")).send(booking, now=T0)
    counts: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def station(name: str) -> None:
        with open_gallery(kinds_copy, timeout=30) as gallery:
            agencies = SecureCommunities(
                BookingService(gallery, station_id=name), settings=AgencySettings()
            )
            barrier.wait()
            counts[name] = agencies.pump(_at(10))

    threads = [threading.Thread(target=station, args=(n,)) for n in ("BS-01", "BS-02")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts.values()) == 4  # STATE, NGI, IDENT and the LESC fan-out
    with open_gallery(kinds_copy) as gallery:
        rows = gallery.agency_messages(booking)
        assert [r["system"] for r in rows] == ["STATE", "NGI", "IDENT", "LESC"]  # one LESC
        assert all(r["status"] == "answered" for r in rows)
        assert {r["answered_by"] for r in rows} <= {"BS-01", "BS-02"}
        updates = gallery._scalar(
            "SELECT count(*) FROM chain WHERE tbl = 'agency_messages' AND op = 'update'"
        )
        assert updates == 4  # each settled once
        assert not gallery.settle_agency_message(rows[0]["id"], status="error", answered_by="X")
        assert gallery.verify().ok


def test_station_book_prints_systems_and_resubmits(kinds_gallery, kinds_copy, capsys) -> None:
    k = kinds_gallery[Profile.CRIMINAL][1]
    argv = ["book", "--subject", str(k), "--no-slaps", "--gallery", str(kinds_copy)]
    assert main([*argv, "--agency-down", "NGI"]) == 0
    out = json.loads(capsys.readouterr().out)
    systems = {s["system"]: s for s in out["systems"]}
    assert list(systems) == ["STATE", "NGI", "IDENT"]
    assert set(systems["NGI"]) >= {"system", "tot", "status", "result", "sent_at"}
    assert set(systems["NGI"]) >= {"answered_at", "details"}
    assert [s["status"] for s in out["systems"]] == ["answered", "error", "answered"]
    assert systems["STATE"]["result"] == "ident" and systems["STATE"]["tot"] == "CAR"
    assert out["disposition"] == "HIT" and "station_disposition" not in out  # both identified
    assert main(["agencies", "resubmit", out["tcn"], "NGI", "--gallery", str(kinds_copy)]) == 0
    again = {s["system"]: s for s in json.loads(capsys.readouterr().out)}
    assert (again["NGI"]["status"], again["NGI"]["result"]) == ("answered", "ident")
    assert main(["agencies", "show", out["tcn"], "--gallery", str(kinds_copy)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(s["system"], s["status"]) for s in shown] == [
        ("STATE", "answered"),
        ("NGI", "error"),
        ("IDENT", "answered"),
        ("NGI", "answered"),
    ]
    assert main([*argv, "--no-wait", "--agency-delay", "STATE=30"]) == 0
    pending = json.loads(capsys.readouterr().out)["systems"]
    assert [s["status"] for s in pending] == ["pending"] * 3
    assert all(s["answered_at"] is None for s in pending)


def test_station_book_disposition_is_the_overall_one(kinds_gallery, kinds_copy, capsys) -> None:
    # An unknown subject: the station and every agency say NO HIT, so does the output. The
    # service's overall() is what the printed disposition is once the answers are final.
    k = kinds_gallery[Profile.UNKNOWN][1]
    argv = ["book", "--subject", str(k), "--no-slaps", "--gallery", str(kinds_copy)]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert [s["status"] for s in out["systems"]] == ["answered"] * 3
    assert out["disposition"] == "NO HIT" and "station_disposition" not in out
    with open_gallery(kinds_copy) as gallery:
        agencies = SecureCommunities(BookingService(gallery), settings=AgencySettings())
        assert agencies.overall(out["booking_id"]) == out["disposition"]
    assert main(["gallery", "verify", "--gallery", str(kinds_copy)]) == 0


def test_cli_refuses_bad_agency_options(kinds_copy, capsys) -> None:
    base = ["book", "--subject", "3", "--gallery", str(kinds_copy)]
    assert main([*base, "--agency-down", "FBI"]) == 2
    assert "unknown system in [agencies] down 'FBI'" in capsys.readouterr().err
    assert main([*base, "--agency-delay", "NGI"]) == 2
    assert "SYSTEM=SECONDS" in capsys.readouterr().err
    assert main([*base, "--agency-delay", "NGI=-1"]) == 2
    assert "ngi_delay must be a number of seconds >= 0" in capsys.readouterr().err
    assert main([*base, "--agency-timeout", "0"]) == 2
    assert "timeout must be a number of seconds > 0" in capsys.readouterr().err


def test_settings_validate_agencies(tmp_path: Path) -> None:
    from station.settings import load_settings

    good = tmp_path / "good.toml"
    good.write_text('[agencies]\nngi_delay = 5\ntimeout = 2\ndown = "ngi, ident"\n')
    agencies = load_settings(good).agencies
    assert (agencies.delay("NGI"), agencies.timeout) == (5.0, 2.0)
    assert agencies.down_systems == (System.NGI, System.IDENT)
    assert AgencySettings().delay("STATE") + AgencySettings().delay("LESC") <= 2.0
    for text, message in (
        ('down = "FBI"', "unknown system"),
        ("lesc_delay = -0.5", "lesc_delay must be a number of seconds >= 0"),
        ('timeout = "soon"', "timeout must be a number"),
        ("delay = 1", "unknown key"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(f"[agencies]\n{text}\n")
        with pytest.raises(ValueError, match=message):
            load_settings(bad)


def test_schema_5_gallery_migrates_and_agencies_answer_from_old_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v5.sqlite"
    with monkeypatch.context() as m:
        m.setattr(gallery_connection, "MIGRATIONS", MIGRATIONS[:5])
        m.setattr(gallery_connection, "SCHEMA_VERSION", 5)
        with open_gallery(path) as g:
            sid = g.add_subject({"last_name": "Novak", "first_name": "Ana"})
            with g.transaction():
                for repo, number, level in (
                    ("federal-criminal", "FBI-1", 1),
                    ("federal-immigration", "FIN-1", None),
                ):
                    g._insert(
                        "records",
                        {
                            "subject_id": sid,
                            "repository": repo,
                            "record_number": number,
                            "offence_level": level,
                            "charge": "homicide" if level else None,
                            "created_at": "2020-01-01T00:00:00.000Z",
                        },
                    )
    with open_gallery(path) as g:
        assert g.verify().ok
        assert [r["history"] for r in g.records(sid)] == [None, None]
        request = AgencyRequest(
            System.NGI, "M-NGI", "T1", "CAR", "NY0303000", T0.date(), candidates=((sid, 3.0),)
        )
        answer = Ngi(g, DispositionPolicy()).answer(request)
        assert (answer.result, answer.details["ucn"], answer.details["offence_level"]) == (
            "ident",
            "FBI-1",
            1,
        )
        assert answer.details["arrests"] == []
        iaq = AgencyRequest(
            System.LESC, "M-LESC", "T1", "IAQ", "NY0303000", T0.date(), subject_id=sid
        )
        lesc = Lesc(g).answer(iaq).details
        assert (lesc["level"], lesc["detainer"], lesc["fin"]) == (1, "I-247", "FIN-1")
        assert lesc["status"] == "unknown (no IDENT status on record)"


def test_purging_a_closed_booking_removes_its_messages_chained(kinds_gallery, kinds_copy) -> None:
    booking = kinds_gallery[Profile.CRIMINAL][2]
    with open_gallery(kinds_copy) as gallery:
        service = BookingService(gallery)
        agencies = SecureCommunities(service, settings=AgencySettings(down="NGI"))
        agencies.send(booking, now=T0)
        agencies.pump(_at(5))
        SecureCommunities(service, settings=AgencySettings()).resubmit(booking, "NGI", now=_at(6))
        agencies.pump(_at(7))
        assert len(gallery.agency_messages(booking)) == 4  # the resubmission names the error
        service.enrol(booking)  # closed: enrolled
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
        report = gallery.purge(1, actor="administrator", now=later)
        assert report.bookings == 1
        assert gallery.agency_messages(booking) == []
        assert gallery.verify().ok
