"""Fixtures of the interchange tests: the shared ANSI/NIST-ITL sample files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ``../shared`` next to the repository (the samples are not part of the project).
_SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"


def shared_dir() -> Path:
    """``$STATION_SHARED`` when set, else ``../shared`` beside the repository."""
    env = os.environ.get("STATION_SHARED")
    return Path(env) if env else _SHARED


@pytest.fixture(scope="session")
def samples() -> Path:
    """Folder of the four public sample transactions; skips when it is absent."""
    folder = shared_dir() / "interchange-samples"
    if not (folder / "type-4-tpcard.an2").is_file():
        pytest.skip(f"the shared sample transactions are absent ({folder} not found)")
    return folder
