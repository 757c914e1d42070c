"""Short-time Fourier analysis of a print: overlapping windowed blocks and their spectra.

Blocks of ``window`` px are taken every ``window / 2`` px with a square-root Hann window, so
analysis and synthesis windows multiply to a Hann window whose 50 % overlaps sum to one:
filtering each block's spectrum and adding the blocks back is exact where no filter acts
(Chikkerur, Cartwright and Govindaraju, "Fingerprint enhancement using STFT analysis",
Pattern Recognition 40, 2007).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import fft

__all__ = ["BlockSpectra", "block_spectra", "overlap_add"]


@dataclass(frozen=True)
class BlockSpectra:
    """Spectra of overlapping blocks.

    Attributes
    ----------
    spectra : (R, C, W, W//2+1) ndarray of complex
        ``rfft2`` of each windowed, mean-removed block.
    centres_x, centres_y : (R, C) ndarray
        Block centres in image pixels.
    fu, fv : (W, W//2+1) ndarray
        Frequencies (cycles/px) along x and y of each spectrum sample.
    window : (W, W) ndarray
        The synthesis window.
    shape : tuple of int
        Image shape.
    """

    spectra: np.ndarray
    centres_x: np.ndarray
    centres_y: np.ndarray
    fu: np.ndarray
    fv: np.ndarray
    window: np.ndarray
    shape: tuple[int, int]


@functools.lru_cache(maxsize=4)
def _root_hann(size: int) -> np.ndarray:
    n = np.arange(size)
    h = 0.5 - 0.5 * np.cos(2 * np.pi * n / size)  # periodic Hann: 50 % overlaps sum to 1
    win = np.sqrt(np.outer(h, h)).astype(np.float32)
    win.setflags(write=False)
    return win


def block_spectra(image: np.ndarray, fill: float, window: int) -> BlockSpectra:
    """Cut ``image`` into half-overlapping blocks and take their spectra.

    Parameters
    ----------
    image : (M, N) ndarray
        Grey image.
    fill : float
        Grey level used to pad the image's border.
    window : int
        Block side (px, even).

    Returns
    -------
    spectra : BlockSpectra
    """
    half = window // 2
    rows, cols = image.shape
    pr = half + (-(rows + 2 * half) % half)
    pc = half + (-(cols + 2 * half) % half)
    padded = np.pad(
        image.astype(np.float32, copy=False), [(half, pr), (half, pc)], constant_values=fill
    )
    n_r, n_c = padded.shape[0] // half - 1, padded.shape[1] // half - 1
    # Block means from the sums of the half-window cells each block is made of; cut,
    # centred and windowed in one compiled pass into a C-ordered batch (the batched FFT
    # reads a contiguous batch faster).
    from ._kernels import block_means, centred_blocks

    mean = block_means(padded, half)
    centred = np.empty((n_r, n_c, window, window), np.float32)
    centred_blocks(padded, mean, _root_hann(window), centred)
    spectra = fft.rfft2(centred, axes=(2, 3), overwrite_x=True, workers=1)
    # Block (i, j) covers padded rows i*half … i*half+window, i.e. image rows from
    # i*half - half; its centre is at image row i*half.
    centres_y = np.broadcast_to(np.arange(n_r)[:, None] * float(half), (n_r, n_c))
    centres_x = np.broadcast_to(np.arange(n_c)[None, :] * float(half), (n_r, n_c))
    fv = np.fft.fftfreq(window)[:, None] * np.ones((1, half + 1))
    fu = np.fft.rfftfreq(window)[None, :] * np.ones((window, 1))
    return BlockSpectra(spectra, centres_x, centres_y, fu, fv, _root_hann(window), (rows, cols))


def overlap_add(
    spec: BlockSpectra,
    filtered: np.ndarray,
    where: tuple[np.ndarray, ...],
    *,
    negate: bool = False,
) -> np.ndarray:
    """Inverse transform filtered block spectra and add the blocks back into an image.

    Parameters
    ----------
    spec : BlockSpectra
        The spectra the blocks were cut with (window, grid, image shape).
    filtered : (B, W, W//2+1) ndarray of complex
        Filtered spectra of the blocks at grid positions ``where``.
    where : tuple of (B,) ndarray of int
        Block rows and columns, each block at most once; blocks not listed add nothing.
    negate : bool, optional
        Return the image negated.

    Returns
    -------
    image : (M, N) ndarray of float32
    """
    from ._kernels import overlap_blocks

    window = spec.window.shape[0]
    blocks = fft.irfft2(filtered, s=(window, window), axes=(1, 2), overwrite_x=True, workers=1)
    # Windowed and added quarter by quarter, compiled (each quarter of a block lands on its
    # own tile; the tiles add the quarters in a fixed order).
    i, j = where
    return overlap_blocks(
        blocks.astype(np.float32, copy=False),
        spec.window,
        np.asarray(i, np.int64),
        np.asarray(j, np.int64),
        spec.centres_x.shape,
        spec.shape,
        -1.0 if negate else 1.0,
    )
