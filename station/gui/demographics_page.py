"""Step 1, New booking: the subject's demographics, checked before the booking opens."""

from __future__ import annotations

import logging
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
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

from station.service.demographics import validate_demographics

from .scanner_driver import PLATEN_CHOICES

__all__ = ["DemographicsPage", "validate_demographics"]

log = logging.getLogger(__name__)

SEXES = (("M", "M — male"), ("F", "F — female"), ("X", "X — unspecified"), ("U", "U — unknown"))
EYES = ("", "BLK", "BLU", "BRO", "GRN", "GRY", "HAZ", "MAR", "MUL", "PNK", "XXX")
HAIR = ("", "BAL", "BLK", "BLN", "BRO", "GRY", "RED", "SDY", "WHI", "XXX")


class DemographicsPage(QWidget):
    """The demographics form with "Generate synthetic subject".

    Signals
    -------
    generate_requested(str, int)
        The officer asked for a synthetic subject: a :data:`PLATEN_CHOICES` key and the
        synthetic id (-1: let the station choose).
    """

    generate_requested = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newBookingPage")
        title = QLabel("New booking — enter the subject's details")
        title.setObjectName("pageTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        title.setFont(font)

        self.last_name = self._edit("lastNameEdit", "Last name (required)")
        self.first_name = self._edit("firstNameEdit", "First name (required)")
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

        self.error_label = QLabel()
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
        sl.addWidget(QLabel("Number"), 1, 0)
        sl.addWidget(self.synthetic_id, 1, 1)
        sl.addWidget(self.generate, 2, 0, 1, 2)
        note = QLabel(
            "Every person here is synthetic. The generated subject is also the one the mock "
            "scanner prints."
        )
        note.setWordWrap(True)
        note.setObjectName("syntheticNote")
        sl.addWidget(note, 3, 0, 1, 2)

        columns = QHBoxLayout()
        columns.addWidget(form, 3)
        columns.addWidget(synth, 2, Qt.AlignmentFlag.AlignTop)
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
            self.kind,
            self.synthetic_id,
            self.generate,
        ]
        for a, b in pairwise(order):
            QWidget.setTabOrder(a, b)

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

    def validate(self) -> dict[str, Any] | None:
        """The demographics if valid; else show the problems and focus the first bad field."""
        data = self.values()
        problems = validate_demographics(data)
        if problems:
            self.error_label.setText("Please correct: " + "; ".join(problems) + ".")
            first = problems[0]
            target = {
                "Last": self.last_name,
                "First": self.first_name,
                "Middle": self.middle_initial,
                "Date": self.dob,
                "Sex": self.sex,
                "Height": self.height,
            }.get(first.split()[0], self.last_name)
            target.setFocus()
            return None
        self.error_label.clear()
        return {k: v for k, v in data.items() if v is not None}

    def fill(self, data: dict[str, Any], synthetic_id: int | None = None) -> None:
        """Fill the form from demographics (as ``Demographics.as_dict()`` gives them)."""
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
        self.last_name.setFocus()
