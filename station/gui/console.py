"""The instructor's console: build a class, start it, watch it, inject faults, pause, review a
booking and write the class report.

Opened from Station ▸ Instructor console (``instructorConsoleAction``, instructors and
administrators). Automation ids:

- a new class: ``classNameEdit``, ``classTraineeList`` (the trainee accounts, checkable),
  ``classScenarioList`` (library and the instructor's folder, checkable, in class order),
  ``scenarioUpButton`` / ``scenarioDownButton`` (move the selected scenario),
  ``classTimeLimitSpin`` (seconds per booking), ``createClassButton``;
- the class: ``classCombo``, ``startClassButton``, ``pauseClassButton`` (Pause / Resume),
  ``classStateLabel``, ``classProgressTable`` (trainee, booking, scenario, elapsed, score;
  updated every second), ``faultCombo`` and ``injectFaultButton`` (into the selected
  trainee's running booking), ``reviewBookingButton`` (the selected trainee's last scored
  booking in ``replayDialog``), ``classReportButton`` (writes the report, shows it in
  ``reportPreview`` and opens it in the browser), ``consoleMessageLabel``.
"""

from __future__ import annotations

import base64
import html
import logging
import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from station.core.vocabulary import ClassFault, Role
from station.gallery import Gallery
from station.service import Operator
from station.service.replay import ReplayService
from station.training import Scenario, load_library
from station.training.classes import (
    FINISHED,
    NOT_STARTED,
    PAUSED,
    ClassProgress,
    TrainingClass,
    class_progress,
    create_class,
    inject_fault,
    pause_class,
    start_class,
)
from station.training.report import ClassReport, write_class_report

from .replay import ReplayDialog

__all__ = ["InstructorConsole"]

log = logging.getLogger(__name__)

_DATA_URI = re.compile(r'src="(data:image/png;base64,([A-Za-z0-9+/=]+))"')


class InstructorConsole(QDialog):
    """The instructor's console (not modal: open it with ``show``).

    Parameters
    ----------
    gallery : Gallery
        The station window's gallery (GUI thread).
    operator : Operator
        The instructor signed in.
    scenarios_dir : Path, optional
        The instructor's scenario folder (settings: ``[training] scenarios``).
    report_dir : Path
        Where the Report button writes the class reports.
    parent : QWidget, optional
    """

    def __init__(
        self,
        gallery: Gallery,
        operator: Operator,
        *,
        scenarios_dir: Path | None,
        report_dir: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("instructorConsole")
        self.setWindowTitle("Instructor console")
        self.gallery = gallery
        self.operator = operator
        self.report_dir = Path(report_dir)
        self.library: dict[str, Scenario] = load_library(scenarios_dir)
        self.progress: ClassProgress | None = None
        self.last_report: ClassReport | None = None
        self.replay_dialog: ReplayDialog | None = None
        self.preview: QDialog | None = None
        #: Opens a written report (the desktop's browser; tests replace it).
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self._build()
        self.reload()
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.resize(1000, 640)

    # --- construction ---------------------------------------------------------------------

    def _build(self) -> None:
        new = QGroupBox("New class")
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("classNameEdit")
        self.name_edit.setPlaceholderText("e.g. Monday morning")
        self.trainee_list = QListWidget()
        self.trainee_list.setObjectName("classTraineeList")
        self.scenario_list = QListWidget()
        self.scenario_list.setObjectName("classScenarioList")
        up, down = QPushButton("Up"), QPushButton("Down")
        up.setObjectName("scenarioUpButton")
        down.setObjectName("scenarioDownButton")
        up.clicked.connect(lambda: self._move(-1))
        down.clicked.connect(lambda: self._move(1))
        self.time_limit = QSpinBox()
        self.time_limit.setObjectName("classTimeLimitSpin")
        self.time_limit.setRange(30, 4 * 3600)
        self.time_limit.setValue(600)
        self.time_limit.setSuffix(" s per booking")
        self.create_button = QPushButton("Create class")
        self.create_button.setObjectName("createClassButton")
        self.create_button.clicked.connect(self.create)
        form = QFormLayout(new)
        form.addRow("Name", self.name_edit)
        form.addRow("Trainees", self.trainee_list)
        form.addRow("Scenarios (in order)", self.scenario_list)
        form.addRow("", _row(up, down))
        form.addRow("Time limit", self.time_limit)
        form.addRow("", self.create_button)

        run = QGroupBox("Class")
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("classCombo")
        self.class_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startClassButton")
        self.start_button.clicked.connect(self.start)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setObjectName("pauseClassButton")
        self.pause_button.clicked.connect(self.pause)
        self.state_label = QLabel("")
        self.state_label.setObjectName("classStateLabel")
        self.table = QTableWidget(0, 5)
        self.table.setObjectName("classProgressTable")
        self.table.setHorizontalHeaderLabels(["Trainee", "Booking", "Scenario", "Elapsed", "Score"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.fault_combo = QComboBox()
        self.fault_combo.setObjectName("faultCombo")
        for fault in ClassFault:
            self.fault_combo.addItem(str(fault).capitalize(), str(fault))
        self.fault_button = QPushButton("Inject fault")
        self.fault_button.setObjectName("injectFaultButton")
        self.fault_button.setToolTip("Into the selected trainee's running booking")
        self.fault_button.clicked.connect(self.inject)
        self.review_button = QPushButton("Review booking")
        self.review_button.setObjectName("reviewBookingButton")
        self.review_button.setToolTip("Replay the selected trainee's last scored booking")
        self.review_button.clicked.connect(self.review)
        self.report_button = QPushButton("Report")
        self.report_button.setObjectName("classReportButton")
        self.report_button.setToolTip("Write the class report (HTML) and open it")
        self.report_button.clicked.connect(self.report)
        self.message = QLabel("")
        self.message.setObjectName("consoleMessageLabel")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # names from the gallery
        box = QVBoxLayout(run)
        box.addWidget(_row(self.class_combo, self.start_button, self.pause_button))
        box.addWidget(self.state_label)
        box.addWidget(self.table, 1)
        box.addWidget(
            _row(
                self.fault_combo,
                self.fault_button,
                self.review_button,
                self.report_button,
            )
        )
        box.addWidget(self.message)
        layout = QHBoxLayout(self)
        layout.addWidget(new, 2)
        layout.addWidget(run, 3)

    def _move(self, step: int) -> None:
        row = self.scenario_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.scenario_list.count():
            return
        item = self.scenario_list.takeItem(row)
        self.scenario_list.insertItem(target, item)
        self.scenario_list.setCurrentRow(target)

    # --- data -----------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the trainee accounts, the scenarios and the classes again."""
        self.trainee_list.clear()
        for account in self.gallery.accounts():
            if Role.TRAINEE in account["roles"] and account["disabled_at"] is None:
                item = QListWidgetItem(f"{account['display_name']} ({account['username']})")
                item.setData(Qt.ItemDataRole.UserRole, account["username"])
                item.setCheckState(Qt.CheckState.Unchecked)
                self.trainee_list.addItem(item)
        self.scenario_list.clear()
        for sid, scenario in sorted(self.library.items()):
            item = QListWidgetItem(f"{scenario.title} ({sid})")
            item.setData(Qt.ItemDataRole.UserRole, sid)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.scenario_list.addItem(item)
        current = self.class_combo.currentData()
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        for row in self.gallery.training_classes():
            self.class_combo.addItem(row["name"], int(row["id"]))
        i = self.class_combo.findData(current)
        self.class_combo.setCurrentIndex(i if i >= 0 else self.class_combo.count() - 1)
        self.class_combo.blockSignals(False)
        self.refresh()

    @staticmethod
    def _checked(widget: QListWidget) -> list[str]:
        return [
            widget.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _class(self) -> TrainingClass | None:
        return None if self.progress is None else self.progress.training_class

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #a11;" if error else "")

    # --- actions --------------------------------------------------------------------------

    def create(self) -> None:
        """Store the class the form describes and select it."""
        try:
            tc = create_class(
                self.gallery,
                self.operator,
                name=self.name_edit.text().strip(),
                trainees=self._checked(self.trainee_list),
                scenarios=self._checked(self.scenario_list),
                time_limit=self.time_limit.value(),
                library=self.library,
            )
        except Exception as exc:
            self._say(f"The class was not created: {exc}", error=True)
            return
        self.class_combo.addItem(tc.name, tc.id)
        self.class_combo.setCurrentIndex(self.class_combo.count() - 1)
        self._say(f"Class {tc.name} created: {len(tc.trainees)} trainees")

    def start(self) -> None:
        """Start the selected class (its scenarios' gallery people are enrolled first)."""
        tc = self._class()
        if tc is None:
            return
        try:
            start_class(self.gallery, self.operator, tc, self.library)
        except Exception as exc:
            self._say(f"The class did not start: {exc}", error=True)
            return
        self._say(f"Class {tc.name} started: the trainees press Next booking")
        self.refresh()

    def pause(self) -> None:
        """Pause the running class, or resume the paused one."""
        tc, progress = self._class(), self.progress
        if tc is None or progress is None:
            return
        paused = progress.state != PAUSED
        try:
            pause_class(self.gallery, self.operator, tc, paused=paused)
        except Exception as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"Class {tc.name} {'paused' if paused else 'resumed'}")
        self.refresh()

    def _selected_trainee(self) -> str | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return None if item is None else item.text()

    def inject(self) -> None:
        """Inject the chosen fault into the selected trainee's running booking."""
        tc, trainee = self._class(), self._selected_trainee()
        if tc is None or trainee is None:
            self._say("Select a trainee with a booking running", error=True)
            return
        fault = self.fault_combo.currentData()
        try:
            inject_fault(self.gallery, self.operator, tc, trainee, fault)
        except Exception as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"{fault} injected into {trainee}'s booking")

    def review(self) -> None:
        """Replay the selected trainee's last scored booking."""
        trainee, progress = self._selected_trainee(), self.progress
        if trainee is None or progress is None or not progress.of(trainee).runs:
            self._say("Select a trainee with a scored booking", error=True)
            return
        run = self.gallery.training_run(progress.of(trainee).runs[-1])
        if run["booking_id"] is None:
            self._say(f"{trainee}'s last run opened no booking", error=True)
            return
        if self.replay_dialog is not None:
            self.replay_dialog.close()
            self.replay_dialog.deleteLater()
        self.replay_dialog = ReplayDialog(ReplayService(self.gallery), run["booking_id"], self)
        self.replay_dialog.show()

    def report(self) -> None:
        """Write the class report, show it and open it in the browser."""
        tc = self._class()
        if tc is None:
            return
        try:
            self.last_report = write_class_report(
                self.gallery, tc.id, self.report_dir, library=self.library
            )
        except Exception as exc:
            log.exception("class report failed")
            self._say(f"The report was not written: {exc}", error=True)
            return
        path = self.last_report.class_file
        self._say(f"Report written: {path}")
        self.show_preview(path)
        self.open_url(QUrl.fromLocalFile(str(path)))

    def show_preview(self, path: Path) -> QTextBrowser:
        """The report page in a text browser (plots and pictures included)."""
        if self.preview is not None:
            self.preview.close()
            self.preview.deleteLater()
        self.preview = QDialog(self)
        self.preview.setObjectName("reportPreviewDialog")
        self.preview.setWindowTitle(path.name)
        browser = QTextBrowser(self.preview)
        browser.setObjectName("reportPreview")
        browser.setOpenLinks(False)
        text = path.read_text(encoding="utf-8")
        document = QTextDocument(browser)
        for n, match in enumerate(_DATA_URI.finditer(text)):
            image = QImage.fromData(QByteArray(base64.b64decode(match.group(2))), "PNG")
            name = f"image{n}.png"
            document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
            text = text.replace(match.group(1), name, 1)
        document.setHtml(text)
        browser.setDocument(document)
        QVBoxLayout(self.preview).addWidget(browser)
        self.preview.resize(860, 640)
        self.preview.show()
        return browser

    # --- progress -------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the selected class's progress and show it."""
        class_id = self.class_combo.currentData()
        if class_id is None:
            self.progress = None
            self.table.setRowCount(0)
            self.state_label.setText("No class yet: create one")
            self._update_buttons()
            return
        try:
            self.progress = class_progress(self.gallery, int(class_id))
        except Exception as exc:
            log.exception("reading the class failed")
            self._say(f"The class could not be read: {exc}", error=True)
            return
        p = self.progress
        tc = p.training_class
        self.state_label.setText(
            f"<b>{html.escape(tc.name)}</b>: {p.state} · {len(tc.scenarios)} scenarios · "
            f"{tc.time_limit} s per booking"
        )
        selected = self._selected_trainee()
        self.table.setRowCount(len(p.trainees))
        for r, t in enumerate(p.trainees):
            cells = (
                t.trainee,
                t.status,
                t.current or "",
                "" if t.elapsed is None else f"{t.elapsed:.0f} s",
                f"{t.points}/{t.max_points}",
            )
            for c, text in enumerate(cells):
                item = self.table.item(r, c)
                if item is None:
                    self.table.setItem(r, c, QTableWidgetItem(text))
                elif item.text() != text:
                    item.setText(text)
            if t.trainee == selected:
                self.table.selectRow(r)
        self._update_buttons()

    def _update_buttons(self) -> None:
        p = self.progress
        state = None if p is None else p.state
        self.start_button.setEnabled(state == NOT_STARTED)
        self.pause_button.setEnabled(state not in (None, NOT_STARTED, FINISHED))
        self.pause_button.setText("Resume" if state == PAUSED else "Pause")
        trainee = self._selected_trainee()
        running = p is not None and trainee is not None and p.of(trainee).current is not None
        self.fault_button.setEnabled(running)
        self.review_button.setEnabled(
            p is not None and trainee is not None and bool(p.of(trainee).runs)
        )
        self.report_button.setEnabled(p is not None)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.timer.stop()
        super().closeEvent(event)


def _row(*widgets: QWidget) -> QWidget:
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w)
    return holder
