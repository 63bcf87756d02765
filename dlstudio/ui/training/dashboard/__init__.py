"""Live metrics (pyqtgraph) and the comparison of kept runs."""

from dlstudio.ui.training.dashboard.view import Dashboard

__all__ = ["Dashboard"]
