"""Slap segmentation: find the fingertips on a plain four-finger (or two-thumb) slap image.

A slap shows several fingers side by side, tips up, dark ridges on a light platen. The
segmenter, one stage per step:

1. marks the foreground by its ridge texture — the local energy of a band-pass around the
   ridge frequency, which smudges, shadows and sensor noise lack;
2. takes the connected pieces of the foreground and joins those that share their columns
   (one finger broken by a dry patch or a crease, tip above the lower phalanges);
3. drops debris, or splits the widest piece where two fingers touch (a watershed on the
   distance to the background, seeded at the two widest points);
4. keeps the top of each finger, left to right: the fingertip (distal phalanx), which is what
   the booking's sequence check compares with the rolled print.

Slap segmentation is what NIST's NFSEG does for four-finger and thumb slaps (FGP 13–15 of
ANSI/NIST-ITL 1-2011); this is a simpler method for roughly upright fingers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage.feature import peak_local_max
from skimage.filters import apply_hysteresis_threshold, threshold_otsu
from skimage.segmentation import watershed

__all__ = ["DEFAULT_SLAP_PARAMETERS", "SlapParameters", "segment_slap"]


@dataclass(frozen=True)
class SlapParameters:
    """Tunables of :func:`segment_slap`. Distances are pixels at 500 ppi, areas px²."""

    #: The image is analysed downsampled by this factor (block mean); boxes are full size.
    step: int = 2
    #: Ridge band-pass: a difference of Gaussian blurs (sigmas) that keeps ridges (period
    #: 8–11 px) and drops sensor noise (faster) and smudges or shading (slower).
    noise_blur: float = 1.5
    background_blur: float = 5.0
    #: Gaussian window (sigma) over which the band-passed energy is measured.
    window: float = 8.0
    #: Least ridge energy (grey levels, RMS) of a finger, whatever Otsu's threshold says.
    energy_floor: float = 6.0
    #: Pixels above this share of the (Otsu) threshold belong to a finger when connected to
    #: pixels above the threshold, so a faint finger next to dark ones is kept whole.
    hysteresis: float = 0.4
    #: Radius of the opening that removes specks and thin streaks from the foreground.
    opening: int = 6
    #: Smallest piece of foreground considered at all.
    min_piece: int = 2_000
    #: Two pieces are one finger when their column ranges overlap by this share of the
    #: narrower one.
    column_overlap: float = 0.5
    #: Narrowest finger, and smallest finger area; smaller pieces are debris.
    min_width: int = 80
    min_area: int = 12_000
    #: Two touching fingers are split where the foreground narrows to this share of the
    #: narrower finger's width (a neck); a wide piece without a neck is one finger.
    neck_share: float = 0.85
    #: Extra pieces are dropped as debris when their area is below this share of the
    #: smallest finger kept; above it the image is ambiguous and refused.
    debris_share: float = 0.35
    #: Height of a fingertip: this multiple of the finger's width (distal phalanx
    #: proportions), at least ``min_tip`` (0.8 in at 500 ppi).
    tip_ratio: float = 1.5
    min_tip: int = 400
    #: Margin added around each fingertip box (the foreground already reaches about 15 px
    #: past the outermost ridges, the reach of the energy window).
    margin: int = 0


DEFAULT_SLAP_PARAMETERS = SlapParameters()


def _foreground(image: np.ndarray, p: SlapParameters) -> np.ndarray:
    """Ridge-textured pixels (boolean) of the image downsampled by ``p.step``."""
    step = p.step
    rows, cols = (side // step for side in image.shape)
    small = image[: rows * step, : cols * step].reshape(rows, step, cols, step).mean(axis=(1, 3))
    ridges = ndimage.gaussian_filter(small, p.noise_blur / step) - ndimage.gaussian_filter(
        small, p.background_blur / step
    )
    energy = np.sqrt(ndimage.gaussian_filter(ridges**2, p.window / step))
    high = p.energy_floor
    if np.ptp(energy) > 0:
        high = max(high, float(threshold_otsu(energy)))
    low = max(p.energy_floor, p.hysteresis * high)
    mask = apply_hysteresis_threshold(energy, low, high)
    radius = max(1, round(p.opening / step))
    disk = np.hypot(*np.ogrid[-radius : radius + 1, -radius : radius + 1]) <= radius
    mask = ndimage.binary_opening(mask, structure=disk)
    return ndimage.binary_fill_holes(mask)


def _columns(piece: np.ndarray) -> tuple[int, int]:
    """Column range ``[c0, c1)`` of a boolean piece."""
    cols = np.flatnonzero(piece.any(axis=0))
    return int(cols[0]), int(cols[-1]) + 1


def _pieces(mask: np.ndarray, p: SlapParameters) -> list[np.ndarray]:
    """Connected pieces of ``mask``, those sharing their columns joined into one finger."""
    labels, n = ndimage.label(mask)
    areas = ndimage.sum_labels(mask, labels, np.arange(1, n + 1))
    pieces = [labels == i + 1 for i in range(n) if areas[i] * p.step**2 >= p.min_piece]
    joined = True
    while joined:
        joined = False
        for i in range(len(pieces)):
            for j in range(i + 1, len(pieces)):
                (a0, a1), (b0, b1) = _columns(pieces[i]), _columns(pieces[j])
                overlap = min(a1, b1) - max(a0, b0)
                if overlap >= p.column_overlap * min(a1 - a0, b1 - b0):
                    pieces[i] = pieces[i] | pieces.pop(j)
                    joined = True
                    break
            if joined:
                break
    return pieces


def _split(piece: np.ndarray, p: SlapParameters) -> list[np.ndarray] | None:
    """Two touching fingers in ``piece``, split by a watershed on the distance map; or None."""
    distance = ndimage.distance_transform_edt(piece)
    peaks = peak_local_max(
        distance,
        min_distance=max(1, round(p.min_width / p.step)),
        num_peaks=2,
        labels=piece.astype(np.int32),
        exclude_border=False,
    )
    if len(peaks) < 2:
        return None
    markers = np.zeros(piece.shape, np.int32)
    markers[tuple(peaks.T)] = (1, 2)
    regions = watershed(-distance, markers, mask=piece)
    halves = [regions == 1, regions == 2]
    if min(int(h.sum()) for h in halves) * p.step**2 < p.min_area:
        return None
    # Touching fingers meet at a neck, narrower than either finger; one wide finger does not.
    seam = ndimage.binary_dilation(halves[0]) & halves[1]
    if not seam.any() or distance[seam].max() > p.neck_share * distance[tuple(peaks.T)].min():
        return None
    return halves


def _tip_box(
    finger: np.ndarray, shape: tuple[int, ...], p: SlapParameters
) -> tuple[int, int, int, int]:
    """Full-resolution box of the top (fingertip) part of a finger's pixels."""
    step = p.step
    c0, c1 = _columns(finger)
    rows = np.flatnonzero(finger.any(axis=1))
    top = int(rows[0])
    height = max(p.tip_ratio * (c1 - c0), p.min_tip / step)
    bottom = min(int(rows[-1]) + 1, top + round(height))
    c0, c1 = _columns(finger[top:bottom])
    return (
        max(0, top * step - p.margin),
        max(0, c0 * step - p.margin),
        min(shape[0], bottom * step + p.margin),
        min(shape[1], c1 * step + p.margin),
    )


def segment_slap(
    image: np.ndarray, count: int, *, params: SlapParameters | None = None
) -> list[tuple[int, int, int, int]]:
    """Boxes of the ``count`` fingertips on a slap image, left to right.

    Parameters
    ----------
    image : (M, N) array_like
        Grey slap image at 500 ppi, dark ridges on a light background, fingers roughly
        upright (tips toward row 0).
    count : int
        Fingers expected: 4 for a four-finger slap, 2 for the thumbs, fewer when fingers are
        missing.
    params : SlapParameters, optional
        Tunables.

    Returns
    -------
    boxes : list of tuple of int
        ``(row0, col0, row1, col1)`` per fingertip in pixels, ends exclusive
        (``image[row0:row1, col0:col1]``), sorted left to right.

    Raises
    ------
    ValueError
        ``image`` is not a 2-D grey image, ``count`` is not a positive whole number, or
        ``count`` fingers cannot be told apart (the message says how many were found).

    Examples
    --------
    >>> import numpy as np
    >>> slap = np.full((600, 900), 240, np.uint8)
    >>> ridges = (120 + 100 * (np.arange(300) % 9 < 4)).astype(np.uint8)[:, None]
    >>> slap[100:400, 100:350] = ridges
    >>> slap[120:420, 550:800] = ridges
    >>> segment_slap(slap, 2)
    [(86, 84, 416, 366), (106, 534, 436, 816)]
    """
    p = DEFAULT_SLAP_PARAMETERS if params is None else params
    array = np.asarray(image)
    if array.ndim != 2 or array.dtype.kind not in "uif":
        raise ValueError(f"a slap must be a 2-D grey image, got {array.dtype} {array.shape}")
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 1:
        raise ValueError(f"count must be a positive whole number of fingers, got {count!r}")
    if min(array.shape) < 2 * p.min_width:
        raise ValueError(f"a {array.shape[0]}x{array.shape[1]} image is too small for a slap")
    mask = _foreground(array.astype(np.float64), p)
    pieces = _pieces(mask, p)
    fingers = [f for f in pieces if int(f.sum()) * p.step**2 >= p.min_area]
    fingers.sort(key=lambda f: int(f.sum()), reverse=True)
    if len(fingers) > count:
        if fingers[count].sum() >= p.debris_share * fingers[count - 1].sum():
            raise ValueError(
                f"found {len(fingers)} fingers on the slap, expected {count}: recapture it, "
                "or check which fingers are missing"
            )
        fingers = fingers[:count]
    while len(fingers) < count:
        widest = max(fingers, key=lambda f: np.subtract(*_columns(f)[::-1]), default=None)
        halves = None if widest is None else _split(widest, p)
        if halves is None:
            found = len(fingers)
            raise ValueError(
                f"found {found} finger{'s' if found != 1 else ''} on the slap, expected "
                f"{count}: recapture it with the fingers pressed flat and apart"
            )
        fingers = [f for f in fingers if f is not widest] + halves
    fingers.sort(key=lambda f: float(np.mean(_columns(f))))
    return [_tip_box(f, array.shape, p) for f in fingers]
