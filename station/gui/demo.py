"""``station --offscreen-shot DIR``: drive a booking in an offscreen window and save pictures.

A gallery subject is booked on the mock scanner: a picture of the capture page part-way, and
of every page once the response is on screen (``shots.save_screenshots``). The booking is made
in a scratch copy of the gallery, signed in as a ``demo`` account (officer and examiner) added
to that copy, so the gallery itself gains neither the booking nor an account.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication

from station.core.vocabulary import Role
from station.gallery import open_gallery
from station.scanner import MockSettings
from station.service import cache_path
from station.service.accounts import Operator, hash_password

from .shots import save_screenshots

__all__ = ["offscreen_shots"]

log = logging.getLogger(__name__)

#: A quick mock scanner for the demo (the preview still moves; it settles in 4 frames).
_DEMO_SCANNER = MockSettings(fps=60.0, approach_frames=1, press_frames=2, settle_frames=(4, 4))
_SLOW_FINGER = MockSettings(fps=15.0, settle_frames=(40, 40))


def _wait(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("the offscreen booking did not finish in time")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def offscreen_shots(out_dir: str | Path, gallery: str | Path | None = None) -> list[Path]:
    """Book a gallery subject in an offscreen window and save screenshots into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Folder for the PNG files (created if missing).
    gallery : str or Path, optional
        Gallery to book against (default: the settings' gallery; a 4-subject gallery is
        seeded into a temporary folder when that file does not exist).

    Returns
    -------
    list of Path
        ``capture.png``, ``response.png`` and one picture per page.
    """
    from station.service import seed
    from station.settings import get_settings

    from . import main_window

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(["station", "-platform", "offscreen"])
    source = Path(gallery) if gallery is not None else Path(get_settings().paths.gallery)
    scratch = tempfile.TemporaryDirectory(prefix="station-shots-")
    path = Path(scratch.name) / "gallery.sqlite"
    if source.exists():
        with open_gallery(source, create=False) as original:
            original.copy_to(path)
        cache = cache_path(source)
        if cache.exists():  # keyed by the gallery's secret, which the copy shares
            shutil.copyfile(cache, cache_path(path))
    else:
        log.info("no gallery: seeding 4 subjects into %s", path)
        seed(path, 4)
    try:
        operator = _demo_operator(path)
        window = main_window(path, operator=operator)
    except BaseException:
        scratch.cleanup()
        raise
    saved: list[Path] = []
    try:
        window.set_mock_settings(_DEMO_SCANNER)
        window.resize(1400, 900)
        window.show()
        _wait(lambda: window.index_ready)
        window.new_page.kind.setCurrentIndex(window.new_page.kind.findData("gallery"))
        window.new_page.generate.click()
        window.next()
        capture = window.capture_page
        capture.slaps.setChecked(True)
        capture.capture()
        session = window.session
        _wait(lambda: session.slots["L2"].done)
        capture.continuous.setChecked(False)
        _wait(lambda: not window.driver.busy)
        # a slow finger for the picture: pressed down, not yet settled
        window.set_mock_settings(_SLOW_FINGER)
        frames: list = []
        window.driver.frame.connect(frames.append)
        capture.capture()
        _wait(lambda: bool(frames) and frames[-1].index >= 6)
        saved.append(_grab(window, out / "capture.png"))
        window.driver.frame.disconnect(frames.append)
        window.set_mock_settings(_DEMO_SCANNER)
        capture.continuous.setChecked(True)
        capture.capture()
        _wait(lambda: session.complete() and not window.driver.busy)
        window.submit()
        _wait(lambda: window.page == 4)
        rows = window.response_page.candidates
        if rows.rowCount():
            rows.selectRow(0)
        _wait(lambda: not window.tasks.busy)
        saved.append(_grab(window, out / "response.png"))
        saved += save_screenshots(window, out)
    finally:
        window.close()
        app.processEvents()
        scratch.cleanup()
    return saved


def _demo_operator(path: Path) -> Operator:
    """Add a ``demo`` account (officer and examiner, random password) to the scratch copy."""
    roles = frozenset((Role.OFFICER, Role.EXAMINER))
    with open_gallery(path, create=False) as copy:
        name = "demo"
        while copy.account(name) is not None:
            name += "-shots"
        copy.add_account(
            name,
            display_name="Demo officer",
            roles=roles,
            password_hash=hash_password(secrets.token_urlsafe(16)),
        )
    return Operator(name, "Demo officer", roles)


def _grab(window, path: Path) -> Path:
    QApplication.processEvents()
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path
