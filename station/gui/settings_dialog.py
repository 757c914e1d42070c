"""The settings dialog: disposition thresholds, station identity, scanner faults; save as TOML.

The dialog edits a copy of a :class:`station.settings.Settings` (frozen dataclasses, changed
with :func:`dataclasses.replace`) and gives it back from :meth:`SettingsDialog.settings`;
putting it in force (``station.settings.set_settings``) is the caller's business.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import tomli_w
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from station.core.disposition import DispositionPolicy
from station.gallery import TRANSACTION_TYPES
from station.service.accounts import Operator, Permission
from station.settings import (
    PathSettings,
    ScannerSettings,
    Settings,
    StationSettings,
    SynthSettings,
)

from .widgets import plain

__all__ = ["SettingsDialog", "to_toml"]

log = logging.getLogger(__name__)

#: The first line of a settings file the dialog writes.
_HEADER = "# Booking Station settings (written by the station's Settings dialog)\n"

_SOURCES = (("mock", "Mock live-scan scanner"), ("files", "Image files"))


def _plain(value: object, where: str) -> object:
    """A settings value as a TOML-writable Python value (paths as strings, floats finite)."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"settings: {where} = {value} cannot be written to a settings file")
    if isinstance(value, bool | int | float | str):
        return value
    raise ValueError(
        f"settings: cannot write {where}, a {type(value).__name__}, to a settings file"
    )


def to_toml(settings: Settings) -> str:
    """The settings as the text of a settings file that ``load_settings`` reads back.

    The TOML is written by ``tomli_w`` (quoting and escaping are the library's); a comment
    line saying where the file came from heads it.

    Parameters
    ----------
    settings : Settings

    Returns
    -------
    text : str
        TOML: every section and key written out, per-repository thresholds as
        ``[disposition.repositories.<name>]`` tables.

    Raises
    ------
    ValueError
        A value cannot be written (a non-finite number).

    Examples
    --------
    >>> from station.settings import Settings
    >>> print(to_toml(Settings()).splitlines()[2])
    [paths]
    """
    document: dict[str, dict[str, object]] = {}
    for section in dataclasses.fields(Settings):
        value = getattr(settings, section.name)
        document[section.name] = {
            item.name: _plain(getattr(value, item.name), f"[{section.name}] {item.name}")
            for item in dataclasses.fields(value)
            if item.name != "repositories"
        }
    repositories = {
        str(repo): {
            "hit": _plain(float(t.hit), f"[disposition.repositories.{repo}] hit"),
            "review": _plain(float(t.review), f"[disposition.repositories.{repo}] review"),
        }
        for repo, t in settings.disposition.repositories.items()
    }
    if repositories:
        document["disposition"]["repositories"] = repositories
    return _HEADER + "\n" + tomli_w.dumps(document)


def _double_spin(name: str, low: float, high: float, step: float, tip: str) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setObjectName(name)
    spin.setRange(low, high)
    spin.setDecimals(3)
    spin.setSingleStep(step)
    spin.setToolTip(tip)
    return spin


def _int_spin(name: str, low: int, high: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setRange(low, high)
    spin.setToolTip(tip)
    return spin


class SettingsDialog(QDialog):
    """Edit the station's settings.

    Parameters
    ----------
    settings : Settings
        The settings to start from (left unchanged: they are frozen).
    parent : QWidget, optional

    Notes
    -----
    Automation ids: ``hitThresholdSpin``, ``reviewThresholdSpin``, ``recaptureLevelSpin``,
    ``maxAttemptsSpin``, ``minFingersSpin``, ``candidatesSpin``, ``stationIdEdit``,
    ``operatorEdit``, ``transactionTypeCombo``, ``settingsScannerSourceCombo``,
    ``scannerSeedSpin``, ``dirtyPlatenCheck``, ``timeoutCheck``, ``galleryPathEdit``,
    ``populationSpin``, ``settingsErrorLabel``, ``settingsStatusLabel``, ``settingsOkButton``,
    ``settingsCancelButton``, ``saveSettingsButton``, ``restoreDefaultsButton``.
    OK with invalid values (review above hit, an empty station id or operator) keeps the
    dialog open and says what to change in ``settingsErrorLabel``.

    With a signed-in ``operator`` who is not an administrator the disposition fields are
    read-only (their tooltip says why) and :meth:`settings` keeps the policy it was given;
    the booking service refuses a changed policy from them too.
    """

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        operator: Operator | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Station settings")
        self._base = settings
        self.thresholds_editable = operator is None or operator.can(Permission.CHANGE_THRESHOLDS)

        # station
        self.station_id_edit = QLineEdit()
        self.station_id_edit.setObjectName("stationIdEdit")
        self.station_id_edit.setToolTip("Written into every booking (TCN prefix)")
        self.operator_edit = QLineEdit()
        self.operator_edit.setObjectName("operatorEdit")
        self.operator_edit.setToolTip("Who books: written into every booking and audit entry")
        self.transaction_combo = QComboBox()
        self.transaction_combo.setObjectName("transactionTypeCombo")
        for code in TRANSACTION_TYPES:
            label = {"CAR": "CAR — criminal, answer required", "CNA": "CNA — no answer"}
            self.transaction_combo.addItem(label.get(code, code), code)

        # disposition
        self.hit_spin = _double_spin(
            "hitThresholdSpin", 0.01, 1000.0, 0.05, "Fused score a top candidate needs for a HIT"
        )
        self.review_spin = _double_spin(
            "reviewThresholdSpin",
            0.01,
            1000.0,
            0.05,
            "Fused score that sends a candidate to an examiner (REVIEW); at most the HIT score",
        )
        self.recapture_spin = _int_spin(
            "recaptureLevelSpin",
            1,
            5,
            "A finger at this quality level or worse (1 best … 5 worst) must be recaptured",
        )
        self.attempts_spin = _int_spin(
            "maxAttemptsSpin", 1, 20, "After this many captures the officer may submit anyway"
        )
        self.min_fingers_spin = _int_spin(
            "minFingersSpin", 1, 10, "Usable fingers a search needs (fewer: ERROR)"
        )
        self.candidates_spin = _int_spin("candidatesSpin", 1, 50, "Candidates listed in a response")

        # scanner
        self.source_combo = QComboBox()
        self.source_combo.setObjectName("settingsScannerSourceCombo")
        for code, label in _SOURCES:
            self.source_combo.addItem(label, code)
        self.seed_spin = _int_spin("scannerSeedSpin", 0, 2**31 - 1, "Mock device seed")
        self.dirty_check = QCheckBox("Dirty platen (residue on the glass)")
        self.dirty_check.setObjectName("dirtyPlatenCheck")
        self.timeout_check = QCheckBox("Timeouts (the device stops answering)")
        self.timeout_check.setObjectName("timeoutCheck")

        # data
        self.gallery_edit = QLineEdit()
        self.gallery_edit.setObjectName("galleryPathEdit")
        self.gallery_edit.setToolTip("Gallery file used at the next start")
        self.population_spin = _int_spin(
            "populationSpin", 0, 2**31 - 1, "Synthetic population subjects are drawn from"
        )

        self.error_label = plain(QLabel())
        self.error_label.setObjectName("settingsErrorLabel")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.error_label.hide()
        self.status_label = plain(QLabel())
        self.status_label.setObjectName("settingsStatusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet("color: #1b5e20;")
        self.status_label.hide()
        self.info_label = plain(QLabel())
        self.info_label.setObjectName("settingsInfoLabel")
        self.info_label.setWordWrap(True)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setObjectName("settingsOkButton")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("settingsCancelButton")
        self.save_button = QPushButton("&Save to file…")
        self.save_button.setObjectName("saveSettingsButton")
        self.save_button.setAutoDefault(False)
        self.defaults_button = QPushButton("Restore &defaults")
        self.defaults_button.setObjectName("restoreDefaultsButton")
        self.defaults_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self._save_clicked)
        self.defaults_button.clicked.connect(lambda: self._load(Settings()))

        self._build_layout()
        self._load(settings)
        if not self.thresholds_editable:
            why = "Only an administrator changes the disposition thresholds"
            for spin in (
                self.hit_spin,
                self.review_spin,
                self.recapture_spin,
                self.attempts_spin,
                self.min_fingers_spin,
                self.candidates_spin,
            ):
                spin.setReadOnly(True)
                spin.setButtonSymbols(spin.ButtonSymbols.NoButtons)
                spin.setToolTip(f"{why} (signed in: {operator.username if operator else ''})")
        for spin in (self.hit_spin, self.review_spin):
            spin.valueChanged.connect(self._validate_live)
        for edit in (self.station_id_edit, self.operator_edit):
            edit.textChanged.connect(self._validate_live)

    def _build_layout(self) -> None:
        station = QGroupBox("Station")
        form = QFormLayout(station)
        form.addRow("Station &id:", self.station_id_edit)
        form.addRow("&Operator:", self.operator_edit)
        form.addRow("&Transaction type:", self.transaction_combo)

        disposition = QGroupBox("Disposition")
        form = QFormLayout(disposition)
        form.addRow("&HIT score at least:", self.hit_spin)
        form.addRow("&REVIEW score at least:", self.review_spin)
        form.addRow("Recapture at quality &level:", self.recapture_spin)
        form.addRow("Override after &attempts:", self.attempts_spin)
        form.addRow("Fingers a search &needs:", self.min_fingers_spin)
        form.addRow("&Candidates listed:", self.candidates_spin)
        hint = QLabel(
            "Scores are fused match scores: the sum of the candidate's per-finger scores. "
            "Quality levels run from 1 (excellent) to 5 (poor)."
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: palette(dark);")
        form.addRow(hint)
        form.addRow(self.info_label)

        scanner = QGroupBox("Scanner")
        form = QFormLayout(scanner)
        form.addRow("&Source:", self.source_combo)
        form.addRow("Mock device s&eed:", self.seed_spin)
        form.addRow("Faults:", self.dirty_check)
        form.addRow("", self.timeout_check)

        data = QGroupBox("Data")
        form = QFormLayout(data)
        form.addRow("&Gallery file:", self.gallery_edit)
        form.addRow("Synthetic &population:", self.population_spin)

        columns = QHBoxLayout()
        left, right = QVBoxLayout(), QVBoxLayout()
        left.addWidget(station)
        left.addWidget(scanner)
        left.addWidget(data)
        left.addStretch(1)
        right.addWidget(disposition)
        right.addStretch(1)
        columns.addLayout(left)
        columns.addLayout(right)

        foot = QHBoxLayout()
        foot.addWidget(self.defaults_button)
        foot.addWidget(self.save_button)
        foot.addStretch(1)
        foot.addWidget(self.buttons)

        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addLayout(foot)

    def _load(self, settings: Settings) -> None:
        """Show ``settings`` in the controls (they become the base of :meth:`settings`)."""
        self._base = settings
        policy = settings.disposition
        self.station_id_edit.setText(settings.station.station_id)
        self.operator_edit.setText(settings.station.operator)
        index = self.transaction_combo.findData(settings.station.transaction_type)
        self.transaction_combo.setCurrentIndex(max(0, index))
        self.hit_spin.setValue(policy.hit)
        self.review_spin.setValue(policy.review)
        self.recapture_spin.setValue(policy.recapture_level)
        self.attempts_spin.setValue(policy.max_attempts)
        self.min_fingers_spin.setValue(policy.min_fingers)
        self.candidates_spin.setValue(policy.candidates)
        self.source_combo.setCurrentIndex(
            max(0, self.source_combo.findData(settings.scanner.source))
        )
        self.seed_spin.setValue(settings.scanner.seed)
        self.dirty_check.setChecked(settings.scanner.dirty_platen)
        self.timeout_check.setChecked(settings.scanner.timeout)
        self.gallery_edit.setText(str(settings.paths.gallery))
        self.population_spin.setValue(settings.synth.population)
        repos = ", ".join(
            f"{repo} (HIT {t.hit:g}, REVIEW {t.review:g})"
            for repo, t in policy.repositories.items()
        )
        self.info_label.setText(f"Per-repository thresholds kept: {repos}." if repos else "")
        self.info_label.setVisible(bool(repos))
        self._validate_live()

    # --- validation -------------------------------------------------------------------------

    def problem(self) -> str | None:
        """What is wrong with the values shown, as an instruction; None when they are valid."""
        if self.review_spin.value() > self.hit_spin.value():
            return (
                f"The REVIEW score ({self.review_spin.value():g}) is above the HIT score "
                f"({self.hit_spin.value():g}): lower REVIEW or raise HIT."
            )
        if not self.station_id_edit.text().strip():
            return "Enter a station id."
        if not self.operator_edit.text().strip():
            return "Enter the operator's name."
        if not self.gallery_edit.text().strip():
            return "Enter the gallery file."
        return None

    def _show_problem(self, text: str | None) -> None:
        self.error_label.setText(text or "")
        self.error_label.setVisible(bool(text))

    def _validate_live(self) -> None:
        self._show_problem(self.problem())

    def settings(self) -> Settings:
        """The edited settings.

        Returns
        -------
        Settings
            The settings given to the dialog with the edited values replaced.

        Raises
        ------
        ValueError
            The values shown are not valid (see :meth:`problem`).
        """
        problem = self.problem()
        if problem:
            raise ValueError(problem)
        base = self._base
        policy: DispositionPolicy = base.disposition
        if self.thresholds_editable:
            policy = dataclasses.replace(
                base.disposition,
                hit=float(self.hit_spin.value()),
                review=float(self.review_spin.value()),
                recapture_level=int(self.recapture_spin.value()),
                max_attempts=int(self.attempts_spin.value()),
                min_fingers=int(self.min_fingers_spin.value()),
                candidates=int(self.candidates_spin.value()),
            )
        station: StationSettings = dataclasses.replace(
            base.station,
            station_id=self.station_id_edit.text().strip(),
            operator=self.operator_edit.text().strip(),
            transaction_type=str(self.transaction_combo.currentData()),
        )
        scanner: ScannerSettings = dataclasses.replace(
            base.scanner,
            source=str(self.source_combo.currentData()),
            seed=int(self.seed_spin.value()),
            dirty_platen=self.dirty_check.isChecked(),
            timeout=self.timeout_check.isChecked(),
        )
        paths: PathSettings = dataclasses.replace(
            base.paths, gallery=Path(self.gallery_edit.text().strip())
        )
        synth: SynthSettings = dataclasses.replace(
            base.synth, population=int(self.population_spin.value())
        )
        return dataclasses.replace(
            base, paths=paths, synth=synth, station=station, scanner=scanner, disposition=policy
        )

    def accept(self) -> None:
        """Close with OK, unless a value is invalid: then say what to change and stay open."""
        try:
            self.settings()
        except ValueError as exc:
            self._show_problem(str(exc))
            log.info("settings refused: %s", exc)
            return
        super().accept()

    # --- saving -----------------------------------------------------------------------------

    def save_to(self, path: str | Path) -> Path:
        """Write the edited settings to a TOML file.

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        path : Path

        Raises
        ------
        ValueError
            The values are not valid.
        OSError
            The file cannot be written.
        """
        path = Path(path)
        text = to_toml(self.settings())
        path.write_text(text, encoding="utf-8")
        log.info("settings written to %s", path)
        return path

    def _save_clicked(self) -> None:
        problem = self.problem()
        if problem:
            self._show_problem(problem)
            return
        name, _ = QFileDialog.getSaveFileName(
            self, "Save settings", "station.toml", "Settings files (*.toml);;All files (*)"
        )
        if not name:
            return
        try:
            path = self.save_to(name)
        except OSError as exc:
            self._show_problem(
                f"The settings could not be written to {name}: {exc.strerror or exc}. "
                "Choose another folder."
            )
            return
        self._show_problem(None)
        self.status_label.setText(
            f"Saved to {path}. Start the station with STATION_SETTINGS={path} to use this file."
        )
        self.status_label.show()
