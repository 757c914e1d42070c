"""Demo mode (``station demo``): training scenarios played in the window through the kit's
page objects, captioned; a key or click hands the station back to a person."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

from station.cli import main
from station.core.vocabulary import Disposition
from station.gallery import open_gallery
from station.gui.automation.demo import DemoPlayer, demo_gallery, right_actions, run_demo
from station.testing import FAST_SCANNER, Station, open_station_window
from station.training import load_library

LIBRARY = load_library()


@pytest.fixture
def demo_window(qtbot, seeded_gallery: Path, tmp_path: Path):
    """A demo gallery (a copy of the seeded one) for two scenarios and its window."""
    scenarios = [LIBRARY["swapped-fingers"], LIBRARY["dry-skin"], LIBRARY["first-arrest"]]
    path = tmp_path / "demo.sqlite"
    operator, roles = demo_gallery(path, scenarios, source=seeded_gallery)
    window = open_station_window(path, operator, scanner=FAST_SCANNER)
    qtbot.addWidget(window)
    yield window, roles, path
    window.close()


def test_demo_plays_scenarios_with_captions_and_dispositions(demo_window):
    window, roles, path = demo_window
    assert window.operator.username == "demo"
    player = DemoPlayer(window, roles, pace=0.0)
    run = player.play([LIBRARY["swapped-fingers"], LIBRARY["dry-skin"]])
    assert not run.handed_back
    assert [(b.scenario, b.disposition) for b in run.bookings] == [
        ("swapped-fingers", None),  # refused at the sequence check: never submitted
        ("dry-skin", Disposition.HIT),
    ]
    captions = run.captions
    returning = roles["dry-skin"]["returning"]  # the gallery's id (seeding order varies)
    expected = [
        "Scenario: Swapped fingers — right: takes the right slap, sees R2/R3 flagged, refuses",
        "Take the RS slap",
        "Sequence check: R2 and R3 swapped — rolled out of order",
        "Abandon the booking: sequence check: R2 and R3 rolled out of order",
        "Scenario: Dry skin that needs recapture — right: recapture R2 after the poor first print",
        "R2 graded level 5: the station asks for a recapture",
        "Recapture R2 now",
        "Submit the booking for search",
        f"HIT: the subject was booked before as Brown, Priya (subject #{returning})",
        "Enrol the booking",
    ]
    assert not [c for c in expected if c not in captions], "\n".join(captions)
    positions = [captions.index(c) for c in expected]  # each shown, in this order
    assert positions == sorted(positions)
    bar = window.findChild(QLabel, "demoCaption")
    assert bar.text() == "Demo over — the station is yours" == captions[-1]
    with open_gallery(path, readonly=True) as gallery:
        statuses = [b["status"] for b in gallery.bookings()]
        assert gallery.verify().ok
    assert len(statuses) == 2 and statuses[0] != statuses[1]  # abandoned, then enrolled


def test_a_key_press_hands_the_station_back_mid_booking(demo_window):
    window, roles, path = demo_window
    player = DemoPlayer(window, roles, pace=0.05)
    session = window.session
    pressed: list[int] = []

    def person() -> None:  # a person at the station presses a key after the third print
        if len(pressed) == 0 and sum(s.done for s in session.slots.values()) >= 3:
            pressed.append(len(player.run.captions))
            QTest.keyClick(window, Qt.Key.Key_Space)

    timer = QTimer()
    timer.timeout.connect(person)
    timer.start(5)
    run = player.play([LIBRARY["first-arrest"]], loop=True)
    timer.stop()
    assert pressed and run.handed_back
    assert run.bookings == []  # stopped inside the first booking
    tcn = session.tcn
    assert tcn and session.booking_id is not None and session.response is None
    bar = window.findChild(QLabel, "demoCaption")
    assert bar.text() == f"Demo stopped — the station is yours: booking {tcn} is left open for you"
    assert len(run.captions) <= pressed[0] + 1  # nothing more was done after the key
    # the booking is whole: the person finishes it with their own clicks (no filter left)
    station = Station(window)
    station.capture.roll_all()
    assert station.booking.submit() == Disposition.NO_HIT
    with open_gallery(path, readonly=True) as gallery:
        assert gallery.verify().ok


def test_run_demo_reports_memory_and_bookings(qtbot, seeded_gallery: Path):
    lines: list[str] = []
    run = run_demo(
        ["first-arrest"],
        pace=0.0,
        duration=0.5,
        gallery=seeded_gallery,
        scanner=FAST_SCANNER,
        out=lines.append,
    )
    assert [b.disposition for b in run.bookings] == [Disposition.NO_HIT]
    assert lines[1].startswith("demo: RSS at start ") and lines[1].endswith(" MiB")
    assert lines[2].startswith("demo: RSS at end ")
    assert lines[3] == "demo: 1 bookings played: first-arrest NO HIT"


def test_station_demo_refuses_what_it_cannot_play(capsys):
    assert main(["demo", "no-such-scenario"]) == 2
    assert "no scenario no-such-scenario" in capsys.readouterr().err
    assert main(["demo", "transaction-file"]) == 2
    assert "books from a transaction file" in capsys.readouterr().err
    assert main(["demo", "--pace", "-1"]) == 2
    assert "--pace must be >= 0" in capsys.readouterr().err
    with pytest.raises(ValueError, match="books from a transaction file"):
        right_actions(LIBRARY["transaction-file"])
