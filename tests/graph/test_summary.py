"""The model summary: rows in data-flow order, totals, the JSON contract and the table."""

from __future__ import annotations

import json

from dlstudio.graph import Graph
from dlstudio.graph.summary import LayerRow, summarize
from dlstudio.graph.templates import build_template


def test_mlp_rows_in_order_with_shapes_and_counts() -> None:
    summary = summarize(build_template("mlp"))
    assert summary.layers == [
        LayerRow("image", "Input", (1, 28, 28), 0, True, 0, 784 * 4),
        LayerRow("flatten", "Flatten", (784,), 0, True, 0, 0),  # a view: no memory
        LayerRow("fc1", "Dense", (128,), 784 * 128 + 128, True, 784 * 128, 128 * 4),
        LayerRow("relu1", "ReLU", (128,), 0, True, 0, 128 * 4),
        LayerRow("fc2", "Dense", (10,), 128 * 10 + 10, True, 128 * 10, 40),
        LayerRow("softmax", "Softmax", (10,), 0, True, 0, 40),
        LayerRow("output", "Output", (10,), 0, True, 0, 0),
    ]
    assert summary.total_params == summary.trainable_params == 101_770
    assert summary.total_macs == 101_632
    assert summary.activation_bytes == 4 * (784 + 2 * 128 + 2 * 10)
    assert summary.input_shape == (1, 28, 28) and summary.output_shape == (10,)
    assert summary.problems == []


def test_to_dict_is_the_json_contract() -> None:
    data = json.loads(json.dumps(summarize(build_template("cnn-compact")).to_dict()))
    assert set(data) == {"layers", "total_params", "trainable_params", "input_shape",
                         "output_shape", "total_macs", "activation_bytes"}
    assert data["total_params"] == data["trainable_params"] == 34_826
    assert data["input_shape"] == [1, 28, 28] and data["output_shape"] == [10]
    conv1 = data["layers"][1]
    assert conv1 == {"name": "conv1", "type": "Conv2d", "output_shape": [32, 26, 26],
                     "params": 320, "macs": 32 * 26 * 26 * 9,
                     "activation_bytes": 32 * 26 * 26 * 4}
    keys = {"name", "type", "output_shape", "params", "macs", "activation_bytes"}
    assert all(set(row) == keys for row in data["layers"])
    assert data["total_macs"] == sum(row["macs"] for row in data["layers"])


def test_frozen_layers_count_as_non_trainable() -> None:
    summary = summarize(build_template("vgg16-transfer"))
    assert summary.total_params == 40_416_074
    assert summary.trainable_params == 25_088 * 1024 + 1024 + 1024 * 10 + 10
    assert summary.non_trainable_params == 14_714_688  # the VGG16 convolutional base
    table = summary.format_table()
    assert "Non-trainable params: 14,714,688" in table
    conv_line = next(line for line in table.splitlines() if line.startswith("block1_conv1"))
    assert conv_line.endswith("1,792  86.7 M  12.8 MB  frozen")


def test_table_reads_like_keras() -> None:
    table = summarize(build_template("vgg16")).format_table()
    lines = table.splitlines()
    assert lines[0].split() == ["Layer", "(type)", "Output", "shape", "Params", "MACs",
                                "Memory"]
    assert any(line.split() == ["block1_conv1", "(Conv2d)", "64×224×224", "1,792", "86.7",
                                "M", "12.8", "MB"] for line in lines)
    assert any(line.split() == ["fc1", "(Dense)", "4096", "102,764,544", "103", "M", "16.4",
                                "kB"] for line in lines)
    assert "MACs (multiply-adds) per sample: 15.5 G (15,470,264,320)" in lines
    assert "Total params: 138,357,544" in lines
    assert "Trainable params: 138,357,544" in lines
    assert "Non-trainable params: 0" in lines


def test_a_broken_graph_is_summarised_with_its_problems() -> None:
    graph = Graph()
    image = graph.add_node("Input", name="image", params={"shape": (1, 28, 28)})
    dense = graph.add_node("Dense", name="fc1", params={"units": 10})
    relu = graph.add_node("ReLU", name="relu")
    graph.connect(image.id, dense.id)
    graph.connect(dense.id, relu.id)
    summary = summarize(graph)
    rows = {row.name: row for row in summary.layers}
    assert rows["fc1"].params is None and rows["fc1"].output_shape is None
    assert rows["relu"].output_shape is None
    assert summary.total_params == 0 and summary.output_shape is None
    messages = " | ".join(p.message for p in summary.problems)
    assert "Flatten" in messages and "no Output" in messages
    table = summary.format_table()
    assert "fc1 (Dense)" in table and "?" in table and "error:" in table
    assert summary.to_dict()["layers"][1]["output_shape"] is None


def test_empty_graph() -> None:
    summary = summarize(Graph())
    assert summary.layers == [] and summary.total_params == 0
    assert summary.to_dict()["input_shape"] is None
    assert "Total params: 0" in summary.format_table()
    assert summary.total_macs == summary.activation_bytes == 0
