"""Deterministic random streams.

Every random draw of the generator comes from a ``numpy.random.Generator`` seeded by a tuple of
small integers (population, subject, finger, impression, stream), so a print depends only on
those integers — never on call order, process or platform.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_seed", "stream"]

# Stream identifiers: one per independent use of randomness.
MASTER = 1
IMPRESSION = 2
DEMOGRAPHICS = 3
SUBJECT = 4
#: Touches on a modelled sensor (:mod:`station.core.synth.sensors`).
SENSOR = 5
#: Which repositories hold a subject (:mod:`station.core.synth.holdings`). Its value is the
#: constant the holdings used before they had a named stream, so every subject keeps its fate.
HOLDINGS = 0x5EED


def check_seed(name: str, value: int) -> int:
    """Return ``value`` if it is a non-negative integer, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if value < 0 or value >= 2**63:
        raise ValueError(f"{name} must be between 0 and 2**63-1, got {value}")
    return int(value)


def stream(*key: int) -> np.random.Generator:
    """A PCG64 generator for the integer key ``key`` (all entries non-negative)."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([int(k) for k in key])))
