"""The first stage: the compiled pair histogram, byte descriptors and the shortlist."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.angles import wrap_angle
from station.core.match import SearchGallery, compare
from station.core.match.index import descriptor
from station.core.match.params import DEFAULT_PARAMETERS, MatchParameters
from station.core.match.search import TemplateBlobs, quantise, rank, search
from station.core.template import Template


def _reference(template: Template, params: MatchParameters) -> np.ndarray:
    """The numpy descriptor the compiled histogram replaced (kept as the reference)."""
    nd, na = params.index_distance_bins, params.index_angle_bins
    out = np.zeros(nd * na * na, np.float64)
    m = np.asarray(template.minutiae, np.float64)
    if len(m) < 2:
        return out.astype(np.float32)
    dx = m[None, :, 0] - m[:, None, 0]
    dy = m[None, :, 1] - m[:, None, 1]
    dist = np.hypot(dx, dy)
    near = (dist > 0) & (dist < params.pair_radius)
    seen = wrap_angle(np.arctan2(dy, dx) - m[:, None, 2])[near]
    turn = wrap_angle(m[None, :, 2] - m[:, None, 2])[near]
    coords = (
        dist[near] / params.pair_radius * nd - 0.5,
        (seen + np.pi) / (2 * np.pi) * na - 0.5,
        (turn + np.pi) / (2 * np.pi) * na - 0.5,
    )
    lows = [np.floor(c).astype(int) for c in coords]
    fracs = [c - low for c, low in zip(coords, lows, strict=True)]
    for corner in range(8):
        bits = [(corner >> k) & 1 for k in range(3)]
        weight = np.ones_like(fracs[0])
        for f, b in zip(fracs, bits, strict=True):
            weight = weight * (f if b else 1.0 - f)
        i = np.clip(lows[0] + bits[0], 0, nd - 1)
        j = (lows[1] + bits[1]) % na
        k = (lows[2] + bits[2]) % na
        out += np.bincount((i * na + j) * na + k, weights=weight, minlength=out.size)
    out = np.sqrt(out)
    norm = np.linalg.norm(out)
    return (out / norm if norm > 0 else out).astype(np.float32)


def _template(minutiae: np.ndarray) -> Template:
    return Template(width=800, height=750, minutiae=np.asarray(minutiae, np.float32))


def _random(seed: int, n: int) -> Template:
    rng = np.random.default_rng(seed)
    m = np.column_stack(
        [rng.uniform(0, 800, n), rng.uniform(0, 750, n), rng.uniform(-np.pi, np.pi, n),
         rng.integers(0, 2, n)]
    )  # fmt: skip
    return _template(m)


@pytest.mark.parametrize("seed", range(5))
def test_compiled_descriptor_equals_the_numpy_reference(seed: int) -> None:
    template = _random(seed, 20 + 15 * seed)
    expected = _reference(template, DEFAULT_PARAMETERS)
    assert expected.any()
    np.testing.assert_allclose(descriptor(template, DEFAULT_PARAMETERS), expected, atol=1e-6)


def test_two_minutiae_fill_the_bins_of_their_pair() -> None:
    # Two minutiae 50 px apart along x, both pointing along +x. Distance coordinate
    # 50 / 160 * 8 - 0.5 = 2 exactly: distance bin 2 only. The first sees the second dead
    # ahead (seen 0: coordinate 3.5, bins 3 and 4), the second sees the first behind it
    # (seen -pi: coordinate -0.5, bins 7 and 0); no turn (coordinate 3.5, bins 3 and 4).
    # Eight bins of weight 1/4 each; square-rooted and normalised, each is 1/sqrt(8).
    template = _template([[100, 100, 0, 0], [150, 100, 0, 0]])
    vector = descriptor(template, DEFAULT_PARAMETERS)
    expected = np.zeros(512, np.float32)
    for seen in (3, 4, 7, 0):
        for turn in (3, 4):
            expected[(2 * 8 + seen) * 8 + turn] = 1 / np.sqrt(8)
    np.testing.assert_allclose(vector, expected, atol=1e-7)
    np.testing.assert_allclose(vector, _reference(template, DEFAULT_PARAMETERS), atol=1e-7)


def test_fewer_than_two_minutiae_give_zeros() -> None:
    assert not descriptor(_template(np.zeros((1, 4))), DEFAULT_PARAMETERS).any()


def test_quantise_keeps_each_row_to_half_a_step() -> None:
    vectors = np.array([[0.0, 0.2, 0.4], [0.0, 0.0, 0.0], [1.0, 100 / 255, 10 / 255]], np.float32)
    codes, scales = quantise(vectors)
    assert codes.dtype == np.uint8 and codes.tolist()[1] == [0, 0, 0]
    assert codes[0].tolist() == [0, 128, 255] and codes[2].tolist() == [255, 100, 10]
    assert scales[1] == 0
    assert np.abs(codes * scales[:, None] - vectors).max() <= scales.max() / 2 + 1e-7


def test_quantise_refuses_negative_values() -> None:
    with pytest.raises(ValueError, match="negative"):
        quantise(np.array([[0.1, -0.1]]))
    with pytest.raises(ValueError, match="shape"):
        quantise(np.zeros(3))


def test_shortlist_breaks_ties_by_order_key_and_skips_sorting_the_rest() -> None:
    gallery = SearchGallery()
    same = _random(1, 30)
    other = _random(2, 30)
    vec_same = descriptor(same, DEFAULT_PARAMETERS)
    vec_other = descriptor(other, DEFAULT_PARAMETERS)
    # Subjects a, b, c hold the probe's template, d another; keys put c before a before b.
    for subject, key, template, vector in [
        ("d", 0, other, vec_other),
        ("a", 2, same, vec_same),
        ("b", 3, same, vec_same),
        ("c", 1, same, vec_same),
    ]:
        gallery.add_many([subject], ["R1"], [template.to_bytes()], vector[None, :], keys=[key])
    top = gallery.shortlist({"R1": same}, 2)
    assert [(s, k) for _, k, s in top] == [("c", 1), ("a", 2)]
    assert top[0][0] == top[1][0] == pytest.approx(1.0, abs=0.02)
    scored = gallery.rescore({"R1": same}, ["a", "zz", "c"])  # zz is not enrolled
    assert [s for _, _, s, _ in scored] == ["a", "c"]
    ranked = rank(top, scored, limit=5)
    assert [c.subject for c in ranked] == ["c", "a"]  # equal scores: order key
    assert ranked[0].score == pytest.approx(compare(same, same))
    assert ranked[0].preselection == top[0][0]
    with pytest.raises(ValueError, match="count"):
        gallery.shortlist({"R1": same}, 0)


def test_template_blobs_take_and_compact_keep_each_entry() -> None:
    blobs = TemplateBlobs.join([b"ab", b"", b"cde", b"f"])
    assert len(blobs) == 4 and [blobs[k] for k in range(4)] == [b"ab", b"", b"cde", b"f"]
    picked = blobs.take(np.array([3, 0, 1]))
    assert picked.buffer is blobs.buffer
    compact = picked.compact()
    assert compact.buffer.tobytes() == b"fab"  # "ab" and "" follow each other: one run
    assert [compact[k] for k in range(3)] == [b"f", b"ab", b""]
    assert len(TemplateBlobs.join([]).compact()) == 0
    with pytest.raises(ValueError, match="outside"):
        TemplateBlobs(np.zeros(2, np.uint8), np.array([0]), np.array([3]))
    with pytest.raises(ValueError, match="pair up"):
        TemplateBlobs(np.zeros(2, np.uint8), np.array([1]), np.array([0]))


class _Reader:
    """A BlobReader over bytes that counts its reads."""

    def __init__(self, data: bytes) -> None:
        self.data, self.reads = data, 0

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self, start: int, end: int) -> bytes:
        self.reads += 1
        return self.data[start:end]


def test_blobs_kept_by_a_reader_are_read_when_first_used() -> None:
    templates = [_random(20 + k, 25) for k in range(4)]
    joined = TemplateBlobs.join([t.to_bytes() for t in templates])
    reader = _Reader(joined.buffer.tobytes())
    blobs = TemplateBlobs(reader, joined.starts, joined.ends)
    assert blobs[2] == templates[2].to_bytes()
    assert blobs.take(np.array([3, 1])).compact().buffer.tobytes() == (
        templates[3].to_bytes() + templates[1].to_bytes()
    )
    with pytest.raises(ValueError, match="outside"):
        TemplateBlobs(reader, np.array([0]), np.array([reader.size + 1]))
    with pytest.raises(TypeError, match="BlobReader"):
        TemplateBlobs(b"abc", np.array([0]), np.array([1]))  # type: ignore[arg-type]
    gallery = SearchGallery()
    reader.reads = 0
    vectors = np.array([descriptor(t, DEFAULT_PARAMETERS) for t in templates])
    gallery.add_encoded([0, 0, 1, 1], ["R1", "L1"] * 2, blobs, *quantise(vectors))
    assert reader.reads == 0  # nothing read to start
    assert gallery.nbytes < joined.buffer.nbytes + 4 * 600  # bytes in the reader not held
    assert gallery.template(1, "R1") == templates[2]
    assert gallery.template(1, "R1") == templates[2] and reader.reads == 1  # parsed once


def test_a_gallery_of_blobs_searches_like_one_of_templates() -> None:
    fingers = ("R1", "L1")
    templates = [_random(10 + k, 30) for k in range(6)]  # subjects 0, 1, 2 × two fingers
    vectors = np.array([descriptor(t, DEFAULT_PARAMETERS) for t in templates])
    codes, scales = quantise(vectors)
    subjects = [k // 2 for k in range(6)]
    plain = SearchGallery()
    plain.add_many(subjects, list(fingers) * 3, templates, vectors)
    packed = SearchGallery()
    blobs = TemplateBlobs.join([t.to_bytes() for t in templates])
    packed.add_encoded(subjects, list(fingers) * 3, blobs, codes, scales)
    assert packed.template_count == 6 and len(packed) == 3
    probe = {"R1": templates[2], "L1": templates[3]}  # subject 1's fingers
    assert [(c.subject, c.score) for c in search(probe, packed)] == [
        (c.subject, c.score) for c in search(probe, plain)
    ]
    np.testing.assert_array_equal(packed.template(1, "L1").minutiae, templates[3].minutiae)
    # A later encounter replaces a blob-backed finger.
    packed.add(1, "L1", templates[0])
    assert packed.template(1, "L1") is templates[0] and packed.template_count == 6
    assert packed.nbytes >= blobs.buffer.nbytes + 6 * 512
