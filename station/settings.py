"""The station's one settings object, loaded from a TOML file over built-in defaults.

Reach it through :func:`get_settings`; :func:`load_settings` reads a file. Unknown sections or
keys are refused with a message naming them, so a typo never passes silently; so are values
that cannot be meant: thresholds that are not finite or not ``0 < review <= hit``, a
repository that is not one of :class:`station.core.vocabulary.Repository`, a transaction type
other than ``CAR`` or ``CNA``.

Example file (every key optional; these are the defaults)::

    [paths]
    gallery = "gallery.sqlite"   # a relative path is inside the station's data folder
    jms = ""                     # the jail management system's export (file or folder);
                                 # empty: the station's synthetic demonstration one

The data folder is the per-user one (``platformdirs.user_data_path("booking-station")``:
``~/.local/share/booking-station`` on Linux, ``%LOCALAPPDATA%\\booking-station`` on Windows,
``~/Library/Application Support/booking-station`` on macOS), or the folder named by
``$STATION_DATA``; absolute paths (and ``~``) are used as they are.

    [synth]
    population = 0

    [station]
    station_id = "BS-01"
    operator = "officer"
    transaction_type = "CAR"
    ori = "NY0303000"        # originating agency (EBTS 1.008 ORI): 9 letters or digits
    dai = "WVIAFIS0Z"        # destination agency (EBTS 1.007 DAI): 9 letters or digits

    [scanner]
    source = "mock"          # or "files"
    seed = 0                 # mock device seed
    dirty_platen = false
    timeout = false

    [disposition]
    hit = 1.0                # fused score (sum of finger scores) for a HIT
    review = 0.25            # fused score that sends the top candidates to an examiner
    recapture_level = 5      # a finger at this quality level or worse must be recaptured
    max_attempts = 3         # ... unless it was tried this often (the officer overrides)
    min_fingers = 1          # usable fingers a search needs
    candidates = 5           # candidates listed in a response

    [agencies]               # Secure Communities' emulated agencies (station book, the GUI)
    state_delay = 0.3        # seconds each agency takes to answer (LESC: after IDENT's match)
    ngi_delay = 0.5          # defaults: the whole booking answered within 2 s
    ident_delay = 0.5
    lesc_delay = 0.5
    timeout = 30.0           # no answer this long after sending: the message times out
    down = ""                # agencies that answer ERRT "system unavailable", e.g. "NGI,IDENT"

    [disposition.repositories.federal-immigration]   # local, state, federal-criminal or
    hit = 2.0                # federal-immigration may ask for more (or less) than the defaults
    review = 0.5
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .core.disposition import DispositionPolicy, Thresholds
from .core.vocabulary import Repository, System, TransactionType

__all__ = [
    "DATA_ENV_VAR",
    "AgencySettings",
    "PathSettings",
    "ScannerSettings",
    "Settings",
    "StationSettings",
    "SynthSettings",
    "TrainingSettings",
    "data_dir",
    "get_settings",
    "load_settings",
    "resolve_path",
    "set_settings",
]

#: Environment variable naming a settings file to use instead of the defaults.
ENV_VAR = "STATION_SETTINGS"
#: Environment variable naming the data folder (default: the per-user data folder).
DATA_ENV_VAR = "STATION_DATA"


def data_dir() -> Path:
    """The station's data folder: ``$STATION_DATA``, else the per-user data folder.

    The per-user folder comes from platformdirs (``~/.local/share/booking-station`` on Linux),
    so the default gallery never lands in whatever folder the station was started from.
    """
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("booking-station", appauthor=False)


def resolve_path(path: str | Path) -> Path:
    """A settings path as a file: ``~`` expanded, a relative path inside :func:`data_dir`.

    Examples
    --------
    >>> resolve_path("/srv/station/gallery.sqlite")
    PosixPath('/srv/station/gallery.sqlite')
    """
    path = Path(path).expanduser()
    return path if path.is_absolute() else data_dir() / path


#: An EBTS agency identifier (1.007 DAI, 1.008 ORI): nine letters or digits.
_AGENCY = re.compile(r"[A-Z0-9]{9}")


@dataclass(frozen=True)
class PathSettings:
    """Where the station keeps its data (relative paths: inside :func:`data_dir`)."""

    gallery: Path = Path("gallery.sqlite")
    jms: str = ""

    @property
    def gallery_file(self) -> Path:
        """The gallery file the station opens (:func:`resolve_path` of ``gallery``)."""
        return resolve_path(self.gallery)


@dataclass(frozen=True)
class SynthSettings:
    """Which synthetic population the station draws subjects from."""

    population: int = 0


@dataclass(frozen=True)
class StationSettings:
    """Who and what this station is, as written into every transaction."""

    station_id: str = "BS-01"
    operator: str = "officer"
    transaction_type: str = "CAR"
    ori: str = "NY0303000"
    dai: str = "WVIAFIS0Z"

    def __post_init__(self) -> None:
        code = TransactionType.parse(self.transaction_type, what="transaction_type")
        object.__setattr__(self, "transaction_type", str(code))
        for name in ("ori", "dai"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _AGENCY.fullmatch(value.strip().upper()):
                raise ValueError(
                    f"settings: [station] {name} must be 9 letters or digits (an EBTS agency "
                    f"identifier), got {value!r}"
                )
            object.__setattr__(self, name, value.strip().upper())


@dataclass(frozen=True)
class ScannerSettings:
    """The capture source the station opens with, and the mock device's faults."""

    source: str = "mock"
    seed: int = 0
    dirty_platen: bool = False
    timeout: bool = False

    def __post_init__(self) -> None:
        if self.source not in ("mock", "files"):
            raise ValueError(
                f"settings: [scanner] source must be 'mock' or 'files', got {self.source!r}"
            )


@dataclass(frozen=True)
class AgencySettings:
    """Secure Communities' emulated agencies: how long each takes, when the station gives up
    waiting, and which are down (fault injection).

    Examples
    --------
    >>> AgencySettings(down="ngi").down_systems
    (<System.NGI: 'NGI'>,)
    >>> AgencySettings().delay("LESC")
    0.5
    """

    state_delay: float = 0.3
    ngi_delay: float = 0.5
    ident_delay: float = 0.5
    lesc_delay: float = 0.5
    timeout: float = 30.0
    down: str = ""

    def __post_init__(self) -> None:
        for system in System:
            name = f"{system.value.lower()}_delay"
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < 0
            ):
                raise ValueError(
                    f"settings: [agencies] {name} must be a number of seconds >= 0, got {value!r}"
                )
            object.__setattr__(self, name, float(value))
        timeout = self.timeout
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, int | float)
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            raise ValueError(
                f"settings: [agencies] timeout must be a number of seconds > 0, got {timeout!r}"
            )
        object.__setattr__(self, "timeout", float(timeout))
        if not isinstance(self.down, str):
            raise ValueError(f"settings: [agencies] down must be a string, got {self.down!r}")
        codes = [c for c in (part.strip() for part in self.down.split(",")) if c]
        systems = [System.parse(c, what="system in [agencies] down") for c in codes]
        object.__setattr__(self, "down", ",".join(dict.fromkeys(str(s) for s in systems)))

    @property
    def down_systems(self) -> tuple[System, ...]:
        """The systems set down."""
        return tuple(System(c) for c in self.down.split(",") if c)

    def delay(self, system: str) -> float:
        """Seconds ``system`` takes to answer."""
        return float(getattr(self, f"{System.parse(system, what='system').value.lower()}_delay"))

    def is_down(self, system: str) -> bool:
        """Whether ``system`` answers ERRT "system unavailable"."""
        return System.parse(system, what="system") in self.down_systems


@dataclass(frozen=True)
class TrainingSettings:
    """Training: the instructor's folder of scenario files, besides the station's library."""

    scenarios: str = ""

    @property
    def scenarios_dir(self) -> Path | None:
        """The folder (:func:`resolve_path` of ``scenarios``), or None when not set."""
        return resolve_path(self.scenarios) if self.scenarios.strip() else None


@dataclass(frozen=True)
class Settings:
    """All settings of the station."""

    paths: PathSettings = field(default_factory=PathSettings)
    synth: SynthSettings = field(default_factory=SynthSettings)
    station: StationSettings = field(default_factory=StationSettings)
    scanner: ScannerSettings = field(default_factory=ScannerSettings)
    disposition: DispositionPolicy = field(default_factory=DispositionPolicy)
    agencies: AgencySettings = field(default_factory=AgencySettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)


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
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ValueError(f"settings: [{name}] {key} must be true or false")
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"settings: [{name}] {key} must be a whole number")
            if not -(2**63) <= value < 2**63:
                raise ValueError(f"settings: [{name}] {key} is out of range")
        elif isinstance(default, float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"settings: [{name}] {key} must be a number")
            if isinstance(value, int) and not -(2**63) <= value < 2**63:
                raise ValueError(f"settings: [{name}] {key} is out of range")
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"settings: [{name}] {key} must be a finite number, got {value}")
        elif isinstance(default, str) and not isinstance(value, str):
            raise ValueError(f"settings: [{name}] {key} must be a string")
        converted[key] = value
    try:
        return cls(**converted)
    except ValueError as exc:
        message = str(exc)
        raise ValueError(
            message if message.startswith("settings:") else f"settings: [{name}] {message}"
        ) from None


def _disposition(values: object) -> DispositionPolicy:
    if not isinstance(values, dict):
        raise ValueError("settings: [disposition] must be a table")
    values = dict(values)
    repositories = values.pop("repositories", {})
    if not isinstance(repositories, dict):
        raise ValueError("settings: [disposition.repositories] must hold tables")
    policy = _section(DispositionPolicy, "disposition", values)
    unknown = sorted(set(map(str, repositories)) - {r.value for r in Repository})
    if unknown:
        raise ValueError(
            f"settings: unknown repository {unknown[0]!r} in [disposition.repositories]: use "
            f"{', '.join(r.value for r in Repository)}"
        )
    overrides = {
        str(repo): _section(Thresholds, f"disposition.repositories.{repo}", table)
        for repo, table in repositories.items()
    }
    return dataclasses.replace(policy, repositories=overrides)


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
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"settings: {path} is not valid TOML ({exc})") from None
    except OSError as exc:
        raise ValueError(f"settings: {path} cannot be read ({exc.strerror or exc})") from None
    sections = {f.name: f.type for f in dataclasses.fields(Settings)}
    unknown = sorted(set(data) - set(sections))
    if unknown:
        raise ValueError(f"settings: unknown section(s) {', '.join(unknown)} in {path}")
    kinds = {
        "paths": PathSettings,
        "synth": SynthSettings,
        "station": StationSettings,
        "scanner": ScannerSettings,
        "agencies": AgencySettings,
        "training": TrainingSettings,
    }
    try:
        return Settings(
            **{
                name: _disposition(values)
                if name == "disposition"
                else _section(kinds[name], name, values)
                for name, values in data.items()
            }
        )
    except (ValueError, TypeError) as exc:
        message = str(exc)
        prefix = "" if message.startswith("settings:") else "settings: "
        raise ValueError(prefix + message) from None


_current: Settings | None = None


def get_settings() -> Settings:
    """The settings in force: the file named by ``$STATION_SETTINGS``, else the defaults."""
    global _current
    if _current is None:
        _current = load_settings(os.environ.get(ENV_VAR) or None)
    return _current


def set_settings(settings: Settings | None) -> None:
    """Put ``settings`` in force for this process (``None``: read the file again next time)."""
    global _current
    _current = settings
