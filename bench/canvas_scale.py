"""How the canvas scales: a 500-node graph opened in a 1600×1000 view (offscreen).

Times opening the graph (shapes, scene, automatic layout) and rendering a whole frame at
100% zoom, while panning, while zooming in wheel steps (every card's cached picture is
redrawn) and zoomed out to fit everything, with an empty scene's frame from the same run
as the reference: compare runs by the ratios, since the machine's speed varies.
Goals: open < 1 s, a frame < 16 ms.

With --big, also File > Open of a laid-out 10,000-node project in the main window (every
panel installed), against the core's load + check + summary of the same file in the same
run, and frames of scrolling, zooming and selecting in that window afterwards.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/canvas_scale.py [--save PNG] [--big]
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
    parser.add_argument("--big", action="store_true",
                        help="also open a 10,000-node project in the main window")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    if args.big:
        big_open(app)

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


def big_open(app: QApplication) -> None:
    """File > Open of a 10,000-node chain (positions laid out, as a saved project has
    them) until the canvas has drawn, against the core's own load, check and summary."""
    import tempfile  # noqa: PLC0415 - only this part needs them
    from pathlib import Path  # noqa: PLC0415

    sys.path.insert(0, str(Path(__file__).parent))
    from graph_scale_big import chain_graph, write_project  # noqa: PLC0415

    from dlstudio.graph import infer_shapes  # noqa: PLC0415
    from dlstudio.graph.layout import apply_layout  # noqa: PLC0415
    from dlstudio.graph.project import load_project  # noqa: PLC0415
    from dlstudio.graph.summary import summarize  # noqa: PLC0415
    from dlstudio.ui.main_window import MainWindow  # noqa: PLC0415
    from dlstudio.ui.workbench import install_workbench  # noqa: PLC0415

    graph = chain_graph()
    apply_layout(graph)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.dlstudio"
        write_project(graph, path, "listed")
        start = time.perf_counter()
        project = load_project(path)
        summarize(project.graph, infer_shapes(project.graph))
        core_s = time.perf_counter() - start
        window = MainWindow()
        install_workbench(window)
        window.resize(1366, 768)
        window.show()
        app.processEvents()
        start = time.perf_counter()
        window.files.open(path)
        opened = time.perf_counter()
        app.processEvents()
        window.view.viewport().grab()
        shown = time.perf_counter()
        print(f"10,000-node File > Open: {shown - start:.2f} s to the drawn canvas "
              f"(open {opened - start:.2f} s, first frame {shown - opened:.2f} s); "
              f"core load+check+summary {core_s:.2f} s; ratio {(shown - start) / core_s:.1f}x")
        view = window.view
        items = list(view.canvas_scene.nodes.values())
        steps = {"scroll": lambda: view.pan_by(0, 40),
                 "zoom": lambda: view.set_zoom(1.0 if view.zoom() != 1.0 else 1 / 1.2),
                 "select": lambda: (view.canvas_scene.clearSelection(),
                                    items[len(items) // 2].setSelected(True))}
        for label, step in steps.items():
            times = frame_times(app, view, step)
            print(f"  {label:>6} in that window: p50 {statistics.median(times):6.1f} ms  "
                  f"max {max(times):6.1f} ms")
        window.close()
        app.processEvents()


if __name__ == "__main__":
    sys.exit(main())
