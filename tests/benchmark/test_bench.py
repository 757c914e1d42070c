"""``station bench`` end to end on tiny sets (the real figures come from the full run)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from station.benchmark import datasets
from station.cli import main
from station.core.extract import extract
from station.core.extract.quality import USABLE_MINUTIAE
from station.core.image import load, save
from station.core.match import DEFAULT_PARAMETERS, compare
from station.core.match.metrics import error_rates
from station.core.synth import impression
from station.core.template import Template


def _protocol_figures(
    templates: list[Template], impressions: int, *, all_impostors: bool = False
) -> dict:
    """The FVC figures worked out here, pair by pair, from the templates (not via ``verify``)."""
    usable = [len(t) >= USABLE_MINUTIAE for t in templates]
    fingers = len(templates) // impressions
    firsts = [f * impressions for f in range(fingers)]
    genuine = [
        (f * impressions + a, f * impressions + b)
        for f in range(fingers)
        for a, b in itertools.combinations(range(impressions), 2)
    ]
    impostor = list(itertools.combinations(firsts, 2))
    if all_impostors:  # every pair of prints of different fingers
        impostor = [
            (i, j)
            for i, j in itertools.combinations(range(len(templates)), 2)
            if i // impressions != j // impressions
        ]
    score = {pair: compare(templates[pair[0]], templates[pair[1]]) for pair in genuine + impostor}

    def acquired(pairs):
        return [pair for pair in pairs if usable[pair[0]] and usable[pair[1]]]

    def zeroed(pairs):
        return [score[pair] if pair in acquired(pairs) else 0.0 for pair in pairs]

    rates = error_rates(
        [score[p] for p in acquired(genuine)], [score[p] for p in acquired(impostor)]
    )
    return {
        **rates.as_dict(),
        "all_prints": error_rates(
            [score[p] for p in genuine], [score[p] for p in impostor]
        ).as_dict(),
        "generalised": error_rates(zeroed(genuine), zeroed(impostor)).as_dict(),
        "failure_to_acquire": usable.count(False) / len(templates),
    }


def _flat(figures: dict, prefix: str = "") -> dict[str, float]:
    """Nested figures as ``{"all_prints.eer": value, ...}`` (for ``pytest.approx``)."""
    out: dict[str, float] = {}
    for key, value in figures.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def _timings_are_plausible(figures: dict) -> None:
    # Wall times of real work: positive, and far below a second for a comparison of prepared
    # templates and below a minute for one extraction even on a loaded machine.
    assert 0 < figures["compare_ms_median"] < 1_000
    assert 0 < figures["extract_ms_median"] < 60_000


def test_synthetic_verification_writes_the_figures(tmp_path: Path, capsys) -> None:
    out, cache = tmp_path / "bench.json", tmp_path / "cache"
    code = main(
        ["bench", "--only", "verification", "--fingers", "3", "--impressions", "2",
         "--cache", str(cache), "--plots", str(tmp_path / "plots"), "--json", str(out)]
    )  # fmt: skip
    assert code == 0
    report = json.loads(out.read_text())
    figures = report["verification"]
    # The speed figure: the median over the protocol's 3 + 3 comparisons.
    assert report["comparison_ms"] == figures["compare_ms_median"]
    assert report["comparison_pairs"] == 6
    # The same templates, back from the run's cache (six prints: six cache entries).
    templates = datasets.build(datasets.verification_set(3, 2), cache_dir=cache)
    assert len(list(cache.iterdir())) == 6
    expected = _protocol_figures(templates, 2)
    # FVC protocol on 3 fingers x 2 impressions: 3 * C(2, 2) = 3 genuine, C(3, 2) = 3 impostor
    assert figures["all_prints"]["genuine"] == figures["generalised"]["genuine"] == 3
    assert figures["all_prints"]["impostor"] == figures["generalised"]["impostor"] == 3
    _timings_are_plausible(figures)
    # Extraction is timed on 500x500 prints: wall time, and the CPU time of the one thread.
    assert 0 < figures.pop("extract_cpu_ms_median") < 60_000
    del figures["extract_ms_median"], figures["compare_ms_median"]
    assert _flat(figures) == pytest.approx(_flat(expected), abs=1e-12)
    # With 3 impostors the only false match rate within 1% or 0.1% is 0: the three agree.
    for rates in (figures, figures["all_prints"], figures["generalised"]):
        assert rates["fmr100"] == rates["fmr1000"] == rates["zero_fmr"]
    assert (tmp_path / "plots" / "verification_det.png").stat().st_size > 1000
    assert (tmp_path / "plots" / "verification_scores.png").stat().st_size > 1000
    printed = capsys.readouterr().out
    assert "3 fingers x 2 impressions: 3 genuine, 3 impostor comparisons" in printed
    failed = round(expected["failure_to_acquire"] * 6)
    assert f"failures to acquire (< 8 minutiae): {failed} of 6 prints" in printed


@pytest.mark.slow
def test_identification_reports_every_gallery_size(tmp_path: Path, capsys) -> None:
    out = tmp_path / "bench.json"
    code = main(
        ["bench", "--only", "identification", "--galleries", "2,4", "--extracted", "2",
         "--probes", "2", "--cache", str(tmp_path / "cache"), "--json", str(out)]
    )  # fmt: skip
    assert code == 0
    figures = json.loads(out.read_text())["identification"]
    assert set(figures) == {"2", "4"}
    for size in (2, 4):
        f = figures[str(size)]
        assert f["gallery_subjects"] == size and f["probes"] == 2
        assert f["rank1"] == 1.0  # two fresh probes among at most four subjects
        assert f["first_stage_miss_rate"] == 0.0
        # The shortlist (8) holds the whole of a gallery this small: every subject is scored.
        assert DEFAULT_PARAMETERS.shortlist >= size and f["penetration_rate"] == 1.0
        assert 0 < f["latency_ms_median"] <= f["latency_ms_p95"] < 60_000
    assert figures["2"]["gallery"] == "extracted prints"
    assert figures["4"]["gallery"].startswith(
        "2 subjects from extracted prints + 2 from generator ground truth"
    )
    # probes and gallery: 2 subjects x 10 fingers each; ground truth: 2 subjects x 10
    assert len(list((tmp_path / "cache").iterdir())) == 60


def test_fvc_folder(tmp_path: Path, capsys) -> None:
    images = tmp_path / "fvc"
    images.mkdir()
    for finger in (1, 2, 3):
        for imp in (1, 2):
            image, _ = impression(
                980 + finger, "R2", imp, kind="flat", size=(320, 320), degradation=0.1
            )
            save(images / f"{finger}_{imp}.png", image)
    out = tmp_path / "fvc.json"
    assert main(["bench", "--fvc", str(images), "--no-plots", "--json", str(out)]) == 0
    figures = json.loads(out.read_text())["fvc"]
    assert figures.pop("folder") == str(images)
    assert figures["genuine"] == 3 and figures["impostor"] == 3
    templates = [extract(load(images / f"{f}_{i}.png")) for f in (1, 2, 3) for i in (1, 2)]
    _timings_are_plausible(figures)
    del figures["extract_ms_median"], figures["compare_ms_median"]
    expected = _flat(_protocol_figures(templates, 2))
    assert _flat(figures) == pytest.approx(expected, abs=1e-12)
    # All pairs: the 3 genuine pairs, and 15 pairs less those 3 as impostors.
    assert (
        main(["bench", "--fvc", str(images), "--all-pairs", "--no-plots", "--json", str(out)]) == 0
    )
    assert "FVC protocol, all impostor pairs" in capsys.readouterr().out
    figures = json.loads(out.read_text())["fvc"]
    assert figures["genuine"] == 3 and figures["impostor"] == 12
    del figures["folder"], figures["extract_ms_median"], figures["compare_ms_median"]
    expected = _flat(_protocol_figures(templates, 2, all_impostors=True))
    assert _flat(figures) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["bench", "--galleries", "ten"], "--galleries"),
        (["bench", "--fingers", "1"], "--fingers"),
        (["bench", "--only", "fvc"], "--fvc"),
        (["bench", "--fvc", "/nonexistent/folder"], "not a folder"),
        (["bench", "--ivf", "256"], "--ivf takes NLIST:NPROBE pairs"),
        (["bench", "--subjects", "50", "--ivf", "64:4"], "nlist must be 1..50"),
        (["bench", "--ivf", "16:17"], "nprobe must be 1..16"),
    ],
)
def test_bad_arguments_exit_with_one_line(argv, message, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("station: error:") and message in err and "\n" not in err
