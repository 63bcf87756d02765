"""Auto layout: wires run left to right, nodes never overlap, branches stay untangled,
and 500 nodes lay out fast enough for an interactive command."""

from __future__ import annotations

import time

from dlstudio.graph import Graph
from dlstudio.graph.layout import LAYER_SPACING, ROW_SPACING, apply_layout, layered_layout
from dlstudio.graph.templates import build_template


def _assert_clean(graph: Graph, positions: dict[str, tuple[float, float]]) -> None:
    assert set(positions) == set(graph.nodes)
    for edge in graph.edges.values():
        assert positions[edge.dst][0] > positions[edge.src][0], edge
    assert len(set(positions.values())) == len(positions)


def test_chain_is_one_row_left_to_right() -> None:
    graph = build_template("mlp")
    positions = layered_layout(graph)
    _assert_clean(graph, positions)
    xs = sorted(x for x, _ in positions.values())
    assert xs == [i * LAYER_SPACING for i in range(len(graph))]
    assert {y for _, y in positions.values()} == {0.0}


def test_longest_path_puts_a_merge_after_its_longest_branch() -> None:
    graph = build_template("resnet18")
    positions = layered_layout(graph)
    _assert_clean(graph, positions)
    add = graph.node_by_name("layer1_0_add").id
    bn2 = graph.node_by_name("layer1_0_bn2").id
    assert positions[add][0] == positions[bn2][0] + LAYER_SPACING
    conv1 = positions[graph.node_by_name("layer2_0_conv1").id]
    down = positions[graph.node_by_name("layer2_0_down_conv").id]
    assert conv1[0] == down[0] and abs(conv1[1] - down[1]) == ROW_SPACING


def test_barycentre_keeps_parallel_branches_from_crossing() -> None:
    graph = Graph()
    source = graph.add_node("Input", name="features", params={"kind": "vector",
                                                              "shape": (4,)})
    top = graph.add_node("Dense", name="top")
    bottom = graph.add_node("Dense", name="bottom")
    # Added in the opposite order, so insertion order alone would cross the wires.
    bottom_next = graph.add_node("ReLU", name="bottom_next")
    top_next = graph.add_node("ReLU", name="top_next")
    for src, dst in ((source, top), (source, bottom), (top, top_next),
                     (bottom, bottom_next)):
        graph.connect(src.id, dst.id)
    positions = layered_layout(graph)
    _assert_clean(graph, positions)
    assert positions[top.id][1] < positions[bottom.id][1]
    assert positions[top_next.id][1] < positions[bottom_next.id][1]


def test_apply_layout_moves_nodes_through_the_graph_api() -> None:
    graph = build_template("xor")
    for node in graph.nodes.values():
        graph.move_node(node.id, (5.0, 5.0))
    moved: list[str] = []
    graph.events.node_moved.connect(lambda node, old, new: moved.append(node.id))
    positions = apply_layout(graph)
    assert sorted(moved) == sorted(graph.nodes)
    assert all(graph.nodes[n].position == p for n, p in positions.items())


def test_empty_and_unconnected_graphs() -> None:
    assert layered_layout(Graph()) == {}
    graph = Graph()
    for name in ("a", "b", "c"):
        graph.add_node("ReLU", name=name)
    positions = layered_layout(graph)
    assert {x for x, _ in positions.values()} == {0.0}
    assert len(set(positions.values())) == 3


def test_five_hundred_nodes_lay_out_fast() -> None:
    graph = Graph()
    previous = graph.add_node("Input", name="features", params={"kind": "vector",
                                                                "shape": (8,)}).id
    for index in range(250):  # a chain of Dense + Add, each Add also fed two steps back
        dense = graph.add_node("Dense", name=f"fc{index}", params={"units": 8}).id
        add = graph.add_node("Add", name=f"add{index}").id
        graph.connect(previous, dense)
        graph.connect(dense, add, dst_port="in1")
        graph.connect(previous, add, dst_port="in2")
        previous = add
    start = time.perf_counter()
    positions = layered_layout(graph)
    elapsed = time.perf_counter() - start
    _assert_clean(graph, positions)
    assert elapsed < 0.25, f"layout of {len(graph)} nodes took {elapsed:.3f} s"
