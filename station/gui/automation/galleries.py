"""Throw-away galleries and windows for the test kit (and the project's own GUI tests).

A kit gallery is a seeded synthetic gallery with two accounts: ``admin`` (administrator) and
``kim`` (officer and examiner, the one the window is signed in as). Seeding renders and
extracts ten rolled prints per subject, so the plugin builds each size once per test session
and gives every test a private copy.
"""

from __future__ import annotations

from pathlib import Path

from station.gallery import open_gallery
from station.scanner import MockSettings
from station.service import AccountService, Operator, seed

from .waiting import EventLoopWaiter, NotReadyError, Waiter

__all__ = [
    "ADMIN_PASSWORD",
    "ADMIN_USER",
    "FAST_SCANNER",
    "OFFICER_PASSWORD",
    "OFFICER_USER",
    "copy_gallery",
    "open_station_window",
    "prepare_gallery",
    "sign_in",
]

#: A fast mock scanner: 200 fps preview, the print settles after 2-3 frames.
FAST_SCANNER = MockSettings(
    fps=200.0, approach_frames=1, press_frames=1, settle_frames=(2, 3), empty_frames=4
)
#: The accounts of a kit gallery (synthetic, for throw-away galleries only).
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin password"
OFFICER_USER, OFFICER_PASSWORD = "kim", "kim password"


def prepare_gallery(
    path: str | Path,
    *,
    subjects: int = 4,
    population: int = 0,
    source: str | Path | None = None,
    workers: int | None = 2,
) -> Path:
    """Build a kit gallery: ``subjects`` seeded synthetic subjects and the two accounts.

    Parameters
    ----------
    path : str or Path
        The new gallery file (must not exist).
    subjects : int
        Synthetic subjects of ``population`` to enrol (the first ``subjects`` that have
        records, as ``station seed`` enrols them).
    population : int
        Population seed.
    source : str or Path, optional
        An already seeded gallery to copy instead of seeding (read only).
    workers : int, optional
        Seeding processes (default 2).

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> prepare_gallery(tmp / "gallery.sqlite", subjects=4)  # doctest: +SKIP
    """
    path = Path(path)
    if subjects < 1:
        raise ValueError(f"a kit gallery needs at least 1 subject, got {subjects}")
    if path.exists():
        raise ValueError(f"{path} already exists: a kit gallery is built in a new file")
    if source is not None:
        with open_gallery(source, readonly=True) as gallery:
            gallery.copy_to(path)
    else:
        seed(path, subjects, population=population, workers=workers)
    with open_gallery(path) as gallery:
        accounts = AccountService(gallery)
        admin = accounts.create_first_administrator(ADMIN_USER, ADMIN_PASSWORD)
        accounts.add_user(
            admin, OFFICER_USER, OFFICER_PASSWORD, "officer,examiner", display_name="Kim Lee"
        )
    return path


def copy_gallery(source: str | Path, dest: str | Path) -> Path:
    """A private copy of ``source`` at ``dest`` (for a test that writes)."""
    dest = Path(dest)
    with open_gallery(source, readonly=True) as gallery:
        gallery.copy_to(dest)
    return dest


def sign_in(
    path: str | Path, user: str = OFFICER_USER, password: str = OFFICER_PASSWORD
) -> Operator:
    """``user`` of the gallery at ``path``, signed in (the window is opened with them)."""
    with open_gallery(path) as gallery:
        return AccountService(gallery).authenticate(user, password)


def open_station_window(
    path: str | Path,
    operator: Operator,
    *,
    scanner: MockSettings = FAST_SCANNER,
    waiter: Waiter | None = None,
    timeout: float = 30.0,
):
    """The station window on ``path``, shown, ``operator`` signed in, its index loaded.

    Parameters
    ----------
    path : str or Path
        Gallery file.
    operator : Operator
        Who is signed in (:func:`sign_in`).
    scanner : MockSettings
        The mock scanner's timing (default :data:`FAST_SCANNER`).
    waiter : Waiter, optional
        How to wait (default :class:`~station.testing.waiting.EventLoopWaiter`).
    timeout : float
        Seconds to wait for the window to be active and the search index loaded.

    Returns
    -------
    StationWindow
        The window; the caller closes it (the plugin's fixture does).
    """
    from station.gui import main_window

    waiter = waiter or EventLoopWaiter()
    window = main_window(path, operator=operator)
    window.set_mock_settings(scanner)
    window.show()
    # Keyboard shortcuts reach only the active window: offscreen every window is active, on a
    # real X server (Xvfb) the window must be activated as an officer's click would.
    window.activateWindow()
    if not waiter.until(window.isActiveWindow, timeout):
        raise NotReadyError(f"station window: 'stationWindow' not active after {timeout:g} s")
    if not waiter.until(lambda: window.index_ready, timeout):
        raise NotReadyError(f"station window: search index not loaded after {timeout:g} s")
    return window
