"""What a format writer gets (`ExportJob`) and gives back (`Written`), and the shared
check that an exported model computes what the graph computes: on prepared input, the
graph's own output; on raw input, raw -> `dlstudio.data.preprocess` -> the graph, the way
`dlstudio predict` runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from dlstudio.compile import GraphModule
from dlstudio.export.card import InputSpec, OutputSpec
from dlstudio.export.errors import ExportError, root_reason
from dlstudio.export.raw_input import RawInput, RawInputModel
from dlstudio.export.staging import Staging
from dlstudio.graph import Graph

TOLERANCE = 1e-4  # |exported - PyTorch| <= TOLERANCE * (1 + |PyTorch|), element-wise
EXPORT_BATCH = 2  # traced/exported with this batch size ...
CHECK_BATCHES = (3, 1)  # ... and run again with others: the batch axis must stay free


@dataclass(frozen=True)
class Written:
    """A writer's result: the files by role (`model`, `source`, `weights`), named as they
    will be in the target folder, and what its checks found."""

    files: dict[str, str]
    checks: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportJob:
    graph: Graph
    model: GraphModule  # eval mode, CPU
    inputs: tuple[InputSpec, ...]  # what the exported file takes
    output: OutputSpec
    stage: Staging
    name: str  # the file name the user asked for
    report: Callable[[str, float], None]  # progress; raises ExportCancelled
    raw: RawInput | None = None  # the preprocessing to put inside; None: prepared input

    @property
    def exported(self) -> torch.nn.Module:
        """The module the file holds: the graph, behind `Prepare` when input is raw."""
        if self.raw is None:
            return self.model
        return RawInputModel(self.raw.module(), self.model).eval()

    def prepared(self, inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        """What the graph itself receives for `inputs` (the exported module's input)."""
        if self.raw is None:
            return inputs
        with torch.no_grad():
            return (self.raw.module()(inputs[0]),)

    def example(self, batch: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
        """Random inputs of `batch` samples; token ids stay below the smallest vocabulary;
        raw pixels are whole values 0..255, raw columns spread as the data's."""
        generator = torch.Generator().manual_seed(seed)
        if self.raw is not None:
            return (self.raw.example(batch, generator),)
        vocab = min((node.params["vocab_size"] for node in self.graph.nodes_of_type("Embedding")),
                    default=2)
        return tuple(
            torch.randint(0, vocab, (batch, *spec.shape), generator=generator)
            if spec.dtype == "int64" else torch.randn((batch, *spec.shape), generator=generator)
            for spec in self.inputs)

    def reference(self, inputs: tuple[torch.Tensor, ...]) -> np.ndarray:
        """The graph's own output, the standard every export is held to; raw input goes
        through training's preprocessing (`dlstudio.data.preprocess`) first."""
        try:
            if self.raw is not None:
                inputs = (self.raw.as_in_training(inputs[0]),)
            with torch.no_grad():
                return self.model(*inputs).numpy()
        except RuntimeError as error:
            raise ExportError(f"the model does not run on a sample input: "
                              f"{root_reason(error)}") from None

    def check_preparation(self) -> dict[str, Any]:
        """The preprocessing inside against `dlstudio.data.preprocess`, tensor for tensor,
        before the network: a wrong step shows here even where the outputs barely move."""
        assert self.raw is not None
        worst = 0.0
        for seed, batch in enumerate(CHECK_BATCHES, start=1):
            (raw,) = self.example(batch, seed)
            got, want = self.prepared((raw,))[0].numpy(), self.raw.as_in_training(raw).numpy()
            if got.shape != want.shape or not np.all(
                    np.abs(got - want) <= TOLERANCE * (1 + np.abs(want))):
                diff = float(np.max(np.abs(got - want))) if got.shape == want.shape else \
                    float("inf")
                raise ExportError(f"the preprocessing inside the export does not match "
                                  f"training's (dlstudio.data.preprocess): differs by up to "
                                  f"{diff:.3g} (allowed {TOLERANCE:g})")
            worst = max(worst, float(np.max(np.abs(got - want), initial=0.0)))
        return {"against": "dlstudio.data.preprocess", "batches": list(CHECK_BATCHES),
                "max_abs_diff": worst, "tolerance": TOLERANCE, "passed": True}

    def compare(self, what: str, runs: dict[int, tuple[np.ndarray, np.ndarray]]
                ) -> dict[str, Any]:
        """Check `{batch: (exported output, PyTorch output)}`; refuse on any mismatch."""
        worst = 0.0
        for batch, (got, want) in runs.items():
            if got.shape != want.shape:
                raise ExportError(f"{what} gives shape {got.shape} for a batch of {batch}, "
                                  f"PyTorch gives {want.shape}")
            if not np.all(np.abs(got - want) <= TOLERANCE * (1 + np.abs(want))):
                diff = float(np.max(np.abs(got - want)))
                raise ExportError(f"{what} does not compute what PyTorch computes: outputs "
                                  f"differ by up to {diff:.3g} for a batch of {batch} "
                                  f"(allowed {TOLERANCE:g})")
            worst = max(worst, float(np.max(np.abs(got - want), initial=0.0)))
        found = {"batches": sorted(runs), "max_abs_diff": worst, "tolerance": TOLERANCE,
                 "passed": True}
        if self.raw is not None:
            found["against"] = ("raw input -> dlstudio.data.preprocess -> the graph "
                                "(as dlstudio predict runs it)")
        return found
