"""The settings form shows the random crop and saves what is typed into it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QSpinBox, QWidget

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


def _wheel(widget: QWidget, steps: int) -> None:
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    QApplication.sendEvent(widget, QWheelEvent(
        centre, widget.mapToGlobal(centre), QPoint(), QPoint(0, -120 * steps),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False))


def test_the_wheel_scrolls_the_form_without_changing_boxes_under_it(qtbot) -> None:
    """Scrolling down to Memory limit passed over Target and set it to 'autoencoder'."""
    scroll = QScrollArea()
    qtbot.addWidget(scroll)
    form = SettingsForm()
    scroll.setWidget(form)
    scroll.setWidgetResizable(True)
    scroll.resize(400, 250)
    scroll.show()
    qtbot.waitExposed(scroll)
    target, lr = form.fields["target"], form.fields["lr"]
    bar = scroll.verticalScrollBar()
    for box in (target, lr):
        before, top = form.settings(), bar.value()
        _wheel(box, 3)
        assert form.settings() == before and bar.value() > top
    scroll.activateWindow()
    qtbot.waitActive(scroll)
    lr.setFocus()  # a focused box takes the wheel, as before
    qtbot.waitUntil(lr.hasFocus, timeout=2000)
    _wheel(lr, 1)
    assert form.settings().lr == TrainSettings().lr / 2  # one notch down: halved
