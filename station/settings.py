"""The station's one settings object, loaded from a TOML file over built-in defaults.

Reach it through :func:`get_settings`; :func:`load_settings` reads a file. Unknown sections or
keys are refused with a message naming them, so a typo never passes silently.

Example file::

    [paths]
    gallery = "db/gallery.sqlite"

    [synth]
    population = 0
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["PathSettings", "Settings", "SynthSettings", "get_settings", "load_settings"]

#: Environment variable naming a settings file to use instead of the defaults.
ENV_VAR = "STATION_SETTINGS"


@dataclass(frozen=True)
class PathSettings:
    """Where the station keeps its data."""

    gallery: Path = Path("db/gallery.sqlite")


@dataclass(frozen=True)
class SynthSettings:
    """Which synthetic population the station draws subjects from."""

    population: int = 0


@dataclass(frozen=True)
class Settings:
    """All settings of the station."""

    paths: PathSettings = field(default_factory=PathSettings)
    synth: SynthSettings = field(default_factory=SynthSettings)


def _section(cls: type, name: str, values: object):
    if not isinstance(values, dict):
        raise ValueError(f"settings: [{name}] must be a table")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"settings: unknown key(s) in [{name}]: {', '.join(unknown)}")
    converted = {}
    for key, value in values.items():
        default = getattr(cls(), key)
        if isinstance(default, Path):
            if not isinstance(value, str):
                raise ValueError(f"settings: [{name}] {key} must be a path string")
            value = Path(value)
        elif isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"settings: [{name}] {key} must be a whole number")
        converted[key] = value
    return cls(**converted)


def load_settings(path: str | Path | None = None) -> Settings:
    """Read settings from a TOML file; missing sections and keys keep their defaults.

    Raises
    ------
    ValueError
        The file is not valid TOML or names unknown sections or keys.
    """
    if path is None:
        return Settings()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"settings: {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"settings: {path} is not valid TOML ({exc})") from None
    sections = {f.name: f.type for f in dataclasses.fields(Settings)}
    unknown = sorted(set(data) - set(sections))
    if unknown:
        raise ValueError(f"settings: unknown section(s) {', '.join(unknown)} in {path}")
    kinds = {"paths": PathSettings, "synth": SynthSettings}
    return Settings(**{name: _section(kinds[name], name, values) for name, values in data.items()})


_current: Settings | None = None


def get_settings() -> Settings:
    """The settings in force: the file named by ``$STATION_SETTINGS``, else the defaults."""
    global _current
    if _current is None:
        _current = load_settings(os.environ.get(ENV_VAR) or None)
    return _current
