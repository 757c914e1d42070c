"""Small questions the booking window asks before something that matters: an examiner's
decision and its reason, a low-quality print, leaving a booking, an "unable to print" mark.

Every dialog is window-modal and opened with :meth:`QDialog.open` (not ``exec``): the caller
connects to ``accepted`` / ``finished`` and the event loop keeps running, so the window (and
a test driving it) stays responsive. A reason, where one is asked, is required: the button
that needs it stays disabled until some text is typed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

__all__ = [
    "DecisionDialog",
    "LeaveBookingDialog",
    "QualityGateDialog",
    "UnablePrintDialog",
]


class _ReasonDialog(QDialog):
    """A question with a required one-line reason and an OK button that needs it."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        name: str,
        title: str,
        question: str,
        placeholder: str,
        edit_name: str,
        ok_text: str,
        ok_name: str,
        cancel_name: str,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.question = QLabel(question)
        self.question.setObjectName(f"{name}Question")
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName(edit_name)
        self.reason_edit.setPlaceholderText(placeholder)
        self.reason_edit.setAccessibleName("Reason")
        self.ok_button = QPushButton(ok_text)
        self.ok_button.setObjectName(ok_name)
        self.ok_button.setDefault(True)
        self.ok_button.setEnabled(False)
        self.ok_button.clicked.connect(self.accept)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName(cancel_name)
        self.cancel_button.clicked.connect(self.reject)
        self.reason_edit.textChanged.connect(
            lambda text: self.ok_button.setEnabled(bool(text.strip()))
        )
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.ok_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(QLabel("Reason (required):"))
        layout.addWidget(self.reason_edit)
        layout.addLayout(buttons)
        self.reason_edit.setFocus()

    def reason(self) -> str:
        """The reason typed (stripped)."""
        return self.reason_edit.text().strip()


class DecisionDialog(_ReasonDialog):
    """Confirm or reject a candidate, with the examiner's reason.

    Object names: ``decisionDialog``, ``decisionReasonEdit``, ``decisionOkButton``,
    ``decisionCancelButton``.
    """

    def __init__(self, parent: QWidget | None, *, action: str, candidate: str) -> None:
        verb = {"confirm": "Confirm", "reject": "Reject", "undo": "Undo"}.get(action, action)
        question = {
            "confirm": f"Confirm that the person booked is {candidate}?",
            "reject": f"Reject {candidate}: the person booked is not this candidate?",
            "undo": f"Undo the examiner's last decision ({candidate})?",
        }.get(action, f"{verb} {candidate}?")
        super().__init__(
            parent,
            name="decisionDialog",
            title=f"{verb} — examiner's decision",
            question=question,
            placeholder="e.g. ridge detail agrees on R1 and L2",
            edit_name="decisionReasonEdit",
            ok_text=verb,
            ok_name="decisionOkButton",
            cancel_name="decisionCancelButton",
        )
        self.action = action


class UnablePrintDialog(_ReasonDialog):
    """Mark a finger UP (unable to print), with the reason.

    Object names: ``unablePrintDialog``, ``unablePrintReasonEdit``, ``unablePrintOkButton``,
    ``unablePrintCancelButton``.
    """

    def __init__(self, parent: QWidget | None, *, finger: str, name: str) -> None:
        super().__init__(
            parent,
            name="unablePrintDialog",
            title=f"{finger} — unable to print",
            question=(
                f"Mark {finger} ({name}) as UP, unable to print? It will not be captured "
                "or searched."
            ),
            placeholder="e.g. bandaged, injured, too worn to print",
            edit_name="unablePrintReasonEdit",
            ok_text="Mark UP",
            ok_name="unablePrintOkButton",
            cancel_name="unablePrintCancelButton",
        )
        self.finger = finger


class QualityGateDialog(QDialog):
    """A finger captured below the recapture level: Recapture now, or Accept anyway (reason).

    ``finished`` gives :attr:`RECAPTURE` or :attr:`ACCEPT` (``reason()`` holds why). Object
    names: ``qualityGateDialog``, ``recaptureNowButton``, ``acceptAnywayButton``,
    ``acceptReasonEdit``.
    """

    RECAPTURE = 1
    ACCEPT = 2

    def __init__(self, parent: QWidget | None, *, finger: str, detail: str) -> None:
        super().__init__(parent)
        self.setObjectName("qualityGateDialog")
        self.setWindowTitle(f"{finger} — quality too low")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.finger = finger
        text = QLabel(
            f"{finger}: {detail}.\nRecapture it now, or accept it as it is with a reason."
        )
        text.setObjectName("qualityGateLabel")
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("acceptReasonEdit")
        self.reason_edit.setPlaceholderText("Reason to accept, e.g. scarred finger, best possible")
        self.reason_edit.setAccessibleName("Reason to accept")
        self.recapture_button = QPushButton("&Recapture now")
        self.recapture_button.setObjectName("recaptureNowButton")
        self.recapture_button.setDefault(True)
        self.recapture_button.clicked.connect(lambda: self.done(self.RECAPTURE))
        self.accept_button = QPushButton("&Accept anyway")
        self.accept_button.setObjectName("acceptAnywayButton")
        self.accept_button.setEnabled(False)
        self.accept_button.clicked.connect(lambda: self.done(self.ACCEPT))
        self.reason_edit.textChanged.connect(
            lambda t: self.accept_button.setEnabled(bool(t.strip()))
        )
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.recapture_button)
        buttons.addWidget(self.accept_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.reason_edit)
        layout.addLayout(buttons)
        self.recapture_button.setFocus()

    def reason(self) -> str:
        """The reason to accept (stripped)."""
        return self.reason_edit.text().strip()


class LeaveBookingDialog(QDialog):
    """Leaving a booking with prints captured: Keep open / Abandon (reason) / Cancel.

    ``finished`` gives :attr:`KEEP_OPEN`, :attr:`ABANDON` (``reason()`` holds why) or
    :attr:`CANCEL`. Object names: ``leaveBookingDialog``, ``keepOpenButton``,
    ``abandonButton``, ``cancelLeaveButton``, ``abandonReasonEdit``.
    """

    CANCEL = 0
    KEEP_OPEN = 1
    ABANDON = 2

    def __init__(self, parent: QWidget | None, *, tcn: str, prints: int) -> None:
        super().__init__(parent)
        self.setObjectName("leaveBookingDialog")
        self.setWindowTitle("Leave this booking?")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        text = QLabel(
            f"Booking {tcn} has {prints} print(s) captured and is not finished.\n"
            "Keep it open (it stays in the booking log), abandon it (it is recorded as "
            "cancelled, with the reason), or go back to it."
        )
        text.setObjectName("leaveBookingLabel")
        text.setTextFormat(Qt.TextFormat.PlainText)
        text.setWordWrap(True)
        self.reason_edit = QLineEdit()
        self.reason_edit.setObjectName("abandonReasonEdit")
        self.reason_edit.setPlaceholderText("Reason to abandon, e.g. wrong person, released")
        self.reason_edit.setAccessibleName("Reason to abandon")
        self.keep_button = QPushButton("&Keep open")
        self.keep_button.setObjectName("keepOpenButton")
        self.keep_button.clicked.connect(lambda: self.done(self.KEEP_OPEN))
        self.abandon_button = QPushButton("&Abandon")
        self.abandon_button.setObjectName("abandonButton")
        self.abandon_button.setEnabled(False)
        self.abandon_button.clicked.connect(lambda: self.done(self.ABANDON))
        self.reason_edit.textChanged.connect(
            lambda t: self.abandon_button.setEnabled(bool(t.strip()))
        )
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelLeaveButton")
        self.cancel_button.setDefault(True)
        self.cancel_button.clicked.connect(lambda: self.done(self.CANCEL))
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.abandon_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(self.reason_edit)
        layout.addLayout(buttons)
        self.cancel_button.setFocus()

    def reason(self) -> str:
        """The reason to abandon (stripped)."""
        return self.reason_edit.text().strip()
