"""The graph model: edits, the events they emit, refusals with reasons, stable ids."""

from __future__ import annotations

from typing import Any

import pytest

from dlstudio.graph import Graph, GraphError, ParamError
from dlstudio.graph.events import Event

EVENT_NAMES = ("node_added", "node_removed", "edge_added", "edge_removed", "param_changed",
               "node_moved", "node_renamed", "changed")


class Recorder:
    """Subscribes to every event of a graph and keeps (event name, arguments) in order."""

    def __init__(self, graph: Graph) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        for name in EVENT_NAMES:
            getattr(graph.events, name).connect(
                lambda *args, _name=name: self.calls.append((_name, args)))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def chain() -> tuple[Graph, list[str]]:
    """Input(784) -> Dense(10) -> Output, returning the graph and the node ids."""
    graph = Graph()
    ids = [graph.add_node("Input", name="x_in", params={"kind": "vector", "shape": [784]}).id,
           graph.add_node("Dense", name="fc1", params={"units": 10}).id,
           graph.add_node("Output", name="out").id]
    graph.connect(ids[0], ids[1])
    graph.connect(ids[1], ids[2])
    return graph, ids


# ----- adding and removing -----------------------------------------------------------
def test_add_node_fills_every_parameter_and_names_it() -> None:
    graph = Graph()
    first = graph.add_node("Dense")
    second = graph.add_node("Dense", params={"units": "32"}, position=(10, -5))
    assert (first.name, second.name) == ("dense_1", "dense_2")
    assert first.params == {"units": 64, "bias": True, "trainable": True}
    assert second.params["units"] == 32
    assert second.position == (10.0, -5.0)
    assert first.id != second.id
    assert graph.add_node("MaxPool2d").name == "max_pool2d_1"
    assert len(graph) == 3


def test_add_node_emits_node_added_then_changed() -> None:
    graph = Graph()
    recorder = Recorder(graph)
    node = graph.add_node("ReLU", name="act")
    assert recorder.calls == [("node_added", (node,)), ("changed", ())]


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"type_name": "Conv3d"}, "unknown layer type 'Conv3d'"),
    ({"type_name": "Dense", "params": {"units": 0}},
     'Dense "dense_1": units must be ≥ 1. Received: units=0'),
    ({"type_name": "Dense", "params": {"units": 2.5}}, "Received: units=2.5"),
    ({"type_name": "Dense", "params": {"width": 3}}, "has no parameter 'width'"),
    ({"type_name": "Dense", "name": "fc 1"}, "not allowed"),
    ({"type_name": "Dense", "name": "forward"}, "reserved"),
    ({"type_name": "Dense", "name": "class"}, "reserved"),
    ({"type_name": "Dense", "name": "_hidden"}, "reserved"),
    ({"type_name": "Dense", "position": (float("nan"), 0)}, "finite"),
    ({"type_name": "Dense", "position": (1e12, 0)}, "finite"),
    ({"type_name": "Dense", "position": (10**400, 0)}, "two numbers"),
    ({"type_name": "Dense", "position": "here"}, "two numbers"),
])
def test_add_node_refusals_say_why_and_change_nothing(kwargs: dict[str, Any],
                                                      reason: str) -> None:
    graph = Graph()
    recorder = Recorder(graph)
    type_name = kwargs.pop("type_name")
    with pytest.raises(GraphError) as caught:
        graph.add_node(type_name, **kwargs)
    assert reason in str(caught.value)
    assert len(graph) == 0
    assert recorder.calls == []


def test_bad_parameter_values_raise_param_error() -> None:
    with pytest.raises(ParamError, match=r"kernel_size must be ≥ 1\. Received: kernel_size=0"):
        Graph().add_node("Conv2d", name="conv1", params={"kernel_size": 0})


def test_names_and_ids_must_be_unique() -> None:
    graph = Graph()
    graph.add_node("Dense", name="fc1", node_id="n7")
    with pytest.raises(GraphError, match="'fc1' is already used"):
        graph.add_node("Dense", name="fc1")
    with pytest.raises(GraphError, match="id 'n7' already exists"):
        graph.add_node("Dense", name="fc2", node_id="n7")
    assert graph.add_node("Dense").id == "n8"  # automatic ids never reuse a given one


def test_remove_node_removes_its_wires_first() -> None:
    graph, (x_in, fc1, out) = chain()
    recorder = Recorder(graph)
    edges = [e.id for e in graph.edges.values()]
    removed = graph.remove_node(fc1)
    assert removed.name == "fc1"
    assert recorder.names == ["edge_removed", "changed", "edge_removed", "changed",
                              "node_removed", "changed"]
    assert sorted(args[0].id for name, args in recorder.calls if name == "edge_removed") \
        == sorted(edges)
    assert graph.edges == {}
    assert set(graph.nodes) == {x_in, out}
    with pytest.raises(GraphError, match="no node with id"):
        graph.remove_node(fc1)


# ----- wiring ----------------------------------------------------------------------------
def test_connect_and_disconnect_emit_their_events() -> None:
    graph = Graph()
    a = graph.add_node("Input", name="a", params={"kind": "vector", "shape": [4]})
    b = graph.add_node("Dense", name="b")
    recorder = Recorder(graph)
    edge = graph.connect(a.id, b.id)
    assert (edge.src, edge.dst, edge.src_port, edge.dst_port) == (a.id, b.id, "out", "in")
    assert graph.edge_into(b.id, "in") == edge
    assert graph.edges_out_of(a.id) == [edge] and graph.edges_into(b.id) == [edge]
    assert graph.disconnect(edge.id) == edge
    assert recorder.calls == [("edge_added", (edge,)), ("changed", ()),
                              ("edge_removed", (edge,)), ("changed", ())]
    with pytest.raises(GraphError, match="no wire with id"):
        graph.disconnect(edge.id)


def test_connect_refusals_name_the_reason() -> None:
    graph, (x_in, fc1, out) = chain()
    relu = graph.add_node("ReLU", name="act").id
    recorder = Recorder(graph)
    before = dict(graph.edges)
    cases = [
        ((fc1, fc1), 'cannot wire "fc1" to itself'),
        ((relu, fc1), 'input \'in\' of "fc1" is already fed by "x_in": remove that wire first'),
        ((out, relu), "Output \"out\" has no output port 'out'"),
        ((x_in, relu, "out", "in2"), "ReLU \"act\" has no input port 'in2'"),
        ((x_in, relu, "result"), "Input \"x_in\" has no output port 'result'"),
        ((x_in, "n99"), "both ends of a wire must be nodes of this graph"),
    ]
    for args, reason in cases:
        assert graph.connection_problem(*args) == reason
        with pytest.raises(GraphError) as caught:
            graph.connect(*args)
        assert str(caught.value) == reason
    assert graph.edges == before
    assert recorder.calls == []


def test_connect_refuses_a_cycle() -> None:
    graph = Graph()
    add = graph.add_node("Add", name="join").id
    fc = graph.add_node("Dense", name="fc").id
    graph.connect(add, fc)
    assert graph.has_path(add, fc) and not graph.has_path(fc, add)
    with pytest.raises(GraphError, match='wiring "fc" to "join" would make a cycle'):
        graph.connect(fc, add, dst_port="in2")


def test_connect_refuses_a_duplicate_wire_id() -> None:
    graph = Graph()
    a, b, c = (graph.add_node("ReLU").id for _ in range(3))
    graph.connect(a, b, edge_id="e5")
    with pytest.raises(GraphError, match="wire with id 'e5' already exists"):
        graph.connect(b, c, edge_id="e5")
    assert graph.connect(b, c).id == "e6"


# ----- parameters, moves, renames ------------------------------------------------------
def test_set_param_validates_and_reports_old_and_new() -> None:
    graph, (_, fc1, _) = chain()
    recorder = Recorder(graph)
    graph.set_param(fc1, "units", "20")
    node = graph.node(fc1)
    assert node.params["units"] == 20
    assert recorder.calls == [("param_changed", (node, "units", 10, 20)), ("changed", ())]
    graph.set_param(fc1, "units", 20)  # same value: nothing happens
    assert len(recorder.calls) == 2
    with pytest.raises(ParamError, match=r'Dense "fc1": units must be ≤ 1000000\. '
                                         r"Received: units=2000000"):
        graph.set_param(fc1, "units", 2_000_000)
    with pytest.raises(GraphError, match="has no parameter 'filters'"):
        graph.set_param(fc1, "filters", 3)
    assert node.params["units"] == 20
    assert len(recorder.calls) == 2


def test_move_node_emits_old_and_new_positions_once() -> None:
    graph = Graph()
    node = graph.add_node("ReLU", position=(1, 2))
    recorder = Recorder(graph)
    graph.move_node(node.id, (3, 4))
    graph.move_node(node.id, (3.0, 4.0))
    assert recorder.calls == [("node_moved", (node, (1.0, 2.0), (3.0, 4.0))), ("changed", ())]
    with pytest.raises(GraphError, match="finite"):
        graph.move_node(node.id, (float("inf"), 0))
    assert node.position == (3.0, 4.0)


def test_rename_node_checks_the_new_name() -> None:
    graph, (x_in, fc1, _) = chain()
    recorder = Recorder(graph)
    graph.rename_node(fc1, "classifier")
    node = graph.node(fc1)
    assert graph.node_by_name("classifier") is node
    assert recorder.calls == [("node_renamed", (node, "fc1", "classifier")), ("changed", ())]
    graph.rename_node(fc1, "classifier")  # unchanged: no event
    for bad, reason in (("x_in", "already used"), ("parameters", "reserved"),
                        ("3rd", "not allowed"), ("a" * 65, "not allowed")):
        with pytest.raises(GraphError, match=reason):
            graph.rename_node(fc1, bad)
    assert node.name == "classifier"
    assert len(recorder.calls) == 2
    with pytest.raises(GraphError, match="no node named 'fc1'"):
        graph.node_by_name("fc1")


# ----- merge nodes: ports follow the `inputs` parameter ----------------------------------
def test_merge_ports_follow_inputs_and_wired_ports_cannot_vanish() -> None:
    graph = Graph()
    relus = [graph.add_node("ReLU").id for _ in range(3)]
    concat = graph.add_node("Concat", name="cat", params={"inputs": 3})
    assert concat.input_ports == ("in1", "in2", "in3")
    for index, relu in enumerate(relus, start=1):
        graph.connect(relu, concat.id, dst_port=f"in{index}")
    with pytest.raises(GraphError, match=r'Concat "cat": disconnect in3 before setting '
                                         r"inputs=2"):
        graph.set_param(concat.id, "inputs", 2)
    assert concat.input_ports == ("in1", "in2", "in3")
    graph.set_param(concat.id, "inputs", 4)  # growing is always fine
    assert concat.input_ports[-1] == "in4"
    graph.disconnect(graph.edge_into(concat.id, "in3").id)
    graph.set_param(concat.id, "inputs", 2)
    assert concat.input_ports == ("in1", "in2")
    with pytest.raises(GraphError, match="no input port 'in3'"):
        graph.connect(relus[2], concat.id, dst_port="in3")
    with pytest.raises(ParamError, match="Received: inputs=9"):
        graph.set_param(concat.id, "inputs", 9)


# ----- plain data and copies -------------------------------------------------------------
def test_to_dict_from_dict_round_trip_keeps_ids_and_values() -> None:
    graph, (x_in, fc1, out) = chain()
    graph.add_node("Conv2d", name="conv", params={"padding": "same"}, position=(5, 6),
                   node_id="n40")
    graph.disconnect(next(iter(graph.edges)))
    data = graph.to_dict()
    again = Graph.from_dict(data)
    assert again.to_dict() == data
    assert list(again.nodes) == [x_in, fc1, out, "n40"]
    assert again.node(x_in).params["shape"] == (784,)  # lists come back as tuples
    assert again.node("n40").params["padding"] == "same"
    assert again.node("n40").position == (5.0, 6.0)
    assert again.add_node("ReLU").id == "n41"
    assert again.connect(x_in, "n41").id not in {e["id"] for e in data["edges"]}


def test_from_dict_validates_every_value_again() -> None:
    graph, _ = chain()
    data = graph.to_dict()
    data["nodes"][1]["params"]["units"] = -1
    with pytest.raises(ParamError, match="Received: units=-1"):
        Graph.from_dict(data)
    data = graph.to_dict()
    data["edges"][0]["dst_port"] = "in9"
    with pytest.raises(GraphError, match="no input port 'in9'"):
        Graph.from_dict(data)


def test_copy_is_independent_and_silent() -> None:
    graph, (x_in, fc1, _) = chain()
    recorder = Recorder(graph)
    clone = graph.copy()
    clone.set_param(fc1, "units", 99)
    clone.remove_node(x_in)
    assert graph.node(fc1).params["units"] == 10
    assert x_in in graph.nodes and len(graph.edges) == 2
    assert recorder.calls == []
    assert len(clone.events.changed) == 0
    assert clone.add_node("ReLU").id == graph.add_node("ReLU").id  # same id counter


def test_event_subscribers_are_called_once_in_order() -> None:
    event, seen = Event(), []

    def first(value: int) -> None:
        seen.append(("first", value))

    def second(value: int) -> None:
        seen.append(("second", value))

    event.connect(first)
    event.connect(second)
    event.connect(first)
    event.emit(1)
    event.disconnect(first)
    event.emit(2)
    assert seen == [("first", 1), ("second", 1), ("second", 2)]
    assert len(event) == 1
