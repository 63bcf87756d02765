"""Design, Train and Evaluate: switched from the keyboard, each readable at the common
screen sizes, with saved layouts that can never break the window."""

from __future__ import annotations

import time
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from dlstudio.ui.main_window import GEOMETRY_KEY, MainWindow
from dlstudio.ui.window_geometry import clamped
from dlstudio.ui.workbench import Workbench, install_workbench
from dlstudio.ui.workspaces.switcher import LAYOUT_VERSION

CTRL = Qt.KeyboardModifier.ControlModifier
# The window's client area on a maximised window at each screen size (title bar, no panel).
SCREENS = {"1366x768": (1366, 740), "1920x1080": (1920, 1050)}


def _settle(seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()


@pytest.fixture
def make_app(qtbot, tmp_path, monkeypatch):
    """Build the whole app (window + workbench) on temporary settings, as `run()` does."""
    monkeypatch.setenv("DLSTUDIO_RUNS_DIR", str(tmp_path / "runs"))
    built: list[tuple[MainWindow, Workbench]] = []

    def make(size: tuple[int, int] | None = (1366, 740), settings: Path | None = None
             ) -> tuple[MainWindow, Workbench]:
        ini = settings or tmp_path / "settings.ini"
        window = MainWindow(QSettings(str(ini), QSettings.Format.IniFormat),
                            recovery_dir=tmp_path / "recovery")
        window.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
        qtbot.addWidget(window)
        bench = install_workbench(window)
        if size is not None:
            window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        built.append((window, bench))
        return window, bench

    yield make
    for window, bench in built:
        bench.training.session.shutdown()
        window.close()


def _dock_geometries(window: MainWindow, key: str) -> dict[str, tuple[int, int, int, int]]:
    docks = window.workspaces.workspaces[key].docks
    return {name: dock.geometry().getRect() for name, dock in docks.items()}


def test_workspaces_switch_from_the_keyboard_and_the_bar(qtbot, make_app) -> None:
    window, bench = make_app()
    stack = window.workspaces.stack
    assert window.workspaces.current_key == "design"
    assert stack.currentWidget().centralWidget() is window.view
    qtbot.keyClick(window, Qt.Key.Key_2, CTRL)
    assert window.workspaces.current_key == "train"
    assert stack.currentWidget().centralWidget() is bench.training.dashboard
    assert window.workspaces.actions["train"].isChecked()
    qtbot.keyClick(window, Qt.Key.Key_3, CTRL)
    assert stack.currentWidget().centralWidget() is bench.evaluation
    assert bench.try_panel.isVisible()
    button = window.workspaces.bar.widgetForAction(window.workspaces.actions["design"])
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.workspaces.current_key == "design" and window.view.isVisible()


def test_pressing_train_shows_the_train_workspace_unless_turned_off(qtbot, make_app) -> None:
    window, bench = make_app()
    window.files.new_from_template("xor")
    bench.training.panel.form.fields["epochs"].setValue(1)
    controller = bench.training.session.controller
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        qtbot.keyClick(window, Qt.Key.Key_F5)  # Train, from the Design workspace
    assert window.workspaces.current_key == "train"
    assert bench.training.dashboard.isVisible()
    metric_legend = bench.training.dashboard.curves.metric_plot.legend
    assert [label.text for _, label in metric_legend.items] == ["train", "val"]

    window.show_workspace("design")
    window.action_map["follow_training"].trigger()  # View > Show Train when a run starts
    assert not window.follows_training()
    assert window.settings.value("workspaces/follow_training") in (False, "false")
    with qtbot.waitSignal(controller.run_ended, timeout=60_000):
        window.action_map["train"].trigger()
    assert window.workspaces.current_key == "design"


def _visible_plot_heights(bench: Workbench) -> list[tuple[str, float, bool]]:
    """(title, height in pixels, has a legend or needs none) of every plot on show."""
    found = []
    for view in bench.training.dashboard.findChildren(pg.GraphicsView):
        if not view.isVisible():
            continue
        for item in view.scene().items():
            if isinstance(item, pg.PlotItem) and item.isVisible():
                title = item.titleLabel.text
                legend = item.legend is not None or len(item.listDataItems()) <= 1
                found.append((title, item.sceneBoundingRect().height(), legend))
    return found


@pytest.mark.parametrize("screen", list(SCREENS))
def test_train_workspace_reads_at_common_screen_sizes(qtbot, make_app, screen) -> None:
    window, bench = make_app(SCREENS[screen])
    window.files.new_from_template("cnn-small")
    window.show_workspace("train")
    _settle()
    dashboard = bench.training.dashboard
    tabs = dashboard.tabs
    pages = [tabs.widget(i) for i in range(tabs.count()) if tabs.widget(i) is not dashboard.runs]
    seen: list[tuple[str, float, bool]] = []
    for page in pages:
        tabs.setCurrentWidget(page)
        _settle(0.1)
        others = [p for p in (dashboard.curves, dashboard.layers) if p is not page
                  and not page.isAncestorOf(p)]
        assert not any(p.isVisible() for p in others), "a panel of another tab shows"
        seen += _visible_plot_heights(bench)
        if dashboard.confusion.isVisible():
            table = dashboard.confusion.table
            assert dashboard.confusion.height() >= 200
            if table.isVisible():  # every column of the per-class table in view
                assert not table.horizontalScrollBar().isVisible(), screen
    titles = {title for title, _, _ in seen}
    assert {"Loss per batch", "Loss per epoch", "Learning rate", "Speed"} <= titles
    too_small = [(t, h) for t, h, _ in seen if h < 200]
    assert not too_small, f"plots under 200 px at {screen}: {too_small}"
    assert all(legend for _, _, legend in seen)
    assert bench.glance.isVisible() and bench.glance.height() >= 100


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_workspace_fits_the_screen(qtbot, make_app, screen) -> None:
    width, height = SCREENS[screen]
    window, bench = make_app(SCREENS[screen])
    window.files.new_from_template("cnn-small")
    bench.training.panel.data.load()  # its preview and class balance make it tall
    for key in ("design", "train", "evaluate"):
        window.show_workspace(key)
        _settle(0.1)
        hint = window.minimumSizeHint()
        assert hint.width() <= width and hint.height() <= height, (key, hint)
        assert window.height() <= height, key  # nothing pushed the window taller
        for name, dock in window.workspaces.current.docks.items():
            assert dock.isVisible() and dock.width() >= 150 and dock.height() >= 80, name
    window.show_workspace("evaluate")
    _settle(0.1)
    assert bench.try_panel.width() >= 0.3 * width  # the pad at a generous size


def test_a_floated_panel_docked_again_comes_back_visible(qtbot, make_app) -> None:
    window, _ = make_app()
    problems = window.docks["Problems"]
    problems.setFloating(True)
    _settle(0.1)
    assert problems.isFloating() and problems.isVisible()
    window.show_workspace("train")  # a floating panel leaves with its workspace
    assert not problems.isVisible()
    window.show_workspace("design")
    assert problems.isVisible()
    problems.setFloating(False)  # as a double-click on its title does
    _settle(0.1)
    assert not problems.isFloating() and problems.isVisible()
    assert problems.height() >= 80 and not problems.visibleRegion().isEmpty()


def test_reset_gives_exactly_the_first_launch_layout(qtbot, make_app, tmp_path) -> None:
    first, _ = make_app(settings=tmp_path / "fresh.ini")
    fresh = {"design": _dock_geometries(first, "design")}
    first.show_workspace("train")
    _settle(0.1)
    fresh["train"] = _dock_geometries(first, "train")
    first.close()

    window, _ = make_app(settings=tmp_path / "used.ini")
    window.show_workspace("train")
    _settle(0.1)
    window.docks["Network"].hide()
    window.docks["Data and training"].setFloating(True)
    window.show_workspace("design")
    window.docks["Problems"].close()
    window.docks["Layers"].setFloating(True)
    window.workspaces.current.resizeDocks([window.docks["Inspector"]], [600],
                                          Qt.Orientation.Horizontal)
    window.action_map["reset_layout"].trigger()
    _settle(0.2)
    assert _dock_geometries(window, "design") == fresh["design"]
    window.show_workspace("train")
    _settle(0.1)
    assert _dock_geometries(window, "train") == fresh["train"]
    assert all(dock.isVisible() and not dock.isFloating() for dock in window.docks.values()
               if window.workspaces.workspace_of(dock.windowTitle()) is window.workspaces.current)


def test_layouts_persist_per_workspace(qtbot, make_app, tmp_path) -> None:
    first, _ = make_app()
    first.show_workspace("train")
    first.docks["Network"].close()
    first.show_workspace("design")
    first.docks["Problems"].close()
    first.close()

    second, _ = make_app()
    assert second.workspaces.current_key == "design"  # the workspace it was left on
    assert second.docks["Problems"].isHidden() and not second.docks["Inspector"].isHidden()
    second.show_workspace("train")
    assert second.docks["Network"].isHidden()
    assert not second.docks["Data and training"].isHidden()


def test_a_state_from_another_version_or_panel_set_is_dropped_whole(qtbot, make_app,
                                                                     tmp_path) -> None:
    ini = tmp_path / "old.ini"
    first, _ = make_app(settings=ini)
    first.docks["Problems"].close()
    first.close()
    settings = QSettings(str(ini), QSettings.Format.IniFormat)
    settings.setValue("workspaces/design/panels", "dock_inspector,dock_problems")  # fewer
    settings.setValue("window/state", b"layout of DL Studio 0.1")
    settings.sync()

    window, _ = make_app(settings=ini)
    assert not window.docks["Problems"].isHidden()  # the default, not half the old state
    assert window.settings.value("window/state") is None

    window.docks["Problems"].close()
    window.close()
    state = QSettings(str(ini), QSettings.Format.IniFormat).value("workspaces/design/state")
    assert state is not None
    window._shown_before = False  # noqa: SLF001 (the next window reads the same file)
    again, _ = make_app(settings=ini)
    assert again.docks["Problems"].isHidden()  # a matching state is applied
    workspace = again.workspaces.workspaces["design"]
    assert not workspace.restore_layout(workspace.save_layout(LAYOUT_VERSION + 1),
                                        LAYOUT_VERSION)


def test_restored_geometry_is_clamped_to_the_screen(qtbot, make_app, tmp_path) -> None:
    ini = tmp_path / "big.ini"
    first, _ = make_app(settings=ini)
    first.setGeometry(QRect(4000, 3000, 5000, 4000))  # from a larger or unplugged screen
    first.close()
    settings = QSettings(str(ini), QSettings.Format.IniFormat)
    assert settings.value(GEOMETRY_KEY) is not None

    window, _ = make_app(size=None, settings=ini)  # as saved, then kept on the screen
    qtbot.waitUntil(lambda: window.frameGeometry().width() <= 1920)
    available = QGuiApplication.primaryScreen().availableGeometry()  # 1920×1080 (conftest)
    assert available.contains(window.frameGeometry())


def test_clamped_keeps_a_frame_inside_the_available_area() -> None:
    screen = QRect(0, 0, 1366, 740)
    assert clamped(QRect(100, 50, 800, 600), screen) == QRect(100, 50, 800, 600)
    assert clamped(QRect(-50, 0, 1400, 1241), screen) == QRect(0, 0, 1366, 740)
    assert clamped(QRect(1300, 700, 400, 300), screen) == QRect(966, 440, 400, 300)


def test_selecting_a_node_brings_the_inspector_back(qtbot, make_app) -> None:
    window, _ = make_app()
    window.files.new_from_template("mlp")
    inspector = window.docks["Inspector"]
    inspector.close()
    assert inspector.isHidden()
    node = window.document.graph.nodes_of_type("Dense")[0]
    window.document.set_selection([node.id])
    assert inspector.isVisible()


def test_the_network_glance_follows_the_open_project(qtbot, make_app) -> None:
    window, bench = make_app()
    window.files.new_from_template("mlp")
    window.show_workspace("train")
    _settle(0.1)
    assert bench.glance.scene() is window.view.canvas_scene
    assert not bench.glance.isInteractive()
    window.files.new_from_template("cnn-small")
    assert bench.glance.scene() is window.view.canvas_scene
    with qtbot.waitSignal(window.workspaces.switched):
        qtbot.mouseDClick(bench.glance.viewport(), Qt.MouseButton.LeftButton)
    assert window.workspaces.current_key == "design"


def test_every_workspace_and_train_are_in_the_view_menu_and_work_without_the_bar(
        qtbot, make_app) -> None:
    window, _ = make_app()
    view_menu = dict(window._menus)["View"]  # noqa: SLF001
    texts = [action.text() for action in view_menu.actions()]
    assert {"Design", "Train", "Evaluate", "&Train"} <= set(texts)
    table = window.show_shortcuts().table  # Help > Keyboard shortcuts
    listed = {(table.item(r, 1).text(), table.item(r, 2).text()) for r in range(table.rowCount())}
    assert {("Evaluate", "Ctrl+3"), ("Train", "Ctrl+2"), ("Train", "F5")} <= listed
    window.workspaces.bar.hide()
    qtbot.keyClick(window, Qt.Key.Key_3, CTRL)
    assert window.workspaces.current_key == "evaluate"


def test_a_floating_panel_left_in_another_workspace_comes_back_after_a_restart(
        qtbot, make_app) -> None:
    first, _ = make_app()
    first.show_workspace("train")
    _settle(0.1)
    first.docks["Network"].setFloating(True)
    first.show_workspace("design")  # the floating panel leaves with Train
    assert not first.docks["Network"].isVisible()
    first.close()

    second, _ = make_app()
    second.show_workspace("train")
    _settle(0.1)
    network = second.docks["Network"]
    assert network.isFloating() and network.isVisible()
