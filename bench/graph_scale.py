"""How the graph core scales, each step timed against a reference from the same run.

Part 1: a 500-node residual network, built, checked, laid out, compiled and saved
(the goal: every step together well under a second).
Part 2: 10,000-node projects (the most a file may hold, docs/project-format.md): a chain
with its wires in order, reversed and shuffled, and a residual network. Each is opened
from its file, checked (shapes and the data checks) and summarised, the goal being under
2 s in all; then the would-be cycle and a legal wire are checked as an edit would check
them, and the chain is compiled (reported, not part of the goal).

Run: .venv/bin/python bench/graph_scale.py   (--big-only skips part 1)
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from graph_scale_big import best_of as timed
from graph_scale_big import big_projects
from torch import nn

from dlstudio.compile import compile_graph
from dlstudio.graph import Graph, infer_shapes
from dlstudio.graph.layout import layered_layout
from dlstudio.graph.project import Project, load_project, save_project

BLOCKS = 71  # 7 nodes per residual block, plus 5 around them: 502 nodes
CHANNELS = 16
SIZE = 32
GOAL_S = 1.0


def build_graph() -> Graph:
    """Input, 71 residual blocks (conv-BN-ReLU-conv-BN, Add skip, ReLU), a classifier."""
    graph = Graph()
    last = graph.add_node("Input", name="image", params={"shape": (CHANNELS, SIZE, SIZE)}).id

    def chain(type_name: str, name: str, source: str, **params: Any) -> str:
        node = graph.add_node(type_name, name=name, params=params)
        graph.connect(source, node.id, dst_port=node.input_ports[0])
        return node.id

    for index in range(BLOCKS):
        conv = {"filters": CHANNELS, "kernel_size": 3, "padding": 1, "bias": False}
        x = chain("Conv2d", f"b{index}_conv1", last, **conv)
        x = chain("BatchNorm2d", f"b{index}_bn1", x)
        x = chain("ReLU", f"b{index}_relu1", x)
        x = chain("Conv2d", f"b{index}_conv2", x, **conv)
        x = chain("BatchNorm2d", f"b{index}_bn2", x)
        add = chain("Add", f"b{index}_add", x)
        graph.connect(last, add, dst_port="in2")
        last = chain("ReLU", f"b{index}_relu2", add)
    last = chain("GlobalAvgPool", "pool", last)
    last = chain("Dense", "fc", last, units=10)
    last = chain("Softmax", "softmax", last)
    chain("Output", "output", last)
    return graph


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False), nn.BatchNorm2d(CHANNELS),
            nn.ReLU(), nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, bias=False),
            nn.BatchNorm2d(CHANNELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.body(x) + x)


def reference_module() -> nn.Module:
    """The same network written by hand in PyTorch."""
    return nn.Sequential(*(Block() for _ in range(BLOCKS)), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(CHANNELS, 10), nn.Softmax(dim=-1))


def forward_once(module: nn.Module) -> None:
    module.eval()
    with torch.no_grad():
        module(torch.zeros(1, CHANNELS, SIZE, SIZE))


def json_round_trip(graph: Graph, folder: Path) -> Graph:
    path = folder / "plain.json"
    path.write_text(json.dumps(graph.to_dict()), encoding="utf-8")
    return Graph.from_dict(json.loads(path.read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    torch.set_num_threads(1)
    if "--big-only" not in (sys.argv[1:] if argv is None else argv):
        small_graph()
    return big_projects()


def small_graph() -> None:
    rows: list[tuple[str, float, str, float]] = []
    construct_s, module = timed(reference_module)
    forward_s, _ = timed(lambda: forward_once(module))

    build_s, graph = timed(build_graph)
    rows.append(("build graph", build_s, "torch module construction", construct_s))
    infer_s, report = timed(lambda: infer_shapes(graph))
    assert report.ok, report.problems[:3]
    rows.append(("infer_shapes", infer_s, "torch forward, batch of 1", forward_s))
    layout_s, positions = timed(lambda: layered_layout(graph))
    assert len(positions) == len(graph)
    rows.append(("layered_layout", layout_s, "torch forward, batch of 1", forward_s))

    compile_s, _ = timed(lambda: compile_graph(graph))
    rows.append(("compile_graph", compile_s, "torch module construction", construct_s))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.dlstudio"

        def save_and_load() -> Graph:
            save_project(Project(graph=graph), path)
            return load_project(path).graph

        plain_s, _ = timed(lambda: json_round_trip(graph, Path(tmp)))
        save_s, loaded = timed(save_and_load)
        assert len(loaded) == len(graph)
        rows.append(("save + load project", save_s, "graph JSON round trip", plain_s))

    print(f"{len(graph)} nodes, {len(graph.edges)} wires")
    for name, seconds, ref_name, ref_seconds in rows:
        print(f"{name:<20} {seconds * 1000:8.1f} ms   {seconds / ref_seconds:6.2f}x "
              f"{ref_name} ({ref_seconds * 1000:.1f} ms)")
    total = sum(row[1] for row in rows)
    verdict = "met" if total < GOAL_S else "NOT met"
    print(f"{'total':<20} {total * 1000:8.1f} ms   goal under {GOAL_S:g} s: {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
