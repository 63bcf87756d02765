"""The PyTorch formats: TorchScript, a plain state_dict, and source code + state_dict.

Each file is read back the way its user will read it (torch.jit.load, torch.load with
weights_only=True, the source executed with its weights loaded strictly) and compared
with the graph's own output before the export is kept.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch

from dlstudio.compile import CompileError, generate_source
from dlstudio.export.errors import ExportError, root_reason
from dlstudio.export.job import CHECK_BATCHES, EXPORT_BATCH, ExportJob, Written
from dlstudio.export.raw_source import raw_input_source

CLASS_NAME = "Model"


def write_torchscript(job: ExportJob) -> Written:
    """Traced, not scripted: the compiled module's step loop is plain Python that tracing
    unrolls into a fixed graph of layer calls; the batch axis stays free."""
    job.report("tracing the model for TorchScript", 0.1)
    path = job.stage.path(job.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # jit deprecation notes and LSTM tracer hints
        try:
            traced = torch.jit.trace(job.exported, job.example(EXPORT_BATCH),
                                     check_trace=False)
        except (RuntimeError, TypeError) as error:
            raise ExportError(f"the model cannot be traced for TorchScript: "
                              f"{root_reason(error)}") from None
        job.report("saving the TorchScript file", 0.5)
        torch.jit.save(traced, str(path))
        job.report("loading it back with torch.jit.load", 0.7)
        loaded = torch.jit.load(str(path)).eval()
    runs = {}
    for seed, batch in enumerate(CHECK_BATCHES, start=1):
        inputs = job.example(batch, seed)
        with torch.no_grad():
            runs[batch] = (loaded(*inputs).numpy(), job.reference(inputs))
    checks = {"method": f"torch.jit.trace, torch {torch.__version__}",
              "torch_jit_load": job.compare("the TorchScript model", runs)}
    return Written({"model": job.name}, checks)


def write_state_dict(job: ExportJob) -> Written:
    job.report("saving the state_dict", 0.2)
    path = job.stage.path(job.name)
    state = job.model.state_dict()
    torch.save(state, path)
    job.report("loading it back", 0.6)
    checks = {"tensors": len(state), "weights_only_load": _reload_matches(state, path)}
    return Written({"model": job.name}, checks)


def write_python(job: ExportJob) -> Written:
    """`model.py` (a class `Model` that needs only torch) and `model.pt`, its state_dict.
    With raw input, `Model` is the graph's class (`Network`) with `prepare` in front."""
    job.report("writing the PyTorch source", 0.1)
    try:
        source = generate_source(job.graph, CLASS_NAME) if job.raw is None \
            else raw_input_source(job.graph, job.raw, CLASS_NAME)
    except CompileError as error:
        raise ExportError(f"cannot write the source: {error}") from None
    weights_name = Path(job.name).with_suffix(".pt").name
    source_path, weights_path = job.stage.path(job.name), job.stage.path(weights_name)
    source_path.write_text(source, encoding="utf-8")
    state = job.model.state_dict()
    torch.save(state, weights_path)
    job.report("running the source with its weights", 0.5)
    model = _run_source(source, str(source_path), weights_path)
    runs = {}
    for seed, batch in enumerate(CHECK_BATCHES, start=1):
        inputs = job.example(batch, seed)
        with torch.no_grad():
            runs[batch] = (model(*inputs).numpy(), job.reference(inputs))
    checks = {"source_lines": source.count("\n"), "class": CLASS_NAME,
              "weights_only_load": _reload_matches(state, weights_path),
              "load_state_dict": "strict",
              "outputs": job.compare("the generated source", runs)}
    return Written({"source": job.name, "weights": weights_name}, checks)


def _reload_matches(state: dict[str, torch.Tensor], path: Path) -> str:
    """torch.load(weights_only=True) gives back every tensor, bit for bit."""
    loaded = torch.load(path, weights_only=True)
    if set(loaded) != set(state) or not all(torch.equal(loaded[k], v) for k, v in state.items()):
        raise ExportError(f"{path.name} does not load back to the same weights")
    return "passed"


def _run_source(source: str, filename: str, weights: Path) -> Any:
    """Execute the generated file as its own module and load the weights strictly."""
    namespace: dict[str, Any] = {"__name__": "dlstudio_exported_model"}
    try:
        exec(compile(source, filename, "exec"), namespace)  # our own generated code
        model = namespace[CLASS_NAME]()
        model.load_state_dict(torch.load(weights, weights_only=True), strict=True)
    except Exception as error:  # a generator bug must refuse the export, not ship it
        raise ExportError(f"the generated source does not rebuild the model: "
                          f"{root_reason(error)}") from None
    return model.eval()
