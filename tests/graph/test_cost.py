"""Per-node cost: parameters, multiply-adds and activation memory, against published
figures (VGG16, ResNet-18) and hand counts written out here (cnn-small, LeNet-5)."""

from __future__ import annotations

from dlstudio.graph import Graph, infer_shapes
from dlstudio.graph.cost import (
    NodeCost,
    activation_bytes,
    cost_line,
    format_quantity,
    format_size,
    graph_costs,
    uncounted_types,
)
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import build_template


def _by_name(graph: Graph) -> dict[str, NodeCost]:
    return {graph.nodes[node_id].name: cost for node_id, cost in graph_costs(graph).items()}


def _total_macs(graph: Graph) -> int:
    return sum(cost.macs for cost in graph_costs(graph).values())


def test_every_layer_type_has_a_mac_rule_or_is_declared_free() -> None:
    assert uncounted_types() == []


def test_vgg16_is_15_5_gmacs_and_138_m_params() -> None:
    graph = build_template("vgg16")
    costs = graph_costs(graph)
    assert sum(cost.params for cost in costs.values()) == 138_357_544
    convs = 15_346_630_656  # the 13 convolutions: sum of out_values * 3·3·in_channels
    heads = 25_088 * 4096 + 4096 * 4096 + 4096 * 1000
    assert _total_macs(graph) == convs + heads == 15_470_264_320
    assert format_quantity(_total_macs(graph)) == "15.5 G"
    assert _by_name(graph)["block1_conv2"].macs == 64 * 224 * 224 * 3 * 3 * 64


def test_resnet18_is_about_1_82_gmacs() -> None:
    graph = build_template("resnet18")
    costs = graph_costs(graph)
    conv_and_fc = sum(c.macs for i, c in costs.items()
                      if graph.nodes[i].type in ("Conv2d", "Dense"))
    assert conv_and_fc == 1_814_073_344  # torchvision's 1.814 G (fvcore: 1.82 with BN)
    batchnorm_values = 2_483_712  # every BatchNorm's output, 2 MACs each (scale, shift)
    assert _total_macs(graph) == conv_and_fc + 2 * batchnorm_values
    assert format_quantity(_total_macs(graph)) == "1.82 G"
    assert sum(c.params for c in costs.values()) == 11_689_512


def test_cnn_small_by_hand() -> None:
    graph = build_template("cnn-small")
    costs = _by_name(graph)
    # conv1: 32×26×26 outputs, each 3×3 taps of 1 channel
    assert costs["conv1"] == NodeCost(320, 32 * 26 * 26 * 9, 32 * 26 * 26 * 4)
    assert costs["relu1"] == NodeCost(0, 0, 32 * 26 * 26 * 4)
    assert costs["pool1"] == NodeCost(0, 0, 32 * 13 * 13 * 4)
    assert costs["flatten"] == NodeCost(0, 0, 0)  # a view of pool1's output
    assert costs["fc1"] == NodeCost(5408 * 128 + 128, 5408 * 128, 128 * 4)
    assert costs["fc2"] == NodeCost(1290, 128 * 10, 40)
    assert costs["output"] == NodeCost(0, 0, 0)
    assert _total_macs(graph) == 194_688 + 692_224 + 1_280 == 888_192
    values = 784 + 2 * 21_632 + 5_408 + 2 * 128 + 2 * 10
    assert sum(c.activation_bytes for c in costs.values()) == values * 4 == 198_928


def test_lenet5_by_hand() -> None:
    graph = build_template("lenet5")
    costs = _by_name(graph)
    assert costs["conv1"].macs == 6 * 28 * 28 * 5 * 5 * 1 == 117_600
    assert costs["conv2"].macs == 16 * 10 * 10 * 5 * 5 * 6 == 240_000
    assert costs["pool1"].macs == costs["tanh1"].macs == 0  # no multiply-adds
    assert [costs[f"fc{i}"].macs for i in (1, 2, 3)] == [400 * 120, 120 * 84, 84 * 10]
    assert _total_macs(graph) == 416_520
    values = 784 + 2 * 4704 + 1176 + 2 * 1600 + 400 + 2 * 120 + 2 * 84 + 2 * 10
    assert sum(c.activation_bytes for c in costs.values()) == values * 4 == 61_584


def _chain(input_shape: tuple[int, ...], kind: str, *layers: tuple[str, dict]) -> Graph:
    graph = Graph()
    last = graph.add_node("Input", name="data", params={"kind": kind, "shape": input_shape}).id
    for index, (type_name, params) in enumerate(layers):
        node = graph.add_node(type_name, name=f"n{index}", params=params)
        graph.connect(last, node.id)
        last = node.id
    graph.connect(last, graph.add_node("Output", params={"loss": "mse"}).id)
    return graph


def test_sequence_layers() -> None:
    graph = _chain((50,), "tokens", ("Embedding", {"vocab_size": 100, "dim": 16}),
                   ("LSTM", {"units": 32, "num_layers": 2, "bidirectional": True,
                             "return_sequences": True}),
                   ("TransformerEncoderLayer", {"nhead": 4, "dim_feedforward": 128}),
                   ("MultiheadAttention", {"num_heads": 2}))
    costs = _by_name(graph)
    assert costs["n0"].macs == 0 and costs["n0"].params == 1600  # a lookup
    # per step: 4 gates × 32 × (inputs + 32 state), both directions; layer 2 reads 64
    assert costs["n1"].macs == 50 * 4 * 32 * (16 + 32) * 2 + 50 * 4 * 32 * (64 + 32) * 2
    # memory: its output (50 steps × 64) and, per step, layer and direction, 11 × 32
    # kept for the backward pass (RECURRENT_KEPT: gates and states)
    assert costs["n1"].activation_bytes == (50 * 64 + 50 * 2 * 2 * 11 * 32) * 4
    attention = 4 * 50 * 64 * 64 + 2 * 50 * 50 * 64
    assert costs["n3"].macs == attention
    assert costs["n2"].macs == attention + 2 * 50 * 64 * 128 + 2 * 2 * 50 * 64


def test_normalisation_convention() -> None:
    graph = _chain((8, 5, 5), "image", ("BatchNorm2d", {}), ("GroupNorm", {"num_groups": 2}),
                   ("InstanceNorm2d", {}), ("MaxPool2d", {"kernel_size": 2}))
    costs = _by_name(graph)
    assert [costs[f"n{i}"].macs for i in range(4)] == [400, 400, 200, 0]


def test_unknown_shapes_are_left_out() -> None:
    graph = Graph()
    image = graph.add_node("Input", params={"shape": (1, 28, 28)})
    dense = graph.add_node("Dense", params={"units": 10})  # needs a Flatten first
    graph.connect(image.id, dense.id)
    costs = graph_costs(graph, infer_shapes(graph))
    assert image.id in costs and dense.id not in costs


def test_views_share_memory_with_the_training_estimate() -> None:
    assert activation_bytes("Flatten", (10, 10)) == 0
    assert activation_bytes("Conv2d", (2, 3, 4)) == 96
    assert activation_bytes("ReLU", None) == 0


def test_huge_graph_does_not_overflow() -> None:
    graph = _chain((1_000_000,), "vector", ("Dense", {"units": 1_000_000}),
                   ("Dense", {"units": 1_000_000}))
    assert _total_macs(graph) == 2 * 10**12
    assert isinstance(_total_macs(graph), int)


def test_words() -> None:
    assert [format_quantity(n) for n in (0, 320, 1_000, 230_400, 999_999, 15_470_264_320)] \
        == ["0", "320", "1 k", "230 k", "1 M", "15.5 G"]
    assert [format_size(n) for n in (40, 86_528, 2_300_000)] == \
        ["40 B", "86.5 kB", "2.3 MB"]
    assert cost_line(NodeCost(320, 194_688, 86_528)) == "320 params · 195 k MACs · 86.5 kB"
    assert cost_line(NodeCost(0, 0, 0)) == ""


def test_summary_totals_agree() -> None:
    summary = summarize(build_template("vgg16"))
    assert summary.total_macs == 15_470_264_320
    assert summary.activation_bytes == sum(
        c.activation_bytes for c in graph_costs(build_template("vgg16")).values())
