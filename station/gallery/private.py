"""Files and folders only their owner can read: the gallery, its side files and its exports.

A gallery holds prints and personal data in clear, so every file the station creates for it is
created ``0600`` and every folder ``0700`` (the mode is given to ``open``/``mkdir`` at
creation, never loosened by a later ``chmod``, so there is no moment when another user could
open the file). SQLite gives a database's ``-wal`` and ``-shm`` files the mode of the database
file itself, so they follow. Files that already exist keep their mode.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

__all__ = ["PRIVATE_DIR", "PRIVATE_FILE", "create_private", "make_private_dirs", "write_private"]

#: Mode of the files the station creates for a gallery: read and write by the owner only.
PRIVATE_FILE = 0o600
#: Mode of the folders it creates: the owner only.
PRIVATE_DIR = 0o700

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def make_private_dirs(path: str | Path) -> Path:
    """Create folder ``path`` and its missing parents, each ``0700``; existing ones are kept.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> make_private_dirs("/tmp/station-example/a/b")  # doctest: +SKIP
    PosixPath('/tmp/station-example/a/b')
    """
    path = Path(path)
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:  # made meanwhile by another process
            if not folder.is_dir():
                raise
    return path


def create_private(path: str | Path, *, exclusive: bool = True) -> BinaryIO:
    """Open ``path`` for writing as a new ``0600`` file (binary); the caller closes it.

    Parameters
    ----------
    path : str or pathlib.Path
    exclusive : bool
        Fail if the file exists (``FileExistsError``, also for a symbolic link in its place).
        Otherwise an existing file is truncated and set to ``0600``.

    Returns
    -------
    file : BinaryIO
    """
    flags = os.O_WRONLY | os.O_CREAT | _NOFOLLOW | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    try:
        if not exclusive and hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE)
        return os.fdopen(fd, "wb")
    except BaseException:
        os.close(fd)
        raise


def write_private(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a new ``0600`` file ``path`` (``FileExistsError`` if it exists)."""
    with create_private(path) as fh:
        fh.write(data)
