"""``station train scenarios`` and ``station train run``: JSON and readable output, the
stored run, the chain still valid, and who may train (trainee / instructor accounts)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from station.cli import main
from station.gallery import open_gallery
from station.service import AccountService
from station.training import library_dir

WRONG = library_dir() / "amputated-finger.wrong.json"


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # never prompt
    monkeypatch.delenv("STATION_PASSWORD", raising=False)


def test_scenarios_list_hides_the_briefs_unless_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["train", "scenarios", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"id": "dry-skin", "title": "Dry skin that needs recapture"} in rows
    assert all(set(r) == {"id", "title"} for r in rows) and len(rows) >= 12
    assert main(["train", "scenarios", "--briefs"]) == 0  # set-up mode: no accounts
    out = capsys.readouterr().out
    assert "dry-skin                 Dry skin that needs recapture\n    The right index" in out


@pytest.mark.slow
def test_run_prints_the_score_and_stores_it(
    gallery_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["train", "run", "amputated-finger", "--actions", str(WRONG)]
    assert main([*args, "--gallery", str(gallery_copy), "--json", "--trainee", "tia"]) == 0
    score = json.loads(capsys.readouterr().out)
    assert (score["points"], score["max_points"], score["trainee"]) == (2, 5, "tia")
    assert score["mistakes"] == ["annotated L4 as UP, not XX"]
    assert score["disposition"] == "HIT"
    assert [s["label"] for s in score["steps"]][:2] == ["annotate L4", "capture R1"]
    with open_gallery(gallery_copy, readonly=True) as gallery:
        run = gallery.training_run(score["run_id"])
        assert run["score"]["results"] == score["results"]
        audit = gallery.audit_log(booking_id=run["booking_id"])
        assert audit[-1]["action"] == "training run scored" and audit[-1]["actor"] == "tia"
    assert main(["gallery", "verify", "--gallery", str(gallery_copy)]) == 0
    assert "ok" in capsys.readouterr().out.lower()


def test_bad_requests_are_refused(gallery_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    where = ["--gallery", str(gallery_copy)]
    assert main(["train", "run", "no-such", "--actions", str(WRONG), *where]) == 2
    assert "no scenario 'no-such': use one of amputated-finger" in capsys.readouterr().err
    assert main(["train", "run", "dry-skin", *where]) == 2
    assert "needs SCENARIO and --actions" in capsys.readouterr().err
    bad = gallery_copy.with_name("bad.json")
    bad.write_text('{"actions": [{"do": "dance"}]}')
    assert main(["train", "run", "dry-skin", "--actions", str(bad), *where]) == 2
    assert "action 1: unknown action 'dance'" in capsys.readouterr().err


@pytest.mark.slow
def test_trainee_accounts_train_officers_do_not(
    gallery_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_gallery(gallery_copy) as gallery:
        accounts = AccountService(gallery)
        root = accounts.create_first_administrator("root", "root password")
        for name, role in (("tia", "trainee"), ("olga", "officer"), ("ian", "instructor")):
            accounts.add_user(root, name, f"{name} password", [role])
    where = ["--gallery", str(gallery_copy)]
    run = ["train", "run", "amputated-finger", "--actions", str(WRONG), *where, "--json"]
    monkeypatch.setenv("STATION_PASSWORD", "olga password")
    assert main([*run, "--user", "olga"]) == 2
    assert "train" in capsys.readouterr().err
    monkeypatch.setenv("STATION_PASSWORD", "tia password")
    assert main(["train", "scenarios", "--briefs", *where, "--user", "tia"]) == 2
    assert "instruct" in capsys.readouterr().err
    assert main([*run, "--user", "tia", "--trainee", "someone"]) == 2
    capsys.readouterr()
    assert main([*run, "--user", "tia"]) == 0
    assert json.loads(capsys.readouterr().out)["trainee"] == "tia"
    monkeypatch.setenv("STATION_PASSWORD", "ian password")
    assert main(["train", "scenarios", "--briefs", *where, "--user", "ian", "--json"]) == 0
    assert all(r["brief"] for r in json.loads(capsys.readouterr().out))


@pytest.mark.slow
def test_report_writes_the_class_pages(
    gallery_copy: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from station.service import BookingService
    from station.training import load_library
    from station.training.actions import load_actions
    from station.training.classes import begin_booking, create_class, start_class
    from station.training.runner import play

    library = load_library()
    with open_gallery(gallery_copy) as gallery:
        accounts = AccountService(gallery)
        root = accounts.create_first_administrator("root", "root password")
        for name, role in (("tia", "trainee"), ("ian", "instructor")):
            accounts.add_user(root, name, f"{name} password", [role])
        ian = accounts.authenticate("ian", "ian password")
        tia = accounts.authenticate("tia", "tia password")
        tc = create_class(
            gallery,
            ian,
            name="Night shift",
            trainees=["tia"],
            scenarios=["dry-skin"],
            time_limit=600,
            library=library,
        )
        start_class(gallery, ian, tc, library)
        live = begin_booking(gallery, tia, library)
        assert live is not None
        # tia's booking as the scripted wrong trainee plays it (accepts the dry R2)
        service = BookingService(gallery, operator=tia)
        script = load_actions(library_dir() / "dry-skin.wrong.json")
        played = play(service, library["dry-skin"], script, store=False)
        live.events, live.booking_id = list(played.events), played.booking_id
        live.finish(service)
    out = tmp_path / "report"
    where = ["--gallery", str(gallery_copy)]
    monkeypatch.setenv("STATION_PASSWORD", "tia password")
    assert main(["train", "report", "Night shift", "-o", str(out), *where, "--user", "tia"]) == 2
    assert "instruct" in capsys.readouterr().err
    monkeypatch.setenv("STATION_PASSWORD", "ian password")
    assert main(["train", "report", "Night shift", *where, "--user", "ian"]) == 2
    assert "needs CLASS and -o DIR" in capsys.readouterr().err
    assert main(["train", "report", "Night shift", "-o", str(out), *where, "--user", "ian"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"wrote {out / 'class-night-shift.html'}",
        f"wrote {out / 'class-night-shift-tia.html'}",
    ]
    page = (out / "class-night-shift-tia.html").read_text(encoding="utf-8")
    mistakes = played.score.mistakes
    assert mistakes and all(f"Mistake: {m}" in page for m in mistakes)
    assert 'alt="R2 rolled, attempt 1, level 5"' in page  # the dry print left as it was
    assert "Dry skin that needs recapture" in (out / "class-night-shift.html").read_text()
