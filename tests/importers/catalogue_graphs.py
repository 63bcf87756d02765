"""Graphs that hold every catalogue layer ONNX export supports, for the ONNX round trip."""

from __future__ import annotations

from dlstudio.graph import Graph
from dlstudio.graph.templates.builder import Builder


def image_graph() -> Graph:
    """Convolution, normalisation, every element-wise activation, pooling and merges on a
    3×8×8 image."""
    b = Builder()
    b.add("Input", "image", kind="image", shape=(3, 8, 8))
    stem = b.add("Conv2d", "conv", filters=8, kernel_size=3, padding=1)
    b.add("BatchNorm2d", "bn")
    b.add("GroupNorm", "gn", num_groups=2)
    b.add("InstanceNorm2d", "inorm", affine=True)
    for kind in ("ReLU", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "ReLU6",
                 "Hardswish", "Hardsigmoid", "Mish", "Softplus", "PReLU", "Identity"):
        b.add(kind, kind.lower())
    b.add("PReLU", "prelu_channels", per_channel=True)
    b.add("Dropout2d", "drop2d", rate=0.2)
    b.add("MaxPool2d", "maxpool", kernel_size=2)
    b.add("Upsample", "up", scale_factor=2.0)
    b.add("ConvTranspose2d", "deconv", filters=8, kernel_size=3, padding=1)
    b.add("AvgPool2d", "avgpool", kernel_size=2)
    b.add("Upsample", "up_bilinear", size=(8, 8), mode="bilinear")
    add = b.add("Add", "add", inputs=2)
    b.wire(stem, add, "in2")
    mul = b.add("Multiply", "mul", inputs=2)
    b.wire(stem, mul, "in2")
    concat = b.add("Concat", "concat", inputs=2, axis=0)
    b.wire(add, concat, "in2")
    b.add("AdaptiveAvgPool2d", "adaptive_avg", output_size=(2, 2))
    b.add("AdaptiveMaxPool2d", "adaptive_max", output_size=(1, 1))
    b.add("Flatten", "flatten")
    b.add("Dense", "dense", units=12)
    b.add("BatchNorm1d", "bn1d")
    b.add("LayerNorm", "ln")
    b.add("Dropout", "drop", rate=0.1)
    b.add("Reshape", "reshape", shape=(3, 4))
    b.add("Permute", "permute", dims=(1, 0))
    b.add("LogSoftmax", "logsoftmax", axis=-1)
    b.add("Flatten", "flatten_2")
    b.add("Softmax", "softmax", axis=-1)
    b.add("Output", "output", loss="cross_entropy")
    return b.graph


def sequence_graph() -> Graph:
    """Tokens through embedding, 1d convolution and pooling, every recurrent kind and
    attention."""
    b = Builder()
    b.add("Input", "tokens", kind="tokens", shape=(12,))
    b.add("Embedding", "embed", vocab_size=20, dim=8)
    b.add("PositionEmbedding", "position")
    b.add("MultiheadAttention", "attention", num_heads=2)
    b.add("TransformerEncoderLayer", "encoder", nhead=2, dim_feedforward=16)
    b.add("GRU", "gru", units=8, bidirectional=True, return_sequences=True)
    b.add("LSTM", "lstm", units=8, return_sequences=True)
    b.add("Select", "last", axis=0, index=-1)
    b.add("Dense", "head", units=3)
    b.add("Output", "output", loss="cross_entropy")
    return b.graph


def signal_graph() -> Graph:
    """1d convolution and pooling over a sequence."""
    b = Builder()
    b.add("Input", "signal", kind="sequence", shape=(12, 4))
    b.add("Permute", "channels_first", dims=(1, 0))
    b.add("Conv1d", "conv1d", filters=8, kernel_size=3, padding=1)
    b.add("MaxPool1d", "maxpool1d", kernel_size=2)
    b.add("AvgPool1d", "avgpool1d", kernel_size=3, stride=1, padding=1)
    b.add("Flatten", "flatten")
    b.add("Dense", "head", units=3)
    b.add("Output", "output", loss="cross_entropy")
    return b.graph
