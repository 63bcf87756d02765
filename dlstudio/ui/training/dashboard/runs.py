"""Compare runs: tick two or more in the list and their curves are overlaid; the
settings that differ between them are listed beside; metrics export to CSV, the plot to
PNG. Runs come from the project's RunStore (dlstudio/runs.py)."""

from __future__ import annotations

from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dlstudio.runs import Run, RunError, RunStore, write_metrics_csv
from dlstudio.ui.theme import curve_colour, is_theme_change, style_plot
from dlstudio.ui.training.dashboard.saving import CSV_FILES, PNG_FILES, save_as
from dlstudio.ui.training.dashboard.series import setup_plot

STATUS_MARKS = {"running": "▶", "finished": "✔", "stopped": "■", "failed": "✖"}
ID_ROLE = Qt.ItemDataRole.UserRole
TEST_PREFIX = "test "  # the table's rows of test metrics: "test accuracy", ...


def test_text(metrics: dict[str, float]) -> str:
    """A run's test metrics in one line: "loss 0.1234 · accuracy 0.9800 · …"."""
    return " · ".join(f"{name} {value:.4f}" for name, value in metrics.items())


class RunsPanel(QWidget):
    """The list of runs, the overlay plot and the differing settings."""

    message = Signal(str)  # a short outcome for the status bar (export done / failed)
    replay_requested = Signal(object)  # a Run to show in the live tabs (Replay, double-click)

    def __init__(self, store: RunStore | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.runs: dict[str, Run] = {}
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.itemChanged.connect(self._on_list_item_changed)
        self.list.itemActivated.connect(self._on_list_item_activated)
        self.split = QComboBox()
        self.split.addItem("validation", "val")
        self.split.addItem("training", "train")
        self.metric = QComboBox()
        for box in (self.split, self.metric):
            box.currentIndexChanged.connect(self._on_choice_changed)
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        setup_plot(self.plot, "Runs compared", "loss", grid=True)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.hint = QLabel("Tick runs to overlay them.")
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        for text, slot in (("Refresh", self.refresh), ("Export CSV…", self._on_export_csv),
                           ("Export PNG…", self._on_export_png),
                           ("Delete", self._on_delete), ("Replay", self._on_replay)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            if text == "Replay":
                button.setToolTip("Show the selected run in the live tabs, to step through "
                                  "its epochs with the Replay slider (or double-click it)")
        buttons.addStretch(1)
        choices = QHBoxLayout()
        choices.addWidget(QLabel("Show"))
        choices.addWidget(self.split)
        choices.addWidget(self.metric, 1)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list, 2)
        left_layout.addLayout(choices)
        left_layout.addWidget(QLabel("Test metrics, and the settings that differ"))
        left_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.plot_widget)
        splitter.setSizes([320, 600])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.hint)
        self.refresh()

    def set_store(self, store: RunStore | None) -> None:
        self.store = store
        self.refresh()

    def refresh(self) -> None:
        """Reread the runs folder, keeping the ticks of runs still there."""
        ticked = set(self.checked_ids())
        self.runs = {run.id: run for run in (self.store.runs() if self.store else [])}
        self.list.blockSignals(True)
        self.list.clear()
        for run in reversed(list(self.runs.values())):  # newest on top
            item = QListWidgetItem(f"{STATUS_MARKS.get(run.status, '')} {run.label}")
            item.setData(ID_ROLE, run.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if run.id in ticked
                               else Qt.CheckState.Unchecked)
            tested = run.test_metrics()
            item.setToolTip(run.message or f"{len(run.history)} epochs, {run.status}"
                            + (f"; test: {test_text(tested)}" if tested else ""))
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._update()

    def checked_ids(self) -> list[str]:
        items = (self.list.item(i) for i in range(self.list.count()))
        return [item.data(ID_ROLE) for item in items
                if item.checkState() == Qt.CheckState.Checked]

    def set_checked(self, run_ids: list[str]) -> None:
        self.list.blockSignals(True)
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.data(ID_ROLE) in run_ids
                               else Qt.CheckState.Unchecked)
        self.list.blockSignals(False)
        self._update()

    def checked_runs(self) -> list[Run]:
        return [self.runs[i] for i in reversed(self.checked_ids()) if i in self.runs]

    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        run = self.runs.get(item.data(ID_ROLE))
        if run is not None:
            self.replay_requested.emit(run)

    def _on_replay(self) -> None:
        item = self.list.currentItem()
        if item is None:
            self.message.emit("Select a run to replay first.")
        else:
            self._on_list_item_activated(item)

    def _on_list_item_changed(self, item: QListWidgetItem) -> None:
        self._update()

    def _on_choice_changed(self, index: int) -> None:
        self._draw()

    def _update(self) -> None:
        runs = self.checked_runs()
        keys: dict[str, None] = {}
        for run in runs:
            keys.update(dict.fromkeys(run.metric_keys()))
        current = self.metric.currentText()
        self.metric.blockSignals(True)
        self.metric.clear()
        self.metric.addItems(list(keys) or ["loss"])
        self.metric.setCurrentIndex(max(0, self.metric.findText(current)))
        self.metric.blockSignals(False)
        self._fill_table(runs)
        self._draw()

    def _draw(self) -> None:
        self.plot.clear()
        runs = self.checked_runs()
        self.plot.legend.clear()
        self.plot.legend.setVisible(bool(runs))  # an empty legend is a stray box
        split, key = self.split.currentData(), self.metric.currentText()
        self.plot.setLabel("left", f"{self.split.currentText()} {key}")
        for index, run in enumerate(runs):
            epochs, values = run.series(split, key)
            colour = curve_colour(index)
            self.plot.plot(epochs, values, name=run.id, symbol="o", symbolSize=5,
                           pen=pg.mkPen(colour, width=2), symbolBrush=colour,
                           symbolPen=None)
        count = len(self.runs)
        where = str(self.store.root) if self.store else "no project folder"
        shared = sum(run.folder.parent != self.store.root for run in self.runs.values()) \
            if self.store else 0
        if shared:  # a project saved by the previous version: its runs/ is still read
            where += f" ({shared} in the shared {self.store.legacy.root})"
        self.hint.setText(f"{count} run{'s' * (count != 1)} in {where}; "
                          f"{len(runs)} overlaid. Tick runs to compare them.")

    def _fill_table(self, runs: list[Run]) -> None:
        """The test metrics of the ticked runs that have them (each run's final weights on
        its test split), then one row per setting whose value is not the same in every
        ticked run."""
        rows: list[tuple[str, list[str]]] = []
        tests = [run.test_metrics() for run in runs]
        for name in dict.fromkeys(name for metrics in tests for name in metrics):
            rows.append((TEST_PREFIX + name, [f"{m[name]:.4f}" if name in m else ""
                                              for m in tests]))
        if runs:
            columns = [{"data": run.data, **run.settings} for run in runs]
            names = sorted({name for column in columns for name in column})
            for name in names:
                values = [str(column.get(name, "")) for column in columns]
                if len(runs) == 1 or len(set(values)) > 1:
                    rows.append((name, values))
        self.table.clear()
        self.table.setColumnCount(len(runs))
        self.table.setHorizontalHeaderLabels([run.id.split("_", 1)[-1] for run in runs])
        for column, run in enumerate(runs):
            self.table.horizontalHeaderItem(column).setToolTip(run.label)
        self.table.setRowCount(len(rows))
        self.table.setVerticalHeaderLabels([name for name, _ in rows])
        for row, (_, values) in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if is_theme_change(event):
            style_plot(self.plot)
            self._draw()  # the curves again, in the new theme's colours

    # ----- export --------------------------------------------------------------------
    def export_csv(self, path: Path) -> None:
        """The epoch metrics of the ticked runs (all runs when none is ticked)."""
        write_metrics_csv(Path(path), self.checked_runs() or list(self.runs.values()))

    def export_png(self, path: Path) -> None:
        if not self.plot_widget.grab().save(str(path)):
            raise RunError(f"cannot write the picture {path}")

    def _on_export_csv(self) -> None:
        save_as(self, "Export metrics", "metrics.csv", CSV_FILES, self.export_csv,
                "Metrics saved to", self.message)

    def _on_export_png(self) -> None:
        save_as(self, "Export plot", "runs.png", PNG_FILES, self.export_png,
                "Plot saved to", self.message)

    def _on_delete(self) -> None:
        item = self.list.currentItem()
        run = self.runs.get(item.data(ID_ROLE)) if item is not None else None
        if run is None or run.status == "running":
            self.message.emit("Select a finished run to delete (not the running one).")
            return
        if not self.confirm_delete(run):
            return
        RunStore.delete(run)
        self.refresh()

    def confirm_delete(self, run: Run) -> bool:
        """Ask before a run's folder (and its checkpoints) goes for good."""
        answer = QMessageBox.question(self, "Delete run",
                                      f"Delete the run {run.id} with its checkpoints?")
        return answer == QMessageBox.StandardButton.Yes
