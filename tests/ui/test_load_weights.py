"""File ▸ Load weights…: a small state_dict made here is read, matched and reported; on
"Train from these weights" the project trains from it (one undo step, the project marked
modified, the Train settings showing it); a file that fits nothing is one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt

from dlstudio.compile import compile_graph
from dlstudio.graph.templates import build_template
from dlstudio.ui.byom.install import install_byom
from dlstudio.ui.byom.load_weights import stored_path
from dlstudio.ui.byom.weights_report import WeightsReportDialog


@pytest.fixture
def app(gui, tmp_path: Path):
    """The window with Load weights… and an xor project saved in tmp_path."""
    window, ui = gui
    byom = install_byom(window, ui.panel.form)
    window.files.new_from_template("xor")
    assert window.files.save_as(tmp_path / "xor.dlstudio")
    return window, ui, byom.loader


def _weights_file(path: Path, template: str = "xor", seed: int = 3) -> Path:
    torch.manual_seed(seed)
    torch.save(compile_graph(build_template(template)).state_dict(), path)
    return path


def _answer(loader, path: Path | None, accept: bool) -> list[WeightsReportDialog]:
    """Answer the file dialog with `path` and the report with `accept`; the reports shown."""
    shown: list[WeightsReportDialog] = []

    def ask_accept(dialog: WeightsReportDialog) -> bool:
        dialog.show()
        shown.append(dialog)
        return accept

    loader.ask_path = lambda: path
    loader.ask_accept = ask_accept
    return shown


def test_a_fitting_file_is_reported_and_training_starts_from_it(app, qtbot,
                                                                tmp_path: Path) -> None:
    window, ui, loader = app
    weights = _weights_file(tmp_path / "mine.pt")
    shown = _answer(loader, weights, accept=True)
    window.action_map["load_weights"].trigger()

    dialog = shown[0]
    tensors = len(compile_graph(build_template("xor")).state_dict())
    assert dialog.group_texts() == ["Shapes differ, left as initialised (0)",
                                    "Missing from the file (0)", "In the file, unused (0)",
                                    f"Loaded ({tensors})"]
    assert dialog.tree.isColumnHidden(1)  # matched by name: no second name to show
    assert f"{tensors} tensors load" in dialog.headline.text()
    training = window.document.project.training
    assert training["weights"] == "mine.pt"  # beside the project: relative
    assert ui.panel.form.start.label.text() == "mine.pt"
    assert ui.panel.form.settings().weights == "mine.pt"
    assert window.document.is_modified()
    assert "mine.pt" in window.statusBar().currentMessage()

    window.document.undo_stack.undo()
    assert window.document.project.training["weights"] == ""
    assert ui.panel.form.start.label.text() == "Random initial weights"
    window.document.undo_stack.redo()
    assert ui.panel.form.settings().weights == "mine.pt"

    # the next run starts from the file, read beside the project
    ui.panel.form.fields["epochs"].setValue(1)
    with qtbot.waitSignal(ui.session.controller.run_ended, timeout=60_000):
        assert ui.session.train()
    assert ui.session.controller.state == "finished"
    assert "starting from loaded" in ui.panel.log.toPlainText()


def test_cancelling_the_report_changes_nothing(app, tmp_path: Path) -> None:
    window, ui, loader = app
    shown = _answer(loader, _weights_file(tmp_path / "mine.pt"), accept=False)
    assert not loader.load()
    assert len(shown) == 1
    assert not window.document.project.training.get("weights")
    assert not window.document.is_modified()


@pytest.mark.parametrize("content", ["text", "unrelated"])
def test_a_file_that_fits_nothing_is_one_line(app, tmp_path: Path, content: str) -> None:
    window, ui, loader = app
    path = tmp_path / "bad.pt"
    if content == "text":
        path.write_text("not weights at all")
    else:
        torch.save({"encoder.embedding.weight": torch.zeros(7, 3)}, path)
    shown = _answer(loader, path, accept=True)
    assert not loader.load()
    assert not shown
    assert window.last_error and "\n" not in window.last_error
    assert "bad.pt" in window.last_error
    assert not window.document.project.training.get("weights")


def test_a_shape_mismatch_on_a_frozen_layer_names_the_tensor_and_both_shapes(
        app, tmp_path: Path) -> None:
    window, ui, loader = app
    graph = window.document.graph
    state = compile_graph(build_template("xor")).state_dict()
    first = next(n for n in graph.nodes.values() if n.spec.has_weights)
    window.document.editor.set_param(first.id, "trainable", False)
    key = f"{first.name}.weight"
    state[key] = torch.zeros(state[key].shape[0] + 3, state[key].shape[1])
    torch.save(state, tmp_path / "other.pt")
    _answer(loader, tmp_path / "other.pt", accept=True)
    assert not loader.load()
    assert key in window.last_error and "\n" not in window.last_error


def test_the_settings_row_loads_and_clears_as_undo_steps(app, qtbot, tmp_path: Path
                                                         ) -> None:
    window, ui, loader = app
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    weights = _weights_file(outside / "far.pt")
    _answer(loader, weights, accept=True)
    row = ui.panel.form.start
    assert not row.clear_button.isEnabled()
    qtbot.mouseClick(row.load_button, Qt.MouseButton.LeftButton)
    assert window.document.project.training["weights"] == str(weights.resolve())
    assert row.label.text() == "far.pt" and row.clear_button.isEnabled()
    qtbot.mouseClick(row.clear_button, Qt.MouseButton.LeftButton)
    assert row.label.text() == "Random initial weights"
    assert window.document.project.training["weights"] == ""
    window.document.undo_stack.undo()
    assert row.label.text() == "far.pt"


def test_stored_path_is_relative_below_the_project_only(tmp_path: Path) -> None:
    project = tmp_path / "p.dlstudio"
    assert stored_path(tmp_path / "w" / "a.pt", project) == "w/a.pt"
    assert stored_path(tmp_path / "a.pt", None) == str((tmp_path / "a.pt").resolve())
    assert Path(stored_path(tmp_path.parent / "a.pt", project)).is_absolute()


def test_a_file_with_other_names_is_matched_by_structure_and_says_from_where(
        app, tmp_path: Path) -> None:
    window, ui, loader = app
    state = compile_graph(build_template("xor")).state_dict()
    prefixes = list(dict.fromkeys(key.rsplit(".", 1)[0] for key in state))
    renamed = {f"net.{prefixes.index(key.rsplit('.', 1)[0])}.{key.rsplit('.', 1)[1]}": value
               for key, value in state.items()}
    torch.save(renamed, tmp_path / "theirs.pt")
    shown = _answer(loader, tmp_path / "theirs.pt", accept=True)
    assert loader.load()
    dialog = shown[0]
    assert "matched by structure" in dialog.headline.text()
    assert not dialog.tree.isColumnHidden(1)
    loaded = dialog.tree.topLevelItem(3)
    assert loaded.text(0) == f"Loaded ({len(state)})"
    assert loaded.child(0).text(1) == "net.0." + next(iter(state)).rsplit(".", 1)[1]
