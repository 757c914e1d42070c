"""The window on a booking-room screen: sizes, the review grid, the response tables, card order,
colour contrast, the sequence report, the first start, the pictures command and the settings
error (issue 12, items 4, 5, 7 and 8)."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import pytest
from PySide6.QtCore import QRect
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QListWidget, QMessageBox, QTableWidget, QWidget

from station.gui import theme
from station.gui.widgets import HandDiagram
from station.settings import ENV_VAR, Settings, set_settings

from .conftest import WAIT, create_first_administrator

#: The data folder's environment variable (station.settings.DATA_ENV_VAR).
DATA_ENV_VAR = "STATION_DATA"


def _resize(qtbot, window, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitExposed(window)
    try:
        qtbot.waitUntil(lambda: window.width() == width and window.height() == height, timeout=WAIT)
    except Exception:
        wide = ", ".join(
            f"{w.objectName()} {w.minimumSizeHint().width()}"
            for w in window.findChildren(QWidget)
            if w.objectName() and w.minimumSizeHint().width() > width // 2
        )
        raise AssertionError(
            f"window {window.width()} x {window.height()}, wanted {width} x {height}; minimum "
            f"size hint {window.minimumSizeHint()} (widest parts: {wide})"
        ) from None


# --- sizes ---------------------------------------------------------------------------------


def test_the_window_fits_1280_by_720_also_with_the_alert_bar(window, qtbot) -> None:
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    window.show_error("The scanner is not connected — press Reconnect, then press Capture.")
    qtbot.waitUntil(window.alert.isVisible, timeout=WAIT)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    # every booking page fits as well, not only the one on screen
    for index in range(window.pages.count()):
        page = window.pages.widget(index).minimumSizeHint()
        assert page.width() <= 1200 and page.height() <= 520, (index, page)


def test_review_tiles_never_overlap_at_1280_by_720(officer, qtbot, enrolled_ids) -> None:
    window = officer.window
    _resize(qtbot, window, 1280, 720)
    officer.start_booking("gallery", enrolled_ids[0], slaps=True)
    officer.capture_all()
    officer.click("nextButton")  # to Review
    review = officer.find(QListWidget, "reviewList")
    assert review.count() == 13
    qtbot.waitUntil(lambda: not review.item(12).icon().isNull(), timeout=WAIT)
    rects = [review.visualItemRect(review.item(i)) for i in range(review.count())]
    for (i, a), (j, b) in itertools.combinations(enumerate(rects), 2):
        assert not a.intersects(b), (review.item(i).text(), review.item(j).text(), a, b)
    cell = review.gridSize()
    assert all(r.width() <= cell.width() and r.height() <= cell.height() for r in rects)
    # the grid reflows: more than one row, and no sideways scrolling
    assert len({r.top() for r in rects}) > 1
    assert not review.horizontalScrollBar().isVisible()
    # a narrower window puts fewer tiles on a row
    per_row = sum(1 for r in rects if r.top() == rects[0].top())
    _resize(qtbot, window, 1024, 720)
    qtbot.waitUntil(
        lambda: review.visualItemRect(review.item(per_row - 1)).top() > rects[0].top(),
        timeout=WAIT,
    )


def test_response_tables_fit_at_1366_by_768(officer, qtbot, enrolled_ids) -> None:
    window = officer.window
    _resize(qtbot, window, 1366, 768)
    officer.start_booking("gallery", enrolled_ids[0])
    officer.capture_all()
    assert officer.submit().startswith("HIT — ")
    candidates = officer.find(QTableWidget, "candidateTable")
    records = officer.find(QTableWidget, "recordsTable")
    qtbot.waitUntil(lambda: candidates.viewport().width() > 0, timeout=WAIT)
    for table in (candidates, records):
        width = sum(table.columnWidth(c) for c in range(table.columnCount()))
        assert width <= table.viewport().width(), table.objectName()
        assert not table.horizontalScrollBar().isVisible(), table.objectName()
    # no header is cut
    for table in (candidates, records):
        header = table.horizontalHeader()
        for c in range(table.columnCount()):
            text = table.horizontalHeaderItem(c).text()
            assert header.fontMetrics().horizontalAdvance(text) < table.columnWidth(c), text
    # at least five candidate rows show without scrolling
    rows = candidates.verticalHeader().defaultSectionSize()
    assert candidates.viewport().height() >= 5 * rows
    # the per-finger scores are one compact column; all ten are in its tooltip
    assert candidates.columnCount() == 6
    fingers = candidates.item(0, 5)
    assert fingers.text().split()[0] in {f"R{i}" for i in range(1, 6)} | {
        f"L{i}" for i in range(1, 6)
    }
    assert fingers.toolTip().startswith("Per-finger scores: R1 ")
    # the charge column is never cut: it wraps whole words
    for r in range(records.rowCount()):
        for word in records.item(r, 3).text().split():
            assert records.fontMetrics().horizontalAdvance(word) < records.columnWidth(3)
    # the HIT's subject box and records still leave the window within 1280 x 720
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    # the synthetic subject booked is named, with the gallery's own number
    assert f"synthetic subject {enrolled_ids[0]}" in officer.banner()


# --- card order and colours ----------------------------------------------------------------


def test_hand_diagram_is_in_fbi_card_order(qtbot) -> None:
    from station.gui.widgets import CARD_ROWS

    diagram = HandDiagram()
    qtbot.addWidget(diagram)
    diagram.resize(480, 270)
    rows = [[diagram.tile_rect(code) for code in codes] for _title, codes in CARD_ROWS]
    assert [codes for _title, codes in CARD_ROWS] == [
        ("R1", "R2", "R3", "R4", "R5"),
        ("L1", "L2", "L3", "L4", "L5"),
        ("LS", "TS", "RS"),
    ]
    for row in rows:
        assert len({r.top() for r in row}) == 1  # one line
        lefts = [r.left() for r in row]
        assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts)  # left to right
    # right hand above left hand above the slaps, none overlapping
    assert rows[0][0].bottom() < rows[1][0].top() < rows[1][0].bottom() < rows[2][0].top()
    every = [r for row in rows for r in row]
    for a, b in itertools.combinations(every, 2):
        assert not a.intersects(b)
    assert all(QRect(0, 0, 480, 270).contains(r.toRect()) for r in every)


def test_contrast_ratio_follows_the_wcag_formula() -> None:
    assert theme.contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert theme.contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    # the colours the issue measured on the old theme
    assert theme.contrast_ratio("#ffffff", "#e0a21b") == pytest.approx(2.25, abs=0.01)
    assert theme.contrast_ratio("#ffffff", "#2e9d4f") == pytest.approx(3.47, abs=0.01)
    assert theme.contrast_ratio("#ffffff", "#b8c4d2") == pytest.approx(1.77, abs=0.01)
    with pytest.raises(ValueError, match="#rrggbb"):
        theme.contrast_ratio("white", "#000000")


def test_every_theme_colour_pair_meets_wcag_aa() -> None:
    low = [
        (what, round(theme.contrast_ratio(fg, bg), 2), minimum)
        for what, fg, bg, minimum in theme.CONTRAST_PAIRS
        if theme.contrast_ratio(fg, bg) < minimum
    ]
    assert low == []
    names = {what for what, *_ in theme.CONTRAST_PAIRS}
    assert {"banner REVIEW", "caption green", "next/submit disabled"} <= names
    # the colours really used are the ones checked
    assert theme.DISPOSITION_COLOURS["REVIEW"] == theme.AMBER
    assert theme.level_colour(1).name() == theme.GREEN
    assert f"background: {theme.DISABLED_BG}" in theme.STYLE_SHEET


# --- sequence report -----------------------------------------------------------------------


def test_sequence_report_shows_the_swapped_fingers(officer, qtbot, enrolled_ids) -> None:
    officer.start_booking("swapped", enrolled_ids[2], slaps=True)
    officer.capture_all()
    officer.click("nextButton")  # to Review
    report = officer.find(QWidget, "sequenceReport")
    verdicts = {r.finger: r for r in report.rows}
    assert verdicts["R2"].verdict == verdicts["R3"].verdict == "fail"
    assert verdicts["R2"].note == "looks swapped with R3"
    assert verdicts["R3"].note == "looks swapped with R2"
    passed = [f for f, r in verdicts.items() if r.verdict == "pass"]
    assert passed and all(verdicts[f].score is not None for f in passed)
    session = officer.window.session
    assert verdicts["R2"].score == pytest.approx(session.sequence["scores"]["R2"])
    label = officer.find(QLabel, "sequenceVerdictR2").text()
    assert "FAIL" in label and f"{verdicts['R2'].score:.3f}" in label
    # each finger's slap segment is shown beside its rolled print
    pictures = [w for w in report.findChildren(QLabel) if w.pixmap() and not w.pixmap().isNull()]
    assert len(pictures) == 2 * len(report.rows)
    assert "Sequence check failed" in report.summary.text()


# --- first start, settings error, pictures -------------------------------------------------


@pytest.mark.slow
def test_first_start_shows_the_window_while_the_gallery_fills(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unknown_id: int
) -> None:
    import threading

    import station.service
    from station.gallery import open_gallery
    from station.gui import start
    from station.gui.first_run import marker_path

    from .conftest import FAST, Officer

    # the build waits after its first subject until the booking below has its response, so
    # the booking surely meets a gallery that is still being built
    gate = threading.Event()
    real_seed = station.service.seed

    def gated_seed(path, subjects, *, progress, **options):
        def report(done: int, total: int) -> None:
            progress(done, total)
            if done >= 1:
                gate.wait(300)

        return real_seed(path, subjects, progress=report, **options)

    monkeypatch.setattr(station.service, "seed", gated_seed)
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "data"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    set_settings(None)
    try:
        window = start(subjects=3)
        assert window is not None
        qtbot.addWidget(window)
        create_first_administrator(qtbot, window)  # a new gallery asks for one first
        gallery = tmp_path / "data" / "gallery.sqlite"
        assert window.gallery_path == gallery  # the per-user data folder, not ./db
        assert window.isVisible() and window.gallery_build.running
        label = window.findChild(QLabel, "galleryBuildLabel")
        bar = window.findChild(QWidget, "galleryBuildProgress")
        assert label.isVisible() and bar.isVisible()
        assert label.text().startswith("Building the default gallery: 0 of 3 subjects")
        qtbot.waitUntil(lambda: window.gallery_build.enrolled >= 1, timeout=120_000)
        assert "of 3 subjects" in label.text() and bar.value() >= 1
        # a booking made meanwhile searches what is there and says so
        window.set_mock_settings(FAST)
        qtbot.waitUntil(lambda: window.index_ready, timeout=WAIT)
        officer = Officer(qtbot, window)
        officer.start_booking("new", unknown_id)
        officer.click("captureButton")
        qtbot.waitUntil(
            lambda: window.session.complete() and not window.driver.busy, timeout=120_000
        )
        with qtbot.waitSignal(window.response_shown, timeout=120_000):
            officer.click("submitButton")
        detail = officer.find(QLabel, "responseDetailLabel").text()
        assert "searched 1 of 3 subjects while the gallery is being built" in detail
        with qtbot.waitSignal(window.gallery_build.ready, timeout=300_000):
            gate.set()
        assert not marker_path(gallery).exists()
        assert label.text() == "Default gallery ready: 3 subjects" and not bar.isVisible()
        qtbot.waitUntil(lambda: window.index_ready, timeout=WAIT)
        assert len(window.service.index) == 3
        with open_gallery(gallery, readonly=True) as g:
            assert g.stats()["subjects"] == 3
    finally:
        gate.set()
        set_settings(None)


def test_a_bad_settings_file_gives_a_message_box(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from station import gui

    bad = tmp_path / "station.toml"
    bad.write_text("[scanner]\nsource = 'usb'\n")
    monkeypatch.setenv(ENV_VAR, str(bad))
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "data"))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text, *a: shown.append(text))
    set_settings(None)
    try:
        assert gui.start() is None
        assert gui.run([]) == 2
    finally:
        set_settings(None)
    assert len(shown) == 2
    assert "settings file cannot be used" in shown[0] and "source must be 'mock'" in shown[0]
    assert not (tmp_path / "data").exists()  # nothing was built


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_offscreen_shots_picture_every_page_on_their_own_gallery(
    qtbot, gallery_copy: Path, tmp_path_factory: pytest.TempPathFactory, settings: Settings
) -> None:
    from station.gui.demo import offscreen_shots

    before = _digest(gallery_copy)
    files = {p.name for p in gallery_copy.parent.iterdir()}
    out = tmp_path_factory.mktemp("shots")
    paths = offscreen_shots(out, gallery_copy)
    assert [p.name for p in paths] == [
        "new_booking.png",
        "capture.png",
        "review.png",
        "sequence.png",
        "submit.png",
        "response.png",
        "booking_log.png",
        "gallery.png",
        "agencies_response.png",  # subject 2 of the 4-subject copy: removed and returned
        "transactions.png",
    ]
    for path in paths:
        image = QImage(str(path))
        assert (image.width(), image.height()) == (1366, 768), path.name
    # the given gallery is untouched: same bytes, nothing written beside it (a read-only
    # open of a WAL database may leave an empty -wal and its -shm index)
    assert _digest(gallery_copy) == before
    beside = {p.name: p for p in gallery_copy.parent.iterdir()}
    assert set(beside) - files <= {"gallery.sqlite-wal", "gallery.sqlite-shm"}
    wal = beside.get("gallery.sqlite-wal")
    assert wal is None or wal.stat().st_size == 0
