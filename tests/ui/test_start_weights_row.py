"""Train ▸ Settings ▸ Start from in a settings panel as narrow as at 1366×768: the choice
reads whole (it has the field's width, the buttons go below it); a file name too long for
it keeps its start and extension around "…" and does not widen the panel."""

from __future__ import annotations

from dlstudio.ui.training.settings_form import SettingsForm

PANEL_WIDTH = 380  # the Data and training panel's form at 1366×768


def _form(qtbot, weights: str) -> SettingsForm:
    form = SettingsForm()
    qtbot.addWidget(form)
    form.set_start_weights(weights)
    form.resize(PANEL_WIDTH, 900)
    form.show()
    qtbot.waitExposed(form)
    return form


def test_the_imagenet_choice_reads_whole_in_a_narrow_panel(qtbot) -> None:
    form = _form(qtbot, "pretrained:vgg16-transfer")
    label = form.start.label
    assert label.shown_text() == "ImageNet (pretrained vgg16-transfer)"
    buttons = form.start.load_button, form.start.clear_button
    assert all(button.geometry().top() >= label.geometry().bottom() for button in buttons)
    assert form.start.clear_button.isEnabled()


def test_a_long_file_name_is_shortened_in_the_middle(qtbot) -> None:
    name = "vgg16-finetuned-on-my-flowers-with-augmentation-epoch-030-best.pth"
    form = _form(qtbot, f"/data/models/{name}")
    label = form.start.label
    assert form.width() == PANEL_WIDTH and form.minimumSizeHint().width() < PANEL_WIDTH
    shown = label.shown_text()
    assert label.text() == name and "…" in shown
    assert shown.startswith("vgg16-") and shown.endswith(".pth")
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
