"""``station user …`` and ``--user`` with ``STATION_PASSWORD``: set-up mode, sign-in, roles."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from station.cli import main
from station.gallery import open_gallery

ADMIN_PW = "admin password"
OLGA_PW = "olga password"


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # never prompt
    monkeypatch.delenv("STATION_PASSWORD", raising=False)
    monkeypatch.delenv("STATION_NEW_PASSWORD", raising=False)


def _accounts(path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """An administrator ``root``, an officer ``olga`` and an examiner ``eric``."""
    monkeypatch.setenv("STATION_NEW_PASSWORD", ADMIN_PW)
    assert main(["user", "add", "root", "--roles", "administrator", "--gallery", str(path)]) == 0
    monkeypatch.setenv("STATION_PASSWORD", ADMIN_PW)
    monkeypatch.setenv("STATION_NEW_PASSWORD", OLGA_PW)
    for name, roles in (("olga", "officer"), ("eric", "examiner")):
        args = ["user", "add", name, "--roles", roles, "--user", "root", "--gallery", str(path)]
        assert main(args) == 0
    monkeypatch.delenv("STATION_PASSWORD")
    monkeypatch.delenv("STATION_NEW_PASSWORD")
    capsys.readouterr()


def test_user_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "g.sqlite"
    open_gallery(path).close()
    where = ["--gallery", str(path)]
    assert main(["user", "list", *where]) == 2
    assert _error_line(capsys).startswith(
        "station: error: the gallery has no accounts yet: create the administrator first"
    )
    monkeypatch.setenv("STATION_NEW_PASSWORD", ADMIN_PW)
    assert main(["user", "add", "root", "--roles", "officer", *where]) == 2
    assert "the first account is the administrator" in _error_line(capsys)
    assert main(["user", "add", "root", *where]) == 0
    assert capsys.readouterr().out == (
        f"{path}: administrator root created; the gallery now needs sign-in\n"
    )
    assert main(["user", "list", *where]) == 2
    assert _error_line(capsys) == (
        "station: error: the gallery has operator accounts: sign in with --user NAME "
        "(password from $STATION_PASSWORD or a prompt)"
    )
    assert main(["user", "list", "--user", "root", *where]) == 2
    assert _error_line(capsys) == (
        "station: error: no password: set STATION_PASSWORD (stdin is not a terminal to ask on)"
    )
    monkeypatch.setenv("STATION_PASSWORD", "not the password")
    assert main(["user", "list", "--user", "root", *where]) == 2
    assert _error_line(capsys) == "station: sign-in refused: wrong user name or password"
    monkeypatch.setenv("STATION_PASSWORD", ADMIN_PW)
    monkeypatch.setenv("STATION_NEW_PASSWORD", "short")
    assert main(["user", "add", "olga", "--roles", "officer", "--user", "root", *where]) == 2
    assert _error_line(capsys) == (
        "station: error: the password is too short: use at least 8 characters"
    )
    monkeypatch.setenv("STATION_NEW_PASSWORD", OLGA_PW)
    assert main(["user", "add", "olga", "--roles", "officer", "--user", "root", *where]) == 0
    assert capsys.readouterr().out == f"{path}: olga (officer; active): add done\n"
    assert main(["user", "roles", "olga", "officer,trainee", "--user", "root", *where]) == 0
    assert main(["user", "disable", "olga", "--user", "root", *where]) == 0
    assert main(["user", "unlock", "olga", "--user", "root", *where]) == 0
    assert main(["user", "passwd", "olga", "--user", "root", *where]) == 0
    capsys.readouterr()
    assert main(["user", "list", "--user", "root", *where]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["olga", "officer,", "trainee"],
        ["root", "administrator", "active"],
    ]
    assert "disabled" in lines[0]
    # an officer cannot manage users
    monkeypatch.setenv("STATION_NEW_PASSWORD", OLGA_PW)
    assert main(["user", "add", "eric", "--roles", "examiner", "--user", "root", *where]) == 0
    monkeypatch.setenv("STATION_PASSWORD", OLGA_PW)
    capsys.readouterr()
    assert main(["user", "list", "--user", "eric", *where]) == 2
    assert _error_line(capsys) == (
        "station: error: managing user accounts needs the administrator role; eric has examiner"
    )
    assert main(["gallery", "verify", *where]) == 0


def test_book_needs_a_signed_in_officer(
    gallery_copy: Path,
    enrolled: list[int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    where = ["--gallery", str(gallery_copy)]
    book = ["book", "--subject", str(enrolled[1]), "--no-slaps", *where]
    _accounts(gallery_copy, monkeypatch, capsys)
    assert main(book) == 2
    assert "sign in with --user NAME" in _error_line(capsys)
    monkeypatch.setenv("STATION_PASSWORD", "wrong password")
    assert main([*book, "--user", "olga"]) == 2
    assert _error_line(capsys) == "station: sign-in refused: wrong user name or password"
    monkeypatch.setenv("STATION_PASSWORD", OLGA_PW)
    assert main([*book, "--user", "eric"]) == 2
    assert _error_line(capsys) == (
        "station: error: booking (open, capture, submit, enrol) needs the officer, instructor, "
        "trainee, administrator role; eric has examiner"
    )
    assert main([*book, "--user", "olga"]) == 0
    assert json.loads(capsys.readouterr().out)["disposition"] == "HIT"
    with open_gallery(gallery_copy, readonly=True) as g:
        (booking,) = g.bookings()
        assert booking["operator"] == "olga"
        actors = {r["actor"] for r in g.audit_log(booking_id=booking["id"])}
        assert actors == {"olga"}
    # seeding and exporting need an instructor or administrator
    assert main(["seed", "--subjects", "1", "--user", "olga", *where]) == 2
    assert _error_line(capsys) == (
        "station: error: seeding synthetic subjects into the gallery needs the instructor, "
        "administrator role; olga has officer"
    )
    out = gallery_copy.parent / "export"
    assert main(["gallery", "export", str(out), "--user", "olga", *where]) == 2
    assert "exporting or purging gallery data needs the administrator role" in _error_line(capsys)
    assert not out.exists()
    monkeypatch.setenv("STATION_PASSWORD", ADMIN_PW)
    assert main(["gallery", "export", str(out), "--user", "root", *where]) == 0
    assert main(["gallery", "verify", *where]) == 0
