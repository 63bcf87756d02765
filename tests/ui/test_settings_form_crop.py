"""The settings form shows the random crop and saves what is typed into it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSpinBox

from dlstudio.train import TrainSettings
from dlstudio.ui.training.settings_form import SettingsForm


def test_the_form_shows_and_saves_the_crop(qtbot) -> None:
    form = SettingsForm()
    qtbot.addWidget(form)
    field = form.fields["augment.crop"]
    assert isinstance(field, QSpinBox) and field.value() == 0
    form.set_settings(TrainSettings(augment={"crop": 4, "shift": 0.1}))
    assert field.value() == 4
    with qtbot.waitSignal(form.changed):
        field.setValue(6)
    saved = form.settings()
    assert saved.augment["crop"] == 6 and saved.augment["shift"] == 0.1
    field.setValue(1000)  # the spin box stops at the largest padding settings accept
    assert form.settings().augment["crop"] == field.maximum() == 64


def test_the_learning_rate_box_takes_what_settings_accept(qtbot) -> None:
    """A project's lr of 1e6 (a valid setting: the run warns it may be too high) is shown
    and kept, not cut to the box's old limit of 10; typed, it is taken too."""
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_settings(TrainSettings(lr=1e6))
    assert form.settings().lr == 1e6
    field = form.fields["lr"]
    field.show()
    field.setFocus()
    field.lineEdit().selectAll()
    qtbot.keyClicks(field.lineEdit(), "2e5")
    qtbot.keyClick(field.lineEdit(), Qt.Key.Key_Return)
    assert form.settings().lr == 2e5
