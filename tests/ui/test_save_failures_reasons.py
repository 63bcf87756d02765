"""The one-line reasons of failed saves, and where unwritable text can (not) come from."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt

from dlstudio.graph import Graph
from dlstudio.graph.errors import ProjectError
from dlstudio.graph.project import Project
from dlstudio.graph.templates import build_template
from dlstudio.ui.document import Document
from dlstudio.ui.panels.inspector import InspectorPanel
from dlstudio.ui.save_problems import (
    replace_unwritable,
    save_failure_reason,
    shown_path,
    unwritable_fields,
)


def test_reasons_are_one_line_and_do_not_repeat_the_file() -> None:
    error = ProjectError("cannot save: No space left\non device", path="/x/net.dlstudio")
    assert save_failure_reason(error) == "No space left on device"
    assert save_failure_reason(ProjectError("is missing", "graph")) == "graph: is missing"
    assert save_failure_reason(IsADirectoryError(21, "Is a directory")) == "Is a directory"
    assert "cannot be written" in save_failure_reason(UnicodeEncodeError(
        "utf-8", "\ud800", 0, 1, "surrogates not allowed"))


def test_paths_are_printable_and_short() -> None:
    latin = "/data/" + os.fsdecode(b"caf\xe9.dlstudio")
    assert shown_path(latin) == "/data/caf\\udce9.dlstudio"
    long = "/data/" + "n" * 400 + ".dlstudio"
    shown = shown_path(long)
    assert len(shown) <= 160 and "…" in shown and shown.endswith("n.dlstudio")


def test_unwritable_text_is_found_and_replaced() -> None:
    project = Project(graph=build_template("xor"), name="ok", notes="a\ud800b",
                      dataset={"spec": "csv:/d/\udce9.csv"})
    assert unwritable_fields(project) == ["notes", "dataset.spec"]
    clean = replace_unwritable(project)
    assert unwritable_fields(clean) == [] and clean.notes == "a\ufffdb"
    assert clean.dataset["spec"] == "csv:/d/\ufffd.csv"
    assert clean.graph.to_dict() == project.graph.to_dict() and project.notes == "a\ud800b"
    assert save_failure_reason(ValueError("x"), project).startswith(
        "notes (and 1 more) holds a character")
    assert unwritable_fields(Project(graph=Graph())) == []


def test_the_name_field_cannot_take_a_lone_surrogate(qtbot) -> None:
    document = Document(Project(graph=build_template("xor"), name="xor"))
    panel = InspectorPanel(document)
    qtbot.addWidget(panel)
    document.set_selection([document.graph.node_by_name("fc1").id])
    qtbot.waitUntil(lambda: panel.name_edit is not None)
    panel.name_edit.setText("fc\ud800x")  # as a paste would put it; PySide drops the half
    assert panel.name_edit.text() == "fcx"
    qtbot.keyClick(panel.name_edit, Qt.Key.Key_Return)
    assert document.graph.node_by_name("fcx") is not None
    assert unwritable_fields(document.project) == []
