"""``station bench --only sensors`` on tiny sets: one FVC-protocol figure set per sensor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from station.benchmark import datasets
from station.cli import main
from station.core.match import compare
from station.core.match.metrics import error_rates
from station.core.synth.sensors import SENSORS


def test_sensor_sets_use_the_sensors_resolution_and_keep_plain_cache_keys() -> None:
    specs = datasets.sensor_set("optical-569ppi", 2, 3)
    assert [(s.subject, s.finger, s.impression) for s in specs] == [
        (50_000, "R1", 0), (50_000, "R1", 1), (50_000, "R1", 2),
        (50_001, "R2", 0), (50_001, "R2", 1), (50_001, "R2", 2),
    ]  # fmt: skip
    assert {s.ppi for s in specs} == {569}
    assert specs[0].render().shape == SENSORS["optical-569ppi"].size
    plain = datasets.PrintSpec(1, "R2", 0)
    assert plain.ppi == 500
    # A sensor print and a plain print of the same finger never share a cache entry.
    assert datasets.PrintSpec(1, "R2", 0, sensor="capacitive").key() != plain.key()
    with pytest.raises(ValueError, match=r"unknown sensor 'ccd': use one of capacitive, "):
        datasets.sensor_set("ccd")
    with pytest.raises(ValueError, match=r"at least 2 fingers and 2 impressions"):
        datasets.sensor_set("capacitive", 1, 8)


def test_bench_only_sensors_reports_each_set(tmp_path: Path, capsys) -> None:
    out, cache = tmp_path / "bench.json", tmp_path / "cache"
    code = main(
        ["bench", "--only", "sensors", "--sensor-fingers", "2", "--impressions", "2",
         "--cache", str(cache), "--no-plots", "--json", str(out)]
    )  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())["sensors"]
    printed = capsys.readouterr().out
    assert set(report["sets"]) == set(SENSORS)
    eers = []
    for name, sensor in SENSORS.items():
        figures = report["sets"][name]
        templates = datasets.build(datasets.sensor_set(name, 2, 2), cache_dir=cache)
        # 2 fingers x 2 touches: 2 genuine pairs (0-1, 2-3) and 1 impostor pair (0-2).
        genuine = [compare(templates[0], templates[1]), compare(templates[2], templates[3])]
        expected = error_rates(genuine, [compare(templates[0], templates[2])])
        assert figures["genuine"] == 2 and figures["impostor"] == 1
        assert figures["eer"] == pytest.approx(expected.eer, abs=1e-12)
        assert (figures["rows"], figures["cols"], figures["ppi"]) == (*sensor.size, sensor.ppi)
        rows, cols = sensor.size
        assert f"{name:<22s} {cols}x{rows} @ {sensor.ppi} ppi  EER {expected.eer:7.2%}" in printed
        eers.append(expected.eer)
    assert report["mean_eer"] == pytest.approx(sum(eers) / len(eers), abs=1e-12)
    assert len(list(cache.iterdir())) == 4 * len(SENSORS)


def test_sensor_fingers_is_checked(capsys) -> None:
    assert main(["bench", "--only", "sensors", "--sensor-fingers", "1"]) == 2
    assert "--sensor-fingers must be at least 2" in capsys.readouterr().err
