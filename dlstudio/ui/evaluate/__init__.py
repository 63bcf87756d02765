"""The Evaluate workspace's panel: a run's model measured on a split of its data."""

from dlstudio.ui.evaluate.panel import EvaluatePanel, run_checkpoint
from dlstudio.ui.evaluate.views import ClassTable, MetricsStrip
from dlstudio.ui.evaluate.worker import EvaluationJob, EvaluationWorker

__all__ = ["ClassTable", "EvaluatePanel", "EvaluationJob", "EvaluationWorker",
           "MetricsStrip", "run_checkpoint"]
