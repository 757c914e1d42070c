"""Fixtures of the gallery tests: a fresh gallery file, small templates and images."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from station.core.template import Template
from station.gallery import Gallery, open_gallery


@pytest.fixture
def gallery_path(tmp_path: Path) -> Path:
    return tmp_path / "gallery.sqlite"


@pytest.fixture
def gallery(gallery_path: Path) -> Iterator[Gallery]:
    with open_gallery(gallery_path) as g:
        yield g


@pytest.fixture
def make_template() -> Callable[..., Template]:
    def make(seed: int = 0, *, n: int = 6, quality: int = 60, level: int = 2) -> Template:
        rng = np.random.default_rng(seed)
        minutiae = np.column_stack(
            [
                rng.uniform(0, 400, n),
                rng.uniform(0, 400, n),
                rng.uniform(-np.pi, np.pi, n),
                rng.integers(0, 2, n),
            ]
        )
        return Template(width=400, height=400, minutiae=minutiae, quality=quality, level=level)

    return make


@pytest.fixture
def make_image() -> Callable[..., np.ndarray]:
    def make(seed: int = 0, shape: tuple[int, int] = (24, 32)) -> np.ndarray:
        return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)

    return make


@pytest.fixture
def subject(gallery: Gallery) -> int:
    return gallery.add_subject(
        {"last_name": "Novak", "first_name": "Ana", "sex": "F", "date_of_birth": "1990-04-02"}
    )
