"""``station --offscreen-shot DIR``: drive a booking in an offscreen window and save pictures.

A gallery subject is booked on the mock scanner, on a temporary gallery of the pictures' own,
in a 1366 × 768 window; every page is pictured as the booking passes through it, in the state
an officer sees it (form filled, a finger on the platen, thumbnails drawn, searching, the
response with its comparison, the booking log and the gallery). Then a subject known to
DHS IDENT (an immigration and criminal one when the gallery holds one) is booked and pictured
once the state bureau, NGI, IDENT and ICE LESC have answered: the response page's agency
panels and the Transactions tab. It is signed in as a ``demo`` account (officer and examiner)
added to that temporary gallery.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop
from PySide6.QtWidgets import QApplication

from station.core.vocabulary import Role
from station.gallery import open_gallery
from station.scanner import MockSettings
from station.service.accounts import Operator, hash_password

__all__ = ["SHOT_SIZE", "offscreen_shots"]

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


#: The size of the pictures: a booking-room screen.
SHOT_SIZE = (1366, 768)


#: Held subjects seeded for the pictures: synthetic subjects 0-9 (9 is criminal and
#: immigration: every agency answers).
SHOT_SUBJECTS = 9
#: Profiles preferred for the agencies' pictures, best first.
_AGENCY_PROFILES = ("both", "removed-returned", "immigration")


def _scratch_gallery(folder: Path, source: Path | None) -> Path:
    """A gallery of the pictures' own: a copy of ``source``, or :data:`SHOT_SUBJECTS` seeded
    subjects."""
    from station.gallery import open_gallery
    from station.service import seed

    path = folder / "gallery.sqlite"
    if source is not None:
        with open_gallery(source, readonly=True) as gallery:
            gallery.copy_to(path)
        log.info("pictures on a copy of %s: %s", source, path)
    else:
        log.info("pictures on a new %d-subject gallery: %s", SHOT_SUBJECTS, path)
        seed(path, SHOT_SUBJECTS)
    return path


def _agency_subject(path: Path) -> int | None:
    """The enrolled synthetic subject (population 0) whose booking the most agencies answer:
    the first of profile ``both``, else ``removed-returned``, else ``immigration``."""
    from station.core.synth.holdings import profile

    with open_gallery(path, readonly=True) as gallery:
        enrolled = [k for k in range(200) if gallery.subject_by_synthetic(k, 0) is not None]
    for kind in _AGENCY_PROFILES:
        for k in enrolled:
            if profile(k) == kind:
                return k
    return None


def offscreen_shots(
    out_dir: str | Path, gallery: str | Path | None = None, *, size: tuple[int, int] = SHOT_SIZE
) -> list[Path]:
    """Book a gallery subject in an offscreen window and save a picture of every page.

    The booking is made on a temporary gallery that is deleted afterwards: a copy of
    ``gallery`` when one is given, else :data:`SHOT_SUBJECTS` freshly seeded subjects. The
    user's gallery is never written.

    Parameters
    ----------
    out_dir : str or Path
        Folder for the PNG files (created if missing).
    gallery : str or Path, optional
        A gallery to copy for the booking (read only; left untouched).
    size : (int, int)
        Window width and height in pixels (default 1366 × 768).

    Returns
    -------
    list of Path
        ``new_booking.png`` (form filled), ``capture.png`` (a finger on the platen),
        ``review.png`` (thumbnails drawn), ``sequence.png`` (the sequence report),
        ``submit.png`` (searching), ``response.png`` (top candidate compared),
        ``booking_log.png`` and ``gallery.png``, then — when the gallery holds a subject IDENT
        knows — ``agencies_response.png`` (every agency answered) and ``transactions.png``,
        in that order.

    Raises
    ------
    FileNotFoundError
        ``gallery`` does not exist.
    """
    from . import main_window

    source = None if gallery is None else Path(gallery)
    if source is not None and not source.is_file():
        raise FileNotFoundError(f"no gallery at {source}")
    width, height = size
    if width < 1 or height < 1:
        raise ValueError(f"the picture size must be positive, got {size}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(["station", "-platform", "offscreen"])
    scratch = tempfile.TemporaryDirectory(prefix="station-shots-")
    saved: list[Path] = []
    window = None
    try:
        path = _scratch_gallery(Path(scratch.name), source)
        window = main_window(path, operator=_demo_operator(path))
        window.set_mock_settings(_DEMO_SCANNER)
        window.resize(width, height)
        window.show()
        _wait(lambda: window.index_ready)
        window.new_page.kind.setCurrentIndex(window.new_page.kind.findData("gallery"))
        window.new_page.generate.click()
        saved.append(_grab(window, out / "new_booking.png"))
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
        window.next()  # to Review: wait for the thumbnails
        review = window.review_page.list
        _wait(lambda: not window.tasks.busy and not review.item(0).icon().isNull())
        saved.append(_grab(window, out / "review.png"))
        window.review_page.tabs.setCurrentIndex(1)
        saved.append(_grab(window, out / "sequence.png"))
        window.review_page.tabs.setCurrentIndex(0)
        window.submit()  # the Submit page is on screen until the search ends
        saved.append(_grab(window, out / "submit.png"))
        _wait(lambda: window.page == 4)
        rows = window.response_page.candidates
        if rows.rowCount():
            rows.selectRow(0)
        # the examiner's comparison of the top candidate (the agencies are pictured later)
        window.response_page.side_tabs.setCurrentWidget(window.response_page.examiner_box)
        _wait(lambda: not window.tasks.busy)
        saved.append(_grab(window, out / "response.png"))
        for index, name in ((1, "booking_log"), (2, "gallery")):
            window.tabs.setCurrentIndex(index)
            _wait(lambda: not window.tasks.busy)
            saved.append(_grab(window, out / f"{name}.png"))
        window.tabs.setCurrentIndex(0)
        k = _agency_subject(path)
        if k is not None:
            saved += _agency_shots(window, k, out)
    finally:
        if window is not None:
            window.close()
            app.processEvents()
        scratch.cleanup()
    return saved


def _agency_shots(window, k: int, out: Path) -> list[Path]:
    """Book synthetic subject ``k`` and picture the response once every agency answered."""
    window.response_page.new_booking.click()
    _wait(lambda: window.page == 0)
    page = window.new_page
    page.kind.setCurrentIndex(page.kind.findData("gallery"))
    page.synthetic_id.setValue(k)
    page.generate.click()
    window.next()
    window.capture_page.slaps.setChecked(False)
    window.capture_page.capture()
    session = window.session
    _wait(lambda: session.complete() and not window.driver.busy)
    window.submit()
    _wait(lambda: window.page == 4)
    booking = session.booking_id

    def answered() -> bool:
        entry = window.agency_pump.snapshot.of(booking)
        return entry is not None and entry.done

    _wait(answered)
    _wait(lambda: not window.tasks.busy)
    shots = [_grab(window, out / "agencies_response.png")]
    window.tabs.setCurrentWidget(window.transactions_panel)
    _wait(lambda: not window.tasks.busy)
    shots.append(_grab(window, out / "transactions.png"))
    window.tabs.setCurrentIndex(0)
    return shots


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
    for _ in range(3):  # layouts and paints posted by the last step
        QApplication.processEvents()
        QApplication.sendPostedEvents()
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path
