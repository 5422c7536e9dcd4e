"""Pacing settings: how long to wait between asks, when to pause, how much to trust data."""

from __future__ import annotations

import dataclasses

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm.errors import SmallyesError
from crm.pacing import DEFAULTS, FIELDS, Pacing, get_pacing, set_pacing
from ui.events import AppEvents
from ui.style import styled


def _set_unit(box: QSpinBox, unit: str, value: int) -> None:
    box.setSuffix(f" {unit[:-1] if value == 1 else unit}")


class PacingDialog(QDialog):
    def __init__(self, events: AppEvents, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Pacing")
        self._events = events
        self.fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        form = QFormLayout()
        for spec in FIELDS:
            if isinstance(getattr(DEFAULTS, spec.name), int):
                box: QSpinBox | QDoubleSpinBox = QSpinBox()
                box.setRange(int(spec.minimum), int(spec.maximum))
            else:
                box = QDoubleSpinBox()
                box.setDecimals(2)
                box.setSingleStep(0.05 if spec.maximum <= 1 else 0.5)
                box.setRange(spec.minimum, spec.maximum)
            box.setSuffix(f" {spec.unit}")
            if isinstance(box, QSpinBox) and spec.unit.endswith("s"):
                # "1 day", "1 ask": a whole-number count reads in the singular at one.
                box.valueChanged.connect(
                    lambda value, b=box, unit=spec.unit: _set_unit(b, unit, value)
                )
                _set_unit(box, spec.unit, box.value())
            box.setToolTip(spec.help)
            self.fields[spec.name] = box
            form.addRow(spec.label + ":", box)
        self.error = styled(QLabel(wordWrap=True), "inlineError")
        self.error.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        restore = self.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        restore.clicked.connect(lambda: self.fill(DEFAULTS))
        intro = styled(
            QLabel("Smallyes never suggests an ask sooner than these allow.", wordWrap=True),
            "detailSubtitle",
        )
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.fill(get_pacing())

    def fill(self, pacing: Pacing) -> None:
        for name, value in dataclasses.asdict(pacing).items():
            self.fields[name].setValue(value)

    def values(self) -> dict[str, float]:
        return {name: box.value() for name, box in self.fields.items()}

    def save(self) -> None:
        try:
            set_pacing(**self.values())
        except SmallyesError as exc:
            self.error.setText(exc.user_message)
            self.error.show()
            return
        self._events.ladder_changed.emit()  # every suggestion depends on the pacing
        self.accept()


def open_pacing_dialog(parent: QWidget, events: AppEvents) -> None:
    PacingDialog(events, parent).exec()
