"""How the canvas scales: a 500-node graph opened in a 1600×1000 view (offscreen).

Times opening the graph (shapes, scene, automatic layout) and rendering a whole frame at
100% zoom, while panning, while zooming in wheel steps (every card's cached picture is
redrawn) and zoomed out to fit everything, with an empty scene's frame from the same run
as the reference: compare runs by the ratios, since the machine's speed varies.
Goals: open < 1 s, a frame < 16 ms.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/canvas_scale.py [--save PNG]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from dlstudio.graph import Graph  # noqa: E402
from dlstudio.graph.project import Project  # noqa: E402
from dlstudio.ui.canvas import CanvasView  # noqa: E402
from dlstudio.ui.document import Document  # noqa: E402

CHAINS, LENGTH = 26, 19  # 26 parallel chains of 19 Dense nodes, merged: 501 nodes
VIEW_SIZE = (1600, 1000)
FRAMES = 30
LOAD_GOAL_S, FRAME_GOAL_MS = 1.0, 16.0


def build_graph() -> Graph:
    """Input -> 26 chains of Dense layers -> Add trees -> Output, all at the origin."""
    graph = Graph()
    source = graph.add_node("Input", params={"kind": "vector", "shape": (32,)}).id
    ends = []
    for chain in range(CHAINS):
        last = source
        for step in range(LENGTH):
            node = graph.add_node("Dense", name=f"c{chain}_fc{step}", params={"units": 32})
            graph.connect(last, node.id)
            last = node.id
        ends.append(last)
    merged = []
    for start in range(0, len(ends), 8):
        group = ends[start:start + 8]
        add = graph.add_node("Add", params={"inputs": len(group)})
        for port, end in zip(add.input_ports, group, strict=True):
            graph.connect(end, add.id, dst_port=port)
        merged.append(add.id)
    top = graph.add_node("Add", params={"inputs": len(merged)})
    for port, end in zip(top.input_ports, merged, strict=True):
        graph.connect(end, top.id, dst_port=port)
    output = graph.add_node("Output", params={"loss": "mse"})
    graph.connect(top.id, output.id)
    return graph


def frame_times(app: QApplication, view: CanvasView, step: Callable[[], None]) -> list[float]:
    """Milliseconds to take a `step` (a pan, a zoom) and render the whole viewport after
    it, FRAMES times; pending events are handled between frames, untimed."""
    times = []
    for _ in range(FRAMES):
        app.processEvents()
        start = time.perf_counter()
        step()
        view.viewport().grab()
        times.append((time.perf_counter() - start) * 1000)
    return times


def measure_cases(app: QApplication, view: CanvasView, first: tuple[float, float],
                  reference: float) -> float:
    """Print p50/max frame times per case; return the worst p50."""

    def at_100() -> None:
        if view.zoom() != 1.0:
            view.set_zoom(1.0)
            view.centerOn(first[0] + 800, first[1])

    def panning() -> None:
        view.pan_by(-37, 11)

    def zooming() -> None:
        view.set_zoom(1.0 if view.zoom() != 1.0 else 1 / 1.2)

    def fitted() -> None:
        if view.zoom() == 1.0:
            view.fit_all()

    cases = {"100% zoom": at_100, "panning at 100%": panning, "zoom steps": zooming,
             "fit all": fitted}
    worst = 0.0
    print(f"empty scene frame: p50 {reference:.2f} ms (reference)")
    for label, before in cases.items():
        times = frame_times(app, view, before)
        p50, peak = statistics.median(times), max(times)
        worst = max(worst, p50)
        print(f"{label:>16}: p50 {p50:6.2f} ms  max {peak:6.2f} ms  "
              f"ratio to empty {p50 / reference:5.1f}x  (zoom {view.zoom():.3f})")
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", help="also save a picture of the fitted view here")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])

    graph = build_graph()
    start = time.perf_counter()
    document = Document(Project(graph=graph, name="bench"))
    opened = time.perf_counter()
    view = CanvasView(document)
    view.resize(*VIEW_SIZE)
    view.show()
    built = time.perf_counter()
    view.auto_layout()
    app.processEvents()
    laid_out = time.perf_counter()
    load_s = laid_out - start
    print(f"canvas_scale: {len(graph.nodes)} nodes, {len(graph.edges)} wires, "
          f"view {VIEW_SIZE[0]}×{VIEW_SIZE[1]}")
    print(f"open: {load_s * 1000:.0f} ms (shapes {1000 * (opened - start):.0f}, "
          f"scene {1000 * (built - opened):.0f}, layout {1000 * (laid_out - built):.0f}) "
          f"goal < {LOAD_GOAL_S * 1000:.0f} ms: {'ok' if load_s < LOAD_GOAL_S else 'SLOW'}")

    empty_document = Document()
    empty = CanvasView(empty_document)
    empty.resize(*VIEW_SIZE)
    empty.show()
    reference = statistics.median(frame_times(app, empty, lambda: None))

    worst = measure_cases(app, view, next(iter(graph.nodes.values())).position, reference)
    print(f"frame goal < {FRAME_GOAL_MS:.0f} ms (p50): "
          f"{'ok' if worst < FRAME_GOAL_MS else 'SLOW'}")
    if args.save:
        view.viewport().grab().save(args.save)

    for widget in (view, empty):
        widget.close()
        widget.canvas_scene.detach()
    del view, empty
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
