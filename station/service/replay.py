"""Replay: a finished booking step by step, as it happened, from what the gallery stores.

Everything a booking does is in its audit trail, each entry with its time: the booking
opened, the pages the station showed (``visit page``, written by the GUI as it changes page),
every capture and recapture (finger, quality, level, attempt), annotations, low-quality
prints accepted, the submission, the response, the examiners' decisions and the enrolment.
:func:`build_replay` turns those entries into a :class:`Replay` of ordered
:class:`ReplayStep` s, each with the seconds since the booking opened and since the step
before, and links each capture to the stored print it produced.

A recapture replaces the earlier print of its slot (the gallery keeps only the latest image
of each finger), so the step of an earlier attempt has no image (``print_id`` is ``None``)
and its text says so; its quality and level are still shown, from the audit entry.

Plain data in and out (no Qt): the GUI's replay widget (:mod:`station.gui.replay`) and a
report read the same :class:`Replay`.

Examples
--------
>>> replays = ReplayService(gallery)  # doctest: +SKIP
>>> replay = replays.replay(booking_id)  # doctest: +SKIP
>>> [(s.kind, s.finger) for s in replay.steps][:3]  # doctest: +SKIP
[('open', None), ('page', None), ('capture', 'R1')]
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from station.core.vocabulary import FINGER_NAMES, SLAPS, ReplayKind
from station.gallery import Gallery

__all__ = [
    "PAGE_ACTION",
    "Replay",
    "ReplayService",
    "ReplayStep",
    "build_replay",
    "record_page",
]

log = logging.getLogger(__name__)

#: Audit action of the station showing one of the booking's pages (detail ``{"page": …}``).
PAGE_ACTION = "visit page"

#: Audit action → replay step kind (a capture becomes a recapture from its second attempt).
_KINDS: Mapping[str, ReplayKind] = {
    "open booking": ReplayKind.OPEN,
    PAGE_ACTION: ReplayKind.PAGE,
    "capture": ReplayKind.CAPTURE,
    "annotate": ReplayKind.ANNOTATE,
    "accept low quality": ReplayKind.ACCEPT,
    "submit": ReplayKind.SUBMIT,
    "response": ReplayKind.RESPONSE,
    "confirm candidate": ReplayKind.DECISION,
    "reject candidate": ReplayKind.DECISION,
    "undo decision": ReplayKind.DECISION,
    "enrol encounter": ReplayKind.ENROL,
    "enrol new subject": ReplayKind.ENROL,
    "close booking": ReplayKind.CLOSE,
    "abandon booking": ReplayKind.CLOSE,
    "send to agencies": ReplayKind.AGENCIES,
    "resubmit to agency": ReplayKind.AGENCIES,
}


@dataclass(frozen=True)
class ReplayStep:
    """One step of a booking as it happened.

    Attributes
    ----------
    index : int
        0 for the first step.
    kind : ReplayKind
        What happened.
    at : str
        When (ISO-8601 UTC, as stored).
    elapsed : float
        Seconds since the booking opened (its first step).
    gap : float
        Seconds since the step before (0 for the first).
    actor : str
        Who did it.
    text : str
        One line in plain words.
    finger : str or None
        The finger or slap of a capture, annotation or accepted print.
    impression : str or None
        ``rolled`` or ``flat`` for a capture.
    attempt : int or None
        The capture's attempt (1 first capture, 2 … recaptures).
    quality, level : int or None
        The capture's quality (0-100) and level (1 best … 5 worst), as audited.
    page : str or None
        The page shown, for a page step.
    disposition : str or None
        The response's disposition, for a response step.
    print_id : int or None
        The stored booking print this capture produced, while the gallery still holds it
        (``None`` once a recapture replaced it, and for every step that is not a capture).
    """

    index: int
    kind: ReplayKind
    at: str
    elapsed: float
    gap: float
    actor: str
    text: str
    finger: str | None = None
    impression: str | None = None
    attempt: int | None = None
    quality: int | None = None
    level: int | None = None
    page: str | None = None
    disposition: str | None = None
    print_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The step as JSON-able plain data."""
        return {
            "index": self.index,
            "kind": str(self.kind),
            "at": self.at,
            "elapsed": round(self.elapsed, 3),
            "gap": round(self.gap, 3),
            "actor": self.actor,
            "text": self.text,
            "finger": self.finger,
            "impression": self.impression,
            "attempt": self.attempt,
            "quality": self.quality,
            "level": self.level,
            "page": self.page,
            "disposition": self.disposition,
            "print_id": self.print_id,
        }


@dataclass(frozen=True)
class Replay:
    """A booking's steps in the order they happened.

    Attributes
    ----------
    booking_id : int
    tcn : str
    status : str
        The booking's status now.
    steps : tuple of ReplayStep
        Oldest first; ``steps[i].index == i``.
    """

    booking_id: int
    tcn: str
    status: str
    steps: tuple[ReplayStep, ...]

    @property
    def duration(self) -> float:
        """Seconds from the first step to the last (0 for fewer than two steps)."""
        return self.steps[-1].elapsed if self.steps else 0.0

    def kinds(self) -> list[ReplayKind]:
        """The steps' kinds, in order."""
        return [s.kind for s in self.steps]

    def step_at(self, elapsed: float) -> int:
        """Index of the last step that had happened ``elapsed`` seconds after the start.

        Parameters
        ----------
        elapsed : float
            Seconds since the booking opened.

        Returns
        -------
        index : int
            -1 when there are no steps.

        Examples
        --------
        >>> step = ReplayStep(0, ReplayKind.OPEN, "2026-01-01T00:00:00.000Z", 0.0, 0.0, "a", "")
        >>> Replay(1, "T", "open", (step,)).step_at(5.0)
        0
        """
        if isinstance(elapsed, bool) or not isinstance(elapsed, int | float):
            raise ValueError(f"elapsed must be a number of seconds, got {elapsed!r}")
        index = -1
        for step in self.steps:
            if step.elapsed <= elapsed:
                index = step.index
            else:
                break
        return index

    def to_json(self) -> dict[str, Any]:
        """The replay as JSON-able plain data."""
        return {
            "booking_id": self.booking_id,
            "tcn": self.tcn,
            "status": self.status,
            "duration": round(self.duration, 3),
            "steps": [s.to_json() for s in self.steps],
        }


def _time(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _finger_text(code: str | None) -> str:
    return f"{code} ({FINGER_NAMES[code]})" if code in FINGER_NAMES else str(code or "?")


def _capture_text(detail: Mapping[str, Any], kept: bool, slap: bool) -> str:
    finger, impression = detail.get("finger"), detail.get("impression") or ""
    attempt = _int(detail.get("attempt")) or 1
    what = "Recaptured" if attempt > 1 else "Captured"
    parts = [f"{what} {_finger_text(finger)} {impression}".rstrip()]
    if slap:
        error = detail.get("error")
        parts.append("segmentation failed: " + str(error) if error else "segmented")
    else:
        quality, level = detail.get("quality"), detail.get("level")
        parts.append(f"quality {quality}, level {level}" if level is not None else "no template")
    parts.append(f"attempt {attempt}")
    text = " · ".join(parts)
    return text if kept else text + " · replaced by a later recapture (image not kept)"


def _response_text(detail: Mapping[str, Any], payload: Mapping[str, Any] | None) -> str:
    text = f"Response: {detail.get('disposition', '?')}"
    if payload:
        candidates = payload.get("candidates") or []
        if candidates:
            top = candidates[0]
            name = top.get("name") or f"subject {top.get('subject_id')}"
            score = top.get("score")
            score_text = f"{float(score):.2f}" if isinstance(score, int | float) else "?"
            text += f" · top candidate {name} (score {score_text})"
        elif payload.get("reason"):
            text += f" · {payload['reason']}"
    return text


def _step_text(
    action: str,
    kind: ReplayKind,
    detail: Mapping[str, Any],
    subject_id: int | None,
) -> str:
    if kind is ReplayKind.OPEN:
        return f"Booking {detail.get('tcn', '')} opened ({detail.get('transaction_type', '')})"
    if kind is ReplayKind.PAGE:
        return f"Page: {detail.get('page', '?')}"
    if kind is ReplayKind.ANNOTATE:
        reason = f" — {detail['reason']}" if detail.get("reason") else ""
        return f"Annotated {_finger_text(detail.get('finger'))} {detail.get('annotation')}{reason}"
    if kind is ReplayKind.ACCEPT:
        return (
            f"Accepted {_finger_text(detail.get('finger'))} at level {detail.get('level')} "
            f"(attempt {detail.get('attempt')}): {detail.get('reason', '')}"
        )
    if kind is ReplayKind.SUBMIT:
        fingers = detail.get("fingers") or []
        return f"Submitted {len(fingers)} fingers: {', '.join(map(str, fingers))}"
    if kind is ReplayKind.DECISION:
        verb = {"confirm candidate": "Confirmed", "reject candidate": "Rejected"}.get(action)
        note = f": {detail['note']}" if detail.get("note") else ""
        if verb is None:
            return f"Undid the latest decision{note}"
        return f"{verb} subject #{subject_id}{note}"
    if kind is ReplayKind.ENROL:
        what = "an encounter of" if action == "enrol encounter" else "new subject"
        return f"Enrolled as {what} #{subject_id} ({detail.get('prints', 0)} prints)"
    if kind is ReplayKind.AGENCIES:
        if action == "resubmit to agency":
            system, old = detail.get("system", "?"), detail.get("replaces", "?")
            return f"Resubmitted to {system} (replacing {old})"
        return f"Sent to the agencies: {', '.join(map(str, detail.get('systems') or []))}"
    if kind is ReplayKind.CLOSE:
        return f"{action.capitalize()}: {detail.get('reason', '')}".rstrip(": ")
    return action


def build_replay(
    booking: Mapping[str, Any],
    audit: Sequence[Mapping[str, Any]],
    prints: Sequence[Mapping[str, Any]],
    responses: Sequence[Mapping[str, Any]] = (),
) -> Replay:
    """Build a booking's replay from its stored rows (pure: no gallery).

    Parameters
    ----------
    booking : mapping
        The booking row (``id``, ``tcn``, ``status``), as :meth:`Gallery.booking` gives it.
    audit : sequence of mapping
        Its audit entries, oldest first (``at, actor, action, subject_id, detail``).
    prints : sequence of mapping
        Its stored captures (``id, finger, impression, attempt``), as
        :meth:`Gallery.booking_prints` gives them.
    responses : sequence of mapping
        Its responses (``id``, ``payload``), for the top candidate of a response step.

    Returns
    -------
    Replay

    Raises
    ------
    ValueError
        An audit entry has no time.
    """
    stored = {(p["finger"], p["impression"], p["attempt"]): int(p["id"]) for p in prints}
    payloads = {int(r["id"]): r.get("payload") for r in responses}
    steps: list[ReplayStep] = []
    start: dt.datetime | None = None
    previous: dt.datetime | None = None
    for entry in audit:
        if not isinstance(entry.get("at"), str):
            raise ValueError(f"audit entry {entry.get('id')} has no time")
        action = str(entry["action"])
        detail = entry.get("detail") if isinstance(entry.get("detail"), Mapping) else {}
        kind = _KINDS.get(action, ReplayKind.OTHER)
        when = _time(entry["at"])
        start = when if start is None else start
        fields: dict[str, Any] = {}
        if kind is ReplayKind.CAPTURE:
            finger, impression = detail.get("finger"), detail.get("impression")
            attempt = _int(detail.get("attempt")) or 1
            print_id = stored.get((finger, impression, attempt))
            kind = ReplayKind.RECAPTURE if attempt > 1 else ReplayKind.CAPTURE
            text = _capture_text(detail, print_id is not None, finger in SLAPS)
            fields = {
                "finger": finger,
                "impression": impression,
                "attempt": attempt,
                "quality": _int(detail.get("quality")),
                "level": _int(detail.get("level")),
                "print_id": print_id,
            }
        elif kind is ReplayKind.RESPONSE:
            response_id = _int(detail.get("response_id"))
            text = _response_text(detail, payloads.get(response_id) if response_id else None)
            fields = {"disposition": detail.get("disposition")}
        else:
            text = _step_text(action, kind, detail, _int(entry.get("subject_id")))
            if kind is ReplayKind.PAGE:
                fields = {"page": detail.get("page")}
            elif kind in (ReplayKind.ANNOTATE, ReplayKind.ACCEPT):
                fields = {"finger": detail.get("finger")}
        steps.append(
            ReplayStep(
                index=len(steps),
                kind=kind,
                at=entry["at"],
                elapsed=(when - start).total_seconds(),
                gap=0.0 if previous is None else (when - previous).total_seconds(),
                actor=str(entry.get("actor", "")),
                text=text,
                **fields,
            )
        )
        previous = when
    return Replay(int(booking["id"]), str(booking["tcn"]), str(booking["status"]), tuple(steps))


class ReplayService:
    """Replays of a gallery's bookings, and the images their steps show.

    Parameters
    ----------
    gallery : Gallery
        Read only; open on the thread that calls the service.
    """

    def __init__(self, gallery: Gallery) -> None:
        if not isinstance(gallery, Gallery):
            raise ValueError(f"gallery must be a Gallery, got {type(gallery).__name__}")
        self.gallery = gallery

    def replay(self, booking_id: int) -> Replay:
        """The booking's replay (see :func:`build_replay`).

        Raises
        ------
        NotFoundError
            No such booking.
        """
        booking = self.gallery.booking(booking_id)
        return build_replay(
            booking,
            self.gallery.audit_log(booking_id=booking["id"], limit=1_000_000),
            self.gallery.booking_prints(booking["id"]),
            self.gallery.responses(booking["id"]),
        )

    def images(self, replay: Replay) -> dict[int, np.ndarray]:
        """``{print_id: image}`` of the stored captures the replay's steps show."""
        wanted = {s.print_id for s in replay.steps if s.print_id is not None}
        if not wanted:
            return {}
        return {
            int(p["id"]): p["image"]
            for p in self.gallery.booking_prints(replay.booking_id, with_images=True)
            if p["id"] in wanted and p["image"] is not None
        }


def record_page(gallery: Gallery, booking_id: int, page: str, *, actor: str) -> int:
    """Audit that the station showed one of a booking's pages (for its replay).

    Parameters
    ----------
    gallery : Gallery
    booking_id : int
    page : str
        The page's name ("Capture", "Review", "Submit", "Response").
    actor : str
        Who was signed in.

    Returns
    -------
    audit_id : int
    """
    if not isinstance(page, str) or not page.strip():
        raise ValueError(f"page must be a page name, got {page!r}")
    return gallery.audit(PAGE_ACTION, actor=actor, booking_id=booking_id, detail={"page": page})
