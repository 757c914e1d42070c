"""Figures of a verification run, drawn with matplotlib (the ``bench`` extra)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.match.metrics import rate_curves

__all__ = ["PlotsUnavailableError", "det_plot", "histogram_plot"]


class PlotsUnavailableError(RuntimeError):
    """matplotlib (the ``bench`` extra) is not installed, so no plot can be drawn."""


def _pyplot():
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - depends on the environment
        raise PlotsUnavailableError("plots need matplotlib: pip install -e '.[bench]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def det_plot(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> Path:
    """DET curves (FNMR against FMR, log axes) of named (genuine, impostor) score sets."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5), dpi=110)
    for name, (genuine, impostor) in curves.items():
        _, fmr, fnmr = rate_curves(genuine, impostor)
        floor = 0.5 / max(len(impostor), 1), 0.5 / max(len(genuine), 1)
        ax.step(np.maximum(fmr, floor[0]), np.maximum(fnmr, floor[1]), where="post", label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("false match rate (FMR)")
    ax.set_ylabel("false non-match rate (FNMR)")
    ax.set_title("DET curve")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def histogram_plot(genuine: np.ndarray, impostor: np.ndarray, path: Path) -> Path:
    """Genuine and impostor score distributions (log counts)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=110)
    bins = np.linspace(0.0, 1.0, 51)
    ax.hist(impostor, bins=bins, alpha=0.6, label=f"impostor ({len(impostor)})", color="tab:red")
    ax.hist(genuine, bins=bins, alpha=0.6, label=f"genuine ({len(genuine)})", color="tab:green")
    ax.set_yscale("log")
    ax.set_xlabel("comparison score")
    ax.set_ylabel("comparisons")
    ax.set_title("Score distributions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
