"""Data and training in the window: the data panel, the settings form, the controls, the
worker thread that runs the trainer, and the live dashboard (see docs/training-ui.md)."""

from dlstudio.ui.training.controller import TrainingController
from dlstudio.ui.training.dashboard import Dashboard
from dlstudio.ui.training.install import TrainingUI, install_training
from dlstudio.ui.training.panel import TrainingPanel
from dlstudio.ui.training.session import TrainingSession

__all__ = ["Dashboard", "TrainingController", "TrainingPanel", "TrainingSession",
           "TrainingUI", "install_training"]
