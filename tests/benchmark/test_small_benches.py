"""``station synth --bench`` and ``station extract --bench``: figures and their printed lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.benchmark.extraction import (
    ExtractionBench,
    MinutiaCounts,
    extraction_bench,
    format_extraction,
)
from station.benchmark.synthesis import SynthesisBench, format_synthesis, synthesis_bench
from station.cli import main
from station.core.synth.master import master_print


def test_synthesis_bench_measures_new_fingers() -> None:
    bench = synthesis_bench(2)
    counts = [len(master_print(10_000 + n, f).minutiae) for n, f in enumerate(("R1", "R2"))]
    assert bench.count == 2
    assert (bench.minutiae_min, bench.minutiae_max) == (min(counts), max(counts))
    assert bench.minutiae_median == sum(counts) / 2
    assert bench.cold_ms > 0 and bench.warm_ms > 0


def test_synthesis_lines() -> None:
    text = format_synthesis(SynthesisBench(3, 250.04, 37.5, 68.5, 49, 83))
    assert text.splitlines() == [
        "synthetic impressions, 512x512 flat, 3 fingers, one core",
        "  median, new finger (master + impression):   250.0 ms",
        "  median, known finger (impression only):      37.5 ms",
        "  minutiae per master: median 68, range 49-83",
    ]


def test_extraction_lines() -> None:
    bench = ExtractionBench(
        count=4,
        good=MinutiaCounts(61, 61, 67),
        degraded=MinutiaCounts(0, 0, 0),
        median_ms=99.04,
        p95_ms=107.0,
        rho_median=-1.0,
        rho_worst=-0.8,
        rho_pooled=-0.914,
        median_cpu_ms=61.26,
    )
    assert bench.good.recall == 1.0 and bench.degraded.precision == 0.0
    assert format_extraction(bench).splitlines() == [
        "extractor against ground truth: 4 flat 500x500 synthetic prints, "
        "match within 12 px and 30 deg",
        "  good      recall 1.000  precision 0.910  (61 pairs, 61 true, 67 found)",
        "  degraded  recall 0.000  precision 0.000  (0 pairs, 0 true, 0 found)",
        "  median extraction time 99.0 ms (p95 107.0 ms), 61.3 ms CPU, one core",
        "quality score against degradation grade (20 fingers x 6 grades):",
        "  Spearman rho per finger: median -1.00, worst -0.80; pooled -0.91 "
        "(negative: score falls as prints degrade)",
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: synthesis_bench(0), "count must be a whole number of at least 1, got 0"),
        (lambda: extraction_bench(1), "count must be a whole number of at least 2, got 1"),
    ],
)
def test_library_counts_are_checked_without_flags(call, message: str) -> None:
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["synth", "--bench", "--count", "0"], "station: error: --count must be at least 1"),
        (["extract", "--bench", "--count", "1"], "station: error: --count must be at least 2"),
    ],
)
def test_cli_names_the_flag(argv: list[str], line: str, capsys) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == line


def test_booking_bench_without_a_gallery_says_how_to_seed(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "none.sqlite"
    assert main(["bench", "--only", "booking", "--gallery", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == (
        f"station: error: no gallery at {missing}: seed one first (station seed --subjects N)"
    )
    assert captured.out == ""


def test_library_messages_name_no_flags(tmp_path: Path) -> None:
    from station.benchmark.booking import booking_trials
    from station.service import seed

    missing = tmp_path / "none.sqlite"
    with pytest.raises(ValueError) as info:
        booking_trials(missing, mated=1, nonmated=1, population=0)
    assert str(info.value) == f"no gallery at {missing}: seed one first"
    with pytest.raises(ValueError) as info:
        seed(missing, 0)
    assert str(info.value) == "subjects must be a whole number of at least 1, got 0"
    assert not missing.exists()


def test_speed_prints_are_the_first_accuracy_prints() -> None:
    from station.benchmark.extraction import speed_prints
    from station.core.synth import impression

    images = speed_prints(3)
    assert [image.shape for image in images] == [(500, 500)] * 3
    # Print 2 of 3: degradation 2 / 2 = 1, finger R3, subject 20 002.
    expected, _ = impression(20_002, "R3", 0, kind="flat", size=(500, 500), degradation=1.0)
    assert (images[2] == expected).all()
    with pytest.raises(ValueError, match="count"):
        speed_prints(1)


@pytest.mark.slow
def test_seeding_bench_times_a_small_seed(tmp_path: Path, capsys) -> None:
    import json

    out = tmp_path / "bench.json"
    code = main(
        ["bench", "--only", "seeding", "--seed-subjects", "2", "--no-plots", "--json", str(out)]
    )
    assert code == 0
    figures = json.loads(out.read_text())["seeding"]
    assert figures["subjects"] == 2 and figures["workers"] >= 1
    assert figures["seconds"] > 0
    # Rendering and extracting 20 rolled prints costs real CPU; start-up adds to the total.
    assert 0 < figures["cpu_seconds"] <= figures["total_cpu_seconds"]
    assert figures["subjects_per_minute"] == pytest.approx(120 / figures["seconds"])
    per_subject = figures["cpu_seconds"] / 2
    assert figures["cpu_seconds_per_subject"] == pytest.approx(per_subject)
    assert figures["projected_minutes_1000_on_2_idle_cores"] == pytest.approx(
        per_subject * 1000 / 2 / 60
    )
    # The stages split that CPU time, per print.
    stages = figures["stages"]
    assert list(stages) == ["master", "impression", "extraction", "encoding", "storing"]
    assert all(ms > 0 for ms in stages.values())
    assert sum(stages.values()) * 20 / 1000 == pytest.approx(figures["cpu_seconds"])
    printed = capsys.readouterr().out
    assert "seeding — 2 subjects (20 rolled prints) into a new gallery" in printed
    assert "CPU ms per print: master " in printed
    assert "1 000 subjects on 2 idle cores projected at" in printed


def test_seed_subjects_must_be_positive(capsys) -> None:
    assert main(["bench", "--only", "seeding", "--seed-subjects", "0"]) == 2
    assert "--seed-subjects" in capsys.readouterr().err
