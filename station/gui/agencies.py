"""Secure Communities in the window: the agency pump, the transactions panel, the answers.

:class:`AgencyPump` runs the agencies' queue for the window. Every ``interval`` ms it hands
one job to the window's :class:`~station.gui.workers.TaskRunner`: the job opens its own
connection to the gallery file on the worker thread (the window's connection stays on the
GUI thread), sends the bookings the window asked to send, resubmits what the officer asked to
resubmit, calls :meth:`SecureCommunities.pump`, and reads back a plain
:class:`AgencySnapshot` of the bookings in flight and the recent ones; the GUI thread only
renders it (:attr:`AgencyPump.updated`). One job runs at a time, so the officer can book the
next subject while the agencies answer the last ones.

:class:`TransactionsPanel` (``transactionsPanel``) lists each booking's message to each
system: status, time sent, time answered, response type, result; an error or time-out row is
resubmitted with ``resubmitButton``. :class:`AgencyAnswersBox` (``agenciesBox``) shows one
booking's answers in four panels (``stateAnswerPanel``, ``ngiAnswerPanel``,
``identAnswerPanel``, ``lescAnswerPanel``), LESC's priority level as a badge
(``lescLevelBadge``) and the overall disposition (``overallDispositionLabel``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from station.core.disposition import DispositionPolicy
from station.core.vocabulary import Disposition, System, SystemStatus
from station.gallery import open_gallery
from station.service import BookingService
from station.service.accounts import Operator
from station.service.results import SystemAnswer
from station.service.secure_communities import SecureCommunities
from station.settings import AgencySettings

from . import theme
from .widgets import esc
from .workers import TaskRunner

__all__ = [
    "PANEL_NAMES",
    "RECENT_BOOKINGS",
    "AgencyAnswersBox",
    "AgencyPump",
    "AgencySnapshot",
    "BookingAgencies",
    "TransactionsPanel",
    "answer_html",
    "pump_agencies",
]

log = logging.getLogger(__name__)

#: Bookings the transactions panel keeps after their answers are final (newest first).
RECENT_BOOKINGS = 12
#: Automation id of each system's panel on the response page.
PANEL_NAMES: dict[System, str] = {s: f"{s.value.lower()}AnswerPanel" for s in System}
#: Colour of each status in the panels and the transactions table.
STATUS_COLOURS: dict[SystemStatus, str] = {
    SystemStatus.PENDING: theme.GREY,
    SystemStatus.ANSWERED: "#2e7d32",
    SystemStatus.ERROR: "#c62828",
    SystemStatus.TIMEOUT: "#ef6c00",
}
_LEVEL_COLOURS = {1: "#b71c1c", 2: "#e65100", 3: "#f9a825"}


@dataclass(frozen=True)
class BookingAgencies:
    """One booking's messages to the agencies, as read by the pump job.

    Attributes
    ----------
    booking_id : int
    tcn : str
        The booking's transaction control number.
    systems : tuple of SystemAnswer
        The latest message to each system (STATE, NGI, IDENT, LESC order).
    history : tuple of SystemAnswer
        Every message, resubmitted ones included, oldest first.
    overall : Disposition or None
        The overall disposition once every answer is final (``None`` before).
    """

    booking_id: int
    tcn: str
    systems: tuple[SystemAnswer, ...]
    history: tuple[SystemAnswer, ...]
    overall: Disposition | None

    @property
    def done(self) -> bool:
        """Whether every system's answer is final."""
        return bool(self.systems) and all(a.final for a in self.systems)


@dataclass(frozen=True)
class AgencySnapshot:
    """What one pump job saw: the watched bookings (newest first) and what went wrong.

    Attributes
    ----------
    bookings : tuple of BookingAgencies
    settled : int
        Messages this job settled.
    problems : tuple of str
        Sends or resubmissions refused (shown to the officer).
    """

    bookings: tuple[BookingAgencies, ...] = ()
    settled: int = 0
    problems: tuple[str, ...] = ()

    def of(self, booking_id: int) -> BookingAgencies | None:
        """The booking's entry, or ``None`` when it has none."""
        return next((b for b in self.bookings if b.booking_id == booking_id), None)

    @property
    def pending(self) -> int:
        """Messages still pending in the snapshot."""
        return sum(1 for b in self.bookings for a in b.systems if not a.final)


@dataclass
class _Requests:
    send: list[int] = field(default_factory=list)
    resubmit: list[tuple[int, System]] = field(default_factory=list)


def pump_agencies(
    path: str | Path,
    *,
    settings: AgencySettings,
    policy: DispositionPolicy,
    station_id: str,
    operator: Operator | None,
    send: Sequence[int] = (),
    resubmit: Sequence[tuple[int, System]] = (),
    watch: Iterable[int] = (),
    now: dt.datetime | None = None,
) -> AgencySnapshot:
    """One pass of the agencies for the window (work function: runs on a pool thread).

    Parameters
    ----------
    path : str or Path
        The gallery file; opened (and closed) on the calling thread.
    settings : AgencySettings
        Delays, time-out, agencies down.
    policy : DispositionPolicy
    station_id : str
        Who settles the messages (``answered_by``).
    operator : Operator or None
        The signed-in officer (sending needs the ``book`` permission).
    send : sequence of int
        Bookings to send to the agencies now.
    resubmit : sequence of (int, System)
        Failed messages to send again.
    watch : iterable of int
        Bookings to read back besides those with a message in flight.
    now : datetime, optional
        The pump's time (default: now).

    Returns
    -------
    AgencySnapshot
        The watched bookings and every booking with a pending message, newest first.
    """
    problems: list[str] = []
    with open_gallery(path) as gallery:
        service = BookingService(gallery, policy=policy, station_id=station_id, operator=operator)
        agencies = SecureCommunities(service, settings=settings)
        for booking_id in send:
            try:
                agencies.send(booking_id, now=now)
            except Exception as exc:  # shown to the officer; the other bookings go on
                problems.append(f"booking {booking_id} was not sent to the agencies: {exc}")
        for booking_id, system in resubmit:
            try:
                agencies.resubmit(booking_id, system, now=now)
            except Exception as exc:
                problems.append(f"{system} was not resubmitted: {exc}")
        settled = agencies.pump(now)
        ids = set(watch) | {a.booking_id for a in agencies.in_flight()}
        out = []
        for booking_id in sorted(ids, reverse=True):
            history = agencies.history(booking_id)
            if not history:
                continue
            systems = agencies.systems(booking_id)
            done = all(a.final for a in systems)
            out.append(
                BookingAgencies(
                    booking_id=booking_id,
                    tcn=str(gallery.booking(booking_id)["tcn"]),
                    systems=systems,
                    history=history,
                    overall=agencies.overall(booking_id) if done else None,
                )
            )
    return AgencySnapshot(tuple(out), settled, tuple(problems))


class AgencyPump(QObject):
    """Sends bookings to the agencies and pumps their queue on a worker, every ``interval``
    ms while a message is pending (idle otherwise: a request or :meth:`run_once` wakes it).

    Parameters
    ----------
    tasks : TaskRunner
        The window's runner (the one way GUI work goes off the GUI thread).
    gallery_path : Path
    context : callable
        Returns ``(AgencySettings, DispositionPolicy, station id, operator)`` in force; read
        at each job, so changed settings apply to the next one.
    interval : int
        Milliseconds between jobs.

    Signals
    -------
    updated(object)
        A new :class:`AgencySnapshot` (GUI thread).
    problem(str)
        A send or resubmission was refused, or the job failed.
    """

    updated = Signal(object)
    problem = Signal(str)

    def __init__(
        self,
        tasks: TaskRunner,
        gallery_path: Path,
        context: Callable[[], tuple[AgencySettings, DispositionPolicy, str, Operator | None]],
        *,
        interval: int = 200,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if interval <= 0:
            raise ValueError(f"interval must be > 0 ms, got {interval!r}")
        self._tasks = tasks
        self._path = Path(gallery_path)
        self._context = context
        self._requests = _Requests()
        self._watch: list[int] = []
        self._job: Any = None
        self.snapshot = AgencySnapshot()
        self.timer = QTimer(self)
        self.timer.setInterval(interval)
        self.timer.timeout.connect(self.run_once)

    def stop(self) -> None:
        """Stop pumping (a job under way still reports; the next request starts it again)."""
        self.timer.stop()

    @property
    def busy(self) -> bool:
        """True while a job is running."""
        return self._job is not None

    def send(self, booking_id: int) -> None:
        """Send the booking to the agencies with the next job and watch its answers."""
        self._requests.send.append(int(booking_id))
        self.watch(booking_id)
        self.run_once()

    def resubmit(self, booking_id: int, system: str) -> None:
        """Resubmit a failed or timed-out message with the next job."""
        code = System.parse(system, what="system")
        self._requests.resubmit.append((int(booking_id), code))
        self.watch(booking_id)
        self.run_once()

    def watch(self, booking_id: int) -> None:
        """Show this booking's messages (the newest :data:`RECENT_BOOKINGS` are kept)."""
        booking_id = int(booking_id)
        if booking_id in self._watch:
            self._watch.remove(booking_id)
        self._watch.insert(0, booking_id)
        del self._watch[RECENT_BOOKINGS:]

    def run_once(self) -> None:
        """Start a job now unless one is running (the timer calls this)."""
        if self._job is not None:
            return
        settings, policy, station_id, operator = self._context()
        requests, self._requests = self._requests, _Requests()
        watch = tuple(self._watch)
        path = self._path

        def work(_token: object) -> AgencySnapshot:
            return pump_agencies(
                path,
                settings=settings,
                policy=policy,
                station_id=station_id,
                operator=operator,
                send=requests.send,
                resubmit=requests.resubmit,
                watch=watch,
            )

        self._job = self._tasks.submit(
            work, self._done, lambda exc: self._failed(exc, requests), name="agencies"
        )

    def _done(self, snapshot: AgencySnapshot) -> None:
        self._job = None
        self.snapshot = snapshot
        for text in snapshot.problems:
            self.problem.emit(text)
        self.updated.emit(snapshot)
        # keep pumping while anything is in flight; idle otherwise (no job every tick)
        if snapshot.pending:
            self.timer.start()
        else:
            self.timer.stop()
        if self._requests.send or self._requests.resubmit:
            self.run_once()

    def _failed(self, exc: BaseException, requests: _Requests) -> None:
        self._job = None
        log.warning("agency pump failed: %s", exc)
        # nothing is lost: the requests go with the next job
        self._requests.send[:0] = requests.send
        self._requests.resubmit[:0] = requests.resubmit
        self.timer.start()  # try again at the next tick
        self.problem.emit(f"The agencies could not be reached ({exc}); retrying.")


# --- rendering -------------------------------------------------------------------------------


def _time(stamp: str | None) -> str:
    """``'10:00:01.250'`` in local time from a stored UTC stamp; ``'—'`` for none."""
    if not stamp:
        return "—"
    moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone()
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _arrests_html(arrests: Sequence[Mapping[str, Any]]) -> str:
    if not arrests:
        return "no arrests on record"
    rows = []
    for a in arrests:
        rows.append(
            f"{esc(a.get('date') or '?')} · {esc(a.get('statute') or '')} "
            f"{esc(a.get('charge') or '')} (L{esc(a.get('level') or '?')}) — "
            f"<i>{esc(a.get('disposition') or '?')}</i>"
        )
    return "<br>".join(rows)


def answer_html(answer: SystemAnswer | None) -> str:
    """The body of a system's panel: what it answered, in a few lines of rich text.

    Examples
    --------
    >>> answer_html(None)
    'not sent'
    """
    if answer is None:
        return "not sent"
    status, details = answer.status, answer.details
    if status is SystemStatus.PENDING:
        return f"waiting since {_time(answer.sent_at)}"
    if status is SystemStatus.TIMEOUT:
        return f"no answer within {esc(details.get('timeout', '?'))} s — resubmit"
    if status is SystemStatus.ERROR:
        return f"ERRT: {esc(answer.result or details.get('reason') or 'error')} — resubmit"
    system = answer.system
    if system in (System.STATE, System.NGI):
        if answer.result != "ident":
            return "<b>NON-IDENT</b>: no criminal record"
        number = details.get("sid") if system is System.STATE else details.get("ucn")
        label = "SID" if system is System.STATE else "FBI number (UCN)"
        return (
            f"<b>IDENT</b> {esc(details.get('name') or '')}<br>{label} {esc(number)}<br>"
            + _arrests_html(details.get("arrests") or ())
        )
    if system is System.IDENT:
        if answer.result != "match":
            return "<b>NO MATCH</b>: no immigration record"
        encounters = "<br>".join(
            f"{esc(e.get('date'))} · {esc(e.get('kind'))} — {esc(e.get('place'))}"
            for e in details.get("encounters") or ()
        )
        return (
            f"<b>MATCH</b> FIN {esc(details.get('fin'))} · A-number "
            f"{esc(details.get('a_number') or '—')}<br>status <b>{esc(details.get('status'))}</b>"
            + (f"<br>{encounters}" if encounters else "")
        )
    removable = "removable" if details.get("removable") else "not removable"
    level = details.get("level")
    return (
        f"status <b>{esc(details.get('status'))}</b> · <b>{removable}</b><br>"
        f"priority {'Level ' + str(level) if level else 'none'}"
        + (" · detainer (I-247) recommended" if details.get("detainer") else "")
    )


class _Panel(QGroupBox):
    """One system's answer: a status line and the body."""

    def __init__(self, system: System) -> None:
        super().__init__(system.description)
        self.system = system
        self.setObjectName(PANEL_NAMES[system])
        key = system.value.lower()
        self.status_label = QLabel()
        self.status_label.setObjectName(f"{key}StatusLabel")
        self.status_label.setWordWrap(True)  # never widens the window
        self.body = QLabel()
        self.body.setObjectName(f"{key}AnswerLabel")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        layout.addWidget(self.status_label)
        layout.addWidget(self.body, 1)
        self.show_answer(None)

    def show_answer(self, answer: SystemAnswer | None) -> None:
        if answer is None:
            word, colour, line = "—", theme.GREY, "not sent"
        else:
            word, colour = answer.status.value.upper(), STATUS_COLOURS[answer.status]
            line = f"{answer.response_tot or answer.tot} · sent {_time(answer.sent_at)[:8]}"
            if answer.answered_at:
                line += f" · answered {_time(answer.answered_at)[:8]}"
        self.status_label.setText(
            f"<span style='color:{colour}; font-weight:bold'>{esc(word)}</span> "
            f"<span style='color:{theme.GREY}'>{esc(line)}</span>"
        )
        self.body.setText(answer_html(answer))
        if answer is None:
            self.setToolTip("")
            return
        self.setToolTip(
            f"<b>{esc(self.system.description)}</b><br>sent {_time(answer.sent_at)}, answered "
            f"{_time(answer.answered_at)}<br>{self.body.text()}"
        )


class AgencyAnswersBox(QGroupBox):
    """The response page's Secure Communities box: a panel per agency and the overall word.

    Parameters
    ----------
    parent : QWidget, optional
    columns : {1, 2, 4}
        Panels per row (STATE, NGI, IDENT, LESC in reading order).
    """

    def __init__(self, parent: QWidget | None = None, *, columns: int = 4) -> None:
        super().__init__("Secure Communities — the agencies' answers", parent)
        if columns not in (1, 2, 4):
            raise ValueError(f"columns must be 1, 2 or 4, got {columns!r}")
        self.setObjectName("agenciesBox")
        self.panels = {s: _Panel(s) for s in System}
        self.badge = QLabel()
        self.badge.setObjectName("lescLevelBadge")
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.badge.setWordWrap(True)
        self.badge.hide()
        self.panels[System.LESC].layout().insertWidget(0, self.badge)
        self.overall = QLabel()
        self.overall.setObjectName("overallDispositionLabel")
        self.overall.setWordWrap(True)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        for i, system in enumerate(System):
            grid.addWidget(self.panels[system], i // columns, i % columns)
        for column in range(columns):
            grid.setColumnStretch(column, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self.overall)
        layout.addLayout(grid, 1)
        self.booking_id: int | None = None
        self.show_booking(None, None)

    def show_booking(self, booking_id: int | None, entry: BookingAgencies | None) -> None:
        """Show ``entry`` (the booking's messages), or a booking not sent yet."""
        self.booking_id = booking_id
        answers = {a.system: a for a in (entry.systems if entry else ())}
        for system, panel in self.panels.items():
            panel.show_answer(answers.get(system))
        lesc = answers.get(System.LESC)
        level = lesc.details.get("level") if lesc and lesc.status is SystemStatus.ANSWERED else None
        if level:
            detainer = lesc.details.get("detainer") if lesc else None
            text = f"ICE PRIORITY LEVEL {level}" + (
                f"<br>DETAINER ({esc(detainer)}) RECOMMENDED" if detainer else ""
            )
            self.badge.setText(text)
            self.badge.setStyleSheet(
                f"background: {_LEVEL_COLOURS.get(int(level), theme.GREY)}; color: white; "
                "font-weight: bold; border-radius: 4px; padding: 4px;"
            )
            self.badge.setAccessibleName(f"ICE priority level {level}")
            self.badge.show()
        else:
            self.badge.hide()
        if entry is None:
            self.overall.setText("Not sent to the agencies.")
        elif entry.overall is None:
            waiting = [a.system.value for a in entry.systems if not a.final]
            self.overall.setText(
                f"Overall disposition: waiting for {', '.join(waiting)} (TCN {esc(entry.tcn)})"
            )
        else:
            colour = theme.DISPOSITION_COLOURS.get(entry.overall, theme.GREY)
            self.overall.setText(
                f"Overall disposition: <b style='color:{colour}'>{esc(entry.overall)}</b> "
                "(HIT when the station or any agency identifies the subject)"
            )


_COLUMNS = ("Booking", "System", "Status", "Sent", "Answered", "Response", "Result")


class TransactionsPanel(QWidget):
    """Every booking in flight or recent: each system's message, one row each.

    Signals
    -------
    resubmit_requested(int, str)
        The officer pressed Resubmit on a failed row: (booking id, system).
    """

    resubmit_requested = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transactionsPanel")
        self.summary = QLabel("No booking sent to the agencies yet.")
        self.summary.setObjectName("transactionsSummaryLabel")
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setObjectName("transactionsTable")
        self.table.setHorizontalHeaderLabels(list(_COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_button)
        self.resubmit_button = QPushButton("&Resubmit")
        self.resubmit_button.setObjectName("resubmitButton")
        self.resubmit_button.setToolTip(
            "Send the failed or timed-out message again (the selected row, else the newest "
            "failed one); the old message stays in the booking's history"
        )
        self.resubmit_button.clicked.connect(self._resubmit)
        bar = QHBoxLayout()
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.resubmit_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self._rows: list[SystemAnswer] = []
        self._tcns: dict[int, str] = {}
        self._update_button()

    def show_snapshot(self, snapshot: AgencySnapshot) -> None:
        """Render a pump job's snapshot (keeps the selected row when it is still listed)."""
        selected = self._selected()
        keep = None if selected is None else (selected.booking_id, selected.system)
        self._rows = [a for b in snapshot.bookings for a in b.systems]
        self._tcns = {b.booking_id: b.tcn for b in snapshot.bookings}
        self.table.setRowCount(len(self._rows))
        for row, a in enumerate(self._rows):
            cells = (
                self._tcns.get(a.booking_id, str(a.booking_id)),
                a.system.value,
                a.status.value,
                _time(a.sent_at),
                _time(a.answered_at),
                a.response_tot or "—",
                a.result or "—",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 2:
                    item.setForeground(QColor(STATUS_COLOURS[a.status]))
                self.table.setItem(row, column, item)
            if keep == (a.booking_id, a.system):
                self.table.selectRow(row)
        n = len(snapshot.bookings)
        self.summary.setText(
            f"{n} booking(s) · {snapshot.pending} message(s) pending · {len(self.failed())} failed"
            if n
            else "No booking sent to the agencies yet."
        )
        self._update_button()

    def rows(self) -> list[tuple[str, str, str]]:
        """``(booking TCN, system, status)`` of each row, in order (tests, QA)."""
        return [
            (self._tcns.get(a.booking_id, ""), a.system.value, a.status.value) for a in self._rows
        ]

    def failed(self) -> list[SystemAnswer]:
        """Rows that can be resubmitted (error or time-out)."""
        return [a for a in self._rows if a.status in (SystemStatus.ERROR, SystemStatus.TIMEOUT)]

    def _selected(self) -> SystemAnswer | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._rows):
            return None
        return self._rows[rows[0].row()]

    def _target(self) -> SystemAnswer | None:
        selected = self._selected()
        if selected is not None and selected in self.failed():
            return selected
        failed = self.failed()
        return failed[0] if failed else None

    def _update_button(self) -> None:
        target = self._target()
        self.resubmit_button.setEnabled(target is not None)
        self.resubmit_button.setText(
            "&Resubmit"
            if target is None
            else f"&Resubmit {target.system.value} ({self._tcns.get(target.booking_id, '')})"
        )

    def _resubmit(self) -> None:
        target = self._target()
        if target is None:
            return
        self.resubmit_button.setEnabled(False)  # until the next snapshot
        self.resubmit_requested.emit(target.booking_id, target.system.value)
