"""Step 2, Capture: hand diagram, live preview, quality, annotations, scanner panel.

The page renders the :class:`~station.gui.session.BookingSession` and drives the
:class:`~station.gui.scanner_driver.ScannerDriver`: Capture starts the selected slot, a
stable preview frame is taken automatically, the print's quality is shown and the next slot is
selected (and started, when "Continue automatically" is on). Errors of the device appear in
the panel under the preview with what to do, and a Reconnect button after a disconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from station.core.residue import PlatenResidue
from station.core.vocabulary import FINGER_NAMES, FINGERS, SLAPS, Annotation, Impression
from station.scanner import ScannerError
from station.scanner.files import shown_name
from station.scanner.transaction import TRANSACTION_SUFFIXES, TransactionFileSource
from station.service import ProcessedCapture, SlapCaptureResult

from . import theme
from .dialogs import QualityGateDialog, UnablePrintDialog
from .scanner_driver import PLATEN_CHOICES, ScannerDriver
from .session import BookingSession, slot_name
from .widgets import HandDiagram, ImageCanvas, QualityBar, esc, plain

__all__ = ["CapturePage", "prompt_for", "quality_text"]

log = logging.getLogger(__name__)

ANNOTATIONS = (
    ("", "Missing finger…"),
    *((a.value, f"{a} — {a.description}") for a in Annotation),
)


def prompt_for(code: str, impression: str) -> str:
    """The large instruction for a slot, e.g. ``'Roll the RIGHT INDEX finger'``."""
    if code == "TS":
        return "Press BOTH THUMBS flat on the platen"
    if code in SLAPS:
        hand = "RIGHT" if code == "RS" else "LEFT"
        return f"Press the {hand} FOUR FINGERS flat on the platen"
    verb = "Roll" if impression == Impression.ROLLED else "Press"
    return f"{verb} the {slot_name(code).upper()} finger" + (
        "" if impression == Impression.ROLLED else " flat"
    )


def quality_text(level: int | None, quality: int | None) -> str:
    """A print's quality on the officer's one scale: the level 1-5 in words first, the
    0-100 score only as detail.

    Examples
    --------
    >>> quality_text(5, 23)
    'Level 5 — poor (score 23/100)'
    >>> quality_text(1, None)
    'Level 1 — excellent'
    """
    text = f"Level {level} — {theme.level_word(level)}"
    return text if quality is None else f"{text} (score {quality}/100)"


def _fingers_in(text: str) -> set[str]:
    """Finger codes (R1 … L5) named in a note."""
    return {word for word in text.replace(",", " ").split() if word in FINGERS}


class CapturePage(QWidget):
    """The capture step.

    Parameters
    ----------
    session : BookingSession
    driver : ScannerDriver
    parent : QWidget, optional

    Signals
    -------
    problem(str)
        Something the window should show in its alert bar (a gallery error …).
    state_changed()
        Slots changed (the window updates its Next/Submit buttons).
    notice(str)
        A note from the scanner for the alert bar; an empty text withdraws it (what it said
        stopped being true: the finger it names was annotated, or the booking ended).
    acted(str, dict)
        What the officer did, for the booking recorder (:mod:`station.gui.recorder`):
        ``("capture", {"slot"})`` as the scanner starts on a slot, ``("annotate", {"finger",
        "code", "reason"})``, ``("gate", {"finger", "answer", "reason"})`` (the quality gate's
        answer: ``recapture``, ``accept`` or ``leave``) and ``("reconnect", {})``.
    """

    problem = Signal(str)
    state_changed = Signal()
    notice = Signal(str)
    acted = Signal(str, dict)

    def __init__(
        self, session: BookingSession, driver: ScannerDriver, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("capturePage")
        self.session = session
        self.driver = driver

        self.prompt = plain(QLabel("Roll the RIGHT THUMB finger"))
        self.prompt.setObjectName("promptLabel")
        font = self.prompt.font()
        font.setPointSizeF(font.pointSizeF() * 1.8)
        self.prompt.setFont(font)
        self.prompt.setWordWrap(True)

        self.diagram = HandDiagram()
        self.diagram.slot_clicked.connect(self._select)

        self.preview = ImageCanvas(placeholder="Live preview")
        self.preview.setObjectName("livePreview")
        self.preview.setMinimumSize(300, 300)
        self.preview.setAccessibleName("Live preview")

        self.quality = QualityBar()
        self.slot_label = plain(QLabel())
        self.slot_label.setObjectName("slotDetailLabel")
        self.slot_label.setWordWrap(True)
        self.sequence_label = plain(QLabel("Sequence check: after the slaps"))
        self.sequence_label.setObjectName("sequenceLabel")
        self.sequence_label.setWordWrap(True)

        self.capture_button = QPushButton("&Capture  (Space / F5)")
        self.capture_button.setObjectName("captureButton")
        self.capture_button.setToolTip("Capture the highlighted finger (Space or F5)")
        self.capture_button.clicked.connect(self.capture)
        self.recapture_button = QPushButton("&Recapture  (F6)")
        self.recapture_button.setObjectName("recaptureButton")
        self.recapture_button.setToolTip("Capture the last finger again (F6)")
        self.recapture_button.clicked.connect(self.recapture)
        self.cancel_button = QPushButton("Cancel  (Esc)")
        self.cancel_button.setObjectName("cancelCaptureButton")
        self.cancel_button.setToolTip("Stop the capture in progress (Esc)")
        self.cancel_button.clicked.connect(self.cancel)
        self.annotate = QComboBox()
        self.annotate.setObjectName("annotateCombo")
        for code, label in ANNOTATIONS:
            self.annotate.addItem(label, code)
        self.annotate.setToolTip(
            "Skip the highlighted finger with an annotation: XX amputated, UP unable to print (F7)"
        )
        self._annotating = False
        self._note = ""
        self.gate: QualityGateDialog | None = None
        self.annotate.currentIndexChanged.connect(self._annotate_chosen)
        self.continuous = QCheckBox("Continue with the next finger automatically")
        self.continuous.setObjectName("continuousCheck")
        self.continuous.setChecked(True)
        self.slaps = QCheckBox("Take the 4-4-2 slaps")
        self.slaps.setObjectName("slapsCheck")
        self.slaps.setChecked(True)
        self.slaps.setToolTip("Slaps are needed for the sequence check")
        self.slaps.toggled.connect(self._slaps_toggled)

        # scanner error panel
        self.error_panel = QFrame()
        self.error_panel.setObjectName("scannerErrorPanel")
        el = QHBoxLayout(self.error_panel)
        self.error_label = QLabel()
        self.error_label.setObjectName("scannerErrorLabel")
        self.error_label.setWordWrap(True)
        self.reconnect_button = QPushButton("Reco&nnect scanner")
        self.reconnect_button.setObjectName("reconnectButton")
        self.reconnect_button.setToolTip("Open the scanner again, then press Capture (Ctrl+R)")
        self.reconnect_button.clicked.connect(self.reconnect)
        el.addWidget(self.error_label, 1)
        el.addWidget(self.reconnect_button)
        self.error_panel.hide()

        # dirty platen: measured on the empty-platen frames, until the officer cleans it
        self.dirt_panel = QFrame()
        self.dirt_panel.setObjectName("dirtyPlatenPanel")
        dl = QHBoxLayout(self.dirt_panel)
        self.dirt_label = QLabel()
        self.dirt_label.setObjectName("dirtyPlatenLabel")
        self.dirt_label.setWordWrap(True)
        self.dirt_button = QPushButton("C&lean platen")
        self.dirt_button.setObjectName("cleanPlatenNowButton")
        self.dirt_button.setToolTip("Wipe the platen glass, then go on capturing")
        self.dirt_button.clicked.connect(self._clean)
        dl.addWidget(self.dirt_label, 1)
        dl.addWidget(self.dirt_button)
        self.dirt_panel.hide()

        # scanner panel
        scanner_box = QGroupBox("Scanner")
        scanner_box.setObjectName("scannerBox")
        sg = QGridLayout(scanner_box)
        self.source = QComboBox()
        self.source.setObjectName("scannerSourceCombo")
        self.source.addItem("Mock scanner (MockScan LS-500)", "mock")
        self.source.addItem("Image files (folder)", "files")
        self.source.addItem("ANSI/NIST file…", "ebts")
        self.source.currentIndexChanged.connect(self._source_chosen)
        self.scripted = False  # a class booking: the scenario chose who is on the platen
        self.platen = QComboBox()
        self.platen.setObjectName("platenSubjectCombo")
        for key, label in PLATEN_CHOICES.items():
            self.platen.addItem(label, key)
        self.platen.setToolTip("Who is on the mock scanner's platen (training)")
        self.platen_id = QSpinBox()
        self.platen_id.setObjectName("platenIdSpin")
        self.platen_id.setRange(0, 10_000_000)
        self.platen_id.setToolTip("Synthetic subject number on the platen")
        self.platen.currentIndexChanged.connect(self._platen_chosen)
        self.platen_id.valueChanged.connect(self._platen_chosen)
        self.clean_button = QPushButton("Clean platen")
        self.clean_button.setObjectName("cleanPlatenButton")
        self.clean_button.clicked.connect(self._clean)
        self.folder = QLineEdit()
        self.folder.setObjectName("folderEdit")
        self.folder.setPlaceholderText("Folder of R1.png … L5.png (RS, LS, TS)")
        self.folder.returnPressed.connect(self.load_folder)
        self.browse = QPushButton("Browse…")
        self.browse.setObjectName("browseFolderButton")
        self.browse.clicked.connect(self._browse)
        self.load_button = QPushButton("Load")
        self.load_button.setObjectName("loadFolderButton")
        self.load_button.clicked.connect(self.load_folder)
        self.ebts_button = QPushButton("Open ANSI/NIST file…")
        self.ebts_button.setObjectName("loadEbtsButton")
        self.ebts_button.setToolTip(
            "Capture from an ANSI/NIST-ITL transaction (.an2, .eft, .nist): "
            "Type-14 or Type-4 prints"
        )
        self.ebts_button.clicked.connect(lambda: self.load_transaction())
        #: Asks which transaction file to open: returns a path, or "" / None when cancelled.
        #: Tests replace it to skip the file dialog.
        self.path_chooser: Callable[[], str | None] = self._choose_transaction
        self.files_label = plain(QLabel())
        self.files_label.setObjectName("filesLabel")
        self.files_label.setWordWrap(True)
        self.connection_label = plain(QLabel())
        self.connection_label.setObjectName("scannerConnectionLabel")
        sg.addWidget(QLabel("Source"), 0, 0)
        sg.addWidget(self.source, 0, 1, 1, 3)
        self.platen_caption = QLabel("On the platen")
        self.folder_caption = QLabel("Folder")
        sg.addWidget(self.platen_caption, 1, 0)
        sg.addWidget(self.platen, 1, 1, 1, 2)
        sg.addWidget(self.platen_id, 1, 3)
        sg.addWidget(self.clean_button, 2, 1)
        sg.addWidget(self.connection_label, 2, 2, 1, 2)
        sg.addWidget(self.folder_caption, 3, 0)
        sg.addWidget(self.folder, 3, 1)
        sg.addWidget(self.browse, 3, 2)
        sg.addWidget(self.load_button, 3, 3)
        sg.addWidget(self.ebts_button, 4, 1, 1, 3)
        sg.addWidget(self.files_label, 5, 0, 1, 4)

        # layout
        left = QVBoxLayout()
        left.addWidget(self.diagram, 3)
        quality_box = QGroupBox("Quality")
        ql = QVBoxLayout(quality_box)
        slot_row = QHBoxLayout()  # the annotation belongs to the finger described here
        slot_row.addWidget(self.slot_label, 1)
        slot_row.addWidget(self.annotate)
        ql.addLayout(slot_row)
        ql.addWidget(self.quality)
        ql.addWidget(self.sequence_label)
        left.addWidget(quality_box)
        left.addWidget(scanner_box)

        # combos as wide as a short entry (their lists open wider): the page fits 1024 px
        for combo, chars in ((self.annotate, 16), (self.source, 14), (self.platen, 14)):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(chars)
        buttons = QHBoxLayout()
        buttons.addWidget(self.capture_button)
        buttons.addWidget(self.recapture_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        options = QHBoxLayout()
        options.addWidget(self.continuous)
        options.addWidget(self.slaps)
        options.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.prompt)
        right.addWidget(self.preview, 1)
        right.addWidget(self.error_panel)
        right.addWidget(self.dirt_panel)
        right.addLayout(buttons)
        right.addLayout(options)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 2)
        layout.addLayout(right, 3)

        order = [
            self.capture_button,
            self.recapture_button,
            self.cancel_button,
            self.annotate,
            self.continuous,
            self.slaps,
            self.reconnect_button,
            self.diagram,
            self.source,
            self.platen,
            self.platen_id,
            self.clean_button,
            self.folder,
            self.browse,
            self.load_button,
        ]
        for a, b in pairwise(order):
            QWidget.setTabOrder(a, b)

        for keys, slot in (
            ("F5", self.capture),
            ("F6", self.recapture),
            ("Escape", self.cancel),
            ("F7", self._focus_annotate),
            ("Ctrl+R", self.reconnect),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

        driver.frame.connect(self._frame)
        driver.captured.connect(self._captured)
        driver.failed.connect(self._capture_failed)
        driver.status.connect(self._status)
        driver.platen_checked.connect(self._platen_checked)
        driver.busy_changed.connect(lambda _busy: self.refresh())
        driver.connection_changed.connect(lambda _c: self.refresh())
        session.slots_changed.connect(self.refresh)
        session.sequence_changed.connect(self._sequence)
        session.reset_done.connect(self._reset)
        self._source_chosen()
        self.refresh()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        # Space captures unless the focused control uses it (a button, a box, a text field).
        if event.key() == Qt.Key.Key_Space and not event.modifiers():
            self.capture()
            return
        super().keyPressEvent(event)

    def finished(self) -> bool:
        """Every print is taken and the last one is still highlighted ("All prints taken")."""
        s = self.session
        return (
            s.complete()
            and not s.recapture_queue
            and s.current == s.last_captured
            and not self.driver.busy
        )

    # --- rendering ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Render the session's slots, the selected slot and the buttons' state."""
        s = self.session
        code = s.current
        slot = s.slots[code]
        self.diagram.set_state(s.slots, s.order, code)
        busy = self.driver.busy
        is_mock = self.driver.source_kind == "mock"
        finished = self.finished()
        self.prompt.setText(
            "All prints taken — review them (Ctrl+N) or submit (Ctrl+Return)"
            if finished
            else prompt_for(code, slot.impression)
        )
        if slot.status == "captured" and slot.is_slap:
            detail = ", ".join(f"{f}: {lvl}" for f, lvl in slot.segments.items()) or "no segments"
            self.slot_label.setText(f"{code} — {slot_name(code)}: segment levels {detail}")
            self.quality.set_quality(
                None if slot.level is None else 100 - 20 * (slot.level - 1),  # bar length
                slot.level,
                f"Slap: worst segment {quality_text(slot.level, None)}"
                + (f" — {slot.error}" if slot.error else ""),
            )
        elif slot.status == "captured":
            self.slot_label.setText(
                f"{code} — {slot_name(code)}: attempt {slot.attempt}, {slot.minutiae} minutiae"
            )
            accepted = " — accepted as it is" if code in s.accepted else ""
            self.quality.set_quality(
                slot.quality,
                slot.level,
                quality_text(slot.level, slot.quality)
                + (f": {slot.reason}" if slot.reason and slot.reason != "good" else "")
                + accepted,
            )
        elif slot.status == "annotated":
            label = Annotation(slot.annotation).description
            self.slot_label.setText(f"{code} — {slot_name(code)}: {slot.annotation} ({label})")
            self.quality.set_quality(None, None, f"Annotated {slot.annotation}: {label}")
        else:
            self.slot_label.setText(f"{code} — {slot_name(code)}: not captured yet")
            self.quality.set_quality(None, None, "No print yet")
        has_booking = s.booking_id is not None and s.response is None
        self.capture_button.setEnabled(has_booking and not busy and self.driver.connected)
        self.recapture_button.setEnabled(
            has_booking and not busy and (s.last_captured is not None or slot.done)
        )
        self.cancel_button.setEnabled(busy)
        self.annotate.setEnabled(has_booking and code in FINGERS)
        # a class booking's platen is the scenario's, hidden from the trainee
        self.platen.setEnabled(is_mock and not self.scripted)
        self.platen_id.setEnabled(is_mock and not self.scripted)
        self.clean_button.setEnabled(is_mock)
        for w in (self.folder, self.browse, self.load_button):
            w.setEnabled(not is_mock and not busy)
        # only the rows of the chosen source take room (the page fits a 720-line screen)
        for w in (self.platen_caption, self.platen, self.platen_id):
            w.setVisible(is_mock and not self.scripted)
        for w in (self.folder_caption, self.folder, self.browse, self.load_button):
            w.setVisible(not is_mock)
        self.files_label.setVisible(not is_mock and bool(self.files_label.text()))
        connected = self.driver.connected
        self.connection_label.setText(
            ("● Connected" if connected else "● Not connected")
            if is_mock
            else ("● Folder loaded" if connected else "● No folder")
        )
        self.connection_label.setStyleSheet(
            f"color: {theme.GREEN if connected else theme.RED}; font-weight: bold;"
        )
        self.state_changed.emit()

    def _reset(self) -> None:
        if self.gate is not None:
            self.gate.close()
        self._withdraw_note()
        self.preview.set_image(None)
        self.preview.set_caption("")
        self.sequence_label.setText("Sequence check: after the slaps")
        self.sequence_label.setStyleSheet("")
        self.error_panel.hide()

    def _frame(self, frame: object) -> None:
        self.preview.set_image(frame.image)  # type: ignore[attr-defined]

    def _status(self, text: str) -> None:
        colour = theme.GREEN if text.startswith("Captured") else "#10161d"
        self.preview.set_caption(text, colour)

    def _sequence(self, result: dict) -> None:
        passed = bool(result.get("passed"))
        text = str(result.get("message") or "")
        self.sequence_label.setText(("✓ " if passed else "✗ ") + text)
        self.sequence_label.setStyleSheet(
            f"color: {theme.GREEN if passed else theme.RED}; font-weight: bold;"
        )

    # --- actions --------------------------------------------------------------------------

    def capture(self) -> None:
        """Capture the selected slot (Space / F5)."""
        s = self.session
        if s.booking_id is None or s.response is not None or self.driver.busy:
            return
        if self.gate is not None:
            return  # the officer answers the quality question first
        if self.finished():
            # After the last print, Space (or a stray Capture) must not silently recapture
            # the highlighted finger: F6 or a click on the hand diagram does that.
            self._status("All prints taken — press F6 to recapture the highlighted finger")
            return
        self._start()

    def _start(self) -> None:
        """Start the scanner on the selected slot."""
        s = self.session
        if not self.driver.connected:
            self._capture_failed(
                "The scanner is not connected — press Reconnect"
                if self.driver.source_kind == "mock"
                else "No folder loaded — type or browse to a folder of prints and press Load",
                "disconnected" if self.driver.source_kind == "mock" else "scanner",
            )
            return
        self.error_panel.hide()
        slot = s.slots[s.current]
        if slot.is_slap and not s.slap_needed(slot.finger):
            self._status(f"{slot.finger}: every finger on it is annotated — nothing to capture")
            self._advance()
            return
        if self.driver.source_kind == "mock":
            self.preview.set_image(None)
        self.acted.emit("capture", {"slot": s.current})
        self.driver.capture(slot.finger, slot.impression, s.absent())

    def recapture(self) -> None:
        """Capture the last finger again (F6); a selected captured slot is recaptured first."""
        s = self.session
        if s.booking_id is None or self.driver.busy:
            return
        if self.gate is not None or s.response is not None:
            return
        target = s.current if s.slots[s.current].done else s.last_captured
        if target is None:
            return
        s.select(target)
        self._start()

    def cancel(self) -> None:
        """Stop the capture in progress (Esc)."""
        if self.driver.busy:
            self.driver.cancel()
            self._status("Capture cancelled — press Capture to start again")

    def reconnect(self) -> None:
        """Open the scanner again after a disconnect."""
        self.acted.emit("reconnect", {})
        if self.driver.reconnect():
            self.error_panel.hide()
            self._status("Scanner connected — press Capture")
        else:
            self._failed("The scanner is still not connected — check the cable", "disconnected")
        self.refresh()

    def _select(self, code: str) -> None:
        if self.driver.busy:
            self.driver.cancel()
        self.session.select(code)

    def _focus_annotate(self) -> None:
        self.annotate.setFocus()
        self.annotate.showPopup()

    def _annotate_chosen(self, index: int) -> None:
        if self._annotating or index <= 0:
            return
        code = self.annotate.itemData(index)
        finger = self.session.current
        self._annotating = True
        try:
            self.annotate.setCurrentIndex(0)
        finally:
            self._annotating = False
        if finger not in FINGERS or self.session.booking_id is None:
            return
        self.driver.cancel()
        if code == Annotation.UP:
            dialog = UnablePrintDialog(self, finger=finger, name=FINGER_NAMES[finger])
            dialog.accepted.connect(lambda: self._annotate(finger, code, dialog.reason()))
            dialog.open()
            return
        self._annotate(finger, code, None)

    def _annotate(
        self, finger: str, code: str, reason: str | None, *, automatic: bool = False
    ) -> None:
        try:
            self.session.annotate(finger, code, reason)
        except Exception as exc:  # shown to the officer; the booking stays as it was
            log.exception("annotate %s %s failed", finger, code)
            self.problem.emit(f"Could not annotate {finger}: {exc}")
            return
        self.acted.emit(
            "annotate",
            {"finger": finger, "code": str(code), "reason": reason, "automatic": automatic},
        )
        self.error_panel.hide()
        if self._note and _fingers_in(self._note) <= set(self.session.absent()):
            self._withdraw_note()
        self._status(f"{finger} annotated {code}" + (f" ({reason})" if reason else ""))
        self._advance()

    def _captured(self, processed: ProcessedCapture) -> None:
        try:
            result = self.session.store(processed)
        except Exception as exc:
            log.exception("storing %s failed", processed.capture.finger)
            self.problem.emit(
                f"The {processed.capture.finger} print could not be saved ({exc}) — "
                "capture it again; if it keeps failing, check the gallery in Settings"
            )
            return
        if isinstance(result, SlapCaptureResult):
            caption = f"{processed.capture.finger} captured"
            if result.error:
                caption += f" — {result.error}"
            self._status(caption)
        else:
            level = result.level
            colour = theme.level_colour(level).name()
            self.preview.set_caption(
                f"{processed.capture.finger} captured — {quality_text(level, None)}", colour
            )
        note = processed.capture.annotation
        if note and not _fingers_in(note) <= set(self.session.absent()):
            self._note = f"Scanner note: {note}"
            self.notice.emit(self._note)
        self.preview.set_image(processed.capture.image)
        policy = self.session.service.policy
        if (
            not isinstance(result, SlapCaptureResult)
            and result.level is not None
            and result.level >= policy.recapture_level
        ):
            self._ask_quality(processed.capture.finger, result)
            return
        self._advance()

    def _ask_quality(self, finger: str, result: object) -> None:
        """A finger below the recapture level stops the sequence: Recapture or Accept."""
        reason = getattr(result, "reason", "") or ""
        detail = quality_text(getattr(result, "level", None), getattr(result, "quality", None))
        if reason and reason != "good":
            detail += f", {reason}"
        self.session.select(finger)
        self.gate = QualityGateDialog(self, finger=finger, detail=detail)
        self.gate.finished.connect(lambda code: self._quality_answered(finger, code))
        self.gate.open()
        self.refresh()

    def _quality_answered(self, finger: str, code: int) -> None:
        gate, self.gate = self.gate, None
        answer = {QualityGateDialog.ACCEPT: "accept", QualityGateDialog.RECAPTURE: "recapture"}
        self.acted.emit(
            "gate",
            {
                "finger": finger,
                "answer": answer.get(code, "leave"),
                "reason": gate.reason() if gate is not None and code == gate.ACCEPT else None,
            },
        )
        if code == QualityGateDialog.ACCEPT and gate is not None:
            try:
                self.session.accept_quality(finger, gate.reason())
            except Exception as exc:
                log.exception("accepting %s failed", finger)
                self.problem.emit(f"Could not accept {finger}: {exc}")
                self.refresh()
                return
            self._status(f"{finger} accepted as it is: {gate.reason()}")
            self._advance()
            return
        if code == QualityGateDialog.RECAPTURE and self.session.booking_id is not None:
            self.session.select(finger)
            self._start()
            return
        if self.session.booking_id is not None and self.session.response is None:
            # Closed without an answer (Esc): go on; the submit's quality gate asks again.
            self._status(f"{finger} left as it is — submitting will ask for a recapture")
            self._advance()

    def _withdraw_note(self) -> None:
        if self._note:
            self._note = ""
            self.notice.emit("")

    def _platen_checked(self, residue: PlatenResidue) -> None:
        if residue.dirty:
            self.dirt_label.setText(
                f"<b>The platen is dirty</b> — residue on {residue.percent:.1f} % of the glass "
                "darkens the prints. Clean it (Clean platen), then go on."
            )
            self.dirt_panel.show()

    def _advance(self) -> None:
        nxt = self.session.advance()
        self.refresh()
        if nxt is not None and self.continuous.isChecked():
            QTimer.singleShot(0, self._continue)

    def _continue(self) -> None:
        s = self.session
        if s.booking_id is not None and not s.slots[s.current].done and self.isVisible():
            self.capture()

    def _capture_failed(self, message: str, kind: str) -> None:
        """A capture ended without a print: the session notes it, the officer is told."""
        self.session.capture_failed(message)
        self._failed(message, kind)

    def _failed(self, message: str, kind: str) -> None:
        what = {
            "disconnected": "Reconnect the scanner (Ctrl+R), then press Capture.",
            "timeout": "Ask the subject to hold still and press Capture again.",
            "empty": "If the finger is missing, choose XX or UP in the annotation list (F7).",
            "scanner": "Fix the cause and press Capture again.",
            "internal": "Press Capture to try again.",
        }.get(kind, "")
        self.error_label.setText(f"<b>{esc(message)}</b><br>{esc(what)}")
        self.reconnect_button.setVisible(kind == "disconnected")
        self.error_panel.show()
        self.preview.set_caption("Capture stopped", theme.RED)
        self.refresh()
        if kind == "disconnected":
            self.reconnect_button.setFocus()

    # --- scanner panel --------------------------------------------------------------------

    def _source_chosen(self) -> None:
        kind = str(self.source.currentData())
        self.driver.set_source(kind)
        self.error_panel.hide()
        self.refresh()

    def _platen_chosen(self) -> None:
        try:
            self.driver.set_platen(str(self.platen.currentData()), self.platen_id.value())
        except ValueError as exc:
            self.problem.emit(str(exc))
        self.refresh()

    def set_platen(self, key: str, synthetic_id: int) -> None:
        """Choose who is on the platen (from the New booking page's generator)."""
        self.platen.blockSignals(True)
        self.platen_id.blockSignals(True)
        self.platen.setCurrentIndex(max(0, self.platen.findData(key)))
        self.platen_id.setValue(synthetic_id)
        self.platen.blockSignals(False)
        self.platen_id.blockSignals(False)
        self._platen_chosen()

    def _clean(self) -> None:
        self.driver.clean_platen()
        self.dirt_panel.hide()
        self._status("Platen cleaned")

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of prints", self.folder.text())
        if folder:
            self.folder.setText(folder)
            self.load_folder()

    def load_folder(self) -> None:
        """Assign the files of the folder in the folder box to slots."""
        text = self.folder.text().strip()
        if not text:
            self.files_label.setText("Type or browse to a folder first.")
            return
        try:
            source = self.driver.load_folder(Path(text))
        except ScannerError as exc:
            self.files_label.setText(str(exc))
            self.problem.emit(str(exc))
            self.refresh()
            return
        assigned = sorted(source.assignments, key=lambda slot: slot[0])
        names = ", ".join(
            f"{f}{'' if i == Impression.ROLLED or f in SLAPS else ' flat'}" for f, i in assigned
        )
        text = f"{len(assigned)} file(s) assigned: {names or 'none'}."
        if source.unassigned:
            text += " Not used: " + "; ".join(
                f"{shown_name(u.path)} ({u.reason})" for u in source.unassigned
            )
        if not any((code, Impression.FLAT) in source.assignments for code in SLAPS):
            self.slaps.setChecked(False)
            text += " No slap files: slaps are skipped."
        self.files_label.setText(text)
        self.error_panel.hide()
        self.refresh()

    def _choose_transaction(self) -> str | None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            "ANSI/NIST transaction",
            self.folder.text(),
            "ANSI/NIST-ITL files (" + " ".join(f"*{x}" for x in TRANSACTION_SUFFIXES) + ");;"
            "All files (*)",
        )
        return path or None

    def load_transaction(self, path: str | Path | None = None) -> None:
        """Read the prints of an ANSI/NIST transaction (asks which file when ``path`` is not
        given) on a worker; they become the capture source, and the file's 14.018 AMP
        annotations are applied to the open booking. A file that is refused changes nothing."""
        if path is None:
            path = self.path_chooser()
            if not path:
                return
        path = Path(path)
        self.ebts_button.setEnabled(False)
        self.files_label.setText(f"Reading {path.name} …")
        self.driver.load_transaction(path, self._transaction_loaded, self._transaction_failed)

    def _transaction_failed(self, exc: BaseException) -> None:
        self.ebts_button.setEnabled(True)
        text = str(exc)
        self.files_label.setText(text)
        self.problem.emit(text)
        self.refresh()

    def _transaction_loaded(self, source: TransactionFileSource) -> None:
        self.ebts_button.setEnabled(True)
        self.source.blockSignals(True)
        self.source.setCurrentIndex(self.source.findData("ebts"))
        self.source.blockSignals(False)
        self.driver.set_source("ebts")
        prints = ", ".join(
            f if i == Impression.ROLLED or f in SLAPS else f"{f} flat"
            for f, i in sorted(source.assignments, key=lambda slot: slot[0])
        )
        text = f"{len(source.assignments)} print(s) in {source.path.name}: {prints or 'none'}."
        if source.annotations:
            text += " Annotated in the file: " + ", ".join(
                f"{f} {code}" for f, code in source.annotations.items()
            )
        if not any((code, Impression.FLAT) in source.assignments for code in SLAPS):
            self.slaps.setChecked(False)
            text += " No slaps in the file: slaps are skipped."
        self.files_label.setText(text)
        self.error_panel.hide()
        if self.session.booking_id is not None:
            for finger, code in source.annotations.items():
                if self.session.slots[finger].status != "annotated":
                    reason = f"annotated {code} in {source.path.name}"
                    self._annotate(
                        finger, code, reason if code == Annotation.UP else None, automatic=True
                    )
        self.refresh()

    def _slaps_toggled(self, on: bool) -> None:
        self.session.take_slaps = on
        if not on and self.session.current in SLAPS:
            self.session.advance()
        self.refresh()
