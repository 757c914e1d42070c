"""The Qt booking window (Qt only; every computation lives in the services below it).

``main_window(gallery)`` builds the station window in-process, for tests and scripts;
``start(argv)`` shows it as ``station`` does (settings checked, the default gallery built in
the background on a first start); ``run(argv)`` is what ``station`` with no arguments starts.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from station.gallery import GalleryError

__all__ = ["main_window", "run", "start"]

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


def start(
    argv: Sequence[str] | None = None,
    *,
    subjects: int | None = None,
    record: str | Path | None = None,
) -> QMainWindow | None:
    """Create the application and show the station window; a first start builds the default
    gallery in the background.

    Parameters
    ----------
    argv : sequence of str, optional
        Qt command-line arguments (default ``sys.argv``).
    subjects : int, optional
        Subjects of the default gallery when it has to be built (default
        :data:`~station.gui.first_run.DEFAULT_SUBJECTS`).
    record : str or Path, optional
        Record the bookings to this test file (``station --record FILE.py``; the window's
        Record toggle is on).

    Returns
    -------
    QMainWindow or None
        The shown window; None when the settings file or the gallery cannot be used (a
        message box said why and what to do).
    """
    from station.settings import ENV_VAR, get_settings

    from .first_run import DEFAULT_SUBJECTS, needs_build

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    app.setApplicationName("Booking Station")
    app.setOrganizationName("Booking Station")
    try:
        settings = get_settings()
    except ValueError as exc:  # the settings file is unreadable or invalid: say so, no traceback
        log.error("settings: %s", exc)
        QMessageBox.critical(
            None,
            "Booking Station",
            f"The settings file cannot be used:\n\n{exc}\n\nCorrect the file (the message "
            f"names the line or key), or start without it by unsetting {ENV_VAR}.",
        )
        return None
    path = settings.paths.gallery_file
    build = needs_build(path)
    if build:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        window = main_window(path)
    except (GalleryError, OSError) as exc:  # not a gallery, newer schema, locked or damaged
        log.error("cannot open gallery %s: %s", path, exc)
        QMessageBox.critical(
            None,
            "Booking Station",
            f"The gallery cannot be opened:\n\n{exc}\n\nClose any other program using it, "
            "or point [paths] gallery in the settings file at another gallery "
            "(a missing file is built afresh).",
        )
        return None
    window.show()
    if record is not None:
        window.start_recording(record)  # type: ignore[attr-defined]
    if build:
        window.build_default_gallery(  # type: ignore[attr-defined]
            DEFAULT_SUBJECTS if subjects is None else subjects,
            population=settings.synth.population,
        )
    return window


def run(argv: Sequence[str] | None = None, *, record: str | Path | None = None) -> int:
    """Start the station (:func:`start`) and run it until the officer quits.

    Parameters
    ----------
    argv : sequence of str, optional
        Qt command-line arguments (default ``sys.argv``).
    record : str or Path, optional
        Record the bookings to this test file (see :func:`start`).

    Returns
    -------
    int
        Exit code (2 when the settings file or the gallery cannot be used).
    """
    window = start(argv, record=record)
    if window is None:
        return 2
    sys.excepthook = _excepthook([window])
    return int(QApplication.instance().exec())
