"""Dead ReLU units, measured cheaply: forward hooks on each ReLU layer, attached only for
the last `MEASURED_BATCHES` training batches of an epoch, mark which units fired (gave a
value above 0) at least once. Everything stays on the device; the fractions are read with
the epoch's other numbers, so no batch waits for the device.

A unit is one feature of a vector (N, F), or one channel of a map or sequence (N, C, ...):
a convolution's filter is dead when it is 0 at every position of every sample. Channels
come first in PyTorch, so an (N, T, F) sequence is counted by time step; its features
only count as dead when every step is silent, which under-reports rather than over-reports.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.hooks import RemovableHandle

# The last batches of each epoch that the hooks see: a unit that fires for a few of
# these ~100 samples is alive; four batches cost four comparisons per ReLU per epoch.
MEASURED_BATCHES = 4

DeadUnits = tuple[list[str], torch.Tensor]  # layer names, fraction of dead units (device)


class DeadUnitProbe:
    """Watches the model's ReLU layers while `start()`ed; `stop()` gives the fractions."""

    def __init__(self, layers: list[tuple[str, nn.Module]]) -> None:
        self.layers = layers
        self._handles: list[RemovableHandle] = []
        self._fired: dict[str, torch.Tensor] = {}

    @classmethod
    def for_model(cls, model: nn.Module) -> DeadUnitProbe | None:
        """A probe on each ReLU layer of `model`, or None when it has none."""
        layers = [(name, layer) for name, layer in model.named_children()
                  if type(layer) is nn.ReLU]
        return cls(layers) if layers else None

    def start(self) -> None:
        self.stop()
        self._fired = {}
        self._handles = [layer.register_forward_hook(self._hook(name))
                         for name, layer in self.layers]

    def stop(self) -> DeadUnits | None:
        """Detach the hooks; the fraction of each measured layer's units that never fired
        (a device tensor, no sync), or None when no batch was measured."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        fired, self._fired = self._fired, {}
        if not fired:
            return None
        return list(fired), torch.stack([1.0 - f.float().mean() for f in fired.values()])

    def _hook(self, name: str):  # noqa: ANN202 (a torch hook)
        def hook(module: nn.Module, args: object, output: torch.Tensor) -> None:
            fired = fired_units(output.detach())
            seen = self._fired.get(name)
            self._fired[name] = fired if seen is None or seen.shape != fired.shape \
                else seen.logical_or_(fired)
        return hook


def fired_units(output: torch.Tensor) -> torch.Tensor:
    """Which units of one batch's ReLU output fired for some sample: (F,) or (C,). One
    max-reduction in whatever memory layout the output has (channels-last included)."""
    if output.dim() < 2:
        return (output.amax() > 0).reshape(1)
    return output.amax(dim=(0, *range(2, output.dim()))) > 0


def dead_fractions(measured: DeadUnits | None) -> dict[str, float]:
    """`DeadUnitProbe.stop()`'s result as plain numbers (one sync)."""
    if measured is None:
        return {}
    names, values = measured
    return dict(zip(names, values.tolist(), strict=True))
