"""Rules of docs/project-format.md that the code once read differently from the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dlstudio.graph.project import (
    Project,
    ProjectError,
    load_project,
    project_from_dict,
    save_project,
)


def settings(**training: Any) -> dict[str, Any]:
    return {"format_version": 2, "graph": {}, "training": training}


@pytest.mark.parametrize("number", [-(2**63), 2**63 - 1, 0, -1])
def test_every_64_bit_whole_number_is_a_setting(number: int, tmp_path: Path) -> None:
    project = project_from_dict(settings(seed=number))
    save_project(project, tmp_path / "p.dlstudio")
    assert load_project(tmp_path / "p.dlstudio").training == {"seed": number}


@pytest.mark.parametrize("number", [-(2**63) - 1, 2**63, 10**30])
def test_a_whole_number_beyond_64_bits_is_refused(number: int) -> None:
    with pytest.raises(ProjectError) as caught:
        project_from_dict(settings(seed=number))
    assert caught.value.field == "training.seed" and "64 bits" in caught.value.problem


@pytest.mark.parametrize("key", ["-x", ".x", "9lives", "", "a" * 65, "a b"])
def test_a_setting_name_must_start_with_a_letter_or_underscore(key: str) -> None:
    with pytest.raises(ProjectError) as caught:
        project_from_dict(settings(**{key: 1}))
    assert "starting with a letter or _" in caught.value.problem


@pytest.mark.parametrize("key", ["_x", "a.b-c", "x" * 64, "lr"])
def test_the_setting_names_the_page_allows_load(key: str) -> None:
    assert project_from_dict(settings(**{key: 1})).training == {key: 1}


def test_graph_nodes_and_edges_may_be_left_out() -> None:
    for graph in ({}, {"nodes": []}, {"edges": []}):
        assert len(project_from_dict({"format_version": 2, "graph": graph}).graph) == 0


def test_a_byte_order_mark_is_read_and_not_written(tmp_path: Path) -> None:
    path = tmp_path / "bom.dlstudio"
    path.write_bytes(b'\xef\xbb\xbf{"format_version": 2, "graph": {}}')
    save_project(load_project(path), path)
    assert path.read_bytes().startswith(b"{")


def test_position_default_and_bounds_match_the_page() -> None:
    node = {"id": "n1", "type": "ReLU", "name": "act"}
    graph = project_from_dict({"format_version": 2, "graph": {"nodes": [node]}}).graph
    assert graph.node("n1").position == (0.0, 0.0)
    for position, ok in (([1e9, -1e9], True), ([1e9 + 1, 0], False), ([True, 0], False)):
        data = {"format_version": 2, "graph": {"nodes": [{**node, "position": position}]}}
        if ok:
            assert project_from_dict(data).graph.node("n1").position == tuple(position)
        else:
            with pytest.raises(ProjectError, match="graph.nodes.0..position"):
                project_from_dict(data)


def test_a_saved_project_always_loads(tmp_path: Path) -> None:
    project = Project(name="x" * 200, notes="n" * 1000, training={"k" * 64: "v" * 10_000})
    save_project(project, tmp_path / "p.dlstudio")
    again = load_project(tmp_path / "p.dlstudio")
    assert (again.name, again.notes, again.training) == (project.name, project.notes,
                                                         project.training)


@pytest.mark.parametrize("key", ["kernel_size", "padding"])
def test_a_parameter_nested_hundreds_deep_is_refused_naming_it(
        key: str, tmp_path: Path) -> None:
    """Found by tests/fuzz/test_fuzz_project.py: the refusal named no field."""
    deep = "[" * 500 + "2" + "]" * 500  # json reads it; a message cannot quote it
    node = {"id": "n1", "type": "Conv2d", "name": "conv", "params": {key: "DEEP"}}
    text = json.dumps({"format_version": 2, "graph": {"nodes": [node]}})
    path = tmp_path / "deep.dlstudio"
    path.write_text(text.replace('"DEEP"', deep))
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    assert caught.value.field == f"graph.nodes[0].params.{key}"
    assert "nested too deeply" in caught.value.problem


def test_parameters_are_checked_once_and_kept_in_their_canonical_form(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The loader validates each parameter once, naming its field, and the graph takes
    the canonical value it returned (8.0 -> 8, "3" -> 3) without checking again."""
    from dlstudio.graph.params import ParamSpec

    calls: list[str] = []
    real_validate = ParamSpec.validate

    def counted(self: ParamSpec, value: Any) -> Any:
        calls.append(self.name)
        return real_validate(self, value)

    monkeypatch.setattr(ParamSpec, "validate", counted)
    nodes = [{"id": "n1", "type": "Dense", "name": "fc", "params": {"units": 8.0}},
             {"id": "n2", "type": "Conv2d", "name": "conv", "params": {"kernel_size": "3"}}]
    graph = project_from_dict({"format_version": 2, "graph": {"nodes": nodes}}).graph
    assert sorted(calls) == ["kernel_size", "units"]
    units = graph.node("n1").params["units"]
    assert units == 8 and type(units) is int
    assert graph.node("n2").params["kernel_size"] == 3
    nodes[0]["params"] = {"units": 0}
    with pytest.raises(ProjectError) as caught:
        project_from_dict({"format_version": 2, "graph": {"nodes": nodes}})
    assert caught.value.field == "graph.nodes[0].params.units"
    assert 'Dense "fc": units must be ≥ 1' in caught.value.problem
