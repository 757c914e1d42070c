"""Slap segmentation on small hand-made slaps (the mock scanner's slaps are in tests/scanner)."""

from __future__ import annotations

import numpy as np
import pytest

from station.core.slap import SlapParameters, segment_slap

PLATEN = 240
#: Reach of the foreground past the outermost ridges (the energy window), px.
REACH = 24


def _ridges(shape: tuple[int, int], period: int = 9) -> np.ndarray:
    """Horizontal dark ridges, ``period`` px apart, 100 grey levels deep."""
    rows = (np.arange(shape[0]) % period < period // 2).astype(np.uint8)
    return np.broadcast_to((120 + 100 * rows)[:, None], shape).astype(np.uint8)


def _slap(shape: tuple[int, int], blocks: list[tuple[int, int, int, int]]) -> np.ndarray:
    """A platen with ridge-filled rectangles ``(row0, col0, row1, col1)``."""
    slap = np.full(shape, PLATEN, np.uint8)
    ridges = _ridges(shape)
    for r0, c0, r1, c1 in blocks:
        slap[r0:r1, c0:c1] = ridges[r0:r1, c0:c1]
    return slap


def _contains(box: tuple[int, ...], block: tuple[int, ...], reach: int = REACH) -> bool:
    """``box`` holds ``block`` and reaches at most ``reach`` px beyond it on each side."""
    inner = box[0] <= block[0] and box[1] <= block[1] and box[2] >= block[2] and box[3] >= block[3]
    outer = (
        box[0] >= block[0] - reach
        and box[1] >= block[1] - reach
        and box[2] <= block[2] + reach
        and box[3] <= block[3] + reach
    )
    return inner and outer


def test_separate_fingers_left_to_right() -> None:
    blocks = [
        (150, 60, 450, 300),
        (60, 380, 400, 620),
        (120, 700, 420, 930),
        (260, 1010, 520, 1220),
    ]
    slap = _slap((800, 1300), blocks)
    boxes = segment_slap(slap, 4)
    assert len(boxes) == 4
    for box, block in zip(boxes, blocks, strict=True):
        assert _contains(box, block), (box, block)
    assert [b[1] for b in boxes] == sorted(b[1] for b in boxes)


def test_fingertip_is_the_top_of_a_long_finger() -> None:
    # A finger with its lower phalanges: only the tip (1.5 widths, at least 400 px) is kept.
    slap = _slap((1400, 700), [(100, 100, 1300, 300), (150, 400, 1300, 600)])
    boxes = segment_slap(slap, 2)
    for box, top in zip(boxes, (100, 150), strict=True):
        assert abs(box[0] - top) <= REACH
        assert box[2] - box[0] <= 400 + 2 * REACH


def test_pieces_of_one_finger_are_joined() -> None:
    # Tip and middle phalanx separated by a crease: one finger, boxed from its tip.
    slap = _slap((1000, 800), [(100, 100, 400, 330), (440, 110, 800, 320), (150, 450, 450, 700)])
    (tip, other) = segment_slap(slap, 2)
    assert abs(tip[0] - 100) <= REACH and abs(tip[1] - 100) <= REACH
    assert 400 < tip[2] <= 100 + 400 + REACH  # the tip box crosses the crease, 400 px tall
    assert _contains(other, (150, 450, 450, 700))


def test_touching_fingers_are_split_at_the_neck() -> None:
    rows, cols = np.ogrid[0:600, 0:900]
    discs = ((rows - 250) ** 2 + (cols - 300) ** 2 < 140**2) | (
        (rows - 270) ** 2 + (cols - 560) ** 2 < 140**2
    )
    slap = np.where(discs, _ridges((600, 900)), PLATEN).astype(np.uint8)
    left, right = segment_slap(slap, 2)
    assert left[1] < 200 and 380 < left[3] < 480
    assert 380 < right[1] < 480 and right[3] > 680


def test_smudges_and_debris_are_ignored() -> None:
    slap = _slap((700, 900), [(100, 80, 400, 330), (120, 520, 420, 780)]).astype(np.float64)
    rows, cols = np.ogrid[0:700, 0:900]
    slap -= 120 * np.exp(-((rows - 550) ** 2 + (cols - 450) ** 2) / (2 * 40.0**2))  # smudge
    slap[560:600, 400:450] = _ridges((700, 900))[560:600, 400:450]  # a speck of ridges
    boxes = segment_slap(slap.astype(np.uint8), 2)
    assert _contains(boxes[0], (100, 80, 400, 330)) and _contains(boxes[1], (120, 520, 420, 780))


@pytest.mark.parametrize(
    ("blocks", "count", "message"),
    [
        ([], 2, "found 0 fingers on the slap, expected 2"),
        ([(100, 100, 400, 700)], 2, "found 1 finger on the slap, expected 2"),
        ([(100, 50, 400, 250), (100, 350, 400, 550), (100, 650, 400, 850)], 2, "found 3"),
        ([(100, 50, 400, 250), (100, 650, 400, 850)], 3, "expected 3"),
    ],
)
def test_wrong_number_of_fingers_is_refused(
    blocks: list[tuple[int, int, int, int]], count: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        segment_slap(_slap((600, 900), blocks), count)


@pytest.mark.parametrize(
    ("image", "count", "message"),
    [
        (np.zeros((300, 300, 3), np.uint8), 1, "2-D grey image"),
        (np.zeros((300, 300), bool), 1, "2-D grey image"),
        (np.zeros((300, 300), np.uint8), 0, "positive whole number"),
        (np.zeros((300, 300), np.uint8), True, "positive whole number"),
        (np.zeros((100, 900), np.uint8), 1, "too small"),
    ],
)
def test_bad_input(image: np.ndarray, count: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        segment_slap(image, count)


def test_float_input_and_parameters() -> None:
    slap = _slap((600, 900), [(100, 100, 400, 350), (120, 550, 420, 800)]).astype(np.float32)
    assert segment_slap(slap, 2) == segment_slap(slap.astype(np.uint8), 2)
    wide = segment_slap(slap, 2, params=SlapParameters(margin=20))
    tight = segment_slap(slap, 2)
    assert all(w[0] == t[0] - 20 and w[3] == t[3] + 20 for w, t in zip(wide, tight, strict=True))
