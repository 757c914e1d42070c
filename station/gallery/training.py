"""Training runs: a trainee's scored booking of a scenario and its timed action events (part
of :class:`Gallery`).

The store keeps rows; what a scenario is and how a run is scored is
:mod:`station.training`. A run, its events and the audit entry naming the trainee are
written in one transaction; all three tables are chained, and runs and events are
append-only, so a score edited with another tool is found by ``station gallery verify``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from station.core.vocabulary import TraineeAction

from . import checks, codecs
from .base import GalleryBase, guarded
from .errors import GalleryError

__all__ = ["TrainingStore"]

log = logging.getLogger(__name__)

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
