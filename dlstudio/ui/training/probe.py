"""Which validation samples does the model get wrong? Asked on the training thread
between epochs (inside the trainer's epoch_ended callback, when the weights are not
changing), over a fixed handful of samples, so it costs a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from dlstudio.data import DataInfo, Split
from dlstudio.infer.samples import class_name, displayable

SAMPLES = 256  # validation samples looked at per epoch
MISTAKES = 24  # shown at most


@dataclass(frozen=True)
class Mistake:
    """One wrong prediction. `image` is (H, W) or (H, W, 3) in 0..1 for image data;
    other data is described in `text` (the first features or the decoded tokens)."""

    index: int
    true: str
    predicted: str
    confidence: float
    image: np.ndarray | None
    text: str


@dataclass(frozen=True)
class MistakeReport:
    epoch: int
    checked: int
    wrong: int
    mistakes: tuple[Mistake, ...]


class MistakeProbe:
    """Holds the first validation samples (model input and how to show them) and finds
    the wrong predictions among them for a model in its current state."""

    def __init__(self, split: Split, info: DataInfo, samples: int = SAMPLES,
                 limit: int = MISTAKES) -> None:
        self.info = info
        self.limit = limit
        inputs, targets = next(iter(split.batches(min(samples, len(split)))))
        self.inputs, self.targets = inputs, targets.detach().cpu()
        self.views = displayable(inputs.detach().cpu(), info)

    @classmethod
    def for_data(cls, val: Split | None, info: DataInfo) -> MistakeProbe | None:
        """A probe when the data has labelled validation samples, else None."""
        if val is None or len(val) == 0 or info.task != "classification":
            return None
        return cls(val, info)

    @torch.no_grad()
    def __call__(self, model: nn.Module, epoch: int) -> MistakeReport:
        was_training = model.training
        model.eval()
        try:
            device = next(model.parameters()).device
            run = getattr(model, "logits", model)
            output = run(self.inputs.to(device)).float().cpu()
        finally:
            model.train(was_training)
        predicted, confidence = _predictions(output)
        targets = self.targets.reshape(-1).long()
        if predicted.shape != targets.shape:
            return MistakeReport(epoch, 0, 0, ())
        wrong = (predicted != targets).nonzero().reshape(-1).tolist()
        names = self.info.class_names
        mistakes = tuple(
            Mistake(i, class_name(names, int(targets[i])), class_name(names, int(predicted[i])),
                    float(confidence[i]),
                    self.views[i] if isinstance(self.views, np.ndarray) else None,
                    "" if isinstance(self.views, np.ndarray) else self.views[i])
            for i in wrong[:self.limit])
        return MistakeReport(epoch, len(targets), len(wrong), mistakes)


def _predictions(output: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Class ids and their probability from logits: argmax of a softmax, or for a
    single binary output the sign of the logit."""
    if output.dim() == 2 and output.shape[1] == 1:
        chance = torch.sigmoid(output[:, 0])
        predicted = (chance > 0.5).long()
        return predicted, torch.where(predicted == 1, chance, 1 - chance)
    if output.dim() != 2:
        return torch.empty(0, dtype=torch.long), torch.empty(0)
    probabilities = torch.softmax(output, dim=1)
    confidence, predicted = probabilities.max(dim=1)
    return predicted, confidence
