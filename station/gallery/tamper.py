"""The chain's public side on :class:`Gallery`: ``verify`` and keyed hashes for side files."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable

from .base import GalleryBase, guarded
from .chain import VerifyReport, verify
from .errors import GalleryError

__all__ = ["ChainStore"]

log = logging.getLogger(__name__)


class ChainStore(GalleryBase):
    """Verification of the chain and keyed hashes for files kept beside the gallery (part of
    :class:`Gallery`)."""

    @guarded
    def verify(self) -> VerifyReport:
        """Check that no tracked row was changed, removed or inserted outside the station.

        Returns
        -------
        VerifyReport
            ``ok``, the rows and chain entries checked, and the first problem found.

        Examples
        --------
        >>> report = gallery.verify()  # doctest: +SKIP
        >>> report.ok, report.problem.message  # doctest: +SKIP
        (False, 'responses row 2 was removed outside the station (chain entry 57 has it)')
        """
        with self._snapshot():
            return verify(self._conn)

    @guarded
    def keyed_hash(self, parts: Iterable[bytes | memoryview], *, purpose: str) -> bytes:
        """HMAC-SHA256 of the concatenated ``parts`` under a key derived from the gallery's.

        For files kept beside the gallery (the search-index cache): a file whose hash does not
        verify was not written by a station holding this gallery. The chain key itself never
        leaves the gallery; each ``purpose`` gets its own derived key.

        Parameters
        ----------
        parts : iterable of bytes
            The message, in pieces (length-prefix them if their boundaries matter).
        purpose : str
            What the hash is for, e.g. ``"search index cache"``.

        Returns
        -------
        mac : bytes
            32 bytes.

        Raises
        ------
        GalleryError
            The gallery has no chain key (it is damaged).
        """
        if not isinstance(purpose, str) or not purpose:
            raise ValueError(f"purpose must be non-empty text, got {purpose!r}")
        sub = hmac.new(self._chain_key(), b"purpose:" + purpose.encode(), hashlib.sha256)
        h = hmac.new(sub.digest(), digestmod=hashlib.sha256)
        for part in parts:
            h.update(part)
        return h.digest()

    def _tamper_problems(self) -> list[str]:
        """:meth:`verify`'s finding as a problem line of :meth:`Gallery.check`."""
        try:
            report = self.verify()
        except GalleryError as exc:
            problems = [f"tamper evidence: the chain cannot be verified ({exc})"]
        else:
            problems = (
                [] if report.problem is None else [f"tamper evidence: {report.problem.message}"]
            )
        for problem in problems:
            log.warning("gallery %s: %s", self.path, problem)
        return problems
