"""Errors of the gallery: one readable message each, fit to show an officer or print on a CLI."""

from __future__ import annotations

__all__ = ["GalleryError", "NotFoundError"]


class GalleryError(RuntimeError):
    """The gallery file cannot be used, or refuses a change, for the reason in the message.

    Examples of messages: ``not a SQLite database: PATH``, ``gallery PATH is locked by another
    process``, ``gallery PATH is damaged: <first line of PRAGMA integrity_check>``,
    ``booking TCN T123 exists``.
    """


class NotFoundError(GalleryError, KeyError):
    """No row with the requested id (a ``GalleryError`` that is also a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
