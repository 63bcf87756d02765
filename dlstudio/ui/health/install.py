"""Training health in the main window: the board follows the training session's epochs,
the badges and the Problems lines show its signs, and a fix chosen on either is applied
as one undo step (refused, with a message, while a run trains)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QPoint
from PySide6.QtWidgets import QMainWindow, QMenu

from dlstudio.graph import GraphError
from dlstudio.ui.document import Document
from dlstudio.ui.health import fixes
from dlstudio.ui.health.badges import CLICK_HINT, BadgeLayer
from dlstudio.ui.health.board import HealthBoard, ShownSign
from dlstudio.ui.health.lines import HealthRow
from dlstudio.ui.training.install import TrainingUI

RUN_WIDE = "the whole run"
MESSAGE_MS = 8000


class HealthView(QObject):
    """Everything training health adds to a window (for tests and screenshots)."""

    def __init__(self, window: QMainWindow, training: TrainingUI) -> None:
        super().__init__(window)
        self.window, self.session = window, training.session
        self.form = training.panel.form
        self.locked = False
        self.menu: QMenu | None = None  # the badge's fixes menu while it is open
        self.board = HealthBoard(window.document, self.form, self)
        self.badges = BadgeLayer(lambda: window.view.canvas_scene, self._tooltips,
                                 self._on_badge_clicked)
        controller = self.session.controller
        controller.run_started.connect(self._on_controller_run_started)
        controller.epoch_ended.connect(self._on_controller_epoch_ended)
        self.session.locked_changed.connect(self._on_session_locked_changed)
        window.document_changed.connect(self._on_window_document_changed)
        self._followed = window.document
        window.document.report_updated.connect(self._on_document_report_updated)
        window.problems_panel.fix_requested.connect(self._on_problems_fix_requested)
        self.board.changed.connect(self._show)
        window.view.health_fixes = self  # the node's context menu lists the fixes too

    @property
    def document(self) -> Document:
        return self.window.document

    # ----- events --------------------------------------------------------------------
    def _on_controller_run_started(self, _run: object) -> None:
        self.board.clear()

    def _on_controller_epoch_ended(self, report: Any) -> None:
        self.board.take_epoch(report.stats)

    def _on_session_locked_changed(self, locked: bool) -> None:
        self.locked = locked
        self._show()

    def _on_window_document_changed(self, document: Document) -> None:
        self._followed.report_updated.disconnect(self._on_document_report_updated)
        self._followed = document
        document.report_updated.connect(self._on_document_report_updated)
        self.board.set_document(document)
        self.badges.schedule()

    def _on_document_report_updated(self, _report: object) -> None:
        if self.board.current() or self.window.problems_panel.health.lines:
            self._show()  # names, shapes and so what each fix can do may have changed
        else:
            self.badges.schedule()  # cards may have been made anew (an undone replace)

    # ----- showing -------------------------------------------------------------------
    def _show(self) -> None:
        rows = [HealthRow(self._title(s), sentence(s.sign.message), s.node_id,
                          tuple(self._options(s)), s) for s in self.board.current()]
        self.window.problems_panel.show_health(rows)
        self.badges.schedule()

    def _title(self, shown: ShownSign) -> str:
        where = self.board.node_name(shown) if shown.node_id else RUN_WIDE
        return f"{where} · since epoch {shown.sign.epoch}"

    def _options(self, shown: ShownSign) -> list[fixes.FixOption]:
        return fixes.options(self.document, self.form, shown.sign, shown.node_id,
                             self.locked)

    def _tooltips(self) -> dict[str, str]:
        """Per node with signs: what was seen, and that a click offers fixes."""
        lines: dict[str, list[str]] = {}
        fixable: set[str] = set()
        for shown in self.board.current():
            if shown.node_id is not None:
                lines.setdefault(shown.node_id, []).append(
                    f"Training health (since epoch {shown.sign.epoch}): "
                    f"{sentence(shown.sign.message)}")
                if shown.sign.fixes:
                    fixable.add(shown.node_id)
        return {node_id: "\n".join(text) + (f"\n{CLICK_HINT}" if node_id in fixable else "")
                for node_id, text in lines.items()}

    # ----- fixes ---------------------------------------------------------------------
    def fix_menu(self, node_id: str) -> QMenu:
        """The fixes of every sign on one node, as a menu (a disabled entry says why)."""
        menu = QMenu(self.window)
        menu.setToolTipsVisible(True)
        self.add_fixes(menu, node_id)
        return menu

    def add_fixes(self, menu: QMenu, node_id: str) -> bool:
        """Add a section per sign on the node, with its fixes, to `menu` (the badge's
        own menu, or the node's context menu: the keyboard's way to a badge's fixes).
        False when the node has no sign."""
        added = False
        for shown in self.board.current():
            if shown.node_id != node_id:
                continue
            text = sentence(shown.sign.message)
            menu.addSection(text if len(text) < 70 else text[:67] + "…")
            for option in self._options(shown):
                action = menu.addAction(option.label)
                action.setEnabled(not option.problem)
                action.setToolTip(option.problem or "One step: Ctrl+Z undoes it")
                action.triggered.connect(
                    lambda _=False, s=shown, f=option.fix: self.apply_fix(s, f))
            if not shown.sign.fixes:
                menu.addAction("No one-click fix for this sign").setEnabled(False)
            added = True
        return added

    def _on_badge_clicked(self, node_id: str, screen_pos: object) -> None:
        self.document.set_selection([node_id])
        if self.menu is not None:
            self.menu.close()
        self.menu = self.fix_menu(node_id)
        self.menu.popup(screen_pos.toPoint() if hasattr(screen_pos, "toPoint")
                        else QPoint(screen_pos))

    def _on_problems_fix_requested(self, key: object, fix: str) -> None:
        if isinstance(key, ShownSign):
            self.apply_fix(key, fix)

    def apply_fix(self, shown: ShownSign, fix: str) -> bool:
        """Apply one fix of a shown sign; False (and a message) when it cannot be now."""
        status = self.window.statusBar()
        if shown not in self.board.current():
            status.showMessage("That training health sign no longer applies.", MESSAGE_MS)
            return False
        option = fixes.option(self.document, self.form, shown.sign, shown.node_id, fix,
                              self.locked)
        try:
            done = fixes.apply(self.document, self.form, option)
        except GraphError as error:
            status.showMessage(f"{option.label}: {error}", MESSAGE_MS)
            return False
        status.showMessage(f"{done}. Ctrl+Z undoes it.", MESSAGE_MS)
        return True


def sentence(message: str) -> str:
    """A check's message as a sentence: capital first letter, full stop."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message[-1] in ".!?" else message + "."


def install_health(window: QMainWindow, training: TrainingUI) -> HealthView:
    """Add training health (badges, Problems lines, fixes) to a window with training."""
    return HealthView(window, training)
