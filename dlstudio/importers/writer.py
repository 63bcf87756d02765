"""Save an import: NAME.dlstudio (the graph) and, with weights, NAME.pt beside it.

NAME.pt is a regular checkpoint at epoch 0 with no history, so `predict`, `export
--checkpoint` and the app read it like any other; the project's training settings name
it (`weights`), so training in the app starts from the imported weights. Each file is
written atomically; the checkpoint first, so a project never names a missing file.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from dlstudio.compile import CompileError, compile_graph
from dlstudio.data import DataError, DataInfo
from dlstudio.graph.project import Project, ProjectError, save_project
from dlstudio.importers.errors import ModelImportError
from dlstudio.importers.imported import ImportedModel
from dlstudio.train.checkpoint import save_checkpoint
from dlstudio.train.settings import TrainSettings

SUFFIX = ".dlstudio"


def weights_path_for(project_path: Path) -> Path:
    return Path(project_path).with_suffix(".pt")


def write_imported(model: ImportedModel, project_path: Path) -> tuple[Path, Path | None]:
    """Write the project and (when the model has weights) its checkpoint; their paths.
    Existing files are replaced whole, as `export` does."""
    project_path = Path(project_path)
    if project_path.suffix != SUFFIX:
        raise ModelImportError(f"a project file ends in {SUFFIX}; got {project_path.name!r}")
    if project_path.is_dir() or not project_path.parent.is_dir():
        raise ModelImportError(f"cannot write {project_path}: "
                               + ("it is a folder" if project_path.is_dir()
                                  else "its folder does not exist"))
    weights = weights_path_for(project_path) if model.state else None
    training = {"weights": weights.name} if weights else {}
    project = Project(graph=model.graph, name=project_path.stem, training=training,
                      notes=f"Imported from {model.source}.\n" + "\n".join(model.notes))
    created = weights is not None and not weights.exists()
    if weights is not None:
        try:
            save_checkpoint(weights, graph=model.graph, settings=TrainSettings(),
                            data_info=data_info_for(model, project_path.stem),
                            model_state=model.state, optimizer_state={}, history=[], epoch=0)
        except OSError as error:
            raise _write_error(weights, error) from None
    try:
        save_project(project, project_path)
    except (ProjectError, OSError) as error:
        if created and weights is not None:
            with contextlib.suppress(OSError):
                weights.unlink()
        raise _write_error(project_path, error) from None
    return project_path, weights


def _write_error(path: Path, error: Exception) -> ModelImportError:
    """Names the file that could not be written: the weights fail on their own path."""
    return ModelImportError(f"cannot write {path}: "
                            f"{getattr(error, 'strerror', None) or error}")


def data_info_for(model: ImportedModel, name: str) -> DataInfo:
    """What the checkpoint says about the data: the first Input's kind and shape, and
    numbered classes (a classifier) or the output's shape (a regression). No
    normalisation: an imported model is fed its inputs as they come."""
    graph = model.graph
    first = graph.nodes_of_type("Input")[0]
    (output,) = graph.nodes_of_type("Output")
    try:
        shape = compile_graph(graph).output_shape
    except CompileError as error:
        raise ModelImportError(f"the imported graph does not build: {error}") from None
    kind, input_shape = first.params["kind"], tuple(first.params["shape"])
    try:
        if output.params["loss"] == "cross_entropy":
            return DataInfo(name, kind, "classification", input_shape,
                            class_names=tuple(str(i) for i in range(shape[-1])),
                            source=model.source)
        return DataInfo(name, kind, "regression", input_shape, target_shape=tuple(shape),
                        source=model.source)
    except DataError as error:
        raise ModelImportError(f"the imported model cannot be described for prediction: "
                               f"{error}") from None
