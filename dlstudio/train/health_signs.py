"""What a training health check reports: one plain record per sign, and the fixes the app
can apply in one click. The checks themselves live in health.py; the CLI prints these
records, history.json keeps them per epoch, and the app shows them as node badges and
Problems lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The kinds of sign, in the order a learner should look at them.
VANISHING_GRADIENTS = "vanishing_gradients"
EXPLODING_GRADIENTS = "exploding_gradients"
DEAD_RELU = "dead_relu"
LOSS_FLAT = "loss_flat"
LOSS_JUMPS = "loss_jumps"
OVERFITTING = "overfitting"
KINDS = (VANISHING_GRADIENTS, EXPLODING_GRADIENTS, DEAD_RELU, LOSS_FLAT, LOSS_JUMPS,
         OVERFITTING)

# The one-click fixes. Node fixes act on the sign's node; the others on the settings.
INSERT_BATCHNORM = "insert_batchnorm"  # a BatchNorm after the node
USE_LEAKY_RELU = "use_leaky_relu"      # the node's ReLU becomes a LeakyReLU
HALVE_LR = "halve_lr"                  # the learning rate x 0.5
ADD_DROPOUT = "add_dropout"            # a Dropout after the node
EARLY_STOPPING = "early_stopping"      # turn on early stopping
FIXES = (INSERT_BATCHNORM, USE_LEAKY_RELU, HALVE_LR, ADD_DROPOUT, EARLY_STOPPING)
FIX_LABELS = {
    INSERT_BATCHNORM: "Insert BatchNorm",
    USE_LEAKY_RELU: "Use LeakyReLU",
    HALVE_LR: "Halve the learning rate",
    ADD_DROPOUT: "Add Dropout",
    EARLY_STOPPING: "Turn on early stopping",
}


@dataclass(frozen=True)
class HealthSign:
    """One sign that a run is not training well.

    `node` is the graph node's name the sign belongs to ("" for the run as a whole, e.g. a
    loss that does not fall); `epoch` the epoch it was seen at; `message` one line in plain
    words for a learner; `fixes` the fixes that address it, best first (may be empty).
    """

    kind: str
    node: str
    epoch: int
    message: str
    fixes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "node": self.node, "epoch": self.epoch,
                "message": self.message, "fixes": list(self.fixes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HealthSign:
        """Inverse of `to_dict`; fixes this version does not know are dropped."""
        return cls(str(data["kind"]), str(data.get("node") or ""), int(data["epoch"]),
                   str(data["message"]),
                   tuple(str(f) for f in data.get("fixes", ()) if f in FIXES))

    def line(self) -> str:
        """'fc1: ...' or the message alone for a run-wide sign (what the CLI prints)."""
        return f"{self.node}: {self.message}" if self.node else self.message
