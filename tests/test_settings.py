from __future__ import annotations

from pathlib import Path

import pytest

from station.settings import Settings, load_settings


def test_defaults_without_a_file() -> None:
    assert load_settings(None) == Settings()
    assert Settings().paths.gallery == Path("gallery.sqlite")


def test_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("[synth]\npopulation = 7\n")
    s = load_settings(f)
    assert s.synth.population == 7
    assert s.paths == Settings().paths


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[synthh]\npopulation = 1\n", "unknown section"),
        ("[synth]\npopulaton = 1\n", "unknown key"),
        ("[synth]\npopulation = 'x'\n", "whole number"),
        ("[paths]\ngallery = 3\n", "path string"),
        ("[synth\n", "not valid TOML"),
    ],
)
def test_bad_files_are_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "s.toml"
    f.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_settings(f)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_the_readme_settings_block_loads_as_the_defaults(tmp_path: Path) -> None:
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Settings") :]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    f = tmp_path / "s.toml"
    f.write_text(block.group(1))
    assert load_settings(f) == Settings()


def test_disposition_thresholds_per_repository(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text(
        "[disposition]\nhit = 2\n[disposition.repositories.federal-immigration]\n"
        "hit = 4.0\nreview = 0.5\n"
    )
    policy = load_settings(f).disposition
    assert policy.hit == 2.0
    assert policy.thresholds("federal-immigration").hit == 4.0
    assert policy.thresholds("local").review == 0.25
    f.write_text("[disposition]\nhit = 0.1\nreview = 0.5\n")
    with pytest.raises(ValueError, match="review <= hit"):
        load_settings(f)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[disposition]\nhit = inf\nreview = inf\n", r"\[disposition\] hit must be a finite"),
        ("[disposition]\nreview = nan\n", r"\[disposition\] review must be a finite"),
        ("[disposition]\nhit = -1.0\n", r"\[disposition\] thresholds need 0 < review <= hit"),
        ("[disposition]\nreview = 0\n", "0 < review"),
        ("[disposition]\nhit = 1e400\n", "finite"),
        ("[disposition]\nhit = 100000000000000000000000000000\n", "out of range"),
        (
            "[disposition.repositories.federal-imigration]\nhit = 2.0\n",
            "unknown repository 'federal-imigration' in \\[disposition.repositories\\]: use "
            "local, state, federal-criminal, federal-immigration",
        ),
        ("[disposition.repositories.state]\nhit = inf\n", "finite"),
        ("[disposition.repositories.state]\nhitt = 2\n", r"unknown key\(s\) .*: hitt"),
        (
            "[station]\ntransaction_type = 'CRA'\n",
            "unknown transaction_type 'CRA': use one of CAR, CNA",
        ),
        ("[station]\ntransactiontype = 'CNA'\n", "transactiontype"),
        ("[synth]\npopulation = 100000000000000000000000\n", "out of range"),
    ],
)
def test_impossible_values_are_refused_naming_the_key(
    tmp_path: Path, text: str, message: str
) -> None:
    f = tmp_path / "s.toml"
    f.write_text(text)
    with pytest.raises(ValueError, match=message):
        load_settings(f)


def test_transaction_type_is_read_in_any_case(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("[station]\ntransaction_type = 'cna'\n")
    assert load_settings(f).station.transaction_type == "CNA"


def test_a_folder_or_binary_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot be read"):
        load_settings(tmp_path)
    (tmp_path / "b.toml").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_settings(tmp_path / "b.toml")


def test_relative_gallery_paths_live_in_the_data_folder(tmp_path: Path, monkeypatch) -> None:
    from station.settings import DATA_ENV_VAR, PathSettings, data_dir

    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "data"))
    assert data_dir() == tmp_path / "data"
    assert Settings().paths.gallery_file == tmp_path / "data" / "gallery.sqlite"
    assert PathSettings(Path("db/g.sqlite")).gallery_file == tmp_path / "data" / "db" / "g.sqlite"
    assert PathSettings(tmp_path / "abs.sqlite").gallery_file == tmp_path / "abs.sqlite"
    monkeypatch.delenv(DATA_ENV_VAR)
    monkeypatch.chdir(tmp_path)
    # the default no longer depends on the folder the station is started from
    assert Settings().paths.gallery_file.is_absolute()
    assert Settings().paths.gallery_file.name == "gallery.sqlite"
    assert Settings().paths.gallery_file.parent.name == "booking-station"
