"""Screenshots of the station window, one per page, for the README and for QA reports.

Generic on purpose: it finds the window's page container by its automation id
(``pageStack``, a QStackedWidget, or ``mainTabs``, a QTabWidget), shows each page in turn,
lets Qt lay it out and paint, and grabs the whole window. Works offscreen
(``QT_QPA_PLATFORM=offscreen``).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMainWindow, QStackedWidget, QTabWidget, QWidget

__all__ = ["page_container", "save_screenshots"]

log = logging.getLogger(__name__)

#: Automation ids of the page containers looked for, in order.
CONTAINERS: tuple[str, ...] = ("pageStack", "mainTabs")


def page_container(window: QWidget) -> QStackedWidget | QTabWidget | None:
    """The window's page container (``pageStack`` or ``mainTabs``), or None if it has none."""
    for name in CONTAINERS:
        for kind in (QStackedWidget, QTabWidget):
            found = window.findChild(kind, name)
            if found is not None:
                return found
    return None


def _file_name(widget: QWidget | None, index: int, taken: set[str]) -> str:
    name = widget.objectName() if widget is not None else ""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or f"{index:02d}"
    if name in taken:
        name = f"{index:02d}_{name}"
    taken.add(name)
    return name + ".png"


def _settle() -> None:
    """Let Qt apply layouts and paint (twice: a layout change can post more events)."""
    for _ in range(2):
        QApplication.processEvents()
        QApplication.sendPostedEvents()


def save_screenshots(window: QMainWindow, out_dir: Path) -> list[Path]:
    """Save a PNG of the window showing each of its pages, then show the original page again.

    Parameters
    ----------
    window : QMainWindow
        The station window (shown or not; it is grabbed at its current size).
    out_dir : Path
        Folder for the images (created if missing).

    Returns
    -------
    paths : list of Path
        ``<page objectName>.png`` (or ``<index>.png`` for a page without a name) in page
        order; ``window.png`` alone when the window has no ``pageStack`` / ``mainTabs``.

    Raises
    ------
    OSError
        An image could not be written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    container = page_container(window)
    if container is None:
        log.info("no pageStack or mainTabs under the window: one screenshot of the window")
        _settle()
        return [_grab(window, out_dir / "window.png")]
    shown = container.currentIndex()
    paths: list[Path] = []
    taken: set[str] = set()
    try:
        for index in range(container.count()):
            container.setCurrentIndex(index)
            _settle()
            paths.append(_grab(window, out_dir / _file_name(container.widget(index), index, taken)))
    finally:
        container.setCurrentIndex(shown)
        _settle()
    return paths


def _grab(window: QWidget, path: Path) -> Path:
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"could not write the screenshot {path}")
    log.info("screenshot %s", path)
    return path
