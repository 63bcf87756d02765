"""The main window: menus, tool bars, the status bar and the workspaces between them.

It owns one Document at a time and hands it to the canvas and the panels; menus, the
tool bars and the shortcuts all trigger the same QActions. The Design workspace (canvas,
palette, inspector, summary, problems) is built here; the workbench adds Train and
Evaluate. Window geometry, each workspace's layout, the theme and the recent files live
in QSettings; a recovery copy of unsaved work is written every minute (settings key
autosave/interval_s).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent, QUndoGroup
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QMessageBox, QWidget

from dlstudio import __version__
from dlstudio.ui.autosave import DEFAULT_INTERVAL_MS, Autosaver, RecoveryStore
from dlstudio.ui.canvas import CanvasView
from dlstudio.ui.document import Document
from dlstudio.ui.files import ProjectFiles
from dlstudio.ui.icons import line_icon
from dlstudio.ui.palette import PaletteWidget
from dlstudio.ui.panels.inspector import InspectorPanel
from dlstudio.ui.panels.problems import ProblemsPanel
from dlstudio.ui.panels.summary import SummaryPanel
from dlstudio.ui.shortcuts import LABEL_PROPERTY, ShortcutsDialog, shortcut_rows
from dlstudio.ui.status import StatusIndicators
from dlstudio.ui.theme import THEMES, apply_theme, preferred_theme
from dlstudio.ui.window_actions import REDO_SHORTCUTS, UNDO_SHORTCUTS, create_actions
from dlstudio.ui.window_actions import set_shortcuts as set_action_shortcuts
from dlstudio.ui.window_geometry import fit_on_screen
from dlstudio.ui.workspaces import WorkspaceSwitcher
from dlstudio.ui.workspaces.design import build_design

APP_NAME = "DL Studio"
ORGANIZATION = "DL Studio"
THEME_KEY = "ui/theme"
GEOMETRY_KEY = "window/geometry"
FOLLOW_TRAINING_KEY = "workspaces/follow_training"
AUTOSAVE_KEY = "autosave/interval_s"


def make_settings() -> QSettings:
    """The user's settings file (an INI file under the user's config folder)."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION,
                     APP_NAME)


class MainWindow(QMainWindow):
    """The DL Studio window around one open project."""

    document_changed = Signal(object)  # the new Document
    closed = Signal()  # the window accepted its close: background work should end

    def __init__(self, settings: QSettings | None = None, recovery_dir: Path | None = None,
                 autosave_interval_ms: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings if settings is not None else make_settings()
        self.setObjectName("main_window")
        self.last_error: str | None = None
        self.trained_checkpoint: Path | None = None  # set by the training panel after a run
        self._closed = False
        self._error_box: QMessageBox | None = None
        self._shortcuts_dialog: ShortcutsDialog | None = None
        self.undo_group = QUndoGroup(self)
        self.action_map = create_actions(self)
        self.files = ProjectFiles(self, self.settings)
        self.store = RecoveryStore(recovery_dir) if recovery_dir else RecoveryStore.at_default()
        if autosave_interval_ms is None:
            seconds = self.settings.value(AUTOSAVE_KEY, DEFAULT_INTERVAL_MS // 1000)
            autosave_interval_ms = max(5, _as_int(seconds, 60)) * 1000
        self.autosaver = Autosaver(self.store, autosave_interval_ms, self)

        self.document = Document(parent=self)
        self.view = CanvasView(self.document)
        self.workspaces = WorkspaceSwitcher(self.settings, self)
        self.setCentralWidget(self.workspaces.stack)
        self.status = StatusIndicators(self.statusBar())
        self.autosaver.problem_changed.connect(self.status.set_autosave_problem)
        self.palette_panel = PaletteWidget()
        self.inspector = InspectorPanel(self.document)
        self.summary_panel = SummaryPanel(self.document)
        self.problems_panel = ProblemsPanel(self.document)
        self._shown_before = False
        self._build_design()
        self._build_menus()
        self._connect_document(self.document)
        self._connect_actions()
        self.summary_panel.summary_changed.connect(self.status.set_summary)
        self.status.set_summary(self.summary_panel.summary)
        self.view.message_shown.connect(self._on_view_message_shown)
        self.palette_panel.layer_activated.connect(self._on_palette_layer_activated)
        self.autosaver.set_document(self.document)

        self.resize(1400, 900)
        self.has_saved_geometry = self._restore_geometry()
        self.set_theme(preferred_theme(self.settings.value(THEME_KEY)))
        self._update_title()
        self.statusBar().showMessage(f"{APP_NAME} {__version__} ready", 5000)

    # ----- workspaces and their panels -------------------------------------------------
    def _build_design(self) -> None:
        design = self.workspaces.add("design", "Design", "Draw the network: layers, wires, "
                                     "parameters")
        build_design(design, self.view, {
            "Layers": self.palette_panel, "Inspector": self.inspector,
            "Model summary": self.summary_panel, "Problems": self.problems_panel})
        self.summary_panel.node_activated.connect(self._on_panel_node_activated)
        self.problems_panel.node_activated.connect(self._on_panel_node_activated)
        self.problems_panel.counts_changed.connect(self._on_problems_counts_changed)
        self.problems_panel.show_report(self.document.report)  # counts for the status bar

    @property
    def docks(self) -> dict[str, QDockWidget]:
        """Every panel of every workspace by its title."""
        return self.workspaces.docks()  # type: ignore[return-value]

    def show_workspace(self, key: str) -> None:
        """Switch to the workspace "design", "train" or "evaluate"."""
        self.workspaces.show(key)

    def follows_training(self) -> bool:
        """Whether starting a run switches to the Train workspace (View menu)."""
        return self.action_map["follow_training"].isChecked()

    # ----- menus, tool bar, status bar -----------------------------------------------
    def _build_menus(self) -> None:
        a = self.action_map
        undo = self.undo_group.createUndoAction(self, "&Undo")
        redo = self.undo_group.createRedoAction(self, "&Redo")
        undo.setIcon(line_icon("undo"))
        redo.setIcon(line_icon("redo"))
        set_action_shortcuts(undo, UNDO_SHORTCUTS)
        set_action_shortcuts(redo, REDO_SHORTCUTS)
        undo.setProperty(LABEL_PROPERTY, "Undo")
        redo.setProperty(LABEL_PROPERTY, "Redo")
        a["undo"], a["redo"] = undo, redo
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([a["new"], a["new_from_template"], a["open"]])
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)
        file_menu.addSeparator()
        file_menu.addActions([a["save"], a["save_as"]])
        file_menu.addSeparator()
        file_menu.addAction(a["export"])
        file_menu.addSeparator()
        file_menu.addActions([a["close"], a["quit"]])
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addActions([undo, redo])
        edit_menu.addSeparator()
        edit_menu.addActions([a[k] for k in ("cut", "copy", "paste", "duplicate", "delete")])
        edit_menu.addSeparator()
        edit_menu.addActions([a["select_all"], a["rename"], a["auto_layout"]])
        view_menu = menus.addMenu("&View")
        view_menu.addActions(list(self.workspaces.actions.values()))
        self.workspaces.menu = view_menu
        self.workspaces.menu_anchor = a["follow_training"]  # Train and Evaluate come later
        view_menu.addAction(a["follow_training"])
        view_menu.addAction(a["train"])
        view_menu.addSeparator()
        view_menu.addAction(a["fit"])
        view_menu.addSeparator()
        view_menu.addAction(a["dark_theme"])
        view_menu.addSeparator()
        self._panels_menu = view_menu.addMenu("&Panels")
        self._panels_menu.aboutToShow.connect(self._on_panels_menu_about_to_show)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.workspaces.bar)
        toolbar = self.addToolBar("Tool bar")
        toolbar.setObjectName("toolbar_main")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([a["new"], a["new_from_template"], a["open"], a["save"]])
        toolbar.addSeparator()
        toolbar.addActions([undo, redo])
        for action in (undo, redo):  # their text names the step: keep the bar steady
            button = toolbar.widgetForAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        toolbar.addSeparator()
        toolbar.addActions([a["fit"], a["auto_layout"]])
        toolbar.addSeparator()
        toolbar.addAction(a["train"])
        view_menu.addAction(toolbar.toggleViewAction())
        view_menu.addAction(a["reset_layout"])
        help_menu = menus.addMenu("&Help")
        help_menu.addActions([a["lessons"], a["shortcuts"], a["about"]])
        self._menus = [("File", file_menu), ("Edit", edit_menu), ("View", view_menu),
                       ("Help", help_menu)]
        self.addActions(list(a.values()))  # shortcuts work even with the menu bar hidden

    def _connect_actions(self) -> None:
        a, files = self.action_map, self.files
        a["new"].triggered.connect(files.new)
        a["new_from_template"].triggered.connect(lambda: files.new_from_template())
        a["open"].triggered.connect(lambda: files.open())
        a["save"].triggered.connect(files.save)
        a["save_as"].triggered.connect(lambda: files.save_as())
        a["close"].triggered.connect(files.close)
        a["export"].triggered.connect(self.show_export_dialog)
        a["quit"].triggered.connect(self.close)
        for key, method in (("cut", "cut"), ("copy", "copy"), ("paste", "paste"),
                            ("duplicate", "duplicate"), ("delete", "delete_selected"),
                            ("select_all", "select_all"), ("rename", "rename_selected"),
                            ("fit", "fit_all")):
            a[key].triggered.connect(lambda _=False, m=method: getattr(self.view, m)())
        a["auto_layout"].triggered.connect(lambda: self.document.editor.auto_layout())
        a["dark_theme"].toggled.connect(self._on_dark_theme_toggled)
        a["reset_layout"].triggered.connect(self.reset_layout)
        follow = self.settings.value(FOLLOW_TRAINING_KEY, True)
        a["follow_training"].setChecked(follow not in (False, "false", "0"))
        a["follow_training"].toggled.connect(
            lambda on: self.settings.setValue(FOLLOW_TRAINING_KEY, on))
        a["lessons"].triggered.connect(self.show_lessons)
        a["shortcuts"].triggered.connect(self.show_shortcuts)
        a["about"].triggered.connect(self._on_about_triggered)

    # ----- the document --------------------------------------------------------------
    def set_document(self, document: Document) -> None:
        """Show another project: canvas, panels, undo and autosave all follow."""
        old = self.document
        document.setParent(self)
        self.document = document
        self.view.set_document(document)  # the old scene stops following the old graph
        for panel in (self.inspector, self.summary_panel, self.problems_panel):
            panel.set_document(document)
        self._connect_document(document)
        self.undo_group.removeStack(old.undo_stack)
        self.autosaver.set_document(document)
        old.deleteLater()
        self._update_title()
        self.document_changed.emit(document)

    def _connect_document(self, document: Document) -> None:
        self.undo_group.addStack(document.undo_stack)
        self.undo_group.setActiveStack(document.undo_stack)
        document.undo_stack.cleanChanged.connect(self._on_undo_clean_changed)
        document.path_changed.connect(self._on_document_path_changed)
        document.selection_changed.connect(self._on_document_selection_changed)
        self._on_document_selection_changed(document.selected_ids())

    def document_title(self) -> str:
        document = self.document
        return document.path.name if document.path else (document.project.name or "untitled")

    def fit_canvas(self) -> None:
        """Fit the network in view once the window has its final size."""
        QTimer.singleShot(0, lambda: self.view.fit_all())

    def show_error(self, title: str, message: str, advice: str = "") -> None:
        """Tell the user what failed (and what to do, under it); window-modal, so it never
        blocks a test or a quit."""
        self.last_error = message
        self._error_box = QMessageBox(QMessageBox.Icon.Critical, title, message,
                                      QMessageBox.StandardButton.Ok, self)
        self._error_box.setInformativeText(advice)
        self._error_box.open()

    def show_export_dialog(self) -> None:
        """File > Export…: the graph as it is now, with the last run's weights if they fit."""
        from dlstudio.ui.export_dialog import ExportDialog  # torch loads on first export only

        document = self.document
        folder = document.path.parent if document.path else Path.home()
        name = document.path.stem if document.path else document.project.name
        dialog = ExportDialog(document.graph, name or "model", folder=folder,
                              checkpoint=self.trained_checkpoint, settings=self.settings,
                              parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # only once its thread ended
        dialog.exec()

    def offer_recovery(self) -> bool:
        return self.files.offer_recovery(self.store)

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document_title()}[*] — {APP_NAME}")
        self.setWindowModified(self.document.is_modified())

    def _on_undo_clean_changed(self, clean: bool) -> None:
        self._update_title()

    def _on_document_path_changed(self, path: object) -> None:
        self._update_title()

    def _on_document_selection_changed(self, ids: list[str]) -> None:
        for key in ("cut", "copy", "duplicate"):
            self.action_map[key].setEnabled(bool(ids))
        self.action_map["rename"].setEnabled(len(ids) == 1)
        if ids and self.workspaces.current_key == "design":
            inspector = self.docks.get("Inspector")
            if inspector is not None and (inspector.isHidden() or inspector.visibleRegion()
                                          .isEmpty()):
                self.workspaces.current.bring_forward("Inspector")  # it shows the selection

    def _on_panel_node_activated(self, node_id: str) -> None:
        item = self.view.canvas_scene.nodes.get(node_id)
        if item is not None:
            self.view.centerOn(item)

    def _on_palette_layer_activated(self, type_name: str) -> None:
        self.view.add_node_at_centre(type_name)
        self.view.setFocus()

    def _on_view_message_shown(self, text: str) -> None:
        self.statusBar().showMessage(text, 6000)

    def _on_problems_counts_changed(self, errors: int, warnings: int) -> None:
        title = "Problems" if not errors + warnings else f"Problems ({errors + warnings})"
        self.docks["Problems"].setWindowTitle(title)
        self.status.set_counts(errors, warnings)

    def _on_recent_menu_about_to_show(self) -> None:
        self.recent_menu.clear()
        recent = self.files.recent_files()
        for index, path in enumerate(recent, start=1):
            action = self.recent_menu.addAction(f"&{index % 10} {path.name}")
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.files.open(p))
        if not recent:
            self.recent_menu.addAction("No recent projects").setEnabled(False)
        self.recent_menu.addSeparator()
        clear = self.recent_menu.addAction("Clear the list")
        clear.setEnabled(bool(recent))
        clear.triggered.connect(self.files.clear_recent)

    # ----- theme, layout, help -------------------------------------------------------
    @property
    def theme(self) -> str:
        return "dark" if self.action_map["dark_theme"].isChecked() else "light"

    def set_theme(self, theme: str) -> None:
        """Switch the whole window to "light" or "dark" and remember the choice."""
        if theme not in THEMES:
            theme = "light"
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)
        self.action_map["dark_theme"].blockSignals(True)
        self.action_map["dark_theme"].setChecked(theme == "dark")
        self.action_map["dark_theme"].blockSignals(False)
        self.view.set_dark(theme == "dark")
        self.settings.setValue(THEME_KEY, theme)
        self.status.refresh()

    def _on_dark_theme_toggled(self, checked: bool) -> None:
        self.set_theme("dark" if checked else "light")

    def reset_layout(self) -> None:
        """View > Reset layout: every workspace as on the first launch, on this screen."""
        fit_on_screen(self)
        self.workspaces.reset()

    def _restore_geometry(self) -> bool:
        """The saved size and place, kept on the screen that is there now."""
        geometry = self.settings.value(GEOMETRY_KEY)
        restored = geometry is not None and self.restoreGeometry(geometry)
        fit_on_screen(self)
        return bool(restored)

    def _on_panels_menu_about_to_show(self) -> None:
        self._panels_menu.clear()
        for dock in self.workspaces.current.docks.values():
            self._panels_menu.addAction(dock.toggleViewAction())

    def show_shortcuts(self) -> ShortcutsDialog:
        menus = [(name, menu.actions()) for name, menu in self._menus]
        self._shortcuts_dialog = ShortcutsDialog(shortcut_rows(menus), self)
        self._shortcuts_dialog.show()
        return self._shortcuts_dialog

    def show_lessons(self) -> QDockWidget:
        from dlstudio.ui.lessons import show_lessons  # the lesson files load on first use

        return show_lessons(self)

    def _on_about_triggered(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME} {__version__}</b><p>Design, train, watch, try and "
                          "ship neural networks on a node canvas.</p>")

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._shown_before:  # every panel exists now, and the real size is known
            self._shown_before = True
            self.workspaces.show(self.workspaces.saved_current() or "design")
            QTimer.singleShot(0, self, lambda: fit_on_screen(self))  # with its frame now

    # ----- closing -------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._closed:
            event.accept()
            return
        if not self.files.maybe_save():
            event.ignore()
            return
        self._closed = True
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        if self._shown_before:
            self.workspaces.save()
        self.settings.sync()
        self.autosaver.stop()
        self.store.close()  # a clean close leaves no recovery copy
        self.status.stop()
        event.accept()
        self.closed.emit()


def _as_int(value: object, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
