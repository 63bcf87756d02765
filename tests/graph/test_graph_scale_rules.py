"""Big graphs: files in any wire order open, cycles are still refused with their nodes
named, edits still refuse cycles, and nothing recurses once per node.

The 10,000-node file is the most a project may hold; with a path search per wire it took
hours to open in reverse wire order. These are correctness tests (no timings): each
would hang or raise RecursionError if a quadratic or recursive walk came back.
"""

from __future__ import annotations

import copy
import json
import pickle
import random
import sys
from pathlib import Path
from typing import Any

import pytest

from dlstudio.compile.plan import build_plan
from dlstudio.graph import Graph, GraphError, infer_shapes
from dlstudio.graph.errors import ProjectError
from dlstudio.graph.model import Edge, WireError
from dlstudio.graph.project import MAX_NODES, load_project
from dlstudio.graph.summary import summarize

WIDTH = 4


def chain_data(nodes: int, order: str = "in order") -> dict[str, Any]:
    """A project's data: Input, `nodes - 2` ReLUs, Output, wires listed in `order`."""
    items = [{"id": "n0", "type": "Input", "name": "features",
              "params": {"kind": "vector", "shape": [WIDTH]}}]
    items += [{"id": f"n{i}", "type": "ReLU", "name": f"relu_{i}"} for i in range(1, nodes - 1)]
    items.append({"id": f"n{nodes - 1}", "type": "Output", "name": "result",
                  "params": {"loss": "mse"}})
    edges = [{"id": f"e{i}", "src": f"n{i}", "dst": f"n{i + 1}"} for i in range(nodes - 1)]
    if order == "reversed":
        edges.reverse()
    elif order == "shuffled":
        random.Random(5).shuffle(edges)
    return {"format_version": 2, "name": "chain", "graph": {"nodes": items, "edges": edges}}


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "big.dlstudio"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_largest_file_in_reverse_wire_order_opens(tmp_path: Path) -> None:
    graph = load_project(write(tmp_path, chain_data(MAX_NODES, "reversed"))).graph
    assert len(graph) == MAX_NODES and len(graph.edges) == MAX_NODES - 1
    report = infer_shapes(graph)
    assert report.ok, report.errors[:2]
    assert report.order == [f"n{i}" for i in range(MAX_NODES)]  # data-flow order


@pytest.mark.parametrize("order", ["in order", "reversed", "shuffled"])
def test_a_cycle_in_a_file_is_refused_with_its_wire_and_nodes(tmp_path: Path,
                                                              order: str) -> None:
    data = chain_data(400, order)
    items, edges = data["graph"]["nodes"], data["graph"]["edges"]
    items[200] = {"id": "n200", "type": "Add", "name": "join"}
    # relu_300 feeds back into join, which (through relu_201..) feeds relu_300
    edges.insert(37, {"id": "back", "src": "n300", "dst": "n200", "dst_port": "in2"})
    for edge in edges:
        if edge["dst"] == "n200" and edge["id"] != "back":
            edge["dst_port"] = "in1"
    with pytest.raises(ProjectError) as caught:
        load_project(write(tmp_path, data))
    # the cycle's wire listed last is named, as adding the wires in turn would find it
    on_cycle = {"back", *(f"e{i}" for i in range(200, 300))}
    last = max(i for i, edge in enumerate(edges) if edge["id"] in on_cycle)
    names = {item["id"]: item["name"] for item in items}
    src, dst = (names[edges[last][end]] for end in ("src", "dst"))
    assert caught.value.field == f"graph.edges[{last}]"
    assert caught.value.problem == f'wiring "{src}" to "{dst}" would make a cycle'


def test_from_dict_reports_the_index_of_a_bad_wire() -> None:
    data = chain_data(6)["graph"]
    data["edges"].append({"id": "extra", "src": "n1", "dst": "n3"})
    with pytest.raises(WireError, match='input \'in\' of "relu_3" is already fed') as caught:
        Graph.from_dict(data)
    assert caught.value.index == 5
    data["edges"][-1] = {"id": "e0", "src": "n4", "dst": "n4"}
    with pytest.raises(WireError, match='cannot wire "relu_4" to itself'):
        Graph.from_dict(data)


def test_from_dict_refuses_a_repeated_name_and_keeps_ids_counting() -> None:
    data = chain_data(5)["graph"]
    graph = Graph.from_dict(data)
    assert graph.add_node("ReLU").id == "n5" and graph.connect("n3", "n5").id == "e6"
    data["nodes"][2]["name"] = "relu_1"
    with pytest.raises(GraphError, match="'relu_1' is already used"):
        Graph.from_dict(data)


def test_edits_on_a_deep_chain_still_refuse_cycles() -> None:
    graph = Graph.from_dict(chain_data(MAX_NODES)["graph"])
    first = graph.edges_into("n1")[0]
    graph.disconnect(first.id)
    tail = f"n{MAX_NODES - 2}"
    assert graph.connection_problem(tail, "n1") == (
        f'wiring "relu_{MAX_NODES - 2}" to "relu_1" would make a cycle')
    with pytest.raises(GraphError, match="would make a cycle"):
        graph.connect(tail, "n1")
    assert graph.has_path("n1", tail) and not graph.has_path(tail, "n1")
    assert graph.connection_problem("n0", "n1") is None  # the wire that was there
    graph.connect("n0", "n1")
    assert infer_shapes(graph).ok


def test_wire_lookups_follow_every_change_to_the_table() -> None:
    graph = Graph.from_dict(chain_data(5)["graph"])
    graph.edges["loop"] = Edge("loop", "n3", "n1", "out", "in")  # behind the API's back
    assert [e.id for e in graph.edges_into("n1")] == ["e0", "loop"]
    assert graph.has_path("n3", "n2")
    del graph.edges["loop"]
    assert not graph.has_path("n3", "n2") and graph.edges_out_of("n3") == [graph.edges["e3"]]
    graph.edges = {"only": Edge("only", "n0", "n4")}  # replaced whole
    assert graph.edge_into("n4", "in") == graph.edges["only"]
    assert graph.edges_out_of("n1") == [] and graph.edges == {"only": graph.edges["only"]}
    clone = graph.copy()
    graph.disconnect("only")
    assert clone.edge_into("n4", "in") is not None and graph.edge_into("n4", "in") is None
    graph.remove_node("n0")
    assert clone.edges_out_of("n0") != [] and graph.edges == {}


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy,
                                       lambda g: pickle.loads(pickle.dumps(g))])
def test_copied_graphs_keep_their_own_wire_index(duplicate: Any) -> None:
    graph = Graph.from_dict(chain_data(4)["graph"])
    twin = duplicate(graph.edges)
    assert twin == graph.edges and twin is not graph.edges
    twin.pop("e1")
    assert [e.id for e in twin.out_of("n1")] == [] and twin.into("n3")
    assert graph.edge_into("n2", "in") == graph.edges["e1"]


def test_deep_graphs_need_no_recursion() -> None:
    """Shapes, the summary and the compile plan of a chain three times deeper than the
    recursion limit allows."""
    nodes = 3 * sys.getrecursionlimit()
    graph = Graph.from_dict(chain_data(nodes, "shuffled")["graph"])
    graph.add_node("Dense", name="fc", params={"units": 2}, node_id="fc")
    graph.disconnect(graph.edges_into(f"n{nodes - 1}")[0].id)
    graph.connect(f"n{nodes - 2}", "fc")
    graph.connect("fc", f"n{nodes - 1}")
    assert infer_shapes(graph).ok
    summary = summarize(graph)
    assert summary.total_params == WIDTH * 2 + 2 and summary.output_shape == (2,)
    assert summary.format_table().count("(ReLU)") == nodes - 2
    plan = build_plan(graph)
    assert len(plan.steps) == nodes - 1 and plan.result == "fc"


def test_a_cycle_made_behind_the_api_is_blamed_on_its_nodes_in_a_long_chain() -> None:
    graph = Graph.from_dict(chain_data(3000)["graph"])
    graph.add_node("Add", name="join", node_id="join")
    graph.disconnect(graph.edges_into("n1500")[0].id)
    graph.connect("n1499", "join", dst_port="in1")
    graph.connect("join", "n1500")
    graph.edges["loop"] = Edge("loop", "n2000", "join", "out", "in2")
    report = infer_shapes(graph)
    blamed = {p.node_id for p in report.errors if "cycle" in p.message}
    assert blamed == {"join", *(f"n{i}" for i in range(1500, 2001))}
    assert len(report.order) == 1500  # everything upstream of the cycle
