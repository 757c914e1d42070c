"""The Qt booking window (Qt only; every computation lives in the services below it).

``main_window(gallery)`` builds the station window in-process, for tests and scripts;
``run(argv)`` is what ``station`` with no arguments starts.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from station.gallery import GalleryError

__all__ = ["main_window", "run"]

log = logging.getLogger(__name__)


def main_window(gallery: str | Path | None = None, *, operator: object = None) -> QMainWindow:
    """Build the station window on a gallery file (not shown).

    Parameters
    ----------
    gallery : str or Path, optional
        Gallery file; default ``paths.gallery`` from the settings. Created empty if missing.
    operator : station.service.Operator, optional
        An operator already signed in (scripts and tests). Without one, showing the window
        opens the first-run administrator set-up (a gallery with no accounts) or the login
        dialog, and the window stays disabled until someone signs in.

    Returns
    -------
    QMainWindow
        A :class:`station.gui.station_window.StationWindow`. A ``QApplication`` must exist.

    Examples
    --------
    >>> window = main_window("db/gallery.sqlite")  # doctest: +SKIP
    >>> window.show()  # doctest: +SKIP
    """
    from .station_window import build_window

    return build_window(gallery, operator=operator)  # type: ignore[arg-type]


def _excepthook(window_ref: list[QMainWindow]):
    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("unexpected error", exc_info=(kind, exc, tb))
        if window_ref:
            window = window_ref[0]
            show = getattr(window, "show_error", None)
            if callable(show):
                show(
                    f"Something went wrong ({exc}). The booking is saved as far as it got; "
                    "retry the last step, or start a new booking. Details are in the log."
                )

    return hook


def run(argv: Sequence[str] | None = None) -> int:
    """Start the station: create the application, make sure a gallery exists, show the window.

    Parameters
    ----------
    argv : sequence of str, optional
        Qt command-line arguments (default ``sys.argv``).

    Returns
    -------
    int
        Exit code (1 if the officer cancelled building the gallery).
    """
    from station.settings import get_settings

    from .first_run import ensure_gallery

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationName("Booking Station")
    app.setOrganizationName("Booking Station")
    try:
        settings = get_settings()
    except ValueError as exc:  # a settings file with a typo or an impossible value
        log.error("bad settings file: %s", exc)
        QMessageBox.critical(
            None,
            "Booking Station",
            f"The settings file cannot be used:\n\n{exc}\n\nCorrect it (or unset "
            "STATION_SETTINGS to start with the defaults).",
        )
        return 2
    path = Path(settings.paths.gallery)
    if not ensure_gallery(path, None):
        log.warning("no gallery: the officer cancelled building %s", path)
        return 1
    windows: list[QMainWindow] = []
    sys.excepthook = _excepthook(windows)
    try:
        window = main_window(path)
    except GalleryError as exc:  # not a gallery, newer schema, locked or damaged
        log.error("cannot open gallery %s: %s", path, exc)
        QMessageBox.critical(
            None,
            "Booking Station",
            f"The gallery cannot be opened:\n\n{exc}\n\nClose any other program using it, "
            "or point [paths] gallery in the settings file at another gallery "
            "(a missing file is built afresh).",
        )
        return 2
    windows.append(window)
    window.show()
    return int(app.exec())
