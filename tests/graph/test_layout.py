"""Auto layout: data flows top to bottom, branches sit side by side, long chains wrap
into bands that still read at fit-to-view, and the result never depends on chance."""

from __future__ import annotations

from dlstudio.graph import Graph
from dlstudio.graph.layout import (
    LANE_SPACING,
    NODE_HEIGHT,
    NODE_WIDTH,
    RANK_SPACING,
    apply_layout,
    fit_scale,
    layered_layout,
)
from dlstudio.graph.templates import build_template, template_names


def _assert_clean(graph: Graph, positions: dict[str, tuple[float, float]]) -> None:
    """Every node below its inputs (or in a later band, to the right); no cards overlap."""
    assert set(positions) == set(graph.nodes)
    for edge in graph.edges.values():
        (sx, sy), (dx, dy) = positions[edge.src], positions[edge.dst]
        assert dy > sy or dx > sx + NODE_WIDTH, edge
    cards = sorted(positions.values())
    for index, (x, y) in enumerate(cards):
        for ox, oy in cards[index + 1:]:
            if ox - x >= NODE_WIDTH:
                break
            assert abs(oy - y) >= NODE_HEIGHT + 16, "cards overlap or leave no room for a label"


def test_a_chain_is_one_column_top_to_bottom() -> None:
    graph = build_template("mlp")
    positions = layered_layout(graph)
    _assert_clean(graph, positions)
    assert {x for x, _ in positions.values()} == {0.0}
    ys = [positions[node_id][1] for node_id in graph.nodes]  # the builder adds in flow order
    assert ys == [i * RANK_SPACING for i in range(len(graph))]


def test_a_merge_comes_after_its_longest_branch_and_branches_sit_side_by_side() -> None:
    graph = build_template("resnet18")
    positions = layered_layout(graph)
    _assert_clean(graph, positions)

    def at(name: str) -> tuple[float, float]:
        return positions[graph.node_by_name(name).id]

    add, bn2 = at("layer1_0_add"), at("layer1_0_bn2")
    assert add == (bn2[0], bn2[1] + RANK_SPACING)
    conv1, down = at("layer2_0_conv1"), at("layer2_0_down_conv")
    assert conv1[1] == down[1] and down[0] == conv1[0] + LANE_SPACING
    assert at("layer2_0_add")[0] == conv1[0]  # the main path stays in its lane


def test_a_skip_wired_into_the_first_port_keeps_the_block_in_one_column() -> None:
    """`x + block(x)`, as imported code often writes it: the skip comes first."""
    graph = Graph()
    source = graph.add_node("Input", name="features", params={"kind": "vector", "shape": (4,)})
    block = graph.add_node("Dense", name="block", params={"units": 4})
    add = graph.add_node("Add", name="add")
    after = graph.add_node("ReLU", name="after")
    graph.connect(source.id, block.id)
    graph.connect(source.id, add.id, dst_port="in1")
    graph.connect(block.id, add.id, dst_port="in2")
    graph.connect(add.id, after.id)
    positions = layered_layout(graph)
    _assert_clean(graph, positions)
    assert {positions[n.id][0] for n in (source, block, add, after)} == {0.0}


def test_branches_added_in_either_order_do_not_cross() -> None:
    graph = Graph()
    source = graph.add_node("Input", name="features", params={"kind": "vector",
                                                              "shape": (4,)})
    left = graph.add_node("Dense", name="left")
    right = graph.add_node("Dense", name="right")
    # Added in the opposite order, so insertion order alone would cross the wires.
    right_next = graph.add_node("ReLU", name="right_next")
    left_next = graph.add_node("ReLU", name="left_next")
    for src, dst in ((source, left), (source, right), (left, left_next),
                     (right, right_next)):
        graph.connect(src.id, dst.id)
    positions = layered_layout(graph)
    _assert_clean(graph, positions)
    assert positions[left.id][1] == positions[right.id][1]
    assert positions[left.id][0] < positions[right.id][0]
    assert positions[left_next.id][0] == positions[left.id][0]
    assert positions[right_next.id][0] == positions[right.id][0]


def test_every_template_is_laid_out_cleanly_and_the_same_each_time() -> None:
    for name in template_names():
        graph = build_template(name)
        positions = layered_layout(graph)
        _assert_clean(graph, positions)
        assert positions == layered_layout(build_template(name)), name


def test_long_templates_wrap_into_bands_that_fit_a_laptop_canvas_at_half_size() -> None:
    # 14 px names at half size or more are 7 px or more on screen (tests/ui checks that).
    for name in ("vgg16", "vgg16-transfer", "resnet18"):
        positions = layered_layout(build_template(name))
        assert len({x for x, _ in positions.values()}) > 1, name
        assert fit_scale(positions) >= 0.5, name
    small = layered_layout(build_template("cnn-small"))
    assert fit_scale(small) >= 0.7 and len({x for x, _ in small.values()}) == 1


def test_resnet_bands_wrap_between_blocks_not_across_a_skip_wire() -> None:
    graph = build_template("resnet18")
    positions = layered_layout(graph)
    for edge in graph.edges.values():
        (_, sy), (_, dy) = positions[edge.src], positions[edge.dst]
        if dy < sy:  # a wire that climbs to the next band
            assert dy == 0.0 and graph.edges_out_of(edge.src) == [edge], edge


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
    assert {y for _, y in positions.values()} == {0.0}
    assert len(set(positions.values())) == 3


def test_five_hundred_nodes_lay_out_cleanly() -> None:
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
    _assert_clean(graph, layered_layout(graph))
