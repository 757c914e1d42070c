"""The bad-input corpus: every importer refuses bad input clearly and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from station.benchmark.robustness import OUTCOMES, format_robustness, robustness
from station.cli import main


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict:
    found = robustness(fuzz=6, workdir=tmp_path_factory.mktemp("robust"))
    return {row.importer: row for row in found}


def test_every_importer_is_tried(rows: dict) -> None:
    assert list(rows) == [
        "images",
        "prints folders",
        "demographics JSON",
        "settings TOML",
        "templates",
        "galleries",
    ]
    for row in rows.values():
        assert set(row.counts) == set(OUTCOMES)
        assert row.counts["clear error"] >= 5, row.importer
        assert row.counts["accepted correctly"] >= 1, row.importer


@pytest.mark.slow
@pytest.mark.parametrize(
    "importer",
    ["images", "prints folders", "demographics JSON", "settings TOML", "templates"],
)
def test_no_silent_wrong_no_loss_no_traceback(rows: dict, importer: str) -> None:
    row = rows[importer]
    assert row.failures == (), format_robustness([row])
    assert (row.counts["silent wrong"], row.counts["data lost"], row.counts["traceback"]) == (
        0,
        0,
        0,
    )


def test_damaged_galleries_are_refused_untouched_or_named_by_verify(rows: dict) -> None:
    row = rows["galleries"]
    assert row.failures == (), format_robustness([row])


def test_the_table_has_the_readme_columns(rows: dict) -> None:
    table = format_robustness(list(rows.values())).splitlines()
    assert table[0] == (
        "| importer | cases tried | clear errors | accepted correctly | silent wrong | "
        "data lost | tracebacks |"
    )
    assert len([line for line in table if line.startswith("| ")]) == 7


def test_bench_only_robustness_checks_its_option(capsys) -> None:
    assert main(["bench", "--only", "robustness", "--fuzz", "-1"]) == 2
    assert "--fuzz must be 0 or more" in capsys.readouterr().err


def test_fuzz_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fuzz must be a whole number"):
        robustness(fuzz=-1, workdir=tmp_path)
