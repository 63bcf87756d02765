"""`export_model`: a graph and its weights to ONNX, TorchScript, a state_dict or source.

Every export is checked before it is kept (the ONNX file in onnxruntime, the TorchScript
file reloaded, the source run with its weights), written with a model card beside it,
and moved into place only when everything succeeded (see staging.py). The exported model
is the graph's `forward`: it ends with the graph's final Softmax/Sigmoid, so it outputs
probabilities, as the canvas shows, not the logits the trainer's loss takes. Given the
run's `DataInfo`, ONNX, TorchScript and source exports take raw input (pixel values
0..255, the data's own columns) and do the training's preprocessing inside (raw_input.py);
`input_form="prepared"` keeps the input the graph itself takes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from dlstudio.compile import CompileError, GraphModule, compile_graph
from dlstudio.data.info import DataInfo
from dlstudio.export.card import (
    InputSpec,
    OutputSpec,
    build_card,
    card_path_for,
    card_text,
)
from dlstudio.export.errors import ExportCancelled, ExportError
from dlstudio.export.job import ExportJob, Written
from dlstudio.export.onnx_format import write_onnx
from dlstudio.export.raw_input import INPUT_FORMS, RawInput, plan_input
from dlstudio.export.staging import Staging, StagingError
from dlstudio.export.torch_formats import write_python, write_state_dict, write_torchscript
from dlstudio.graph import Graph

Progress = Callable[[str, float], None]
Cancel = Callable[[], bool]

WRITERS: dict[str, Callable[[ExportJob], Written]] = {
    "onnx": write_onnx, "torchscript": write_torchscript,
    "state_dict": write_state_dict, "python": write_python,
}
FORMATS = tuple(WRITERS)
RUNNABLE = ("onnx", "torchscript", "python")  # formats that run the model: raw input fits


@dataclass(frozen=True)
class ExportResult:
    """Where the export went and what was verified (`checks` is also in the card)."""

    path: Path
    card_path: Path
    files: tuple[Path, ...]
    checks: dict[str, Any]
    seconds: float
    input_form: dict[str, Any] = field(default_factory=dict)  # the card's `input`


def export_model(graph: Graph, state_dict: Mapping[str, torch.Tensor] | None, fmt: str,
                 path: str | Path, *, card_extra: Mapping[str, Any] | None = None,
                 progress: Progress | None = None, cancel: Cancel | None = None,
                 seed: int = 0, data_info: DataInfo | None = None,
                 input_form: str = "raw") -> ExportResult:
    """Export `graph` with `state_dict` (None: fresh weights from `seed`) as `fmt` to `path`.

    With `data_info` (the run's), `input_form` "raw" puts its preprocessing inside the
    model; "prepared", or no `data_info`, exports the graph's own input. The card's
    `input` says which.

    `progress(message, fraction)` hears each stage; `cancel()` returning True stops the
    export between stages (ExportCancelled). Any refusal is an ExportError that names the
    problem (a node, a file, a missing package); nothing is left behind on failure.
    """
    start = time.perf_counter()
    target = _check_target(fmt, Path(path))
    if input_form not in INPUT_FORMS:
        raise ExportError(f"unknown input form {input_form!r}; choose one of "
                          f"{', '.join(INPUT_FORMS)}")

    def report(message: str, fraction: float) -> None:
        if cancel is not None and cancel():
            raise ExportCancelled(f"export to {target} cancelled; nothing was written")
        if progress is not None:
            progress(message, fraction)

    try:
        with Staging(target.parent) as stage:  # checks the folder before any work
            report("building the model", 0.0)
            model = build_model(graph, state_dict, seed)
            inputs = _input_specs(graph, model)
            output = _output_spec(graph, model, inputs)
            raw, said = _input_form(fmt, data_info, inputs, input_form)
            if raw is not None:
                inputs = (replace(inputs[0], shape=raw.shape),)
            job = ExportJob(graph, model, inputs, output, stage, target.name, report, raw)
            prepared = job.check_preparation() if raw is not None else None
            written = WRITERS[fmt](job)
            if prepared is not None:
                written.checks["preprocessing_inside"] = prepared
            report("writing the model card", 0.95)
            card = build_card(fmt, written.files, inputs, output,
                              sum(p.numel() for p in model.parameters()), written.checks,
                              card_extra, input_form := _card_input(raw, said))
            card_file = card_path_for(target)
            stage.path(card_file.name).write_text(card_text(card), encoding="utf-8")
            report("moving the files into place", 0.98)
            files = stage.commit(last=card_file.name)  # the card says the rest is there
    except StagingError as error:
        raise ExportError(str(error)) from None
    except OSError as error:
        raise ExportError(f"cannot write {target}: {error.strerror or error}") from None
    if progress is not None:
        progress(f"wrote {target}", 1.0)
    return ExportResult(target, card_file, tuple(files), written.checks,
                        time.perf_counter() - start, input_form)


def _input_form(fmt: str, info: DataInfo | None, inputs: tuple[InputSpec, ...], form: str
                ) -> tuple[RawInput | None, str]:
    """The raw-input plan (None: prepared input) and the card's sentence for it."""
    if fmt not in RUNNABLE:
        return None, ("weights only: a state_dict holds no preprocessing; the network it "
                      "loads into takes input prepared as in training (see `preprocessing`)")
    return plan_input(info, inputs, form)


def _card_input(raw: RawInput | None, said: str) -> dict[str, Any]:
    if raw is None:
        return {"form": "prepared", "description": said}
    return {"form": "raw", "description": said, "shape": list(raw.shape),
            "dtype": "float32", "preprocessing_inside": raw.steps()}


def build_model(graph: Graph, state_dict: Mapping[str, torch.Tensor] | None,
                seed: int = 0) -> GraphModule:
    """The compiled graph in eval mode on the CPU, with `state_dict` or seeded weights."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            model = compile_graph(graph)
        except CompileError as error:
            raise ExportError(f"cannot export: {error}") from None
    if state_dict is not None:
        _load_weights(model, state_dict)
    return model.eval()


def _load_weights(model: GraphModule, state_dict: Mapping[str, torch.Tensor]) -> None:
    """The weights must fit the graph exactly: a name or shape that differs is named."""
    own = model.state_dict()
    missing = [key for key in own if key not in state_dict]
    extra = [key for key in state_dict if key not in own]
    wrong = [f"{key} is {tuple(state_dict[key].shape)}, the graph needs {tuple(value.shape)}"
             for key, value in own.items()
             if key in state_dict and tuple(state_dict[key].shape) != tuple(value.shape)]
    problems = ([f"missing {', '.join(missing[:5])}"] if missing else []) \
        + ([f"not in the graph: {', '.join(extra[:5])}"] if extra else []) + wrong[:5]
    if problems:
        raise ExportError("the weights do not fit the graph: " + "; ".join(problems))
    model.load_state_dict({key: value.detach().cpu() for key, value in state_dict.items()})


def _check_target(fmt: str, path: Path) -> Path:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "python" and path.suffix != ".py":
        raise ExportError(f"a python export is a .py file (its weights go beside it as .pt); "
                          f"got {path.name!r}")
    if path.is_dir():
        raise ExportError(f"cannot export to {path}: it is a folder; give a file name")
    return path.absolute()


def _input_specs(graph: Graph, model: GraphModule) -> tuple[InputSpec, ...]:
    kinds = {node.name: node.params["kind"] for node in graph.nodes_of_type("Input")}
    return tuple(InputSpec(name, kinds[name], tuple(shape))
                 for name, shape in zip(model.input_names, model.input_shapes, strict=True))


def _output_spec(graph: Graph, model: GraphModule, inputs: tuple[InputSpec, ...]) -> OutputSpec:
    (output,) = graph.nodes_of_type("Output")
    edge = graph.edge_into(output.id, "in")
    last = graph.nodes[edge.src].type if edge is not None else "Output"
    name = "probabilities" if last in ("Softmax", "Sigmoid") else "output"
    while name in {spec.name for spec in inputs}:
        name += "_out"
    return OutputSpec(name, tuple(model.output_shape), last)
