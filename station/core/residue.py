"""Residue on a scanner's platen, measured from an empty-platen frame.

Before a finger touches, a live-scan device sees only its platen: an even background (the
flat field). Smudges and dust left by earlier fingers show as persistent dark blobs on it.
:func:`platen_residue` measures them as the share of the frame clearly darker than the
background (the frame's median: residue covers a small part of the glass), so the station can
ask the officer to clean the platen before the dirt darkens the prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DARKER", "DIRTY_SHARE", "PlatenResidue", "platen_residue"]

#: Grey levels below the background from which a pixel counts as residue.
DARKER = 12
#: Share of the platen (0..1) covered by residue from which it needs cleaning.
DIRTY_SHARE = 0.002


@dataclass(frozen=True)
class PlatenResidue:
    """What an empty-platen frame shows.

    Attributes
    ----------
    share : float
        Share of the frame (0..1) at least ``darker`` grey levels below the background.
    background : float
        The platen's background grey level (the frame's median).
    dirty : bool
        ``share`` reached ``dirty_share``: the platen needs cleaning.
    """

    share: float
    background: float
    dirty: bool

    @property
    def percent(self) -> float:
        """``share`` in percent."""
        return 100.0 * self.share


def platen_residue(
    frame: np.ndarray, *, darker: int = DARKER, dirty_share: float = DIRTY_SHARE
) -> PlatenResidue:
    """Measure residue on an empty platen from one frame.

    Parameters
    ----------
    frame : (M, N) ndarray
        A frame with nothing on the platen (grey levels, uint8 or float).
    darker : int
        Grey levels below the background from which a pixel counts as residue (> 0).
    dirty_share : float
        Share (0 < share <= 1) of residue from which the platen is called dirty.

    Returns
    -------
    PlatenResidue

    Examples
    --------
    >>> clean = np.full((10, 10), 200, np.uint8)
    >>> platen_residue(clean)
    PlatenResidue(share=0.0, background=200.0, dirty=False)
    >>> smudged = clean.copy()
    >>> smudged[2:4, 3:5] = 150
    >>> platen_residue(smudged)
    PlatenResidue(share=0.04, background=200.0, dirty=True)
    """
    image = np.asarray(frame)
    if image.ndim != 2 or image.size == 0:
        raise ValueError(f"frame must be a non-empty 2-D image, got shape {image.shape}")
    if isinstance(darker, bool) or not isinstance(darker, int) or darker <= 0:
        raise ValueError(f"darker must be a positive whole number of grey levels, got {darker!r}")
    if not 0.0 < float(dirty_share) <= 1.0:
        raise ValueError(f"dirty_share must lie in (0, 1], got {dirty_share!r}")
    values = image.astype(np.float64)
    background = float(np.median(values))
    share = float(np.count_nonzero(values <= background - darker)) / values.size
    return PlatenResidue(share=share, background=background, dirty=share >= dirty_share)
