"""What the canvas shows: node text, typed ports, wire shapes, error badges, level of
detail, themes, big graphs, and a clean exit after heavy use of Qt."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from dlstudio.ui.canvas import CanvasView
from dlstudio.ui.canvas.describe import accepting_ports, param_items
from dlstudio.ui.canvas.lod import TEXT_LOD
from dlstudio.ui.canvas.node_item import fonts
from dlstudio.ui.document import Document

REPO = Path(__file__).resolve().parents[2]


def make_view(qtbot, document: Document) -> CanvasView:
    view = CanvasView(document)
    qtbot.addWidget(view)
    view.resize(1200, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_nodes_show_type_name_key_params_and_output_shape(qtbot) -> None:
    document = Document.from_template("cnn-small")
    view = make_view(qtbot, document)
    conv = document.graph.node_by_name("conv1")
    item = view.canvas_scene.nodes[conv.id]
    assert (item.type_name, item.name, item.shape_text) == ("Conv2d", "conv1", "32×26×26")
    assert param_items(conv) == ["filters=32", "k=3", "s=1", "pad=0"]
    pool = document.graph.node_by_name("pool1")
    assert param_items(pool) == ["k=2", "s=2"]  # stride 0 means "the window size"
    document.editor.rename(conv.id, "features")
    document.editor.set_param(conv.id, "filters", 16)
    qtbot.waitUntil(lambda: item.shape_text == "16×26×26")
    assert item.name == "features" and "filters=16" in item._params_text


def test_ports_are_typed_by_the_rank_of_their_shape(qtbot) -> None:
    document = Document.from_template("cnn-small")
    view = make_view(qtbot, document)
    items = {document.graph.nodes[i].name: item for i, item in view.canvas_scene.nodes.items()}
    assert items["conv1"].output.kind == "image"
    assert items["conv1"].inputs["in"].kind == "image"
    assert items["flatten"].output.kind == "vector"
    assert "vector 5408" in items["flatten"].output.toolTip()
    assert "conv1" in items["relu1"].inputs["in"].toolTip()
    text = Document.from_template("lstm-text")
    text_view = make_view(qtbot, text)
    source = text.graph.nodes_of_type("Input")[0]
    assert text_view.canvas_scene.nodes[source.id].output.kind == "tokens"


def test_wires_are_labelled_with_the_shape_they_carry(qtbot) -> None:
    document = Document.from_template("cnn-small")
    view = make_view(qtbot, document)
    labels = {}
    for edge in document.graph.edges.values():
        labels[document.graph.nodes[edge.src].name] = view.canvas_scene.wires[edge.id].label
    assert labels["image"] == "1×28×28" and labels["pool1"] == "32×13×13"
    assert labels["flatten"] == "5408" and labels["fc2"] == "10"


def test_a_node_with_an_error_gets_a_badge_and_its_message_on_hover(qtbot) -> None:
    document = Document()
    view = make_view(qtbot, document)
    output = document.editor.add_node("Output", (300, 0), {"loss": "mse"})
    dense = document.editor.add_node("Dense", (0, 0))
    item = view.canvas_scene.nodes[dense]
    qtbot.waitUntil(lambda: item.severity == "error")
    assert "not connected" in item.toolTip() and "dense_1" in item.toolTip()
    source = document.editor.add_node("Input", (-300, 0), {"kind": "vector", "shape": (3,)})
    document.editor.connect(source, dense)
    qtbot.waitUntil(lambda: item.severity != "error")
    assert item.severity == "warning"  # it does not lead to the Output yet
    assert "does not lead to the Output" in item.toolTip()
    document.editor.connect(dense, output)
    qtbot.waitUntil(lambda: item.severity is None)
    assert "⚠" not in item.toolTip()


def test_accepting_ports_match_what_connect_allows(qtbot) -> None:
    document = Document.from_template("resnet18")
    graph, report, editor = document.graph, document.report, document.editor
    source = graph.node_by_name("layer1_0_relu1").id
    accepted = accepting_ports(graph, report, source)
    for node in graph.nodes.values():
        for port in node.input_ports:
            allowed = editor.connection_problem(source, node.id, "out", port) is None
            assert ((node.id, port) in accepted) == allowed, (node.name, port)


def test_resnet18_loads_one_item_per_node_and_per_wire(qtbot) -> None:
    document = Document.from_template("resnet18")
    view = make_view(qtbot, document)
    scene = view.canvas_scene
    assert set(scene.nodes) == set(document.graph.nodes)
    assert set(scene.wires) == set(document.graph.edges)
    assert len(scene.wires) > len(scene.nodes)  # the skip connections
    view.fit_all()
    image = view.viewport().grab().toImage()
    assert image.width() > 0


def test_zoomed_out_the_canvas_hides_ports_and_draws_wires_as_one_overview(qtbot) -> None:
    document = Document.from_template("cnn-two-block")
    view = make_view(qtbot, document)
    scene = view.canvas_scene
    view.set_zoom(1.0)
    port = next(iter(scene.nodes.values())).output
    assert port.isVisible() and not scene.overview.isVisible()
    view.set_zoom(0.2)
    assert not port.isVisible() and not next(iter(scene.wires.values())).isVisible()
    assert scene.overview.isVisible()
    document.editor.add_node("Dense", (0, 500))  # new items follow the current detail
    new = list(scene.nodes.values())[-1]
    assert not new.inputs["in"].isVisible()
    view.viewport().grab()
    view.set_zoom(1.0)
    assert new.inputs["in"].isVisible() and not scene.overview.isVisible()


def test_dark_theme_repaints_the_canvas(qtbot) -> None:
    document = Document.from_template("mlp")
    view = make_view(qtbot, document)
    corner = view.viewport().rect().topLeft()

    def corner_colour() -> QColor:
        image: QImage = view.viewport().grab().toImage()
        return image.pixelColor(corner.x() + 3, corner.y() + 3)

    light = corner_colour().lightness()
    view.set_dark(True)
    assert corner_colour().lightness() < light - 100
    view.set_dark(False)
    assert abs(corner_colour().lightness() - light) < 10


def test_switching_documents_drops_the_old_scene(qtbot) -> None:
    first = Document.from_template("mlp")
    view = make_view(qtbot, first)
    second = Document.from_template("cnn-small")
    view.set_document(second)
    assert set(view.canvas_scene.nodes) == set(second.graph.nodes)
    first.editor.add_node("Dense", (0, 0))  # the old document no longer reaches the view
    assert set(view.canvas_scene.nodes) == set(second.graph.nodes)


def test_heavy_qt_use_then_exit_is_clean() -> None:
    """Thousands of Qt calls and signals, a big scene rendered, then exit code 0
    (shiboken6 6.12.0 on Python 3.11 aborts here: see docs/architecture.md)."""
    script = textwrap.dedent("""
        import os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QObject, Signal
        from PySide6.QtWidgets import QApplication
        from dlstudio.ui.canvas import CanvasView
        from dlstudio.ui.document import Document

        class Beacon(QObject):
            fired = Signal(bool)

        app = QApplication([])
        beacon = Beacon()
        beacon.fired.connect(lambda on: None)
        for _ in range(20000):
            beacon.setObjectName("x")
            beacon.fired.emit(True)
        view = CanvasView(Document.from_template("resnet18"))
        view.resize(1600, 1000)
        view.show()
        for zoom in (1.0, 0.5, 0.1):
            view.set_zoom(zoom)
            view.viewport().grab()
        view.close()
        print("rendered")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "rendered" in result.stdout


def test_an_empty_canvas_says_how_to_begin_and_the_hint_goes_with_the_first_node(qtbot):
    from dlstudio.ui.canvas.view import EMPTY_HINT

    view = CanvasView(Document())
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.show()
    qtbot.waitExposed(view)

    def dim_pixels() -> int:
        image = view.viewport().grab().toImage()
        dim = view.canvas_scene.colors.color("text_dim").rgb()
        return sum(image.pixel(x, y) == dim for x in range(200, 600, 2) for y in range(200, 300, 2))

    assert "New from template" in EMPTY_HINT
    assert dim_pixels() > 20  # the hint's text is drawn in the middle
    view.document.editor.add_node("Dense", (-2000, -2000))  # far out of sight
    qtbot.wait(50)
    assert dim_pixels() == 0


def test_whole_models_fitted_to_a_laptop_canvas_keep_names_and_shapes_legible(qtbot) -> None:
    for template in ("lenet5", "vgg16", "resnet18"):
        view = CanvasView(Document.from_template(template))
        qtbot.addWidget(view)
        view.resize(1000, 600)  # the canvas in a 1366×768 window
        view.show()
        qtbot.waitExposed(view)
        view.fit_all()
        scale = view.transform().m11()
        assert scale >= TEXT_LOD, template  # cards draw their text, not a plain block
        for role in ("name", "shape"):
            assert fonts()[role].pixelSize() * scale >= 7, (template, role, scale)
        shown = view.mapToScene(view.viewport().rect()).boundingRect()
        assert all(shown.contains(item.sceneBoundingRect())
                   for item in view.canvas_scene.nodes.values()), template


def test_wire_labels_of_wrapped_models_are_clear_of_every_card(qtbot) -> None:
    """A wire climbing to the next column has its label below its source, not in the
    narrow gap between columns where the next column's cards hid it."""
    for template in ("vgg16", "resnet18"):
        view = CanvasView(Document.from_template(template))
        qtbot.addWidget(view)
        view.resize(1000, 600)
        view.show()
        qtbot.waitExposed(view)
        view.fit_all()
        scene = view.canvas_scene
        shown = view.mapToScene(view.viewport().rect()).boundingRect()
        cards = [item.sceneBoundingRect() for item in scene.nodes.values()]
        labels = [wire.label_rect for wire in scene.wires.values() if wire.label]
        assert len(labels) == len(scene.wires), template
        assert any(w.target.scenePos().y() < w.source.scenePos().y()
                   for w in scene.wires.values()), template  # it wraps into columns
        for label in labels:
            assert shown.contains(label), (template, label)
            assert not any(card.adjusted(2, 2, -2, -2).intersects(label) for card in cards)


def test_long_names_are_cut_at_the_end(qtbot) -> None:
    document = Document.from_template("resnet18")
    view = make_view(qtbot, document)
    item = view.canvas_scene.nodes[document.graph.node_by_name("layer2_0_down_conv").id]
    shown = item.elided_name(fonts()["name"], item.name_rect().width())
    assert shown.endswith("…") and item.name.startswith(shown[:-1]) and len(shown) > 8
    conv1 = view.canvas_scene.nodes[document.graph.node_by_name("conv1").id]
    assert conv1.elided_name(fonts()["name"], conv1.name_rect().width()) == "conv1"
