"""Impressions carry the master's minutiae through the known placement map.

The map of an impression is rebuilt exactly as ``station.core.synth.impression`` builds it: the
impression's random stream, its settings, then its ``_Placement``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from station.core.synth import impression, master_print
from station.core.synth import rng as rngs
from station.core.synth.impression import _Placement, draw_settings
from station.core.synth.master import sample_ridge_signal
from station.core.synth.params import DEFAULT_PARAMETERS
from station.core.vocabulary import IMPRESSIONS, finger_index


def _render_with_placement(
    subject: int,
    finger: str,
    number: int,
    *,
    kind: str = "flat",
    population: int = 0,
    degradation: float | None = None,
):
    image, truth = impression(
        subject, finger, number, kind=kind, population=population, degradation=degradation
    )
    master = master_print(subject, finger, population=population)
    rng = rngs.stream(
        population, subject, finger_index(finger), number, IMPRESSIONS.index(kind), rngs.IMPRESSION
    )
    settings = draw_settings(rng, kind, image.shape, DEFAULT_PARAMETERS, degradation)
    place = _Placement(rng, master, settings, DEFAULT_PARAMETERS)
    return image, truth, master, settings, place


def _truth_in_master(truth, place: _Placement) -> np.ndarray:
    """Truth mapped back to the master: (K, 4) x, y, angle, type."""
    t = np.array(truth, float)
    mx, my = place.to_master(t[:, 0], t[:, 1])
    ax, ay = place.to_master(t[:, 0] + 3 * np.cos(t[:, 2]), t[:, 1] + 3 * np.sin(t[:, 2]))
    return np.column_stack([mx, my, np.arctan2(ay - my, ax - mx), t[:, 3]])


def _master_indices(truth, master, place: _Placement) -> np.ndarray:
    """Index of the master minutia under each truth minutia; asserts position, type, angle."""
    back = _truth_in_master(truth, place)
    m = master.minutiae
    dist = np.hypot(back[:, None, 0] - m[None, :, 0], back[:, None, 1] - m[None, :, 1])
    index = dist.argmin(axis=1)
    assert dist[np.arange(len(index)), index].max() <= 1.5
    assert np.array_equal(back[:, 3], m[index, 3])
    turn = np.angle(np.exp(1j * (back[:, 2] - m[index, 2])))
    assert np.abs(turn).max() <= 0.2
    assert len(set(index.tolist())) == len(index)  # no master minutia is reported twice
    return index


@pytest.mark.parametrize(("subject", "finger"), [(0, "R2"), (12, "L2"), (17, "R5")])
def test_two_flats_of_one_finger_share_master_minutiae(subject: int, finger: str) -> None:
    seen = []
    for number in (0, 1):
        _, truth, master, _, place = _render_with_placement(subject, finger, number)
        seen.append(set(_master_indices(truth, master, place).tolist()))
    # Measured: 16–38 shared (R5, the little finger, is the smallest).
    assert len(seen[0] & seen[1]) >= 10


def test_rolled_degraded_and_other_population_truth_maps_back_to_the_master() -> None:
    _, truth, master, _, place = _render_with_placement(
        6, "R1", 2, kind="rolled", population=5, degradation=0.7
    )
    index = _master_indices(truth, master, place)
    assert len(index) >= 30


def test_every_master_minutia_in_the_contact_core_is_reported() -> None:
    _, truth, master, settings, place = _render_with_placement(4, "L1", 0)
    assert settings.partial is None  # a full flat contact (a precondition of this check)
    ox, oy = place.to_output(master.minutiae[:, 0], master.minutiae[:, 1])
    centre = place.o_c + place.t
    core = np.nonzero(np.hypot(ox - centre[0], oy - centre[1]) < 100.0)[0]
    assert len(core) >= 5
    reported = set(_master_indices(truth, master, place).tolist())
    assert set(core.tolist()) <= reported


@pytest.mark.parametrize(
    ("subject", "finger", "number", "kind"), [(1, "L1", 1, "flat"), (5, "R1", 3, "rolled")]
)
def test_clean_image_is_registered_with_the_placement_map(
    subject: int, finger: str, number: int, kind: str
) -> None:
    image, _, master, _, place = _render_with_placement(
        subject, finger, number, kind=kind, degradation=0.0
    )
    oy, ox = np.mgrid[0 : image.shape[0], 0 : image.shape[1]].astype(float)
    expected = sample_ridge_signal(master, *place.to_master(ox, oy))
    grey = image.astype(float)
    mean = ndimage.uniform_filter(grey, 15)
    sd = np.sqrt(np.maximum(ndimage.uniform_filter(grey * grey, 15) - mean**2, 0.0))
    skin = sd > 20.0
    darkness = mean - grey  # ridges positive, like cos(psi)
    # Correctly registered this is 0.96–0.97; with the bug it is 0.55–0.62.
    assert np.corrcoef(darkness[skin], expected[skin])[0, 1] >= 0.9
