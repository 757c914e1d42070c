"""Tunables of the matcher, in one place.

Values follow the Minutia Cylinder-Code paper (Cappelli, Ferrara, Maltoni, "Minutia
Cylinder-Code: a new representation and matching technique for fingerprint recognition",
IEEE TPAMI 32, 2010) unless a comment says otherwise. Distances in pixels at 500 ppi.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_PARAMETERS", "MatchParameters"]


@dataclass(frozen=True)
class MatchParameters:
    """Every tunable of :func:`station.core.match.compare`."""

    #: Cylinder radius and cells: ``cells`` × ``cells`` spatial cells, ``sections`` angles.
    radius: float = 70.0
    cells: int = 12
    sections: int = 6
    #: Gaussian widths of a neighbour's spatial (px) and directional (rad) contribution.
    sigma_s: float = 28.0 / 3.0
    sigma_d: float = 2.0 * np.pi / 9.0
    #: A cell is set where its summed contribution exceeds this (the cells are bits: the
    #: paper's bit-based variant). The paper's float cylinders put a sigmoid of steepness 400
    #: at 0.01, which made cells 0 or 1 all but always; with bits, 0.03 was measured better
    #: than 0.01 (and than 0.005 … 0.04) on the synthetic set with all 316 800 impostor pairs
    #: and on the real dev set (README, "Matching").
    mu_psi: float = 0.03
    #: A cell is valid within this distance (px) of the convex hull of the template's
    #: minutiae; two cylinders are compared over the cells valid in both (the paper's Ω and
    #: ``c_{a|b}``, sections 3-4).
    valid_margin: float = 50.0
    #: A cylinder needs this many neighbours to be kept (it says nothing otherwise).
    min_neighbours: int = 1
    #: Local pairs whose directions differ by more than this (rad) cannot match.
    max_turn: float = np.pi / 2
    #: Pairs kept for consolidation: min(n_a, n_b) clipped to this range.
    pairs_range: tuple[int, int] = (4, 40)
    #: Relaxation: iterations and the weight of a pair's own similarity.
    relax_iterations: int = 8
    relax_weight: float = 0.5
    #: Compatibility sigmoids (mu, tau) on distance difference (px), direction difference and
    #: radial-angle difference (rad).
    compat_distance: tuple[float, float] = (5.0, 8.0 / 5.0)
    compat_turn: tuple[float, float] = (np.pi / 12, 30.0)
    compat_radial: tuple[float, float] = (np.pi / 12, 30.0)
    #: Pairs averaged for the score: from ``np_range[0]`` to ``np_range[1]`` as the smaller
    #: template grows past about ``np_mu`` minutiae. (4, 10) and 17.5 rather than the
    #: paper's (4, 12) and 20: small sensors give templates of about 20-30 minutiae, where the
    #: paper's values average in more weak pairs than two such prints share; measured better
    #: or equal on the sensor sets, the synthetic set and the dev set (README, "Real sensors").
    np_range: tuple[int, int] = (4, 10)
    np_mu: float = 17.5
    np_tau: float = 0.4
    #: Fewer local pairs than this (a sliver, a handful of minutiae) score 0.
    min_pairs: int = 4

    # --- 1:N search ---------------------------------------------------------------------
    #: First-stage descriptor: minutia pairs closer than this (px) are histogrammed over
    #: ``index_distance_bins`` distances and ``index_angle_bins`` × ``index_angle_bins``
    #: angles (see :mod:`station.core.match.index`).
    pair_radius: float = 160.0
    index_distance_bins: int = 8
    index_angle_bins: int = 8
    #: Subjects the pre-selection passes to the full matcher.
    shortlist: int = 8


DEFAULT_PARAMETERS = MatchParameters()
