"""What the platen shows: pure numpy compositing of prints for the emulated scanner.

Everything here takes arrays, a random generator and parameters and returns new arrays (only
:func:`paste` writes into the canvas it is given); there is no device state. The emulated
scanner (:mod:`station.scanner.mock`) renders the synthetic impressions and calls these to
put them on the platen: a print with only part of it touching (:func:`partial_contact`),
several prints laid on a slap canvas with their boxes (:func:`paste`, :func:`compose_slap`),
a dirty platen (:func:`dirt_mask`, :func:`through_dirt`), and the cheap preview frames of a
finger pressing down and slipping (:func:`downsample`, :func:`shifted`, :func:`pressed`).

Images are 2-D grey levels, dark ridges on a light platen; distances are pixels, rows and
columns.

Examples
--------
>>> import numpy as np
>>> downsample(np.arange(16.0).reshape(4, 4), 2)
array([[ 2.5,  4.5],
       [10.5, 12.5]], dtype=float32)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from .base import Box

__all__ = [
    "background_level",
    "compose_slap",
    "contact_weight",
    "dirt_mask",
    "downsample",
    "dry_skin",
    "partial_contact",
    "paste",
    "pressed",
    "quantize",
    "scar",
    "shifted",
    "through_dirt",
    "wet_skin",
]


def _check_image(image: np.ndarray, name: str = "image") -> None:
    if image.ndim != 2 or min(image.shape) < 1:
        raise ValueError(f"{name} must be a non-empty 2-D array, got shape {image.shape}")


def quantize(values: np.ndarray) -> np.ndarray:
    """Grey levels rounded to the nearest whole number and clipped to 0..255, as uint8.

    Parameters
    ----------
    values : ndarray
        Grey levels (any real dtype).

    Returns
    -------
    image : ndarray of uint8
        Same shape as ``values``.

    Examples
    --------
    >>> quantize(np.array([-3.0, 0.5, 1.5, 254.6, 300.0]))
    array([  0,   0,   2, 255, 255], dtype=uint8)
    """
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def background_level(image: np.ndarray) -> float:
    """Grey level of the empty platen in a synthetic impression (its bright tail).

    Parameters
    ----------
    image : (M, N) ndarray
        A print, dark ridges on a light background.

    Returns
    -------
    level : float
        The 97th percentile of the grey levels.

    Examples
    --------
    >>> background_level(np.arange(101.0))
    97.0
    """
    return float(np.percentile(image, 97))


def downsample(image: np.ndarray, scale: int) -> np.ndarray:
    """Block mean by ``scale``: the preview-resolution copy of a capture-resolution image.

    Parameters
    ----------
    image : (M, N) ndarray
        Image at capture resolution.
    scale : int
        Side of the square blocks averaged into one pixel (1 keeps the image as it is).

    Returns
    -------
    small : (M // scale, N // scale) ndarray of float32
        Edge rows and columns that do not fill a whole block are dropped.

    Examples
    --------
    >>> downsample(np.array([[0, 2, 9], [4, 6, 9], [9, 9, 9]], np.uint8), 2)
    array([[3.]], dtype=float32)
    """
    _check_image(image)
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"scale must be a whole number >= 1, got {scale!r}")
    if scale == 1:
        return image.astype(np.float32)
    rows, cols = (side // scale for side in image.shape)
    blocks = image[: rows * scale, : cols * scale].reshape(rows, scale, cols, scale)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def shifted(image: np.ndarray, rows: int, cols: int, fill: float) -> np.ndarray:
    """``image`` moved down by ``rows`` and right by ``cols`` pixels (negative: up, left).

    Parameters
    ----------
    image : (M, N) ndarray
        The image to move.
    rows, cols : int
        Shift in pixels; a shift of the whole side or more leaves only ``fill``.
    fill : float
        Value of the uncovered pixels.

    Returns
    -------
    moved : (M, N) ndarray
        Same shape and dtype as ``image``.

    Examples
    --------
    >>> shifted(np.array([[1, 2], [3, 4]]), 1, -1, 0)
    array([[0, 0],
           [2, 0]])
    """
    _check_image(image)
    out = np.full_like(image, fill)
    height, width = image.shape
    src_r = slice(max(0, -rows), height - max(0, rows))
    src_c = slice(max(0, -cols), width - max(0, cols))
    dst_r = slice(max(0, rows), height - max(0, -rows))
    dst_c = slice(max(0, cols), width - max(0, -cols))
    if src_r.start < src_r.stop and src_c.start < src_c.stop:
        out[dst_r, dst_c] = image[src_r, src_c]
    return out


def pressed(
    preview: np.ndarray,
    *,
    contrast: float,
    offset: tuple[int, int],
    background: float,
) -> np.ndarray:
    """A preview frame of a finger pressing down: ridge contrast scaled, print moved.

    Parameters
    ----------
    preview : (M, N) ndarray of float32
        The settled print at preview resolution (see :func:`downsample`).
    contrast : float
        Share (0..1) of the ridge contrast reached: 0 shows the empty platen, 1 the print.
    offset : tuple of int
        ``(rows, cols)`` the finger has slipped, in preview pixels.
    background : float
        Grey level of the empty platen.

    Returns
    -------
    view : (M, N) ndarray of float32
        ``background - contrast * (background - moved print)``.

    Examples
    --------
    >>> pressed(np.array([[100.0, 200.0]], np.float32), contrast=0.5, offset=(0, 0),
    ...         background=200.0)
    array([[150., 200.]], dtype=float32)
    """
    _check_image(preview, "preview")
    bg = np.float32(background)
    if contrast <= 0.0:
        return np.full(preview.shape, bg, np.float32)
    view = shifted(preview, offset[0], offset[1], float(bg))
    return bg - np.float32(contrast) * (bg - view)


def contact_weight(
    image: np.ndarray, *, blur: float, sigma: float, levels: tuple[float, float]
) -> np.ndarray:
    """Contact weight 0..1 of a single print: high where ridges are, 0 on the empty platen.

    The weight rises from 0 to 1 as the local grey-level spread (standard deviation over a
    Gaussian window of ``sigma`` px, after a ``blur`` px Gaussian blur that removes sensor
    noise but keeps ridges) rises from ``levels[0]`` to ``levels[1]``.

    Parameters
    ----------
    image : (M, N) ndarray
        A print.
    blur, sigma : float
        Gaussian sigmas (px) of the pre-blur and of the spread window.
    levels : tuple of float
        Spread (grey levels) where the weight starts to rise and where it reaches 1.

    Returns
    -------
    weight : (M, N) ndarray of float64

    Examples
    --------
    >>> flat = np.full((8, 8), 200.0)
    >>> float(contact_weight(flat, blur=1.0, sigma=2.0, levels=(8.0, 16.0)).max())
    0.0
    """
    _check_image(image)
    lo, hi = levels
    if not lo < hi:
        raise ValueError(f"levels must rise, got {levels!r}")
    smooth = ndimage.gaussian_filter(image.astype(np.float64), blur)
    mean = ndimage.gaussian_filter(smooth, sigma)
    spread = np.sqrt(np.maximum(ndimage.gaussian_filter(smooth**2, sigma) - mean**2, 0.0))
    return np.clip((spread - lo) / (hi - lo), 0.0, 1.0)


def partial_contact(
    image: np.ndarray, rng: np.random.Generator, *, share: float, noise: float
) -> np.ndarray:
    """Keep a small patch of a print: the finger barely touched the platen.

    An ellipse ``share`` of the print's height and width, centred at a random point of the
    middle 30 % of each side, keeps the print (with a soft rim); the rest is the empty
    platen at :func:`background_level` with Gaussian sensor noise.

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        The whole print.
    rng : numpy.random.Generator
        Draws the centre (row, then column) and the noise, in that order.
    share : float
        Share (0..1] of the print's height and width that touched the platen.
    noise : float
        Standard deviation (grey levels) of the platen noise.

    Returns
    -------
    partial : (M, N) ndarray of uint8

    Examples
    --------
    >>> image = np.full((40, 40), 200, np.uint8)
    >>> image[20, 20] = 0
    >>> out = partial_contact(image, np.random.default_rng(0), share=0.5, noise=0.0)
    >>> int(out[20, 20]), int(out[0, 0])
    (0, 200)
    """
    _check_image(image)
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share!r}")
    rows, cols = image.shape
    cy = rows * rng.uniform(0.35, 0.65)
    cx = cols * rng.uniform(0.35, 0.65)
    yy, xx = np.ogrid[0:rows, 0:cols]
    level = np.hypot((yy - cy) / (0.5 * share * rows), (xx - cx) / (0.5 * share * cols))
    keep = np.clip((1.0 - level) / 0.1, 0.0, 1.0)
    bg = background_level(image)
    empty = bg + rng.normal(0.0, noise, image.shape)
    out = empty - keep * (empty - image.astype(np.float64))
    return quantize(out)


def paste(
    canvas: np.ndarray,
    image: np.ndarray,
    row: int,
    col: int,
    *,
    blur: float,
    sigma: float,
    levels: tuple[float, float],
    margin: int,
) -> Box | None:
    """Lay a print on a canvas with its top-left corner at ``(row, col)``; return its box.

    Only the contact area is laid down (where the ridge texture is, see
    :func:`contact_weight`), so the impression's own background does not show as a
    rectangle: each canvas pixel is darkened by the print's ink (its background level minus
    its grey level) times the contact weight. The canvas is changed in place.

    Parameters
    ----------
    canvas : (R, C) ndarray of float64
        The platen, modified in place.
    image : (M, N) ndarray
        The print; it must lie wholly on the canvas at ``(row, col)``.
    row, col : int
        Top-left corner of the print on the canvas.
    blur, sigma, levels
        Contact parameters (see :func:`contact_weight`).
    margin : int
        Pixels added around the contact area's bounding box (kept within the print).

    Returns
    -------
    box : tuple of int or None
        ``(row0, col0, row1, col1)`` on the canvas, ends exclusive: the bounding box of the
        pixels with contact weight >= 0.5, widened by ``margin``; None if there are none.

    Examples
    --------
    >>> canvas = np.full((6, 6), 200.0)
    >>> image = np.full((3, 3), 200, np.uint8)
    >>> paste(canvas, image, 1, 2, blur=1.0, sigma=1.0, levels=(8.0, 16.0), margin=1) is None
    True
    """
    _check_image(canvas, "canvas")
    _check_image(image)
    rows, cols = image.shape
    if not (0 <= row <= canvas.shape[0] - rows and 0 <= col <= canvas.shape[1] - cols):
        raise ValueError(
            f"a {rows} x {cols} print at ({row}, {col}) does not fit on the "
            f"{canvas.shape[0]} x {canvas.shape[1]} canvas"
        )
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    contact = contact_weight(image, blur=blur, sigma=sigma, levels=levels)
    ink = background_level(image) - image.astype(np.float64)
    region = canvas[row : row + rows, col : col + cols]
    region -= ink * contact
    inside = contact >= 0.5
    rows_in = np.flatnonzero(inside.any(axis=1))
    cols_in = np.flatnonzero(inside.any(axis=0))
    if rows_in.size == 0:
        return None
    return (
        row + max(0, int(rows_in[0]) - margin),
        col + max(0, int(cols_in[0]) - margin),
        row + min(rows, int(rows_in[-1]) + 1 + margin),
        col + min(cols, int(cols_in[-1]) + 1 + margin),
    )


def compose_slap(
    prints: Sequence[tuple[str, np.ndarray, tuple[int, int]]],
    rng: np.random.Generator,
    *,
    size: tuple[int, int],
    level: float,
    noise: float,
    blur: float,
    sigma: float,
    levels: tuple[float, float],
    margin: int,
) -> tuple[np.ndarray, tuple[tuple[str, Box], ...]]:
    """A slap image composed from finger prints, with each finger's box.

    Parameters
    ----------
    prints : sequence of (str, ndarray, (int, int))
        Each finger's code, its print, and where its top-left corner should go
        ``(row, col)``; the corner is clipped so the print lies wholly on the canvas.
        Pasted in this order.
    rng : numpy.random.Generator
        Draws the sensor noise, after all the prints are laid down.
    size : tuple of int
        Canvas ``(rows, cols)``.
    level : float
        Grey level of the empty platen.
    noise : float
        Standard deviation (grey levels) of the sensor noise over the whole canvas.
    blur, sigma, levels, margin
        Contact and box parameters (see :func:`paste`).

    Returns
    -------
    slap : (rows, cols) ndarray of uint8
        The composed slap.
    segments : tuple of (str, Box)
        The fingers whose print touched the platen, in the order of ``prints``, each with
        its box ``(row0, col0, row1, col1)`` (ends exclusive).

    Examples
    --------
    >>> slap, segments = compose_slap([], np.random.default_rng(0), size=(4, 6), level=240.0,
    ...     noise=0.0, blur=1.0, sigma=2.0, levels=(8.0, 16.0), margin=2)
    >>> int(slap.min()), int(slap.max()), segments
    (240, 240, ())
    """
    rows, cols = size
    canvas = np.full((rows, cols), level, np.float64)
    segments: list[tuple[str, Box]] = []
    for finger, image, (top, left) in prints:
        _check_image(image, f"the print of {finger}")
        if image.shape[0] > rows or image.shape[1] > cols:
            raise ValueError(
                f"the {image.shape[0]} x {image.shape[1]} print of {finger} does not fit on "
                f"the {rows} x {cols} slap"
            )
        r0 = int(np.clip(top, 0, rows - image.shape[0]))
        c0 = int(np.clip(left, 0, cols - image.shape[1]))
        box = paste(canvas, image, r0, c0, blur=blur, sigma=sigma, levels=levels, margin=margin)
        if box is not None:
            segments.append((finger, box))
    canvas += rng.normal(0.0, noise, canvas.shape)
    return quantize(canvas), tuple(segments)


def dirt_mask(
    shape: tuple[int, int],
    rng: np.random.Generator,
    *,
    blots: int,
    specks: int,
    opacity: float,
    sizes: tuple[float, float],
) -> np.ndarray:
    """Opacity 0..``opacity`` of a dirty platen: smudges and dust specks.

    Each smudge is an elliptical Gaussian at a random centre, with random half-axes (sigmas)
    in ``sizes``, angle and darkness (0.4..1), cut off beyond 4 sigma; smudges overlap by
    their maximum. Each speck is a single pixel blurred by a 1.5 px Gaussian and scaled by
    14 (about 1 at its centre). The mask is the maximum of the two, times ``opacity``,
    clipped to 0..1.

    Parameters
    ----------
    shape : tuple of int
        ``(rows, cols)`` of the mask.
    rng : numpy.random.Generator
        Draws the smudges (one after the other) and then the specks: the same generator
        state gives the same mask.
    blots, specks : int
        Number of smudges and of dust specks.
    opacity : float
        Darkest share (0..1) a smudge takes off the grey level.
    sizes : tuple of float
        Range of a smudge's half-axes (px, Gaussian sigma).

    Returns
    -------
    mask : (rows, cols) ndarray of float64
        Multiply an image by ``1 - mask`` to see it through the dirt (:func:`through_dirt`).

    Examples
    --------
    >>> mask = dirt_mask((8, 8), np.random.default_rng(0), blots=0, specks=0, opacity=0.5,
    ...                  sizes=(1.0, 2.0))
    >>> float(mask.max())
    0.0
    """
    rows, cols = (int(shape[0]), int(shape[1]))
    if rows < 1 or cols < 1:
        raise ValueError(f"shape must be positive, got {shape!r}")
    if blots < 0 or specks < 0:
        raise ValueError(f"blots and specks must be >= 0, got {blots}, {specks}")
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be in [0, 1], got {opacity!r}")
    dirt = np.zeros((rows, cols))
    for _ in range(blots):
        cy, cx = rng.uniform(0, rows), rng.uniform(0, cols)
        sy, sx = rng.uniform(*sizes, 2)
        theta = rng.uniform(0, np.pi)
        darkness = rng.uniform(0.4, 1.0)
        reach = 4.0 * max(sy, sx)  # the blot is negligible beyond 4 sigma
        r0, r1 = int(max(0, cy - reach)), int(min(rows, cy + reach + 1))
        c0, c1 = int(max(0, cx - reach)), int(min(cols, cx + reach + 1))
        if r0 >= r1 or c0 >= c1:
            continue
        yy, xx = np.ogrid[r0:r1, c0:c1]
        u = (yy - cy) * np.cos(theta) + (xx - cx) * np.sin(theta)
        v = -(yy - cy) * np.sin(theta) + (xx - cx) * np.cos(theta)
        blot = darkness * np.exp(-0.5 * ((u / sy) ** 2 + (v / sx) ** 2))
        np.maximum(dirt[r0:r1, c0:c1], blot, out=dirt[r0:r1, c0:c1])
    dust = np.zeros((rows, cols))
    dust[rng.integers(0, rows, specks), rng.integers(0, cols, specks)] = 1
    dust = ndimage.gaussian_filter(dust, 1.5) * 14.0
    return np.clip(opacity * np.maximum(dirt, dust), 0.0, 1.0)


def through_dirt(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """An image seen through a dirty platen: darkened by ``mask``, as uint8.

    Parameters
    ----------
    image : (M, N) ndarray
        Grey levels 0..255.
    mask : (M, N) ndarray
        Opacity 0..1 (see :func:`dirt_mask`).

    Returns
    -------
    dirty : (M, N) ndarray of uint8
        ``image * (1 - mask)``, rounded.

    Examples
    --------
    >>> through_dirt(np.array([[200, 200]], np.uint8), np.array([[0.0, 0.25]]))
    array([[200, 150]], dtype=uint8)
    """
    if image.shape != mask.shape:
        raise ValueError(f"mask shape {mask.shape} differs from image shape {image.shape}")
    return quantize(image * (1.0 - mask))


def dry_skin(image: np.ndarray, rng: np.random.Generator, *, coverage: float) -> np.ndarray:
    """A print of dry skin: the ridges touch the platen only in patches, faint and broken.

    A smooth random field (Gaussian-blurred noise, 6 px) keeps the print where it is in its
    top ``coverage`` share; elsewhere the platen shows through, and the ridges left are
    faded to 45 % of their contrast.

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        The print.
    rng : numpy.random.Generator
        Draws the noise field.
    coverage : float
        Share (0..1] of the print that still touches.

    Returns
    -------
    dry : (M, N) ndarray of uint8

    Examples
    --------
    >>> image = np.full((20, 20), 200, np.uint8)
    >>> image[::2] = 40
    >>> out = dry_skin(image, np.random.default_rng(0), coverage=0.5)
    >>> int(out.min()), bool((out == 200).mean() >= 0.5)
    (128, True)
    """
    _check_image(image)
    if not 0.0 < coverage <= 1.0:
        raise ValueError(f"coverage must be in (0, 1], got {coverage!r}")
    field = ndimage.gaussian_filter(rng.normal(0.0, 1.0, image.shape), 6.0)
    keep = field >= np.quantile(field, 1.0 - coverage)
    bg = background_level(image)
    ink = (bg - image.astype(np.float64)) * 0.45 * keep
    return quantize(bg - ink)


def wet_skin(image: np.ndarray, *, blur: float) -> np.ndarray:
    """A print of wet skin: the ridges run into each other (blurred, darkened, low contrast).

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        The print.
    blur : float
        Gaussian sigma (px) of the smear; the smeared print is darkened by 35 % of its ink.

    Returns
    -------
    wet : (M, N) ndarray of uint8

    Examples
    --------
    >>> image = np.full((9, 9), 200, np.uint8)
    >>> image[::2] = 40
    >>> out = wet_skin(image, blur=2.0)
    >>> int(out.max()) - int(out.min()) < 160
    True
    """
    _check_image(image)
    if blur <= 0:
        raise ValueError(f"blur must be > 0, got {blur!r}")
    bg = background_level(image)
    smear = ndimage.gaussian_filter(image.astype(np.float64), blur)
    return quantize(smear - 0.35 * (bg - smear))


def scar(image: np.ndarray, rng: np.random.Generator, *, width: float) -> np.ndarray:
    """A print crossed by a scar: a band of skin without ridges across the pattern.

    The band is a straight line through a point of the middle half of the print at a random
    angle, ``width`` px wide with soft edges, at the print's background level.

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        The print.
    rng : numpy.random.Generator
        Draws the point (row, column) and the angle, in that order.
    width : float
        Width of the band (px).

    Returns
    -------
    scarred : (M, N) ndarray of uint8

    Examples
    --------
    >>> out = scar(np.zeros((40, 40), np.uint8), np.random.default_rng(0), width=8.0)
    >>> int((out > 0).sum()) > 0
    True
    """
    _check_image(image)
    if width <= 0:
        raise ValueError(f"width must be > 0, got {width!r}")
    rows, cols = image.shape
    cy = rows * rng.uniform(0.25, 0.75)
    cx = cols * rng.uniform(0.25, 0.75)
    theta = rng.uniform(0.0, np.pi)
    yy, xx = np.ogrid[0:rows, 0:cols]
    distance = np.abs((yy - cy) * np.cos(theta) - (xx - cx) * np.sin(theta))
    band = np.clip((0.5 * width + 2.0 - distance) / 4.0, 0.0, 1.0)
    bg = max(background_level(image), 1.0)
    out = image.astype(np.float64) + band * (bg - image.astype(np.float64))
    return quantize(out)
