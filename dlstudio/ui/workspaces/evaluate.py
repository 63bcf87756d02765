"""The Evaluate workspace: a run's metrics on its validation or test data, its confusion
matrix and mistakes in the middle, Try it (the drawing pad at a generous size) at the
right, and the network with each node's output for the sample (Layer outputs) at the
left, so the previews follow the pen in sight of the pad."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from dlstudio.ui.workspaces.base import Area, PanelPlace, Workspace

KEY = "evaluate"
TITLE = "Evaluate"
TIP = "Measure a trained run on held-out data and try it by hand"

PLACES = {
    "Try it": PanelPlace(Area.RightDockWidgetArea, share=0.4, least=380, most=760),
    "Layer outputs": PanelPlace(Area.LeftDockWidgetArea, share=0.2, least=240, most=480),
}


def build_evaluate(workspace: Workspace, evaluation: QWidget,
                   panels: dict[str, QWidget]) -> None:
    """The evaluation in the middle, `panels` (by the names of PLACES) at the side."""
    workspace.set_central(evaluation)
    for name, place in PLACES.items():
        workspace.add_panel(name, panels[name], place)
