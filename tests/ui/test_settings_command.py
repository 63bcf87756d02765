"""ChangeSettingsCommand: a settings change by command is one undo step, shown in the
form and kept in the project both ways."""

from dlstudio.ui.training.settings_command import ChangeSettingsCommand


def test_change_is_one_undo_step_shown_in_form(gui):
    window, ui = gui
    form, document = ui.panel.form, window.document
    form.fields["lr"].setValue(0.01)
    before = form.values()
    stack = document.undo_stack
    stack.push(ChangeSettingsCommand(document, form, {"lr": 0.005, "early_stopping": True},
                                     "Halve the learning rate"))
    assert form.values()["lr"] == 0.005 and form.values()["early_stopping"] is True
    assert document.project.training["lr"] == 0.005
    assert document.project.training["early_stopping"] is True
    assert form.fields["patience"].isEnabled()  # what early stopping enables follows
    stack.undo()
    assert form.values() == before
    assert document.project.training["lr"] == 0.01
    assert document.project.training["early_stopping"] is False
    assert not form.fields["patience"].isEnabled()
    stack.redo()
    assert form.settings().lr == 0.005
