"""Training classes: an instructor's class of trainees booking hidden scenarios, and a live
booking's recorder.

A class (:class:`TrainingClass`) names its trainees, the scenarios every trainee books in
order and a time limit per booking. What the class is doing is read from its events in the
gallery (:meth:`~station.gallery.Gallery.class_events`): started, paused, resumed, a
trainee's booking started or scored, a fault injected. :func:`class_progress` folds them into
a :class:`ClassProgress` (per trainee: which booking, its elapsed time, the score so far), the
instructor's console shows it, and :mod:`station.training.report` writes the class report.

A trainee at the booking window takes the next booking with :func:`begin_booking`: a
:class:`LiveBooking` holding the scenario (never shown to the trainee), the mock scanner's
subject and faults, the demographics the trainee is given and a clock. The window records what
the trainee does with :meth:`LiveBooking.record` (T1's :class:`~station.training.ActionEvent`
kinds and details) and :meth:`LiveBooking.finish` scores the booking, stores the run and the
"booking scored" event.

Because the events live in the gallery, a console and the trainees' windows on one gallery
file (one process or several) see the same class: a window polls the events addressed to it
(:func:`pending_orders`) for faults and pauses.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from station.core.vocabulary import (
    ClassEvent,
    ClassFault,
    Disposition,
    Role,
    TraineeAction,
)
from station.gallery import Gallery
from station.scanner.mock import ScannerFaults
from station.scanner.scenarios import PlatenSubject
from station.service.accounts import Operator, Permission, authorize
from station.service.booking import BookingService
from station.service.secure_communities import SecureCommunities

from .runner import final_state, platen_for, prepare, trainee_demographics
from .scenario import Scenario
from .scoring import ActionEvent, Score, score

__all__ = [
    "ClassProgress",
    "LiveBooking",
    "TraineeProgress",
    "TrainingClass",
    "active_class",
    "begin_booking",
    "class_progress",
    "create_class",
    "inject_fault",
    "pause_class",
    "pending_orders",
    "start_class",
]

log = logging.getLogger(__name__)

#: Class states, as :attr:`ClassProgress.state` gives them.
NOT_STARTED, RUNNING, PAUSED, FINISHED = "not started", "running", "paused", "finished"


@dataclass(frozen=True)
class TrainingClass:
    """A class as stored.

    Attributes
    ----------
    id : int
    name, instructor : str
    trainees : tuple of str
    scenarios : tuple of str
        Scenario ids, in the order every trainee books them.
    time_limit : int
        Seconds per booking.
    created_at : str
    """

    id: int
    name: str
    instructor: str
    trainees: tuple[str, ...]
    scenarios: tuple[str, ...]
    time_limit: int
    created_at: str

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TrainingClass:
        """From :meth:`~station.gallery.Gallery.training_class`'s row."""
        return cls(
            int(row["id"]),
            str(row["name"]),
            str(row["instructor"]),
            tuple(row["trainees"]),
            tuple(row["scenarios"]),
            int(row["time_limit"]),
            str(row["created_at"]),
        )


@dataclass(frozen=True)
class TraineeProgress:
    """Where one trainee is in a class.

    Attributes
    ----------
    trainee : str
    done, total : int
        Bookings scored, out of the class's scenarios.
    current : str or None
        The scenario of the booking running now.
    elapsed : float or None
        Seconds since the running booking started.
    points, max_points : int
        The score so far (scored bookings).
    runs : tuple of int
        The stored runs, in order.
    """

    trainee: str
    done: int
    total: int
    current: str | None = None
    elapsed: float | None = None
    points: int = 0
    max_points: int = 0
    runs: tuple[int, ...] = ()

    @property
    def finished(self) -> bool:
        return self.done >= self.total

    @property
    def status(self) -> str:
        """``"booking 2 of 3"``, ``"waiting for booking 1 of 3"`` or ``"finished"``."""
        if self.finished:
            return FINISHED
        n = f"{self.done + 1} of {self.total}"
        return f"booking {n}" if self.current is not None else f"waiting for booking {n}"


@dataclass(frozen=True)
class ClassProgress:
    """A class and where it is: ``state`` is not started, running, paused or finished."""

    training_class: TrainingClass
    state: str
    trainees: tuple[TraineeProgress, ...] = field(default_factory=tuple)

    def of(self, trainee: str) -> TraineeProgress:
        for p in self.trainees:
            if p.trainee.casefold() == trainee.casefold():
                return p
        raise KeyError(f"{trainee!r} is not in class {self.training_class.name!r}")


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def create_class(
    gallery: Gallery,
    operator: Operator | None,
    *,
    name: str,
    trainees: Sequence[str],
    scenarios: Sequence[str],
    time_limit: int,
    library: Mapping[str, Scenario],
) -> TrainingClass:
    """Store a new class (instructors).

    Raises
    ------
    ValueError
        An account that is not a trainee, an unknown scenario, or a bad name/limit.
    RoleError
        The operator may not instruct.
    """
    authorize(gallery, operator, Permission.INSTRUCT)
    for trainee in trainees:
        account = gallery.account(trainee)
        if account is None or Role.TRAINEE not in account["roles"]:
            raise ValueError(f"{trainee!r} is not a trainee account")
    unknown = [s for s in scenarios if s not in library]
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(unknown)}")
    class_id = gallery.add_training_class(
        name=name,
        instructor=operator.username if operator else "station",
        trainees=list(trainees),
        scenarios=list(scenarios),
        time_limit=time_limit,
    )
    return TrainingClass.from_row(gallery.training_class(class_id))


def start_class(
    gallery: Gallery,
    operator: Operator | None,
    training_class: TrainingClass,
    library: Mapping[str, Scenario],
) -> None:
    """Start a class: the gallery roles of its scenarios are enrolled (the trainees may not),
    then the "start" event lets the trainees take their first booking."""
    authorize(gallery, operator, Permission.INSTRUCT)
    for sid in training_class.scenarios:
        prepare(gallery, library[sid], operator=operator)
    _event(gallery, operator, training_class, ClassEvent.START)


def pause_class(
    gallery: Gallery, operator: Operator | None, training_class: TrainingClass, *, paused: bool
) -> None:
    """Pause (the trainees' windows stop taking prints) or resume a class."""
    authorize(gallery, operator, Permission.INSTRUCT)
    _event(gallery, operator, training_class, ClassEvent.PAUSE if paused else ClassEvent.RESUME)


def inject_fault(
    gallery: Gallery,
    operator: Operator | None,
    training_class: TrainingClass,
    trainee: str,
    fault: ClassFault | str,
) -> None:
    """Order a fault into ``trainee``'s running booking (their window applies it to its mock
    scanner at its next poll).

    Raises
    ------
    ValueError
        The trainee has no booking running.
    """
    authorize(gallery, operator, Permission.INSTRUCT)
    fault = ClassFault.parse(fault, what="fault")
    progress = class_progress(gallery, training_class.id).of(trainee)
    if progress.current is None:
        raise ValueError(f"{trainee} has no booking running: no fault to inject")
    _event(
        gallery,
        operator,
        training_class,
        ClassEvent.FAULT,
        trainee=progress.trainee,
        scenario_id=progress.current,
        detail={"fault": str(fault)},
    )


def _event(
    gallery: Gallery,
    operator: Operator | None,
    training_class: TrainingClass,
    kind: ClassEvent,
    **extra: Any,
) -> int:
    actor = operator.username if operator else "station"
    return gallery.add_class_event(training_class.id, kind, actor=actor, **extra)


def class_progress(
    gallery: Gallery, name_or_id: str | int, *, now: dt.datetime | None = None
) -> ClassProgress:
    """Where a class is now, read from its events."""
    tc = TrainingClass.from_row(gallery.training_class(name_or_id))
    now = now or dt.datetime.now(dt.UTC)
    state = NOT_STARTED
    started: dict[str, tuple[str, str]] = {}
    runs: dict[str, list[int]] = {t.casefold(): [] for t in tc.trainees}
    for e in gallery.class_events(tc.id):
        kind = e["kind"]
        key = (e["trainee"] or "").casefold()
        if kind in (ClassEvent.START, ClassEvent.RESUME):
            state = RUNNING
        elif kind == ClassEvent.PAUSE:
            state = PAUSED
        elif kind == ClassEvent.BOOKING_STARTED:
            started[key] = (e["scenario_id"], e["at"])
        elif kind == ClassEvent.BOOKING_SCORED:
            started.pop(key, None)
            if e["run_id"] is not None:
                runs.setdefault(key, []).append(int(e["run_id"]))
    trainees = []
    for t in tc.trainees:
        key = t.casefold()
        done = runs.get(key, [])
        points = max_points = 0
        for run_id in done:
            run = gallery.training_run(run_id)
            points += int(run["points"])
            max_points += int(run["max_points"])
        current = started.get(key)
        trainees.append(
            TraineeProgress(
                t,
                len(done),
                len(tc.scenarios),
                current=None if current is None else current[0],
                elapsed=None
                if current is None
                else max(0.0, (now - _parse_time(current[1])).total_seconds()),
                points=points,
                max_points=max_points,
                runs=tuple(done),
            )
        )
    if state != NOT_STARTED and all(p.finished for p in trainees):
        state = FINISHED
    return ClassProgress(tc, state, tuple(trainees))


def active_class(gallery: Gallery, trainee: str) -> ClassProgress | None:
    """The newest started, unfinished class ``trainee`` is in (None: no class for them)."""
    for row in reversed(gallery.training_classes()):
        if trainee.casefold() not in {t.casefold() for t in row["trainees"]}:
            continue
        progress = class_progress(gallery, int(row["id"]))
        if progress.state in (RUNNING, PAUSED) and not progress.of(trainee).finished:
            return progress
    return None


def pending_orders(
    gallery: Gallery, class_id: int, trainee: str, *, after: int
) -> tuple[list[dict[str, Any]], int]:
    """The class's pause/resume events and the faults addressed to ``trainee`` with an id
    above ``after``, and the highest event id seen (poll again with it)."""
    orders, last = [], after
    for e in gallery.class_events(class_id, after=after):
        last = max(last, int(e["id"]))
        if e["kind"] in (ClassEvent.PAUSE, ClassEvent.RESUME) or (
            e["kind"] == ClassEvent.FAULT and (e["trainee"] or "").casefold() == trainee.casefold()
        ):
            orders.append(e)
    return orders, last


def _earlier_runs(gallery: Gallery, scenario_id: str) -> int:
    """Runs of the scenario stored, plus class bookings of it started and not yet scored (so
    two trainees booking a new person at once get two different people)."""
    open_bookings: set[tuple[int, str]] = set()
    for e in gallery.class_events():
        if e["scenario_id"] != scenario_id:
            continue
        key = (int(e["class_id"]), (e["trainee"] or "").casefold())
        if e["kind"] == ClassEvent.BOOKING_STARTED:
            open_bookings.add(key)
        elif e["kind"] == ClassEvent.BOOKING_SCORED:
            open_bookings.discard(key)
    return len(gallery.training_runs(scenario_id=scenario_id)) + len(open_bookings)


class LiveBooking:
    """A trainee's class booking at the window: what to put on the platen, what the trainee
    is told, and the timed record of what they did.

    Use :func:`begin_booking` to make one.
    """

    def __init__(
        self,
        training_class: TrainingClass,
        scenario: Scenario,
        trainee: str,
        *,
        roles: Mapping[str, int],
        earlier_runs: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.training_class = training_class
        self.scenario = scenario
        self.trainee = trainee
        self.roles = dict(roles)
        self.role_of = {sid: role for role, sid in roles.items()}
        self.platen: PlatenSubject
        self.faults: ScannerFaults
        self.platen, self.faults = platen_for(scenario, earlier_runs=earlier_runs)
        self.demographics: dict[str, Any] = trainee_demographics(
            scenario, earlier_runs=earlier_runs
        )
        self.clock = clock
        self.start = clock()
        self.started_at = dt.datetime.now(dt.UTC)
        self.events: list[ActionEvent] = []
        self.booking_id: int | None = None

    @property
    def elapsed(self) -> float:
        """Seconds since the booking started."""
        return self.clock() - self.start

    @property
    def over_time(self) -> bool:
        return self.elapsed > self.training_class.time_limit

    def record(self, action: TraineeAction | str, detail: Mapping[str, Any] | None = None) -> None:
        """Record one thing the trainee did (details as :mod:`station.training.scoring` reads
        them); a decision's candidate is named by its gallery role."""
        action = TraineeAction.parse(action, what="action")
        detail = dict(detail or {})
        if action is TraineeAction.DECIDE and "subject_id" in detail:
            detail["role"] = self.role_of.get(detail["subject_id"])
        if action in (TraineeAction.SUBMIT, TraineeAction.IMPORT) and "candidates" in detail:
            detail["candidates"] = [
                {**c, "role": self.role_of.get(c.get("subject_id"))} for c in detail["candidates"]
            ]
        at = round(max(self.elapsed, self.events[-1].at if self.events else 0.0), 3)
        self.events.append(ActionEvent(len(self.events) + 1, at, action, detail))

    def finish(self, service: BookingService, *, note: str | None = None) -> tuple[Score, int]:
        """Score the booking, store the run and the class's "booking scored" event; the score
        and the run id."""
        gallery = service.gallery
        # The window's agency pump sends the booking; the answers in by now are scored.
        final = final_state(service, self.booking_id, SecureCommunities(service))
        result = score(self.scenario, self.events, final, trainee=self.trainee)
        run_id = gallery.add_training_run(
            scenario_id=self.scenario.id,
            scenario_title=self.scenario.title,
            trainee=self.trainee,
            booking_id=self.booking_id,
            started_at=_stamp(self.started_at),
            finished_at=_stamp(dt.datetime.now(dt.UTC)),
            points=result.points,
            max_points=result.max_points,
            score=result.as_dict(),
            events=[e.as_dict() for e in self.events],
        )
        gallery.add_class_event(
            self.training_class.id,
            ClassEvent.BOOKING_SCORED,
            actor=self.trainee,
            trainee=self.trainee,
            scenario_id=self.scenario.id,
            run_id=run_id,
            detail={"note": note} if note else None,
        )
        log.info(
            "class %s: %s scored %d/%d on %s",
            self.training_class.name,
            self.trainee,
            result.points,
            result.max_points,
            self.scenario.id,
        )
        return result, run_id


def begin_booking(
    gallery: Gallery,
    operator: Operator,
    library: Mapping[str, Scenario],
    *,
    clock: Callable[[], float] = time.monotonic,
) -> LiveBooking | None:
    """The signed-in trainee takes the next booking of their class (None: no class is
    running for them, or they have finished it).

    Raises
    ------
    ValueError
        The class is paused, the trainee has a booking running already, or a scenario of the
        class is not in ``library``.
    """
    authorize(gallery, operator, Permission.TRAIN)
    progress = active_class(gallery, operator.username)
    if progress is None:
        return None
    if progress.state == PAUSED:
        raise ValueError(f"class {progress.training_class.name} is paused")
    mine = progress.of(operator.username)
    if mine.current is not None:
        raise ValueError("your booking is still running: end it first")
    tc = progress.training_class
    sid = tc.scenarios[mine.done]
    if sid not in library:
        raise ValueError(f"the class's scenario {sid!r} is not in the scenario folders")
    scenario = library[sid]
    roles = {
        r.role: int(found)
        for r in scenario.gallery
        if (found := gallery.subject_by_synthetic(r.subject, r.population)) is not None
    }
    live = LiveBooking(
        tc,
        scenario,
        mine.trainee,
        roles=roles,
        earlier_runs=_earlier_runs(gallery, sid),
        clock=clock,
    )
    gallery.add_class_event(
        tc.id,
        ClassEvent.BOOKING_STARTED,
        actor=operator.username,
        trainee=mine.trainee,
        scenario_id=sid,
    )
    return live


def disposition_of(run: Mapping[str, Any]) -> Disposition | None:
    """The disposition a stored run's score ended with."""
    value = run["score"].get("disposition")
    return None if value is None else Disposition(value)
