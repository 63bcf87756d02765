"""Lone surrogates and unusable file names: refused at load and at save with ProjectError.

JSON can spell "\\ud800"; Python reads it into text that can never be written as UTF-8.
Such a file used to open and then fail on every save with a bare UnicodeEncodeError.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dlstudio.graph import Graph
from dlstudio.graph.project import Project, ProjectError, load_project, save_project
from dlstudio.graph.project_text import join_path, refuse_lone_surrogates

LONE = "\\ud800"  # as written in the file: six characters, JSON's escape


def v2_text() -> str:
    """A small valid version 2 file as text, with markers to replace."""
    return json.dumps({
        "format_version": 2, "name": "NAME", "notes": "NOTES",
        "dataset": {"spec": "SPEC"}, "training": {"optimizer": "OPTIMIZER", "KEY": 1},
        "graph": {"nodes": [
            {"id": "n1", "type": "Input", "name": "x_in", "params": {"shape": [2]}},
            {"id": "n2", "type": "Dense", "name": "fc", "params": {"units": 1}},
            {"id": "n3", "type": "Conv2d", "name": "conv", "params": {"padding": "PAD"}},
            {"id": "n4", "type": "Output", "name": "NODENAME", "params": {}}],
            "edges": [{"id": "e1", "src": "n1", "dst": "n2"}]}})


@pytest.mark.parametrize(("marker", "replacement", "field"), [
    ('"NAME"', f'"a{LONE}b"', "name"),
    ('"NOTES"', f'"line one\\n{LONE}"', "notes"),
    ('"SPEC"', f'"builtin:{LONE}"', "dataset.spec"),
    ('"OPTIMIZER"', f'"{LONE}"', "training.optimizer"),
    ('"KEY"', f'"{LONE}"', 'training["\\ud800"]'),
    ('"NODENAME"', f'"out{LONE}"', "graph.nodes[3].name"),
    ('"PAD"', '"\\udfff"', "graph.nodes[2].params.padding"),
    ('"n1", "dst"', f'"n{LONE}", "dst"', "graph.edges[0].src"),
    ('"format_version"', f'"{LONE}": 1, "format_version"', '["\\ud800"]'),
])
def test_a_lone_surrogate_anywhere_is_refused_naming_where(
        tmp_path: Path, marker: str, replacement: str, field: str) -> None:
    assert marker in v2_text()
    text = v2_text().replace(marker, replacement, 1).replace('"PAD"', '"same"')
    path = tmp_path / "odd.dlstudio"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    error = caught.value
    assert error.field == field
    assert "lone surrogate \\ud" in error.problem and "not valid Unicode text" in error.problem
    str(error).encode("utf-8")  # the message itself can always be printed


def test_the_same_file_with_whole_characters_loads_and_saves(tmp_path: Path) -> None:
    text = v2_text().replace("PAD", "same").replace('"NOTES"', '"smile \\ud83d\\ude00"')
    path = tmp_path / "fine.dlstudio"
    path.write_text(text, encoding="utf-8")
    project = load_project(path)
    assert project.notes == "smile \U0001F600"
    save_project(project, path)
    assert load_project(path).notes == "smile \U0001F600"


def test_a_version_1_file_names_the_field_in_its_own_layout() -> None:
    from dlstudio.graph.project import project_from_dict
    data = {"format_version": 1, "graph": {"nodes": {"n1": {
        "type": "ReLU", "name": "act\ud800", "x": 0, "y": 0}}, "edges": []}}
    with pytest.raises(ProjectError) as caught:
        project_from_dict(data)
    assert caught.value.field == "graph.nodes.n1.name"
    assert "upgraded" not in caught.value.problem


def _graph_with_odd_id() -> Graph:
    graph = Graph()
    graph.add_node("ReLU", node_id="n\ud800")
    return graph


@pytest.mark.parametrize(("change", "field"), [
    (lambda p: setattr(p, "name", "a\ud800"), "name"),
    (lambda p: setattr(p, "notes", "\udc80 notes"), "notes"),
    (lambda p: p.training.update(optimizer="\ud800"), "training.optimizer"),
    (lambda p: p.dataset.update(spec="csv:\udfff.csv"), "dataset.spec"),
    (lambda p: setattr(p, "graph", _graph_with_odd_id()), "graph.nodes[0].id"),
])
def test_save_refuses_a_lone_surrogate_with_a_project_error(
        tmp_path: Path, change: Callable[[Project], Any], field: str) -> None:
    path = tmp_path / "p.dlstudio"
    save_project(Project(name="before"), path)
    before = path.read_bytes()
    project = Project(training={"epochs": 1}, dataset={"spec": "builtin:xor"})
    change(project)
    with pytest.raises(ProjectError) as caught:
        save_project(project, path)
    assert (caught.value.path, caught.value.field) == (str(path), field)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.dlstudio"]


@pytest.mark.parametrize("name", ["\ud800.dlstudio", "a\x00b.dlstudio"])
def test_a_file_name_the_system_cannot_take_is_a_project_error(
        tmp_path: Path, name: str) -> None:
    path = f"{tmp_path}/{name}"
    with pytest.raises(ProjectError, match="cannot save: the file name cannot be used"):
        save_project(Project(), path)
    with pytest.raises(ProjectError, match="cannot read the file: its name cannot be used"):
        load_project(path)
    try:
        save_project(Project(), path)
    except ProjectError as error:
        str(error).encode("utf-8")  # printable although the name is not
    assert list(tmp_path.iterdir()) == []


def test_a_value_json_cannot_write_is_a_project_error(tmp_path: Path) -> None:
    graph = Graph()
    node = graph.add_node("ReLU")
    node.params["odd"] = object()  # only code can do this; still no bare TypeError
    with pytest.raises(ProjectError, match="cannot save: a value cannot be written"):
        save_project(Project(graph=graph), tmp_path / "p.dlstudio")


def test_deep_data_is_walked_without_recursion() -> None:
    deep: Any = "\ud800"
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(ProjectError) as caught:
        refuse_lone_surrogates({"training": deep})
    assert caught.value.field.startswith("training[0][0]")
    refuse_lone_surrogates({"fine": [["text"] * 3] * 3, "n": 1.5})


def test_paths_are_printable() -> None:
    assert join_path("", "name") == "name"
    assert join_path("graph", "nodes") == "graph.nodes"
    assert join_path("training", "9 lives") == 'training["9 lives"]'
    assert join_path("training", "\ud800") == 'training["\\ud800"]'
    assert join_path("params", 3) == "params[\"3\"]"


def test_data_that_holds_itself_is_refused_not_walked_forever() -> None:
    from dlstudio.graph.project import project_from_dict
    loop: list[Any] = []
    loop.append(loop)
    refuse_lone_surrogates({"a": loop, "b": loop})
    with pytest.raises(ProjectError, match="nested too deeply|plain value"):
        project_from_dict({"format_version": 2, "graph": {}, "training": {"x": loop}})
