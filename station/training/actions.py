"""A scripted trainee: the JSON action file ``station train run --actions`` plays.

The file is one JSON object::

    {
      "title": "right: annotate L4 and book",          # optional, for people
      "expected_mistakes": ["did not annotate L4 as XX"],  # optional, for tests: ignored
      "actions": [
        {"do": "capture", "finger": "R1"},             # rolled for a finger, flat for a slap
        {"do": "capture", "finger": "R2", "impression": "flat"},
        {"do": "capture remaining", "slaps": false},   # every slot not done yet, in order
        {"do": "annotate", "finger": "L4", "annotation": "XX", "reason": "amputated"},
        {"do": "accept quality", "finger": "R2", "reason": "scarred, best of three"},
        {"do": "clean platen"},
        {"do": "reconnect"},
        {"do": "submit"},
        {"do": "import transaction"},                  # book the scenario's ANSI/NIST file
        {"do": "refuse", "reason": "fingers rolled out of order"},
        {"do": "decide", "decision": "reject", "candidate": "twin", "note": "ridge detail"},
        {"do": "enrol", "at": 95.0}
      ]
    }

``candidate`` is a gallery role of the scenario (the trainee's script may name it; a
trainee at the window picks a row) or a rank (1 = best). ``at`` (seconds since the booking
started, never decreasing) is optional: without it the runner's clock times the step. Any
other key is refused with an error naming the file, the action and the key.

Examples
--------
>>> script = parse_actions({"actions": [{"do": "capture", "finger": "r1"}, {"do": "submit"}]})
>>> [(s.action, s.finger) for s in script.steps]
[(<TraineeAction.CAPTURE: 'capture'>, 'R1'), (<TraineeAction.SUBMIT: 'submit'>, None)]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.core.vocabulary import (
    SLAPS,
    Annotation,
    Decision,
    Finger,
    Impression,
    Slap,
    TraineeAction,
)

__all__ = ["ActionError", "ActionScript", "TraineeStep", "load_actions", "parse_actions"]

_TOP = ("title", "expected_mistakes", "actions")
_KEYS: dict[TraineeAction, tuple[str, ...]] = {
    TraineeAction.CAPTURE: ("finger", "impression"),
    TraineeAction.CAPTURE_REMAINING: ("slaps",),
    TraineeAction.IMPORT: (),
    TraineeAction.ANNOTATE: ("finger", "annotation", "reason"),
    TraineeAction.ACCEPT_QUALITY: ("finger", "reason"),
    TraineeAction.CLEAN_PLATEN: (),
    TraineeAction.RECONNECT: (),
    TraineeAction.SUBMIT: (),
    TraineeAction.REFUSE: ("reason",),
    TraineeAction.DECIDE: ("decision", "candidate", "note"),
    TraineeAction.ENROL: (),
}
_REQUIRED: dict[TraineeAction, tuple[str, ...]] = {
    TraineeAction.CAPTURE: ("finger",),
    TraineeAction.ANNOTATE: ("finger", "annotation"),
    TraineeAction.ACCEPT_QUALITY: ("finger", "reason"),
    TraineeAction.REFUSE: ("reason",),
    TraineeAction.DECIDE: ("decision", "candidate"),
}


class ActionError(ValueError):
    """An action file that cannot be played; the message names the file, step and key."""


@dataclass(frozen=True)
class TraineeStep:
    """One scripted action of the trainee.

    Attributes
    ----------
    action : TraineeAction
    finger : str or None
        A finger or slap code.
    impression : Impression or None
        ``capture``: rolled or flat (default: rolled for a finger, flat for a slap).
    annotation : Annotation or None
    reason : str or None
        ``annotate`` / ``accept quality`` / ``refuse``; for ``decide`` the examiner's note.
    decision : Decision or None
    candidate : str or int or None
        A gallery role, or a rank (1 = best candidate).
    slaps : bool
        ``capture remaining``: take the slaps too.
    at : float or None
        Seconds since the start, as scripted.
    """

    action: TraineeAction
    finger: str | None = None
    impression: Impression | None = None
    annotation: Annotation | None = None
    reason: str | None = None
    decision: Decision | None = None
    candidate: str | int | None = None
    slaps: bool = True
    at: float | None = None


@dataclass(frozen=True)
class ActionScript:
    """A trainee's scripted actions."""

    steps: tuple[TraineeStep, ...]
    title: str = ""
    expected_mistakes: tuple[str, ...] = ()


def parse_actions(data: Any, name: str = "<actions>") -> ActionScript:
    """Check an action file's parsed JSON and turn it into an :class:`ActionScript`.

    Raises
    ------
    ActionError
        Not an object with ``actions``, an unknown action or key, or a bad value.
    """

    def fail(where: str, problem: str) -> ActionError:
        return ActionError(f"{name}: {where}{problem}")

    if not isinstance(data, dict):
        raise fail("", "must be a JSON object with 'actions'")
    for key in data:
        if key not in _TOP:
            raise fail("", f"unknown key {key!r} (use one of {', '.join(_TOP)})")
    items = data.get("actions")
    if not isinstance(items, list):
        raise fail("", "'actions' must be a list of objects")
    mistakes = data.get("expected_mistakes", [])
    if not isinstance(mistakes, list) or not all(isinstance(m, str) for m in mistakes):
        raise fail("", "'expected_mistakes' must be a list of strings")
    steps: list[TraineeStep] = []
    last = 0.0
    for n, item in enumerate(items, 1):
        where = f"action {n}: "
        if not isinstance(item, dict) or "do" not in item:
            raise fail(where, "must be an object with 'do'")
        try:
            action = TraineeAction.parse(item["do"], what="action")
        except ValueError as exc:
            raise fail(where, str(exc)) from None
        allowed = ("do", "at", *_KEYS[action])
        for key in item:
            if key not in allowed:
                raise fail(where, f"unknown key {key!r} for {action} (use {', '.join(allowed)})")
        for key in _REQUIRED.get(action, ()):
            if key not in item:
                raise fail(where, f"{action} needs {key!r}")
        try:
            step = _step(action, item)
        except ValueError as exc:
            raise fail(where, str(exc)) from None
        if step.at is not None:
            if step.at < last:
                raise fail(where, f"at {step.at} is before the step before ({last})")
            last = step.at
        steps.append(step)
    return ActionScript(
        steps=tuple(steps),
        title=str(data.get("title", "")),
        expected_mistakes=tuple(mistakes),
    )


def _text(item: dict[str, Any], key: str) -> str | None:
    if key not in item:
        return None
    value = item[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be non-empty text, got {value!r}")
    return value.strip()


def _step(action: TraineeAction, item: dict[str, Any]) -> TraineeStep:
    values: dict[str, Any] = {"action": action}
    if "at" in item:
        at = item["at"]
        if isinstance(at, bool) or not isinstance(at, int | float) or at < 0:
            raise ValueError(f"at must be seconds >= 0, got {at!r}")
        values["at"] = float(at)
    if "finger" in item:
        code = str(item["finger"]).strip().upper()
        if action is TraineeAction.CAPTURE and code in SLAPS:
            values["finger"] = str(Slap(code))
        else:
            values["finger"] = str(Finger.parse(item["finger"], what="finger"))
    if action is TraineeAction.CAPTURE:
        default = Impression.FLAT if values["finger"] in SLAPS else Impression.ROLLED
        impression = Impression.parse(item.get("impression", default), what="impression")
        if values["finger"] in SLAPS and impression is not Impression.FLAT:
            raise ValueError(f"a slap ({values['finger']}) is a flat impression")
        values["impression"] = impression
    if "annotation" in item:
        values["annotation"] = Annotation.parse(item["annotation"], what="annotation")
    reason = _text(item, "note" if action is TraineeAction.DECIDE else "reason")
    if reason is not None:
        values["reason"] = reason
    if "decision" in item:
        decision = Decision.parse(item["decision"], what="decision")
        if decision is Decision.UNDO:
            raise ValueError("decision must be confirm or reject")
        values["decision"] = decision
    if "candidate" in item:
        candidate = item["candidate"]
        if isinstance(candidate, bool) or not isinstance(candidate, int | str):
            raise ValueError(f"candidate must be a role or a rank, got {candidate!r}")
        if isinstance(candidate, int) and candidate < 1:
            raise ValueError(f"candidate rank must be >= 1, got {candidate}")
        values["candidate"] = candidate.strip() if isinstance(candidate, str) else candidate
    if "slaps" in item:
        if not isinstance(item["slaps"], bool):
            raise ValueError(f"slaps must be true or false, got {item['slaps']!r}")
        values["slaps"] = item["slaps"]
    return TraineeStep(**values)


def load_actions(path: str | Path) -> ActionScript:
    """Read an action file (``ActionError`` naming the file if it cannot be played)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ActionError(f"{path}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ActionError(f"{path}: is not valid JSON: {exc}") from None
    return parse_actions(data, str(path))
