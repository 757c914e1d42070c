"""Drawn inputs with known answers for the extraction stage tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

Grating = Callable[..., np.ndarray]


def _grating(
    shape: tuple[int, int], degrees: float, period: float, *, contrast: float = 100.0
) -> np.ndarray:
    """Sinusoidal ridges running at ``degrees`` (from +x toward +y, y down), ``period`` px
    apart; grey ``128 ± contrast``, ridges dark, float32."""
    a = np.radians(degrees)
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]].astype(float)
    across = -x * np.sin(a) + y * np.cos(a)  # distance across the ridges
    return (128.0 + contrast * np.cos(2 * np.pi * across / period)).astype(np.float32)


@pytest.fixture
def grating() -> Grating:
    """``grating(shape, degrees, period, *, contrast=100)``: a sinusoidal ridge pattern."""
    return _grating


def angle_error(estimate: np.ndarray, degrees: float) -> np.ndarray:
    """Absolute difference (degrees, 0..90) of orientations taken modulo 180."""
    doubled = np.exp(2j * (np.asarray(estimate) - np.radians(degrees)))
    return np.abs(np.degrees(np.angle(doubled))) / 2


@pytest.fixture
def orientation_error() -> Callable[[np.ndarray, float], np.ndarray]:
    """``orientation_error(theta, degrees)``: absolute orientation error in degrees."""
    return angle_error
