"""The compiled skeleton walk against the Python walk it replaced.

``_reference_walk`` is the extractor's former pure-Python loop (branch starts, tracing with
its tie-breaks, spurious flags, traced directions), kept here as the specification: the
kernel must give the same flags, and the same directions to the last bit, on real skeletons
and drawn ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from skimage.draw import line

from station.core.angles import wrap_angle
from station.core.extract import extract
from station.core.extract._kernels import walk_minutiae
from station.core.extract.minutiae import _RING, _crossing_number
from station.core.synth import impression


def _reference_walk(skel, rows, cols, bifurcation, reach, short_ridge):
    width = skel.shape[1] + 2
    on = np.pad(skel, 1).astype(np.uint8).tobytes()
    labels = {(int(r), int(c)): i + 1 for i, (r, c) in enumerate(zip(rows, cols, strict=True))}

    def neighbours(r, c):
        base = (r + 1) * width + c + 1
        return [on[base + dr * width + dc] != 0 for dr, dc in _RING]

    def branch_starts(r, c):
        near = neighbours(r, c)
        starts = []
        for i in range(8):
            if near[i] and not near[i - 1]:
                j, best = i, i
                while near[j % 8] and j < i + 8:
                    if _RING[j % 8][0] == 0 or _RING[j % 8][1] == 0:
                        best = j % 8
                    j += 1
                starts.append((r + _RING[best][0], c + _RING[best][1]))
        if not starts and any(near):
            i = near.index(True)
            starts.append((r + _RING[i][0], c + _RING[i][1]))
        return starts

    def trace(start, first):
        prev, cur = start, first
        visited = {start, first}
        steps = 1
        while steps < reach:
            label = labels.get(cur, 0)
            if label and steps > 1:
                return cur[0], cur[1], steps, label
            nxt, far = None, -1
            for (dr, dc), there in zip(_RING, neighbours(*cur), strict=True):
                q = (cur[0] + dr, cur[1] + dc)
                if there and q not in visited:
                    dist = (q[0] - prev[0]) ** 2 + (q[1] - prev[1]) ** 2
                    if dist > far:
                        nxt, far = q, dist
            if nxt is None:
                return cur[0], cur[1], steps, labels.get(cur, 0) if steps > 1 else 0
            visited.add(nxt)
            prev, cur = cur, nxt
            steps += 1
        return cur[0], cur[1], steps, labels.get(cur, 0)

    n = len(rows)
    spurious = np.zeros(n, bool)
    traced = np.full(n, np.nan)
    for i in range(n):
        start = (int(rows[i]), int(cols[i]))
        vectors = []
        for first in branch_starts(*start):
            r, c, steps, hit = trace(start, first)
            if hit and hit != i + 1 and steps <= short_ridge:
                spurious[i] = spurious[hit - 1] = True
            vectors.append((c - start[1], r - start[0]))
        if not bifurcation[i] and len(vectors) == 1:
            traced[i] = np.arctan2(vectors[0][1], vectors[0][0])
        elif bifurcation[i] and len(vectors) == 3:
            ang = np.array([np.arctan2(v[1], v[0]) for v in vectors])
            gaps = [abs(float(wrap_angle(ang[a] - ang[b]))) for a, b in ((1, 2), (0, 2), (0, 1))]
            traced[i] = ang[int(np.argmin(gaps))] + np.pi
        else:
            spurious[i] = True
    return spurious, traced


def _both(skel: np.ndarray, reach: int = 12, short_ridge: float = 12.0):
    rows, cols = np.nonzero(skel)
    on = np.pad(skel, 1).astype(np.uint8).ravel()
    width = skel.shape[1] + 2
    cn = _crossing_number(on, width, rows, cols)
    feature = (cn == 1) | (cn == 3)
    rows, cols, bif = rows[feature], cols[feature], cn[feature] == 3
    labels = np.zeros(on.size, np.int64)
    labels[(rows + 1) * width + cols + 1] = np.arange(1, rows.size + 1)
    compiled = walk_minutiae(
        on, labels, width, rows.astype(np.int64), cols.astype(np.int64), bif, reach, short_ridge
    )
    return compiled, _reference_walk(skel, rows, cols, bif, reach, short_ridge), rows.size


def _print_skeleton(seed: int, degradation: float) -> np.ndarray:
    """The skeleton the extractor thins from a synthetic print (its traced intermediate)."""
    image, _ = impression(seed, "R2", 0, kind="flat", size=(320, 320), degradation=degradation)
    stages: dict[str, np.ndarray] = {}
    extract(image, trace=stages.__setitem__)
    return stages["skeleton"]


@pytest.mark.parametrize(("seed", "degradation"), [(31_000, 0.0), (31_001, 0.5), (31_002, 1.0)])
def test_kernel_matches_the_python_walk_on_print_skeletons(seed: int, degradation: float) -> None:
    (spurious, traced), (ref_spurious, ref_traced), n = _both(_print_skeleton(seed, degradation))
    assert n > 20  # a real skeleton with many endings and forks
    np.testing.assert_array_equal(spurious, ref_spurious)
    # NaN where NaN; elsewhere equal but for the last bit (numba's atan2 is the C library's)
    np.testing.assert_allclose(traced, ref_traced, rtol=0, atol=1e-12)


def test_kernel_matches_on_drawn_shapes_at_the_border_and_in_a_closed_ring() -> None:
    skel = np.zeros((40, 40), bool)
    rr, cc = line(0, 0, 20, 20)  # runs off the image corner
    skel[rr, cc] = True
    rr, cc = line(20, 20, 20, 39)
    skel[rr, cc] = True
    rr, cc = line(20, 20, 39, 20)
    skel[rr, cc] = True
    skel[30:33, 30:33] = True  # a blob: every pixel with a closed ring of neighbours
    skel[31, 31] = True
    skel[5, 30] = True  # an isolated dot: no branch
    (spurious, traced), (ref_spurious, ref_traced), n = _both(skel)
    assert n >= 3
    np.testing.assert_array_equal(spurious, ref_spurious)
    np.testing.assert_allclose(traced, ref_traced, rtol=0, atol=1e-12)


def test_a_straight_ridge_ending_points_along_it() -> None:
    skel = np.zeros((30, 60), bool)
    skel[15, 10:50] = True  # two endings, 40 px apart: longer than a short ridge
    (spurious, traced), _, n = _both(skel)
    assert n == 2
    assert not spurious.any()
    # The left end (column 10) traces toward +x, so the ridge runs at 0 rad from it; the right
    # end at pi.
    assert traced.tolist() == [0.0, np.pi]


def test_extract_is_unchanged_by_the_first_compiled_call() -> None:
    image, _ = impression(31_010, "L1", 0, kind="flat", size=(300, 300))
    assert extract(image).to_bytes() == extract(image).to_bytes()


def test_clear_small_removes_the_pieces_scikit_image_removes() -> None:
    from scipy import ndimage
    from skimage.morphology import remove_small_holes, remove_small_objects

    from station.core.extract._kernels import clear_small

    noise = np.random.default_rng(7).standard_normal((120, 150))
    for level in (-0.4, 0.0, 0.6):
        binary = ndimage.gaussian_filter(noise, 1.2) > level * 0.3
        expected = remove_small_holes(remove_small_objects(binary, max_size=20), max_size=20)
        grid = binary.astype(np.uint8)
        clear_small(grid, 1, 20)
        clear_small(grid, 0, 20)
        assert expected.sum() != binary.sum()  # something was cleared
        np.testing.assert_array_equal(grid.astype(bool), expected)


def test_clear_small_keeps_a_piece_one_pixel_larger_than_the_limit() -> None:
    from station.core.extract._kernels import clear_small

    grid = np.zeros((8, 12), np.uint8)
    grid[1, 1:5] = 1  # 4 px: goes
    grid[4:6, 5:8] = 1  # 6 px: stays
    grid[7, 11] = 1  # a corner pixel, touching the array's edge: goes
    grid[0, 6] = grid[1, 7] = 1  # diagonal neighbours are two pieces of one pixel: both go
    clear_small(grid, 1, 5)
    expected = np.zeros((8, 12), np.uint8)
    expected[4:6, 5:8] = 1
    np.testing.assert_array_equal(grid, expected)
    holes = np.ones((5, 5), np.uint8)
    holes[2, 2] = 0  # a one-pixel hole: filled
    clear_small(holes, 0, 1)
    assert holes.all()


@pytest.mark.parametrize("max_size", [0, 1, 3, 20])
def test_clear_small_matches_scikit_image_on_random_images_of_every_density(max_size: int) -> None:
    # Large pieces are recognised early (a fill stops when it passes the limit or meets a
    # piece already known to be large): the pieces removed must not change.
    from skimage.morphology import remove_small_holes, remove_small_objects

    from station.core.extract._kernels import clear_small

    rng = np.random.default_rng(max_size)
    for _ in range(150):
        rows, cols = rng.integers(1, 40, 2)
        binary = rng.random((rows, cols)) < rng.random()
        grid = binary.astype(np.uint8)
        clear_small(grid, 1, max_size)
        np.testing.assert_array_equal(
            grid.astype(bool), remove_small_objects(binary, max_size=max_size)
        )
        grid = binary.astype(np.uint8)
        clear_small(grid, 0, max_size)
        np.testing.assert_array_equal(
            grid.astype(bool), remove_small_holes(binary, max_size=max_size)
        )
