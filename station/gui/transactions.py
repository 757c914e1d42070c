"""Saving a booking's EBTS transactions from the window (response page and booking log).

The gallery is read on the GUI thread (the connection belongs to it); building the
transaction (decoding the prints, segmenting the slaps) and writing the file run on a
worker through :class:`~station.gui.workers.TaskRunner`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from station.interchange import build_submission
from station.interchange.ebts import build_response
from station.scanner.transaction import TRANSACTION_SUFFIXES
from station.service import BookingService
from station.service.accounts import Permission, RoleError
from station.service.transactions import (
    TransactionFile,
    booking_response,
    read_booking,
    submission_of,
    write_transaction_file,
)

from .workers import TaskRunner

__all__ = ["PathChooser", "choose_save_path", "export_refusal", "save_transaction"]

log = logging.getLogger(__name__)

#: ``chooser(title, suggested file name)`` → the path to write, or ``None`` / ``""`` to cancel.
PathChooser = Callable[[str, str], "str | None"]


def choose_save_path(parent: QWidget) -> PathChooser:
    """A :data:`PathChooser` asking with the save-file dialog."""

    def choose(title: str, suggested: str) -> str | None:
        pattern = " ".join(f"*{x}" for x in TRANSACTION_SUFFIXES)
        path, _filter = QFileDialog.getSaveFileName(
            parent, title, suggested, f"ANSI/NIST-ITL files ({pattern});;All files (*)"
        )
        return path or None

    return choose


def export_refusal(
    service: BookingService, permission: Permission = Permission.EXPORT
) -> str | None:
    """Why the signed-in operator may not write a booking's transaction to a file, or
    ``None`` when they may.

    The booking in hand (the response page) is part of booking work (``book``); any booking
    from the log is an export of gallery data (``export``: an administrator's job, as for
    ``station ebts export``). Only enables or disables buttons: :func:`save_transaction`
    checks again against the gallery's accounts when it runs.
    """
    operator = service.operator
    if operator is None or operator.can(permission):
        return None
    job = "an administrator's job" if permission is Permission.EXPORT else f"needs {permission}"
    return (
        f"Writing a booking's transaction to a file from here is {job}; "
        f"{operator.username} is signed in as {operator.role_text}"
    )


def save_transaction(
    tasks: TaskRunner,
    service: BookingService,
    booking_id: int,
    path: str | Path,
    *,
    response: bool,
    done: Callable[[TransactionFile], None],
    failed: Callable[[BaseException], None],
    permission: Permission = Permission.EXPORT,
) -> None:
    """Write the booking's CAR/CNA (or, with ``response``, its SRE/ERRT) to ``path``.

    Reading the gallery happens now; a failure there (no response yet …) calls ``failed``
    at once. The rest runs on a worker and ends in ``done(TransactionFile)`` or ``failed``.
    The operator must hold ``permission`` (see :func:`export_refusal`), or ``failed`` is
    called with the :class:`~station.service.accounts.RoleError` and nothing is written.
    """
    path = Path(path)
    try:
        service.allow(permission)
        if response:
            transaction = build_response(booking_response(service, booking_id))
            work = lambda _token: write_transaction_file(transaction, path)  # noqa: E731
        else:
            stored = read_booking(service, booking_id)
            work = lambda _token: write_transaction_file(  # noqa: E731
                build_submission(submission_of(stored)), path
            )
    except (ValueError, RuntimeError, RoleError) as exc:
        failed(exc)
        return
    tasks.submit(work, done, failed, name=f"write {path.name}")
