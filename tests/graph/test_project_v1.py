"""Version 1 files obey the rules docs/project-format.md states for them.

Each case here was once loaded wrongly: a file with no graph opened as an empty
network, notes and node positions were dropped silently, and keys version 1 never had
were overwritten by the upgrade instead of refused.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dlstudio.graph.migrations import migrate
from dlstudio.graph.project import ProjectError, load_project, project_from_dict, save_project

DOC = Path(__file__).resolve().parents[2] / "docs" / "project-format.md"


def v1() -> dict[str, Any]:
    """The version 1 example of docs/project-format.md."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- example:v1 .*?-->\s*```json\n(.*?)```", text, re.S)
    assert match
    return json.loads(match.group(1))


def refused(data: dict[str, Any]) -> ProjectError:
    untouched = copy.deepcopy(data)
    with pytest.raises(ProjectError) as caught:
        project_from_dict(data)
    assert data == untouched
    return caught.value


def test_a_version_1_file_without_a_graph_is_refused() -> None:
    data = v1()
    del data["graph"]
    error = refused(data)
    assert (error.field, error.problem) == ("graph", "is missing: a project holds a graph")
    assert refused({"format_version": 1}).field == "graph"


def test_a_version_1_graph_may_leave_out_nodes_and_edges() -> None:
    assert len(project_from_dict({"format_version": 1, "graph": {}}).graph) == 0


def test_version_1_notes_are_kept_and_checked(tmp_path: Path) -> None:
    data = v1()
    data["notes"] = "written by an early build"
    project = project_from_dict(data)
    assert project.notes == "written by an early build"
    path = tmp_path / "old.dlstudio"
    save_project(project, path)
    assert load_project(path).notes == "written by an early build"
    data["notes"] = 5
    error = refused(data)
    assert error.field == "notes" and "must be text" in error.problem
    assert project_from_dict(v1()).notes == ""


def test_a_version_1_node_position_is_kept_and_checked() -> None:
    data = v1()
    node = data["graph"]["nodes"]["n3"]
    del node["x"], node["y"]
    node["position"] = [410, -20.5]
    assert project_from_dict(data).graph.node("n3").position == (410.0, -20.5)
    node["position"] = [1e300, 0]
    error = refused(data)
    assert error.field == "graph.nodes[2].position" and "between" in error.problem
    node["position"] = "left"
    assert refused(data).field == "graph.nodes[2].position"


def test_a_version_1_node_with_both_position_and_x_y_is_refused() -> None:
    data = v1()
    data["graph"]["nodes"]["n2"]["position"] = [1, 2]
    error = refused(data)
    assert error.field == "graph.nodes.n2.position" and "keep one" in error.problem


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d.update(colour="red"), "colour"),
    (lambda d: d["graph"].update(layers=[]), "graph.layers"),
    (lambda d: d["graph"]["nodes"]["n2"].update(id="other"), "graph.nodes.n2.id"),
    (lambda d: d["graph"]["nodes"]["n2"].update(code="import os"), "graph.nodes.n2.code"),
    (lambda d: d["graph"]["edges"][1].update(id="mine"), "graph.edges[1].id"),
    (lambda d: d["graph"]["edges"][1].update(src_port="x"), "graph.edges[1].src_port"),
    (lambda d: d["graph"]["nodes"].update({"n 9": {"type": "ReLU", "name": "r", "odd key": 1}}),
     'graph.nodes["n 9"]["odd key"]'),
])
def test_a_key_version_1_never_had_is_refused_not_overwritten(
        change: Callable[[dict[str, Any]], Any], field: str) -> None:
    data = v1()
    change(data)
    error = refused(data)
    assert error.field == field
    assert "unknown field in a version 1 file" in error.problem


def test_the_upgrade_keeps_what_version_1_had() -> None:
    data = v1()
    data["notes"] = "kept"
    upgraded = migrate(data)
    assert upgraded["notes"] == "kept" and upgraded["format_version"] == 2
    assert upgraded["graph"]["nodes"][1] == {
        "type": "Flatten", "name": "flat", "params": {}, "id": "n2", "position": [200, 0]}
    assert upgraded["graph"]["edges"][0] == {
        "id": "e1", "src": "n1", "src_port": "out", "dst": "n2", "dst_port": "in"}


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("text", ["1,,28", ",28", "28,", "1x28x", "×28", " , "])
def test_shape_text_with_an_empty_part_is_refused_naming_the_field(
        version: int, text: str) -> None:
    data = v1()
    data["graph"]["nodes"]["n1"]["params"]["shape"] = text
    if version == 2:
        data = migrate(data)
    error = refused(data)
    assert error.field == "graph.nodes[0].params.shape"
    assert "shape" in error.problem and "Received: shape=" in error.problem


@pytest.mark.parametrize("text", ["1, 8, 8", "1×8×8", "1x8x8", " 1,8,8 "])
def test_shape_text_as_the_inspector_takes_it_still_loads(text: str) -> None:
    data = v1()
    data["graph"]["nodes"]["n1"]["params"]["shape"] = text
    assert project_from_dict(data).graph.node("n1").params["shape"] == (1, 8, 8)
