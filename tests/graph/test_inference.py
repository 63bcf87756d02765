"""Shape inference: a shape on every wire, and every problem found, on the node at fault."""

from __future__ import annotations

from typing import Any

from dlstudio.graph import Edge, Graph, format_shape, infer_shapes


class Net:
    """A small builder: `net.add("Dense", "fc1", units=10)` wires after the previous node."""

    def __init__(self) -> None:
        self.graph = Graph()
        self.ids: dict[str, str] = {}

    def add(self, type_name: str, name: str, after: str | None = "", port: str = "in",
            **params: Any) -> str:
        node = self.graph.add_node(type_name, name=name, params=params)
        previous = list(self.ids)[-1] if after == "" and self.ids else after
        if previous:
            self.graph.connect(self.ids[previous], node.id, dst_port=port)
        self.ids[name] = node.id
        return node.id


def cnn() -> Net:
    net = Net()
    net.add("Input", "image", kind="image", shape=[1, 28, 28])
    net.add("Conv2d", "conv1", filters=32, kernel_size=3)
    net.add("ReLU", "act1")
    net.add("MaxPool2d", "pool1", kernel_size=2)
    net.add("Flatten", "flat")
    net.add("Dense", "fc1", units=128)
    net.add("Dense", "fc2", units=10)
    net.add("Output", "out")
    return net


def messages(report: Any, node_id: str | None) -> list[str]:
    return [p.message for p in report.problems if p.node_id == node_id]


def test_a_valid_network_has_a_shape_on_every_wire() -> None:
    net = cnn()
    report = infer_shapes(net.graph)
    assert report.ok and report.problems == []
    expected = {"image": (1, 28, 28), "conv1": (32, 26, 26), "act1": (32, 26, 26),
                "pool1": (32, 13, 13), "flat": (5408,), "fc1": (128,), "fc2": (10,),
                "out": (10,)}
    assert {name: report.shapes[i] for name, i in net.ids.items()} == expected
    for edge in net.graph.edges.values():
        assert report.edge_shape(edge) == expected[net.graph.nodes[edge.src].name]
    assert report.input_shapes[net.ids["fc1"]] == [(5408,)]
    assert report.order == list(net.ids.values())
    assert format_shape(report.shapes[net.ids["pool1"]]) == "32×13×13"


def test_a_skip_connection_through_add_and_concat() -> None:
    net = Net()
    net.add("Input", "image", kind="image", shape=[8, 16, 16])
    net.add("Conv2d", "conv", filters=8, kernel_size=3, padding="same")
    net.add("Add", "skip", port="in1")
    net.graph.connect(net.ids["image"], net.ids["skip"], dst_port="in2")
    net.add("Concat", "cat", port="in1")
    net.graph.connect(net.ids["conv"], net.ids["cat"], dst_port="in2")
    net.add("GlobalAvgPool", "gap")
    net.add("Output", "out")
    report = infer_shapes(net.graph)
    assert report.ok, report.problems
    assert report.shapes[net.ids["skip"]] == (8, 16, 16)
    assert report.shapes[net.ids["cat"]] == (16, 16, 16)
    assert report.shapes[net.ids["gap"]] == (16,)
    order = report.order
    assert order.index(net.ids["image"]) < order.index(net.ids["conv"]) < \
        order.index(net.ids["skip"]) < order.index(net.ids["cat"])


def test_dense_after_a_feature_map_asks_for_a_flatten() -> None:
    net = Net()
    net.add("Input", "image", kind="image", shape=[1, 28, 28])
    net.add("Conv2d", "conv1", filters=32, kernel_size=3)
    net.add("MaxPool2d", "pool1")
    net.add("Dense", "fc1", units=10)
    net.add("Output", "out")
    report = infer_shapes(net.graph)
    assert not report.ok
    assert [(p.node_id, p.message) for p in report.errors] == [(
        net.ids["fc1"],
        'Dense "fc1" needs a flat input but gets 32×13×13: insert a Flatten')]
    assert net.ids["fc1"] not in report.shapes
    assert net.ids["out"] not in report.shapes  # downstream of the fault: no second error
    assert report.problems_of(net.ids["fc1"]) == report.errors


def test_unconnected_inputs_are_errors_on_their_node() -> None:
    net = cnn()
    net.graph.disconnect(net.graph.edge_into(net.ids["fc1"], "in").id)
    add = net.add("Add", "join", after="fc2", port="in1")
    report = infer_shapes(net.graph)
    assert messages(report, net.ids["fc1"]) == ['Dense "fc1": its input is not connected']
    # reported even though its other input comes from a node that has no shape
    assert [p.message for p in report.errors if p.node_id == add] == [
        'Add "join": input "in2" is not connected']
    assert report.shapes[net.ids["flat"]] == (5408,)  # what is upstream still has shapes


def test_every_problem_is_collected_not_just_the_first() -> None:
    net = Net()
    net.add("Input", "image", kind="image", shape=[1, 4, 4])
    net.add("Conv2d", "conv1", kernel_size=5)
    net.add("Input", "extra", after=None, kind="vector", shape=[3, 3])
    net.add("Dense", "fc", units=2)
    net.add("Dense", "loose", after=None)
    report = infer_shapes(net.graph)
    assert messages(report, net.ids["conv1"]) == [
        'Conv2d "conv1" kernel 5 (span 5) is larger than its height of 4: use a smaller kernel '
        "or more padding"]
    assert messages(report, net.ids["extra"]) == [
        'Input "extra" of kind vector takes a shape of one number of features, e.g. 784, '
        'but its shape is 3×3: change the shape or the kind']
    assert messages(report, net.ids["loose"]) == ['Dense "loose": its input is not connected']
    assert messages(report, None) == [
        "the graph has no Output node: add one after the last layer"]
    assert len(report.errors) == 4


def test_merges_of_incompatible_shapes() -> None:
    net = Net()
    net.add("Input", "a", kind="vector", shape=[8])
    net.add("Input", "b", after=None, kind="vector", shape=[4])
    net.add("Add", "sum", after="a", port="in1")
    net.graph.connect(net.ids["b"], net.ids["sum"], dst_port="in2")
    net.add("Input", "img1", after=None, kind="image", shape=[3, 8, 8])
    net.add("Input", "img2", after=None, kind="image", shape=[3, 4, 4])
    net.add("Concat", "cat", after="img1", port="in1")
    net.graph.connect(net.ids["img2"], net.ids["cat"], dst_port="in2")
    report = infer_shapes(net.graph)
    assert messages(report, net.ids["sum"]) == [
        'Add "sum" needs inputs of one shape but gets 8 and 4']
    assert messages(report, net.ids["cat"]) == [
        'Concat "cat" can only join along axis 0, the other axes must match, but gets '
        "3×8×8 and 3×4×4"]


def test_a_cycle_is_blamed_on_its_nodes_only() -> None:
    net = Net()
    net.add("Input", "x_in", kind="vector", shape=[4])
    net.add("Add", "join", port="in1")
    net.add("Dense", "fc", units=4)
    net.add("Output", "out", loss="mse")
    # connect() refuses cycles, so make one behind the API's back, as a damaged file might
    net.graph.edges["loop"] = Edge("loop", net.ids["fc"], net.ids["join"], "out", "in2")
    report = infer_shapes(net.graph)
    cycle = "is part of a cycle: data must flow one way"
    assert messages(report, net.ids["join"]) == [f'Add "join" {cycle}']
    assert messages(report, net.ids["fc"]) == [f'Dense "fc" {cycle}']
    assert messages(report, net.ids["out"]) == []  # downstream of the cycle, not on it
    assert report.order == [net.ids["x_in"]]
    assert not report.ok


def test_one_output_and_at_least_one_input() -> None:
    net = cnn()
    second = net.add("Output", "out2", after="fc1")
    report = infer_shapes(net.graph)
    assert [(p.node_id, p.message) for p in report.errors] == [
        (second, 'Output "out2": a graph has one Output; "out" is already one')]
    empty = infer_shapes(Graph())
    assert [p.message for p in empty.errors] == [
        "the graph has no Input node: add one from the palette (inputs)",
        "the graph has no Output node: add one after the last layer"]
    assert all(p.node_id is None for p in empty.problems)


def test_nodes_that_do_not_reach_the_output_are_warnings() -> None:
    net = cnn()
    side = net.add("Dense", "side", after="flat", units=5)
    report = infer_shapes(net.graph)
    assert report.ok
    assert [(p.node_id, p.severity) for p in report.problems] == [(side, "warning")]
    assert messages(report, side) == ['Dense "side" does not lead to the Output and is ignored']
    assert report.shapes[side] == (5,)


def test_output_loss_checks_the_class_count() -> None:
    net = Net()
    net.add("Input", "x_in", kind="vector", shape=[2])
    net.add("Dense", "fc", units=1)
    out = net.add("Output", "out")
    report = infer_shapes(net.graph)
    assert messages(report, out) == [
        'Output "out" cross-entropy needs at least 2 classes but gets 1: use '
        "binary_cross_entropy for a single output"]
    net.graph.set_param(out, "loss", "binary_cross_entropy")
    assert infer_shapes(net.graph).ok


def test_token_ids_only_feed_an_embedding():
    graph = Graph()
    tokens = graph.add_node("Input", params={"kind": "tokens", "shape": [40]})
    dense = graph.add_node("Dense", name="fc1")
    graph.connect(tokens.id, dense.id)
    graph.connect(dense.id, graph.add_node("Output").id)
    [problem] = infer_shapes(graph).problems_of(dense.id)
    assert problem.message.startswith('Dense "fc1" gets token ids')
    assert "insert an Embedding" in problem.message


def test_an_embedding_needs_token_ids():
    graph = Graph()
    vector = graph.add_node("Input", params={"kind": "vector", "shape": [40]})
    embedding = graph.add_node("Embedding", name="emb")
    graph.connect(vector.id, embedding.id)
    graph.connect(embedding.id, graph.add_node("Output").id)
    [problem] = infer_shapes(graph).problems_of(embedding.id)
    assert "needs token ids" in problem.message
