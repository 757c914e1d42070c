"""A booking's EBTS transactions (issue 13 items 1 and 5): ``station book --eft /
--response-eft``, ``station ebts export``, ``station book --ebts``; the CAR read back by our
reader and by nistitl, field for field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from station.cli import main
from station.core.vocabulary import Annotation, Disposition
from station.gallery import open_gallery
from station.interchange import (
    PrintImage,
    TaggedRecord,
    parse_response,
    parse_submission,
    read_file,
)
from station.service import BookingService
from station.service.transactions import (
    booking_response,
    booking_submission,
    response_transaction,
    submission_transaction,
)
from station.settings import StationSettings

nistitl = pytest.importorskip("nistitl", reason="nistitl (the independent parser) not installed")

_DEMO = {"last_name": "Card", "first_name": "Ten", "sex": "M", "date_of_birth": "1980-01-02"}


@pytest.fixture(scope="module")
def booked(
    seeded_gallery: Path, enrolled: list[int], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """A gallery copy with two CLI bookings: a full one of ``enrolled[0]`` (HIT, slaps) with
    its CAR and SRE files, and ``enrolled[1]`` with an amputated L4 (rolled only)."""
    folder = tmp_path_factory.mktemp("booked")
    path = folder / "gallery.sqlite"
    with open_gallery(seeded_gallery, readonly=True) as g:
        g.copy_to(path)
    car, sre = folder / "car.eft", folder / "sre.eft"
    where = ["--gallery", str(path)]
    args = ["book", "--subject", str(enrolled[0]), *where, "--eft", str(car)]
    assert main([*args, "--response-eft", str(sre)]) == 0
    args = ["book", "--subject", str(enrolled[1]), "--scenario", "amputated", "--no-slaps"]
    assert main([*args, *where]) == 0
    return {"gallery": path, "car": car, "sre": sre, "folder": folder}


def test_the_car_holds_the_booking(booked: dict[str, Path]) -> None:
    t = read_file(booked["car"])
    with open_gallery(booked["gallery"], readonly=True) as g:
        booking = g.booking(1)
        rows = {(r["finger"], r["impression"]): r for r in g.booking_prints(1)}
        blobs = g.booking_print_data(1)
    h = t.header
    station = StationSettings()
    assert (h.text(4), h.text(9), h.text(8), h.text(7)) == (
        "CAR",
        booking["tcn"],
        station.ori,
        station.dai,
    )
    created = dt.datetime.fromisoformat(booking["created_at"].replace("Z", "+00:00"))
    assert h.text(5) == created.strftime("%Y%m%d")
    assert h.text(14) == created.strftime("%Y%m%d%H%M%SZ")
    (type2,) = t.of_type(2)
    demo = booking["demographics"]
    assert (
        type2.text(18)
        == f"{demo['last_name']},{demo['first_name']} {demo['middle_initial']}".upper()
    )
    assert type2.text(22) == demo["date_of_birth"].replace("-", "")
    assert type2.text(45) is None and type2.text(47) is None  # the booking holds neither
    records = t.of_type(14)
    assert [r.text(13) for r in records] == [str(n) for n in (*range(1, 11), 13, 14, 15)]
    for record in records[:10]:
        finger = ("R1", "R2", "R3", "R4", "R5", "L1", "L2", "L3", "L4", "L5")[
            int(record.text(13)) - 1
        ]
        row = rows[(finger, "rolled")]
        assert record.text(3) == "1" and record.text(11) == "WSQ20"
        assert (record.text(9), record.text(10)) == ("500", "500")
        assert record.data == blobs[row["id"]][0]  # the stored WSQ bytes, not compressed again
        assert record.subfields(22) == ((record.text(13), str(row["level"])),)
    segments = {r.text(13): r.subfields(21) for r in records[10:]}
    assert [r.text(3) for r in records[10:]] == ["0", "0", "0"]
    assert [len(segments[k]) for k in ("13", "14", "15")] == [4, 4, 2]
    assert sorted(s[0] for s in segments["15"]) == ["1", "6"]


def test_the_car_reads_back_as_it_was_made_and_is_the_same_every_time(
    booked: dict[str, Path], tmp_path: Path, capsys
) -> None:
    with open_gallery(booked["gallery"], readonly=True) as g:
        service = BookingService(g)
        made = submission_transaction(service, 1)
        submission = booking_submission(service, 1)
    read = read_file(booked["car"])
    assert read == made  # every record, every field, every image byte
    assert parse_submission(read) == parse_submission(made)
    assert set(submission.fingers) == set(parse_submission(read).fingers)
    again = tmp_path / "again.eft"
    assert main(["ebts", "export", "1", "--gallery", str(booked["gallery"]), "-o", str(again)]) == 0
    assert json.loads(capsys.readouterr().out)["tot"] == "CAR"
    assert again.read_bytes() == booked["car"].read_bytes()


def test_nistitl_reads_the_car_field_for_field(booked: dict[str, Path]) -> None:
    data = booked["car"].read_bytes()
    ours = read_file(booked["car"])
    theirs = nistitl.Message()
    theirs.parse(data)
    records = (ours.header, *ours.records)
    assert len(theirs) == len(records) == 15
    checked = 0
    for mine, other in zip(records, theirs, strict=True):
        assert other.type == mine.type
        assert isinstance(mine, TaggedRecord)
        fields = {f.tag: f for f in other._fields}
        for tag, value in mine.fields.items():
            got = fields[tag].value
            if tag == 2:  # nistitl reads an IDC as a number ("00" is 0)
                assert int(got) == int(value)
            elif isinstance(value, str):
                assert str(got) == value, (mine.type, tag)
            else:
                subs = tuple(tuple(s) if isinstance(s, list) else (s,) for s in got)
                assert tuple(tuple(map(str, s)) for s in subs) == value, (mine.type, tag)
            checked += 1
        if mine.data is not None:
            assert bytes(fields[999].value) == mine.data
            checked += 1
    assert checked > 150


def test_the_sre_names_the_hit(booked: dict[str, Path], enrolled: list[int]) -> None:
    response = parse_response(read_file(booked["sre"]))
    with open_gallery(booked["gallery"], readonly=True) as g:
        booking = g.booking(1)
        (stored,) = g.responses(1)
        subject = g.subject(booking["subject_id"])
        assert response == booking_response(BookingService(g), 1)
    assert response.tot == "SRE" and response.disposition is Disposition.HIT
    assert response.tcr == booking["tcn"] and response.tcn == f"{booking['tcn']}-R{stored['id']}"
    assert response.subject is not None
    assert response.subject.name.startswith(f"{subject['last_name']},".upper())
    assert response.subject.date_of_birth == dt.date.fromisoformat(subject["date_of_birth"])


def test_an_amputated_finger_is_an_amp_without_image(booked: dict[str, Path]) -> None:
    with open_gallery(booked["gallery"], readonly=True) as g:
        submission = booking_submission(BookingService(g), 2)
    assert submission.fingers["L4"] is Annotation.XX
    assert all(isinstance(v, PrintImage) for f, v in submission.fingers.items() if f != "L4")
    assert submission.slaps == {}
    (l4,) = [r for r in submission_transaction_records(booked, 2) if r.text(13) == "9"]
    assert l4.data is None and l4.subfields(18) == (("9", "XX"),)


def submission_transaction_records(booked: dict[str, Path], booking_id: int) -> tuple:
    with open_gallery(booked["gallery"], readonly=True) as g:
        return submission_transaction(BookingService(g), booking_id).of_type(14)


def test_an_error_response_is_an_errt_with_the_reason(gallery_copy: Path) -> None:
    with open_gallery(gallery_copy) as g:
        service = BookingService(g)
        booking = service.open_booking(_DEMO)
        service.fail_submit(booking, "scanner unplugged during the search")
        response = parse_response(response_transaction(service, booking))
        assert g.verify().problem is None
    assert response.tot == "ERRT" and response.disposition is Disposition.ERROR
    assert "scanner unplugged during the search" in response.message


def test_export_refuses_a_booking_never_submitted(
    gallery_copy: Path, tmp_path: Path, capsys
) -> None:
    with open_gallery(gallery_copy) as g:
        booking = BookingService(g).open_booking(_DEMO)
        tcn = g.booking(booking)["tcn"]
    out = tmp_path / "x.eft"
    assert main(["ebts", "export", tcn, "--gallery", str(gallery_copy), "-o", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"station: error: booking {booking} ({tcn}) was not submitted: only a submitted booking "
        "is exported"
    )
    assert not out.exists()


def test_booking_our_own_car_finds_the_same_subject(booked: dict[str, Path], capsys) -> None:
    """The CAR read back through ``station book --ebts``: names from its Type-2, the same
    subject hit; the gallery's chain stays valid."""
    capsys.readouterr()
    where = ["--gallery", str(booked["gallery"])]
    assert main(["book", "--ebts", str(booked["car"]), *where]) == 0
    answer = json.loads(capsys.readouterr().out)
    with open_gallery(booked["gallery"], readonly=True) as g:
        first, again = g.booking(1), g.booking(answer["booking_id"])
        assert again["demographics"]["last_name"] == first["demographics"]["last_name"].upper()
        prints = g.booking_prints(answer["booking_id"])
        assert g.verify().problem is None
    assert answer["disposition"] == "HIT"
    assert answer["subject"]["subject_id"] == first["subject_id"]
    assert {"LS", "RS", "TS"} <= {p["finger"] for p in prints if p["impression"] == "flat"}
    assert main(["gallery", "verify", *where]) == 0


def test_the_shared_tenprint_card_books_to_a_disposition(
    samples: Path, gallery_copy: Path, tmp_path: Path, capsys
) -> None:
    demo = tmp_path / "demo.json"
    demo.write_text(json.dumps(_DEMO))
    card = samples / "type-4-tpcard.an2"
    args = ["book", "--ebts", str(card), "--gallery", str(gallery_copy), "--demographics"]
    out = tmp_path / "card.eft"
    assert main([*args, str(demo), "--eft", str(out)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["disposition"] in {d.value for d in Disposition}
    assert answer["disposition"] == "NO HIT"  # the card's person is not in the gallery
    with open_gallery(gallery_copy, readonly=True) as g:
        prints = g.booking_prints(answer["booking_id"])
        assert g.verify().problem is None
    assert len([p for p in prints if p["impression"] == "rolled"]) == 10
    slaps = {p["finger"] for p in prints if p["finger"] in ("RS", "LS", "TS")}
    assert slaps == {"RS", "LS"}
    assert [r.text(13) for r in read_file(out).of_type(14)][-2:] == ["13", "14"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"ori": "NY03"}, "settings: [station] ori must be 9 letters or digits"),
        ({"dai": "WVIAFIS0Z!"}, "settings: [station] dai must be 9 letters or digits"),
    ],
)
def test_agency_settings_are_checked(values: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        StationSettings(**values)
    assert StationSettings(ori="ny0303000").ori == "NY0303000"


def test_export_needs_the_export_role(
    booked: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """As ``station gallery export``: an administrator exports, an officer does not."""
    import io
    import sys

    path = tmp_path / "g.sqlite"
    with open_gallery(booked["gallery"], readonly=True) as g:
        g.copy_to(path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    where = ["--gallery", str(path)]
    monkeypatch.setenv("STATION_NEW_PASSWORD", "root password")
    assert main(["user", "add", "root", *where]) == 0
    monkeypatch.setenv("STATION_PASSWORD", "root password")
    monkeypatch.setenv("STATION_NEW_PASSWORD", "olga password")
    assert main(["user", "add", "olga", "--roles", "officer", "--user", "root", *where]) == 0
    capsys.readouterr()
    out = tmp_path / "x.eft"
    monkeypatch.setenv("STATION_PASSWORD", "olga password")
    assert main(["ebts", "export", "1", *where, "-o", str(out), "--user", "olga"]) == 2
    assert capsys.readouterr().err.strip() == (
        "station: error: exporting or purging gallery data needs the administrator role; "
        "olga has officer"
    )
    assert not out.exists()
    monkeypatch.setenv("STATION_PASSWORD", "root password")
    assert main(["ebts", "export", "1", *where, "-o", str(out), "--user", "root"]) == 0
    assert out.read_bytes() == booked["car"].read_bytes()
    with open_gallery(path, readonly=True) as g:
        (entry,) = [a for a in g.audit_log(booking_id=1) if a["action"] == "export transaction"]
        assert entry["actor"] == "root"
        assert g.verify().problem is None


def test_bench_ebts_figures(seeded_gallery: Path, enrolled: list[int]) -> None:
    from station.benchmark.transactions import ebts_bench, format_ebts

    result = ebts_bench(seeded_gallery, subject=enrolled[0], repeats=1)
    assert result.disposition == "HIT" and result.records == 15
    assert result.ours_equal and result.nistitl_mismatches == 0 and result.nistitl_fields > 150
    assert 0 < result.image_bytes < result.car_bytes
    assert result.card_disposition is None
    assert "shared ten-print card absent" in format_ebts(result)
