"""The Evaluate workspace: a run's metrics on its validation or test data, its confusion
matrix and mistakes in the middle, and Try it (the drawing pad at a generous size) at the
side."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from dlstudio.ui.workspaces.base import Area, PanelPlace, Workspace

KEY = "evaluate"
TITLE = "Evaluate"
TIP = "Measure a trained run on held-out data and try it by hand"

PLACES = {
    "Try it": PanelPlace(Area.RightDockWidgetArea, share=0.4, least=380, most=760),
}


def build_evaluate(workspace: Workspace, evaluation: QWidget,
                   panels: dict[str, QWidget]) -> None:
    """The evaluation in the middle, `panels` (by the names of PLACES) at the side."""
    workspace.set_central(evaluation)
    for name, place in PLACES.items():
        workspace.add_panel(name, panels[name], place)
