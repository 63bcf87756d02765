"""The user guide's pictures of Bring your own model, from a real window:
``python -m dlstudio.ui.byom.screenshots [FOLDER]`` (dlstudio/ui/screenshots.py takes
them too, after the workspaces).

Pictured as a user meets them: the node menu on VGG16-transfer's block5_conv1 (the
classic fine-tuning), the frozen base with its locks, the Load weights report of a
ResNet-18 file whose head differs, the Import dialog of a .py file and the imported
network laid out on the canvas. Files: `<what>-<width>x<height>-light.png`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from dlstudio.compile import compile_graph
from dlstudio.graph.templates import build_template
from dlstudio.ui.byom.import_dialog import PythonImportDialog
from dlstudio.ui.byom.weights_report import WeightsReportDialog
from dlstudio.ui.canvas import node_menu
from dlstudio.ui.main_window import MainWindow
from dlstudio.ui.screenshots import DEFAULT_FOLDER, _picture, _settle, scratch_window
from dlstudio.ui.workbench import Workbench

MODEL = '''import torch
from torch import nn


class SmallResNet(nn.Module):
    """Two residual blocks and a classifier, for 3x32x32 images."""

    input_shapes = [(3, 32, 32)]

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.block1 = nn.Conv2d(16, 16, 3, padding=1)
        self.block2 = nn.Conv2d(16, 16, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        x = torch.relu(x + self.block1(x))
        x = torch.relu(x + self.block2(x))
        return self.head(torch.flatten(self.pool(x), 1))
'''


def take_byom_screenshots(app: QApplication, window: MainWindow, bench: Workbench,
                          folder: Path, scratch: Path) -> list[Path]:
    size = window.screen().size()
    tag = f"{size.width()}x{size.height()}-light"
    window.set_theme("light")
    window.show_workspace("design")
    saved = []
    window.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard  # scratch

    def shoot(what: str) -> None:
        _settle(app, 1.0)
        path = folder / f"{what}-{tag}.png"
        _picture(window).save(str(path))
        saved.append(path)

    window.files.new_from_template("vgg16-transfer")
    _settle(app, 1.0)
    view, graph = window.view, window.document.graph
    item = view.canvas_scene.nodes[graph.node_by_name("block5_conv1").id]
    view.set_zoom(0.8)
    view.centerOn(item)
    point = view.mapFromScene(item.sceneBoundingRect().center())
    menu = node_menu.open_context_menu(view, QPoint(point.x(), point.y()), keyboard=False)
    shoot("node-menu")
    train_from = next(a for a in menu.actions() if a.text() == "&Train from here")
    menu.close()
    train_from.trigger()
    view.fit_all()
    shoot("frozen")

    window.files.new_from_template("resnet18")
    weights = scratch / "resnet18-5-classes.pt"
    other = build_template("resnet18")  # trained elsewhere for 5 classes: another head
    other.set_param(next(n.id for n in other.nodes.values() if n.type == "Dense"), "units", 5)
    torch.manual_seed(0)
    torch.save(compile_graph(other).state_dict(), weights)
    loader = bench.byom.loader

    def accept_after_picture(dialog: WeightsReportDialog) -> bool:
        dialog.show()
        shoot("weights-report")
        dialog.accept()
        return True

    loader.ask_accept = accept_after_picture
    loader.load(weights)
    window.show_workspace("train")
    bench.training.panel.tabs.setCurrentIndex(1)
    shoot("start-from")
    window.show_workspace("design")

    model = scratch / "model.py"
    model.write_text(MODEL)
    importer = bench.byom.importer

    def choose_after_picture(dialog: PythonImportDialog) -> bool:
        dialog.show()
        shoot("import")
        dialog.accept()
        return dialog.result() == QDialog.DialogCode.Accepted

    importer.ask_python_choice = choose_after_picture
    importer.ask_project_path = lambda default: default
    if importer.import_model(model):
        window.view.fit_all()
        shoot("imported")
    return saved


def main(folder: Path) -> list[Path]:
    with scratch_window(folder) as (app, window, bench, scratch):
        return take_byom_screenshots(app, window, bench, folder, scratch)


if __name__ == "__main__":
    for written in main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_FOLDER):
        print(written)
