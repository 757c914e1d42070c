"""The station window: header, step bar, the five booking pages, booking log and gallery.

The window composes; it does not compute. It opens the gallery on the GUI thread (the
connection lives here), loads the search index on a worker, and routes the officer from page
to page. Every failure ends in the alert bar with what to do next, never in a traceback.
"""

from __future__ import annotations

import html
import logging
import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from station.core.vocabulary import BookingStatus, Disposition
from station.gallery import Gallery, open_gallery
from station.scanner import MockSettings
from station.service import BookingService, SearchJob, load_index, pick_subject, run_search
from station.service.accounts import AccountService, Operator, Permission, RoleError
from station.service.replay import record_page
from station.service.thresholds import ThresholdService
from station.settings import Settings, get_settings, set_settings

from . import theme
from .agencies import AgencyPump, AgencySnapshot, TransactionsPanel
from .capture_page import CapturePage
from .demographics_page import DemographicsPage
from .dialogs import LeaveBookingDialog
from .gallery_page import GalleryPage
from .log_page import BookingLogPage
from .response_page import ResponsePage
from .review_page import ReviewPage
from .scanner_driver import ScannerDriver
from .session import BookingSession
from .submit_page import SubmitPage
from .thresholds import ThresholdExplorerDialog
from .training import TraineeBar
from .widgets import AlertBar, StepBar, esc, plain
from .workers import TaskRunner

__all__ = ["STEPS", "StationWindow"]

log = logging.getLogger(__name__)

STEPS = ("New booking", "Capture", "Review", "Submit", "Response")
#: The main tabs, in order (View menu: Alt+1 …).
TABS = ("Booking", "Booking log", "Gallery", "Transactions")
NEW, CAPTURE, REVIEW, SUBMIT, RESPONSE = range(5)

SHORTCUT_HINT = (
    "Space/F5 capture · F6 recapture · F7 annotate · Esc cancel · Ctrl+N next · "
    "Ctrl+Return submit · Ctrl+Shift+N new booking"
)


class StationWindow(QMainWindow):
    """The booking station's main window.

    Parameters
    ----------
    gallery_path : Path
        Gallery file (created empty if missing).
    settings : Settings
        Station, scanner and disposition settings.
    parent : QWidget, optional
    operator : Operator, optional
        Already signed in (scripts and tests). Without one the window is disabled until
        someone signs in: when it is shown it opens the first-run administrator set-up (a
        gallery with no accounts) or the login dialog; closing either closes the window.

    Signals
    -------
    index_loaded()
        The search index is ready (submissions no longer wait).
    response_shown(str)
        A response is on screen (its disposition word).
    acted(str, dict)
        What the officer did (the pages' ``acted`` signals, plus ``("open", {"demographics"})``
        and ``("submit", {})``): the booking recorder's input.
    recording_changed(object)
        Recording started (the test file's ``Path``) or stopped (``None``).
    """

    index_loaded = Signal()
    response_shown = Signal(str)
    signed_in = Signal(object)
    acted = Signal(str, dict)
    recording_changed = Signal(object)

    def __init__(
        self,
        gallery_path: Path,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        operator: Operator | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("stationWindow")
        self.setWindowTitle(f"Booking Station — {settings.station.station_id}")
        self.settings = settings
        self.gallery_path = Path(gallery_path)
        self.gallery: Gallery = open_gallery(self.gallery_path, create=True)
        self.accounts = AccountService(self.gallery)
        self.operator: Operator | None = None
        self.sign_in_dialog: QDialog | None = None
        self.users_dialog: QDialog | None = None
        self.service = BookingService(
            self.gallery,
            index=None,
            policy=settings.disposition,
            station_id=settings.station.station_id,
            operator=operator,
        )
        self.index_ready = False
        self._pending_submit = False
        self.gallery_build: Any = None  # a BackgroundGallery while the first start builds
        self.tasks = TaskRunner(self)
        self.session = BookingSession(self.service, self)
        self.driver = ScannerDriver(self.tasks, seed=settings.scanner.seed, parent=self)
        self.agency_pump = AgencyPump(
            self.tasks,
            self.gallery_path,
            lambda: (
                self.settings.agencies,
                self.service.policy,
                self.service.station_id,
                self.service.operator,
            ),
            parent=self,
        )
        self.driver.set_faults(
            dirty_platen=settings.scanner.dirty_platen, timeout=settings.scanner.timeout
        )
        self._rng = random.Random()
        self._page_audited: tuple[int, int] | None = None  # (booking, page) last audited
        self.recorder: Any = None  # a BookingRecorder while the Record toggle is on
        #: Asks where to write a recording: returns a path, or "" / None when cancelled.
        #: Tests replace it to skip the file dialog.
        self.record_path_chooser: Any = self._choose_record_path

        self.setStyleSheet(theme.STYLE_SHEET)
        self._build()
        self._actions()
        self.trainee_bar = TraineeBar(self)  # a trainee's Next booking (station/gui/training.py)
        self.addToolBar(self.trainee_bar)
        self._go(NEW)
        self.refresh_stats()
        self._load_index()
        self.set_operator(operator)

    # --- construction ---------------------------------------------------------------------

    def _build(self) -> None:
        s = self.settings
        header = QWidget()
        header.setObjectName("headerBar")
        header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        hl = QHBoxLayout(header)
        hl.setContentsMargins(12, 8, 12, 8)
        product = QLabel("◉ BOOKING STATION")
        product.setObjectName("productLabel")
        font = product.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        product.setFont(font)
        self.station_label = QLabel(f"Station <b>{esc(s.station.station_id)}</b>")
        self.station_label.setObjectName("stationLabel")
        self.operator_label = QLabel()
        self.operator_label.setObjectName("operatorLabel")
        self.operator_label.setWordWrap(True)  # name over roles on a narrow screen
        self.stats_label = QLabel()
        self.stats_label.setObjectName("galleryStatsLabel")
        self.stats_label.setWordWrap(True)  # two lines on a narrow screen, never cut
        self.scanner_label = plain(QLabel())
        self.scanner_label.setObjectName("scannerStatusLabel")
        self.booking_label = QLabel()
        self.booking_label.setObjectName("bookingLabel")
        self.agency_label = QLabel()
        self.agency_label.setObjectName("agencyStatusLabel")
        self.agency_label.setToolTip("Messages to the agencies still pending (View ▸ Transactions)")
        hl.addWidget(product)
        hl.addSpacing(20)
        hl.addWidget(self.station_label)
        hl.addSpacing(16)
        hl.addWidget(self.operator_label, 1)  # one line when there is room, wraps when not
        hl.addWidget(self.booking_label)
        hl.addSpacing(16)
        hl.addWidget(self.agency_label)
        hl.addSpacing(16)
        # the counts take the spare width (right-aligned) and wrap only on a narrow screen
        self.stats_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        hl.addWidget(self.stats_label, 1)
        hl.addSpacing(16)
        hl.addWidget(self.scanner_label)

        self.alert = AlertBar()
        self.steps = StepBar(STEPS)

        self.new_page = DemographicsPage(tasks=self.tasks)
        self.capture_page = CapturePage(self.session, self.driver)
        self.review_page = ReviewPage(self.session, self.tasks)
        self.submit_page = SubmitPage()
        self.response_page = ResponsePage(self.session, self.tasks)
        self.pages = QStackedWidget()
        self.pages.setObjectName("pageStack")
        self.pages.currentChanged.connect(self.steps.set_current)
        for page in (
            self.new_page,
            self.capture_page,
            self.review_page,
            self.submit_page,
            self.response_page,
        ):
            self.pages.addWidget(page)

        self.back_button = QPushButton("◂ &Back")
        self.back_button.setObjectName("backButton")
        self.back_button.setToolTip("Previous step (Alt+B)")
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton("Next ▸")
        self.next_button.setObjectName("nextButton")
        self.next_button.setToolTip("Next step (Ctrl+N)")
        self.next_button.clicked.connect(self.next)
        self.submit_button = QPushButton("Submit ⏎")
        self.submit_button.setObjectName("submitButton")
        self.submit_button.setToolTip(
            "Submit the booking for search (Ctrl+Return); needs all ten fingers captured or "
            "annotated"
        )
        self.submit_button.clicked.connect(self.submit)
        nav = QHBoxLayout()
        nav.addWidget(self.back_button)
        self.hint_label = QLabel(SHORTCUT_HINT)
        self.hint_label.setObjectName("shortcutHintLabel")
        self.hint_label.setWordWrap(True)  # its width must not set the window's
        self.hint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        nav.addWidget(self.hint_label, 1)
        nav.addWidget(self.next_button)
        nav.addWidget(self.submit_button)

        booking = QWidget()
        booking.setObjectName("bookingFlow")
        bl = QVBoxLayout(booking)
        bl.addWidget(self.steps)
        bl.addWidget(self.pages, 1)
        bl.addLayout(nav)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(booking, "Booking")
        self.log_page, self.gallery_page = self._aux_pages()
        self.tabs.addTab(self.log_page, "Booking log")
        self.tabs.addTab(self.gallery_page, "Gallery")
        self.transactions_panel = TransactionsPanel()
        self.tabs.addTab(self.transactions_panel, "Transactions")
        self.tabs.currentChanged.connect(self._tab_changed)

        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(0)
        cl.addWidget(header)
        body = QVBoxLayout()
        body.setContentsMargins(8, 8, 8, 8)
        body.addWidget(self.alert)
        body.addWidget(self.tabs, 1)
        cl.addLayout(body, 1)
        self.setCentralWidget(central)
        self.statusBar().setObjectName("statusBar")
        self.statusBar().showMessage(SHORTCUT_HINT)
        self._fit_screen()

        self.new_page.generate_requested.connect(self.generate_subject)
        self.capture_page.problem.connect(self.show_error)
        self.capture_page.notice.connect(self._notice)
        self.capture_page.state_changed.connect(self._update_nav)
        self.review_page.recapture_requested.connect(lambda code: self.recapture([code]))
        self.response_page.problem.connect(self.show_error)
        self.response_page.recapture_requested.connect(self.recapture)
        self.response_page.new_booking_requested.connect(self.new_booking)
        self.capture_page.acted.connect(self.acted)
        self.response_page.acted.connect(self.acted)
        self.session.response_changed.connect(lambda _r: self._response_changed())
        self.agency_pump.updated.connect(self._agencies_updated)
        self.agency_pump.problem.connect(self.show_error)
        self.transactions_panel.resubmit_requested.connect(self.agency_pump.resubmit)
        self.driver.connection_changed.connect(lambda _c: self._update_scanner_label())
        self.driver.busy_changed.connect(lambda _b: self._update_nav())
        self._update_scanner_label()

    def _fit_screen(self) -> None:
        """Open at 1280 × 860 or the screen's free area, whichever is smaller."""
        screen = self.screen()
        free = screen.availableGeometry() if screen is not None else None
        width, height = 1280, 860
        if free is not None and free.width() > 0 and free.height() > 0:
            width, height = min(width, free.width()), min(height, free.height() - 30)
        self.resize(max(width, self.minimumSizeHint().width()), max(height, 1))

    def _aux_pages(self) -> tuple[BookingLogPage, GalleryPage]:
        """The booking log and gallery browser (their own modules)."""
        log_page = BookingLogPage(self.gallery, service=self.service, tasks=self.tasks)
        log_page.reopen.connect(self.reopen)
        log_page.resume_requested.connect(self.resume_booking)
        log_page.close_requested.connect(self.close_booking)
        gallery_page = GalleryPage(self.gallery, tasks=self.tasks)
        return log_page, gallery_page

    def _actions(self) -> None:
        menu = self.menuBar().addMenu("&Station")
        self.new_action = QAction("&New booking", self)
        self.new_action.setObjectName("newBookingAction")
        self.new_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.new_action.triggered.connect(self.new_booking)
        self.settings_action = QAction("&Settings…", self)
        self.settings_action.setObjectName("settingsAction")
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.settings_action.triggered.connect(self.open_settings)
        self.users_action = QAction("&Users…", self)
        self.users_action.setObjectName("usersAction")
        self.users_action.triggered.connect(self.open_users)
        self.thresholds_action = QAction("&Threshold explorer…", self)
        self.thresholds_action.setObjectName("thresholdExplorerAction")
        self.thresholds_action.setToolTip(
            "The gallery's genuine and impostor scores: move the HIT threshold and see the "
            "false matches and misses (instructor, administrator)"
        )
        self.thresholds_action.triggered.connect(self.open_threshold_explorer)
        self.threshold_dialog: ThresholdExplorerDialog | None = None
        self.console_action = QAction("&Instructor console…", self)
        self.console_action.setObjectName("instructorConsoleAction")
        self.console_action.setToolTip("Build, run and report a training class (instructor)")
        self.console_action.triggered.connect(self.open_console)
        self.console: Any = None  # the InstructorConsole once opened
        self.sign_out_action = QAction("Sign &out", self)
        self.sign_out_action.setObjectName("signOutAction")
        self.sign_out_action.setShortcut(QKeySequence("Ctrl+Shift+Q"))
        self.sign_out_action.triggered.connect(self.sign_out)
        self.record_action = QAction("&Record bookings as a test…", self)
        self.record_action.setObjectName("recordAction")
        self.record_action.setCheckable(True)
        self.record_action.setToolTip(
            "Write what you do from now on as a runnable test of the station's test kit"
        )
        self.record_action.toggled.connect(self._record_toggled)
        quit_action = QAction("&Quit", self)
        quit_action.setObjectName("quitAction")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.quit)
        for action in (
            self.new_action,
            self.settings_action,
            self.users_action,
            self.thresholds_action,
            self.console_action,
            self.sign_out_action,
            self.record_action,
            quit_action,
        ):
            menu.addAction(action)
        view = self.menuBar().addMenu("&View")
        for i, name in enumerate(TABS):
            action = QAction(name, self)
            action.setObjectName(f"view{name.replace(' ', '')}Action")
            action.setShortcut(QKeySequence(f"Alt+{i + 1}"))
            action.triggered.connect(lambda _checked=False, i=i: self.tabs.setCurrentIndex(i))
            view.addAction(action)
        for keys, slot in (
            ("Ctrl+N", self.next),
            ("Ctrl+Return", self.submit),
            ("Ctrl+Enter", self.submit),
            ("Ctrl+G", self.new_page.generate.click),
            ("Ctrl+E", self.response_page.enroll.click),
            ("Ctrl+Shift+C", self.response_page.confirm.click),
            ("Ctrl+Shift+J", self.response_page.reject.click),
        ):
            QShortcut(QKeySequence(keys), self, activated=slot)

    # --- sign-in --------------------------------------------------------------------------

    def set_operator(self, operator: Operator | None) -> None:
        """Put ``operator`` to work (``None``: signed out; the window waits for a sign-in)."""
        self.operator = operator
        self.service.operator = operator
        signed = operator is not None
        self.centralWidget().setEnabled(signed)
        for action in (self.new_action, self.settings_action, self.sign_out_action):
            action.setEnabled(signed)
        admin = signed and operator.can(Permission.MANAGE_USERS)
        self.users_action.setEnabled(admin)
        self.users_action.setVisible(admin)
        explore = signed and operator.can(Permission.EXPLORE_THRESHOLDS)
        self.thresholds_action.setEnabled(explore)
        self.thresholds_action.setVisible(explore)
        instruct = signed and operator.can(Permission.INSTRUCT)
        self.console_action.setEnabled(instruct)
        self.console_action.setVisible(instruct)
        if not instruct and self.console is not None:
            self.console.close()
        self.trainee_bar.set_operator(operator)
        if operator is None:
            self.operator_label.setText("Not signed in")
            self.response_page.set_examiner(None, "Sign in as an examiner to decide")
            return
        self.operator_label.setText(
            f"Signed in: <b>{html.escape(operator.display_name)}</b> "
            f"({html.escape(operator.role_text)})"
        )
        self.operator_label.setToolTip(f"User {operator.username}")
        if operator.can(Permission.DECIDE):
            self.response_page.set_examiner(operator.username, None)
        else:
            self.response_page.set_examiner(
                None,
                f"Only an examiner confirms or rejects a candidate; {operator.username} is "
                f"{operator.role_text}",
            )
        self.signed_in.emit(operator)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self.operator is None and self.sign_in_dialog is None:
            self.sign_in()

    def sign_in(self) -> QDialog:
        """Open the set-up dialog (no accounts yet) or the login dialog, window-modal.

        Returns
        -------
        QDialog
            The dialog (``setupDialog`` or ``loginDialog``); also :attr:`sign_in_dialog`.
        """
        from .accounts import LoginDialog, SetupDialog

        kind = SetupDialog if self.accounts.setup_mode() else LoginDialog
        dialog = kind(self.accounts, self)
        self.sign_in_dialog = dialog
        dialog.finished.connect(lambda code: self._signed_in(dialog, code))
        dialog.open()
        return dialog

    def _signed_in(self, dialog: QDialog, code: int) -> None:
        self.sign_in_dialog = None
        operator = getattr(dialog, "operator", None)
        dialog.deleteLater()
        if code != QDialog.DialogCode.Accepted or operator is None:
            log.info("sign-in cancelled: closing the station")
            self.close()
            return
        self.set_operator(operator)
        self.statusBar().showMessage(f"Signed in as {operator.username} · {SHORTCUT_HINT}")

    def sign_out(self) -> None:
        """Sign out: abandon what is on screen and wait for the next sign-in."""
        if self.operator is None:
            return
        name = self.operator.username
        self.new_booking()
        self.set_operator(None)
        log.info("%s signed out", name)
        if self.isVisible():
            self.sign_in()

    def open_users(self) -> None:
        """The Users dialog (administrators)."""
        from .accounts import UsersDialog

        if self.operator is None or not self.operator.can(Permission.MANAGE_USERS):
            self.show_error("Only an administrator manages users.")
            return
        try:
            dialog = UsersDialog(self.accounts, self.operator, self)
        except Exception as exc:
            log.exception("users dialog failed")
            self.show_error(f"The users cannot be shown: {exc}")
            return
        self.users_dialog = dialog
        dialog.open()

    # --- services -------------------------------------------------------------------------

    def _load_index(self) -> None:
        path = self.gallery_path
        self.statusBar().showMessage("Loading the search index …")
        self.tasks.submit(
            lambda _token: load_index(path),
            self._index_done,
            self._index_failed,
            name="load index",
        )

    def _index_done(self, index: Any) -> None:
        self.service.index = index
        self.index_ready = True
        self.statusBar().showMessage(f"Search index ready ({len(index)} subjects)")
        self.index_loaded.emit()
        if self._pending_submit:
            self._pending_submit = False
            self._search()

    def _index_failed(self, exc: BaseException) -> None:
        self.show_error(
            f"The search index could not be loaded ({exc}). Bookings can be captured; "
            "submitting will load it again."
        )
        if self._pending_submit:
            self._pending_submit = False
            self._respond_error(f"the gallery index could not be loaded: {exc}")

    def build_default_gallery(self, subjects: int, population: int = 0) -> None:
        """Fill this window's gallery with synthetic subjects in the background (first start).

        The status bar shows the progress; a booking submitted meanwhile searches the
        subjects enrolled so far and its response says how many of ``subjects`` that was.
        """
        from .first_run import BackgroundGallery

        build = BackgroundGallery(self, self.gallery_path, subjects, population)
        build.grew.connect(lambda _n: self.refresh_stats())
        build.ready.connect(self._gallery_built)
        build.failed.connect(
            lambda text: self.show_error(
                f"The default gallery could not be built ({text}). Bookings search what is "
                "enrolled; start the station again to resume the build."
            )
        )
        self.gallery_build = build
        build.start()

    def _gallery_built(self) -> None:
        self.refresh_stats()
        self.index_ready = False
        self._load_index()

    def set_mock_settings(self, settings: MockSettings) -> None:
        """Tune the mock scanner (frame rate, settle frames): for trainers and tests."""
        self.driver.set_mock_settings(settings)

    def refresh_stats(self) -> None:
        """Gallery counts in the header."""
        try:
            stats = self.gallery.stats()
        except Exception as exc:
            log.exception("gallery stats failed")
            self.stats_label.setText("Gallery: unavailable")
            self.show_error(f"The gallery cannot be read ({exc}) — check the file in Settings")
            return
        bookings = sum(stats["bookings"].values())
        self.stats_label.setText(
            f"Gallery <b>{stats['subjects']}</b> subjects · <b>{stats['prints']}</b> prints · "
            f"<b>{bookings}</b> bookings"
        )

    def _update_scanner_label(self) -> None:
        if self.driver.source_kind == "files":
            text = "Source: image files" + ("" if self.driver.connected else " (no folder)")
        elif self.driver.source_kind == "ebts":
            text = "Source: ANSI/NIST file" + ("" if self.driver.connected else " (none open)")
        else:
            text = "Scanner: " + ("● connected" if self.driver.connected else "● DISCONNECTED")
        self.scanner_label.setText(text)

    def show_error(self, text: str) -> None:
        """Show a problem (with what to do) in the alert bar and the log."""
        log.warning("shown to the officer: %s", text)
        self.alert.show_message(text, level="error")

    def show_info(self, text: str) -> None:
        """Show a note in the alert bar."""
        self.alert.show_message(text, level="info")

    def _notice(self, text: str) -> None:
        """A scanner note (shown), or its withdrawal (empty: hidden if still on screen)."""
        if text:
            self._notice_text = text
            self.show_info(text)
        elif self.alert.isVisible() and self.alert.label.text() == getattr(
            self, "_notice_text", None
        ):
            self.alert.hide()

    def open_threshold_explorer(self) -> None:
        """Open the threshold explorer (instructor and administrator); it scores the gallery
        on a worker."""
        if self.operator is None or not self.operator.can(Permission.EXPLORE_THRESHOLDS):
            self.show_error("Only an instructor or an administrator opens the threshold explorer")
            return
        if self.threshold_dialog is not None:
            self.threshold_dialog.close()
            self.threshold_dialog.deleteLater()
        service = ThresholdService(self.gallery_path, self.settings.disposition)
        self.threshold_dialog = ThresholdExplorerDialog(service, self, tasks=self.tasks)
        self.threshold_dialog.show()

    def open_console(self) -> None:
        """Open the instructor's console (instructors and administrators)."""
        if self.operator is None or not self.operator.can(Permission.INSTRUCT):
            self.show_error("Only an instructor opens the instructor console")
            return
        from .console import InstructorConsole

        if self.console is not None:
            self.console.close()
            self.console.deleteLater()
        self.console = InstructorConsole(
            self.gallery,
            self.operator,
            scenarios_dir=self.settings.training.scenarios_dir,
            report_dir=self.gallery_path.parent / "class-reports",
            parent=self,
        )
        self.console.show()

    # --- navigation -----------------------------------------------------------------------

    @property
    def page(self) -> int:
        """Index of the booking page on screen (0 New booking … 4 Response)."""
        return self.pages.currentIndex()

    def _go(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.steps.set_current(index)
        self.tabs.setCurrentIndex(0)
        if index == REVIEW:
            self.review_page.refresh()
        if index == NEW:
            self.new_page.last_name.setFocus()
        elif index == CAPTURE:
            self.capture_page.refresh()
            self.capture_page.capture_button.setFocus()
        elif index == RESPONSE:
            self.response_page.candidates.setFocus()
            self.statusBar().clearMessage()  # "Booking … open" is no longer true
        self._update_nav()
        self._audit_page(index)

    def _audit_page(self, index: int) -> None:
        """Audit a booking page shown (once per change of page), for the booking's replay."""
        booking_id = self.session.booking_id
        if booking_id is None or index == NEW or self._page_audited == (booking_id, index):
            return
        self._page_audited = (booking_id, index)
        try:
            record_page(self.gallery, booking_id, STEPS[index], actor=self.service.actor)
        except Exception:  # the replay loses a page, the booking goes on
            log.exception("auditing page %s of booking %d failed", STEPS[index], booking_id)

    def _update_nav(self) -> None:
        s = self.session
        page = self.page
        busy = self.driver.busy
        ready = s.booking_id is not None and s.rolled_done() and s.response is None
        self.back_button.setEnabled(page == REVIEW)
        self.next_button.setVisible(page in (NEW, CAPTURE, REVIEW))
        self.next_button.setEnabled(
            page == NEW or (page == CAPTURE and ready and not busy) or (page == REVIEW and ready)
        )
        self.submit_button.setVisible(page in (CAPTURE, REVIEW))
        self.submit_button.setEnabled(page in (CAPTURE, REVIEW) and ready and not busy)
        self.booking_label.setText(f"TCN <b>{esc(s.tcn)}</b>" if s.tcn else "No booking open")

    def next(self) -> None:
        """Go to the next step (Ctrl+N); from New booking this opens the booking."""
        if self.tabs.currentIndex() != 0:
            return
        page = self.page
        if page == NEW:
            self._open_booking()
        elif page == CAPTURE and self.next_button.isEnabled():
            if not self.session.complete():
                self.show_info(
                    "Slaps still missing: "
                    + ", ".join(self.session.pending())
                    + " — you may submit without them (no sequence check)."
                )
            self._go(REVIEW)
        elif page == REVIEW and self.next_button.isEnabled():
            self.submit()

    def back(self) -> None:
        """Back from Review to Capture."""
        if self.page == REVIEW:
            self._go(CAPTURE)

    def _open_booking(self) -> None:
        data = self.new_page.validate()
        if data is None:
            return
        try:
            self.session.open(
                data,
                transaction_type=self.settings.station.transaction_type,
                arrest=self.new_page.arrest(),
                jms_booking=self.new_page.jms_booking,
            )
        except Exception as exc:
            log.exception("opening the booking failed")
            self.show_error(f"The booking could not be opened: {exc} — correct the form and retry")
            return
        self.alert.hide()
        self.acted.emit("open", {"demographics": dict(data)})
        self._go(CAPTURE)
        self.statusBar().showMessage(f"Booking {self.session.tcn} open")

    def new_booking(self) -> None:
        """Start a new booking (Ctrl+Shift+N); a booking with prints captured asks first."""
        self._leave(self._new_booking)

    def _leave(self, then: Any) -> None:
        """Leaving the booking on screen: if it has prints and is not finished, ask Keep open
        / Abandon (recorded, with a reason) / Cancel; then run ``then`` unless cancelled."""
        prints = self.session.unfinished_prints()
        if not prints or self.session.booking_id is None:
            then()
            return
        if any(d.isVisible() for d in self.findChildren(LeaveBookingDialog)):
            return  # already asking
        self.driver.cancel()
        dialog = LeaveBookingDialog(self, tcn=str(self.session.tcn), prints=prints)
        dialog.finished.connect(lambda code: self._left(code, dialog.reason(), then))
        dialog.open()

    def _left(self, code: int, reason: str, then: Any) -> None:
        if code == LeaveBookingDialog.ABANDON:
            try:
                self.session.abandon(reason)
            except Exception as exc:
                log.exception("abandoning booking %s failed", self.session.tcn)
                self.show_error(f"The booking could not be abandoned: {exc}")
                return
            self.acted.emit("abandon", {"reason": reason})
        elif code == LeaveBookingDialog.KEEP_OPEN:
            self.acted.emit("unrecorded", {"what": f"booking {self.session.tcn} kept open"})
        else:
            return
        then()

    def _new_booking(self) -> None:
        self.driver.cancel()
        self.session.reset()
        self.new_page.clear()
        self.alert.hide()
        self.refresh_stats()
        self._go(NEW)

    def recapture(self, fingers: list[str]) -> None:
        """Back to Capture for these fingers (after RECAPTURE, or from Review)."""
        if self.session.booking_id is None:
            return
        if (
            self.session.response is not None
            and self.session.disposition() is not Disposition.RECAPTURE
        ):
            self.show_error("This booking was already answered — start a new booking instead")
            return
        self.session.queue_recapture(fingers)
        self._go(CAPTURE)
        self.show_info(
            "Recapture " + ", ".join(fingers) + ": press Capture (Space) for each, then submit."
        )

    def reopen(self, booking_id: int) -> None:
        """Show a past booking's response (from the booking log)."""
        try:
            self.driver.cancel()
            self.response_page.note = ""
            self.session.reopen(int(booking_id))
        except Exception as exc:
            log.exception("reopening booking %s failed", booking_id)
            self.show_error(f"That booking cannot be shown: {exc}")
            return
        self._go(RESPONSE)
        self.agency_pump.watch(int(booking_id))
        self.agency_pump.run_once()

    def resume_booking(self, booking_id: int) -> None:
        """Take up an unfinished booking from the booking log: capture what is missing, or
        submit it (a "submitted" one, or an open one with every slot done)."""
        try:
            self.driver.cancel()
            status = self.gallery.booking(int(booking_id))["status"]
            pending = self.session.resume(int(booking_id))
        except Exception as exc:
            log.exception("resuming booking %s failed", booking_id)
            self.show_error(f"That booking cannot be resumed: {exc}")
            return
        self.acted.emit(
            "unrecorded", {"what": f"booking {self.session.tcn} resumed from the booking log"}
        )
        self.tabs.setCurrentIndex(0)
        if pending and status == BookingStatus.OPEN:
            self._go(CAPTURE)
            self.show_info(
                f"Booking {self.session.tcn} resumed: capture "
                + ", ".join(pending)
                + ", then submit."
            )
            return
        self._start_submit()

    def close_booking(self, booking_id: int, reason: str) -> None:
        """Close (cancel) an unfinished booking from the booking log, with the reason."""
        try:
            tcn = self.gallery.booking(int(booking_id))["tcn"]
            self.service.close(int(booking_id), reason)
        except Exception as exc:
            log.exception("closing booking %s failed", booking_id)
            self.show_error(f"That booking cannot be closed: {exc}")
            return
        if self.session.booking_id == booking_id:
            self.session.reset()
        self.log_page.refresh()
        self.refresh_stats()
        self.statusBar().showMessage(f"Booking {tcn} closed: {reason}")

    def _tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is self.transactions_panel:
            self.agency_pump.run_once()  # another station's bookings too
            return
        refresh = getattr(widget, "refresh", None)
        if index > 0 and callable(refresh):
            try:
                refresh()
            except Exception as exc:
                log.exception("refreshing %s failed", widget.objectName())
                self.show_error(f"Could not refresh {self.tabs.tabText(index)}: {exc}")

    # --- synthetic subjects ---------------------------------------------------------------

    def generate_subject(self, kind: str, synthetic_id: int) -> None:
        """Fill the form from a synthetic subject and put them on the mock scanner.

        The choice is :func:`station.service.pick_subject`'s (``synthetic_id`` -1: any).
        """
        try:
            subject = pick_subject(
                self.gallery,
                kind,
                synthetic_id,
                population=self.settings.synth.population,
                rng=self._rng,
            )
        except Exception as exc:  # shown with what to do; a ValueError is the officer's choice
            if not isinstance(exc, ValueError):
                log.exception("generate subject failed")
            self.show_error(str(exc))
            return
        k = subject.synthetic_id
        self.new_page.fill(subject.demographics.as_dict(), synthetic_id=k)
        self.capture_page.set_platen(subject.kind, k)
        self.alert.hide()
        self.statusBar().showMessage(
            f"Synthetic subject #{k} on the platen ({kind}) — check the form, then Next (Ctrl+N)"
        )

    # --- submit ---------------------------------------------------------------------------

    def submit(self) -> None:
        """Submit the booking (Ctrl+Return): quality gate, search on a worker, response."""
        if not self.submit_button.isEnabled() or self.tabs.currentIndex() != 0:
            return
        self.acted.emit("submit", {})
        self._start_submit()

    def _start_submit(self) -> None:
        self.driver.cancel()
        self.alert.hide()
        s = self.session
        try:
            job = s.prepare_submit()
        except Exception as exc:
            log.exception("submit failed")
            self.show_error(f"The booking could not be submitted: {exc}")
            return
        if not isinstance(job, SearchJob):
            self._show_response()
            return
        self._job = job
        self._go(SUBMIT)
        self.submit_page.start(
            "Searching the gallery …",
            f"TCN {job.tcn} · {len(job.probe)} fingers: {', '.join(sorted(job.probe))}",
        )
        if self.gallery_build is not None and self.gallery_build.running:
            self.index_ready = False  # the gallery grew since: search what is there now
            self._load_index()
        if not self.index_ready:
            self.submit_page.start(
                "Loading the search index …", "The search starts as soon as it is ready"
            )
            self._pending_submit = True
            return
        self._search()

    def _search(self) -> None:
        job, index = self._job, self.service.index
        self.tasks.submit(
            lambda _token: run_search(job, index),
            lambda result: self._searched(job, *result),
            lambda exc: self._respond_error(f"search failed: {exc}"),
            name="search",
        )

    def _searched(self, job: SearchJob, candidates: list, milliseconds: float) -> None:
        self.submit_page.stop()
        build, index = self.gallery_build, self.service.index
        self.response_page.note = (  # searched a gallery still being built: say so
            build.note(len(index))
            if build is not None and index is not None and len(index) < build.subjects
            else ""
        )
        try:
            response = self.session.finish_submit(job, candidates, milliseconds)
        except Exception as exc:
            log.exception("finishing the submission failed")
            self._respond_error(f"the response could not be stored: {exc}")
            return
        self._show_response()
        if response.disposition in (Disposition.HIT, Disposition.NO_HIT, Disposition.REVIEW):
            # Secure Communities: the prints go on to the agencies; their answers come in on
            # the response page and the Transactions tab while the officer goes on working
            self.agency_pump.send(job.booking_id)

    def _respond_error(self, reason: str) -> None:
        self.submit_page.stop()
        try:
            self.session.fail_submit(reason)
        except Exception as exc:
            log.exception("storing the error response failed")
            self.show_error(f"The booking failed ({reason}) and could not be recorded: {exc}")
            self._go(CAPTURE)
            return
        self._show_response()

    def _show_response(self) -> None:
        self._go(RESPONSE)
        self.refresh_stats()
        self.response_shown.emit(str(self.session.disposition() or ""))

    def _agencies_updated(self, snapshot: AgencySnapshot) -> None:
        """A pump job's snapshot: the Transactions tab, the response page, the header."""
        self.transactions_panel.show_snapshot(snapshot)
        self.response_page.show_agencies(snapshot)
        pending = snapshot.pending
        self.agency_label.setText(f"Agencies: <b>{pending}</b> pending" if pending else "")

    def _response_changed(self) -> None:
        self.refresh_stats()
        self._update_nav()

    # --- recording ------------------------------------------------------------------------

    def start_recording(self, path: str | Path) -> Path:
        """Record what the officer does from now on as a test of the station's test kit.

        Parameters
        ----------
        path : str or Path
            The test file to write (``.py``; rewritten after every action).

        Returns
        -------
        Path
            ``path``.
        """
        from .recorder import BookingRecorder

        if self.recorder is not None:
            self.stop_recording()
        self.recorder = BookingRecorder(self, path)
        if not self.record_action.isChecked():
            self.record_action.blockSignals(True)
            self.record_action.setChecked(True)
            self.record_action.blockSignals(False)
        self.statusBar().showMessage(f"Recording to {self.recorder.path}")
        self.recording_changed.emit(self.recorder.path)
        return self.recorder.path

    def stop_recording(self) -> Path | None:
        """Stop recording; returns the test file written (None if none was recording)."""
        recorder, self.recorder = self.recorder, None
        if self.record_action.isChecked():
            self.record_action.blockSignals(True)
            self.record_action.setChecked(False)
            self.record_action.blockSignals(False)
        if recorder is None:
            return None
        path = recorder.stop()
        recorder.deleteLater()
        self.statusBar().showMessage(f"Recording written: {path}")
        self.recording_changed.emit(None)
        return path

    def _record_toggled(self, on: bool) -> None:
        if not on:
            self.stop_recording()
            return
        chosen = self.record_path_chooser()
        if not chosen:
            self.record_action.blockSignals(True)
            self.record_action.setChecked(False)
            self.record_action.blockSignals(False)
            return
        try:
            self.start_recording(chosen)
        except (ValueError, OSError) as exc:
            self.record_action.blockSignals(True)
            self.record_action.setChecked(False)
            self.record_action.blockSignals(False)
            self.show_error(f"Cannot record to {chosen}: {exc}")

    def _choose_record_path(self) -> str | None:
        from PySide6.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getSaveFileName(
            self, "Record bookings as a test", "test_recorded_booking.py", "Python (*.py)"
        )
        return path or None

    # --- settings and lifetime ------------------------------------------------------------

    def open_settings(self) -> None:
        """The settings dialog; accepted settings apply at once (the gallery on restart)."""
        try:
            from .settings_dialog import SettingsDialog

            dialog = SettingsDialog(self.settings, self, operator=self.operator)
            if not dialog.exec():
                return
            self.apply_settings(dialog.settings())
        except Exception as exc:
            log.exception("settings failed")
            self.show_error(f"The settings could not be changed: {exc}")

    def apply_settings(self, settings: Settings) -> None:
        """Put new settings in force: policy, station identity, scanner faults.

        A changed disposition policy needs an administrator: the service refuses it from
        anyone else (``RoleError``, shown in the alert bar) and nothing is applied.
        """
        old = self.settings
        try:
            self.service.set_policy(settings.disposition)
        except RoleError as exc:
            self.show_error(f"The settings were not applied: {exc}")
            return
        self.settings = settings
        set_settings(settings)
        self.service.station_id = settings.station.station_id
        self.driver.set_faults(
            dirty_platen=settings.scanner.dirty_platen, timeout=settings.scanner.timeout
        )
        self.station_label.setText(f"Station <b>{esc(settings.station.station_id)}</b>")
        if Path(settings.paths.gallery) != Path(old.paths.gallery):
            self.show_info(f"The new gallery {settings.paths.gallery} is used from the next start.")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        # The officer closing the window (its close button: a spontaneous event) is asked
        # about an unfinished booking; a close the program makes (quit() after asking, a
        # test, shutdown) is not.
        if event.spontaneous() and self.session.unfinished_prints():
            event.ignore()
            self.quit()
            return
        self.driver.cancel()
        if self.recorder is not None:
            self.stop_recording()
        if self.gallery_build is not None:
            self.gallery_build.stop()
        self.agency_pump.stop()
        self.tasks.shutdown()
        try:
            self.gallery.close()
        except Exception:
            log.exception("closing the gallery failed")
        super().closeEvent(event)

    def quit(self) -> None:
        """Close the station (Quit, Ctrl+Q); a booking with prints captured asks first."""
        self._leave(self.close)


def build_window(
    gallery: str | Path | None = None, *, operator: Operator | None = None
) -> StationWindow:
    """The station window on ``gallery`` (default: the settings' gallery path), with an
    already signed-in ``operator`` or, without one, asking for a sign-in when shown."""
    settings = get_settings()
    path = Path(gallery) if gallery is not None else settings.paths.gallery_file
    return StationWindow(path, settings, operator=operator)
