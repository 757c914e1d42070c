"""Compiled loops of the extractor (numba): fused array passes, small specks and holes,
thinning, and walking the skeleton.

Clearing ridge specks and holes before thinning took two labellings of the whole ridge image
(each numbering thousands of ridge pieces, about a millisecond apiece on a 500×500 print);
one flood fill per piece, writing no label image, finds the same pieces in a fraction of the
time. Each candidate minutia's branches are then traced a dozen pixels along the skeleton,
pixel by pixel: a few thousand short walks per print, about a tenth of an extraction in
Python and a few percent compiled. The steps are those :mod:`.minutiae` documents (the same
neighbour order, tie-breaks and stopping rules), so the templates are the same.
Thinning (:func:`thin`) gives scikit-image's ``skeletonize`` pixel for pixel (see there) but
revisits only the pixels next to the background instead of scanning the whole image each pass.

The other kernels fuse chains of numpy (or ndimage) operations that each wrote an image-sized
temporary: the Gaussian, the gradient and grey-level cell means, cutting the spectra's blocks,
the enhancement filter, overlap-add, grey-level histograms. Each does the same floating-point
operations in the same order as the code it replaced (no fast-math, so no reassociation or
fused multiply-adds), so every intermediate image is bit-identical; the tests compare each
with that code. Arrays of megabytes are allocated by the caller with numpy, which asks the
kernel for huge pages (numba's allocator does not, and the page faults cost more than the
work). ``cache=True`` keeps the machine code beside this file, so only the first run after an
install compiles; this module is imported by the first extraction, not at start-up.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._grid_kernels import city_block

__all__ = [
    "THINNING_TABLE",
    "angular_exponents",
    "apply_gain",
    "band_exponents",
    "band_sums",
    "block_means",
    "cell_moments",
    "centred_blocks",
    "clean_cells",
    "clear_small",
    "euclidean_distance",
    "gaussian_separable",
    "gradient_moments",
    "level_histogram",
    "overlap_blocks",
    "ring_wraps",
    "skeleton_candidates",
    "thin",
    "touching_blocks",
    "walk_minutiae",
]

#: 8-neighbours in circular order, row and column offsets (``minutiae._RING``).
_RING_ROWS = np.array([-1, -1, 0, 1, 1, 1, 0, -1], np.int64)
_RING_COLS = np.array([0, 1, 1, 1, 0, -1, -1, -1], np.int64)
_PI = np.pi
_TWO_PI = 2.0 * np.pi

#: Neighbourhood code of a pixel: the sum of these weights over its set neighbours, taken in
#: the ring order above (N, NE, E, SE, S, SW, W, NW), i.e. NW 1, N 2, NE 4, E 8, SE 16, S 32,
#: SW 64, W 128 (scikit-image's coding).
_RING_WEIGHTS = (2, 4, 8, 16, 32, 64, 128, 1)

#: Neighbourhoods where scikit-image's removal table (``skimage.morphology.skeletonize``,
#: 2-D, Zhang's method, scikit-image 0.26) departs from Zhang and Suen's two
#: sub-iteration conditions: code -> removable in sub-iteration 1 (1), 2 (2), both (3) or
#: neither (0). Found by comparing the two tables; :func:`thin` is checked against
#: scikit-image itself in the tests.
_SKIMAGE_DEPARTURES = dict(
    zip(
        (3, 6, 10, 11, 12, 14, 24, 26, 40, 48, 56, 96, 104, 108, 129, 130, 131, 134, 160, 161),
        (1, 1, 3, 1, 1, 1, 2, 2, 3, 0, 2, 2, 2, 2, 0, 3, 1, 1, 3, 1),
        strict=True,
    )
) | {176: 2, 192: 2, 194: 1, 198: 1, 224: 2}


def _thinning_table() -> np.ndarray:
    """Removal class of each of the 256 neighbourhood codes (0 keep, 1/2 in that
    sub-iteration only, 3 in both).

    Zhang and Suen, "A fast parallel algorithm for thinning digital patterns", CACM 27(3),
    1984: a pixel goes when it has 2-6 set neighbours and exactly one 0 -> 1 change around
    its ring, and (sub-iteration 1) N·E·S = E·S·W = 0 or (sub-iteration 2) N·E·W = N·S·W = 0;
    then scikit-image's departures above.
    """
    table = np.zeros(256, np.uint8)
    for code in range(256):
        ring = [1 if code & weight else 0 for weight in _RING_WEIGHTS]
        north, _, east, _, south, _, west, _ = ring
        changes = sum(1 for k in range(8) if ring[k] == 0 and ring[(k + 1) % 8] == 1)
        if 2 <= sum(ring) <= 6 and changes == 1:
            first = north * east * south == 0 and east * south * west == 0
            second = north * east * west == 0 and north * south * west == 0
            table[code] = int(first) + 2 * int(second)
    for code, kind in _SKIMAGE_DEPARTURES.items():
        table[code] = kind
    table.setflags(write=False)
    return table


#: Removal class per neighbourhood code (see :func:`_thinning_table`).
THINNING_TABLE = _thinning_table()


@njit(cache=True)
def _reflect(k: int, n: int) -> int:
    """Index ``k`` of a line of ``n`` samples extended by mirroring (``d c b a | a b c d``)."""
    k %= 2 * n
    return k if k < n else 2 * n - 1 - k


@njit(cache=True)
def gaussian_separable(image: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter(image, sigma)`` for a 2-D float image: the same values.

    ndimage filters along rows then columns, each line copied to float64 with mirrored ends
    (mode ``"reflect"``) and, for a symmetric kernel, each output sample computed as
    ``x[l] * w[0]`` plus ``(x[l - d] + x[l + d]) * w[d]`` from the outermost ``d`` inward,
    then stored in the image's dtype (the first pass's result too). This does the same
    operations in the same order, with one line copy per row of the second pass, kept in
    the image's dtype.

    Parameters
    ----------
    image : (M, N) ndarray of float32 or float64
    weights : (2R + 1,) ndarray of float64
        ndimage's kernel for ``sigma`` (symmetric).

    Returns
    -------
    smooth : (M, N) ndarray, ``image``'s dtype
    """
    rows, cols = image.shape
    size = weights.size // 2
    centre = weights[size]
    across = np.empty_like(image)
    acc = np.empty(cols, np.float64)
    for r in range(rows):  # along axis 0, a row of outputs at a time
        for c in range(cols):
            acc[c] = np.float64(image[r, c]) * centre
        for d in range(size, 0, -1):
            up, down = _reflect(r - d, rows), _reflect(r + d, rows)
            w = weights[size - d]
            for c in range(cols):
                acc[c] += (np.float64(image[up, c]) + np.float64(image[down, c])) * w
        for c in range(cols):
            across[r, c] = acc[c]
    out = np.empty_like(image)
    # The mirrored line in the image's dtype, widened to float64 where it is read (exact):
    # the inner loops are then those of the first pass, contiguous and vectorised.
    line = np.empty(cols + 2 * size, image.dtype)
    for r in range(rows):  # along axis 1
        src = across[r]
        line[size : size + cols] = src
        for k in range(size):  # the mirrored ends
            line[k] = src[_reflect(k - size, cols)]
            line[cols + size + k] = src[_reflect(cols + k, cols)]
        for c in range(cols):
            acc[c] = np.float64(src[c]) * centre
        for d in range(size, 0, -1):
            w = weights[size - d]
            before = line[size - d : size - d + cols]
            after = line[size + d : size + d + cols]
            for c in range(cols):
                acc[c] += (np.float64(before[c]) + np.float64(after[c])) * w
        dst = out[r]
        for c in range(cols):
            dst[c] = acc[c]
    return out


@njit(cache=True)
def level_histogram(values: np.ndarray, mask: np.ndarray, masked: bool) -> np.ndarray:
    """Counts of the whole grey levels 0–255 among ``values`` (where ``mask`` is set, if
    ``masked``); an empty array as soon as one value is not a whole level.

    Parameters
    ----------
    values : (M, N) ndarray of float32
    mask : (M, N) ndarray of bool
        Read only when ``masked``.
    masked : bool

    Returns
    -------
    counts : (256,) ndarray of int64, or (0,) when a value is not a whole level 0–255
    """
    counts = np.zeros(256, np.int64)
    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            if masked and not mask[r, c]:
                continue
            v = values[r, c]
            if not 0.0 <= v <= 255.0:
                return np.zeros(0, np.int64)
            level = np.int64(v)
            if level != v:
                return np.zeros(0, np.int64)
            counts[level] += 1
    return counts


@njit(cache=True)
def cell_moments(image: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Cell means of ``image`` and of ``image²`` over whole ``step`` × ``step`` cells.

    ``orientation.cell_mean(image, step)`` and ``cell_mean(image * image, step)`` (rows and
    columns past the last whole cell ignored) in one pass, in the same float32 order: each
    cell row summed left to right, those sums top to bottom, times ``1 / step²``.

    Parameters
    ----------
    image : (M, N) ndarray of float32
    step : int
        Cell side (px).

    Returns
    -------
    mean, mean_sq : (M // step, N // step) ndarray of float32
    """
    n_r, n_c = image.shape[0] // step, image.shape[1] // step
    mean = np.empty((n_r, n_c), np.float32)
    mean_sq = np.empty((n_r, n_c), np.float32)
    scale = np.float32(1.0 / (step * step))
    row_s = np.empty((step, n_c), np.float32)
    row_q = np.empty((step, n_c), np.float32)
    for i in range(n_r):
        for k in range(step):
            r = i * step + k
            for j in range(n_c):
                v = image[r, j * step]
                s, q = v, v * v
                for m in range(1, step):
                    v = image[r, j * step + m]
                    s += v
                    q += v * v
                row_s[k, j], row_q[k, j] = s, q
        for j in range(n_c):
            s, q = row_s[0, j], row_q[0, j]
            for k in range(1, step):
                s += row_s[k, j]
                q += row_q[k, j]
            mean[i, j] = s * scale
            mean_sq[i, j] = q * scale
    return mean, mean_sq


@njit(cache=True)
def gradient_moments(image: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell means of ``gx²``, ``gy²`` and ``gx·gy`` over ``step`` × ``step`` cells.

    What :mod:`.orientation` computed with ``_gradient`` and three ``cell_mean`` calls, in
    one pass, without the five image-sized temporaries, and in the same float32 operations
    and order: central differences halved (one-sided at the edges; the last row and column
    repeated up to a multiple of ``step``), the products, each cell row summed left to
    right, those sums top to bottom, times ``1 / step²``.

    Parameters
    ----------
    image : (M, N) ndarray of float32
        At least two rows and two columns.
    step : int
        Cell side (px).

    Returns
    -------
    gxx, gyy, gxy : (ceil(M / step), ceil(N / step)) ndarray of float32
    """
    rows, cols = image.shape
    n_r, n_c = -(-rows // step), -(-cols // step)
    width = n_c * step
    gxx = np.empty((n_r, n_c), np.float32)
    gyy = np.empty((n_r, n_c), np.float32)
    gxy = np.empty((n_r, n_c), np.float32)
    scale = np.float32(1.0 / (step * step))
    half = np.float32(0.5)
    # One row of gradients (the last column repeated up to ``width``), then of their
    # products, each a contiguous loop; then summed per cell, left to right.
    gx = np.empty(width, np.float32)
    gy = np.empty(width, np.float32)
    pxx = np.empty(width, np.float32)
    pyy = np.empty(width, np.float32)
    pxy = np.empty(width, np.float32)
    for i in range(n_r):
        for k in range(step):
            r = min(i * step + k, rows - 1)
            row, above, below = image[r], image[max(r - 1, 0)], image[min(r + 1, rows - 1)]
            if 0 < r < rows - 1:
                for c in range(cols):
                    gy[c] = (below[c] - above[c]) * half
            else:
                for c in range(cols):
                    gy[c] = below[c] - above[c]
            for c in range(1, cols - 1):
                gx[c] = (row[c + 1] - row[c - 1]) * half
            gx[0] = row[1] - row[0]
            gx[cols - 1] = row[cols - 1] - row[cols - 2]
            for c in range(cols, width):
                gx[c] = gx[cols - 1]
                gy[c] = gy[cols - 1]
            for c in range(width):
                pxx[c] = gx[c] * gx[c]
                pyy[c] = gy[c] * gy[c]
                pxy[c] = gx[c] * gy[c]
            # Cell row k of each cell, added to the rows above it (top to bottom).
            for j in range(n_c):
                b = j * step
                sxx, syy, sxy = pxx[b], pyy[b], pxy[b]
                for m in range(1, step):
                    sxx += pxx[b + m]
                    syy += pyy[b + m]
                    sxy += pxy[b + m]
                if k == 0:
                    gxx[i, j], gyy[i, j], gxy[i, j] = sxx, syy, sxy
                else:
                    gxx[i, j] += sxx
                    gyy[i, j] += syy
                    gxy[i, j] += sxy
        for j in range(n_c):
            gxx[i, j] *= scale
            gyy[i, j] *= scale
            gxy[i, j] *= scale
    return gxx, gyy, gxy


@njit(cache=True)
def centred_blocks(
    padded: np.ndarray, mean: np.ndarray, window: np.ndarray, out: np.ndarray
) -> None:
    """Half-overlapping blocks of ``padded``, each minus its mean, times ``window``.

    ``(padded[i*h + r, j*h + c] - mean[i, j]) * window[r, c]`` with ``h`` half the window,
    rounded to float32 after each operation as numpy rounds them: one pass writing a
    C-ordered batch, where numpy's broadcast over a strided window view walks the image
    block by block.

    Parameters
    ----------
    padded : (P, Q) ndarray of float32
        Image with its border.
    mean : (R, C) ndarray of float32
        Block means.
    window : (W, W) ndarray of float32
        Analysis window.
    out : (R, C, W, W) ndarray of float32
        Written with the blocks (allocated by numpy, which asks the kernel for huge pages
        for an array this size; numba's own allocation would not).
    """
    n_r, n_c = mean.shape
    size = window.shape[0]
    half = size // 2
    for i in range(n_r):
        for j in range(n_c):
            m = mean[i, j]
            for r in range(size):
                row = padded[i * half + r]
                for c in range(size):
                    out[i, j, r, c] = (row[j * half + c] - m) * window[r, c]


@njit(cache=True)
def band_exponents(
    radius: np.ndarray,
    f0: np.ndarray,
    c2: np.ndarray,
    s2: np.ndarray,
    cos_n: np.ndarray,
    sin_n: np.ndarray,
    radial: np.float32,
    angular: np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """Exponents of the enhancement filter's radial and angular Gaussians, per block.

    ``((radius - f0) / f0)² · radial`` and ``(c2 · cos 2n + s2 · sin 2n - 1) · angular``,
    each operation rounded to float32 in the order :func:`.enhance.enhance` and the former
    numpy angular weight wrote them (see :func:`angular_exponents`; the caller takes the
    exponentials with numpy, as before).

    Parameters
    ----------
    radius, c2, s2 : (W, W//2+1) ndarray of float32
        Radius and ``cos 2φ``, ``sin 2φ`` of the direction of each spectrum sample.
    f0, cos_n, sin_n : (B,) ndarray of float32
        Ridge frequency of each block and ``cos 2n``, ``sin 2n`` of its ridge normal.
    radial, angular : float32
        ``-1 / (2 σr²)`` and ``1 / (4 σa²)``.

    Returns
    -------
    radial_exponent, angular_exponent : (B, W, W//2+1) ndarray of float32
    """
    n = f0.size
    rows, cols = radius.shape
    radial_out = np.empty((n, rows, cols), np.float32)
    angular_out = np.empty((n, rows, cols), np.float32)
    one = np.float32(1.0)
    for b in range(n):
        f, cn, sn = f0[b], cos_n[b], sin_n[b]
        for r in range(rows):
            for c in range(cols):
                d = (radius[r, c] - f) / f
                radial_out[b, r, c] = (d * d) * radial
                a = c2[r, c] * cn + s2[r, c] * sn
                angular_out[b, r, c] = (a - one) * angular
    return radial_out, angular_out


@njit(cache=True)
def apply_gain(
    spectra: np.ndarray,
    block_rows: np.ndarray,
    block_cols: np.ndarray,
    radial: np.ndarray,
    angular: np.ndarray,
    out: np.ndarray,
) -> None:
    """The listed blocks' spectra times ``radial · angular`` (float32), as numpy multiplies a
    complex64 array by a float32 one: the gain as ``g + 0j`` and a complex product.

    Parameters
    ----------
    spectra : (R, C, W, W//2+1) ndarray of complex64
    block_rows, block_cols : (B,) ndarray of int
    radial, angular : (B, W, W//2+1) ndarray of float32
    out : (B, W, W//2+1) ndarray of complex64
        Written with the filtered spectra (allocated by numpy: see :func:`centred_blocks`).
    """
    n, rows, cols = radial.shape
    zero = np.float32(0.0)
    for b in range(n):
        i, j = block_rows[b], block_cols[b]
        for r in range(rows):
            for c in range(cols):
                g = radial[b, r, c] * angular[b, r, c]
                z = spectra[i, j, r, c]
                re = z.real * g - z.imag * zero
                im = z.real * zero + z.imag * g
                out[b, r, c] = complex(re, im)


@njit(cache=True)
def overlap_blocks(
    blocks: np.ndarray,
    window: np.ndarray,
    block_rows: np.ndarray,
    block_cols: np.ndarray,
    grid: tuple[int, int],
    shape: tuple[int, int],
    sign: float,
) -> np.ndarray:
    """Window half-overlapping blocks and add them into an image (``spectra.overlap_add``).

    The same float32 operations in the same order as the numpy version: each block times
    the window, then the top-left quarters of all blocks added into their tiles, then the
    top-right, bottom-left and bottom-right quarters; the result is cropped to the image
    (and multiplied by ``sign``, ±1, which is exact). Each half-window tile of the image is
    made whole in a small buffer, from zero, the (up to) four quarters that land on it added
    in that order, and stored once: no image-sized canvas is written four times over.

    Parameters
    ----------
    blocks : (B, W, W) ndarray of float32
    window : (W, W) ndarray of float32
    block_rows, block_cols : (B,) ndarray of int
        Grid position of each block, each position at most once.
    grid : (int, int)
        Blocks per column and per row of the grid.
    shape : (int, int)
        Image rows and columns.
    sign : float
        1 or -1.

    Returns
    -------
    image : (M, N) ndarray of float32
    """
    size = window.shape[0]
    half = size // 2
    n_r, n_c = grid
    index = np.full((n_r, n_c), -1, np.int64)
    for b in range(blocks.shape[0]):
        index[block_rows[b], block_cols[b]] = b
    rows, cols = shape
    image = np.empty((rows, cols), np.float32)
    tile = np.empty((half, half), np.float32)
    factor = np.float32(sign)
    # Tile (ti, tj) of the padded grid starts at image pixel ((ti - 1) * half, (tj - 1) * half);
    # quarter q of block (ti - q // 2, tj - q % 2) lands on it.
    for ti in range(1, n_r + 1):
        r0 = (ti - 1) * half
        if r0 >= rows:
            break
        for tj in range(1, n_c + 1):
            c0 = (tj - 1) * half
            if c0 >= cols:
                break
            tile[:, :] = np.float32(0.0)
            for quarter in range(4):
                bi, bj = ti - quarter // 2, tj - quarter % 2
                if bi >= n_r or bj >= n_c:
                    continue
                b = index[bi, bj]
                if b < 0:
                    continue
                top, left = (quarter // 2) * half, (quarter % 2) * half
                for u in range(half):
                    for v in range(half):
                        tile[u, v] += blocks[b, top + u, left + v] * window[top + u, left + v]
            for u in range(min(half, rows - r0)):
                for v in range(min(half, cols - c0)):
                    image[r0 + u, c0 + v] = tile[u, v] * factor
    return image


@njit(cache=True)
def clear_small(grid: np.ndarray, value: int, max_size: int) -> None:
    """Flip every 4-connected piece of ``value`` pixels of at most ``max_size`` pixels, in place.

    The same pieces as scikit-image's ``remove_small_objects`` (``value`` 1) and
    ``remove_small_holes`` (``value`` 0) with ``connectivity=1``: neighbours are taken inside
    the array only, and a piece of exactly ``max_size`` pixels goes.

    Parameters
    ----------
    grid : (M, N) ndarray of uint8
        0/1 pixels.
    value : int
        0 or 1: which pixels form the pieces.
    max_size : int
        Largest piece removed (pixels).
    """
    rows, cols = grid.shape
    # 0 not reached yet, 1 in a piece being measured or already flipped, 2 in a piece known
    # to be larger than max_size. A fill stops as soon as its piece passes max_size or
    # touches a pixel marked 2 (the same piece), so a large piece costs a look per pixel,
    # not a full flood fill; small pieces are filled whole and flipped as before. Only
    # pixels of ``value`` are ever marked 2, and they are never flipped.
    state = np.zeros((rows, cols), np.uint8)
    queue_r = np.empty(max_size + 2, np.int64)
    queue_c = np.empty(max_size + 2, np.int64)
    for r in range(rows):
        for c in range(cols):
            if grid[r, c] != value or state[r, c]:
                continue
            # Next to a pixel of a piece known to be large (left or above): the same piece,
            # large, with no fill (most pixels of the background and of long ridges).
            if (c > 0 and state[r, c - 1] == 2) or (r > 0 and state[r - 1, c] == 2):
                state[r, c] = 2
                continue
            state[r, c] = 1
            queue_r[0], queue_c[0] = r, c
            head, tail = 0, 1
            large = tail > max_size
            while head < tail and not large:
                qr, qc = queue_r[head], queue_c[head]
                head += 1
                for k in range(0, 8, 2):  # the 4-connected neighbours of the ring
                    nr, nc = qr + _RING_ROWS[k], qc + _RING_COLS[k]
                    if not (0 <= nr < rows and 0 <= nc < cols) or grid[nr, nc] != value:
                        continue
                    if state[nr, nc] == 2:
                        large = True
                        break
                    if state[nr, nc] == 0:
                        state[nr, nc] = 1
                        queue_r[tail], queue_c[tail] = nr, nc
                        tail += 1
                        if tail > max_size:
                            large = True
                            break
            if large:
                for k in range(tail):
                    state[queue_r[k], queue_c[k]] = 2
            else:
                for k in range(tail):
                    grid[queue_r[k], queue_c[k]] = 1 - value


@njit(cache=True)
def thin(image: np.ndarray, table: np.ndarray) -> np.ndarray:
    """One-pixel-wide skeleton of a binary image: scikit-image's ``skeletonize`` (2-D).

    The same parallel thinning: every pass reads the image as the previous pass left it and
    removes the set pixels whose neighbourhood class (``table``) is 1 or 3 (first pass of a
    round) or 2 or 3 (second pass), outside the image counting as unset; rounds repeat until
    one removes nothing. A pixel whose eight neighbours are all set is never removed (its
    class is 0), so each pass looks only at the set pixels that touch the background, kept
    in a list: a pixel leaves it when its class is 0 (it cannot go until a neighbour does) and
    comes back when a neighbour goes. The passes remove the same pixels as a full scan.

    Parameters
    ----------
    image : (M, N) ndarray of uint8
        0/1 pixels.
    table : (256,) ndarray of uint8
        :data:`THINNING_TABLE`.

    Returns
    -------
    skeleton : (M, N) ndarray of uint8
        0/1 pixels.
    """
    rows, cols = image.shape
    width = cols + 2
    grid = np.zeros((rows + 2) * width, np.uint8)
    for r in range(rows):
        for c in range(cols):
            grid[(r + 1) * width + c + 1] = image[r, c] != 0
    offsets = np.empty(8, np.int64)  # NW, N, NE, E, SE, S, SW, W: weights 1, 2, ... 128
    offsets[0], offsets[1], offsets[2] = -width - 1, -width, -width + 1
    offsets[3], offsets[4], offsets[5] = 1, width + 1, width
    offsets[6], offsets[7] = width - 1, -1
    listed = np.zeros(grid.size, np.bool_)
    active = np.empty(grid.size, np.int64)
    count = 0
    for r in range(rows):
        for c in range(cols):
            here = (r + 1) * width + c + 1
            if grid[here]:
                for k in range(8):
                    if not grid[here + offsets[k]]:
                        listed[here] = True
                        active[count] = here
                        count += 1
                        break
    removed = np.empty(grid.size, np.int64)
    changed = True
    while changed:
        changed = False
        for sub in (1, 2):
            # Classes are read from the grid as the previous pass left it (nothing is
            # removed until the list has been read). The list keeps the pixels the other
            # pass may remove; a class-0 pixel stays class 0 until a neighbour goes, and
            # then it is listed again.
            gone = 0
            kept = 0
            for a in range(count):
                here = active[a]
                code = (
                    grid[here - width - 1]
                    | grid[here - width] << 1
                    | grid[here - width + 1] << 2
                    | grid[here + 1] << 3
                    | grid[here + width + 1] << 4
                    | grid[here + width] << 5
                    | grid[here + width - 1] << 6
                    | grid[here - 1] << 7
                )
                kind = table[code]
                if kind == 3 or kind == sub:
                    removed[gone] = here
                    gone += 1
                    listed[here] = False
                elif kind == 0:
                    listed[here] = False
                else:
                    active[kept] = here
                    kept += 1
            count = kept
            if gone == 0:
                continue
            changed = True
            for g in range(gone):
                grid[removed[g]] = 0
            for g in range(gone):
                for k in range(8):
                    near = removed[g] + offsets[k]
                    if grid[near] and not listed[near]:
                        listed[near] = True
                        active[count] = near
                        count += 1
    skeleton = np.empty((rows, cols), np.uint8)
    for r in range(rows):
        for c in range(cols):
            skeleton[r, c] = grid[(r + 1) * width + c + 1]
    return skeleton


@njit(cache=True)
def _branch_starts(
    on: np.ndarray, width: int, r: int, c: int, out_r: np.ndarray, out_c: np.ndarray
) -> int:
    """One neighbour pixel per skeleton branch leaving (r, c); returns how many."""
    base = (r + 1) * width + c + 1
    near = np.zeros(8, np.bool_)
    for k in range(8):
        near[k] = on[base + _RING_ROWS[k] * width + _RING_COLS[k]] != 0
    count = 0
    for i in range(8):
        if near[i] and not near[i - 1]:
            # A run of neighbours; prefer its (last) 4-connected member.
            j, best = i, i
            while near[j % 8] and j < i + 8:
                if _RING_ROWS[j % 8] == 0 or _RING_COLS[j % 8] == 0:
                    best = j % 8
                j += 1
            out_r[count] = r + _RING_ROWS[best]
            out_c[count] = c + _RING_COLS[best]
            count += 1
    if count == 0:  # a closed ring of neighbours: start at the first
        for k in range(8):
            if near[k]:
                out_r[0] = r + _RING_ROWS[k]
                out_c[0] = c + _RING_COLS[k]
                return 1
    return count


@njit(cache=True)
def _trace(
    on: np.ndarray,
    labels: np.ndarray,
    width: int,
    start_r: int,
    start_c: int,
    first_r: int,
    first_c: int,
    length: int,
    path: np.ndarray,
) -> tuple[int, int, int, int]:
    """Walk from ``start`` through ``first`` for up to ``length`` steps (``minutiae._trace``).

    Returns ``(row, col, steps, hit)``; ``hit`` is the label of another feature pixel met on
    the way (0 if none). ``path`` is scratch space of at least ``length + 1`` entries.
    """
    prev_r, prev_c = start_r, start_c
    cur_r, cur_c = first_r, first_c
    path[0] = (start_r + 1) * width + start_c + 1
    path[1] = (first_r + 1) * width + first_c + 1
    visited = 2
    steps = 1
    while steps < length:
        here = (cur_r + 1) * width + cur_c + 1
        label = labels[here]
        if label and steps > 1:
            return cur_r, cur_c, steps, label
        next_r, next_c, far = -1, -1, -1
        for k in range(8):
            q = here + _RING_ROWS[k] * width + _RING_COLS[k]
            if on[q]:
                seen = False
                for v in range(visited):
                    if path[v] == q:
                        seen = True
                        break
                if not seen:
                    q_r, q_c = cur_r + _RING_ROWS[k], cur_c + _RING_COLS[k]
                    dist = (q_r - prev_r) ** 2 + (q_c - prev_c) ** 2
                    if dist > far:
                        next_r, next_c, far = q_r, q_c, dist
        if far < 0:
            return cur_r, cur_c, steps, label if steps > 1 else 0
        path[visited] = (next_r + 1) * width + next_c + 1
        visited += 1
        prev_r, prev_c = cur_r, cur_c
        cur_r, cur_c = next_r, next_c
        steps += 1
    return cur_r, cur_c, steps, labels[(cur_r + 1) * width + cur_c + 1]


@njit(cache=True, inline="always")
def _turn(a: float, b: float) -> float:
    """``abs(wrap_angle(a - b))``, with ``wrap_angle`` into [-pi, pi)."""
    return abs((a - b + _PI) % _TWO_PI - _PI)


@njit(cache=True)
def walk_minutiae(
    on: np.ndarray,
    labels: np.ndarray,
    width: int,
    rows: np.ndarray,
    cols: np.ndarray,
    bifurcation: np.ndarray,
    reach: int,
    short_ridge: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Trace every candidate minutia's branches: spurious flags and traced directions.

    Parameters
    ----------
    on : (P,) ndarray of uint8
        The skeleton, flattened, with a frame of zero pixels one wide.
    labels : (P,) ndarray of int64
        ``k + 1`` at candidate ``k``'s pixel, 0 elsewhere (same layout).
    width : int
        Row length of ``on`` (frame included).
    rows, cols : (K,) ndarray of int64
        Candidate pixels (without the frame).
    bifurcation : (K,) ndarray of bool
        True for bifurcations, False for endings.
    reach : int
        Steps traced along each branch.
    short_ridge : float
        A branch reaching another candidate within this many steps makes both spurious.

    Returns
    -------
    spurious : (K,) ndarray of bool
    traced : (K,) ndarray of float64
        Direction (rad) from the branches; NaN when the branches do not fit the kind.
    """
    n = rows.size
    spurious = np.zeros(n, np.bool_)
    traced = np.full(n, np.nan)
    starts_r = np.empty(8, np.int64)
    starts_c = np.empty(8, np.int64)
    vec_r = np.empty(8, np.int64)
    vec_c = np.empty(8, np.int64)
    path = np.empty(reach + 2, np.int64)
    for i in range(n):
        r0, c0 = rows[i], cols[i]
        count = _branch_starts(on, width, r0, c0, starts_r, starts_c)
        for b in range(count):
            r, c, steps, hit = _trace(
                on, labels, width, r0, c0, starts_r[b], starts_c[b], reach, path
            )
            if hit and hit != i + 1 and steps <= short_ridge:
                spurious[i] = True
                spurious[hit - 1] = True
            vec_c[b] = c - c0
            vec_r[b] = r - r0
        if not bifurcation[i] and count == 1:
            traced[i] = np.arctan2(vec_r[0], vec_c[0])
        elif bifurcation[i] and count == 3:
            a0 = np.arctan2(vec_r[0], vec_c[0])
            a1 = np.arctan2(vec_r[1], vec_c[1])
            a2 = np.arctan2(vec_r[2], vec_c[2])
            # Gap k is the angle between the two branches other than k: the fork's two
            # branches are the closest pair, so the stem is the branch opposite it.
            g0, g1, g2 = _turn(a1, a2), _turn(a0, a2), _turn(a0, a1)
            if g0 <= g1 and g0 <= g2:
                traced[i] = a0 + _PI
            elif g1 <= g2:
                traced[i] = a1 + _PI
            else:
                traced[i] = a2 + _PI
        else:
            spurious[i] = True
    return spurious, traced


@njit(cache=True)
def _dilate(cells: np.ndarray, radius: int) -> np.ndarray:
    """``ndimage.binary_dilation`` with the 4-connected cross, ``iterations=radius``: the
    cells within city-block distance ``radius`` of a set cell."""
    return city_block(~cells, radius + 1, False) <= radius


@njit(cache=True)
def _erode(cells: np.ndarray, radius: int) -> np.ndarray:
    """``ndimage.binary_erosion`` with the 4-connected cross, ``iterations=radius`` and
    ``border_value=0``: the cells farther than ``radius`` from every unset cell and from the
    outside."""
    return city_block(cells, radius + 1, True) > radius


@njit(cache=True)
def clean_cells(cells: np.ndarray, radius: int, cell_area: int, min_area: float) -> np.ndarray:
    """The segmentation's clean-up of a foreground cell grid, as the ndimage calls it replaced.

    In order: ``binary_closing(cells, cross, iterations=radius, border_value=0)``,
    ``binary_opening(..., cross, iterations=radius)``, ``binary_fill_holes`` and dropping the
    4-connected pieces (``ndimage.label``) whose cell count times ``cell_area`` is below
    ``min_area``. Iterating a 4-connected erosion or dilation ``radius`` times is one erosion
    or dilation by the city-block disc of that radius, so each is one distance transform.

    Parameters
    ----------
    cells : (M, N) ndarray of bool
        Cells that pass the foreground tests.
    radius : int
        Closing and opening radius (cells).
    cell_area : int
        Pixels per cell.
    min_area : float
        Smallest piece kept (pixels).

    Returns
    -------
    mask : (M, N) ndarray of bool
    """
    rows, cols = cells.shape
    grid = _erode(_dilate(cells, radius), radius)  # closing
    grid = _dilate(_erode(grid, radius), radius)  # opening
    # Holes: background cells the outside cannot reach through 4-connected background.
    outside = np.zeros((rows, cols), np.bool_)
    queue = np.empty(rows * cols, np.int64)
    tail = 0
    for r in range(rows):
        for c in range(cols):
            if (r == 0 or c == 0 or r == rows - 1 or c == cols - 1) and not grid[r, c]:
                outside[r, c] = True
                queue[tail] = r * cols + c
                tail += 1
    head = 0
    while head < tail:
        r, c = divmod(queue[head], cols)
        head += 1
        for k in range(0, 8, 2):
            nr, nc = r + _RING_ROWS[k], c + _RING_COLS[k]
            if 0 <= nr < rows and 0 <= nc < cols and not grid[nr, nc] and not outside[nr, nc]:
                outside[nr, nc] = True
                queue[tail] = nr * cols + nc
                tail += 1
    filled = ~outside
    # Pieces: flood each, keep it if large enough.
    seen = np.zeros((rows, cols), np.bool_)
    mask = np.zeros((rows, cols), np.bool_)
    for r0 in range(rows):
        for c0 in range(cols):
            if not filled[r0, c0] or seen[r0, c0]:
                continue
            seen[r0, c0] = True
            queue[0] = r0 * cols + c0
            head, tail = 0, 1
            while head < tail:
                r, c = divmod(queue[head], cols)
                head += 1
                for k in range(0, 8, 2):
                    nr, nc = r + _RING_ROWS[k], c + _RING_COLS[k]
                    if 0 <= nr < rows and 0 <= nc < cols and filled[nr, nc] and not seen[nr, nc]:
                        seen[nr, nc] = True
                        queue[tail] = nr * cols + nc
                        tail += 1
            if tail * cell_area >= min_area:
                for k in range(tail):
                    r, c = divmod(queue[k], cols)
                    mask[r, c] = True
    return mask


@njit(cache=True)
def _parabolas(f: np.ndarray, out: np.ndarray) -> None:
    """``out[q] = min_k f[k] + (q - k)^2`` (Felzenszwalb and Huttenlocher, "Distance
    transforms of sampled functions", Theory of Computing 8, 2012): the lower envelope of the
    parabolas, in whole numbers."""
    n = f.size
    v = np.empty(n, np.int64)
    z = np.empty(n + 1, np.float64)
    k = 0
    v[0] = 0
    z[0] = -np.inf
    z[1] = np.inf
    for q in range(1, n):
        p = v[k]
        s = ((f[q] + q * q) - (f[p] + p * p)) / (2.0 * (q - p))
        while s <= z[k]:  # never at k = 0, where z is -inf
            k -= 1
            p = v[k]
            s = ((f[q] + q * q) - (f[p] + p * p)) / (2.0 * (q - p))
        k += 1
        v[k] = q
        z[k] = s
        z[k + 1] = np.inf
    k = 0
    for q in range(n):
        while z[k + 1] < q:
            k += 1
        d = q - v[k]
        out[q] = d * d + f[v[k]]


@njit(cache=True)
def euclidean_distance(on: np.ndarray) -> np.ndarray:
    """Exact Euclidean distance from every pixel to the nearest pixel that is not ``on``.

    ``ndimage.distance_transform_edt`` to the last bit: squared distances are whole numbers,
    found by the separable lower-envelope transform (columns, then rows), and their square
    roots are taken in float64 as scipy takes them. At least one pixel must be off.

    Parameters
    ----------
    on : (M, N) ndarray of bool

    Returns
    -------
    distance : (M, N) ndarray of float64
    """
    rows, cols = on.shape
    far = (rows + cols) * (rows + cols)
    column = np.empty((rows, cols), np.int64)
    for c in range(cols):
        last = -1
        for r in range(rows):  # distance to the nearest off pixel above, then below
            if not on[r, c]:
                last = r
            column[r, c] = far if last < 0 else (r - last) * (r - last)
        last = -1
        for r in range(rows - 1, -1, -1):
            if not on[r, c]:
                last = r
            if last >= 0 and (last - r) * (last - r) < column[r, c]:
                column[r, c] = (last - r) * (last - r)
    squared = np.empty(cols, np.int64)
    distance = np.empty((rows, cols), np.float64)
    for r in range(rows):
        _parabolas(column[r].copy(), squared)
        for c in range(cols):
            distance[r, c] = np.sqrt(np.float64(squared[c]))
    return distance


@njit(cache=True)
def block_means(padded: np.ndarray, half: int) -> np.ndarray:
    """Means of the half-overlapping blocks of ``padded``, from the sums of their cells.

    Each ``half``-px cell is summed in float64 and each block's four cells added as
    :func:`.spectra.block_spectra` added them, then divided and rounded to float32. The cell
    sums are exact in any order for grey levels that are whole numbers or at least
    2**-14 (a cell of at most 256 pixels of at most 255 needs 16 bits above the point, a
    float32 level 23 below its leading bit), so the means equal numpy's reduction to
    the last bit.

    Parameters
    ----------
    padded : (P, Q) ndarray of float32
        Image with its border; both sides multiples of ``half``.
    half : int
        Half the block side (px).

    Returns
    -------
    mean : (P / half - 1, Q / half - 1) ndarray of float32
    """
    rows, cols = padded.shape
    n_r, n_c = rows // half, cols // half
    cells = np.zeros((n_r, n_c), np.float64)
    for r in range(rows):
        i = r // half
        row = padded[r]
        for j in range(n_c):
            total = 0.0
            for c in range(j * half, (j + 1) * half):
                total += row[c]
            cells[i, j] += total
    window = 4.0 * half * half
    mean = np.empty((n_r - 1, n_c - 1), np.float32)
    for i in range(n_r - 1):
        for j in range(n_c - 1):
            total = cells[i, j] + cells[i + 1, j] + cells[i, j + 1] + cells[i + 1, j + 1]
            mean[i, j] = total / window
    return mean


@njit(cache=True)
def touching_blocks(mask: np.ndarray, half: int, grid: tuple[int, int]) -> np.ndarray:
    """Blocks whose window overlaps the mask (``enhance._touching``), in one pass.

    The image is cut into half-window cells from pixel ``-half`` on (cell ``k`` covers image
    rows ``(k - 1) * half … k * half - 1``); block ``(i, j)`` covers cells ``i - 1 … i`` and
    ``j - 1 … j``. Each cell's any-reduction stops at its first foreground pixel, where
    numpy reduced a padded copy of the mask over two strided axes.

    Parameters
    ----------
    mask : (M, N) ndarray of bool
        Foreground; at most ``grid[0] * half`` rows and ``grid[1] * half`` columns.
    half : int
        Half the window (px).
    grid : (int, int)
        Blocks per column and per row.

    Returns
    -------
    touching : grid-shaped ndarray of bool
    """
    n_r, n_c = grid
    rows, cols = mask.shape
    cells = np.zeros((n_r + 1, n_c + 1), np.bool_)
    for ci in range(1, n_r + 1):
        r0 = (ci - 1) * half
        r1 = min(r0 + half, rows)
        for cj in range(1, n_c + 1):
            c0 = (cj - 1) * half
            c1 = min(c0 + half, cols)
            found = False
            for r in range(r0, r1):
                row = mask[r]
                for c in range(c0, c1):
                    if row[c]:
                        found = True
                        break
                if found:
                    break
            cells[ci, cj] = found
    touching = np.empty((n_r, n_c), np.bool_)
    for i in range(n_r):
        for j in range(n_c):
            touching[i, j] = cells[i, j] | cells[i + 1, j] | cells[i, j + 1] | cells[i + 1, j + 1]
    return touching


@njit(cache=True)
def ring_wraps(doubled: np.ndarray, path_rows: np.ndarray, path_cols: np.ndarray) -> np.ndarray:
    """Net wraps of the doubled orientation around a closed path about every grid point.

    What :func:`.singular.singular_points` computed with sixteen shifted views of the
    edge-padded field: for each step ``b - a`` (float64) between consecutive samples of the
    path (the last back to the first), +1 when it is below ``-pi``, -1 when it is ``pi`` or
    more. Samples off the grid read its nearest edge sample.

    Parameters
    ----------
    doubled : (M, N) ndarray of float64
        Doubled orientation angles.
    path_rows, path_cols : (K,) ndarray of int64
        Offsets of the path's samples, in order (at most 2 off the grid on any side).

    Returns
    -------
    wraps : (M, N) ndarray of int8
    """
    rows, cols = doubled.shape
    n = path_rows.size
    # The field with its edge samples repeated two deep (np.pad(doubled, 2, mode="edge")).
    p = np.empty((rows + 4, cols + 4), np.float64)
    for r in range(rows + 4):
        src = doubled[min(max(r - 2, 0), rows - 1)]
        for c in range(cols + 4):
            p[r, c] = src[min(max(c - 2, 0), cols - 1)]
    wraps = np.zeros((rows, cols), np.int8)
    for r in range(rows):
        out = wraps[r]
        for k in range(n):
            j = k - 1 if k > 0 else n - 1
            a = p[2 + r + path_rows[j], 2 + path_cols[j] : 2 + path_cols[j] + cols]
            b = p[2 + r + path_rows[k], 2 + path_cols[k] : 2 + path_cols[k] + cols]
            for c in range(cols):
                turn = b[c] - a[c]
                out[c] += np.int8(turn < -_PI) - np.int8(turn >= _PI)
    return wraps


@njit(cache=True)
def _block_sum(values: np.ndarray, start: int, n: int) -> np.float32:
    """``values[start : start + n].sum()`` (float32) for ``n`` up to 128, as numpy adds a
    contiguous run that short: one by one from -0 under 8, else eight interleaved partial
    sums, paired, then the rest one by one (``pairwise_sum`` in numpy's
    ``loops_utils.h.src``)."""
    if n < 8:
        res = np.float32(-0.0)
        for i in range(n):
            res += values[start + i]
        return res
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = 8
    while i < n - n % 8:
        r0 += values[start + i]
        r1 += values[start + i + 1]
        r2 += values[start + i + 2]
        r3 += values[start + i + 3]
        r4 += values[start + i + 4]
        r5 += values[start + i + 5]
        r6 += values[start + i + 6]
        r7 += values[start + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += values[start + i]
        i += 1
    return res


@njit(cache=True)
def _pairwise_sum(values: np.ndarray, start: int, n: int) -> np.float32:
    """``values[start : start + n].sum()`` for float32, as numpy adds a contiguous run:
    blocks of up to 128 summed by :func:`_block_sum`, longer runs split in two at a multiple
    of 8 below the middle and the two sums added (numpy recurses; this walks the same tree
    with a stack)."""
    if n <= 128:
        return _block_sum(values, start, n)
    starts = np.empty(64, np.int64)
    counts = np.empty(64, np.int64)
    phase = np.zeros(64, np.int8)
    left = np.empty(64, np.float32)
    starts[0], counts[0] = start, n
    top = 1
    ret = np.float32(0.0)
    while True:
        f = top - 1
        if phase[f] == 0 and counts[f] <= 128:
            ret = _block_sum(values, starts[f], counts[f])
            top -= 1
            if top == 0:
                return ret
        elif phase[f] == 0 or phase[f] == 1:
            half = counts[f] // 2
            half -= half % 8
            if phase[f] == 0:  # descend into the first half
                phase[f] = 1
                starts[top], counts[top], phase[top] = starts[f], half, 0
            else:  # the first half's sum is in; descend into the second
                left[f] = ret
                phase[f] = 2
                starts[top], counts[top], phase[top] = starts[f] + half, counts[f] - half, 0
            top += 1
        else:  # both halves are in
            ret = left[f] + ret
            top -= 1
            if top == 0:
                return ret


@njit(cache=True)
def angular_exponents(
    c2: np.ndarray, s2: np.ndarray, cos_n: np.ndarray, sin_n: np.ndarray, angular: np.float32
) -> np.ndarray:
    """Exponent of the angular weight of every block's spectrum samples, float32.

    The weight of a sample at direction ``φ`` around a block's ridge normal ``n`` is taken
    modulo pi (the spectrum has two lobes) in the von Mises form
    ``exp((cos 2d - 1) / (4 s^2)) ~ exp(-d^2 / (2 s^2))`` for small ``d = φ - n``, with
    ``cos 2d = cos 2φ · cos 2n + sin 2φ · sin 2n`` from precomputed cosines and sines (no
    per-sample angles). This is ``(c2 · cos 2n + s2 · sin 2n - 1) · angular``, each
    operation rounded to float32 in the order the former numpy code wrote them (kept in
    ``tests/core/extract/test_fused_kernels.py``); the caller takes the exponential with
    numpy, as that code did.

    Parameters
    ----------
    c2, s2 : (K,) ndarray of float32
        ``cos 2φ``, ``sin 2φ`` of each sample's direction.
    cos_n, sin_n : (B,) ndarray of float32
        ``cos 2n``, ``sin 2n`` of each block's ridge normal.
    angular : float32
        ``1 / (4 σa²)``.

    Returns
    -------
    exponent : (B, K) ndarray of float32
    """
    out = np.empty((cos_n.size, c2.size), np.float32)
    one = np.float32(1.0)
    for b in range(cos_n.size):
        cn, sn = cos_n[b], sin_n[b]
        row = out[b]
        for k in range(c2.size):
            row[k] = (c2[k] * cn + s2[k] * sn - one) * angular
    return out


@njit(cache=True)
def band_sums(
    spectra: np.ndarray, samples: np.ndarray, angular: np.ndarray, radius: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sums :func:`.enhance.ridge_band` takes over each block's spectrum, in one pass.

    With ``w = (re² + im²) · angular`` over the band's samples (float32, in that order):
    ``Σ w²``, ``Σ w² · radius`` and ``Σ w``; and over the spectrum's first column
    ``Σ (re² + im²)`` and its first sample's ``re² + im²``. The band's sums add the samples
    one by one, in order, from 0, as numpy did: gathering the band with a fancy index put
    the sample axis outermost in memory, so numpy's reduction over it added whole
    (R, C) planes in turn. The first column's sum is numpy's pairwise sum of a contiguous
    run (see :func:`_pairwise_sum`). The same float32 results, without gathering the band
    or writing its temporaries.

    Parameters
    ----------
    spectra : (R, C, W, V) ndarray of complex64
        Block spectra, C-ordered.
    samples : (K,) ndarray of int64
        Flat indices (into ``W × V``) of the band's samples.
    angular : (R·C, K) ndarray of float32
        Angular weight of each block's samples.
    radius : (K,) ndarray of float32
        Radius of each sample.

    Returns
    -------
    sq, weighted, energy, column, dc : (R, C) ndarray of float32
    """
    n_r, n_c, rows, cols = spectra.shape
    k_n = samples.size
    sq = np.empty((n_r, n_c), np.float32)
    weighted = np.empty((n_r, n_c), np.float32)
    energy = np.empty((n_r, n_c), np.float32)
    column = np.empty((n_r, n_c), np.float32)
    dc = np.empty((n_r, n_c), np.float32)
    first = np.empty(rows, np.float32)
    flat = spectra.reshape(n_r, n_c, rows * cols)
    zero = np.float32(0.0)
    for i in range(n_r):
        for j in range(n_c):
            block = flat[i, j]
            gain = angular[i * n_c + j]
            s_sq, s_weighted, s_energy = zero, zero, zero
            for k in range(k_n):
                z = block[samples[k]]
                v = (z.real * z.real + z.imag * z.imag) * gain[k]
                s_sq += v * v
                s_weighted += (v * v) * radius[k]
                s_energy += v
            sq[i, j], weighted[i, j], energy[i, j] = s_sq, s_weighted, s_energy
            for r in range(rows):
                z = block[r * cols]
                first[r] = z.real * z.real + z.imag * z.imag
            column[i, j] = zero + _pairwise_sum(first, 0, rows)
            dc[i, j] = first[0]
    return sq, weighted, energy, column, dc


@njit(cache=True)
def skeleton_candidates(
    on: np.ndarray, width: int, edge: np.ndarray, mask: np.ndarray, step: int, min_border: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Skeleton pixels that may be minutiae: crossing number 1 or 3, far enough inside.

    What :func:`.minutiae.find_minutiae` did with ``np.flatnonzero``, ``_crossing_number``
    and its border distance over every skeleton pixel, in one scan: the pixels in row-major
    order whose crossing number (half the on/off changes around their 8 neighbours) is 1 or
    3 and whose ``edge[r // step, c // step] * mask[r, c]`` is at least ``min_border``.

    Parameters
    ----------
    on : (P,) ndarray of uint8
        The skeleton, 0/1, flattened, with a frame of zero pixels one wide.
    width : int
        Row length of ``on`` (frame included).
    edge : (ceil(M / step), ceil(N / step)) ndarray of float64
        Distance to the foreground edge on the ``step`` grid.
    mask : (M, N) ndarray of bool
        Foreground.
    step : int
        Grid spacing of ``edge`` (px).
    min_border : float
        Least distance to the edge (px).

    Returns
    -------
    rows, cols : (K,) ndarray of int64
    crossing : (K,) ndarray of int8
        1 (ending) or 3 (bifurcation).
    """
    rows_n, cols_n = mask.shape
    offsets = np.empty(8, np.int64)  # _RING order: N, NE, E, SE, S, SW, W, NW
    for k in range(8):
        offsets[k] = _RING_ROWS[k] * width + _RING_COLS[k]
    size = 1024
    out_r = np.empty(size, np.int64)
    out_c = np.empty(size, np.int64)
    out_n = np.empty(size, np.int8)
    count = 0
    for r in range(rows_n):
        base = (r + 1) * width + 1
        for c in range(cols_n):
            here = base + c
            if not on[here]:
                continue
            changes = 0
            last = on[here + offsets[7]]
            for k in range(8):
                now = on[here + offsets[k]]
                changes += now != last
                last = now
            crossing = changes // 2
            if crossing != 1 and crossing != 3:
                continue
            if not edge[r // step, c // step] * mask[r, c] >= min_border:
                continue
            if count == size:
                size *= 2
                out_r = np.concatenate((out_r, np.empty(size - count, np.int64)))
                out_c = np.concatenate((out_c, np.empty(size - count, np.int64)))
                out_n = np.concatenate((out_n, np.empty(size - count, np.int8)))
            out_r[count], out_c[count], out_n[count] = r, c, crossing
            count += 1
    return out_r[:count].copy(), out_c[:count].copy(), out_n[:count].copy()
