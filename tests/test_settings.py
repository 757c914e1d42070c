from __future__ import annotations

from pathlib import Path

import pytest

from station.settings import Settings, load_settings


def test_defaults_without_a_file() -> None:
    assert load_settings(None) == Settings()
    assert Settings().paths.gallery == Path("db/gallery.sqlite")


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
