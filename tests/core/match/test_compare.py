"""1:1 comparison with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.extract import extract
from station.core.match import compare, comparison, prepare
from station.core.synth import impression
from station.core.template import Template


@pytest.fixture(scope="module")
def prints() -> dict[tuple[int, int], Template]:
    out = {}
    for subject in range(8):
        for n in range(2):
            image, _ = impression(900 + subject, "R2", n, kind="flat", degradation=0.15)
            out[(subject, n)] = extract(image)
    return out


def _moved(t: Template, angle: float, dx: float, dy: float) -> Template:
    m = np.array(t.minutiae, float)
    c, s = np.cos(angle), np.sin(angle)
    x, y = m[:, 0], m[:, 1]
    m[:, 0], m[:, 1] = c * x - s * y + dx, s * x + c * y + dy
    m[:, 2] = np.mod(m[:, 2] + angle, 2 * np.pi)
    return Template(t.width, t.height, t.dpi, m, t.minutia_quality, t.singular_points)


def test_identical_templates_score_maximal(prints) -> None:
    a = prints[(0, 0)]
    self_score = compare(a, a)
    assert self_score > 0.99
    assert all(self_score >= compare(a, b) for b in prints.values())


def test_score_is_invariant_to_the_frame(prints) -> None:
    a, b = prints[(1, 0)], prints[(1, 1)]
    base = compare(a, b)
    # The same rigid motion of both prints, or a shift of one, changes nothing.
    turned = compare(_moved(a, np.radians(70), 40.0, 90.0), _moved(b, np.radians(70), 40.0, 90.0))
    assert turned == pytest.approx(base, abs=1e-4)
    assert compare(a, _moved(b, 0.0, 120.0, -75.0)) == pytest.approx(base, abs=1e-4)
    # A turn of one print (within what a live-scan touch allows) still matches: MCC gates
    # pairs whose directions differ by more than 90 degrees, so this is not exact.
    assert compare(a, _moved(b, np.radians(20), 0.0, 0.0)) > 0.5 * base


def test_impressions_of_one_finger_match_and_impostors_do_not(prints) -> None:
    genuine = [compare(prints[(s, 0)], prints[(s, 1)]) for s in range(8)]
    impostor = [
        compare(prints[(s, 0)], prints[(t, 0)]) for s in range(8) for t in range(8) if s < t
    ]
    assert min(genuine) > max(impostor)
    assert np.mean(np.array(impostor) < 0.1) >= 0.95


def test_a_rotated_distorted_impression_still_matches() -> None:
    # Impression 5 of this finger is rotated and distorted differently from impression 0.
    a = extract(impression(950, "L2", 0, kind="flat", degradation=0.1)[0])
    b = extract(impression(950, "L2", 5, kind="flat", degradation=0.3)[0])
    other = extract(impression(951, "L2", 0, kind="flat", degradation=0.1)[0])
    assert compare(a, b) > 0.3 > compare(a, other)


def test_empty_or_tiny_templates_score_zero(prints) -> None:
    empty = Template(300, 300)
    single = Template(300, 300, minutiae=[(100, 100, 0.5, 0)])
    for t in (empty, single):
        assert compare(t, prints[(0, 0)]) == 0.0
        assert compare(prints[(0, 0)], t) == 0.0
    assert compare(empty, empty) == 0.0


def test_comparison_reports_matched_pairs_and_is_deterministic(prints) -> None:
    a, b = prints[(2, 0)], prints[(2, 1)]
    first, second = comparison(a, b), comparison(a, b)
    assert first.score == second.score
    assert np.array_equal(first.pairs, second.pairs)
    ca, cb = prepare(a), prepare(b)
    assert first.pairs[:, 0].max() < len(ca) and first.pairs[:, 1].max() < len(cb)
    assert len(set(first.pairs[:, 0])) == len(first.pairs)  # one to one


def test_non_templates_are_refused() -> None:
    with pytest.raises(TypeError, match="Template"):
        compare("a", "b")  # type: ignore[arg-type]


def test_the_cylinder_cache_stays_bounded(prints) -> None:
    import station.core.match as match

    many = [
        Template(300, 300, minutiae=[(10 + k, 10, 0.1, 0), (60, 70 + k, 1.0, 1)])
        for k in range(match._CACHE_SIZE + 50)
    ]
    for t in many:
        prepare(t)
    assert len(match._cache) <= match._CACHE_SIZE
    del many
    assert len(match._cache) <= match._CACHE_SIZE
