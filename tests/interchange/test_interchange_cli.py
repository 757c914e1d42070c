"""``station ebts show``: every record and field, images summarised, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from station.cli import main
from station.interchange import (
    PrintImage,
    TenprintSubmission,
    build_submission,
    write_transaction,
)


def _file(tmp_path: Path) -> Path:
    image = PrintImage(bytes(range(6)), "NONE", width=3, height=2, quality=2)
    submission = TenprintSubmission(
        tcn="T-1", ori="NY0303000", dai="WVIAFIS0Z", date=dt.date(2026, 1, 2),
        demographics={"last_name": "DOE", "first_name": "JOHN"},
        fingers={"R2": image, "L4": "XX"},
    )  # fmt: skip
    path = tmp_path / "car.eft"
    path.write_bytes(write_transaction(build_submission(submission)))
    return path


def test_show_lists_records_and_summarises_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path)
    assert main(["ebts", "show", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{path}: 4 records, {path.stat().st_size} bytes"
    assert out[1].startswith("record 1: Type-1 (LEN ")
    assert "  1.003 CNT  [1, 3] [2, 00] [14, 01] [14, 02]" in out
    assert "  2.018 NAM  DOE,JOHN" in out
    assert "  14.999 DATA  image: NONE, 6 bytes, 3x2, 500 ppi" in out
    assert "  14.018 AMP  [9, XX]" in out
    assert not any("\x00" in line or "\x01" in line for line in out)  # no binary dumped


def test_show_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path)
    assert main(["ebts", "show", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["bytes"] == path.stat().st_size and data["notes"] == []
    assert [(r["type"], r["idc"]) for r in data["records"]] == [(1, None), (2, 0), (14, 1), (14, 2)]
    assert sum(r["length"] for r in data["records"]) == data["bytes"]
    finger = data["records"][2]
    assert finger["image"] == {"compression": "NONE", "bytes": 6, "width": 3, "height": 2,
                               "ppi": 500}  # fmt: skip
    assert {"tag": "14.022", "name": "NQM", "value": [["2", "2"]]} in finger["fields"]
    assert data["records"][3]["image"] is None


def test_show_shared_tenprint_card(samples: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ebts", "show", str(samples / "type-4-tpcard.an2"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    images = [r["image"] for r in data["records"] if r["type"] == 4]
    assert len(images) == 14
    assert images[0] == {"compression": "WSQ20", "bytes": 42297, "width": 804, "height": 752,
                         "ppi": 500}  # fmt: skip


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file or directory"),
        (b"", "record 1 (Type-1) field 1.001 LEN: the file is empty"),
        (b"GIF89a", "record 1 (Type-1) field 1.001 LEN: record does not start with '1.001:'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "bad.eft"
    if content is not None:
        path.write_bytes(content)
    assert main(["ebts", "show", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("station: error: ") and message in lines[0]


def test_a_truncated_file_names_record_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path)
    path.write_bytes(path.read_bytes()[:-3])
    assert main(["ebts", "show", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"station: error: {path}: record 4 (Type-14) field 14.001 LEN says")
    assert err.rstrip().endswith("truncated")
