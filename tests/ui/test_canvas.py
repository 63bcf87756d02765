"""The canvas driven as a user would: drops from the palette, wires drawn with the mouse,
nodes dragged, keys pressed. Each gesture is checked in the model and in the undo stack."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from dlstudio.ui.canvas import CanvasView
from dlstudio.ui.document import Document
from dlstudio.ui.palette import layer_mime_data

LEFT, MIDDLE = Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton
NO_MOD, CTRL = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def make_view(qtbot, document: Document | None = None) -> CanvasView:
    view = CanvasView(document or Document())
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    view.set_zoom(1.0)
    view.centerOn(300, 0)
    view.setFocus()
    return view


def at(view: CanvasView, x: float, y: float) -> QPoint:
    """Viewport pixel of a scene point."""
    return view.mapFromScene(QPointF(x, y))


def move_mouse(view: CanvasView, point: QPoint, buttons=LEFT, modifiers=NO_MOD) -> None:
    viewport = view.viewport()
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(point),
                        QPointF(viewport.mapToGlobal(point)), Qt.MouseButton.NoButton,
                        buttons, modifiers)
    QApplication.sendEvent(viewport, event)


def drag(qtbot, view: CanvasView, start: QPoint, end: QPoint, button=LEFT, steps: int = 6,
         release: bool = True) -> None:
    qtbot.mousePress(view.viewport(), button, NO_MOD, start)
    for step in range(1, steps + 1):
        move_mouse(view, start + (end - start) * (step / steps), button)
    if release:
        qtbot.mouseRelease(view.viewport(), button, NO_MOD, end)


def leave_canvas(view: CanvasView) -> None:
    QApplication.sendEvent(view.viewport(), QEvent(QEvent.Type.Leave))


def drop_layer(view: CanvasView, type_name: str, point: QPoint) -> None:
    mime, copy = layer_mime_data(type_name), Qt.DropAction.CopyAction
    viewport = view.viewport()
    # Qt 6 takes a QPoint for enter/move and a QPointF for the drop itself.
    for event in (QDragEnterEvent(point, copy, mime, LEFT, NO_MOD),
                  QDragMoveEvent(point, copy, mime, LEFT, NO_MOD),
                  QDropEvent(QPointF(point), copy, mime, LEFT, NO_MOD)):
        QApplication.sendEvent(viewport, event)


def add(view: CanvasView, type_name: str, x: float, y: float, **params) -> str:
    return view.document.editor.add_node(type_name, (x, y), params or None)


def port_point(view: CanvasView, node_id: str, port: str) -> QPoint:
    item = view.canvas_scene.nodes[node_id]
    port_item = item.output if port == "out" else item.inputs[port]
    return view.mapFromScene(port_item.scenePos())


def snapshot(view: CanvasView) -> dict:
    data = view.document.graph.to_dict()
    return {key: sorted(data[key], key=lambda item: item["id"]) for key in data}


def test_dropping_a_palette_entry_creates_the_node_at_the_drop_point(qtbot) -> None:
    view = make_view(qtbot)
    point = at(view, 203, 117)
    drop_layer(view, "Conv2d", point)
    (node,) = view.document.graph.nodes.values()
    assert node.type == "Conv2d"
    assert node.position == (200.0, 120.0)  # the drop point, on the 20 px grid
    assert view.canvas_scene.nodes[node.id].pos() == QPointF(200, 120)
    assert view.canvas_scene.selected_node_ids() == [node.id]
    assert view.document.undo_stack.text(0) == "Add Conv2d conv2d_1"


def test_dragging_output_to_input_wires_them_and_labels_the_wire(qtbot) -> None:
    view = make_view(qtbot)
    source = add(view, "Input", 0, 0)
    conv = add(view, "Conv2d", 300, 0)
    dense = add(view, "Dense", 300, 200)
    drag(qtbot, view, port_point(view, source, "out"), port_point(view, conv, "in"),
         release=False)
    inputs = {node_id: view.canvas_scene.nodes[node_id].inputs["in"] for node_id in (conv, dense)}
    assert inputs[conv].highlighted  # an image fits a Conv2d
    assert not inputs[dense].highlighted  # but not a Dense
    qtbot.mouseRelease(view.viewport(), LEFT, NO_MOD, port_point(view, conv, "in"))
    assert not inputs[conv].highlighted
    (edge,) = view.document.graph.edges.values()
    assert (edge.src, edge.dst, edge.dst_port) == (source, conv, "in")
    wire = view.canvas_scene.wires[edge.id]
    qtbot.waitUntil(lambda: wire.label == "1×28×28")
    assert view.document.undo_stack.text(view.document.undo_stack.index() - 1) == \
        "Connect input_1 → conv2d_1"


def test_refused_wires_are_not_made_and_the_reason_is_shown(qtbot) -> None:
    view = make_view(qtbot)
    first = add(view, "Input", 0, 0)
    second = add(view, "Input", 0, 200)
    conv = add(view, "Conv2d", 300, 0)
    flat = add(view, "Flatten", 600, 0)
    conv2 = add(view, "Conv2d", 900, 0)
    editor = view.document.editor
    assert editor.connect(first, conv) is None and editor.connect(conv, flat) is None
    cases = [
        (second, conv, "already fed"),  # occupied input
        (flat, conv2, "image"),  # a vector into a convolution
    ]
    for src, dst, words in cases:
        edges = dict(view.document.graph.edges)
        with qtbot.waitSignal(view.message_shown) as shown:
            drag(qtbot, view, port_point(view, src, "out"), port_point(view, dst, "in"))
        assert words in shown.args[0]
        assert view.document.graph.edges == edges
        assert view.message_text() == shown.args[0]
    merge = add(view, "Add", 300, 300)
    assert editor.connect(flat, merge, dst_port="in1") is None
    view.centerOn(450, 150)
    with qtbot.waitSignal(view.message_shown) as shown:  # a cycle through the merge
        drag(qtbot, view, port_point(view, merge, "out"), port_point(view, flat, "in"))
    assert "already fed" in shown.args[0] or "cycle" in shown.args[0]


def test_dropping_a_wire_on_a_node_body_uses_its_free_input(qtbot) -> None:
    view = make_view(qtbot)
    source = add(view, "Input", 0, 0, kind="vector", shape=(4,))
    dense = add(view, "Dense", 300, 0)
    drag(qtbot, view, port_point(view, source, "out"), at(view, 300, 0))
    assert view.document.graph.edge_into(dense, "in").src == source


def test_moving_a_node_by_dragging_is_one_undo_step(qtbot) -> None:
    view = make_view(qtbot)
    node = add(view, "Dense", 100, 0)
    stack = view.document.undo_stack
    count = stack.count()
    drag(qtbot, view, at(view, 100, 0), at(view, 201, 38), steps=10)
    assert view.document.graph.nodes[node].position == (200.0, 40.0)  # snapped
    assert stack.count() == count + 1 and stack.text(count) == "Move dense_1"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert view.document.graph.nodes[node].position == (100.0, 0.0)
    assert view.canvas_scene.nodes[node].pos() == QPointF(100, 0)
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert view.document.graph.nodes[node].position == (200.0, 40.0)


def test_wires_follow_a_dragged_node(qtbot) -> None:
    view = make_view(qtbot)
    source = add(view, "Input", 0, 0)
    conv = add(view, "Conv2d", 300, 0)
    view.document.editor.connect(source, conv)
    wire = next(iter(view.canvas_scene.wires.values()))
    drag(qtbot, view, at(view, 300, 0), at(view, 400, 100))
    end = wire.path.pointAtPercent(1)
    assert end == view.canvas_scene.nodes[conv].inputs["in"].scenePos()


def test_keyboard_undo_and_redo_walk_back_every_kind_of_edit(qtbot) -> None:
    view = make_view(qtbot)
    editor = view.document.editor
    states = [snapshot(view)]

    def record(edit) -> None:
        edit()
        states.append(snapshot(view))

    record(lambda: drop_layer(view, "Input", at(view, 0, 0)))
    record(lambda: drop_layer(view, "Conv2d", at(view, 300, 0)))
    source, conv = list(view.document.graph.nodes)
    record(lambda: editor.connect(source, conv))
    record(lambda: editor.set_param(conv, "filters", 8))
    record(lambda: editor.rename(conv, "conv1"))
    record(lambda: drag(qtbot, view, at(view, 300, 0), at(view, 340, 80)))
    record(lambda: (view.canvas_scene.select_nodes([conv]), view.duplicate()))
    record(lambda: view.auto_layout())
    wire = next(iter(view.document.graph.edges))
    record(lambda: editor.disconnect(wire))
    record(lambda: (view.canvas_scene.select_nodes([source]),
                    qtbot.keyClick(view, Qt.Key.Key_Delete)))
    assert view.document.undo_stack.count() == len(states) - 1
    for state in reversed(states[:-1]):
        qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
        assert snapshot(view) == state
    for index, state in enumerate(states[1:]):
        if index % 2:
            qtbot.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
        else:
            qtbot.keyClick(view, Qt.Key.Key_Y, CTRL)
        assert snapshot(view) == state
    assert set(view.canvas_scene.nodes) == set(view.document.graph.nodes)
    assert set(view.canvas_scene.wires) == set(view.document.graph.edges)


def test_rubber_band_copy_paste_keeps_the_wiring_among_pasted_nodes(qtbot) -> None:
    view = make_view(qtbot)
    source = add(view, "Input", 0, 0)
    conv = add(view, "Conv2d", 260, 0)
    pool = add(view, "MaxPool2d", 520, 0)
    editor = view.document.editor
    editor.connect(source, conv)
    editor.connect(conv, pool)
    drag(qtbot, view, at(view, 150, -120), at(view, 640, 120))  # around conv and pool
    assert sorted(view.canvas_scene.selected_node_ids()) == sorted([conv, pool])
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    leave_canvas(view)  # pasting from the menu: beside the originals
    qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    graph = view.document.graph
    new = view.canvas_scene.selected_node_ids()
    assert len(new) == 2 and not set(new) & {source, conv, pool}
    new_conv = next(i for i in new if graph.nodes[i].type == "Conv2d")
    new_pool = next(i for i in new if graph.nodes[i].type == "MaxPool2d")
    assert graph.edge_into(new_pool, "in").src == new_conv
    assert graph.edge_into(new_conv, "in") is None
    assert graph.nodes[new_conv].position == (300.0, 40.0)
    assert view.document.undo_stack.text(view.document.undo_stack.index() - 1) == \
        "Paste 2 nodes"
    qtbot.keyClick(view, Qt.Key.Key_D, CTRL)  # duplicate the pasted pair
    assert len(graph.nodes) == 7 and len(graph.edges) == 4


def test_cut_removes_and_paste_brings_back(qtbot) -> None:
    view = make_view(qtbot)
    node = add(view, "Dense", 0, 0, units=7)
    view.canvas_scene.select_nodes([node])
    qtbot.keyClick(view, Qt.Key.Key_X, CTRL)
    assert not view.document.graph.nodes
    qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    (pasted,) = view.document.graph.nodes.values()
    assert pasted.params["units"] == 7 and pasted.name == "dense_1"


def test_delete_key_removes_node_and_wires_and_undo_restores_same_ids(qtbot) -> None:
    view = make_view(qtbot)
    source = add(view, "Input", 0, 0)
    conv = add(view, "Conv2d", 260, 0)
    pool = add(view, "MaxPool2d", 520, 0)
    view.document.editor.connect(source, conv)
    view.document.editor.connect(conv, pool)
    before = snapshot(view)
    edges = set(view.document.graph.edges)
    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, at(view, 260, 0))
    assert view.document.selected_ids() == [conv]
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert conv not in view.document.graph.nodes and not view.document.graph.edges
    assert conv not in view.canvas_scene.nodes and not view.canvas_scene.wires
    assert view.document.undo_stack.text(view.document.undo_stack.index() - 1) == \
        "Delete conv2d_1"
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert snapshot(view) == before and set(view.document.graph.edges) == edges
    assert set(view.canvas_scene.wires) == edges


def test_a_clicked_wire_can_be_deleted(qtbot) -> None:
    view = make_view(qtbot)
    source = add(view, "Input", 0, 0)
    conv = add(view, "Conv2d", 300, 0)
    view.document.editor.connect(source, conv)
    middle = next(iter(view.canvas_scene.wires.values())).path.pointAtPercent(0.5)
    qtbot.mouseClick(view.viewport(), LEFT, NO_MOD, view.mapFromScene(middle))
    assert len(view.canvas_scene.selected_edge_ids()) == 1
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert not view.document.graph.edges and len(view.document.graph.nodes) == 2


def test_rename_in_place(qtbot) -> None:
    view = make_view(qtbot)
    node = add(view, "Conv2d", 100, 0)
    qtbot.mouseDClick(view.viewport(), LEFT, NO_MOD, at(view, 100, 0))
    editor = view.name_editor
    assert editor.isVisible() and editor.text() == "conv2d_1"
    editor.selectAll()
    qtbot.keyClicks(editor, "features")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert view.document.graph.nodes[node].name == "features"
    assert not editor.isVisible()
    assert view.document.undo_stack.text(view.document.undo_stack.index() - 1) == \
        "Rename conv2d_1 → features"
    view.canvas_scene.select_nodes([node])
    qtbot.keyClick(view, Qt.Key.Key_F2)
    editor.selectAll()
    with qtbot.waitSignal(view.message_shown) as shown:
        qtbot.keyClicks(editor, "not valid")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert "not allowed" in shown.args[0]
    assert view.document.graph.nodes[node].name == "features"
    qtbot.keyClick(view, Qt.Key.Key_F2)
    qtbot.keyClicks(editor, "other")
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert view.document.graph.nodes[node].name == "features" and not editor.isVisible()


def test_wheel_zooms_around_the_cursor(qtbot) -> None:
    view = make_view(qtbot)
    add(view, "Dense", 0, 0)
    cursor = QPoint(700, 200)
    under = view.mapToScene(cursor)
    for delta in (120, 120, -120 * 3, 240):
        event = QWheelEvent(QPointF(cursor), QPointF(view.viewport().mapToGlobal(cursor)),
                            QPoint(0, 0), QPoint(0, delta), Qt.MouseButton.NoButton, NO_MOD,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(view.viewport(), event)
        after = view.mapToScene(cursor)
        assert abs(after.x() - under.x()) < 2 / view.zoom() + 1
        assert abs(after.y() - under.y()) < 2 / view.zoom() + 1
    assert abs(view.zoom() - 1.2) < 1e-6  # +1 +1 -3 +2 steps


def test_f_fits_every_node_in_view(qtbot) -> None:
    view = make_view(qtbot)
    for index in range(8):
        add(view, "Dense", index * 900, (index % 3) * 700)
    qtbot.keyClick(view, Qt.Key.Key_F)
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in view.canvas_scene.nodes.values():
        assert shown.contains(item.sceneBoundingRect())
    assert view.zoom() < 1


def test_auto_layout_from_the_canvas_is_one_undo_step(qtbot) -> None:
    document = Document.from_template("cnn-small")
    view = make_view(qtbot, document)
    for node_id in list(document.graph.nodes):
        document.graph.move_node(node_id, (0, 0))
    count = document.undo_stack.count()
    view.auto_layout()
    assert document.undo_stack.count() == count + 1
    ys = [document.graph.nodes[i].position[1] for i in document.report.order]
    assert ys == sorted(ys) and len(set(ys)) == len(ys)
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(shown.contains(i.sceneBoundingRect()) for i in view.canvas_scene.nodes.values())
    qtbot.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert {n.position for n in document.graph.nodes.values()} == {(0.0, 0.0)}


def test_ctrl_a_selects_all_and_document_selection_drives_the_canvas(qtbot) -> None:
    document = Document.from_template("mlp")
    view = make_view(qtbot, document)
    qtbot.keyClick(view, Qt.Key.Key_A, CTRL)
    assert sorted(document.selected_ids()) == sorted(document.graph.nodes)
    last = list(document.graph.nodes)[-1]
    document.set_selection([last])  # e.g. a click in the problems list
    assert view.canvas_scene.selected_node_ids() == [last]
    shown = view.mapToScene(view.viewport().rect()).boundingRect()
    assert shown.contains(view.canvas_scene.nodes[last].sceneBoundingRect())


def test_middle_button_and_space_drag_pan_the_view(qtbot) -> None:
    view = make_view(qtbot)
    node = add(view, "Dense", 300, 0)
    centre = view.mapToScene(view.viewport().rect().center())
    drag(qtbot, view, QPoint(500, 300), QPoint(400, 250), button=MIDDLE)
    moved = view.mapToScene(view.viewport().rect().center())
    assert (round(moved.x() - centre.x()), round(moved.y() - centre.y())) == (100, 50)
    qtbot.keyPress(view, Qt.Key.Key_Space)
    drag(qtbot, view, at(view, 300, 0), at(view, 200, 0))  # over a node: pans, not moves
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert view.document.graph.nodes[node].position == (300.0, 0.0)
    again = view.mapToScene(view.viewport().rect().center())
    assert round(again.x() - moved.x()) == 100


def test_paste_lands_under_the_mouse_and_steps_on_when_pasted_again(qtbot) -> None:
    view = make_view(qtbot)
    node = add(view, "Dense", 0, 0)
    view.canvas_scene.select_nodes([node])
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    move_mouse(view, at(view, 400, 200), buttons=Qt.MouseButton.NoButton)
    graph = view.document.graph
    places = []
    for _ in range(2):
        qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
        (pasted,) = view.canvas_scene.selected_node_ids()
        places.append(graph.nodes[pasted].position)
    assert places == [(400.0, 200.0), (440.0, 240.0)]


def test_paste_from_outside_the_canvas_lands_beside_the_original_never_on_it(qtbot) -> None:
    view = make_view(qtbot)
    node = add(view, "Dense", 100, 60)
    view.canvas_scene.select_nodes([node])
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    leave_canvas(view)
    graph = view.document.graph
    places = []
    for _ in range(3):
        view.paste()  # Edit > Paste: the mouse is on the menu, not the canvas
        (pasted,) = view.canvas_scene.selected_node_ids()
        places.append(graph.nodes[pasted].position)
    assert places == [(140.0, 100.0), (180.0, 140.0), (220.0, 180.0)]


def test_ports_that_would_refuse_a_wire_are_dimmed_while_it_is_dragged(qtbot) -> None:
    view = make_view(qtbot)
    source = add(view, "Input", 0, 0)
    conv = add(view, "Conv2d", 300, 0)
    dense = add(view, "Dense", 300, 200)
    items = view.canvas_scene.nodes
    drag(qtbot, view, port_point(view, source, "out"), at(view, 500, 300), release=False)
    assert not items[conv].inputs["in"].dimmed  # an image fits a Conv2d
    assert items[dense].inputs["in"].dimmed  # but not a Dense
    assert items[conv].output.dimmed and not items[source].output.dimmed
    qtbot.mouseRelease(view.viewport(), LEFT, NO_MOD, at(view, 500, 300))  # dropped nowhere
    assert not view.document.graph.edges
    assert not any(port.dimmed or port.highlighted
                   for item in items.values() for port in item.ports())
