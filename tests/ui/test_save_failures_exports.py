"""A dashboard export that cannot be written says so in a message box (not only in a
passing status-bar line), naming the file and the reason."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QFileDialog, QMessageBox, QPushButton

from dlstudio.runs import RunStore
from dlstudio.ui.training.dashboard.runs import RunsPanel


def test_a_metrics_export_into_a_file_instead_of_a_folder(qtbot, tmp_path,
                                                          monkeypatch) -> None:
    store = RunStore(tmp_path / "runs")
    run = store.create(name="mlp", data="builtin:xor", settings={"lr": 0.1}, graph={},
                       now=datetime(2025, 1, 1, 12, 0, 0))
    run.status = "finished"
    store.save(run)
    panel = RunsPanel(store)
    qtbot.addWidget(panel)
    (tmp_path / "plain").write_text("a file, not a folder")
    target = tmp_path / "plain" / "metrics.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName",  # the user's answer to the dialog
                        staticmethod(lambda *args: (str(target), "")))
    [button] = [b for b in panel.findChildren(QPushButton) if b.text() == "Export CSV…"]
    with qtbot.waitSignal(panel.message) as said:
        button.click()
    [box] = [b for b in panel.findChildren(QMessageBox) if b.isVisible()]
    assert said.args[0] in box.text() and str(target) in box.text()
    assert "Not a directory" in box.text() and "\n" not in box.text()
    assert box.windowTitle() == "Export metrics"
    box.done(0)
