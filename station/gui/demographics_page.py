"""Step 1, New booking: the subject's demographics and the arrest, checked before the booking
opens; a jail management system (JMS) booking number fills both."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from station.core.arrest import Arrest
from station.core.offences import OFFENCES, level_of, offence
from station.service.arrest import OCA_LENGTH, RACE_NAMES, check_arrest, clean_arrest
from station.service.demographics import (
    EYES,
    HAIR,
    NAME_LENGTH,
    PLACE_LENGTH,
    SEXES,
    check_demographics,
)

from .scanner_driver import PLATEN_CHOICES
from .widgets import plain
from .workers import TaskRunner

__all__ = ["DemographicsPage", "validate_demographics"]

log = logging.getLogger(__name__)


def validate_demographics(data: dict[str, Any], *, today: dt.date | None = None) -> list[str]:
    """Problems with the form's values, one plain sentence each (empty: fine).

    The same check as ``station book`` makes of a demographics file
    (:func:`station.service.demographics.check_demographics`).

    Parameters
    ----------
    data : dict
        ``last_name, first_name, middle_initial, date_of_birth, sex, height, weight`` …
        as text from the form (weight as int or None).
    today : datetime.date, optional
        Reference date for "in the past" (default: today).
    """
    return [p.message for p in check_demographics(data, today=today)]


class DemographicsPage(QWidget):
    """The demographics form with "Generate synthetic subject".

    Signals
    -------
    generate_requested(str, int)
        The officer asked for a synthetic subject: a :data:`PLATEN_CHOICES` key and the
        synthetic id (-1: let the station choose).
    jms_fetched(str)
        The form was filled from this JMS booking number.
    jms_failed(str)
        A fetch failed; the message (also shown under the JMS number).

    Parameters
    ----------
    parent : QWidget, optional
    tasks : TaskRunner, optional
        Where the JMS export is read (default: a runner of the page's own).
    jms_path : pathlib.Path, optional
        The JMS export (default: ``[paths] jms`` of the settings, read when fetching).
    """

    generate_requested = Signal(str, int)
    jms_fetched = Signal(str)
    jms_failed = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        tasks: TaskRunner | None = None,
        jms_path: Any = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks if tasks is not None else TaskRunner(self, max_threads=1)
        self._jms_path = jms_path
        self._jms_number: str | None = None
        self._charges: list[dict[str, Any]] = []
        self.setObjectName("newBookingPage")
        title = QLabel("New booking — enter the subject's details")
        title.setObjectName("pageTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        title.setFont(font)

        self.last_name = self._edit("lastNameEdit", "Last name (required)")
        self.first_name = self._edit("firstNameEdit", "First name (required)")
        for edit in (self.last_name, self.first_name):
            edit.setMaxLength(NAME_LENGTH)
        self.middle_initial = self._edit("middleInitialEdit", "M.I.")
        self.middle_initial.setMaxLength(1)
        self.dob = self._edit("dobEdit", "YYYY-MM-DD")
        self.dob.setInputMask("9999-99-99;_")
        self.sex = QComboBox()
        self.sex.setObjectName("sexCombo")
        for code, label in SEXES:
            self.sex.addItem(label, code)
        self.height = self._edit("heightEdit", "e.g. 511")
        self.height.setMaxLength(3)
        self.weight = QSpinBox()
        self.weight.setObjectName("weightSpin")
        self.weight.setRange(0, 999)
        self.weight.setSpecialValueText("—")
        self.weight.setSuffix(" lb")
        self.eyes = self._combo("eyeCombo", EYES)
        self.hair = self._combo("hairCombo", HAIR)
        self.place_of_birth = self._edit("placeOfBirthEdit", "State or country code")
        self.place_of_birth.setMaxLength(PLACE_LENGTH)

        form = QGroupBox("Subject")
        grid = QFormLayout(form)
        grid.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for label, widget in (
            ("&Last name *", self.last_name),
            ("&First name *", self.first_name),
            ("&Middle initial", self.middle_initial),
            ("&Date of birth *", self.dob),
            ("&Sex *", self.sex),
            ("&Height", self.height),
            ("&Weight", self.weight),
            ("&Eyes", self.eyes),
            ("&Hair", self.hair),
            ("&Place of birth", self.place_of_birth),
        ):
            grid.addRow(label, widget)

        arrest_box = self._arrest_box()
        jms_box = self._jms_box()

        self.error_label = plain(QLabel())
        self.error_label.setObjectName("formErrorLabel")
        self.error_label.setWordWrap(True)

        synth = QGroupBox("Training: synthetic subject")
        synth.setObjectName("syntheticBox")
        sl = QGridLayout(synth)
        self.kind = QComboBox()
        self.kind.setObjectName("generateKindCombo")
        for key, label in PLATEN_CHOICES.items():
            self.kind.addItem(label, key)
        self.kind.setToolTip("Who to book: an enrolled subject, a new one, or a scenario")
        self.synthetic_id = QSpinBox()
        self.synthetic_id.setObjectName("syntheticIdSpin")
        self.synthetic_id.setRange(-1, 10_000_000)
        self.synthetic_id.setValue(-1)
        self.synthetic_id.setSpecialValueText("any")
        self.synthetic_id.setToolTip("Synthetic subject number (any: the station picks one)")
        self.generate = QPushButton("&Generate synthetic subject")
        self.generate.setObjectName("generateSubjectButton")
        self.generate.setToolTip(
            "Fill the form from a synthetic subject and put them on the scanner (Ctrl+G)"
        )
        self.generate.clicked.connect(self._generate)
        sl.addWidget(QLabel("Subject"), 0, 0)
        sl.addWidget(self.kind, 0, 1)
        sl.addWidget(QLabel("Number"), 0, 2)
        sl.addWidget(self.synthetic_id, 0, 3)
        sl.addWidget(self.generate, 1, 0, 1, 2)
        sl.setColumnStretch(1, 1)
        note = QLabel(
            "Every person here is synthetic. The generated subject is also the one the mock "
            "scanner prints."
        )
        note.setWordWrap(True)
        note.setObjectName("syntheticNote")
        sl.addWidget(note, 1, 2, 1, 2)

        # Two columns (the JMS number above the subject; the arrest above the training box) so
        # the page fits 1024 x 720 with the alert bar shown.
        left = QVBoxLayout()
        left.addWidget(jms_box)
        left.addWidget(form)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(arrest_box)
        right.addWidget(synth)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(columns)
        layout.addWidget(self.error_label)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)
        layout.addStretch(1)
        order = [
            self.last_name,
            self.first_name,
            self.middle_initial,
            self.dob,
            self.sex,
            self.height,
            self.weight,
            self.eyes,
            self.hair,
            self.place_of_birth,
            self.oca,
            self.ori,
            self.arrest_date,
            self.race,
            self.offence_combo,
            self.offence_date,
            self.add_charge,
            self.charges_list,
            self.remove_charge,
            self.smt,
            self.jms_number,
            self.jms_fetch,
            self.kind,
            self.synthetic_id,
            self.generate,
        ]
        for a, b in pairwise(order):
            QWidget.setTabOrder(a, b)

    def _arrest_box(self) -> QGroupBox:
        """The arrest fields (EBTS 2.009 OCA, 2.025 RAC, 2.026 SMT, 2.045 DOA, 2.047 ASL)."""
        self.oca = self._edit("arrestNumberEdit", "Arrest number, e.g. 26-000123")
        self.oca.setMaxLength(OCA_LENGTH)
        self.ori = self._edit("arrestOriEdit", "e.g. NY0303000")
        self.ori.setMaxLength(9)
        self.arrest_date = self._edit("arrestDateEdit", "YYYY-MM-DD")
        self.arrest_date.setInputMask("9999-99-99;_")
        self.race = QComboBox()
        self.race.setObjectName("raceCombo")
        self.race.addItem("—", "")
        for code, label in RACE_NAMES.items():
            self.race.addItem(label, str(code))
        self.offence_combo = QComboBox()
        self.offence_combo.setObjectName("offenceCombo")
        for o in OFFENCES:
            self.offence_combo.addItem(f"L{o.level} {o.code} {o.description}", o.code)
        self.offence_combo.setToolTip("The offence charged; its level comes from the table")
        self.offence_combo.setMinimumContentsLength(16)
        self.offence_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.offence_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.offence_date = self._edit("offenceDateEdit", "offence date")
        self.offence_date.setInputMask("9999-99-99;_")
        self.offence_date.setToolTip("Date of the offence (YYYY-MM-DD, optional)")
        self.offence_date.setMinimumWidth(96)
        self.offence_date.setMaximumWidth(120)
        self.add_charge = QPushButton("&Add charge")
        self.add_charge.setObjectName("addChargeButton")
        self.add_charge.clicked.connect(self._add_charge)
        self.charges_list = QListWidget()
        self.charges_list.setObjectName("chargesList")
        self.charges_list.setFixedHeight(self.charges_list.fontMetrics().height() * 3 + 12)
        self.remove_charge = QPushButton("Remo&ve")
        self.remove_charge.setToolTip("Remove the charge selected in the list")
        self.remove_charge.setObjectName("removeChargeButton")
        self.remove_charge.clicked.connect(self._remove_charge)
        self.level_label = plain(QLabel("—"))
        self.level_label.setObjectName("arrestLevelLabel")
        self.level_label.setToolTip("Secure Communities level of the most serious charge")
        self.smt = self._edit("smtEdit", "e.g. TAT R ARM; SC L HND")
        self.smt.setToolTip("Scars, marks and tattoos, separated by ';'")

        box = QGroupBox("Arrest")
        box.setObjectName("arrestBox")
        grid = QFormLayout(box)
        grid.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        buttons = QHBoxLayout()
        buttons.addWidget(self.offence_date)
        buttons.addWidget(self.add_charge)
        buttons.addWidget(self.remove_charge)
        buttons.addStretch(1)
        buttons.addWidget(self.level_label)
        for label, item in (
            ("Arrest &number *", self.oca),
            ("Arresting &ORI *", self.ori),
            ("Date of a&rrest *", self.arrest_date),
            ("R&ace *", self.race),
            ("Offen&ce", self.offence_combo),
            ("Offence date", buttons),
            ("Charges *", self.charges_list),
            ("Scars, marks, ta&ttoos", self.smt),
        ):
            grid.addRow(label, item)
        return box

    def _jms_box(self) -> QGroupBox:
        """The JMS booking number and its Fetch button."""
        self.jms_number = self._edit("jmsNumberEdit", "e.g. BK26-00003")
        self.jms_number.setMaxLength(40)
        self.jms_fetch = QPushButton("&Fetch")
        self.jms_fetch.setObjectName("jmsFetchButton")
        self.jms_fetch.setToolTip("Fill the form from the jail management system's booking")
        self.jms_fetch.clicked.connect(self.fetch_jms)
        self.jms_status = plain(QLabel())
        self.jms_status.setObjectName("jmsStatusLabel")
        self.jms_status.setWordWrap(True)
        box = QGroupBox("Jail management system")
        box.setObjectName("jmsBox")
        self.jms_number.setMaximumWidth(160)
        row = QHBoxLayout(box)
        row.addWidget(QLabel("Booking number"))
        row.addWidget(self.jms_number)
        row.addWidget(self.jms_fetch)
        row.addWidget(self.jms_status, 1)
        return box

    def _edit(self, name: str, placeholder: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _combo(self, name: str, values: tuple[str, ...]) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setEditable(False)
        for v in values:
            combo.addItem(v or "—", v)
        return combo

    def _generate(self) -> None:
        self.generate_requested.emit(str(self.kind.currentData()), self.synthetic_id.value())

    # --- charges --------------------------------------------------------------------------

    def _add_charge(self) -> None:
        day = self.offence_date.text().strip()
        self._charges.append(
            {
                "code": str(self.offence_combo.currentData()),
                "offence_date": day if day.replace("-", "").strip() else None,
            }
        )
        self.offence_date.clear()
        self._show_charges()

    def _remove_charge(self) -> None:
        row = self.charges_list.currentRow()
        if 0 <= row < len(self._charges):
            del self._charges[row]
            self._show_charges()

    def _show_charges(self) -> None:
        self.charges_list.clear()
        known = []
        for charge in self._charges:
            try:
                o = offence(str(charge.get("code")))
            except ValueError:
                text = f"{charge.get('code')}: not in the offence table"
            else:
                known.append(o)
                text = f"L{o.level}  {o.code}  {o.description}"
            if charge.get("offence_date"):
                text += f"  (offence {charge['offence_date']})"
            QListWidgetItem(text, self.charges_list)
        level = level_of(known)
        self.level_label.setText("—" if level is None else f"Level {level}")

    # --- the jail management system -------------------------------------------------------

    def fetch_jms(self) -> None:
        """Read the JMS booking typed in the number field (on a worker thread) and fill the
        form with it; an unknown number is shown under the field."""
        from station.service.jms import JailManagementSystem, jms_path

        number = self.jms_number.text().strip()
        if not number:
            self._jms_error("Enter a JMS booking number")
            return
        try:
            path = self._jms_path if self._jms_path is not None else jms_path()
        except ValueError as exc:
            self._jms_error(str(exc))
            return
        self.jms_fetch.setEnabled(False)
        self.jms_status.setText(f"Fetching {number} …")
        self._tasks.submit(
            lambda token: JailManagementSystem(path).booking(number),
            done=self._fetched,
            failed=lambda exc: self._jms_error(str(exc)),
        )

    def _jms_error(self, message: str) -> None:
        self.jms_fetch.setEnabled(True)
        self.jms_status.setText(message)
        self.jms_failed.emit(message)

    def _fetched(self, booking: Any) -> None:
        self.jms_fetch.setEnabled(True)
        self.fill(dict(booking.demographics))
        self.fill_arrest(booking.arrest)
        self._jms_number = booking.booking_number
        self.jms_status.setText(
            f"Filled from JMS booking {booking.booking_number}: check and correct, then Next"
        )
        log.info("form filled from JMS booking %s", booking.booking_number)
        self.jms_fetched.emit(booking.booking_number)

    @property
    def jms_booking(self) -> str | None:
        """The JMS booking number the form was filled from, if it was."""
        return self._jms_number

    def fill_arrest(self, data: Mapping[str, Any]) -> None:
        """Fill the arrest fields (as an :meth:`Arrest.to_json` or a JMS export holds them)."""
        self.oca.setText(str(data.get("oca") or ""))
        self.ori.setText(str(data.get("ori") or ""))
        self.arrest_date.setText(str(data.get("date_of_arrest") or ""))
        self.race.setCurrentIndex(max(self.race.findData(str(data.get("race") or "")), 0))
        charges = data.get("charges") or []
        self._charges = [
            {"code": c, "offence_date": None} if isinstance(c, str) else dict(c)
            for c in charges
            if isinstance(c, str | Mapping)
        ]
        self._show_charges()
        smt = data.get("smt") or []
        self.smt.setText("; ".join(str(s) for s in smt) if isinstance(smt, list) else str(smt))

    # --- values ---------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The form as booking demographics (empty optional fields are left out)."""
        dob = self.dob.text().strip()
        data: dict[str, Any] = {
            "last_name": self.last_name.text().strip(),
            "first_name": self.first_name.text().strip(),
            "middle_initial": self.middle_initial.text().strip().upper() or None,
            "date_of_birth": dob if dob.replace("-", "").strip() else "",
            "sex": self.sex.currentData(),
            "height": self.height.text().strip() or None,
            "weight": self.weight.value() or None,
            "eye_colour": self.eyes.currentData() or None,
            "hair_colour": self.hair.currentData() or None,
            "place_of_birth": self.place_of_birth.text().strip().upper() or None,
        }
        return data

    def arrest_values(self) -> dict[str, Any] | None:
        """The arrest fields as :func:`~station.service.arrest.check_arrest` takes them, or
        ``None`` when every one is empty (a booking without arrest data)."""
        day = self.arrest_date.text().strip()
        data: dict[str, Any] = {
            "oca": self.oca.text().strip(),
            "ori": self.ori.text().strip().upper(),
            "date_of_arrest": day if day.replace("-", "").strip() else "",
            "charges": [dict(c) for c in self._charges],
            "race": self.race.currentData() or "",
            "smt": [s.strip() for s in self.smt.text().split(";") if s.strip()],
        }
        if not any(data.values()):
            return None
        return data

    def arrest(self) -> Arrest | None:
        """The checked arrest data (``None`` when the officer entered none).

        Raises
        ------
        ArrestError
            The arrest fields have problems (:meth:`validate` shows them first).
        """
        data = self.arrest_values()
        if data is None:
            return None
        return clean_arrest(data, date_of_birth=self.values().get("date_of_birth") or None)

    def validate(self) -> dict[str, Any] | None:
        """The demographics if they and the arrest fields are valid; else show every problem
        and focus the first bad field."""
        data = self.values()
        problems = check_demographics(data)
        arrest = self.arrest_values()
        if arrest is not None:
            problems += check_arrest(arrest, date_of_birth=data.get("date_of_birth") or None)
        if problems:
            self.error_label.setText(
                "Please correct: " + "; ".join(p.message for p in problems) + "."
            )
            target = {
                "last_name": self.last_name,
                "first_name": self.first_name,
                "middle_initial": self.middle_initial,
                "date_of_birth": self.dob,
                "sex": self.sex,
                "height": self.height,
                "weight": self.weight,
                "eye_colour": self.eyes,
                "hair_colour": self.hair,
                "place_of_birth": self.place_of_birth,
                "oca": self.oca,
                "ori": self.ori,
                "date_of_arrest": self.arrest_date,
                "charges": self.offence_combo,
                "race": self.race,
                "smt": self.smt,
            }.get(problems[0].field, self.last_name)
            target.setFocus()
            return None
        self.error_label.clear()
        return {k: v for k, v in data.items() if v is not None}

    def fill(self, data: dict[str, Any], synthetic_id: int | None = None) -> None:
        """Fill the form from demographics (as ``Demographics.as_dict()`` gives them)."""
        self._jms_number = None  # a JMS fetch sets it again after filling
        self.last_name.setText(str(data.get("last_name") or ""))
        self.first_name.setText(str(data.get("first_name") or ""))
        self.middle_initial.setText(str(data.get("middle_initial") or ""))
        self.dob.setText(str(data.get("date_of_birth") or ""))
        index = self.sex.findData(data.get("sex") or "U")
        self.sex.setCurrentIndex(max(index, 0))
        self.height.setText(str(data.get("height") or ""))
        self.weight.setValue(int(data.get("weight") or 0))
        for combo, key in ((self.eyes, "eye_colour"), (self.hair, "hair_colour")):
            i = combo.findData(data.get(key) or "")
            if i < 0 and data.get(key):
                combo.addItem(str(data[key]), data[key])
                i = combo.count() - 1
            combo.setCurrentIndex(max(i, 0))
        self.place_of_birth.setText(str(data.get("place_of_birth") or ""))
        if synthetic_id is not None:
            self.synthetic_id.setValue(synthetic_id)
        self.error_label.clear()

    def clear(self) -> None:
        """Empty the form for a new booking."""
        for edit in (
            self.last_name,
            self.first_name,
            self.middle_initial,
            self.dob,
            self.height,
            self.place_of_birth,
        ):
            edit.clear()
        self.sex.setCurrentIndex(0)
        self.weight.setValue(0)
        self.eyes.setCurrentIndex(0)
        self.hair.setCurrentIndex(0)
        self.error_label.clear()
        self.synthetic_id.setValue(-1)
        for edit in (self.oca, self.ori, self.arrest_date, self.offence_date, self.smt):
            edit.clear()
        self.race.setCurrentIndex(0)
        self._charges = []
        self._show_charges()
        self.jms_number.clear()
        self.jms_status.clear()
        self._jms_number = None
        self.last_name.setFocus()
