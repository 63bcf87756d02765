"""Training settings changed by a command (a health fix, the learning-rate finder's
suggestion): one undo step that the settings form shows both ways."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

if TYPE_CHECKING:
    from dlstudio.ui.document import Document
    from dlstudio.ui.training.settings_form import SettingsForm


class ChangeSettingsCommand(QUndoCommand):
    """Sets `changes` (TrainSettings field names to values) in the project and the form;
    undo puts back what the form showed before."""

    def __init__(self, document: Document, form: SettingsForm, changes: dict[str, Any],
                 text: str) -> None:
        super().__init__(text)
        self.document, self.form = document, form
        self.new = dict(changes)
        shown = form.values()
        self.old = {key: shown[key] for key in changes}

    def redo(self) -> None:
        self._set(self.new)

    def undo(self) -> None:
        self._set(self.old)

    def _set(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            self.form.set_value(key, value)
        self.document.project.training.update(values)
        self.form.changed.emit()  # the session stores the whole form, as after an edit
