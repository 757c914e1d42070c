"""``station book``, ``station gallery`` and ``station seed``: JSON out, one-line errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from station.cli import main
from station.core import image as imageio
from station.core.synth import impression
from station.core.synth.population import demographics
from station.core.vocabulary import FINGERS
from station.gallery import open_gallery


def _bookings(path: Path) -> int:
    with open_gallery(path, readonly=True) as g:
        return len(g.bookings())


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_book_subject_prints_the_response_as_json(
    gallery_copy: Path, enrolled: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    k = enrolled[2]
    code = main(["book", "--subject", str(k), "--no-slaps", "--gallery", str(gallery_copy)])
    assert code == 0
    response = json.loads(capsys.readouterr().out)
    assert response["disposition"] == "HIT"
    assert response["subject"]["synthetic_id"] == k
    assert response["candidates"][0]["rank"] == 1
    assert response["booked"] == {"synthetic_id": k, "population": 0}


@pytest.fixture
def prints_dir(tmp_path: Path, enrolled: list[int]) -> tuple[Path, Path]:
    k = enrolled[0]
    folder = tmp_path / "prints"
    folder.mkdir()
    for finger in FINGERS[:6]:  # four fingers "unable to print"
        imageio.save(folder / f"{finger}.png", impression(k, finger, 7, kind="rolled")[0])
    (folder / "annotations.json").write_text(json.dumps(dict.fromkeys(FINGERS[6:], "UP")))
    demo = tmp_path / "demographics.json"
    demo.write_text(json.dumps(demographics(k).as_dict()))
    return folder, demo


def test_book_from_image_files(
    gallery_copy: Path,
    prints_dir: tuple[Path, Path],
    enrolled: list[int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, demo = prints_dir
    args = ["book", "--prints", str(folder), "--demographics", str(demo)]
    assert main([*args, "--gallery", str(gallery_copy)]) == 0
    response = json.loads(capsys.readouterr().out)
    assert response["disposition"] == "HIT"
    assert response["subject"]["synthetic_id"] == enrolled[0]
    assert response["fingers_searched"] == list(FINGERS[:6])


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "R6.png").write_bytes((d / "R1.png").read_bytes()), "R6"),
        (lambda d: (d / "R2.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage"), "R2"),
        (lambda d: (d / "R3.png").write_bytes(b""), "R3"),
        (lambda d: (d / "R4.png").unlink(), "no rolled print for R4"),
        (lambda d: ((d / "R4.png").unlink(), (d / "R4.png").mkdir()), "R4.png: a folder"),
        (lambda d: ((d / "R4.png").unlink(), (d / "R4.png").symlink_to(d / "gone")), "R4.png"),
        (lambda d: (d / "annotations.json").write_text('{"R1": "UP"}'), "R1 has a print"),
        (lambda d: (d / "annotations.json").write_text('{"R1": "XY"}'), "'R1': unknown"),
        (lambda d: (d / "annotations.json").write_text('{"R7": "UP"}'), "unknown finger"),
        (lambda d: (d / "annotations.json").write_text("[1]"), "annotations.json: must"),
        (lambda d: (d / "annotations.json").unlink(), "no rolled print for L2, L3, L4, L5"),
    ],
    ids=[
        "unknown-finger-code",
        "corrupt-image",
        "empty-image",
        "missing-file",
        "folder-for-a-file",
        "dangling-link",
        "annotated-and-printed",
        "unknown-annotation",
        "annotation-for-no-finger",
        "annotations-not-an-object",
        "no-annotations",
    ],
)
def test_bad_print_files_write_nothing(
    gallery_copy: Path,
    prints_dir: tuple[Path, Path],
    capsys: pytest.CaptureFixture[str],
    damage,
    message: str,
) -> None:
    folder, demo = prints_dir
    damage(folder)
    before = _bookings(gallery_copy)
    code = main(
        [
            "book",
            "--prints",
            str(folder),
            "--demographics",
            str(demo),
            "--gallery",
            str(gallery_copy),
        ]
    )
    assert code == 2
    line = _error_line(capsys)
    assert line.startswith("station: error:") and message in line
    assert _bookings(gallery_copy) == before


def test_missing_inputs_are_one_line_errors(
    gallery_copy: Path, prints_dir: tuple[Path, Path], tmp_path: Path, capsys
) -> None:
    folder, demo = prints_dir
    cases = [
        (["--prints", str(tmp_path / "nope"), "--demographics", str(demo)], "not found"),
        (["--prints", str(folder), "--demographics", str(tmp_path / "no.json")], "not found"),
        (["--prints", str(folder)], "--demographics"),
    ]
    for extra, message in cases:
        assert main(["book", *extra, "--gallery", str(gallery_copy)]) == 2
        assert message in _error_line(capsys)
    assert main(["book", "--subject", "1", "--gallery", str(tmp_path / "none.sqlite")]) == 2
    assert "station seed" in _error_line(capsys)
    assert not (tmp_path / "none.sqlite").exists()


def test_a_file_that_is_not_a_gallery_is_refused_untouched(tmp_path: Path, capsys) -> None:
    fake = tmp_path / "notes.sqlite"
    fake.write_text("these are not the droids\n")
    before = fake.read_bytes()
    for argv in (["book", "--subject", "1"], ["gallery", "stats"], ["seed", "--subjects", "1"]):
        assert main([*argv, "--gallery", str(fake)]) == 2
        assert "not a SQLite database" in _error_line(capsys)
    assert fake.read_bytes() == before


def test_a_gallery_from_a_newer_schema_is_refused(gallery_copy: Path, capsys) -> None:
    with sqlite3.connect(gallery_copy) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    before = gallery_copy.read_bytes()
    assert main(["book", "--subject", "1", "--gallery", str(gallery_copy)]) == 2
    assert "newer" in _error_line(capsys)
    assert gallery_copy.read_bytes() == before


def test_gallery_stats_check_and_export(
    gallery_copy: Path, enrolled: list[int], tmp_path: Path, capsys
) -> None:
    n = len(enrolled)  # ten rolled prints, each with its template, per seeded subject
    assert main(["gallery", "stats", "--gallery", str(gallery_copy)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["subjects"] == n and stats["prints"] == 10 * n and stats["templates"] == 10 * n
    assert main(["gallery", "check", "--quick", "--gallery", str(gallery_copy)]) == 0
    assert "ok" in capsys.readouterr().out
    out = tmp_path / "export"
    assert main(["gallery", "export", str(out), "--gallery", str(gallery_copy)]) == 0
    assert len(json.loads((out / "subjects.json").read_text())) == n
    assert main(["gallery", "export", str(out), "--gallery", str(gallery_copy)]) == 2
    assert "not empty" in _error_line(capsys)


def test_seed_resumes_without_repeating_work(
    gallery_copy: Path, enrolled: list[int], capsys
) -> None:
    n = len(enrolled)
    assert main(["seed", "--subjects", str(n), "--gallery", str(gallery_copy)]) == 0
    out = capsys.readouterr().out
    assert "0 subjects enrolled now" in out and f"{n} already there" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[disposition]\nhit = inf\nreview = inf\n", "hit must be a finite number"),
        ("[disposition.repositories.federal-imigration]\nhit = 2.0\n", "federal-imigration"),
        ("[station]\ntransaction_type = 'XYZ'\n", "transaction_type 'XYZ'"),
        ("[statoin]\noperator = 'x'\n", "statoin"),
    ],
)
def test_a_bad_settings_file_is_one_line_and_exit_2(
    gallery_copy: Path, tmp_path: Path, capsys, monkeypatch, text: str, message: str
) -> None:
    from station.settings import set_settings

    bad = tmp_path / "station.toml"
    bad.write_text(text)
    monkeypatch.setenv("STATION_SETTINGS", str(bad))
    set_settings(None)
    before = gallery_copy.read_bytes()
    try:
        assert main(["book", "--subject", "1", "--no-slaps", "--gallery", str(gallery_copy)]) == 2
    finally:
        set_settings(None)
    line = _error_line(capsys)
    assert line.startswith("station: error: settings:") and message in line
    assert gallery_copy.read_bytes() == before


def test_book_applies_the_settings_transaction_type(
    gallery_copy: Path, enrolled: list[int], tmp_path: Path, capsys, monkeypatch
) -> None:
    from station.settings import set_settings

    settings = tmp_path / "station.toml"
    settings.write_text("[station]\ntransaction_type = 'CNA'\n")
    monkeypatch.setenv("STATION_SETTINGS", str(settings))
    set_settings(None)
    try:
        args = ["book", "--subject", str(enrolled[1]), "--no-slaps"]
        assert main([*args, "--gallery", str(gallery_copy)]) == 0
    finally:
        set_settings(None)
    booking_id = json.loads(capsys.readouterr().out)["booking_id"]
    with open_gallery(gallery_copy, readonly=True) as g:
        assert g.booking(booking_id)["transaction_type"] == "CNA"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (lambda d: {k: v for k, v in d.items() if k != "first_name"}, "field first_name"),
        (lambda d: {**d, "weight": 10**30}, "field weight"),
        (lambda d: {**d, "last_name": "Doe\u202e"}, "bidirectional override"),
        (lambda d: {**d, "last_name": "x" * 10_000}, "longer than 50"),
        (lambda d: {**d, "date_of_birth": "2999-01-01"}, "in the past"),
    ],
    ids=["no-first-name", "huge-weight", "bidi", "long-name", "future-birth"],
)
def test_bad_demographics_are_one_line_and_write_nothing(
    gallery_copy: Path, prints_dir: tuple[Path, Path], capsys, content, message: str
) -> None:
    folder, demo = prints_dir
    demo.write_text(json.dumps(content(json.loads(demo.read_text()))))
    before = gallery_copy.read_bytes()
    args = ["book", "--prints", str(folder), "--demographics", str(demo)]
    assert main([*args, "--gallery", str(gallery_copy)]) == 2
    line = _error_line(capsys)
    assert line.startswith("station: error: demographics file") and message in line
    assert gallery_copy.read_bytes() == before


def test_deep_or_huge_demographics_files_are_one_line(
    gallery_copy: Path, prints_dir: tuple[Path, Path], capsys
) -> None:
    folder, demo = prints_dir
    args = ["book", "--prints", str(folder), "--demographics", str(demo)]
    for text, message in (("[" * 50_000, "more than the 64000"), ("[" * 20_000, "too deeply")):
        demo.write_text(text + "]" * len(text))
        assert main([*args, "--gallery", str(gallery_copy)]) == 2
        assert message in _error_line(capsys)


def test_demographics_are_checked_as_the_window_checks_them(
    gallery_copy: Path, prints_dir: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, demo = prints_dir
    data = json.loads(demo.read_text())
    del data["first_name"]
    data["height"] = 5  # the form's height is text: three digits
    demo.write_text(json.dumps(data))
    before = _bookings(gallery_copy)
    args = ["book", "--prints", str(folder), "--demographics", str(demo)]
    assert main([*args, "--gallery", str(gallery_copy)]) == 2
    line = _error_line(capsys)
    assert "First name is required" in line
    assert "(field height)" in line  # every problem is named, as the form lists them
    assert _bookings(gallery_copy) == before
