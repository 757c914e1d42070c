"""Arrest data: the offence table, every rule of the arrest check, storage with the booking
(chained), the CAR's arrest fields, and the mock jail management system."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from station.cli import main
from station.core.arrest import Arrest, Charge
from station.core.offences import OFFENCES, level_of, offence, offence_of_literal
from station.core.vocabulary import Race
from station.gallery import GalleryError, NotFoundError, open_gallery
from station.interchange import parse_submission, read_transaction, write_transaction
from station.interchange.ebts import ArrestCharge, build_submission
from station.service import BookingService
from station.service.arrest import ArrestError, check_arrest, clean_arrest
from station.service.demographics import DemographicsError
from station.service.jms import (
    JMS_FORMAT,
    SHIPPED_JMS,
    SHIPPED_SUBJECTS,
    JailManagementSystem,
    JmsError,
    synthetic_jms_bookings,
)
from station.service.transactions import booking_submission

TODAY = dt.date(2026, 12, 1)
_DEMO = {"last_name": "Doe", "first_name": "John", "date_of_birth": "1990-05-01", "sex": "M"}
_ARREST = {
    "oca": "26-000123",
    "ori": "NY0303000",
    "date_of_arrest": "2026-11-30",
    "charges": [{"code": "PL140.25", "offence_date": "2026-11-29"}, "PL155.25"],
    "race": "B",
    "smt": ["TAT R ARM", "SC L HND"],
}


# --- the offence table ------------------------------------------------------------------------


def test_the_table_has_every_level_and_unique_codes() -> None:
    levels = [o.level for o in OFFENCES]
    assert len(OFFENCES) >= 25 and {1, 2, 3} == set(levels)
    assert len({o.code for o in OFFENCES}) == len(OFFENCES)
    assert offence("PL125.25").description == "Murder in the second degree"
    assert offence("pl 125.25") is offence("PL125.25")
    assert offence("PL125.25").literal == "NY PL 125.25 MURDER IN THE SECOND DEGREE"


def test_the_level_is_the_most_serious_charge() -> None:
    assert level_of(["PL155.25"]) == 3
    assert level_of(["PL155.25", "PL140.25"]) == 2
    assert level_of(["PL140.25", "PL130.35", "VTL1192.3"]) == 1
    assert level_of([]) is None
    with pytest.raises(ValueError, match="unknown offence code 'XX1'"):
        level_of(["XX1"])


# --- the arrest check -------------------------------------------------------------------------


def _problems(**changes: object) -> list[tuple[str, str]]:
    data = {**_ARREST, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return [
        (p.field, p.message) for p in check_arrest(data, date_of_birth="1990-05-01", today=TODAY)
    ]


def test_good_arrest_data_has_no_problem() -> None:
    assert _problems() == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"oca": None}, "oca", "Arrest number (OCA) is required"),
        ({"oca": "x" * 21}, "oca", "Arrest number (OCA) must be 1-20"),
        ({"oca": "26_01"}, "oca", "Arrest number (OCA) must be 1-20"),
        ({"oca": "26\u202e01"}, "oca", "bidirectional override"),
        ({"ori": None}, "ori", "Arresting agency ORI is required"),
        ({"ori": "NY030300"}, "ori", "must be 9 characters"),
        ({"ori": "ny0303000"}, "ori", "upper case"),
        ({"ori": "120303000"}, "ori", "two letters"),
        ({"date_of_arrest": None}, "date_of_arrest", "Date of arrest is required"),
        ({"date_of_arrest": "30/11/2026"}, "date_of_arrest", "written YYYY-MM-DD"),
        ({"date_of_arrest": "2026-12-02"}, "date_of_arrest", "in the future"),
        ({"date_of_arrest": "1989-01-01", "charges": ["PL140.25"]}, "date_of_arrest",
         "before the date of birth"),
        ({"charges": []}, "charges", "at least one charge is required"),
        ({"charges": ["PL999.99"]}, "charges", "Charge 1: unknown offence code 'PL999.99'"),
        ({"charges": ["PL140.25", "pl140.25"]}, "charges", "Charge 2: PL140.25 is charged twice"),
        ({"charges": [{"code": "PL140.25", "offence_date": "2026-12-05"}]}, "charges",
         "Charge 1: offence date is in the future"),
        ({"charges": [{"code": "PL140.25", "offence_date": "2026-12-01"}]}, "charges",
         "Charge 1: offence date is after the date of arrest"),
        ({"charges": ["PL155.25"] * 11}, "charges", "at most 10"),
        ({"race": None}, "race", "Race is required (EBTS 2.025 RAC)"),
        ({"race": "Z"}, "race", "Race must be one of A, B, I, U, W"),
        ({"smt": ["x" * 41]}, "smt", "each at most 40 characters"),
        ({"smt": "TAT"}, "smt", "must be a list of text"),
        ({"level": 1}, "", "unknown arrest field(s) 'level'"),
    ],
)  # fmt: skip
def test_each_rule(changes: dict, field: str, message: str) -> None:
    problems = _problems(**changes)
    assert len(problems) == 1, problems
    assert problems[0][0] == field and message in problems[0][1]


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ArrestError) as caught:
        clean_arrest({"oca": "26-1", "ori": "NY1"}, today=TODAY)
    assert [p.field for p in caught.value.problems] == ["ori", "date_of_arrest", "charges", "race"]
    assert isinstance(caught.value, DemographicsError)  # the form shows both alike


def test_clean_arrest_normalises() -> None:
    arrest = clean_arrest({**_ARREST, "race": " b ", "smt": ["  TAT R ARM ", ""]}, today=TODAY)
    assert arrest == Arrest(
        oca="26-000123",
        ori="NY0303000",
        date_of_arrest=dt.date(2026, 11, 30),
        charges=(Charge("PL140.25", dt.date(2026, 11, 29)), Charge("PL155.25")),
        race=Race.B,
        smt=("TAT R ARM",),
    )
    assert arrest.level == 2


# --- stored with the booking ------------------------------------------------------------------


def test_arrest_data_round_trips_through_the_gallery_and_the_chain_stays_valid(
    service: BookingService,
) -> None:
    booking = service.open_booking(_DEMO, arrest=_ARREST, jms_booking="BK26-99999")
    stored = service.arrest(booking)
    assert stored == clean_arrest(_ARREST)
    assert service.gallery.arrest(booking)["jms_booking"] == "BK26-99999"
    corrected = service.set_arrest(booking, {**_ARREST, "charges": ["PL125.25"], "race": "W"})
    assert service.arrest(booking) == corrected and corrected.level == 1
    assert corrected.race is Race.W
    report = service.gallery.verify()
    assert report.ok, report.problem
    actions = [r["action"] for r in service.gallery.audit_log(booking_id=booking)]
    assert actions.count("arrest data") == 2


def test_bad_arrest_data_opens_nothing(service: BookingService) -> None:
    before = len(service.gallery.bookings())
    with pytest.raises(ArrestError, match="Race is required"):
        service.open_booking(_DEMO, arrest={**_ARREST, "race": ""})
    assert len(service.gallery.bookings()) == before
    plain = service.open_booking(_DEMO)
    assert service.arrest(plain) is None


def test_a_submitted_bookings_arrest_data_cannot_change(service: BookingService) -> None:
    booking = service.open_booking(_DEMO, arrest=_ARREST)
    service.gallery.set_booking_status(booking, "submitted")
    with pytest.raises(GalleryError, match="arrest data can only change while it is open"):
        service.set_arrest(booking, _ARREST)


# --- the CAR ----------------------------------------------------------------------------------


def test_the_car_carries_the_arrest_and_reads_back(service: BookingService) -> None:
    booking = service.open_booking(_DEMO, arrest=_ARREST)
    submission = booking_submission(service, booking, ori="NY0303000", dai="WVIAFIS0Z")
    type2 = build_submission(submission).records[0]
    assert type2.text(9) == "26-000123"
    assert type2.text(25) == "B"
    assert type2.fields[26] == (("TAT R ARM",), ("SC L HND",))
    assert type2.text(45) == "20261130"
    assert type2.fields[47] == (
        ("20261129", "NY PL 140.25 BURGLARY IN THE SECOND DEGREE"),
        ("", "NY PL 155.25 PETIT LARCENY"),
    )
    back = parse_submission(read_transaction(write_transaction(build_submission(submission))))
    assert (back.oca, back.smt, back.date_of_arrest, back.charges) == (
        submission.oca,
        submission.smt,
        submission.date_of_arrest,
        submission.charges,
    )
    assert back.oca == "26-000123" and back.demographics["race"] == "B"
    assert [c.offence_date for c in back.charges] == [dt.date(2026, 11, 29), None]


def test_a_car_with_arrest_data_and_no_race_is_refused(service: BookingService) -> None:
    booking = service.open_booking(_DEMO, arrest=_ARREST)
    submission = booking_submission(service, booking, ori="NY0303000", dai="WVIAFIS0Z")
    demographics = {k: v for k, v in submission.demographics.items() if k != "race"}
    without = type(submission)(**{**submission.__dict__, "demographics": demographics})
    with pytest.raises(ValueError, match="needs the subject's race"):
        build_submission(without)


# --- the jail management system ---------------------------------------------------------------


def test_the_shipped_export_is_the_synthetic_one() -> None:
    data = json.loads(SHIPPED_JMS.read_text(encoding="utf-8"))
    assert data["format"] == JMS_FORMAT
    assert data["bookings"] == [b.to_json() for b in synthetic_jms_bookings(SHIPPED_SUBJECTS)]


def test_a_known_number_gives_its_demographics_and_arrest_exactly() -> None:
    jms = JailManagementSystem(SHIPPED_JMS)
    assert len(jms) == SHIPPED_SUBJECTS
    booking = jms.booking(" bk26-00007 ")
    assert booking.demographics["last_name"] == "Davis"
    assert dict(booking.arrest) == {
        "oca": "26-942092",
        "ori": "NY0303100",
        "date_of_arrest": "2026-07-18",
        "charges": [
            {"code": "PL220.77", "offence_date": "2026-07-17"},
            {"code": "PL220.16", "offence_date": "2026-07-18"},
        ],
        "race": "U",
        "smt": ["TAT CHEST"],
    }
    assert clean_arrest(booking.arrest, today=TODAY).level == 1


def test_an_unknown_number_is_a_clear_error() -> None:
    jms = JailManagementSystem(SHIPPED_JMS)
    with pytest.raises(JmsError, match="no booking 'BK26-77777' in the JMS export"):
        jms.booking("BK26-77777")
    with pytest.raises(JmsError, match="enter a JMS booking number"):
        jms.booking("  ")


def test_a_site_export_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "jms_bookings.json"
    path.write_text(json.dumps({"format": "other"}), encoding="utf-8")
    with pytest.raises(JmsError, match="is not a JMS export"):
        JailManagementSystem(path)
    item = {"booking_number": "A1", "demographics": _DEMO, "arrest": _ARREST}
    path.write_text(
        json.dumps({"format": JMS_FORMAT, "version": 1, "bookings": [item, item]}),
        encoding="utf-8",
    )
    with pytest.raises(JmsError, match="booking number A1 is given twice"):
        JailManagementSystem(path)
    with pytest.raises(JmsError, match="not found"):
        JailManagementSystem(tmp_path / "missing.json")


def test_station_book_jms_books_the_jms_data(gallery_copy: Path, tmp_path: Path, capsys) -> None:
    car = tmp_path / "car.eft"
    code = main(
        ["book", "--gallery", str(gallery_copy), "--subject", "3", "--jms", "BK26-00003",
         "--no-slaps", "--eft", str(car)]
    )  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["arrest"]["oca"] == "26-725570" and out["arrest"]["level"] == 3
    back = parse_submission(read_transaction(car.read_bytes()))
    assert back.oca == "26-725570" and back.demographics["last_name"] == "JACKSON"
    assert main(["gallery", "verify", "--gallery", str(gallery_copy)]) == 0
    assert main(["book", "--gallery", str(gallery_copy), "--subject", "3", "--jms", "NOPE"]) == 2
    assert "no booking 'NOPE' in the JMS export" in capsys.readouterr().err


def sent_ori(path: Path) -> str:
    return parse_submission(read_transaction(path.read_bytes())).ori


def test_booking_a_car_file_takes_its_arrest_data(
    gallery_copy: Path, tmp_path: Path, capsys
) -> None:
    car = tmp_path / "car.eft"
    book = ["book", "--gallery", str(gallery_copy), "--no-slaps"]
    assert main([*book, "--subject", "3", "--jms", "BK26-00003", "--eft", str(car)]) == 0
    first = json.loads(capsys.readouterr().out)["arrest"]
    assert main([*book, "--ebts", str(car)]) == 0
    again = json.loads(capsys.readouterr().out)["arrest"]
    # OCA, date, charges with levels, race and SMT from the file; the agency is the file's
    # 1.008 ORI (EBTS pairs 2.009 OCA with it), here the station's own
    assert again == {**first, "ori": sent_ori(car)} and sent_ori(car) == "NY0303000"

    # a charge the offence table does not hold is refused by name, and nothing is booked
    sent = parse_submission(read_transaction(car.read_bytes()))
    foreign = ArrestCharge("CA PC 459 BURGLARY", dt.date(2026, 1, 2))
    edited = tmp_path / "foreign.eft"
    edited.write_bytes(write_transaction(build_submission(replace(sent, charges=(foreign,)))))
    with open_gallery(gallery_copy, readonly=True) as gallery:
        before = len(gallery.bookings())
    assert main([*book, "--ebts", str(edited)]) == 2
    err = capsys.readouterr().err
    assert f"{edited} (Type-2 arrest data): " in err
    assert "unknown offence code 'CA PC 459 BURGLARY'" in err
    with open_gallery(gallery_copy, readonly=True) as gallery:
        assert len(gallery.bookings()) == before


def test_a_charge_literal_is_read_by_its_statute() -> None:
    assert offence_of_literal("NY PL 140.25 BURGLARY IN THE SECOND DEGREE").code == "PL140.25"
    assert offence_of_literal("  ny  pl 140.25  burglary 2nd ").code == "PL140.25"
    with pytest.raises(ValueError, match="names no statute"):
        offence_of_literal("NY PL 140.2 BURGLARY")  # whole words: 140.2 is not 140.25


def test_station_jms_list_and_show(capsys) -> None:
    assert main(["jms", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == SHIPPED_SUBJECTS
    assert lines[7] == (
        "BK26-00007: Davis, Linda: arrested 2026-07-18, PL220.77, PL220.16 (level 1)"
    )
    assert main(["jms", "show", "BK26-00001"]) == 0
    assert json.loads(capsys.readouterr().out)["arrest"]["race"] == "B"


def test_purging_a_closed_booking_removes_its_arrest_and_keeps_the_chain(
    service: BookingService,
) -> None:
    gallery = service.gallery
    booking = service.open_booking(_DEMO, arrest=_ARREST)
    tcn = gallery.booking(booking)["tcn"]
    gallery.set_booking_status(booking, "cancelled")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    report = gallery.purge(365, actor="admin", now=later)
    assert tcn in report.tcns
    with pytest.raises(NotFoundError, match="no booking"):
        gallery.arrest(booking)
    assert gallery.verify().ok
