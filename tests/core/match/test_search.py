"""Tenprint 1:N search with known answers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from station.core.extract import extract
from station.core.match import Candidate, SearchGallery, compare, search
from station.core.match.index import descriptor
from station.core.match.params import DEFAULT_PARAMETERS
from station.core.synth import impression
from station.core.template import Template

FINGERS3 = ("R1", "R2", "L2")


def _prints(subject: int, n: int) -> dict[str, Template]:
    return {
        f: extract(impression(subject, f, n, kind="flat", degradation=0.1)[0]) for f in FINGERS3
    }


@pytest.fixture(scope="module")
def gallery_and_probes() -> tuple[SearchGallery, dict[int, dict[str, Template]]]:
    gallery = SearchGallery()
    for subject in range(6):
        for finger, template in _prints(700 + subject, 0).items():
            gallery.add(subject, finger, template)
    probes = {subject: _prints(700 + subject, 1) for subject in (1, 4)}
    return gallery, probes


def test_a_mate_comes_first_with_per_finger_scores(gallery_and_probes) -> None:
    gallery, probes = gallery_and_probes
    for subject, probe in probes.items():
        found = search(probe, gallery)
        assert isinstance(found[0], Candidate)
        assert found[0].subject == subject and found[0].rank == 1
        assert set(found[0].finger_scores) == set(FINGERS3)
        assert found[0].score == pytest.approx(sum(found[0].finger_scores.values()))
        assert found[0].finger_scores["R2"] == pytest.approx(
            compare(probe["R2"], gallery.template(subject, "R2"))
        )
        assert [c.rank for c in found] == list(range(1, len(found) + 1))
        assert all(a.score >= b.score for a, b in itertools.pairwise(found))


def test_missing_fingers_are_simply_absent(gallery_and_probes) -> None:
    gallery, probes = gallery_and_probes
    probe = {"R2": probes[4]["R2"]}  # the others amputated / not printed
    found = search(probe, gallery)
    assert found[0].subject == 4
    assert set(found[0].finger_scores) == {"R2"}


def test_search_is_deterministic(gallery_and_probes) -> None:
    gallery, probes = gallery_and_probes
    first = search(probes[1], gallery, limit=6)
    again = search(probes[1], gallery, limit=6)
    assert [(c.subject, c.score) for c in first] == [(c.subject, c.score) for c in again]


def test_shortlist_and_limit_bound_the_work(gallery_and_probes) -> None:
    gallery, probes = gallery_and_probes
    assert len(search(probes[1], gallery, shortlist=2, limit=10)) == 2
    assert len(search(probes[1], gallery, limit=1)) == 1
    with pytest.raises(ValueError):
        search(probes[1], gallery, shortlist=0)


def test_empty_probe_or_gallery_gives_no_candidates(gallery_and_probes) -> None:
    gallery, probes = gallery_and_probes
    assert search({}, gallery) == []
    assert search(probes[1], SearchGallery()) == []


def test_a_later_encounter_replaces_the_finger() -> None:
    gallery = SearchGallery()
    a, b = Template(300, 300, minutiae=[(10, 10, 0, 0), (50, 60, 1, 1)]), Template(300, 300)
    gallery.add("x", "R1", a)
    gallery.add("x", "R1", b)
    assert gallery.template("x", "R1") is b
    assert gallery.template_count == 1 and len(gallery) == 1


def test_bad_probes_are_refused(gallery_and_probes) -> None:
    gallery, probes = gallery_and_probes
    with pytest.raises(ValueError, match="unknown finger code"):
        search({"R9": probes[1]["R1"]}, gallery)
    with pytest.raises(TypeError):
        search({"R1": "not a template"}, gallery)


def test_descriptor_is_a_frame_free_unit_vector(gallery_and_probes) -> None:
    gallery, _ = gallery_and_probes
    t = gallery.template(2, "R1")
    v = descriptor(t, DEFAULT_PARAMETERS)
    assert v.dtype == np.float32 and np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)
    m = np.array(t.minutiae, float)
    c, s = np.cos(0.7), np.sin(0.7)
    moved = m.copy()
    moved[:, 0], moved[:, 1] = c * m[:, 0] - s * m[:, 1] + 30, s * m[:, 0] + c * m[:, 1] - 20
    moved[:, 2] = m[:, 2] + 0.7
    w = descriptor(Template(t.width, t.height, minutiae=moved), DEFAULT_PARAMETERS)
    assert float(v @ w) > 0.999
    assert not descriptor(Template(300, 300), DEFAULT_PARAMETERS).any()
