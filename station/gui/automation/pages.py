"""Page objects: the station window in an officer's words.

``Station(window)`` gives three pages, :attr:`Station.booking`, :attr:`Station.capture` and
:attr:`Station.response`. They find widgets only by their documented objectNames (README,
"Automation IDs"), act with real mouse clicks and key presses (``QTest``), and wait through a
:class:`~station.testing.waiting.Waiter` on conditions of what is on screen, never by sleeping.
When the window does not get there, a :class:`~station.testing.waiting.NotReadyError` names the
page and the widget: ``capture page: button 'captureButton' not enabled after 10 s``.

Nothing here imports pytest: a demo driver uses the same pages with a waiter of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QWidget,
)

from station.core.vocabulary import FINGERS, SLAPS, Disposition

from .waiting import EventLoopWaiter, NotReadyError, Waiter

__all__ = [
    "BookingPage",
    "Candidate",
    "CaptureOutcome",
    "CapturePage",
    "ResponsePage",
    "Station",
    "visible_dialog",
]

W = TypeVar("W", bound=QWidget)


def visible_dialog(name: str) -> QDialog | None:
    """The top-level dialog whose ``objectName`` is ``name`` and that is shown, or ``None``
    (window-modal dialogs open without blocking, so a script finds them this way)."""
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.objectName() == name and widget.isVisible():
            return widget
    return None


#: Seconds a page waits for a widget or a result (generous: a loaded CI machine).
DEFAULT_TIMEOUT = 30.0

#: Booking pages in the ``pageStack`` (New booking, Capture, Review, Submit, Response).
_NEW, _CAPTURE, _REVIEW, _SUBMIT, _RESPONSE = range(5)

#: ``booking.new`` keywords -> the form's objectNames (line edits, combos, the weight spin).
_FIELDS = {
    "last_name": "lastNameEdit",
    "first_name": "firstNameEdit",
    "middle_initial": "middleInitialEdit",
    "dob": "dobEdit",
    "sex": "sexCombo",
    "height": "heightEdit",
    "weight": "weightSpin",
    "eyes": "eyeCombo",
    "hair": "hairCombo",
    "place_of_birth": "placeOfBirthEdit",
}


@dataclass(frozen=True)
class CaptureOutcome:
    """How one capture ended.

    Attributes
    ----------
    slot : str
        The slot captured (R1 … L5, RS, LS, TS).
    level : int or None
        Its quality level (1 best … 5 worst) on the hand diagram; None if nothing was stored.
    error : str
        The scanner error panel's text ("" when the capture succeeded).
    gate : bool
        The quality gate asks Recapture now / Accept anyway (answer it with
        :meth:`CapturePage.recapture_now`, :meth:`CapturePage.accept_anyway` or
        :meth:`CapturePage.leave_as_is`).
    """

    slot: str
    level: int | None
    error: str = ""
    gate: bool = False

    @property
    def ok(self) -> bool:
        """Captured, no error, no quality question pending."""
        return not self.error and not self.gate and self.level is not None


@dataclass(frozen=True)
class Candidate:
    """One row of the response's candidate list (``candidateTable``).

    Attributes
    ----------
    rank : int
    name : str
        ``LAST, FIRST`` as listed.
    score : float
    subject_id : int
        The gallery's subject number.
    review : bool
        The station marked it for the examiner's review.
    """

    rank: int
    name: str
    score: float
    subject_id: int
    review: bool


class _Page:
    """Finding, clicking and waiting, with errors that name the page and the widget."""

    title = "station window"

    def __init__(self, window: QWidget, waiter: Waiter, timeout: float) -> None:
        self.window = window
        self.waiter = waiter
        self.timeout = timeout

    # --- finding --------------------------------------------------------------------------

    def _find(self, kind: type[W], name: str) -> W:
        widget = self.window.findChild(kind, name)
        if widget is None:
            raise NotReadyError(f"{self.title}: no {kind.__name__} named '{name}' in the window")
        return widget

    def _wait(self, condition: Callable[[], bool], what: str, timeout: float | None = None) -> None:
        limit = self.timeout if timeout is None else timeout
        if not self.waiter.until(condition, limit):
            raise NotReadyError(f"{self.title}: {what} after {limit:g} s")

    def _dialog(self, name: str) -> QDialog:
        """The visible dialog ``name`` (window-modal dialogs open without blocking)."""
        self._wait(lambda: visible_dialog(name) is not None, f"dialog '{name}' not shown")
        dialog = visible_dialog(name)
        assert dialog is not None
        return dialog

    def _answer(self, name: str, edit_name: str, text: str, button: str) -> None:
        """Type ``text`` into line edit ``edit_name`` of dialog ``name``, press ``button``
        and wait until the dialog is closed."""
        dialog = self._dialog(name)
        edit = dialog.findChild(QLineEdit, edit_name)
        if edit is None:
            raise NotReadyError(f"{self.title}: no '{edit_name}' in '{name}'")
        self._type(edit, text)
        self._click(button, within=dialog)
        self._wait(lambda: not dialog.isVisible(), f"'{name}' still open")

    # --- acting ---------------------------------------------------------------------------

    def _click(self, name: str, *, within: QWidget | None = None) -> None:
        """Wait until button ``name`` is visible and enabled, then click it."""
        parent = within or self.window
        button = parent.findChild(QAbstractButton, name)
        if button is None:
            raise NotReadyError(f"{self.title}: no button named '{name}'")
        self._wait(button.isVisible, f"button '{name}' not visible")
        self._wait(button.isEnabled, f"button '{name}' not enabled")
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def _type(self, edit: QLineEdit, text: str) -> None:
        """Replace the text of ``edit`` as an officer types it."""
        edit.setFocus()
        edit.selectAll()
        QTest.keyClick(edit, Qt.Key.Key_Backspace)
        if edit.inputMask():
            edit.setText(text)  # a masked field takes the whole value at once
        else:
            QTest.keyClicks(edit, text)
        if edit.text() != text and not edit.inputMask():
            raise NotReadyError(
                f"{self.title}: '{edit.objectName()}' holds {edit.text()!r}, not {text!r}"
            )

    def _choose(self, name: str, value: str) -> None:
        """Choose the item of combo ``name`` whose data (or text) is ``value``."""
        combo = self._find(QComboBox, name)
        index = combo.findData(value)
        if index < 0:
            index = combo.findText(value)
        if index < 0:
            items = [combo.itemData(i) for i in range(combo.count())]
            raise ValueError(f"{self.title}: '{name}' has no item {value!r}; it has {items}")
        self._wait(combo.isEnabled, f"list '{name}' not enabled")
        combo.setFocus()
        combo.setCurrentIndex(index)

    def _page(self) -> int:
        return self.window.findChild(QWidget, "pageStack").currentIndex()  # type: ignore[attr-defined]

    def _text(self, name: str) -> str:
        return self._find(QLabel, name).text()


class BookingPage(_Page):
    """New booking, submit and enrolment: what the officer does around the capture.

    Examples
    --------
    >>> booking.new(name="DOE, JOHN", dob="1980-01-02", sex="M", slaps=False)  # doctest: +SKIP
    >>> booking.submit()  # doctest: +SKIP
    <Disposition.HIT: 'HIT'>
    """

    title = "booking page"

    def generate(self, kind: str = "gallery", synthetic_id: int = -1) -> None:
        """Generate synthetic subject: fill the form and put that person on the platen.

        Parameters
        ----------
        kind : str
            ``gallery`` (an enrolled subject), ``new`` or a scenario (``swapped``,
            ``poor-finger``, ``amputated``, ``dirty-platen``, ``timeout``, ``disconnect``).
        synthetic_id : int
            The subject's number (-1: the station picks one).
        """
        self._to_new_booking()
        self.waiter.step(f"Generate a synthetic subject: {kind} #{synthetic_id}")
        self._choose("generateKindCombo", kind)
        spin = self._find(QSpinBox, "syntheticIdSpin")
        spin.setValue(synthetic_id)
        self._click("generateSubjectButton")
        last = self._find(QLineEdit, "lastNameEdit")
        self._wait(lambda: bool(last.text()), "'lastNameEdit' still empty after Generate")

    def new(
        self,
        *,
        name: str | None = None,
        dob: str | None = None,
        sex: str | None = None,
        slaps: bool = True,
        **fields: Any,
    ) -> None:
        """Open a booking: fill the form (the fields given), Next, set the slaps option.

        Fields not given keep what the form holds (e.g. after :meth:`generate`). On the
        response of a previous booking this first presses New booking.

        Parameters
        ----------
        name : str, optional
            ``"LAST, FIRST"``.
        dob : str, optional
            Date of birth ``YYYY-MM-DD``.
        sex : str, optional
            ``M``, ``F``, ``X`` or ``U``.
        slaps : bool
            Take the 4-4-2 slaps (``slapsCheck``) after the ten rolled prints.
        **fields
            ``last_name``, ``first_name``, ``middle_initial``, ``height``, ``weight``,
            ``eyes``, ``hair``, ``place_of_birth``.
        """
        unknown = set(fields) - set(_FIELDS)
        if unknown:
            raise ValueError(
                f"booking.new: unknown field(s) {sorted(unknown)}; use {list(_FIELDS)}"
            )
        if name is not None:
            last, sep, first = name.partition(",")
            if not sep:
                raise ValueError(f"booking.new: name must be 'LAST, FIRST', got {name!r}")
            fields["last_name"], fields["first_name"] = last.strip(), first.strip()
        if dob is not None:
            fields["dob"] = dob
        if sex is not None:
            fields["sex"] = sex
        self._to_new_booking()
        self.waiter.step("New booking: " + (name or "the subject on the form"))
        for key, value in fields.items():
            widget = self._find(QWidget, _FIELDS[key])
            if isinstance(widget, QLineEdit):
                self._type(widget, str(value))
            elif isinstance(widget, QComboBox):
                self._choose(_FIELDS[key], str(value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
        self._click("nextButton")
        errors = self._find(QLabel, "formErrorLabel")
        self._wait(
            lambda: self._page() == _CAPTURE or bool(errors.text()),
            "the booking did not open (still on New booking)",
        )
        if self._page() != _CAPTURE:
            raise NotReadyError(f"{self.title}: the form was refused: {errors.text()}")
        check = self._find(QAbstractButton, "slapsCheck")
        if check.isChecked() != slaps:
            QTest.mouseClick(check, Qt.MouseButton.LeftButton)
        if check.isChecked() != slaps:
            raise NotReadyError(f"{self.title}: 'slapsCheck' did not change to {slaps}")

    def submit(self) -> Disposition:
        """Submit and wait for the response; returns its disposition."""
        shown: list[str] = []
        signal = self.window.response_shown  # type: ignore[attr-defined]
        slot = shown.append
        signal.connect(slot)
        try:
            self.waiter.step("Submit the booking for search")
            self._click("submitButton")
            self._wait(lambda: bool(shown), "no response on 'dispositionBanner'")
        finally:
            signal.disconnect(slot)
        return _disposition(self._text("dispositionBanner"))

    def enrol(self) -> str:
        """Enrol (a new subject on NO HIT, a new encounter on HIT); returns the banner."""
        button = self._find(QAbstractButton, "enrollButton")
        self.waiter.step("Enrol the booking")
        self._click("enrollButton")
        self._wait(lambda: not button.isEnabled(), "button 'enrollButton' still enabled")
        return self._text("dispositionBanner")

    def abandon(self, reason: str) -> None:
        """Abandon the open booking (New booking, Ctrl+Shift+N, then Abandon with the reason):
        it is closed as cancelled and the form is empty again."""
        if not reason:
            raise ValueError("booking.abandon: the reason is recorded: give one")
        if self._page() == _NEW:
            raise NotReadyError(f"{self.title}: no booking is open to abandon")
        self.waiter.step(f"Abandon the booking: {reason}")
        if not self.window.isActiveWindow():  # a closed dialog may leave no window active
            self.window.activateWindow()
            self._wait(self.window.isActiveWindow, "'stationWindow' not active")
        QTest.keyClick(
            self.window,
            Qt.Key.Key_N,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        )
        if self._page() != _NEW:  # a booking with prints asks Keep open / Abandon / Cancel
            self._answer("leaveBookingDialog", "abandonReasonEdit", reason, "abandonButton")
        self._wait(lambda: self._page() == _NEW, "'abandonButton' did not open New booking")

    def _to_new_booking(self) -> None:
        if self._page() == _NEW:
            return
        if self._page() != _RESPONSE:
            raise NotReadyError(
                f"{self.title}: a booking is open (finish it first): New booking is offered on "
                "the response"
            )
        self._click("newBookingButton")
        self._wait(lambda: self._page() == _NEW, "'newBookingButton' did not open New booking")


class CapturePage(_Page):
    """The capture step: one slot per call, as an officer steps through the card.

    The kit unticks "Continue with the next finger automatically" (``continuousCheck``) so
    that each call captures exactly the slot it names.
    """

    title = "capture page"

    def platen(self, kind: str, synthetic_id: int) -> None:
        """Put a synthetic person (or scenario) on the mock scanner's platen."""
        self._on_capture()
        self.waiter.step(f"On the platen: {kind} #{synthetic_id}")
        self._choose("platenSubjectCombo", kind)
        self._find(QSpinBox, "platenIdSpin").setValue(synthetic_id)

    def take_slaps(self, on: bool) -> None:
        """Tick or untick "Take the 4-4-2 slaps"."""
        check = self._find(QAbstractButton, "slapsCheck")
        if check.isChecked() != on:
            self._click("slapsCheck")

    def load_folder(self, folder: str | Path) -> str:
        """Capture from image files: choose "Image files (folder)" on
        ``scannerSourceCombo``, type ``folder`` into ``folderEdit`` and press Load
        (``loadFolderButton``). Returns what ``filesLabel`` says was assigned."""
        self._on_capture()
        self.waiter.step(f"Capture from the image files in {Path(folder).name}")
        self._choose("scannerSourceCombo", "files")
        self._type(self._find(QLineEdit, "folderEdit"), str(folder))
        label = self._find(QLabel, "filesLabel")
        self._click("loadFolderButton")  # read at once, on the GUI thread
        if "file(s) assigned" not in label.text():
            raise NotReadyError(f"{self.title}: the folder was refused: {label.text()}")
        return label.text()

    def load_transaction(self, path: str | Path) -> str:
        """Capture from an ANSI/NIST transaction file (``loadEbtsButton``; the file is named
        instead of chosen in the dialog). Waits until it is read; returns ``filesLabel``."""
        self._on_capture()
        path = Path(path)
        self.waiter.step(f"Capture from the ANSI/NIST file {path.name}")
        page = self.window.capture_page  # type: ignore[attr-defined]
        button = self._find(QAbstractButton, "loadEbtsButton")
        chooser = page.path_chooser
        page.path_chooser = lambda: str(path)
        try:
            self._click("loadEbtsButton")
        finally:
            page.path_chooser = chooser
        label = self._find(QLabel, "filesLabel")
        self._wait(
            lambda: button.isEnabled() and not label.text().startswith("Reading "),
            f"'{path.name}' not read ('filesLabel' says {label.text()!r})",
        )
        if f" print(s) in {path.name}" not in label.text():
            raise NotReadyError(f"{self.title}: the file was refused: {label.text()}")
        return label.text()

    def use_scanner(self) -> None:
        """Capture from the mock scanner again (``scannerSourceCombo``)."""
        self._on_capture()
        self.waiter.step("Capture from the scanner")
        self._choose("scannerSourceCombo", "mock")

    def roll(self, finger: str) -> CaptureOutcome:
        """Capture one rolled finger (or, given a slap code, that slap) and wait for the end.

        Returns when the print is stored, a scanner error shows, or the quality gate asks.
        """
        if finger not in FINGERS and finger not in SLAPS:
            raise ValueError(f"capture.roll: {finger!r} is not a finger or slap code")
        self._on_capture()
        self.waiter.step(f"Roll {finger}" if finger in FINGERS else f"Take the {finger} slap")
        continuous = self._find(QAbstractButton, "continuousCheck")
        if continuous.isChecked():
            QTest.mouseClick(continuous, Qt.MouseButton.LeftButton)
        self._select(finger)
        diagram = self._diagram()
        before = diagram.slots[finger].attempt
        again = diagram.slots[finger].done
        panel = self._find(QWidget, "scannerErrorPanel")
        # the click hides an earlier error before the scanner starts; one on screen after it
        # is this capture's
        self._click("recaptureButton" if again else "captureButton")
        cancel = self._find(QAbstractButton, "cancelCaptureButton")

        def ended() -> bool:
            if cancel.isEnabled():
                return False  # the scanner is still busy
            return self._diagram().slots[finger].attempt > before or panel.isVisible()

        self._wait(ended, f"'{finger}' not captured (no print, no error on 'scannerErrorPanel')")
        return self._outcome(finger)

    def roll_all(self) -> list[CaptureOutcome]:
        """Roll every finger not yet captured or annotated, R1 … L5; stops at the first
        scanner error or quality question (the returned list ends with it)."""
        return self._run([f for f in FINGERS if not self._diagram().slots[f].done])

    def slaps(self) -> list[CaptureOutcome]:
        """Take the slaps not yet taken (in the station's order); stops like :meth:`roll_all`."""
        self._on_capture()
        diagram = self._diagram()
        return self._run([c for c in diagram.order if c in SLAPS and not diagram.slots[c].done])

    def annotate(self, finger: str, code: str, reason: str | None = None) -> None:
        """Annotate a missing finger: ``XX`` (amputated) or ``UP`` (unable to print; the
        reason is asked)."""
        if finger not in FINGERS:
            raise ValueError(f"capture.annotate: {finger!r} is not a finger code R1 … L5")
        if code == "UP" and not reason:
            raise ValueError("capture.annotate: UP needs the reason (bandaged, injured …)")
        self._on_capture()
        self.waiter.step(f"Annotate {finger} {code}" + (f": {reason}" if reason else ""))
        self._select(finger)
        self._choose("annotateCombo", code)
        if code == "UP":
            self._answer(
                "unablePrintDialog", "unablePrintReasonEdit", str(reason), "unablePrintOkButton"
            )
        diagram = self._diagram()
        self._wait(
            lambda: diagram.slots[finger].annotation == code,
            f"'{finger}' not annotated {code} on 'handDiagram'",
        )

    def recapture_now(self) -> CaptureOutcome:
        """Answer the quality gate "Recapture now" and wait for the new print."""
        dialog = self._dialog("qualityGateDialog")
        finger = self._diagram().current
        before = self._diagram().slots[finger].attempt
        self.waiter.step(f"Recapture {finger} now")
        self._click("recaptureNowButton", within=dialog)
        cancel = self._find(QAbstractButton, "cancelCaptureButton")
        panel = self._find(QWidget, "scannerErrorPanel")
        self._wait(
            lambda: (
                not cancel.isEnabled()
                and (self._diagram().slots[finger].attempt > before or panel.isVisible())
            ),
            f"'{finger}' not recaptured",
        )
        return self._outcome(finger)

    def accept_anyway(self, reason: str) -> None:
        """Answer the quality gate "Accept anyway" with the reason."""
        if not reason:
            raise ValueError("capture.accept_anyway: the reason is recorded: give one")
        self._dialog("qualityGateDialog")
        self.waiter.step(f"Accept the print anyway: {reason}")
        self._answer("qualityGateDialog", "acceptReasonEdit", reason, "acceptAnywayButton")

    def leave_as_is(self) -> None:
        """Close the quality gate with Esc: the print stays, the submit asks again."""
        dialog = self._dialog("qualityGateDialog")
        self.waiter.step("Leave the print as it is")
        QTest.keyClick(dialog, Qt.Key.Key_Escape)
        self._wait(lambda: not dialog.isVisible(), "'qualityGateDialog' still open")

    def clean_platen(self) -> None:
        """Press Clean platen (``cleanPlatenButton``): the residue is wiped off the glass."""
        self._on_capture()
        self.waiter.step("Clean the platen")
        self._click("cleanPlatenButton")
        panel = self._find(QWidget, "dirtyPlatenPanel")
        self._wait(lambda: not panel.isVisible(), "'dirtyPlatenPanel' still shown")

    def reconnect(self) -> None:
        """Press Reconnect after a scanner disconnect."""
        self.waiter.step("Reconnect the scanner")
        self._click("reconnectButton")
        panel = self._find(QWidget, "scannerErrorPanel")
        self._wait(lambda: not panel.isVisible(), "'scannerErrorPanel' still shown")

    @property
    def error(self) -> str:
        """The scanner error on screen (``scannerErrorLabel``), "" when none."""
        if not self._find(QWidget, "scannerErrorPanel").isVisible():
            return ""
        return _plain(self._text("scannerErrorLabel"))

    @property
    def prompt(self) -> str:
        """The large prompt (``promptLabel``)."""
        return self._text("promptLabel")

    @property
    def sequence(self) -> str:
        """The sequence-check line (``sequenceLabel``)."""
        return self._text("sequenceLabel")

    def level(self, slot: str) -> int | None:
        """The quality level the hand diagram shows for ``slot`` (None: not captured)."""
        return self._diagram().slots[slot].level

    # --- helpers --------------------------------------------------------------------------

    def _diagram(self) -> Any:
        return self._find(QWidget, "handDiagram")

    def _on_capture(self) -> None:
        self._wait(lambda: self._page() == _CAPTURE, "'pageStack' is not on Capture")

    def _select(self, code: str) -> None:
        diagram = self._diagram()
        if code not in diagram.order:
            raise NotReadyError(f"{self.title}: '{code}' is not taken in this booking (slaps off?)")

        def chosen() -> bool:
            # a click is where the tile is now: a window still being laid out (a loaded
            # machine) may have moved it, so the click is repeated until the tile is chosen
            if diagram.current == code:
                return True
            if diagram.isVisible():
                centre = diagram.tile_rect(code).center()
                QTest.mouseClick(
                    diagram,
                    Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier,
                    QPoint(int(centre.x()), int(centre.y())),
                )
            return diagram.current == code

        self._wait(chosen, f"'{code}' not selected on 'handDiagram'")

    def _outcome(self, code: str) -> CaptureOutcome:
        slot = self._diagram().slots[code]
        gate = any(
            isinstance(w, QDialog) and w.objectName() == "qualityGateDialog" and w.isVisible()
            for w in QApplication.topLevelWidgets()
        )
        stored = slot.status == "captured"
        return CaptureOutcome(code, slot.level if stored else None, self.error, gate)

    def _run(self, codes: Sequence[str]) -> list[CaptureOutcome]:
        done: list[CaptureOutcome] = []
        for code in codes:
            outcome = self.roll(code)
            done.append(outcome)
            if not outcome.ok:
                break
        return done


class ResponsePage(_Page):
    """The response: disposition, candidates, the examiner's decisions, recapture."""

    title = "response page"

    @property
    def banner(self) -> str:
        """The banner's text (``dispositionBanner``)."""
        return self._text("dispositionBanner")

    @property
    def disposition(self) -> Disposition:
        """The disposition on the banner (a ``Disposition``; equal to its word, ``"HIT"``)."""
        self._wait(lambda: self._page() == _RESPONSE, "'pageStack' is not on Response")
        return _disposition(self.banner)

    @property
    def detail(self) -> str:
        """The detail line under the banner (``responseDetailLabel``)."""
        return self._text("responseDetailLabel")

    @property
    def candidates(self) -> list[Candidate]:
        """The candidate list, best first (``candidateTable``)."""
        table = self._find(QTableWidget, "candidateTable")
        rows = []
        for r in range(table.rowCount()):
            cells = [table.item(r, c) for c in range(table.columnCount())]
            subject = cells[4]
            rows.append(
                Candidate(
                    rank=int(cells[0].text()),
                    name=cells[1].text(),
                    score=float(cells[2].text()),
                    subject_id=int(subject.data(Qt.ItemDataRole.UserRole)),
                    review="(review)" in subject.text(),
                )
            )
        return rows

    def confirm(self, candidate: Candidate | int | str, *, reason: str) -> Disposition:
        """The examiner confirms ``candidate``: a :class:`Candidate`, its subject id, or its
        name as listed (``"JACKSON, DIEGO"``: what a recording writes, since another gallery
        numbers its subjects differently)."""
        return self._decide("confirmMatchButton", candidate, reason)

    def reject(self, candidate: Candidate | int | str, *, reason: str) -> Disposition:
        """The examiner rejects ``candidate`` (as for :meth:`confirm`)."""
        return self._decide("rejectMatchButton", candidate, reason)

    def undo(self, *, reason: str) -> Disposition:
        """The examiner undoes the last decision in force, with the reason."""
        if not reason:
            raise ValueError("undoing a decision needs a reason")
        self.waiter.step(f"Undo the last decision: {reason}")
        self._click("undoDecisionButton")
        self._answer_decision(reason)
        return _disposition(self.banner)

    def recapture_listed(self) -> list[str]:
        """On RECAPTURE: back to Capture for the listed fingers; returns them (as
        ``recaptureListLabel`` names them)."""
        listed = self._text("recaptureListLabel")
        self.waiter.step("Recapture the listed fingers")
        self._click("recaptureListedButton")
        self._wait(lambda: self._page() == _CAPTURE, "'recaptureListedButton' did not open Capture")
        return [code for code in FINGERS if re.search(rf"\b{code}\b", listed)]

    def _decide(self, button: str, candidate: Candidate | int | str, reason: str) -> Disposition:
        if not reason:
            raise ValueError("the examiner's decision needs a reason")
        if isinstance(candidate, str):
            named = [c for c in self.candidates if c.name == candidate]
            if not named:
                raise NotReadyError(
                    f"{self.title}: no candidate named {candidate!r} in 'candidateTable'"
                )
            candidate = named[0]
        subject = candidate.subject_id if isinstance(candidate, Candidate) else int(candidate)
        table = self._find(QTableWidget, "candidateTable")
        row = next(
            (c.rank - 1 for c in self.candidates if c.subject_id == subject),
            None,
        )
        if row is None:
            raise NotReadyError(f"{self.title}: subject #{subject} is not in 'candidateTable'")
        verb = "Confirm" if button == "confirmMatchButton" else "Reject"
        self.waiter.step(f"{verb} subject #{subject}: {reason}")

        def selected() -> bool:
            if any(i.row() == row for i in table.selectionModel().selectedRows()):
                return True
            # click the row where it is drawn now (a click beside it would clear the selection)
            table.scrollToItem(table.item(row, 1))
            rect = table.visualRect(table.model().index(row, 1))
            if (
                table.isVisible()
                and rect.isValid()
                and table.viewport().rect().contains(rect.center())
            ):
                QTest.mouseClick(
                    table.viewport(),
                    Qt.MouseButton.LeftButton,
                    Qt.KeyboardModifier.NoModifier,
                    rect.center(),
                )
            return any(i.row() == row for i in table.selectionModel().selectedRows())

        self._wait(selected, f"row {row + 1} of 'candidateTable' not selected")
        self._click(button)
        self._answer_decision(reason)
        return _disposition(self.banner)

    def _answer_decision(self, reason: str) -> None:
        self._answer("decisionDialog", "decisionReasonEdit", reason, "decisionOkButton")


class Station:
    """The station window's pages, for a test or a demo.

    Parameters
    ----------
    window : StationWindow
        The window to drive (shown, an operator signed in).
    waiter : Waiter, optional
        How to wait (default :class:`~station.testing.waiting.EventLoopWaiter`).
    timeout : float
        Seconds any one wait may take before :class:`NotReadyError` (default 30).

    Examples
    --------
    >>> station = Station(window)  # doctest: +SKIP
    >>> station.booking.generate("gallery", 12)  # doctest: +SKIP
    >>> station.booking.new(slaps=False)  # doctest: +SKIP
    >>> station.capture.roll_all()  # doctest: +SKIP
    >>> station.booking.submit()  # doctest: +SKIP
    """

    def __init__(
        self, window: QWidget, *, waiter: Waiter | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        if window.objectName() != "stationWindow":
            raise ValueError(f"Station needs the station window, got {window.objectName()!r}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.window = window
        self.waiter: Waiter = waiter or EventLoopWaiter()
        self.booking = BookingPage(window, self.waiter, timeout)
        self.capture = CapturePage(window, self.waiter, timeout)
        self.response = ResponsePage(window, self.waiter, timeout)


def _disposition(banner: str) -> Disposition:
    word = banner.split(" — ", 1)[0].strip()
    for disposition in Disposition:
        if word == disposition.value:
            return disposition
    raise NotReadyError(f"response page: 'dispositionBanner' says {banner!r}: no disposition word")


def _plain(text: str) -> str:
    """A label's rich text as plain text."""
    return unescape(re.sub(r"<br\s*/?>", "\n", re.sub(r"<(?!br)[^>]+>", "", text)))
