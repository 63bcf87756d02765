"""ONNX export: torch's exporter, then `onnx.checker`, then onnxruntime against PyTorch.

Uses the torch.export-based ("dynamo") exporter, torch's default since 2.9: the older
TorchScript-based one still works in torch 2.13 but warns that it will be removed. It
needs the `onnx` and `onnxscript` packages; the check needs `onnxruntime`. The batch axis
of every input and of the output is dynamic and named "batch".
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator
from importlib.util import find_spec
from typing import Any

import torch

from dlstudio.export.diagnose import explain_failure
from dlstudio.export.errors import ExportError, root_reason
from dlstudio.export.job import CHECK_BATCHES, EXPORT_BATCH, ExportJob, Written
from dlstudio.graph import Graph, format_shape, infer_shapes
from dlstudio.graph.layers.pooling import drops_last_window

OPSET = 18  # the dynamo exporter's native opset (the issue asks for 17 or newer)
BATCH_AXIS = "batch"
POOLS_WITH_CEIL_MODE = ("MaxPool2d", "AvgPool2d", "MaxPool1d", "AvgPool1d")
NEEDED = {"onnx": "to write ONNX", "onnxscript": "to write ONNX",
          "onnxruntime": "to check the ONNX file"}


def missing_packages() -> list[str]:
    """The ONNX packages that are not installed (the other formats need none of them)."""
    return [name for name in NEEDED if find_spec(name) is None]


def write_onnx(job: ExportJob) -> Written:
    missing = missing_packages()
    if missing:
        why = "; ".join(f"{name} {NEEDED[name]}" for name in missing)
        raise ExportError(f"ONNX export needs the Python package(s) {', '.join(missing)} "
                          f"({why}): pip install {' '.join(missing)}")
    import onnx

    refuse_what_onnx_lacks(job.graph)
    job.report("exporting to ONNX", 0.1)
    input_names = [spec.name for spec in job.inputs]
    example = job.example(EXPORT_BATCH)
    try:
        program = to_onnx(job.exported, example, input_names, job.output.name)
    except Exception as error:  # torch reports export failures with many error types
        job.report("looking for the layer that cannot be exported", 0.3)
        raise ExportError(explain_failure(job, job.prepared(example), error, to_onnx)) \
            from None
    job.report("saving the ONNX file", 0.5)
    path = job.stage.path(job.name)
    program.save(str(path), external_data=False)  # torch moves weights > 2 GB out anyway
    job.report("checking it with onnx.checker", 0.6)
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        raise ExportError(f"the ONNX file fails onnx.checker: {root_reason(error)}") from None
    header = onnx.load(str(path), load_external_data=False)
    job.report("running it in onnxruntime", 0.75)
    runs = _run_in_onnxruntime(job, str(path), input_names)
    checks = {
        "exporter": f"torch.onnx.export (dynamo), torch {torch.__version__}",
        "opset": max(op.version for op in header.opset_import if op.domain in ("", "ai.onnx")),
        "dynamic_axes": {name: {0: BATCH_AXIS} for name in [*input_names, job.output.name]},
        "onnx_checker": "passed",
        "onnxruntime": job.compare("the ONNX model (onnxruntime)", runs),
    }
    files = {"model": job.name}
    if job.stage.path(f"{job.name}.data").exists():  # torch's choice for weights over 2 GB
        files["external_data"] = f"{job.name}.data"
    return Written(files, checks)


def refuse_what_onnx_lacks(graph: Graph) -> None:
    """Refuse, before exporting, a layer ONNX cannot express, in one line naming it.

    ONNX has no adaptive max pooling: torch exports one only when each output cell is an
    evenly sized window, that is when the output size divides the input size. And with
    ceil_mode, ONNX keeps a last window that starts in the right padding, which PyTorch
    drops."""
    shapes = infer_shapes(graph).input_shapes
    for node in graph.nodes.values():
        if node.id not in shapes:  # not wired in: not part of the exported model
            continue
        shape = shapes[node.id][0] if shapes[node.id] else ()
        where = f'ONNX export cannot express {node.type} node "{node.name}"'
        if node.type == "AdaptiveMaxPool2d":
            size = node.spec.recipe(node.params, [shape]).kwargs["output_size"]
            if any(n % out for n, out in zip(shape[1:], size, strict=True)):
                raise ExportError(
                    f"{where}: ONNX has no adaptive max pooling, and its output size "
                    f"{format_shape(size)} does not divide its input "
                    f"{format_shape(shape[1:])}; choose an output size that does (1, 1 "
                    "always does), or use AdaptiveAvgPool2d")
        if node.type in POOLS_WITH_CEIL_MODE and drops_last_window(node.params, shape):
            raise ExportError(
                f"{where}: with ceil_mode on its input {format_shape(shape)}, PyTorch drops "
                "a last window that starts in the padding and ONNX keeps it; change the "
                "padding or the input size, or switch ceil_mode off")


def to_onnx(module: torch.nn.Module, example: tuple[torch.Tensor, ...],
            input_names: list[str], output_name: str) -> Any:
    """`module(*inputs)` as an ONNXProgram with a free batch axis on every tensor."""
    batch = torch.export.Dim(BATCH_AXIS)
    with quiet_exporter():
        return torch.onnx.export(
            module, example, None, input_names=input_names, output_names=[output_name],
            opset_version=OPSET, dynamo=True, verbose=False,
            # forward(*inputs): one group for the star argument, one entry per tensor
            dynamic_shapes=(tuple({0: batch} for _ in example),),
        )


@contextlib.contextmanager
def quiet_exporter() -> Iterator[None]:
    """torch's exporter logs and warns about its own internals (missing torchvision ops,
    deprecations); none of it is the user's business, and the CLI's stderr stays clean."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _run_in_onnxruntime(job: ExportJob, path: str, input_names: list[str]) -> dict[int, Any]:
    import onnxruntime

    try:
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types
        raise ExportError(f"onnxruntime cannot load the ONNX file: {root_reason(error)}") \
            from None
    runs = {}
    for seed, batch in enumerate(CHECK_BATCHES, start=1):
        inputs = job.example(batch, seed)
        feeds = {name: tensor.numpy() for name, tensor in zip(input_names, inputs, strict=True)}
        try:
            (got,) = session.run(None, feeds)
        except Exception as error:
            raise ExportError(f"onnxruntime cannot run the ONNX model on a batch of {batch}: "
                              f"{root_reason(error)}") from None
        runs[batch] = (got, job.reference(inputs))
    return runs
