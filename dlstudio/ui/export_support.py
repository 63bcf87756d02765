"""What the export dialog runs and says, apart from its widgets: the formats it offers,
the worker that runs a blocking call off the GUI thread, and the outcome in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QPalette, QStandardItemModel
from PySide6.QtWidgets import QComboBox, QLabel, QStyle

from dlstudio.data.info import DataInfo
from dlstudio.export import (
    FORMATS,
    ExportCancelled,
    ExportError,
    ExportResult,
    card_path_for,
    export_model,
    graph_differences,
    run_facts,
)
from dlstudio.graph import Graph, infer_shapes
from dlstudio.train.checkpoint import Checkpoint, CheckpointError, load_checkpoint

SEED = 0
# Stages with no progress inside them: the bar goes indeterminate while they run.
BUSY_STAGES = ("exporting to ONNX", "looking for the layer")
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class FormatChoice:
    title: str
    file_name: str  # "{name}" is the project's name
    file_filter: str
    description: str


CHOICES: dict[str, FormatChoice] = {
    "onnx": FormatChoice("ONNX", "{name}.onnx", "ONNX models (*.onnx)",
                         "One .onnx file (opset 18, any batch size) for onnxruntime or any "
                         "ONNX runtime."),
    "torchscript": FormatChoice("TorchScript", "{name}_torchscript.pt",
                                "TorchScript files (*.pt *.pth)",
                                "A traced TorchScript file: torch.jit.load(FILE) runs it, "
                                "no DL Studio needed."),
    "state_dict": FormatChoice("state_dict (weights only)", "{name}_weights.pt",
                               "PyTorch weights (*.pt *.pth)",
                               "The weights alone, for model.load_state_dict(torch.load(FILE, "
                               "weights_only=True))."),
    "python": FormatChoice("PyTorch source", "{name}.py", "Python files (*.py)",
                           "A .py file with a class Model that needs only torch, and its "
                           "weights beside it as a .pt file of the same name."),
}
MESSAGE_ICONS = {"error": QStyle.StandardPixmap.SP_MessageBoxCritical,
                 "info": QStyle.StandardPixmap.SP_MessageBoxInformation,
                 "success": QStyle.StandardPixmap.SP_DialogApplyButton}
# The input box: what the exported model takes (raw is the default; see docs/export.md).
INPUT_CHOICES = (("Raw: what the data holds", "raw"),
                 ("Prepared as in training (already scaled and normalised)", "prepared"))
RAW_VALUES = {"image": "pixel values 0–255", "vector": "the CSV's own columns",
              "sequence": "the CSV's own columns", "tokens": "token ids"}
CHECK_NAMES = {"onnx_checker": "onnx.checker", "onnxruntime": "onnxruntime",
               "torch_jit_load": "torch.jit.load", "outputs": "the generated source",
               "weights_only_load": "torch.load(weights_only=True) gives every tensor back"}


class Worker(QObject):
    """Runs one blocking call on a worker thread; results come back as queued signals."""

    progressed = Signal(str, float)
    succeeded = Signal(object)
    failed = Signal(str, bool)  # message, cancelled

    def __init__(self, work: Callable[[Progress], Any]) -> None:
        super().__init__()
        self._work = work

    @Slot()
    def run(self) -> None:
        try:
            result = self._work(self.progressed.emit)
        except ExportCancelled as error:
            self.failed.emit(str(error), True)
        except (ExportError, CheckpointError) as error:
            self.failed.emit(str(error), False)
        except Exception as error:  # a bug must reach the user as a message, not kill the app
            self.failed.emit(f"unexpected {type(error).__name__}: {error}", False)
        else:
            self.succeeded.emit(result)
        finally:
            self.thread().quit()


def file_stem(project_name: str) -> str:
    """The project's name as a file name: letters, digits, '-' and '_' only."""
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in project_name.strip())
    return stem.strip("_") or "model"


def onnx_missing(missing: list[str]) -> str:
    """Why ONNX is greyed out, and the command that fixes it."""
    return f"it needs the Python package(s) {', '.join(missing)}: pip install {' '.join(missing)}"


def graph_problems(graph: Graph) -> list[str]:
    """Every error of the graph, each naming its layer."""
    lines = []
    for problem in infer_shapes(graph).errors:
        node = graph.nodes.get(problem.node_id) if problem.node_id else None
        named = node is None or f'"{node.name}"' in problem.message
        lines.append(problem.message if named else
                     f'{node.type} "{node.name}": {problem.message}')
    return lines


def read_checkpoint(path: Path, graph: Graph, progress: Progress
                    ) -> tuple[Checkpoint, list[str]]:
    """The last run's checkpoint, and how its network differs from the canvas's."""
    checkpoint = load_checkpoint(path)
    return checkpoint, graph_differences(graph, checkpoint.graph,
                                         ("the canvas", "the last run"))


@dataclass(frozen=True)
class Request:
    """What one export is of: graph, weights (None: fresh), card facts, the run's data."""

    graph: Graph
    state: dict[str, Any] | None
    extra: dict[str, Any]
    data_info: DataInfo | None


def trained_request(checkpoint: Checkpoint, path: Path | None) -> Request:
    """The last run's network, weights, facts and DataInfo."""
    extra = run_facts(checkpoint.data_info, checkpoint.history, checkpoint.epoch)
    extra["source"] = {"checkpoint": str(path), "epoch": checkpoint.epoch,
                       "data": checkpoint.settings.data}
    return Request(checkpoint.graph, checkpoint.model_state, extra, checkpoint.data_info)


def fresh_request(graph: Graph, name: str) -> Request:
    return Request(graph, None, {"source": {"graph": name, "weights": f"freshly initialised "
                                            f"with seed {SEED}, not trained"}}, None)


def input_box() -> QComboBox:
    """The Input choice; `raw_choice` words its Raw line for the data at hand."""
    box = QComboBox()
    for text, form_name in INPUT_CHOICES:
        box.addItem(text, form_name)
    return box


def raw_choice(graph: Graph, checkpoint: Checkpoint | None) -> str:
    """The Raw choice in the data's own words: the run's data, else the Input node's kind."""
    if checkpoint is not None and checkpoint.data_info is not None:
        kind = checkpoint.data_info.kind
    else:
        inputs = graph.nodes_of_type("Input")
        kind = str(inputs[0].params.get("kind", "")) if inputs else ""
    values = RAW_VALUES.get(kind)
    return INPUT_CHOICES[0][0] + (f" ({values})" if values else "")


def input_note(fmt: str, trained: bool, form: str) -> str:
    """What the exported model will take, in words, under the input box."""
    if fmt == "state_dict":
        return "Weights only: a state_dict holds no preprocessing."
    if not trained:
        return ("Fresh weights have no training data: the export takes what the Input "
                "node takes.")
    if form == "raw":
        return ("The training's scaling, resizing and normalisation go inside the model; "
                "token ids stay token ids. The model card says what it takes.")
    return "Prepare input as in training first; the model card's preprocessing says how."


def format_box(missing: list[str]) -> tuple[QComboBox, str]:
    """The format choice, ONNX greyed out (with the reason as its tooltip) when its
    packages are `missing`; the box and that reason ("" when ONNX is available)."""
    box = QComboBox()
    model = box.model()
    for index, fmt in enumerate(FORMATS):
        box.addItem(CHOICES[fmt].title, fmt)
        if fmt == "onnx" and missing and isinstance(model, QStandardItemModel):
            model.item(index).setEnabled(False)
            box.setItemText(index, "ONNX (unavailable)")
            box.setItemData(index, onnx_missing(missing), Qt.ItemDataRole.ToolTipRole)
    box.setCurrentIndex(next(i for i, fmt in enumerate(FORMATS)
                             if fmt != "onnx" or not missing))
    return box, onnx_missing(missing) if missing else ""


def note_label() -> QLabel:
    """A wrapped, muted label for the notes under the dialog's fields."""
    label = QLabel()
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)  # muted, in either theme
    return label


def run_export(request: Request, fmt: str, target: Path, input_form: str,
               cancel: Callable[[], bool], progress: Progress) -> ExportResult:
    """`export_model` with the worker's progress callback as the last argument."""
    return export_model(request.graph, request.state, fmt, target, card_extra=request.extra,
                        progress=progress, cancel=cancel, seed=SEED,
                        data_info=request.data_info, input_form=input_form)


def files_of(fmt: str, target: Path) -> list[Path]:
    """The files an export to `target` writes (and would replace)."""
    weights = [target.with_suffix(".pt")] if fmt == "python" else []
    return [target, *weights, card_path_for(target)]


def success_text(result: ExportResult, fmt: str) -> str:
    """Where the export went, file by file, and the checks it passed."""
    lines = [f"Exported in {result.seconds:.1f} s to {result.path.parent}:"]
    for path in result.files:
        if path == result.card_path:
            role = "the model card: inputs, outputs, how to load it"
        elif path == result.path:
            role = "the source" if fmt == "python" else "the model"
        else:
            role = "the weights"
        lines.append(f"  • {path.name}  ({role})")
    if result.input_form:
        lines.append(f"Input: {result.input_form['description']}.")
    passed = checks_text(result.checks)
    if passed:
        lines.append("Checks passed: " + "; ".join(passed) + ".")
    return "\n".join(lines)


def checks_text(checks: dict[str, Any]) -> list[str]:
    """The card's checks in words, e.g. 'onnxruntime gives PyTorch's output ...'."""
    found = []
    for key, value in checks.items():
        name = CHECK_NAMES.get(key, key)
        if key == "preprocessing_inside" and isinstance(value, dict):
            found.append(f"the preprocessing inside matches training's (largest difference "
                         f"{value.get('max_abs_diff', 0.0):.1g})")
        elif isinstance(value, dict) and "max_abs_diff" in value:
            batches = " and ".join(str(b) for b in value["batches"])
            found.append(f"{name} gives PyTorch's output for batches of {batches} "
                         f"(largest difference {value['max_abs_diff']:.1g})")
        elif value == "passed":
            found.append(name if key == "weights_only_load" else f"{name} passed")
    return found
