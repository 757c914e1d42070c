"""Training runs: a trainee's scored booking of a scenario and its timed action events, and
the classes an instructor runs (part of :class:`Gallery`).

The store keeps rows; what a scenario is and how a run is scored is
:mod:`station.training`. A run, its events and the audit entry naming the trainee are
written in one transaction; all three tables are chained, and runs and events are
append-only, so a score edited with another tool is found by ``station gallery verify``.
A class (its trainees, scenarios in order and time limit) and its events (started, paused,
a trainee's booking started or scored, a fault injected) are append-only and chained too:
what a class is doing now is read from its events (:mod:`station.training.classes`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from station.core.vocabulary import ClassEvent, TraineeAction

from . import checks, codecs
from .base import GalleryBase, guarded
from .errors import GalleryError, NotFoundError

__all__ = ["TrainingStore"]

log = logging.getLogger(__name__)

_CLASS_COLUMNS = "id, name, instructor, trainees, scenarios, time_limit, created_at"
_CLASS_EVENT_COLUMNS = "id, class_id, at, actor, kind, trainee, scenario_id, run_id, detail"

_RUN_COLUMNS = (
    "id, scenario_id, scenario_title, trainee, booking_id, tcn, started_at, finished_at, "
    "points, max_points, score"
)


def _run(row: dict[str, Any]) -> dict[str, Any]:
    try:
        row["score"] = json.loads(row["score"])
    except (TypeError, ValueError) as exc:
        raise GalleryError(f"training run {row['id']} has a damaged score: {exc}") from None
    return row


class TrainingStore(GalleryBase):
    """Scored training runs (part of :class:`Gallery`)."""

    @guarded
    def add_training_run(
        self,
        *,
        scenario_id: str,
        scenario_title: str,
        trainee: str,
        booking_id: int | None,
        started_at: str,
        finished_at: str,
        points: int,
        max_points: int,
        score: Mapping[str, Any],
        events: Sequence[Mapping[str, Any]],
    ) -> int:
        """Store a scored run with its events, and audit it in the trainee's name.

        Parameters
        ----------
        scenario_id, scenario_title : str
        trainee : str
            Who booked (the audit entry's actor).
        booking_id : int or None
            The training booking (None: the run ended before a booking was opened).
        started_at, finished_at : str
            ISO-8601 times.
        points, max_points : int
            What the trainee earned out of what a perfect run earns.
        score : mapping
            The whole score as JSON-able data (:meth:`station.training.Score.as_dict`).
        events : sequence of mapping
            ``{"at": seconds since the start, "action": TraineeAction, "detail": {...}}``
            in the order they happened.

        Returns
        -------
        run_id : int
        """
        scenario_id = checks.text(scenario_id, "scenario id")
        trainee = checks.text(trainee, "trainee")
        for name, value in (("points", points), ("max_points", max_points)):
            checks.count(value, name)
        if points > max_points:
            raise ValueError(f"points ({points}) cannot exceed max_points ({max_points})")
        rows = []
        for n, event in enumerate(events, 1):
            at = event.get("at")
            if isinstance(at, bool) or not isinstance(at, int | float) or at < 0:
                raise ValueError(f"event {n}: at must be seconds >= 0, got {at!r}")
            action = TraineeAction.parse(event.get("action"), what=f"event {n} action")
            detail = event.get("detail")
            rows.append(
                {
                    "seq": n,
                    "at": float(at),
                    "action": str(action),
                    "detail": None if detail is None else codecs.to_json(dict(detail), "detail"),
                }
            )
        with self.transaction():
            tcn = None
            if booking_id is not None:
                booking_id = self._require("bookings", booking_id, "booking")
                tcn = self._scalar("SELECT tcn FROM bookings WHERE id = ?", (booking_id,))
            run_id = self._insert(
                "training_runs",
                {
                    "scenario_id": scenario_id,
                    "scenario_title": str(scenario_title),
                    "trainee": trainee,
                    "booking_id": booking_id,
                    "tcn": tcn,
                    "started_at": started_at,
                    "finished_at": finished_at,
                    "points": points,
                    "max_points": max_points,
                    "score": codecs.to_json(dict(score), "score"),
                },
            )
            for row in rows:
                self._insert("training_events", {"run_id": run_id, **row})
            self._insert(
                "audit",
                {
                    "at": codecs.now(),
                    "actor": trainee,
                    "action": "training run scored",
                    "booking_id": booking_id,
                    "subject_id": None,
                    "detail": codecs.to_json(
                        {
                            "run_id": run_id,
                            "scenario": scenario_id,
                            "points": points,
                            "max_points": max_points,
                        },
                        "detail",
                    ),
                },
            )
        log.info("training run %d: %s scored %d/%d", run_id, trainee, points, max_points)
        return run_id

    @guarded
    def training_runs(
        self, *, trainee: str | None = None, scenario_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Scored runs, oldest first (optionally of one trainee or scenario); ``score`` is
        parsed back from JSON."""
        where, params = [], []
        if trainee is not None:
            where.append("trainee = ? COLLATE NOCASE")
            params.append(checks.text(trainee, "trainee"))
        if scenario_id is not None:
            where.append("scenario_id = ?")
            params.append(checks.text(scenario_id, "scenario id"))
        sql = f"SELECT {_RUN_COLUMNS} FROM training_runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_run(r) for r in self._rows(sql + " ORDER BY id", params)]

    @guarded
    def training_run(self, run_id: int) -> dict[str, Any]:
        """One scored run (``NotFoundError`` if there is none)."""
        run_id = self._require("training_runs", run_id, "training run")
        row = self._row(f"SELECT {_RUN_COLUMNS} FROM training_runs WHERE id = ?", (run_id,))
        assert row is not None
        return _run(row)

    @guarded
    def training_events(self, run_id: int) -> list[dict[str, Any]]:
        """A run's action events in order: ``seq, at, action, detail`` (parsed)."""
        run_id = self._require("training_runs", run_id, "training run")
        rows = self._rows(
            "SELECT seq, at, action, detail FROM training_events WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        for row in rows:
            row["detail"] = None if row["detail"] is None else json.loads(row["detail"])
        return rows

    # --- classes --------------------------------------------------------------------------

    @guarded
    def add_training_class(
        self,
        *,
        name: str,
        instructor: str,
        trainees: Sequence[str],
        scenarios: Sequence[str],
        time_limit: int,
    ) -> int:
        """Store a new class and audit it in the instructor's name.

        Parameters
        ----------
        name : str
            Unique (case-insensitive) among the gallery's classes.
        instructor : str
        trainees : sequence of str
            Account names, at least one, no repeats.
        scenarios : sequence of str
            Scenario ids in the order every trainee books them, at least one.
        time_limit : int
            Seconds per booking (> 0).

        Returns
        -------
        class_id : int
        """
        name = checks.text(name, "class name")
        instructor = checks.text(instructor, "instructor")
        trainees = [checks.text(t, "trainee") for t in trainees]
        scenarios = [checks.text(s, "scenario id") for s in scenarios]
        if not trainees:
            raise ValueError("a class needs at least one trainee")
        if len({t.casefold() for t in trainees}) != len(trainees):
            raise ValueError(f"a trainee is named twice: {trainees}")
        if not scenarios:
            raise ValueError("a class needs at least one scenario")
        if isinstance(time_limit, bool) or not isinstance(time_limit, int) or time_limit <= 0:
            raise ValueError(f"time_limit must be seconds > 0, got {time_limit!r}")
        with self.transaction():
            if self._scalar(
                "SELECT id FROM training_classes WHERE name = ? COLLATE NOCASE", (name,)
            ):
                raise ValueError(f"there is a class named {name!r} already")
            class_id = self._insert(
                "training_classes",
                {
                    "name": name,
                    "instructor": instructor,
                    "trainees": codecs.to_json(trainees, "trainees"),
                    "scenarios": codecs.to_json(scenarios, "scenarios"),
                    "time_limit": time_limit,
                    "created_at": codecs.now(),
                },
            )
            self._insert(
                "audit",
                {
                    "at": codecs.now(),
                    "actor": instructor,
                    "action": "training class created",
                    "booking_id": None,
                    "subject_id": None,
                    "detail": codecs.to_json({"class_id": class_id, "name": name}, "detail"),
                },
            )
        log.info("training class %d %r: %d trainees", class_id, name, len(trainees))
        return class_id

    @guarded
    def training_classes(self) -> list[dict[str, Any]]:
        """Every class, oldest first (``trainees`` and ``scenarios`` parsed)."""
        rows = self._rows(f"SELECT {_CLASS_COLUMNS} FROM training_classes ORDER BY id")
        return [_class(r) for r in rows]

    @guarded
    def training_class(self, name_or_id: str | int) -> dict[str, Any]:
        """One class by id or name (``NotFoundError`` if there is none)."""
        if isinstance(name_or_id, int) and not isinstance(name_or_id, bool):
            class_id = self._require("training_classes", name_or_id, "training class")
            row = self._row(
                f"SELECT {_CLASS_COLUMNS} FROM training_classes WHERE id = ?", (class_id,)
            )
        else:
            name = checks.text(name_or_id, "class name")
            row = self._row(
                f"SELECT {_CLASS_COLUMNS} FROM training_classes WHERE name = ? COLLATE NOCASE",
                (name,),
            )
            if row is None:
                raise NotFoundError(f"no training class named {name!r}")
        assert row is not None
        return _class(row)

    @guarded
    def add_class_event(
        self,
        class_id: int,
        kind: ClassEvent | str,
        *,
        actor: str,
        trainee: str | None = None,
        scenario_id: str | None = None,
        run_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        """Append an event to a class (chained); its id."""
        kind = ClassEvent.parse(kind, what="class event")
        actor = checks.text(actor, "actor")
        with self.transaction():
            class_id = self._require("training_classes", class_id, "training class")
            if run_id is not None:
                run_id = self._require("training_runs", run_id, "training run")
            return self._insert(
                "training_class_events",
                {
                    "class_id": class_id,
                    "at": codecs.now(),
                    "actor": actor,
                    "kind": str(kind),
                    "trainee": None if trainee is None else checks.text(trainee, "trainee"),
                    "scenario_id": scenario_id,
                    "run_id": run_id,
                    "detail": None if detail is None else codecs.to_json(dict(detail), "detail"),
                },
            )

    @guarded
    def class_events(self, class_id: int | None = None, *, after: int = 0) -> list[dict[str, Any]]:
        """Events of a class (or of every class) with an id above ``after``, oldest first."""
        sql = f"SELECT {_CLASS_EVENT_COLUMNS} FROM training_class_events WHERE id > ?"
        params: list[Any] = [checks.count(after, "after")]
        if class_id is not None:
            sql += " AND class_id = ?"
            params.append(checks.row_id(class_id, "class id"))
        rows = self._rows(sql + " ORDER BY id", params)
        for row in rows:
            row["detail"] = None if row["detail"] is None else json.loads(row["detail"])
        return rows


def _class(row: dict[str, Any]) -> dict[str, Any]:
    row["trainees"] = json.loads(row["trainees"])
    row["scenarios"] = json.loads(row["scenarios"])
    return row
