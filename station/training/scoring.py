"""Scoring a training booking: what the trainee did against what the scenario expects.

:func:`score` takes the trainee's timed :class:`ActionEvent` list (what the runner, or a
window, recorded) and the booking's :class:`FinalState`, and judges each expectation of the
scenario ``right``, ``missed`` (not done), ``wrong`` (done the wrong way) or ``not scored``
(the situation never arose, e.g. an agency answer when the agencies were not asked, or
an agency that was down). Points are
earned on ``right``; ``max_points`` counts the scored expectations only. Every missed or
wrong expectation gives a named mistake ("did not annotate L4 as XX"), and every event its
time since the one before (time per step).

Event ``detail`` keys the scorer reads: ``finger``, ``impression``, ``level`` and ``error``
(capture); ``annotation`` (annotate); ``disposition`` (submit, import transaction);
``decision``, ``role`` and ``error`` (decide); ``subject_id`` and ``error`` (enrol). An event
with an ``error`` is an attempt the station refused (a capture the scanner failed, an enrol
of an undecided booking …).

Examples
--------
>>> from station.training.scenario import parse_scenario
>>> scenario = parse_scenario('''
... id = "mini"
... title = "Amputated finger"
... [platen]
... person = "new"
... subject = 6
... [[expect]]
... action = "annotate"
... finger = "L4"
... annotation = "XX"
... ''')
>>> result = score(scenario, [], FinalState(), trainee="t1")
>>> result.points, result.max_points, result.mistakes
(0, 1, ('did not annotate L4 as XX',))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from station.core.vocabulary import (
    Disposition,
    ExpectedAction,
    TraineeAction,
    Verdict,
)

from .scenario import Expectation, Scenario

__all__ = ["ActionEvent", "ExpectationResult", "FinalState", "Score", "StepTime", "score"]


@dataclass(frozen=True)
class ActionEvent:
    """One thing the trainee did, when, and what came of it.

    Attributes
    ----------
    seq : int
        1, 2, … in the order they happened.
    at : float
        Seconds since the booking started.
    action : TraineeAction
    detail : mapping
        What was done and its result (see the module docstring).
    """

    seq: int
    at: float
    action: TraineeAction
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the station carried the action out (no ``error``)."""
        return "error" not in self.detail

    @property
    def finger(self) -> str | None:
        """The finger or slap the event is about, if any."""
        value = self.detail.get("finger")
        return None if value is None else str(value)

    def label(self) -> str:
        """A few words: ``"capture R2"``, ``"submit"``."""
        return f"{self.action} {self.finger}" if self.finger else str(self.action)

    def as_dict(self) -> dict[str, Any]:
        """The form stored in the gallery (``training_events``)."""
        return {"at": self.at, "action": str(self.action), "detail": dict(self.detail)}


@dataclass(frozen=True)
class FinalState:
    """How the booking ended.

    Attributes
    ----------
    disposition : Disposition or None
        The outcome after the examiners' decisions (None: never submitted).
    status : str or None
        The booking's status.
    agency_answers : mapping of str to (str or sequence of str), or None
        What each agency answered, by system (``STATE``, ``NGI``, ``IDENT``, ``LESC``; a
        scenario's own name such as ``ICE`` is looked up too): one answer or several (LESC:
        ``removable``, ``Level 1``, ``detainer``); a system that got no message is absent.
        None: the agencies were not asked.
    """

    disposition: Disposition | None = None
    status: str | None = None
    agency_answers: Mapping[str, str | Sequence[str]] | None = None


@dataclass(frozen=True)
class ExpectationResult:
    """How the trainee did on one expectation."""

    label: str
    action: ExpectedAction
    verdict: Verdict
    points: int
    earned: int
    mistake: str | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "action": str(self.action),
            "verdict": str(self.verdict),
            "points": self.points,
            "earned": self.earned,
            "mistake": self.mistake,
            "note": self.note,
        }


@dataclass(frozen=True)
class StepTime:
    """One step of the booking and the seconds it took since the step before."""

    seq: int
    label: str
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "label": self.label, "seconds": self.seconds}


@dataclass(frozen=True)
class Score:
    """The score of one training booking.

    Attributes
    ----------
    scenario_id, title, trainee : str
    points, max_points : int
        Earned, out of what a perfect run earns (scored expectations only).
    results : tuple of ExpectationResult
        One per expectation, in the scenario's order.
    steps : tuple of StepTime
    disposition : Disposition or None
        How the booking ended.
    seconds : float
        From the start to the last step.
    """

    scenario_id: str
    title: str
    trainee: str
    points: int
    max_points: int
    results: tuple[ExpectationResult, ...]
    steps: tuple[StepTime, ...] = ()
    disposition: Disposition | None = None
    seconds: float = 0.0

    @property
    def mistakes(self) -> tuple[str, ...]:
        """The named mistakes, in the scenario's order."""
        return tuple(r.mistake for r in self.results if r.mistake)

    @property
    def full(self) -> bool:
        """Every scored expectation met."""
        return self.points == self.max_points

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (stored with the run; printed by ``station train run --json``)."""
        return {
            "scenario": self.scenario_id,
            "title": self.title,
            "trainee": self.trainee,
            "points": self.points,
            "max_points": self.max_points,
            "disposition": None if self.disposition is None else str(self.disposition),
            "seconds": self.seconds,
            "mistakes": list(self.mistakes),
            "results": [r.as_dict() for r in self.results],
            "steps": [s.as_dict() for s in self.steps],
        }

    def summary(self) -> str:
        """A readable report: the score, each expectation, the mistakes and the step times."""
        mark = {
            Verdict.RIGHT: "right ",
            Verdict.MISSED: "MISSED",
            Verdict.WRONG: "WRONG ",
            Verdict.NOT_SCORED: "  -   ",
        }
        lines = [
            f"{self.title}: {self.points}/{self.max_points} points"
            + (f", ended {self.disposition}" if self.disposition else ", not submitted")
            + f", {self.seconds:.1f} s",
        ]
        for r in self.results:
            lines.append(f"  {mark[r.verdict]} {r.label} ({r.earned}/{r.points})")
            if r.mistake:
                lines.append(f"         mistake: {r.mistake}")
            if r.note:
                lines.append(f"         {r.note}")
        if self.steps:
            lines.append("  time per step:")
            lines += [f"    {s.seq:>3}. {s.label:<28} {s.seconds:6.1f} s" for s in self.steps]
        return "\n".join(lines)


def score(
    scenario: Scenario,
    events: Sequence[ActionEvent],
    final: FinalState,
    *,
    trainee: str,
) -> Score:
    """Judge a training booking against its scenario.

    Parameters
    ----------
    scenario : Scenario
    events : sequence of ActionEvent
        What the trainee did, in order.
    final : FinalState
        How the booking ended.
    trainee : str
        Who booked.

    Returns
    -------
    Score
    """
    results = tuple(_judge(e, events, final) for e in scenario.expect)
    steps: list[StepTime] = []
    before = 0.0
    for event in events:
        steps.append(StepTime(event.seq, event.label(), round(max(0.0, event.at - before), 3)))
        before = event.at
    return Score(
        scenario_id=scenario.id,
        title=scenario.title,
        trainee=trainee,
        points=sum(r.earned for r in results),
        max_points=sum(r.points for r in results if r.verdict is not Verdict.NOT_SCORED),
        results=results,
        steps=tuple(steps),
        disposition=final.disposition,
        seconds=round(events[-1].at, 3) if events else 0.0,
    )


def _of(events: Iterable[ActionEvent], *actions: TraineeAction) -> list[ActionEvent]:
    return [e for e in events if e.action in actions]


def _result(
    expectation: Expectation, verdict: Verdict, default_mistake: str = "", note: str = ""
) -> ExpectationResult:
    points = expectation.points
    mistake = None
    if verdict in (Verdict.MISSED, Verdict.WRONG):
        mistake = expectation.mistake or default_mistake
    return ExpectationResult(
        label=expectation.label,
        action=expectation.action,
        verdict=verdict,
        points=points if verdict is not Verdict.NOT_SCORED else 0,
        earned=points if verdict is Verdict.RIGHT else 0,
        mistake=mistake,
        note=note,
    )


def _submitted(events: Sequence[ActionEvent]) -> list[ActionEvent]:
    return [e for e in _of(events, TraineeAction.SUBMIT, TraineeAction.IMPORT) if e.ok]


def _judge(x: Expectation, events: Sequence[ActionEvent], final: FinalState) -> ExpectationResult:
    a = x.action
    if a is ExpectedAction.ANNOTATE:
        marks = [e for e in _of(events, TraineeAction.ANNOTATE) if e.ok and e.finger == x.finger]
        if any(e.detail.get("annotation") == x.annotation for e in marks):
            return _result(x, Verdict.RIGHT)
        if marks:
            got = marks[-1].detail.get("annotation")
            return _result(x, Verdict.WRONG, f"annotated {x.finger} as {got}, not {x.annotation}")
        return _result(x, Verdict.MISSED, f"did not annotate {x.finger} as {x.annotation}")
    if a is ExpectedAction.RECAPTURE:
        return _recapture(x, events)
    if a is ExpectedAction.CLEAN_PLATEN:
        end = _submitted(events)
        limit = end[0].seq if end else len(events) + 1
        cleaned = [e for e in _of(events, TraineeAction.CLEAN_PLATEN) if e.seq < limit]
        if cleaned:
            return _result(x, Verdict.RIGHT)
        return _result(x, Verdict.MISSED, "did not clean the dirty platen before submitting")
    if a is ExpectedAction.RECONNECT:
        dropped = [
            e
            for e in _of(events, TraineeAction.CAPTURE)
            if "disconnected" in str(e.detail.get("error", "")).lower()
        ]
        if not dropped:
            return _result(x, Verdict.NOT_SCORED, note="the scanner never dropped off")
        after = [e for e in _of(events, TraineeAction.RECONNECT) if e.seq > dropped[0].seq]
        if after:
            return _result(x, Verdict.RIGHT)
        return _result(x, Verdict.MISSED, "did not reconnect the scanner after it dropped off")
    if a is ExpectedAction.REFUSE:
        if _submitted(events):
            return _result(x, Verdict.WRONG, "submitted a booking that should have been refused")
        if _of(events, TraineeAction.REFUSE):
            return _result(x, Verdict.RIGHT)
        return _result(x, Verdict.MISSED, "neither refused nor closed the booking")
    if a is ExpectedAction.SUBMIT:
        done = bool(_submitted(events))
        if done == x.done:
            return _result(x, Verdict.RIGHT)
        if x.done:
            return _result(x, Verdict.MISSED, "did not submit the booking")
        return _result(x, Verdict.WRONG, "submitted the booking")
    if a is ExpectedAction.DISPOSITION:
        wanted = " or ".join(str(d) for d in x.any_of)
        if final.disposition is None:
            return _result(x, Verdict.MISSED, f"the booking never got a response ({wanted})")
        if final.disposition in x.any_of:
            return _result(x, Verdict.RIGHT)
        return _result(x, Verdict.WRONG, f"the booking ended {final.disposition}, not {wanted}")
    if a is ExpectedAction.DECIDE:
        decided = [
            e
            for e in _of(events, TraineeAction.DECIDE)
            if e.ok and e.detail.get("role") == x.candidate
        ]
        if any(e.detail.get("decision") == x.decision for e in decided):
            return _result(x, Verdict.RIGHT)
        if decided:
            got = decided[-1].detail.get("decision")
            return _result(
                x, Verdict.WRONG, f"{got}ed the {x.candidate} candidate instead of {x.decision}"
            )
        return _result(x, Verdict.MISSED, f"did not {x.decision} the {x.candidate} candidate")
    if a is ExpectedAction.ENROL:
        enrolled = any(e.ok for e in _of(events, TraineeAction.ENROL))
        if enrolled == x.done:
            return _result(x, Verdict.RIGHT)
        if x.done:
            return _result(x, Verdict.MISSED, "did not enrol the booking")
        return _result(x, Verdict.WRONG, "enrolled a booking that must not be enrolled")
    return _agency(x, final)


#: Answers of an agency that failed: not the trainee's doing, so not scored.
_FAILED = ("error", "timeout")


def _agency(x: Expectation, final: FinalState) -> ExpectationResult:
    if final.disposition is None:
        return _result(
            x, Verdict.MISSED, f"the booking never reached the agencies ({x.agency}: {x.answer})"
        )
    if final.agency_answers is None:
        return _result(x, Verdict.NOT_SCORED, note="no agency answered this booking")
    got = final.agency_answers.get(str(x.system), final.agency_answers.get(str(x.agency)))
    facts = (got,) if isinstance(got, str) else tuple(got or ())
    folded = {str(f).casefold() for f in facts}
    if str(x.answer).casefold() in folded:
        return _result(x, Verdict.RIGHT)
    said = ", ".join(str(f) for f in facts) or "nothing"
    if folded & set(_FAILED):
        return _result(x, Verdict.NOT_SCORED, note=f"{x.agency} did not answer ({said})")
    return _result(x, Verdict.WRONG, f"{x.agency} answered {said}, not {x.answer}")


def _recapture(x: Expectation, events: Sequence[ActionEvent]) -> ExpectationResult:
    slot = x.finger
    captures = [e for e in _of(events, TraineeAction.CAPTURE) if e.ok and e.finger == slot]
    accepted = [e for e in _of(events, TraineeAction.ACCEPT_QUALITY) if e.ok and e.finger == slot]
    poor = [e for e in captures if e.detail.get("level") is None or e.detail["level"] >= x.below]
    is_finger = slot is not None and len(slot) == 2 and slot[1].isdigit()
    if is_finger and captures and not poor:
        return _result(x, Verdict.NOT_SCORED, note=f"{slot}'s print was good at once")
    first_poor = poor[0] if is_finger and poor else (captures[0] if captures else None)
    if first_poor is None:
        return _result(x, Verdict.MISSED, f"did not capture {slot}")
    again = [e for e in captures if e.seq > first_poor.seq]
    if accepted and not again:
        return _result(
            x, Verdict.WRONG, f"accepted the poor print of {slot} instead of recapturing it"
        )
    if again:
        return _result(x, Verdict.RIGHT)
    return _result(x, Verdict.MISSED, f"did not recapture {slot}")
