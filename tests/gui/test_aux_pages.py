"""The station's auxiliary pages: booking log, gallery browser, settings, first start, shots.

Each test builds what it needs in ``tmp_path`` through the gallery API (a few subjects with
small synthetic prints, a few bookings) and acts as the officer would: typing, clicking,
waiting for signals — never sleeping.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QTableWidget,
    QWidget,
)

from station.core.disposition import DispositionPolicy, Thresholds
from station.core.extract import extract
from station.core.synth import impression
from station.gallery import Gallery, open_gallery
from station.gui import first_run
from station.gui.first_run import ensure_gallery, marker_path
from station.gui.gallery_page import GalleryPage
from station.gui.log_page import BookingLogPage
from station.gui.settings_dialog import SettingsDialog, to_toml
from station.gui.shots import save_screenshots
from station.service import BookingService, cache_path
from station.settings import PathSettings, Settings, StationSettings, load_settings

#: (demographics, records as (repository, number, offence level), prints as (k, finger)).
SUBJECTS = [
    (
        {"last_name": "Novak", "first_name": "Ana", "date_of_birth": "1980-03-14", "sex": "F"},
        [("local", "LOC-0001", None), ("state", "SID-0001", 2)],
        [(1, "R1"), (1, "R2")],
    ),
    (
        {"last_name": "Okafor", "first_name": "Ben", "date_of_birth": "1975-11-02", "sex": "M"},
        [("federal-criminal", "FBI-0002", 1), ("state", "SID-0002", 3)],
        [(2, "R1")],
    ),
    (
        {"last_name": "Smith", "first_name": "Carl", "date_of_birth": "1990-07-30", "sex": "M"},
        [("local", "LOC-0003", None)],
        [(3, "R1")],
    ),
]

#: Bookings oldest first: (TCN, last name, first name, disposition or None).
BOOKINGS = [
    ("T-001", "Novak", "Ana", "NO HIT"),
    ("T-002", "Okafor", "Ben", "REVIEW"),
    ("T-003", "Smith", "Carl", "HIT"),
    ("T-004", "Doe", "Jane", None),
]


def _table(table: QTableWidget, column: int) -> list[str]:
    return [table.item(r, column).text() for r in range(table.rowCount())]


def _click_row(qtbot, table: QTableWidget, row: int) -> None:
    rect = table.visualItemRect(table.item(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.fixture
def gallery(tmp_path: Path) -> Iterator[Gallery]:
    """A gallery with three subjects (records, small prints) and four bookings."""
    with open_gallery(tmp_path / "gallery.sqlite") as g:
        subject_ids = []
        for demographics, records, prints in SUBJECTS:
            sid = g.add_subject(demographics)
            subject_ids.append(sid)
            for repository, number, level in records:
                g.add_record(sid, repository, number, offence_level=level)
            for k, finger in prints:
                image, _ = impression(k, finger, 0, size=(300, 300))
                g.add_print(sid, finger, "rolled", image, template=extract(image), device="test")
        service = BookingService(g, station_id="TEST-1", operator="officer 7")
        for tcn, last, first, disposition in BOOKINGS:
            booking = service.open_booking({"last_name": last, "first_name": first}, tcn=tcn)
            if disposition is None:
                continue
            payload = {
                "tcn": tcn,
                "disposition": disposition,
                "candidates": [{"rank": 1, "subject_id": subject_ids[1], "name": "OKAFOR, Ben"}],
                "review": [subject_ids[1]] if disposition == "REVIEW" else [],
                "subject": {"subject_id": subject_ids[2]} if disposition == "HIT" else None,
            }
            response = g.add_response(booking, disposition, payload)
            g.set_booking_status(booking, "responded")
            if disposition == "REVIEW":
                g.add_decision(
                    booking,
                    response,
                    examiner="examiner 2",
                    subject_id=subject_ids[1],
                    decision="confirm",
                    note="same person",
                )
                g.audit("confirm hit", actor="examiner 2", booking_id=booking)
        yield g


# --- booking log ---------------------------------------------------------------------------


def test_log_lists_bookings_newest_first_and_filter_narrows(qtbot, gallery: Gallery) -> None:
    page = BookingLogPage(gallery)
    qtbot.addWidget(page)
    table = page.findChild(QTableWidget, "bookingLogTable")
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == ["TCN", "Time", "Name", "Status", "Disposition", "Operator"]
    assert _table(table, 0) == ["T-004", "T-003", "T-002", "T-001"]
    assert _table(table, 2)[1] == "SMITH, Carl"
    assert _table(table, 4) == ["", "HIT", "REVIEW → HIT", "NO HIT"]
    assert set(_table(table, 5)) == {"officer 7"}

    qtbot.keyClicks(page.findChild(QWidget, "bookingLogFilter"), "novak")
    assert _table(table, 0) == ["T-001"]
    page.filter_edit.clear()
    qtbot.keyClicks(page.filter_edit, "hit")
    assert _table(table, 0) == ["T-003", "T-002", "T-001"]
    page.filter_edit.setText("no such booking")
    assert table.rowCount() == 0
    assert "0 of 4" in page.count_label.text()


def test_log_selecting_a_booking_shows_its_audit_trail(qtbot, gallery: Gallery) -> None:
    page = BookingLogPage(gallery)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    table = page.findChild(QTableWidget, "bookingLogTable")
    _click_row(qtbot, table, _table(table, 0).index("T-002"))

    assert "T-002" in page.findChild(QLabel, "bookingDetailLabel").text()
    audit = page.findChild(QTableWidget, "auditTable")
    assert _table(audit, 2) == ["open booking", "confirm hit"]
    assert _table(audit, 1) == ["officer 7", "examiner 2"]
    responses = page.findChild(QTableWidget, "responseTable")
    assert _table(responses, 1) == ["REVIEW"]
    decisions = page.findChild(QTableWidget, "decisionTable")
    assert _table(decisions, 2) == ["confirm"]


def test_log_open_response_emits_the_booking_id(qtbot, gallery: Gallery) -> None:
    page = BookingLogPage(gallery)
    qtbot.addWidget(page)
    page.show()
    button = page.findChild(QWidget, "reopenResponseButton")
    assert not button.isEnabled()  # nothing selected

    page.select_booking(gallery.booking_by_tcn("T-004")["id"])
    assert not button.isEnabled()  # no response yet

    hit = gallery.booking_by_tcn("T-003")["id"]
    assert page.select_booking(hit)
    assert button.isEnabled()
    with qtbot.waitSignal(page.reopen, timeout=2000) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [hit]


def test_log_refresh_shows_a_new_booking_on_top(qtbot, gallery: Gallery) -> None:
    page = BookingLogPage(gallery)
    qtbot.addWidget(page)
    BookingService(gallery, station_id="TEST-1").open_booking({"last_name": "Late"}, tcn="T-005")
    qtbot.mouseClick(page.findChild(QWidget, "bookingLogRefreshButton"), Qt.MouseButton.LeftButton)
    assert _table(page.table, 0)[0] == "T-005"


# --- gallery browser -----------------------------------------------------------------------


def test_gallery_search_narrows_and_selection_shows_records_and_prints(
    qtbot, gallery: Gallery
) -> None:
    page = GalleryPage(gallery)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    subjects = page.findChild(QTableWidget, "gallerySubjectTable")
    assert _table(subjects, 1) == ["NOVAK, Ana", "OKAFOR, Ben", "SMITH, Carl"]
    # the names the response uses (Repository.description), not the codes
    assert _table(subjects, 4)[1] == "State, FBI criminal (IAFIS)"
    assert _table(subjects, 5) == ["2", "1", ""]
    stats = page.findChild(QLabel, "galleryStatsLabel").text()
    assert "3 subjects" in stats and "4 prints" in stats

    qtbot.keyClicks(page.findChild(QWidget, "gallerySearchEdit"), "okafor")
    qtbot.waitUntil(lambda: subjects.rowCount() == 1, timeout=3000)
    assert _table(subjects, 1) == ["OKAFOR, Ben"]

    page.search("")
    assert subjects.rowCount() == 3
    _click_row(qtbot, subjects, 0)  # Novak: two records, two prints
    records = page.findChild(QTableWidget, "galleryRecordTable")
    assert _table(records, 1) == ["LOC-0001", "SID-0001"]
    assert _table(records, 0) == ["Local", "State"]
    prints = page.findChild(QWidget, "galleryPrintsView")
    assert [prints.item(i).text().split("\n")[0] for i in range(prints.count())] == [
        "R1 rolled",
        "R2 rolled",
    ]
    qtbot.waitUntil(page.thumbnails_ready, timeout=5000)
    assert not prints.item(0).icon().isNull()
    prints.setCurrentRow(1)
    assert page.findChild(QLabel, "galleryPrintPreview").pixmap().width() > 0


def test_gallery_search_by_record_number(qtbot, gallery: Gallery) -> None:
    page = GalleryPage(gallery)
    qtbot.addWidget(page)
    page.search("LOC-0003")
    assert _table(page.subject_table, 1) == ["SMITH, Carl"]
    page.search("nobody-here")
    assert page.subject_table.rowCount() == 0
    assert not page.findChild(QWidget, "galleryMoreButton").isEnabled()


# --- settings ------------------------------------------------------------------------------


def _settings() -> Settings:
    policy = DispositionPolicy(repositories={"federal-immigration": Thresholds(2.0, 0.5)})
    return Settings(
        paths=PathSettings(gallery=Path('db/odd "name"\\gallery.sqlite')), disposition=policy
    )


def test_settings_dialog_edits_and_returns_settings(qtbot) -> None:
    dialog = SettingsDialog(_settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.findChild(QWidget, "hitThresholdSpin").setValue(2.5)
    dialog.findChild(QWidget, "reviewThresholdSpin").setValue(0.5)
    dialog.findChild(QWidget, "recaptureLevelSpin").setValue(4)
    dialog.findChild(QWidget, "maxAttemptsSpin").setValue(5)
    station_id = dialog.findChild(QWidget, "stationIdEdit")
    station_id.clear()
    qtbot.keyClicks(station_id, "BS-42")
    operator = dialog.findChild(QWidget, "operatorEdit")
    operator.clear()
    qtbot.keyClicks(operator, "Sgt. Reyes")
    qtbot.mouseClick(
        dialog.findChild(QWidget, "dirtyPlatenCheck"), Qt.MouseButton.LeftButton, pos=QPoint(5, 5)
    )
    dialog.findChild(QWidget, "timeoutCheck").setChecked(True)

    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(dialog.findChild(QWidget, "settingsOkButton"), Qt.MouseButton.LeftButton)
    settings = dialog.settings()
    policy = settings.disposition
    assert (policy.hit, policy.review, policy.recapture_level, policy.max_attempts) == (
        2.5,
        0.5,
        4,
        5,
    )
    assert policy.repositories == {"federal-immigration": Thresholds(2.0, 0.5)}
    assert (settings.station.station_id, settings.station.operator) == ("BS-42", "Sgt. Reyes")
    assert settings.scanner.dirty_platen and settings.scanner.timeout
    assert settings.paths == _settings().paths


def test_settings_dialog_refuses_review_above_hit(qtbot) -> None:
    dialog = SettingsDialog(Settings())
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.findChild(QWidget, "hitThresholdSpin").setValue(1.0)
    dialog.findChild(QWidget, "reviewThresholdSpin").setValue(3.0)
    qtbot.mouseClick(dialog.findChild(QWidget, "settingsOkButton"), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()  # not accepted
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    error = dialog.findChild(QLabel, "settingsErrorLabel")
    assert error.isVisible()
    assert "REVIEW score (3) is above the HIT score (1)" in error.text()
    with pytest.raises(ValueError, match="lower REVIEW or raise HIT"):
        dialog.settings()

    dialog.findChild(QWidget, "reviewThresholdSpin").setValue(0.5)
    assert not error.isVisible()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.mouseClick(dialog.findChild(QWidget, "settingsOkButton"), Qt.MouseButton.LeftButton)


def test_settings_toml_round_trip(qtbot, tmp_path: Path) -> None:
    dialog = SettingsDialog(_settings())
    qtbot.addWidget(dialog)
    dialog.findChild(QWidget, "hitThresholdSpin").setValue(3.25)
    dialog.findChild(QWidget, "reviewThresholdSpin").setValue(0.75)
    dialog.findChild(QWidget, "recaptureLevelSpin").setValue(3)
    dialog.findChild(QWidget, "stationIdEdit").setText("BS-7")
    dialog.findChild(QWidget, "dirtyPlatenCheck").setChecked(True)
    path = dialog.save_to(tmp_path / "station.toml")
    assert load_settings(path) == dialog.settings()
    assert load_settings(path).disposition.hit == 3.25
    # the defaults round-trip as well
    (tmp_path / "defaults.toml").write_text(to_toml(Settings()), encoding="utf-8")
    assert load_settings(tmp_path / "defaults.toml") == Settings()


def test_settings_toml_round_trips_quotes_backslashes_and_unicode(tmp_path: Path) -> None:
    odd = 'O\'Brien "North" \\ Ä'
    settings = Settings(
        paths=PathSettings(gallery=Path("db") / odd / "gallery.sqlite"),
        station=StationSettings(station_id=odd, operator="Sgt.\tÅsa\nline two"),
        disposition=DispositionPolicy(repositories={"federal-criminal": Thresholds(1.5, 0.125)}),
    )
    text = to_toml(settings)
    assert text.startswith("# Booking Station settings")
    path = tmp_path / "odd.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_settings(path)
    assert loaded == settings
    assert loaded.station.station_id == odd


def test_settings_toml_refuses_a_non_finite_threshold() -> None:
    # Thresholds refuse infinity themselves now; one slipped past them is still not written.
    policy = DispositionPolicy()
    object.__setattr__(policy, "hit", math.inf)
    with pytest.raises(ValueError, match=r"\[disposition\] hit = inf cannot be written"):
        to_toml(Settings(disposition=policy))
    with pytest.raises(ValueError, match="finite"):
        DispositionPolicy(hit=math.inf)


# --- first start ---------------------------------------------------------------------------


def _seed_dialogs() -> list[QWidget]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if w.objectName() == "seedProgressDialog" and w.isVisible()
    ]


@pytest.mark.slow
def test_ensure_gallery_builds_a_missing_gallery(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "db" / "gallery.sqlite"
    seen: list[str] = []

    def look() -> None:
        dialogs = _seed_dialogs()
        if dialogs and not seen:
            seen.append(dialogs[0].labelText())

    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(20)
    try:
        assert ensure_gallery(path, subjects=2) is True
    finally:
        timer.stop()
    qtbot.waitUntil(lambda: not _seed_dialogs(), timeout=3000)
    assert seen and seen[0].startswith("Building the default gallery: 2 synthetic subjects…")
    with open_gallery(path, readonly=True) as g:
        assert g.stats()["subjects"] == 2
        assert g.stats()["templates"] == 20
    assert cache_path(path).exists()
    assert not marker_path(path).exists()


@pytest.mark.slow
def test_a_cancelled_build_stops_and_the_next_start_resumes_it(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "db" / "gallery.sqlite"
    builder = first_run.GalleryBuilder(path, 3)
    reports: list[tuple[int, int]] = []
    failures: list[str] = []
    builder.failed.connect(failures.append)

    def on_progress(done: int, total: int) -> None:
        reports.append((done, total))
        builder.cancel()  # at the first report (0 of 3), before any subject is rendered

    builder.progress.connect(on_progress)
    with qtbot.waitSignal(builder.finished, timeout=120_000) as finished:
        builder.start()
    assert finished.args == [False]
    assert reports == [(0, 3)] and failures == []
    assert not builder.running
    assert marker_path(path).exists()
    with open_gallery(path, readonly=True) as g:
        kept = g.stats()["subjects"]
    assert 1 <= kept < 3  # what was committed before the seed saw the cancel stays

    seen: list[str] = []

    def look() -> None:
        dialogs = _seed_dialogs()
        if dialogs and not seen:
            seen.append(dialogs[0].labelText())

    timer = QTimer()
    timer.timeout.connect(look)
    timer.start(20)
    try:
        assert ensure_gallery(path, subjects=3) is True
    finally:
        timer.stop()
    assert seen and seen[0].startswith("Completing the default gallery: 3 synthetic subjects…")
    with open_gallery(path, readonly=True) as g:
        assert g.stats()["subjects"] == 3
    assert cache_path(path).exists()
    assert not marker_path(path).exists()


def test_ensure_gallery_returns_at_once_when_the_gallery_exists(
    qtbot, gallery: Gallery, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_dialog(*args, **kwargs):
        raise AssertionError("no progress dialog expected")

    monkeypatch.setattr(first_run, "QProgressDialog", no_dialog)
    assert ensure_gallery(gallery.path) is True
    assert not _seed_dialogs()


def test_ensure_gallery_shows_a_build_error(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the gallery folder should be")
    shown: list[str] = []
    monkeypatch.setattr(
        first_run.QMessageBox, "critical", lambda parent, title, text: shown.append(text)
    )
    assert ensure_gallery(blocker / "gallery.sqlite", subjects=1) is False
    assert len(shown) == 1
    assert "could not be built" in shown[0] and "start the station again" in shown[0]
    assert "Traceback" not in shown[0]


# --- screenshots ---------------------------------------------------------------------------


def test_save_screenshots_writes_one_png_per_page(qtbot, tmp_path: Path) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    stack = QStackedWidget()
    stack.setObjectName("pageStack")
    first = QLabel("First page")
    first.setObjectName("firstPage")
    stack.addWidget(first)
    stack.addWidget(QLabel("Second page, no name"))
    window.setCentralWidget(stack)
    window.resize(640, 400)
    stack.setCurrentIndex(1)

    paths = save_screenshots(window, tmp_path / "shots")
    assert [p.name for p in paths] == ["firstPage.png", "01.png"]
    for p in paths:
        image = QImage(str(p))
        assert not image.isNull() and image.width() == 640
    assert stack.currentIndex() == 1
