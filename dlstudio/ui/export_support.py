"""What the export dialog runs and says, apart from its widgets: the formats it offers,
the worker that runs a blocking call off the GUI thread, and the outcome in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from dlstudio.export import (
    ExportCancelled,
    ExportError,
    ExportResult,
    card_path_for,
    export_model,
    graph_differences,
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


def run_export(graph: Graph, state: dict[str, Any] | None, fmt: str, target: Path,
               extra: dict[str, Any], cancel: Callable[[], bool],
               progress: Progress) -> ExportResult:
    """`export_model` with the worker's progress callback as the last argument."""
    return export_model(graph, state, fmt, target, card_extra=extra, progress=progress,
                        cancel=cancel, seed=SEED)


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
    passed = checks_text(result.checks)
    if passed:
        lines.append("Checks passed: " + "; ".join(passed) + ".")
    return "\n".join(lines)


def checks_text(checks: dict[str, Any]) -> list[str]:
    """The card's checks in words, e.g. 'onnxruntime gives PyTorch's output ...'."""
    found = []
    for key, value in checks.items():
        name = CHECK_NAMES.get(key, key)
        if isinstance(value, dict) and "max_abs_diff" in value:
            batches = " and ".join(str(b) for b in value["batches"])
            found.append(f"{name} gives PyTorch's output for batches of {batches} "
                         f"(largest difference {value['max_abs_diff']:.1g})")
        elif value == "passed":
            found.append(name if key == "weights_only_load" else f"{name} passed")
    return found
