"""Recording a booking as a runnable test in the test kit's words (``station.testing``).

While the window's **Record** toggle is on (``recordAction``; ``station --record FILE.py``),
every officer action the pages report through their ``acted`` signals becomes one line of
the kit's language -- ``booking.new(...)``, ``capture.platen(...)``, ``capture.roll("R1")``,
``capture.annotate("L4", "XX")``, ``booking.submit()``, ``response.confirm(...)`` -- and each
response adds ``assert response.disposition == "..."``. The file is rewritten after every
action, so it can be run at any moment: ``python -m pytest FILE.py``.

Replay puts the same person on the platen (the platen subject and scenario are recorded), on
a freshly seeded gallery holding every gallery subject booked (``station_gallery`` marker),
with the recording station's disposition policy (``station_policy``) and the mock scanner's
seed and frame counts (``station_scanner``; only the frame rate is the kit's fast one), so the
same prints are taken and the response is the same. Capture from a folder of image files or
an ANSI/NIST file is recorded as ``capture.load_folder(PATH)`` / ``capture.load_transaction
(PATH)`` with the absolute path (the replay reads the same files, so they must stay there; the
file's own 14.018 AMP annotations come back with it, not as lines of their own), and going back
to the scanner as ``capture.use_scanner()``. A recapture asked for on the Review page is the
capture it leads to (``capture.roll``), abandoning a booking ``booking.abandon(reason)``.
Not recorded: keeping a booking open, resuming one from the booking log (a comment says so
where it happened: the replay differs from there).
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QTableWidget

from station.core.disposition import DispositionPolicy
from station.core.synth.holdings import holdings
from station.core.vocabulary import FINGERS, SLAPS

__all__ = ["KIT_SCANNER_FRAMES", "BookingRecorder", "gallery_size"]

log = logging.getLogger(__name__)

#: The mock scanner's frame counts the kit replays with unless the recording says otherwise
#: (``station.testing.FAST_SCANNER``; the recorder must not import the kit, a layer above).
KIT_SCANNER_FRAMES: dict[str, Any] = {
    "approach_frames": 1,
    "press_frames": 1,
    "settle_frames": (2, 3),
    "empty_frames": 4,
    "timeout_frames": 75,
}
#: Policy fields a recording carries (the per-repository thresholds are not recorded).
_POLICY_FIELDS = ("hit", "review", "recapture_level", "max_attempts", "min_fingers", "candidates")
#: The seeded kit gallery's size when no larger one is needed.
_MIN_SUBJECTS = 4
#: The demographics ``booking.new`` takes by keyword (besides name, dob and sex).
_FORM_KEYS = {
    "middle_initial": "middle_initial",
    "height": "height",
    "weight": "weight",
    "eye_colour": "eyes",
    "hair_colour": "hair",
    "place_of_birth": "place_of_birth",
}


def gallery_size(synthetic_ids: set[int], population: int) -> int:
    """Subjects a seeded gallery needs to hold every one of ``synthetic_ids`` that has records
    (seeding enrols the held subjects in id order); at least 4.

    Examples
    --------
    >>> gallery_size(set(), 0)
    4
    """
    needed = _MIN_SUBJECTS
    for k in synthetic_ids:
        if k >= 0 and holdings(k, population):
            needed = max(needed, sum(1 for j in range(k + 1) if holdings(j, population)))
    return needed


class BookingRecorder(QObject):
    """Writes what the officer does at ``window`` to ``path`` as a kit test.

    Parameters
    ----------
    window : StationWindow
        The station window (its pages' ``acted`` signals and its session are observed).
    path : Path
        The test file (rewritten after every action).
    """

    def __init__(self, window: Any, path: str | Path) -> None:
        super().__init__(window)
        path = Path(path)
        if path.suffix != ".py":
            raise ValueError(f"the recording is a Python test file: {path} must end in .py")
        self.window = window
        self.path = path
        self.lines: list[str] = []
        self.started = dt.datetime.now(dt.UTC)
        self._open: dict[str, Any] | None = None  # a booking opened, its first line not written
        self._platen: tuple[str, int] | None = None
        self._source: tuple[str, str] | None = None  # the capture source last written
        self._slaps: bool | None = None
        self._swallow: str | None = None  # the capture a "recapture now" line already covers
        self._awaiting = False
        self._booked: set[int] = set()
        window.acted.connect(self._acted)
        window.session.response_changed.connect(self._responded)
        self.save()

    def stop(self) -> Path:
        """Stop recording (the file is complete); returns its path."""
        self.window.acted.disconnect(self._acted)
        self.window.session.response_changed.disconnect(self._responded)
        self.save()
        return self.path

    # --- what the officer did -------------------------------------------------------------

    def _acted(self, kind: str, data: dict) -> None:
        try:
            self._record(kind, data)
        except Exception:  # the booking goes on; the recording says where it broke
            log.exception("recording %s failed", kind)
            self.lines.append(f"# (the recorder could not record {kind!r} here)")
        self.save()

    def _record(self, kind: str, data: dict) -> None:
        if kind == "open":
            self._open = dict(data["demographics"])
            self._slaps = None
            return
        if kind == "capture":
            self._flush_open()
            self._scanner_state()
            if self._swallow == data["slot"]:
                self._swallow = None
                return
            self.lines.append(f"capture.roll({str(data['slot'])!r})")
        elif kind == "annotate":
            self._flush_open()
            if data.get("automatic"):  # the file's own annotation: replayed by loading it
                self._scanner_state()
                return
            reason = data.get("reason")
            tail = f", reason={reason!r}" if reason else ""
            finger, code = str(data["finger"]), str(data["code"])
            self.lines.append(f"capture.annotate({finger!r}, {code!r}{tail})")
        elif kind == "gate":
            answer = data["answer"]
            if answer == "recapture":
                self.lines.append("capture.recapture_now()")
                self._swallow = data["finger"]
            elif answer == "accept":
                self.lines.append(f"capture.accept_anyway({data['reason']!r})")
            else:
                self.lines.append("capture.leave_as_is()")
        elif kind == "reconnect":
            self.lines.append("capture.reconnect()")
        elif kind == "submit":
            self._flush_open()
            self.lines.append("booking.submit()")
            self._awaiting = True
        elif kind == "decide":
            verb = "confirm" if data["decision"] == "confirm" else "reject"
            # By the name listed: the replay's gallery numbers its subjects its own way.
            who = self._candidate_name(int(data["subject"]))
            self.lines.append(f"response.{verb}({who!r}, reason={data['reason']!r})")
            self._assert_disposition()
        elif kind == "undo":
            self.lines.append(f"response.undo(reason={data['reason']!r})")
            self._assert_disposition()
        elif kind == "abandon":
            self.lines.append(f"booking.abandon({data['reason']!r})")
        elif kind == "enrol":
            self.lines.append("booking.enrol()")
        elif kind == "recapture_listed":
            self.lines.append("response.recapture_listed()")
        elif kind == "unrecorded":
            self.lines.append(f"# not recorded: {data['what']} (replay differs from here)")

    def _candidate_name(self, subject: int) -> str | int:
        """The name ``candidateTable`` lists for ``subject`` (its id when it is not listed)."""
        table = self.window.response_page.findChild(QTableWidget, "candidateTable")
        for row in range(table.rowCount() if table is not None else 0):
            item = table.item(row, 4)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == subject:
                return table.item(row, 1).text()
        return subject

    def _flush_open(self) -> None:
        if self._open is None:
            return
        data, self._open = self._open, None
        capture = self.window.capture_page
        slaps = capture.slaps.isChecked()
        args = [
            f"name={data.get('last_name', '') + ', ' + data.get('first_name', '')!r}",
            f"dob={data.get('date_of_birth', '')!r}",
            f"sex={data.get('sex', 'U')!r}",
        ]
        for key, keyword in _FORM_KEYS.items():
            if data.get(key) not in (None, ""):
                args.append(f"{keyword}={data[key]!r}")
        args.append(f"slaps={slaps}")
        self.lines.append(f"booking.new({', '.join(args)})")
        self._slaps = slaps

    def _scanner_state(self) -> None:
        driver, capture = self.window.driver, self.window.capture_page
        source = self._source_line(driver)
        if source is not None and source != self._source:
            if source[0] != "mock" or self._source is not None:
                self.lines.append(source[1])
            self._source = source
        if driver.source_kind != "mock":
            return
        platen = (str(driver.platen_key), int(driver.platen_id))
        if platen != self._platen:
            self.lines.append(f"capture.platen({platen[0]!r}, {platen[1]})")
            self._platen = platen
            if platen[0] != "new":
                self._booked.add(platen[1])
        slaps = capture.slaps.isChecked()
        if self._slaps is not None and slaps != self._slaps:
            self.lines.append(f"capture.take_slaps({slaps})")
        self._slaps = slaps

    @staticmethod
    def _source_line(driver: Any) -> tuple[str, str] | None:
        """``(kind, the kit's line)`` choosing the driver's capture source now, ``None`` for
        image files that were not loaded from a folder."""
        if driver.source_kind == "files":
            folder = getattr(driver.files, "folder", None)
            if folder is None:
                return None
            return ("files", f"capture.load_folder({str(Path(folder).resolve())!r})")
        if driver.source_kind == "ebts" and driver.transaction is not None:
            path = str(Path(driver.transaction.path).resolve())
            return ("ebts", f"capture.load_transaction({path!r})")
        return ("mock", "capture.use_scanner()")

    def _responded(self, _response: object) -> None:
        if self._awaiting:
            self._awaiting = False
            self._assert_disposition()

    def _assert_disposition(self) -> None:
        disposition = self.window.session.disposition()
        if disposition is not None:
            self.lines.append(f"assert response.disposition == {str(disposition)!r}")
        self.save()

    # --- the file -------------------------------------------------------------------------

    def script(self) -> str:
        """The recording so far as a pytest file of the test kit."""
        window = self.window
        settings = window.settings
        population = int(settings.synth.population)
        markers = [
            f"pytest.mark.station_gallery(subjects={gallery_size(self._booked, population)}, "
            f"population={population})"
        ]
        policy, default = settings.disposition, DispositionPolicy()
        changed = {
            f: getattr(policy, f)
            for f in _POLICY_FIELDS
            if getattr(policy, f) != getattr(default, f)
        }
        if changed:
            markers.append(
                "pytest.mark.station_policy("
                + ", ".join(f"{k}={v!r}" for k, v in changed.items())
                + ")"
            )
        mock = window.driver.mock_settings
        scanner = {
            k: getattr(mock, k) for k, v in KIT_SCANNER_FRAMES.items() if getattr(mock, k) != v
        }
        if settings.scanner.seed:
            scanner = {"seed": settings.scanner.seed, **scanner}
        if scanner:
            markers.append(
                "pytest.mark.station_scanner("
                + ", ".join(f"{k}={v!r}" for k, v in scanner.items())
                + ")"
            )
        operator = window.operator.username if window.operator is not None else "nobody"
        body = self._compressed() or ["pass  # nothing recorded yet"]
        when = self.started.strftime("%Y-%m-%d %H:%M UTC")
        header = [
            f'"""A booking recorded at station {settings.station.station_id} by {operator}, '
            f"{when}.",
            "",
            "Replay it with the station's test kit (installed with the station):",
            f"python -m pytest {self.path.name}",
            '"""',
            "",
            "import pytest",
            "",
            "pytestmark = [",
            *(f"    {m}," for m in markers),
            "]",
            "",
            "",
            "def test_recorded_booking(station):",
            "    booking, capture, response = station.booking, station.capture, station.response",
        ]
        return "\n".join(header + [f"    {line}" for line in body]) + "\n"

    def _compressed(self) -> list[str]:
        """The lines, with a run of ``roll`` over all ten fingers (or the three slaps) in card
        order written as ``capture.roll_all()`` (``capture.slaps()``)."""
        out: list[str] = []
        i = 0
        rolls = {f"capture.roll({str(code)!r})": str(code) for code in (*FINGERS, *SLAPS)}
        fingers, slaps = [str(f) for f in FINGERS], sorted(str(s) for s in SLAPS)
        while i < len(self.lines):
            run: list[str] = []
            j = i
            while j < len(self.lines) and self.lines[j] in rolls:
                run.append(rolls[self.lines[j]])
                j += 1
            if not run:
                out.append(self.lines[i])
                i += 1
                continue
            k = 0
            while k < len(run):
                if run[k : k + len(fingers)] == fingers:
                    out.append("capture.roll_all()")
                    k += len(FINGERS)
                elif sorted(run[k : k + len(slaps)]) == slaps:
                    out.append("capture.slaps()")
                    k += len(SLAPS)
                else:
                    out.append(f"capture.roll({run[k]!r})")
                    k += 1
            i = j
        return out

    def save(self) -> None:
        """Write the file (atomically: a half-written test never replaces a whole one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".py.part")
        partial.write_text(self.script(), encoding="utf-8")
        partial.replace(self.path)
