"""The ``station`` command: real renders, readable one-line errors, non-zero exits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from station.cli import main
from station.core import image as imageio
from station.core.synth import impression
from station.core.synth.population import demographics


def test_synth_writes_the_print_and_its_truth(tmp_path: Path) -> None:
    out, truth_file = tmp_path / "p.png", tmp_path / "t.json"
    code = main(
        [
            "synth",
            "--subject",
            "3",
            "--finger",
            "l2",
            "--impression",
            "1",
            "--flat",
            "-o",
            str(out),
            "--truth",
            str(truth_file),
        ]
    )
    assert code == 0
    image, truth = impression(3, "L2", 1, kind="flat")
    assert np.array_equal(imageio.load(out), image)
    record = json.loads(truth_file.read_text())
    assert record["finger"] == "L2" and record["width"] == 512 and record["dpi"] == 500
    # The generator's own minutiae, in order, to the written precision (type 1: bifurcation).
    assert [(m["x"], m["y"], m["angle"], m["type"]) for m in record["minutiae"]] == [
        (round(m.x, 2), round(m.y, 2), round(m.angle, 4), ("ending", "bifurcation")[m.type])
        for m in truth
    ]
    assert {m["type"] for m in record["minutiae"]} == {"ending", "bifurcation"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--finger", "R6"], "unknown finger code"),
        (["--subject", "-1"], "subject must be"),
        (["--size", "10x10"], "out of range"),
        (["--size", "big"], "ROWSxCOLS"),
        (["--degradation", "2"], "degradation"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(tmp_path: Path, args, message) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "station.cli", "synth", *args, "-o", str(tmp_path / "x.png")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert message in lines[-1]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_unknown_output_type_is_an_error(tmp_path: Path, capsys) -> None:
    assert main(["synth", "-o", str(tmp_path / "x.foo")]) == 2
    assert "cannot write this file type" in capsys.readouterr().err


def test_demographics_are_printed_as_json(capsys) -> None:
    assert main(["synth", "--subject", "5", "--demographics"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == demographics(5).as_dict()
    assert data["sex"] in {"M", "F"} and len(data["height"]) == 3  # feet, inches: "509"
