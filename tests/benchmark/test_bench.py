"""``station bench`` end to end on tiny sets (the real figures come from the full run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.cli import main
from station.core.image import save
from station.core.synth import impression


def test_synthetic_verification_writes_the_figures(tmp_path: Path, capsys) -> None:
    out = tmp_path / "bench.json"
    code = main(
        ["bench", "--only", "verification", "--fingers", "3", "--impressions", "2",
         "--no-cache", "--plots", str(tmp_path / "plots"), "--json", str(out)]
    )  # fmt: skip
    assert code == 0
    figures = json.loads(out.read_text())["verification"]
    assert figures["genuine"] + figures["impostor"] <= 3 + 3
    for key in ("eer", "fmr100", "fmr1000", "zero_fmr", "extract_ms_median", "compare_ms_median"):
        assert figures[key] >= 0
    assert 0 <= figures["eer"] <= 1
    assert (tmp_path / "plots" / "verification_det.png").stat().st_size > 1000
    assert (tmp_path / "plots" / "verification_scores.png").stat().st_size > 1000
    assert "EER" in capsys.readouterr().out


def test_identification_reports_every_gallery_size(tmp_path: Path, capsys) -> None:
    out = tmp_path / "bench.json"
    code = main(
        ["bench", "--only", "identification", "--galleries", "2,4", "--extracted", "2",
         "--probes", "2", "--cache", str(tmp_path / "cache"), "--json", str(out)]
    )  # fmt: skip
    assert code == 0
    figures = json.loads(out.read_text())["identification"]
    assert set(figures) == {"2", "4"}
    for size in ("2", "4"):
        f = figures[size]
        assert f["rank1"] == 1.0  # two fresh probes among at most four subjects
        assert f["first_stage_miss_rate"] == 0.0
        assert f["latency_ms_median"] > 0 and f["latency_ms_p95"] >= f["latency_ms_median"]
    assert "ground truth" in figures["4"]["gallery"]
    assert "extracted" in figures["2"]["gallery"]
    assert any((tmp_path / "cache").iterdir())  # templates were cached


def test_fvc_folder(tmp_path: Path, capsys) -> None:
    for finger in (1, 2, 3):
        for imp in (1, 2):
            image, _ = impression(
                980 + finger, "R2", imp, kind="flat", size=(320, 320), degradation=0.1
            )
            save(tmp_path / f"{finger}_{imp}.png", image)
    out = tmp_path / "fvc.json"
    assert main(["bench", "--fvc", str(tmp_path), "--no-plots", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())["fvc"]
    assert figures["genuine"] == 3 and figures["impostor"] == 3
    assert figures["folder"] == str(tmp_path)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["bench", "--galleries", "ten"], "--galleries"),
        (["bench", "--fingers", "1"], "--fingers"),
        (["bench", "--only", "fvc"], "--fvc"),
        (["bench", "--fvc", "/nonexistent/folder"], "not a folder"),
    ],
)
def test_bad_arguments_exit_with_one_line(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("station: error:") and message in err and "\n" not in err
