"""The layer types added for real models (attention, adaptive pooling, Upsample, GroupNorm,
PReLU, ...) in two small graphs that use each of them with parameters off their defaults,
exported in every format: ONNX matches PyTorch in onnxruntime to 1e-5 at any batch size,
TorchScript and the generated source give the same outputs; and the one layer ONNX cannot
always express is refused with one line naming the node."""

from __future__ import annotations

from pathlib import Path

import onnxruntime
import pytest
import torch

from dlstudio.export import build_model, export_model
from dlstudio.export.errors import ExportError
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template
from dlstudio.graph.templates.builder import Builder

ATOL = 1e-5
SUFFIXES = {"onnx": ".onnx", "torchscript": ".ts", "state_dict": ".pt", "python": ".py"}
# The types added with this file; the first test checks that the graphs use each one.
NEW_TYPES = {
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Upsample", "Dropout2d", "GroupNorm",
    "InstanceNorm2d", "PReLU", "Hardswish", "Hardsigmoid", "ReLU6", "Softplus", "Mish",
    "LogSoftmax", "Identity", "MaxPool1d", "AvgPool1d", "Permute", "Select",
    "MultiheadAttention", "TransformerEncoderLayer", "PositionEmbedding",
}


def image_graph() -> Graph:
    """Conv, GroupNorm, per-channel PReLU, pooling with ceil_mode, InstanceNorm, nearest
    and bilinear Upsample, both adaptive pools joined by Add, then a LogSoftmax head."""
    b = Builder()
    b.add("Input", "image", kind="image", shape=(3, 9, 9))
    b.add("Conv2d", "conv", filters=4, kernel_size=3, padding=1)
    b.add("GroupNorm", "group_norm", num_groups=2, eps=1e-3)
    b.add("PReLU", "prelu", per_channel=True, init=0.1)
    b.add("Hardswish", "hardswish")
    b.add("Dropout2d", "drop2d", rate=0.3)
    b.add("MaxPool2d", "max_ceil", kernel_size=3, stride=2, padding=1, ceil_mode=True)
    b.add("InstanceNorm2d", "instance_norm", affine=True, track_running_stats=True)
    b.add("Upsample", "up_nearest", scale_factor=1.5)
    b.add("Hardsigmoid", "hardsigmoid")
    b.add("AvgPool2d", "avg_ceil", kernel_size=3, stride=2, padding=1, ceil_mode=True,
          count_include_pad=False)
    split = b.add("Upsample", "up_bilinear", size=(8, 6), mode="bilinear", align_corners=True)
    average = b.add("AdaptiveAvgPool2d", "adaptive_avg", output_size=(3, 5))
    b.add("AdaptiveMaxPool2d", "adaptive_max", output_size=(4, 3), after=split)
    widened = b.add("Upsample", "widen", size=(3, 5))
    join = b.add("Add", "join", after=average)
    b.wire(widened, join, "in2")
    b.add("ReLU6", "relu6")
    b.add("Flatten", "flatten")
    b.add("Mish", "mish")
    b.add("Softplus", "softplus", beta=2.0, threshold=5.0)
    b.add("Identity", "identity")
    b.add("Dense", "fc", units=5)
    b.add("LogSoftmax", "log_probs")
    b.add("Output", "output", loss="mse")
    return b.graph


def sequence_graph() -> Graph:
    """Sequence pooling through Permute, self-attention, a post-norm and a pre-norm
    encoder layer, the last step, a tanh-GELU and a softmax classifier."""
    b = Builder()
    b.add("Input", "series", kind="sequence", shape=(7, 8))
    b.add("Permute", "to_channels", dims=(1, 0))
    b.add("MaxPool1d", "max1d", kernel_size=2, ceil_mode=True)
    b.add("AvgPool1d", "avg1d", kernel_size=3, stride=1, padding=1, count_include_pad=False)
    b.add("Permute", "to_steps", dims=(1, 0))
    b.add("PositionEmbedding", "positions")
    b.add("MultiheadAttention", "attention", num_heads=2, dropout=0.1)
    b.add("TransformerEncoderLayer", "post_norm", nhead=4, dim_feedforward=16)
    b.add("TransformerEncoderLayer", "pre_norm", nhead=2, dim_feedforward=12,
          activation="gelu", norm_first=True, bias=False, layer_norm_eps=1e-6)
    b.add("Select", "last_step", axis=0, index=-1)
    b.add("GELU", "gelu", approximate="tanh")
    b.add("Dense", "fc", units=3)
    b.classifier_end()
    return b.graph


GRAPHS = {"image": image_graph, "sequence": sequence_graph}


def inputs_for(graph: Graph, batch: int, seed: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randn((batch, *node.params["shape"]), generator=generator)
                 for node in graph.nodes_of_type("Input"))


def test_the_graphs_use_every_new_type() -> None:
    used = {node.type for make in GRAPHS.values() for node in make().nodes.values()}
    assert used >= NEW_TYPES


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("name", GRAPHS)
def test_new_layers_export_in_every_format_and_match(name: str, tmp_path: Path) -> None:
    graph = GRAPHS[name]()
    results = {fmt: export_model(graph, None, fmt, tmp_path / f"model{suffix}", seed=5)
               for fmt, suffix in SUFFIXES.items()}
    model = build_model(graph, None, seed=5)
    session = onnxruntime.InferenceSession(str(results["onnx"].path),
                                           providers=["CPUExecutionProvider"])
    input_name = graph.nodes_of_type("Input")[0].name
    for batch in (1, 4):
        (x,) = inputs_for(graph, batch, batch)
        with torch.no_grad():
            want = model(x)
        (got,) = session.run(None, {input_name: x.numpy()})
        torch.testing.assert_close(torch.from_numpy(got), want, rtol=0, atol=ATOL)
        with torch.no_grad():
            traced = torch.jit.load(str(results["torchscript"].path))(x)
        torch.testing.assert_close(traced, want, rtol=0, atol=ATOL)
    assert results["onnx"].checks["onnxruntime"]["passed"]
    assert results["python"].checks["outputs"]["passed"]


def test_adaptive_max_pool_that_onnx_cannot_express_is_refused_naming_the_node(
        tmp_path: Path) -> None:
    b = Builder()
    b.add("Input", "image", kind="image", shape=(2, 7, 5))
    b.add("AdaptiveMaxPool2d", "squeeze", output_size=(3, 2))
    b.add("Flatten", "flatten")
    b.add("Output", "output", loss="mse")
    with pytest.raises(ExportError) as refused:
        export_model(b.graph, None, "onnx", tmp_path / "model.onnx")
    message = str(refused.value)
    assert "\n" not in message
    assert 'AdaptiveMaxPool2d node "squeeze"' in message and "3×2" in message
    assert not (tmp_path / "model.onnx").exists()
    assert export_model(b.graph, None, "torchscript", tmp_path / "model.ts").path.exists()


def pooling_graph(shape: tuple[int, ...]) -> Graph:
    b = Builder()
    b.add("Input", "image", kind="image", shape=shape)
    b.add("MaxPool2d", "pool", kernel_size=3, stride=3, padding=1, ceil_mode=True)
    b.add("Flatten", "flatten")
    b.add("Output", "output", loss="mse")
    return b.graph


def test_ceil_mode_windows_that_pytorch_drops_export_or_are_refused(tmp_path: Path) -> None:
    """Height 9 gains a window with ceil_mode; at 8 PyTorch drops the window it would add
    (it would start in the padding), which gives floor mode's result, and ONNX keeps it.
    The module asks for ceil_mode only where it adds a window; both at once cannot be
    written in ONNX and are refused."""
    for side in (8, 9):
        result = export_model(pooling_graph((2, side, side)), None, "onnx",
                              tmp_path / f"square{side}.onnx")
        assert result.checks["onnxruntime"]["max_abs_diff"] <= ATOL
    with pytest.raises(ExportError) as refused:
        export_model(pooling_graph((2, 9, 8)), None, "onnx", tmp_path / "mixed.onnx")
    assert str(refused.value).startswith('ONNX export cannot express MaxPool2d node "pool": '
                                         "with ceil_mode on its input 2×9×8")


def test_transformer_text_template_exports_to_onnx(tmp_path: Path) -> None:
    graph = build_template("transformer-text")
    result = export_model(graph, None, "onnx", tmp_path / "model.onnx", seed=2)
    assert result.checks["onnxruntime"]["passed"]
    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    tokens = torch.randint(0, 128, (3, 40), generator=torch.Generator().manual_seed(4))
    (got,) = session.run(None, {"tokens": tokens.numpy()})
    with torch.no_grad():
        want = build_model(graph, None, seed=2)(tokens)
    torch.testing.assert_close(torch.from_numpy(got), want, rtol=0, atol=ATOL)
