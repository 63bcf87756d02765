"""The training engine (torch, no Qt): `Trainer(graph, data, settings).run()`.

See docs/training.md. Settings, events and checkpoints are plain records; the UI
subscribes to `Trainer.events` and drives the run with pause / resume / stop.
"""

from dlstudio.train.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from dlstudio.train.events import BatchStats, EpochStats, RunResult, TrainerEvents
from dlstudio.train.faults import TrainingError
from dlstudio.train.settings import TrainSettings, TrainSettingsError, defaults_for_template
from dlstudio.train.trainer import Trainer

__all__ = [
    "BatchStats", "Checkpoint", "CheckpointError", "EpochStats", "RunResult",
    "TrainSettings", "TrainSettingsError", "Trainer", "TrainerEvents", "TrainingError",
    "defaults_for_template", "load_checkpoint", "save_checkpoint",
]
