"""The model card: a small JSON file beside every export saying how to use it.

Whoever receives `model.onnx` also needs to know what goes in (shape, dtype, the
preprocessing the model was trained with), what comes out (probabilities, class names)
and how good it was. The card carries those facts, and one line of code that loads it.
"""

from __future__ import annotations

import json
import keyword
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import dlstudio
from dlstudio.data.info import DataInfo
from dlstudio.export.errors import ExportError

CARD_FORMAT = 1
CARD_SUFFIX = ".card.json"


@dataclass(frozen=True)
class InputSpec:
    """One model input: its name (the Input node's), per-sample shape and dtype."""

    name: str
    kind: str  # the Input node's kind: image, vector, sequence, tokens
    shape: tuple[int, ...]

    @property
    def dtype(self) -> str:
        return "int64" if self.kind == "tokens" else "float32"


@dataclass(frozen=True)
class OutputSpec:
    """The model's one output: what the Output node receives, final activation included."""

    name: str
    shape: tuple[int, ...]
    last_layer: str  # type of the node feeding the Output, e.g. "Softmax"

    @property
    def meaning(self) -> str:
        if self.last_layer == "Softmax":
            return "class probabilities (the graph's final Softmax is part of the model)"
        if self.last_layer == "Sigmoid":
            return "probabilities (the graph's final Sigmoid is part of the model)"
        return f"the values the Output node receives (from a {self.last_layer} layer)"


def card_path_for(path: Path) -> Path:
    """`model.onnx` -> `model.onnx.card.json`: named after the whole file name, so the
    cards of `model.onnx` and `model.pt` in one folder do not overwrite each other."""
    return path.with_name(path.name + CARD_SUFFIX)


def build_card(fmt: str, files: Mapping[str, str], inputs: Sequence[InputSpec],
               output: OutputSpec, parameters: int, checks: Mapping[str, Any],
               extra: Mapping[str, Any] | None = None,
               input_form: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The card's JSON object; `extra` (run facts, a source label) adds or replaces keys.
    `input_form` says whether the model takes raw or prepared input, and what is inside."""
    card: dict[str, Any] = {
        "card_format": CARD_FORMAT,
        "format": fmt,
        "files": dict(files),
        "inputs": [{"name": spec.name, "kind": spec.kind, "shape": list(spec.shape),
                    "dtype": spec.dtype} for spec in inputs],
        "input": dict(input_form) if input_form is not None else None,
        "batch_axis": "axis 0 of every input and of the output; any size",
        "input_shape": list(inputs[0].shape) if len(inputs) == 1 else None,
        "output": {"name": output.name, "shape": list(output.shape),
                   "meaning": output.meaning},
        "output_shape": list(output.shape),
        "parameters": parameters,
        "class_names": None,
        "preprocessing": None,
        "metrics": None,
        "how_to_load": load_line(fmt, files, inputs),
        "checks": dict(checks),
        "dlstudio_version": dlstudio.__version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    card.update(extra or {})
    return card


def card_text(card: Mapping[str, Any]) -> str:
    """The card as JSON text; a value that is not JSON-safe is named."""
    try:
        return json.dumps(card, indent=2, allow_nan=False) + "\n"
    except (TypeError, ValueError) as error:
        raise ExportError(f"the model card cannot be written as JSON: {error}") from None


def load_line(fmt: str, files: Mapping[str, str], inputs: Sequence[InputSpec]) -> str:
    """One line of Python that loads the export (and runs it, where that fits on a line)."""
    model = json.dumps(files.get("model", ""))  # a Python string literal for any file name
    if fmt == "onnx":
        feeds = ", ".join(f"{json.dumps(spec.name)}: {spec.name}" for spec in inputs)
        return (f"onnxruntime.InferenceSession({model}).run(None, {{{feeds}}})[0]"
                f"  # {_arrays(inputs)}")
    if fmt == "torchscript":
        names = ", ".join(spec.name for spec in inputs)
        return f"model = torch.jit.load({model}).eval()  # then model({names})"
    if fmt == "state_dict":
        return (f"model.load_state_dict(torch.load({model}, weights_only=True))"
                "  # model: the class from a python export, or DL Studio's compile_graph")
    source = files.get("source", "model.py")
    module = Path(source).stem
    get_class = f"from {module} import Model" \
        if module.isidentifier() and not keyword.iskeyword(module) \
        else f'Model = runpy.run_path({json.dumps(source)})["Model"]'
    return (f"{get_class}; model = Model(); model.load_state_dict(torch.load("
            f"{json.dumps(files.get('weights', ''))}, weights_only=True)); model.eval()")


def _arrays(inputs: Sequence[InputSpec]) -> str:
    return "; ".join(f"{spec.name}: numpy {spec.dtype} array of shape "
                     f"(batch, {', '.join(map(str, spec.shape))})" for spec in inputs)


def run_facts(data_info: DataInfo | None, history: Sequence[Any] | None = None,
              epoch: int | None = None) -> dict[str, Any]:
    """Card keys from a training run: class names, preprocessing and the metrics of
    `epoch` (the checkpoint's; the last epoch when None).

    History entries are `EpochStats` or their JSON form (dicts with `epoch`, `train`,
    `val`), as checkpoints and run folders keep them.
    """
    facts: dict[str, Any] = {}
    if data_info is not None:
        facts["class_names"] = list(data_info.class_names) or None
        facts["preprocessing"] = data_info.to_dict()
    entries = [_entry(item) for item in history or ()]
    if entries:
        chosen = next((e for e in entries if e.get("epoch") == epoch), entries[-1])
        facts["metrics"] = {"epoch": chosen.get("epoch"), "epochs_trained": len(entries),
                            "train": _numbers(chosen.get("train")),
                            "val": _numbers(chosen.get("val"))}
    return facts


def _numbers(values: Any) -> dict[str, float | None]:
    """Metric values for JSON: a NaN or infinity (a diverged run) becomes null."""
    if not isinstance(values, Mapping):
        return {}
    return {str(key): float(value) if math.isfinite(value) else None
            for key, value in values.items() if isinstance(value, (int, float))}


def _entry(item: Any) -> Mapping[str, Any]:
    if isinstance(item, Mapping):
        return item
    return {key: getattr(item, key, None) for key in ("epoch", "train", "val")}
