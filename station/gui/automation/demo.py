"""``station demo``: the window plays training scenarios by itself, with captions.

A :class:`DemoPlayer` books each scenario's RIGHT actions (the ``<id>.right.json`` action file
next to its TOML, see :mod:`station.training.actions`) through the test kit's page objects
(:class:`~station.testing.pages.Station`), so the demo clicks the window exactly as a test
does. The gallery is made ready by the training runner's :func:`~station.training.runner.prepare`
and the mock scanner gets the scenario's person and faults from
:func:`~station.training.runner.platen_for`.

Pacing and captions come from :class:`DemoWaiter`, the kit's :class:`Waiter` for a demo: each
step the page objects announce is shown on the caption bar (``demoCaption``) and followed by a
pause of ``pace`` seconds, a ``QTimer``-driven wait of the event loop (never a sleep).

Any key press or mouse click while the demo waits hands the station back to a person: an event
filter on the application swallows that first key or click, the demo stops at once (a capture
already on the scanner finishes by itself) and the booking on screen is left as it is, open,
for the person to carry on or abandon.

The demo plays on a throw-away gallery (:func:`demo_gallery`): its bookings, enrolments and the
``demo`` account never reach a real gallery.
"""

from __future__ import annotations

import logging
import re
import secrets
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QToolBar, QWidget

from station.core.vocabulary import SLAPS, Disposition, Role, TraineeAction
from station.gallery import open_gallery
from station.scanner import MockSettings
from station.service import Operator, seed
from station.service.accounts import hash_password
from station.training.actions import ActionScript, TraineeStep, load_actions
from station.training.runner import platen_for, prepare, trainee_demographics
from station.training.scenario import Scenario

from .galleries import copy_gallery, sign_in
from .pages import CaptureOutcome, Station

__all__ = [
    "CAPTIONS_KEPT",
    "DEFAULT_SCENARIOS",
    "DEMO_USER",
    "DemoPlayer",
    "DemoRun",
    "DemoStoppedError",
    "DemoWaiter",
    "demo_gallery",
    "right_actions",
    "rss_bytes",
]

log = logging.getLogger(__name__)

#: The library scenarios played when none is named: one of each kind of booking the station
#: handles at the window (a new person, a recapture, the sequence check, an examiner's
#: confirmed HIT, an amputated finger, a scanner disconnect).
DEFAULT_SCENARIOS = (
    "first-arrest",
    "dry-skin",
    "swapped-fingers",
    "returning-alias",
    "amputated-finger",
    "scanner-failure",
)
#: The account the demo signs in as (officer, examiner, instructor), on its throw-away gallery only.
DEMO_USER = "demo"

#: Captions a demo keeps (the latest; a looping demo shows about 30 a booking and would
#: otherwise keep every one for as long as it runs).
CAPTIONS_KEPT = 1000
#: Milliseconds the event loop runs between two checks of a condition.
_SLICE_MS = 15
#: Input that hands the station back to a person.
_INPUT = (
    QEvent.Type.KeyPress,
    QEvent.Type.ShortcutOverride,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonDblClick,
)
#: Recaptures the demo makes of one finger before it accepts the print as it is.
_MAX_RECAPTURES = 2


class DemoStoppedError(Exception):
    """A person pressed a key or clicked: the demo handed the station back."""


class DemoWaiter:
    """The kit's waiter for a demo: captions each step and paces it; a key or click stops it.

    Parameters
    ----------
    caption : QLabel
        The caption bar's label (``demoCaption``).
    pace : float
        Seconds each step stays on screen before it is done (0: as fast as the window goes).

    Examples
    --------
    >>> waiter = DemoWaiter(label, pace=2.0)  # doctest: +SKIP
    >>> Station(window, waiter=waiter).booking.submit()  # doctest: +SKIP
    """

    def __init__(self, caption: QLabel, *, pace: float) -> None:
        if pace < 0:
            raise ValueError(f"pace must be >= 0 seconds, got {pace}")
        self.caption = caption
        self.pace = pace
        self.stopped = False
        self.captions: deque[str] = deque(maxlen=CAPTIONS_KEPT)
        self._loop: QEventLoop | None = None

    @property
    def waiting(self) -> bool:
        """The demo is running the event loop (input now comes from a person, not the demo)."""
        return self._loop is not None

    def say(self, text: str) -> None:
        """Show ``text`` on the caption bar (and log it)."""
        self.caption.setText(text)
        self.captions.append(text)
        log.info("demo: %s", text)

    def step(self, text: str) -> None:
        """Caption the action about to happen and give the audience ``pace`` seconds."""
        self._check()
        self.say(text)
        self.pause(self.pace)

    def pause(self, seconds: float) -> None:
        """Let ``seconds`` pass with the window live (raises :class:`DemoStoppedError` if a person
        takes over meanwhile)."""
        end = time.monotonic() + seconds
        self._check()
        while (left := end - time.monotonic()) > 0:
            self._run(max(1, int(left * 1000)))

    def until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Run the event loop until ``condition()`` holds; ``False`` after ``timeout`` s."""
        if timeout < 0:
            raise ValueError(f"timeout must be >= 0 seconds, got {timeout}")
        deadline = time.monotonic() + timeout
        self._check()
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                return bool(condition())
            self._run(max(1, min(_SLICE_MS, int(left * 1000))))
        return True

    def hand_back(self) -> None:
        """Stop: the next wait raises :class:`DemoStoppedError` (the current one ends at once)."""
        if self.stopped:
            return
        self.stopped = True
        if self._loop is not None:
            self._loop.quit()

    def _run(self, ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        self._loop = loop
        try:
            loop.exec()
        finally:
            self._loop = None
        self._check()

    def _check(self) -> None:
        if self.stopped:
            raise DemoStoppedError("a person took the station back")


class _HandBack(QObject):
    """Application event filter: the first key or click while the demo waits stops it."""

    def __init__(self, waiter: DemoWaiter) -> None:
        super().__init__()
        self.waiter = waiter

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # The page objects' own clicks are sent while the demo acts, never while it waits.
        if event.type() in _INPUT and self.waiter.waiting:
            event.accept()  # a shortcut's key is the person's, not a command
            self.waiter.hand_back()
            return True
        return False


@dataclass(frozen=True)
class DemoBooking:
    """One scenario the demo played: its id and the disposition reached (None: none yet)."""

    scenario: str
    disposition: Disposition | None


@dataclass
class DemoRun:
    """What a demo did: the bookings played, the captions shown (the latest
    :data:`CAPTIONS_KEPT`), whether a person took over."""

    bookings: list[DemoBooking] = field(default_factory=list)
    captions: deque[str] = field(default_factory=lambda: deque(maxlen=CAPTIONS_KEPT))
    handed_back: bool = False


def right_actions(scenario: Scenario) -> ActionScript:
    """The scenario's right action file, ``<id>.right.json`` beside its TOML file.

    Raises
    ------
    ValueError
        The scenario has no file or no right action file, or it books from a transaction
        file (the demo plays bookings captured at the window).
    """
    if scenario.path is None:
        raise ValueError(f"scenario {scenario.id} was not read from a file: no action file")
    path = scenario.path.with_name(f"{scenario.path.stem}.right.json")
    if not path.is_file():
        raise ValueError(f"scenario {scenario.id} has no right action file ({path.name})")
    script = load_actions(path)
    if any(s.action is TraineeAction.IMPORT for s in script.steps):
        raise ValueError(
            f"scenario {scenario.id} books from a transaction file: the demo plays bookings "
            "captured at the window"
        )
    return script


def demo_gallery(
    path: str | Path,
    scenarios: Iterable[Scenario],
    *,
    source: str | Path | None = None,
    subjects: int = 4,
) -> tuple[Operator, dict[str, dict[str, int]]]:
    """Build the demo's throw-away gallery and sign in its ``demo`` account.

    ``subjects`` freshly seeded subjects (as ``station seed``), or a copy of ``source``; a
    ``demo`` account (officer, examiner and instructor, a random password; ``demo-demo`` if
    the copy has a ``demo`` already) is added, and every role the scenarios need is enrolled
    by the training runner's :func:`~station.training.runner.prepare` in its name.

    Parameters
    ----------
    path : str or Path
        The new gallery file (must not exist).
    scenarios : iterable of Scenario
    source : str or Path, optional
        A gallery to copy (read only) instead of seeding.
    subjects : int
        Subjects to seed when there is no ``source``.

    Returns
    -------
    Operator
        The ``demo`` account, signed in.
    dict
        Per scenario id, the gallery subject id of each of its roles.
    """
    path = Path(path)
    if path.exists():
        raise ValueError(f"{path} already exists: the demo gallery is built in a new file")
    if source is not None:
        copy_gallery(source, path)
    else:
        if subjects < 1:
            raise ValueError(f"the demo gallery needs at least 1 subject, got {subjects}")
        seed(path, subjects, workers=2)
    password = secrets.token_urlsafe(16)
    with open_gallery(path) as gallery:
        name = DEMO_USER
        while gallery.account(name) is not None:
            name += "-demo"
        gallery.add_account(
            name,
            display_name="Demo officer",
            roles=frozenset((Role.OFFICER, Role.EXAMINER, Role.INSTRUCTOR)),
            password_hash=hash_password(password),
        )
    operator = sign_in(path, name, password)
    with open_gallery(path) as gallery:
        roles = {s.id: prepare(gallery, s, operator=operator) for s in scenarios}
    return operator, roles


def caption_bar(window: QWidget) -> QLabel:
    """Add the caption bar (a tool bar ``demoBar`` holding ``demoCaption``) to the window."""
    bar = QToolBar("Demo", window)
    bar.setObjectName("demoBar")
    bar.setMovable(False)
    label = QLabel("Demo mode — press any key or click to take over")
    label.setObjectName("demoCaption")
    label.setWordWrap(True)
    label.setStyleSheet(
        "QLabel { background: #10161d; color: #ffd447; font-size: 18px; font-weight: bold;"
        " padding: 8px 12px; }"
    )
    bar.addWidget(label)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)  # type: ignore[attr-defined]
    return label


class DemoPlayer:
    """Plays scenarios' right actions in the station window, captioned and paced.

    Parameters
    ----------
    window : StationWindow
        Shown, the demo account signed in, on the gallery :func:`demo_gallery` made.
    roles : mapping of str to (mapping of str to int)
        Per scenario id, the gallery subject of each role (from
        :func:`~station.training.runner.prepare`).
    pace : float
        Seconds each step stays captioned before it is done.
    timeout : float
        Seconds any one wait of the page objects may take.

    Examples
    --------
    >>> player = DemoPlayer(window, roles, pace=2.0)  # doctest: +SKIP
    >>> player.play([library["first-arrest"]])  # doctest: +SKIP
    """

    def __init__(
        self,
        window: QWidget,
        roles: dict[str, dict[str, int]],
        *,
        pace: float = 2.0,
        timeout: float = 60.0,
    ) -> None:
        self.window = window
        self.roles = roles
        self.caption = caption_bar(window)
        self.waiter = DemoWaiter(self.caption, pace=pace)
        self.station = Station(window, waiter=self.waiter, timeout=timeout)
        self.run = DemoRun(captions=self.waiter.captions)
        self._played: dict[str, int] = {}
        self._filter = _HandBack(self.waiter)
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self._filter)

    def close(self) -> None:
        """Remove the event filter (the window stays as it is)."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self._filter)

    def play(
        self,
        scenarios: Sequence[Scenario],
        *,
        loop: bool = False,
        until: float | None = None,
    ) -> DemoRun:
        """Play the scenarios in turn (again and again with ``loop``).

        Parameters
        ----------
        scenarios : sequence of Scenario
        loop : bool
            Start again after the last one.
        until : float, optional
            ``time.monotonic()`` after which no new booking starts.

        Returns
        -------
        DemoRun
            ``handed_back`` when a person took over (the window is theirs, the booking on
            screen left as it was).
        """
        if not scenarios:
            raise ValueError("the demo needs at least one scenario")
        try:
            while True:
                for scenario in scenarios:
                    if until is not None and time.monotonic() >= until:
                        return self.run
                    self.play_one(scenario)
                if not loop:
                    break
            self.waiter.say("Demo over — the station is yours")
        except DemoStoppedError:
            self.run.handed_back = True
            booking = self.window.session.tcn  # type: ignore[attr-defined]
            left = f": booking {booking} is left open for you" if booking else ""
            self.caption.setText(f"Demo stopped — the station is yours{left}")
            log.info("demo: handed back to a person%s", left)
        finally:
            self.close()
        return self.run

    # --- one booking ----------------------------------------------------------------------

    def play_one(self, scenario: Scenario) -> DemoBooking:
        """Play one scenario's right actions; the booking's disposition (None: not submitted)."""
        script = right_actions(scenario)
        n = self._played.get(scenario.id, 0)
        self._played[scenario.id] = n + 1
        roles = self.roles.get(scenario.id, {})
        subject, faults = platen_for(scenario, earlier_runs=n)
        data = trainee_demographics(scenario, earlier_runs=n)
        station, say = self.station, self.waiter.say
        say(f"Scenario: {scenario.title} — {script.title or 'the right way'}")
        self.waiter.pause(self.waiter.pace)
        self.window.driver.set_platen_subject(subject, faults)  # type: ignore[attr-defined]
        slaps = any(
            (s.action is TraineeAction.CAPTURE and s.finger in SLAPS)
            or (s.action is TraineeAction.CAPTURE_REMAINING and s.slaps)
            for s in script.steps
        )
        station.booking.new(
            name=f"{data['last_name']}, {data['first_name']}",
            dob=str(data["date_of_birth"]),
            sex=str(data["sex"]),
            slaps=slaps,
        )
        disposition: Disposition | None = None
        steps = list(script.steps)
        while steps:
            step = steps.pop(0)
            result = self._do(step, steps, roles)
            if result is not None:
                disposition = result
        booking = DemoBooking(scenario.id, disposition)
        self.run.bookings.append(booking)
        log.info(
            "demo: booking %d (%s) done, RSS %.1f MiB",
            len(self.run.bookings),
            scenario.id,
            rss_bytes() / 2**20,
        )
        return booking

    def _do(
        self, step: TraineeStep, later: list[TraineeStep], roles: dict[str, int]
    ) -> Disposition | None:
        station, say = self.station, self.waiter.say
        a = step.action
        if a is TraineeAction.CAPTURE:
            assert step.finger is not None
            self._captured(station.capture.roll(step.finger), later)
        elif a is TraineeAction.CAPTURE_REMAINING:
            while True:
                outcomes = station.capture.roll_all()
                if not outcomes or outcomes[-1].ok:
                    break
                if not self._captured(outcomes[-1], later):
                    break  # a scanner error: the script's next step deals with it
        elif a is TraineeAction.ANNOTATE:
            assert step.finger is not None and step.annotation is not None
            station.capture.annotate(step.finger, str(step.annotation), step.reason)
            say(f"{step.finger} marked {step.annotation}: the search leaves that finger out")
            self.waiter.pause(self.waiter.pace)
        elif a is TraineeAction.ACCEPT_QUALITY:
            pass  # answered when the quality gate asked (see _captured)
        elif a is TraineeAction.CLEAN_PLATEN:
            station.capture.clean_platen()
            say("Platen cleaned: residue on the glass would darken every print")
            self.waiter.pause(self.waiter.pace)
        elif a is TraineeAction.RECONNECT:
            station.capture.reconnect()
        elif a is TraineeAction.SUBMIT:
            disposition = station.booking.submit()
            say(self._why(disposition))
            self.waiter.pause(self.waiter.pace)
            return disposition
        elif a is TraineeAction.REFUSE:
            station.booking.abandon(step.reason or "refused")
            say("The booking is abandoned with the reason: the prints are not sent")
            self.waiter.pause(self.waiter.pace)
        elif a is TraineeAction.DECIDE:
            subject = (
                roles.get(step.candidate)
                if isinstance(step.candidate, str)
                else station.response.candidates[int(step.candidate or 1) - 1].subject_id
            )
            if subject is None:
                raise ValueError(f"no gallery subject for candidate {step.candidate!r}")
            reason = step.reason or str(step.decision)
            response = station.response
            decide = response.confirm if str(step.decision) == "confirm" else response.reject
            disposition = decide(subject, reason=reason)
            say(f"The examiner decided ({step.decision}): the response is now {disposition}")
            self.waiter.pause(self.waiter.pace)
            return disposition
        elif a is TraineeAction.ENROL:
            banner = station.booking.enrol()
            say(f"Enrolled: {banner}")
            self.waiter.pause(self.waiter.pace)
        return None

    def _captured(self, outcome: CaptureOutcome, later: list[TraineeStep]) -> bool:
        """Explain a capture that did not simply succeed and answer the station like the
        script; returns whether the booking can go on capturing."""
        station, say = self.station, self.waiter.say
        if outcome.error:
            first = outcome.error.splitlines()[0]
            say(f"{outcome.slot}: {first} — the officer must deal with it before going on")
            self.waiter.pause(self.waiter.pace)
            return False
        if outcome.slot in SLAPS:
            text = station.capture.sequence
            if text.startswith("✗"):
                say(_sequence_caption(text[1:].strip()))
                self.waiter.pause(self.waiter.pace)
        finger = outcome.slot
        tries = 0
        while outcome.gate:
            say(f"{finger} graded level {outcome.level}: the station asks for a recapture")
            self.waiter.pause(self.waiter.pace)
            accept = _take(later, TraineeAction.ACCEPT_QUALITY, finger)
            if accept is not None or tries >= _MAX_RECAPTURES:
                reason = accept.reason if accept and accept.reason else "best of three prints"
                station.capture.accept_anyway(reason)
                break
            _take(later, TraineeAction.CAPTURE, finger)  # the script's recapture, done here
            outcome = station.capture.recapture_now()
            tries += 1
            if outcome.level is not None and not outcome.gate:
                say(f"{finger} recaptured: level {outcome.level}")
                self.waiter.pause(self.waiter.pace)
        return not outcome.error

    def _why(self, disposition: Disposition) -> str:
        """The caption for a response: what the station answered and why."""
        response = self.station.response
        if disposition is Disposition.HIT and response.candidates:
            top = response.candidates[0]
            return f"HIT: the subject was booked before as {top.name} (subject #{top.subject_id})"
        if disposition is Disposition.NO_HIT:
            return "NO HIT: no one in the gallery has these prints — a new subject"
        if disposition is Disposition.REVIEW:
            n = len(response.candidates)
            return (
                f"REVIEW: {n} candidate{'s' if n != 1 else ''} between the thresholds — "
                "the examiner compares the prints and decides"
            )
        detail = response.detail
        return f"{disposition}: {detail}" if detail else str(disposition)


def _sequence_caption(message: str) -> str:
    """The caption of a failed sequence check (``message``: the station's own words)."""
    fingers = list(dict.fromkeys(re.findall(r"\b[RL][1-5]\b", message)))
    if len(fingers) == 2 and "swap" in message.lower():
        return f"Sequence check: {fingers[0]} and {fingers[1]} swapped — rolled out of order"
    return message if message.startswith("Sequence check") else f"Sequence check: {message}"


def _take(steps: list[TraineeStep], action: TraineeAction, finger: str) -> TraineeStep | None:
    """Remove and return the first ``action`` on ``finger`` among ``steps`` (None: none)."""
    for i, step in enumerate(steps):
        if step.action is action and step.finger == finger:
            return steps.pop(i)
    return None


def rss_bytes() -> int:
    """This process's resident memory now (Linux ``/proc/self/status`` VmRSS), in bytes;
    elsewhere the peak (``resource.getrusage``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_demo(
    scenario_ids: Sequence[str] = (),
    *,
    pace: float = 2.0,
    loop: bool = False,
    duration: float | None = None,
    gallery: str | Path | None = None,
    folder: str | Path | None = None,
    scanner: MockSettings | None = None,
    out: Callable[[str], object] = print,
) -> DemoRun:
    """``station demo``: build the throw-away gallery, open the window and play.

    Parameters
    ----------
    scenario_ids : sequence of str
        Scenario ids (default :data:`DEFAULT_SCENARIOS`).
    pace : float
        Seconds each step stays captioned.
    loop : bool
        Play the scenarios again and again.
    duration : float, optional
        Seconds after which no new booking starts; the demo then ends and the window closes.
    gallery : str or Path, optional
        A gallery to copy (read only) for the demo, instead of 4 freshly seeded subjects.
    folder : str or Path, optional
        More scenario files (as ``station train --scenarios``).
    scanner : MockSettings, optional
        The mock scanner's timing (default: the station's own, a watchable capture).
    out : callable
        Receives the report lines: memory at the start and end, bookings played.

    Returns
    -------
    DemoRun

    Raises
    ------
    ValueError
        An unknown scenario, a negative pace or duration.
    """
    from station.training import load_library

    from .galleries import open_station_window

    if pace < 0:
        raise ValueError(f"--pace must be >= 0 seconds, got {pace}")
    if duration is not None and duration <= 0:
        raise ValueError(f"--duration must be > 0 seconds, got {duration}")
    library = load_library(folder)
    ids = list(scenario_ids) or list(DEFAULT_SCENARIOS)
    unknown = [i for i in ids if i not in library]
    if unknown:
        raise ValueError(f"no scenario {', '.join(unknown)}: use one of {', '.join(library)}")
    scenarios = [library[i] for i in ids]
    for scenario in scenarios:
        right_actions(scenario)  # refused before the gallery is built
    app = QApplication.instance() or QApplication(["station"])
    offscreen = QApplication.platformName() == "offscreen"
    with tempfile.TemporaryDirectory(prefix="station-demo-") as tmp:
        out("demo: preparing a throw-away gallery …")
        path = Path(tmp) / "demo.sqlite"
        operator, roles = demo_gallery(path, scenarios, source=gallery)
        window = open_station_window(path, operator, scanner=scanner or MockSettings())
        try:
            player = DemoPlayer(window, roles, pace=pace)
            start_rss, start = rss_bytes(), time.monotonic()
            out(f"demo: RSS at start {start_rss / 2**20:.1f} MiB")
            until = None if duration is None else start + duration
            run = player.play(scenarios, loop=loop or duration is not None, until=until)
            end_rss = rss_bytes()
            out(
                f"demo: RSS at end {end_rss / 2**20:.1f} MiB "
                f"({(end_rss - start_rss) / 2**20:+.1f} MiB) after {time.monotonic() - start:.0f} s"
            )
            reached = ", ".join(f"{b.scenario} {b.disposition or '-'}" for b in run.bookings)
            out(f"demo: {len(run.bookings)} bookings played: {reached}")
            if run.handed_back:
                out("demo: handed back to a person")
            if not offscreen and (run.handed_back or duration is None):
                app.exec()  # the person's station now, until they close the window
        finally:
            window.close()
            app.processEvents()
    return run
