"""Playing a scripted trainee through a scenario: gallery set-up, the booking, the score.

:func:`prepare` makes the gallery ready for a scenario: each ``[[gallery]]`` role's synthetic
subject is enrolled unless it is there (as ``station seed`` enrols it: deterministic,
idempotent; this needs the seed permission, i.e. an instructor or administrator, when
something is missing). :func:`platen_for` turns the scenario's ``[platen]`` into the mock
scanner's :class:`~station.scanner.PlatenSubject` and
:class:`~station.scanner.ScannerFaults`. :func:`play` runs the booking through
:class:`~station.service.BookingService`, records each action as a timed
:class:`~station.training.scoring.ActionEvent`, scores it and (by default) stores the run,
its events and an audit entry naming the trainee in the gallery.

Repeated runs on one gallery: a run that enrols a new person leaves them enrolled, so the
``n``-th run of a scenario in a gallery (``n`` = runs of it stored already) books its new
person from population ``population + n``: a person the gallery has never seen, each time.

The scenario's ``[arrest]`` is the booking's arrest data, arrested the day of the run: stored
on a live booking when it opens, and written in the Type-2 record (race, OCA, date of arrest,
charges, SMT) of a ``source = "transaction"`` scenario's file. After a submit (or an import)
that got a response, the runner sends the booking to the Secure Communities agencies
(:class:`~station.service.secure_communities.SecureCommunities`), waits for their final
answers, and records them in the event's ``agencies`` detail (system, status, result and, for
LESC, the level, removability and detainer), which the score's ``agency`` expectations read
(:func:`agency_answers`).

A decision (confirm / reject) is the examiner's: it is applied when the operator may decide
(an examiner, or set-up mode); otherwise it is recorded and scored but not applied, and the
event says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from station.core.arrest import Arrest
from station.core.synth.population import demographics as synthetic_demographics
from station.core.vocabulary import (
    CAPTURE_ORDER,
    FINGERS,
    SLAP_FINGERS,
    SLAPS,
    Annotation,
    Decision,
    Disposition,
    Finger,
    FingerCondition,
    Impression,
    System,
    SystemStatus,
    TraineeAction,
)
from station.gallery import Gallery, GalleryError
from station.interchange.ebts import (
    DEMOGRAPHIC_KEYS,
    ArrestCharge,
    PrintImage,
    TenprintSubmission,
    build_submission,
)
from station.scanner.base import ScannerError
from station.scanner.mock import MockScanner, MockSettings, ScannerFaults
from station.scanner.scenarios import PlatenSubject
from station.service.accounts import Operator, Permission, RoleError, authorize
from station.service.booking import BookingService, DecisionError
from station.service.drive import book_transaction_file
from station.service.results import Response, SlapCaptureResult, SystemAnswer
from station.service.secure_communities import SecureCommunities
from station.service.seed import enrol_synthetic
from station.service.transactions import write_transaction_file
from station.settings import AgencySettings

from .actions import ActionScript, TraineeStep
from .scenario import NEW_PERSON, Scenario
from .scoring import ActionEvent, FinalState, Score, score

__all__ = [
    "RunResult",
    "agency_answers",
    "agency_detail",
    "final_state",
    "person_of",
    "platen_for",
    "play",
    "prepare",
    "scenario_submission",
    "trainee_demographics",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """A played training booking.

    Attributes
    ----------
    score : Score
    events : tuple of ActionEvent
    booking_id : int or None
    run_id : int or None
        The stored run (None when not stored).
    roles : mapping of str to int
        Gallery subject id of each role.
    """

    score: Score
    events: tuple[ActionEvent, ...]
    booking_id: int | None
    run_id: int | None
    roles: Mapping[str, int]


def prepare(
    gallery: Gallery, scenario: Scenario, *, operator: Operator | None = None
) -> dict[str, int]:
    """Enrol the scenario's gallery roles that the gallery lacks; their gallery ids.

    Raises
    ------
    RoleError
        Something must be enrolled and the operator may not seed the gallery.
    """
    missing = [
        r for r in scenario.gallery if gallery.subject_by_synthetic(r.subject, r.population) is None
    ]
    if missing:
        try:
            authorize(gallery, operator, Permission.SEED)
        except RoleError as exc:
            raise RoleError(
                f"scenario {scenario.id} needs synthetic subject(s) "
                f"{', '.join(str(r.subject) for r in missing)} in the gallery: an instructor "
                f"must prepare it ({exc})"
            ) from None
    actor = "station seed" if operator is None else operator.username
    roles = {}
    for r in scenario.gallery:
        roles[r.role] = enrol_synthetic(gallery, r.subject, r.population, actor=actor)
        if r in missing:
            log.info("scenario %s: enrolled role %s (subject %d)", scenario.id, r.role, r.subject)
    return roles


def person_of(scenario: Scenario, *, earlier_runs: int = 0) -> tuple[int, int]:
    """``(subject, population)`` of the synthetic person on the platen.

    A new person of the ``n``-th run (``earlier_runs`` = n) comes from population
    ``population + n`` (see the module docstring).
    """
    p = scenario.platen
    if p.person == NEW_PERSON:
        assert p.subject is not None
        return p.subject, p.population + earlier_runs
    role = scenario.role(p.person)
    return role.subject, role.population


def platen_for(scenario: Scenario, *, earlier_runs: int = 0) -> tuple[PlatenSubject, ScannerFaults]:
    """The mock scanner's subject and faults for the scenario.

    Examples
    --------
    >>> from station.training.scenario import parse_scenario
    >>> s = parse_scenario('''
    ... id = "x"
    ... title = "X"
    ... [platen]
    ... person = "new"
    ... subject = 6
    ... disconnect_at = 3
    ... [platen.fingers]
    ... L4 = "amputated"
    ... R2 = "dry"
    ... ''')
    >>> subject, faults = platen_for(s)
    >>> sorted(map(str, subject.absent)), [(str(f), str(c)) for f, c in subject.conditions]
    (['L4'], [('R2', 'dry')])
    >>> faults.disconnect_at
    3
    """
    p = scenario.platen
    subject, population = person_of(scenario, earlier_runs=earlier_runs)
    absent = frozenset(f for f, c in p.fingers.items() if c is FingerCondition.AMPUTATED)
    conditions = tuple(
        (str(f), str(c)) for f, c in p.fingers.items() if c is not FingerCondition.AMPUTATED
    )
    borrowed = tuple(
        (str(f), scenario.role(role).subject, scenario.role(role).population)
        for role, fingers in p.shares
        for f in fingers
    )
    platen = PlatenSubject(
        subject,
        population,
        origin=f"training:{scenario.id}",
        swap=p.swap,
        absent=absent,
        conditions=conditions,
        wrong_hand=p.wrong_hand,
        borrowed=borrowed,
    )
    faults = ScannerFaults(dirty_platen=p.dirty_platen, disconnect_at=p.disconnect_at)
    return platen, faults


def trainee_demographics(scenario: Scenario, *, earlier_runs: int = 0) -> dict[str, Any]:
    """What the trainee is told: the person's own demographics with the scenario's changes."""
    subject, population = person_of(scenario, earlier_runs=earlier_runs)
    data: dict[str, Any] = synthetic_demographics(subject, population=population).as_dict()
    data.update(scenario.demographics)
    return data


def agency_detail(answer: SystemAnswer, role_of: Mapping[int, str] | None = None) -> dict[str, Any]:
    """One agency's answer as a training event records it (plain JSON values).

    Parameters
    ----------
    answer : SystemAnswer
        The system's latest message for the booking.
    role_of : mapping of int to str, optional
        Scenario role of each gallery subject id (named as ``role`` when it identified one).

    Returns
    -------
    dict
        ``system``, ``tot``, ``status``, ``result``, ``response_tot``, ``sent_at``,
        ``answered_at``, ``answers`` (what :func:`agency_answers` scores), and when present
        ``subject_id``, ``role``, ``record_number``, ``level``, ``removable``, ``detainer``,
        ``immigration_status``.

    Examples
    --------
    >>> a = SystemAnswer(System.LESC, "IAQ", SystemStatus.ANSWERED, "removable",
    ...                  "2026-12-01T10:00:00.000Z", "2026-12-01T10:00:00.500Z",
    ...                  {"level": 1, "removable": True, "detainer": "I-247"}, "IAR",
    ...                  tcn="T-LESC", booking_id=1)
    >>> agency_detail(a)["answers"]
    ['removable', 'Level 1', 'detainer']
    """
    details = answer.details
    out: dict[str, Any] = {
        "system": str(answer.system),
        "tot": answer.tot,
        "status": str(answer.status),
        "result": answer.result,
        "response_tot": answer.response_tot,
        "sent_at": answer.sent_at,
        "answered_at": answer.answered_at,
    }
    for key in ("subject_id", "record_number", "level", "removable", "detainer"):
        if details.get(key) is not None:
            out[key] = details[key]
    if details.get("status") is not None:
        out["immigration_status"] = details["status"]
    if role_of and out.get("subject_id") in role_of:
        out["role"] = role_of[out["subject_id"]]
    out["answers"] = list(_facts(answer))
    return out


def _facts(answer: SystemAnswer) -> tuple[str, ...]:
    """What an ``agency`` expectation may name: the result, and LESC's level and detainer."""
    if answer.status is SystemStatus.PENDING:
        return ("pending",)
    if answer.status is SystemStatus.TIMEOUT:
        return ("timeout",)
    if answer.status is SystemStatus.ERROR:
        return ("error",) + ((answer.result,) if answer.result else ())
    facts = [answer.result] if answer.result else []
    if answer.details.get("level") is not None and answer.system is System.LESC:
        facts.append(f"Level {answer.details['level']}")
    if answer.details.get("detainer"):
        facts.append("detainer")
    return tuple(facts)


def agency_answers(answers: Iterable[SystemAnswer]) -> dict[str, tuple[str, ...]]:
    """Each system's answers, by system code, as :class:`FinalState` takes them.

    A system the booking never sent a message to (LESC without an IDENT match) is absent.
    """
    return {str(a.system): _facts(a) for a in answers}


def scenario_submission(
    scenario: Scenario,
    demographics: Mapping[str, Any],
    fingers: Mapping[Finger, PrintImage | Annotation],
    *,
    arrest: Arrest | None = None,
    today: dt.date | None = None,
) -> TenprintSubmission:
    """The ten-print submission (CAR) a ``source = "transaction"`` scenario books from.

    With ``arrest``, its Type-2 has the arrest data as a station's CAR has it: 2.025 RAC,
    2.009 OCA, 2.045 DOA, 2.047 ASL (each charge's statute and name from the offence
    table), 2.026 SMT; the originating agency (1.008 ORI) is the arresting agency's.

    Parameters
    ----------
    scenario : Scenario
    demographics : mapping
        What the trainee is told (:func:`trainee_demographics`).
    fingers : mapping of Finger to PrintImage or Annotation
        The rolled prints.
    arrest : Arrest, optional
        The booking's arrest data (``scenario.arrest`` on the day of the run).
    today : datetime.date, optional
        The transaction date (default: today, UTC).

    Returns
    -------
    TenprintSubmission
    """
    data = {k: v for k, v in demographics.items() if k in DEMOGRAPHIC_KEYS}
    arrest_fields: dict[str, Any] = {}
    if arrest is not None:
        data["race"] = str(arrest.race)
        arrest_fields = {
            "oca": arrest.oca,
            "date_of_arrest": arrest.date_of_arrest,
            "smt": arrest.smt,
            "charges": tuple(
                ArrestCharge(c.offence.literal, c.offence_date) for c in arrest.charges
            ),
        }
    return TenprintSubmission(
        tcn=f"TRAIN-{scenario.id}"[:40],
        ori="NY0303000" if arrest is None else arrest.ori,
        dai="WVIAFIS0Z",
        date=today or dt.datetime.now(dt.UTC).date(),
        demographics=data,
        fingers=fingers,
        **arrest_fields,
    )


class _Play:
    """The state of one played booking."""

    def __init__(
        self,
        service: BookingService,
        scenario: Scenario,
        roles: Mapping[str, int],
        scanner: MockScanner,
        demographics: dict[str, Any],
        clock: Callable[[], float],
        workdir: Path,
        *,
        arrest: Arrest | None = None,
        agencies: SecureCommunities | None = None,
    ) -> None:
        self.service = service
        self.arrest = arrest
        self.agencies = agencies
        self.scenario = scenario
        self.roles = dict(roles)
        self.role_of = {sid: role for role, sid in roles.items()}
        self.scanner = scanner
        self.demographics = demographics
        self.clock = clock
        self.start = clock()
        self.workdir = workdir
        self.booking_id: int | None = None
        self.response: Response | None = None
        self.events: list[ActionEvent] = []
        self.scripted_at = 0.0

    # --- events ---------------------------------------------------------------------------

    def record(self, step: TraineeStep, action: TraineeAction, detail: dict[str, Any]) -> None:
        at = step.at if step.at is not None else round(self.clock() - self.start, 3)
        at = max(at, self.events[-1].at if self.events else 0.0)
        self.events.append(ActionEvent(len(self.events) + 1, at, action, detail))

    # --- the booking ----------------------------------------------------------------------

    def booking(self) -> int:
        if self.booking_id is None:
            self.booking_id = self.service.open_booking(self.demographics)
            if self.arrest is not None:
                self.service.set_arrest(self.booking_id, self.arrest)
        return self.booking_id

    def done_slots(self) -> set[tuple[str, str]]:
        if self.booking_id is None:
            return set()
        return {
            (p["finger"], p["impression"])
            for p in self.service.gallery.booking_prints(self.booking_id)
        }

    def capture(self, step: TraineeStep, finger: str, impression: str) -> None:
        detail: dict[str, Any] = {"finger": finger, "impression": str(impression)}
        try:
            booking = self.booking()
            capture = self.scanner.capture(finger, impression)
            result = self.service.capture(booking, capture)
        except (ScannerError, ValueError, GalleryError) as exc:
            detail["error"] = str(exc) or type(exc).__name__
        else:
            detail["attempt"] = result.attempt
            if isinstance(result, SlapCaptureResult):
                seq = result.sequence
                if seq is not None and seq.mismatched:
                    detail["mismatched"] = sorted(str(f) for f in seq.mismatched)
            else:
                detail["level"] = result.level
        self.record(step, TraineeAction.CAPTURE, detail)

    def capture_remaining(self, step: TraineeStep) -> None:
        done = self.done_slots()
        annotated = {f for f, _ in done if f in FINGERS}
        for slot, impression in CAPTURE_ORDER:
            if (slot, impression) in done or (slot in SLAPS and not step.slaps):
                continue
            if slot in FINGERS and slot in annotated:
                continue
            if slot in SLAP_FINGERS and all(f in annotated for f in SLAP_FINGERS[slot]):
                continue
            self.capture(step, slot, impression)
            if not self.scanner.connected:
                return  # the trainee must reconnect before going on

    def submit(self, step: TraineeStep) -> None:
        detail: dict[str, Any] = {}
        try:
            response = self.service.submit(self.booking())
        except (GalleryError, ValueError) as exc:
            detail["error"] = str(exc)
        else:
            self.response = response
            detail |= self._response_detail(response)
        self.record(step, TraineeAction.SUBMIT, detail)
        if "error" not in detail:
            self.ask_agencies()

    def import_transaction(self, step: TraineeStep) -> None:
        detail: dict[str, Any] = {}
        if self.booking_id is not None:
            detail["error"] = "a booking is open already: the file would be a second booking"
        else:
            try:
                path = self._transaction_file()
                report = book_transaction_file(self.service, path)
            except (ValueError, GalleryError, ScannerError) as exc:
                detail["error"] = str(exc)
            else:
                self.booking_id = report.booking_id
                self.response = report.response
                detail |= {"file": path.name} | self._response_detail(report.response)
        self.record(step, TraineeAction.IMPORT, detail)
        if "error" not in detail:
            self.ask_agencies()

    def ask_agencies(self) -> None:
        """Send the responded booking to the agencies, wait for their final answers and add
        them to the last event's detail (``agencies``, or ``agencies_error``)."""
        if self.agencies is None or self.booking_id is None:
            return
        event = self.events[-1]
        extra: dict[str, Any] = {}
        try:
            self.agencies.send(self.booking_id)
            settings = self.agencies.settings
            longest = settings.timeout + sum(settings.delay(s) for s in System) + 1.0
            answers = self.agencies.wait(self.booking_id, longest)
        except (GalleryError, ValueError) as exc:
            extra["agencies_error"] = str(exc)
        else:
            extra["agencies"] = [agency_detail(a, self.role_of) for a in answers]
        self.events[-1] = replace(event, detail={**event.detail, **extra})

    def _transaction_file(self) -> Path:
        """The scenario's ANSI/NIST-ITL file: the person's rolled prints from the scanner."""
        fingers: dict[Finger, PrintImage | Annotation] = {}
        subject = self.scanner.subject
        assert subject is not None
        for finger in FINGERS:
            if finger in subject.absent or finger in subject.unprintable:
                fingers[finger] = Annotation.XX if finger in subject.absent else Annotation.UP
                continue
            image = self.scanner.capture(finger, Impression.ROLLED).image
            rows, cols = image.shape
            fingers[finger] = PrintImage(image.tobytes(), "NONE", cols, rows)
        submission = scenario_submission(
            self.scenario, self.demographics, fingers, arrest=self.arrest
        )
        path = self.workdir / f"{self.scenario.id}.an2"
        write_transaction_file(build_submission(submission), path)
        return path

    def _response_detail(self, response: Response) -> dict[str, Any]:
        detail: dict[str, Any] = {"disposition": str(response.disposition)}
        if response.candidates:
            detail["candidates"] = [
                {
                    "subject_id": c.subject_id,
                    "role": self.role_of.get(c.subject_id),
                    "score": c.score,
                }
                for c in response.candidates
            ]
        if response.sequence is not None and response.sequence.mismatched:
            detail["mismatched"] = sorted(str(f) for f in response.sequence.mismatched)
        return detail

    def decide(self, step: TraineeStep) -> None:
        decision = step.decision or Decision.REJECT
        detail: dict[str, Any] = {"decision": str(decision)}
        subject_id: int | None = None
        if isinstance(step.candidate, int):
            candidates = self.response.candidates if self.response is not None else ()
            if step.candidate <= len(candidates):
                subject_id = candidates[step.candidate - 1].subject_id
        elif step.candidate is not None:
            subject_id = self.roles.get(step.candidate)
        detail["role"] = self.role_of.get(subject_id) if subject_id is not None else None
        detail["subject_id"] = subject_id
        try:
            if self.booking_id is None or subject_id is None:
                raise DecisionError(f"no candidate {step.candidate!r} to decide on")
            try:
                self.service.allow(Permission.DECIDE)
            except RoleError:
                detail["applied"] = False  # scored, but only an examiner's decision counts
                self._check_candidate(subject_id)
            else:
                outcome = self.service.decide(
                    self.booking_id,
                    decision=decision,
                    subject_id=subject_id,
                    note=step.reason or f"training: {decision}",
                )
                detail["applied"] = True
                detail["outcome"] = str(outcome.disposition)
        except (DecisionError, GalleryError, ValueError) as exc:
            detail["error"] = str(exc)
        self.record(step, TraineeAction.DECIDE, detail)

    def _check_candidate(self, subject_id: int) -> None:
        if self.response is None or subject_id not in {
            c.subject_id for c in self.response.candidates
        }:
            raise DecisionError(f"subject #{subject_id} is not a candidate of this response")

    def run(self, step: TraineeStep) -> None:
        a = step.action
        if a is TraineeAction.CAPTURE:
            assert step.finger is not None and step.impression is not None
            self.capture(step, step.finger, step.impression)
        elif a is TraineeAction.CAPTURE_REMAINING:
            self.capture_remaining(step)
        elif a is TraineeAction.IMPORT:
            self.import_transaction(step)
        elif a is TraineeAction.ANNOTATE:
            detail: dict[str, Any] = {"finger": step.finger, "annotation": str(step.annotation)}
            try:
                assert step.finger is not None and step.annotation is not None
                self.service.annotate(
                    self.booking(), step.finger, step.annotation, reason=step.reason
                )
            except (ValueError, GalleryError) as exc:
                detail["error"] = str(exc)
            self.record(step, a, detail)
        elif a is TraineeAction.ACCEPT_QUALITY:
            detail = {"finger": step.finger}
            try:
                assert step.finger is not None
                self.service.accept_quality(self.booking(), step.finger, reason=step.reason or "")
            except (ValueError, GalleryError) as exc:
                detail["error"] = str(exc)
            self.record(step, a, detail)
        elif a is TraineeAction.CLEAN_PLATEN:
            self.scanner.clean_platen()
            self.record(step, a, {})
        elif a is TraineeAction.RECONNECT:
            was = self.scanner.connected
            self.scanner.connect()
            self.record(step, a, {} if not was else {"note": "the scanner was connected"})
        elif a is TraineeAction.SUBMIT:
            self.submit(step)
        elif a is TraineeAction.REFUSE:
            detail = {"reason": step.reason}
            try:
                if self.booking_id is None:
                    raise GalleryError("no booking is open to refuse")
                self.service.close(self.booking_id, f"refused: {step.reason}")
            except (ValueError, GalleryError) as exc:
                detail["error"] = str(exc)
            self.record(step, a, detail)
        elif a is TraineeAction.DECIDE:
            self.decide(step)
        else:  # enrol
            detail = {}
            try:
                detail["subject_id"] = self.service.enrol(self.booking())
            except (ValueError, GalleryError) as exc:
                detail["error"] = str(exc)
            self.record(step, a, detail)

    def final(self) -> FinalState:
        return final_state(self.service, self.booking_id, self.agencies)


def final_state(
    service: BookingService,
    booking_id: int | None,
    agencies: SecureCommunities | None = None,
) -> FinalState:
    """How a training booking ended: its disposition after the examiners' decisions, status
    and, with ``agencies``, the agencies' answers (an empty state when no booking was
    opened)."""
    if booking_id is None:
        return FinalState()
    status = str(service.gallery.booking(booking_id)["status"])
    if not service.gallery.responses(booking_id):
        return FinalState(status=status)
    outcome = service.outcome(booking_id)
    answers = None
    if agencies is not None:
        answers = agency_answers(agencies.systems(booking_id)) or None
    return FinalState(
        disposition=Disposition(outcome.disposition),
        status=status,
        agency_answers=answers,
    )


def play(
    service: BookingService,
    scenario: Scenario,
    script: ActionScript,
    *,
    trainee: str | None = None,
    device_seed: int = 0,
    store: bool = True,
    settings: MockSettings | None = None,
    agencies: AgencySettings | None = None,
    ask_agencies: bool = True,
    clock: Callable[[], float] = time.monotonic,
) -> RunResult:
    """Play a scripted trainee through a scenario's booking and score it.

    Parameters
    ----------
    service : BookingService
        On the gallery to book in; its operator is the trainee (or, in set-up mode,
        ``trainee`` names them).
    scenario : Scenario
    script : ActionScript
        The trainee's actions.
    trainee : str, optional
        Who is scored (default: the service's operator).
    device_seed : int
        Mock scanner seed.
    store : bool
        Store the run, its events and an audit entry in the gallery.
    settings : MockSettings, optional
        Mock scanner tunables (tests use a fast preview).
    agencies : AgencySettings, optional
        The agencies' delays, time-out and faults (default: ``[agencies]`` of the settings
        in force); the runner waits for their answers after a response.
    ask_agencies : bool
        Send the responded booking to the agencies (False: ``agency`` expectations are not
        scored).
    clock : callable
        Seconds, for the steps without a scripted ``at``.

    Returns
    -------
    RunResult

    Raises
    ------
    RoleError
        The operator may not book, or the gallery lacks a role and the operator may not
        enrol it.
    """
    service.allow(Permission.BOOK)
    trainee = trainee or service.actor
    gallery = service.gallery
    roles = prepare(gallery, scenario, operator=service.operator)
    earlier = len(gallery.training_runs(scenario_id=scenario.id))
    subject, faults = platen_for(scenario, earlier_runs=earlier)
    scanner = MockScanner(subject, faults=faults, seed=device_seed, settings=settings)
    scanner.connect()
    started = dt.datetime.now(dt.UTC)
    arrest = None if scenario.arrest is None else scenario.arrest.on(dt.date.today())
    sc = SecureCommunities(service, settings=agencies) if ask_agencies else None
    with tempfile.TemporaryDirectory(prefix="station-train-") as tmp:
        state = _Play(
            service,
            scenario,
            roles,
            scanner,
            trainee_demographics(scenario, earlier_runs=earlier),
            clock,
            Path(tmp),
            arrest=arrest,
            agencies=sc,
        )
        if scenario.source == "transaction" and not any(
            s.action is TraineeAction.IMPORT for s in script.steps
        ):
            log.info("scenario %s books from a file: the script never imports it", scenario.id)
        for step in script.steps:
            state.run(step)
    final = state.final()
    result = score(scenario, state.events, final, trainee=trainee)
    run_id = None
    if store:
        run_id = gallery.add_training_run(
            scenario_id=scenario.id,
            scenario_title=scenario.title,
            trainee=trainee,
            booking_id=state.booking_id,
            started_at=started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            finished_at=dt.datetime.now(dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            points=result.points,
            max_points=result.max_points,
            score=result.as_dict(),
            events=[e.as_dict() for e in state.events],
        )
    return RunResult(result, tuple(state.events), state.booking_id, run_id, roles)
