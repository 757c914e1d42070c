"""Training classes (create, start, a trainee's live booking scored, faults, pause) and the
class report, without the GUI: hand-made action events, exact expectations."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from station.core.vocabulary import ClassEvent, ClassFault, TraineeAction
from station.gallery import open_gallery
from station.service import AccountService, BookingService
from station.service.accounts import RoleError
from station.training import load_library
from station.training.classes import (
    begin_booking,
    class_progress,
    create_class,
    inject_fault,
    pause_class,
    pending_orders,
    start_class,
)
from station.training.report import write_class_report

PASSWORD = "a long password"


@pytest.fixture
def classroom(gallery_copy: Path):
    """The seeded gallery with an instructor ``ian`` and trainees ``tia`` and ``tom``."""
    with open_gallery(gallery_copy) as gallery:
        accounts = AccountService(gallery)
        admin = accounts.create_first_administrator("admin", PASSWORD)
        for name, roles in (("ian", "instructor"), ("tia", "trainee"), ("tom", "trainee")):
            accounts.add_user(admin, name, PASSWORD, roles)
        ops = {n: accounts.authenticate(n, PASSWORD) for n in ("ian", "tia", "tom")}
        yield gallery, ops


def test_a_class_runs_scores_and_reports(classroom, tmp_path: Path) -> None:
    gallery, ops = classroom
    library = load_library()
    tc = create_class(
        gallery,
        ops["ian"],
        name="Monday <A>",
        trainees=["tia", "tom"],
        scenarios=["first-arrest", "amputated-finger"],
        time_limit=300,
        library=library,
    )
    assert class_progress(gallery, "monday <a>").state == "not started"
    assert begin_booking(gallery, ops["tia"], library) is None  # not started yet
    start_class(gallery, ops["ian"], tc, library)
    live = begin_booking(gallery, ops["tia"], library)
    assert live is not None and live.scenario.id == "first-arrest"
    assert live.demographics["last_name"]  # what the trainee is told
    with pytest.raises(ValueError, match="still running"):
        begin_booking(gallery, ops["tia"], library)
    progress = class_progress(gallery, tc.id).of("tia")
    assert (progress.current, progress.done, progress.status) == (
        "first-arrest",
        0,
        "booking 1 of 2",
    )
    # the instructor disconnects tia's scanner; tom has no booking running
    inject_fault(gallery, ops["ian"], tc, "tia", ClassFault.DISCONNECT)
    with pytest.raises(ValueError, match="no booking running"):
        inject_fault(gallery, ops["ian"], tc, "tom", ClassFault.DIRTY_PLATEN)
    orders, last = pending_orders(gallery, tc.id, "tia", after=0)
    assert [(o["kind"], o["detail"]) for o in orders] == [
        (ClassEvent.FAULT, {"fault": "scanner disconnect"})
    ]
    assert pending_orders(gallery, tc.id, "tom", after=0)[0] == []
    assert pending_orders(gallery, tc.id, "tia", after=last) == ([], last)
    # tia reconnects and gives up before submitting: the scorer names what she missed
    live.record(TraineeAction.RECONNECT)
    result, run_id = live.finish(BookingService(gallery, operator=ops["tia"]))
    assert (result.points, result.max_points) == (0, 4)
    assert result.mistakes == (
        "did not submit the booking",
        "the booking never got a response (NO HIT)",
        "did not enrol the booking",
    )
    p = class_progress(gallery, tc.id).of("tia")
    assert (p.done, p.current, p.points, p.max_points, p.runs) == (1, None, 0, 4, (run_id,))
    # paused: nobody takes a booking
    pause_class(gallery, ops["ian"], tc, paused=True)
    assert class_progress(gallery, tc.id).state == "paused"
    with pytest.raises(ValueError, match="paused"):
        begin_booking(gallery, ops["tom"], library)
    pause_class(gallery, ops["ian"], tc, paused=False)
    with pytest.raises(RoleError):
        pause_class(gallery, ops["tia"], tc, paused=True)
    tom = begin_booking(gallery, ops["tom"], library)
    assert tom is not None and tom.platen.population != live.platen.population  # new person
    tom.finish(BookingService(gallery, operator=ops["tom"]))

    report = write_class_report(gallery, "Monday <A>", tmp_path / "out", library=library)
    page = report.class_file.read_text(encoding="utf-8")
    assert report.class_file.name == "class-monday-a.html"
    assert "did not enrol the booking" in page and "First-time arrest" in page
    assert page.count("data:image/png;base64,") == 2 and "http" not in page
    tia_page = report.trainee_files["tia"].read_text(encoding="utf-8")
    assert html.escape("did not submit the booking") in tia_page
    assert "reconnect" in tia_page and "0/4" in tia_page
    assert {p.name for p in (tmp_path / "out").iterdir()} == {
        "class-monday-a.html",
        "class-monday-a-tia.html",
        "class-monday-a-tom.html",
    }
    assert gallery.verify().ok


def test_a_class_needs_trainee_accounts_and_known_scenarios(classroom) -> None:
    gallery, ops = classroom
    library = load_library()
    kw = {"name": "B", "scenarios": ["first-arrest"], "time_limit": 60, "library": library}
    with pytest.raises(ValueError, match="'ian' is not a trainee"):
        create_class(gallery, ops["ian"], trainees=["ian"], **kw)
    with pytest.raises(ValueError, match="unknown scenario"):
        create_class(gallery, ops["ian"], trainees=["tia"], **{**kw, "scenarios": ["nope"]})
    with pytest.raises(RoleError):
        create_class(gallery, ops["tia"], trainees=["tia"], **kw)
    create_class(gallery, ops["ian"], trainees=["tia"], **kw)
    with pytest.raises(ValueError, match="already"):
        create_class(gallery, ops["ian"], trainees=["tia"], **kw)


def test_a_booking_runs_over_its_time_limit_on_the_class_clock(classroom) -> None:
    gallery, ops = classroom
    library = load_library()
    tc = create_class(
        gallery,
        ops["ian"],
        name="Timed",
        trainees=["tia"],
        scenarios=["first-arrest"],
        time_limit=60,
        library=library,
    )
    start_class(gallery, ops["ian"], tc, library)
    now = [100.0]
    live = begin_booking(gallery, ops["tia"], library, clock=lambda: now[0])
    assert live is not None
    now[0] = 160.0
    assert (live.elapsed, live.over_time) == (60.0, False)
    live.record(TraineeAction.CLEAN_PLATEN)
    now[0] = 160.5
    assert live.over_time
    assert [(e.seq, e.at, e.action) for e in live.events] == [(1, 60.0, TraineeAction.CLEAN_PLATEN)]
