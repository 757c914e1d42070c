"""Secure Communities in the window (issue 14, part 4): an IDENT match booked through the
window, ICE's level on the response page, the transactions panel, an agency set down and
resubmitted, the booking log's transactions, bookings in flight side by side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit, QTableWidget, QWidget

from station.core.synth.holdings import Profile, profile
from station.gallery import open_gallery
from station.service import Operator
from station.settings import AgencySettings, Settings, set_settings

from .conftest import WAIT, Officer, open_window

#: Short delays: the whole booking answered within a second.
FAST_AGENCIES = AgencySettings(state_delay=0.1, ngi_delay=0.2, ident_delay=0.2, lesc_delay=0.2)


@pytest.fixture
def officer_at(qtbot, gallery_path: Path, station_operator: Operator) -> Iterator:
    """``officer_at(agency settings)``: an officer at a window with those agency settings."""

    def make(agencies: AgencySettings) -> Officer:
        set_settings(Settings(agencies=agencies))
        return Officer(qtbot, open_window(qtbot, gallery_path, station_operator))

    yield make
    set_settings(None)


def _type(officer: Officer, name: str, text: str) -> None:
    edit = officer.find(QLineEdit, name)
    edit.clear()
    officer.qtbot.keyClicks(edit, text)


def _statuses(officer: Officer) -> list[tuple[str, str, str]]:
    return officer.window.transactions_panel.rows()


def _wait_final(officer: Officer, tcn: str, systems: tuple[str, ...]) -> None:
    officer.qtbot.waitUntil(
        lambda: (
            [(s, st) for t, s, st in _statuses(officer) if t == tcn]
            == [(s, "answered") for s in systems]
        ),
        timeout=WAIT,
    )


def test_an_ident_match_shows_ice_level_1_and_all_four_systems(officer_at) -> None:
    officer = officer_at(FAST_AGENCIES)
    assert profile(2) is Profile.REMOVED_RETURNED  # IDENT encounters, no criminal history
    officer.generate("gallery", 2)  # subject 2 on the platen
    _type(officer, "jmsNumberEdit", "BK26-00002")  # the JMS arrest: Level 2 charges
    with officer.qtbot.waitSignal(officer.window.new_page.jms_fetched, timeout=WAIT):
        officer.click("jmsFetchButton")
    officer.choose("offenceCombo", "PL125.25")  # the officer adds a murder charge: Level 1
    officer.find(QLineEdit, "offenceDateEdit").clear()  # the offence date is optional
    officer.click("addChargeButton")
    assert officer.find(QLabel, "arrestLevelLabel").text() == "Level 1"
    officer.click("nextButton")
    officer.qtbot.waitUntil(lambda: officer.window.page == 1, timeout=WAIT)
    officer.capture_all()
    assert officer.submit().startswith("HIT — ")
    tcn = officer.window.session.tcn

    _wait_final(officer, tcn, ("STATE", "NGI", "IDENT", "LESC"))
    box = officer.find(QWidget, "agenciesBox")
    assert box.isVisible()
    officer.qtbot.waitUntil(
        lambda: officer.find(QLabel, "lescLevelBadge").isVisible(), timeout=WAIT
    )
    badge = officer.find(QLabel, "lescLevelBadge").text()
    assert "ICE PRIORITY LEVEL 1" in badge and "DETAINER (I-247)" in badge
    ident = officer.find(QLabel, "identAnswerLabel").text()
    assert "MATCH" in ident and "FIN-000000002" in ident and "previously removed" in ident
    assert "removal" in ident and "re-entry" in ident
    for key in ("state", "ngi"):
        assert "NON-IDENT" in officer.find(QLabel, f"{key}AnswerLabel").text()
    lesc = officer.find(QLabel, "lescAnswerLabel").text()
    assert "removable" in lesc and "Level 1" in lesc
    for key in ("state", "ngi", "ident", "lesc"):
        assert "ANSWERED" in officer.find(QLabel, f"{key}StatusLabel").text()
    assert "Overall disposition: <b" in officer.find(QLabel, "overallDispositionLabel").text()
    assert ">HIT</b>" in officer.find(QLabel, "overallDispositionLabel").text()
    tabs = officer.window.response_page.side_tabs
    assert tabs.tabText(tabs.currentIndex()) == "Agencies (4/4) · ICE Level 1"
    hint = officer.window.minimumSizeHint()  # four answered panels never widen the window
    assert hint.width() <= 1280 and hint.height() <= 720, hint

    # the transactions tab: the four rows with their times and response types
    officer.window.tabs.setCurrentWidget(officer.window.transactions_panel)
    table = officer.find(QTableWidget, "transactionsTable")
    cells = [[table.item(r, c).text() for c in range(7)] for r in range(table.rowCount())]
    assert [(c[1], c[2], c[5]) for c in cells if c[0] == tcn] == [
        ("STATE", "answered", "SRE"),
        ("NGI", "answered", "SRE"),
        ("IDENT", "answered", "SRE"),
        ("LESC", "answered", "IAR"),
    ]
    assert all(c[3] != "—" and c[4] != "—" for c in cells if c[0] == tcn)
    assert not officer.button("resubmitButton").isEnabled()

    # the booking log lists every transaction of the booking
    log_page = officer.window.log_page
    officer.window.tabs.setCurrentWidget(log_page)
    officer.qtbot.waitUntil(lambda: log_page.select_booking(officer.window.session.booking_id))
    messages = officer.find(QTableWidget, "agencyMessagesTable")
    assert [messages.item(r, 0).text() for r in range(messages.rowCount())] == [
        "STATE",
        "NGI",
        "IDENT",
        "LESC",
    ]
    assert messages.item(3, 5).text() == "IAQ → IAR"


def test_ngi_down_shows_the_error_and_resubmit_gets_it_answered(officer_at, gallery_path) -> None:
    officer = officer_at(
        AgencySettings(state_delay=0.1, ngi_delay=0.1, ident_delay=0.1, down="NGI")
    )
    assert profile(3) is Profile.CRIMINAL
    officer.start_booking("gallery", 3)
    officer.capture_all()
    assert officer.submit().startswith("HIT — ")
    tcn = officer.window.session.tcn
    officer.qtbot.waitUntil(
        lambda: (
            [s for t, *s in _statuses(officer) if t == tcn]
            == [["STATE", "answered"], ["NGI", "error"], ["IDENT", "answered"]]
        ),
        timeout=WAIT,
    )
    assert "ERROR" in officer.find(QLabel, "ngiStatusLabel").text()
    assert "ERRT" in officer.find(QLabel, "ngiAnswerLabel").text()
    button = officer.button("resubmitButton")
    assert button.isEnabled() and "NGI" in button.text()

    # NGI is back up; the officer resubmits from the transactions tab
    officer.window.apply_settings(Settings(agencies=FAST_AGENCIES))
    officer.window.tabs.setCurrentWidget(officer.window.transactions_panel)
    officer.click("resubmitButton")
    _wait_final(officer, tcn, ("STATE", "NGI", "IDENT"))
    assert "FBI-000000003" in officer.find(QLabel, "ngiAnswerLabel").text()
    assert not officer.button("resubmitButton").isEnabled()
    with open_gallery(gallery_path, readonly=True) as gallery:  # nothing lost
        booking = officer.window.session.booking_id
        rows = gallery.agency_messages(booking)
        assert [(r["system"], r["status"]) for r in rows] == [
            ("STATE", "answered"),
            ("NGI", "error"),
            ("IDENT", "answered"),
            ("NGI", "answered"),
        ]
        assert rows[3]["replaces"] == rows[1]["id"]
        assert gallery.verify().ok


def test_the_next_booking_starts_while_the_agencies_answer_the_last(officer_at) -> None:
    officer = officer_at(AgencySettings(state_delay=0.1, ngi_delay=6.0, ident_delay=0.1))
    officer.start_booking("gallery", 0)
    officer.capture_all()
    assert officer.submit().startswith("HIT — ")
    first = officer.window.session.tcn
    pending = officer.find(QLabel, "agencyStatusLabel")
    officer.qtbot.waitUntil(lambda: "pending" in pending.text(), timeout=WAIT)
    assert (first, "NGI", "pending") in _statuses(officer)  # NGI answers in 6 s
    officer.click("newBookingButton")  # the officer does not wait for it
    officer.start_booking("gallery", 1)
    officer.capture_all()
    assert officer.submit().startswith("HIT — ")
    second = officer.window.session.tcn
    assert second != first
    officer.qtbot.waitUntil(
        lambda: {t for t, _s, _st in _statuses(officer)} == {first, second}, timeout=WAIT
    )
    _wait_final(officer, first, ("STATE", "NGI", "IDENT"))
    _wait_final(officer, second, ("STATE", "NGI", "IDENT"))
    officer.qtbot.waitUntil(lambda: pending.text() == "", timeout=WAIT)
    # the response page shows the booking on screen, not the first one
    assert officer.window.response_page.agencies_box.booking_id == officer.window.session.booking_id


def test_the_pump_job_reports_a_refused_send_and_goes_on(gallery_path, station_operator) -> None:
    import datetime as dt

    from station.core.disposition import DispositionPolicy
    from station.gui.agencies import pump_agencies

    snapshot = pump_agencies(
        gallery_path,
        settings=FAST_AGENCIES,
        policy=DispositionPolicy(),
        station_id="BS-01",
        operator=station_operator,
        send=[999_999],
        now=dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC),
    )
    assert snapshot.bookings == () and snapshot.settled == 0 and snapshot.pending == 0
    (problem,) = snapshot.problems
    assert problem.startswith("booking 999999 was not sent to the agencies: ")
    with open_gallery(gallery_path, readonly=True) as gallery:
        assert gallery.agency_messages() == [] and gallery.verify().ok
