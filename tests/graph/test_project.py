"""Project files: round trips, migration, and one clear ProjectError for any bad file."""

from __future__ import annotations

import copy
import json
import os
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dlstudio import atomic
from dlstudio.graph import Graph, infer_shapes
from dlstudio.graph import project as project_module
from dlstudio.graph.migrations import CURRENT_VERSION, UPGRADES, migrate
from dlstudio.graph.project import (
    MAX_FILE_BYTES,
    Project,
    ProjectError,
    load_project,
    project_from_dict,
    project_to_dict,
    save_project,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "project-format.md"


def doc_example(tag: str) -> dict[str, Any]:
    """The JSON block that follows `<!-- example:TAG` in docs/project-format.md."""
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- example:{tag} .*?-->\s*```json\n(.*?)```", text, re.S)
    assert match, f"no example:{tag} block in {DOC.name}"
    return json.loads(match.group(1))


def sample() -> Project:
    graph = Graph()
    x_in = graph.add_node("Input", name="image", params={"shape": [1, 12, 12]},
                          position=(0, 40)).id
    conv = graph.add_node("Conv2d", name="conv1", params={"filters": 1, "padding": "same"},
                          position=(200, 40)).id
    add = graph.add_node("Add", name="skip", position=(400, 40)).id
    flat = graph.add_node("Flatten", name="flat").id
    fc = graph.add_node("Dense", name="fc1", params={"units": 3}).id
    out = graph.add_node("Output", name="out").id
    graph.connect(x_in, conv)
    graph.connect(conv, add, dst_port="in1")
    graph.connect(x_in, add, dst_port="in2")
    for src, dst in ((add, flat), (flat, fc), (fc, out)):
        graph.connect(src, dst)
    return Project(graph=graph, name="Skip test ✓", notes="ünïcode notes\nline two",
                   dataset={"spec": "builtin:digits", "val_fraction": 0.2},
                   training={"epochs": 3, "batch_size": 16, "lr": 0.01, "optimizer": "adam",
                             "seed": 7, "augment": False, "device": None})


def temp_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(atomic.TEMP_SUFFIX)]


# ----- round trips ---------------------------------------------------------------------
def test_save_and_load_give_back_the_same_project(tmp_path: Path) -> None:
    original = sample()
    path = tmp_path / "skip.dlstudio"
    save_project(original, path)
    loaded = load_project(path)
    assert loaded.graph.to_dict() == original.graph.to_dict()
    assert list(loaded.graph.nodes) == list(original.graph.nodes)
    assert list(loaded.graph.edges) == list(original.graph.edges)
    assert (loaded.name, loaded.notes) == (original.name, original.notes)
    assert loaded.dataset == original.dataset and loaded.training == original.training
    assert infer_shapes(loaded.graph).ok
    text = path.read_bytes().decode("utf-8")
    assert "Skip test ✓" in text  # readable UTF-8, not \u escapes
    assert json.loads(text)["format_version"] == CURRENT_VERSION == 2
    save_project(loaded, tmp_path / "again.dlstudio")
    assert (tmp_path / "again.dlstudio").read_bytes() == path.read_bytes()
    assert temp_files(tmp_path) == []


def test_dicts_round_trip_and_keep_ids_stable() -> None:
    data = project_to_dict(sample())
    assert list(data) == ["format_version", "name", "notes", "dataset", "training", "graph"]
    again = project_from_dict(json.loads(json.dumps(data)))
    assert project_to_dict(again) == data
    assert again.graph.add_node("ReLU").id not in data["graph"]["nodes"]


def test_only_format_version_and_graph_are_required() -> None:
    project = project_from_dict({"format_version": 2, "graph": {}})
    assert (project.name, project.notes, project.dataset, project.training) == \
        ("untitled", "", {}, {})
    assert len(project.graph) == 0
    assert Project().graph is not Project().graph


def test_the_documented_example_loads(tmp_path: Path) -> None:
    data = doc_example("v2")
    path = tmp_path / "xor.dlstudio"
    path.write_text(json.dumps(data), encoding="utf-8")
    project = load_project(path)
    assert project.name == "xor" and project.dataset == {"spec": "builtin:xor"}
    report = infer_shapes(project.graph)
    assert report.ok, report.problems
    assert report.shapes[project.graph.node_by_name("out").id] == (1,)
    assert project_to_dict(project) == {
        **data, "graph": project.graph.to_dict()}  # canonical form of the same content


# ----- versions ------------------------------------------------------------------------
def test_a_version_1_file_is_upgraded(tmp_path: Path) -> None:
    data = doc_example("v1")
    untouched = copy.deepcopy(data)
    path = tmp_path / "old.dlstudio"
    path.write_text(json.dumps(data), encoding="utf-8")
    project = load_project(path)
    graph = project.graph
    assert list(graph.nodes) == ["n1", "n2", "n3", "n4"]
    assert graph.node("n3").position == (400.0, 0.0)
    assert [(e.id, e.src, e.src_port, e.dst, e.dst_port) for e in graph.edges.values()] == [
        ("e1", "n1", "out", "n2", "in"), ("e2", "n2", "out", "n3", "in"),
        ("e3", "n3", "out", "n4", "in")]
    assert (project.name, project.notes, project.training) == ("tiny", "", {"epochs": 2})
    assert infer_shapes(graph).shapes["n2"] == (64,)
    assert migrate(data) is not data and data == untouched  # the input is not changed
    save_project(project, path)
    assert json.loads(path.read_text(encoding="utf-8"))["format_version"] == CURRENT_VERSION


def test_every_older_version_has_an_upgrade_step() -> None:
    assert sorted(UPGRADES) == list(range(1, CURRENT_VERSION))


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d["graph"]["edges"][1].update({"to": "n3"}), "graph.edges[1].to",
     '"node_id.port"'),
    (lambda d: d["graph"]["edges"][0].update({"from": 5}), "graph.edges[0].from",
     '"node_id.port"'),
    (lambda d: d["graph"].update({"nodes": []}), "graph.nodes", "keyed by id"),
    (lambda d: d["graph"]["nodes"]["n2"].update({"x": "left"}), "graph.nodes.n2.x",
     "a number"),
    (lambda d: d["graph"]["nodes"]["n3"]["params"].update({"units": 0}),
     "graph.nodes[2].params.units", "upgraded"),
    (lambda d: d["graph"]["edges"].append({"from": "n1.out", "to": "n4.in"}),
     "graph.edges[3]", "already fed"),
])
def test_a_bad_version_1_file_names_the_field(change: Callable[[dict[str, Any]], None],
                                              field: str, words: str) -> None:
    data = doc_example("v1")
    change(data)
    with pytest.raises(ProjectError) as caught:
        project_from_dict(data)
    assert caught.value.field == field
    assert words in caught.value.problem


def test_a_newer_file_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "future.dlstudio"
    path.write_text(json.dumps({"format_version": 3, "graph": {"vertices": []}}))
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: format_version: ")
    assert "made by a newer DL Studio" in message and "update DL Studio" in message


# ----- malformed content: one ProjectError naming the field ----------------------------
def _edge(data: dict[str, Any], src: str, dst: str, port: str = "in") -> None:
    data["graph"]["edges"].append({"id": f"x{len(data['graph']['edges'])}", "src": src,
                                   "src_port": "out", "dst": dst, "dst_port": port})


INF = "<1e999 in the file: JSON reads it as infinity>"
BAD_CONTENT: list[tuple[str, Callable[[dict[str, Any]], Any], str, str]] = [
    ("no version", lambda d: d.pop("format_version"), "format_version", "is missing"),
    ("text version", lambda d: d.update(format_version="2"), "format_version", "whole number"),
    ("bool version", lambda d: d.update(format_version=True), "format_version", "whole number"),
    ("version 0", lambda d: d.update(format_version=0), "format_version", "no format version"),
    ("unknown key", lambda d: d.update(colour="red"), "colour", "unknown field"),
    ("name type", lambda d: d.update(name=5), "name", "must be text, not a number"),
    ("name length", lambda d: d.update(name="x" * 201), "name", "at most 200"),
    ("no graph", lambda d: d.pop("graph"), "graph", "is missing"),
    ("graph list", lambda d: d.update(graph=[]), "graph", "must be an object"),
    ("graph key", lambda d: d["graph"].update(layers=[]), "graph.layers", "unknown field"),
    ("nodes type", lambda d: d["graph"].update(nodes={}), "graph.nodes", "must be a list"),
    ("too many nodes", lambda d: d["graph"].update(nodes=[{}] * 10_001), "graph.nodes",
     "at most 10000"),
    ("node type", lambda d: d["graph"]["nodes"].__setitem__(1, "conv"), "graph.nodes[1]",
     "must be an object"),
    ("missing type", lambda d: d["graph"]["nodes"][1].pop("type"), "graph.nodes[1].type",
     "is missing"),
    ("unknown type", lambda d: d["graph"]["nodes"][1].update(type="Conv3d"),
     "graph.nodes[1].type", "unknown layer type 'Conv3d'; known types: Input"),
    ("type not text", lambda d: d["graph"]["nodes"][1].update(type=["Conv2d"]),
     "graph.nodes[1].type", "unknown layer type"),
    ("bad param", lambda d: d["graph"]["nodes"][1]["params"].update(kernel_size=0),
     "graph.nodes[1].params.kernel_size",
     'Conv2d "conv1": kernel_size must be ≥ 1. Received: kernel_size=0'),
    ("huge param", lambda d: d["graph"]["nodes"][1]["params"].update(kernel_size=10**400),
     "graph.nodes[1].params.kernel_size", "must be a whole number"),
    ("infinite param", lambda d: d["graph"]["nodes"][4]["params"].update(units=INF),
     "graph.nodes[4].params.units", "must be a whole number"),
    ("huge shape", lambda d: d["graph"]["nodes"][0]["params"].update(shape=[1, 10**300, 2]),
     "graph.nodes[0].params.shape", "≤ 1000000"),
    ("unknown param", lambda d: d["graph"]["nodes"][1]["params"].update(colour=1),
     "graph.nodes[1].params.colour", "has no parameter 'colour' (its parameters: filters"),
    ("odd param key", lambda d: d["graph"]["nodes"][1]["params"].update({"a b": 1}),
     'graph.nodes[1].params["a b"]', "has no parameter"),
    ("params list", lambda d: d["graph"]["nodes"][1].update(params=[3]),
     "graph.nodes[1].params", "must be an object"),
    ("node key", lambda d: d["graph"]["nodes"][1].update(code="import os"),
     "graph.nodes[1].code", "unknown field"),
    ("bad id", lambda d: d["graph"]["nodes"][1].update(id="n 2"), "graph.nodes[1].id",
     "letters, digits"),
    ("duplicate id", lambda d: d["graph"]["nodes"][2].update(id="n1"), "graph.nodes[2].id",
     "'n1' is already used by graph.nodes[0]"),
    ("duplicate name", lambda d: d["graph"]["nodes"][3].update(name="conv1"),
     "graph.nodes[3].name", "'conv1' is already used by graph.nodes[1]"),
    ("reserved name", lambda d: d["graph"]["nodes"][3].update(name="forward"),
     "graph.nodes[3].name", "reserved"),
    ("empty name", lambda d: d["graph"]["nodes"][3].update(name=""), "graph.nodes[3].name",
     "not allowed"),
    ("position short", lambda d: d["graph"]["nodes"][0].update(position=[1]),
     "graph.nodes[0].position", "two numbers"),
    ("position text", lambda d: d["graph"]["nodes"][0].update(position=["a", 1]),
     "graph.nodes[0].position", "two numbers"),
    ("position huge", lambda d: d["graph"]["nodes"][0].update(position=[1e300, 0]),
     "graph.nodes[0].position", "between"),
    ("position inf", lambda d: d["graph"]["nodes"][0].update(position=[INF, 0]),
     "graph.nodes[0].position", "between"),
    ("edge to nowhere", lambda d: d["graph"]["edges"][2].update(dst="n99"),
     "graph.edges[2].dst", "no node with id 'n99'"),
    ("edge src type", lambda d: d["graph"]["edges"][2].update(src=4), "graph.edges[2].src",
     "must be text"),
    ("edge no id", lambda d: d["graph"]["edges"][0].pop("id"), "graph.edges[0].id",
     "is missing"),
    ("edge duplicate id", lambda d: d["graph"]["edges"][3].update(id=d["graph"]["edges"][0]["id"]),
     "graph.edges[3].id", "already used by graph.edges[0]"),
    ("bad port", lambda d: d["graph"]["edges"][1].update(dst_port="in3"), "graph.edges[1]",
     "Add \"skip\" has no input port 'in3'"),
    ("occupied", lambda d: _edge(d, "n1", "n5"), "graph.edges[6]",
     'input \'in\' of "fc1" is already fed by "flat"'),
    ("self loop", lambda d: _edge(d, "n3", "n3", "in1"), "graph.edges[6]",
     'cannot wire "skip" to itself'),
    ("cycle", lambda d: (d["graph"]["edges"].pop(2), _edge(d, "n5", "n3", "in2")),
     "graph.edges[5]", 'wiring "fc1" to "skip" would make a cycle'),
    ("dataset list", lambda d: d.update(dataset=["digits"]), "dataset", "must be an object"),
    ("dataset spec", lambda d: d["dataset"].update(spec=3), "dataset.spec", "data spec"),
    ("nested setting", lambda d: d["training"].update(schedule={"type": "step"}),
     "training.schedule", "plain value"),
    ("list setting", lambda d: d["training"].update(milestones=[1, 2]),
     "training.milestones", "not a list"),
    ("huge setting", lambda d: d["training"].update(epochs=10**30), "training.epochs",
     "too large"),
    ("infinite setting", lambda d: d["training"].update(lr=INF), "training.lr", "finite"),
    ("bad setting key", lambda d: d["training"].update({"9lives": 1}), 'training["9lives"]',
     "setting names"),
    ("long setting", lambda d: d["dataset"].update(spec="x" * 10_001), "dataset.spec",
     "at most 10000"),
]


@pytest.mark.parametrize(("change", "field", "words"), [case[1:] for case in BAD_CONTENT],
                         ids=[case[0] for case in BAD_CONTENT])
def test_bad_content_names_the_field(change: Callable[[dict[str, Any]], Any], field: str,
                                     words: str, tmp_path: Path) -> None:
    data = json.loads(json.dumps(project_to_dict(sample())))
    change(data)
    path = tmp_path / "bad.dlstudio"
    text = json.dumps(data, ensure_ascii=False).replace(json.dumps(INF), "1e999")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    error = caught.value
    assert (error.path, error.field) == (str(path), field)
    assert words in error.problem
    assert str(error) == f"{path}: {field}: {error.problem}"


# ----- malformed files ---------------------------------------------------------------------
def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _saved_then_cut(path: Path) -> Path:
    save_project(sample(), path)
    return _write(path, path.read_bytes()[: path.stat().st_size // 2])


BAD_FILES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("missing", lambda p: p, "cannot read the file: No such file"),
    ("folder", lambda p: (p.mkdir(), p)[1], "cannot read the file"),
    ("empty", lambda p: _write(p, b"  \n"), "the file is empty"),
    ("not json", lambda p: _write(p, b"name = 'cnn'\n"), "not valid JSON at line 1, column 1"),
    ("cut short", _saved_then_cut, "the file is damaged or cut short"),
    ("not utf-8", lambda p: _write(p, '{"name": "caf\u00e9"}'.encode("latin-1")),
     "not UTF-8 text (bad byte at offset 13)"),
    ("a list", lambda p: _write(p, b"[1, 2]"), "holds one JSON object {...}, not a list"),
    ("nan", lambda p: _write(p, b'{"format_version": 2, "graph": {}, "x": NaN}'),
     "NaN is not a number a project file may hold"),
    ("repeated key", lambda p: _write(p, b'{"format_version": 2, "format_version": 3}'),
     "the key 'format_version' appears twice"),
    ("deep nesting", lambda p: _write(p, b'{"graph": ' + b"[" * 100_000 + b"]" * 100_000
                                      + b"}"), "nested too deeply"),
    ("long number", lambda p: _write(p, b'{"format_version": ' + b"9" * 5000 + b"}"),
     "a number with thousands of digits"),
    ("pickle", lambda p: _write(p, pickle.dumps({"format_version": 2})), "not UTF-8 text"),
]


@pytest.mark.parametrize(("make", "words"), [case[1:] for case in BAD_FILES],
                         ids=[case[0] for case in BAD_FILES])
def test_bad_files_give_one_clear_error(make: Callable[[Path], Path], words: str,
                                        tmp_path: Path) -> None:
    path = make(tmp_path / "bad.dlstudio")
    with pytest.raises(ProjectError) as caught:
        load_project(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert words in caught.value.problem
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.dlstudio"
    with open(path, "wb") as stream:
        stream.truncate(2**30)  # 1 GB, sparse: nothing is actually written
    with pytest.raises(ProjectError, match="larger than 50 MB"):
        load_project(path)
    assert MAX_FILE_BYTES == 50 * 2**20


def test_a_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    path = tmp_path / "bom.dlstudio"
    text = json.dumps(project_to_dict(sample()))
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_project(path).name == "Skip test ✓"


def test_loading_never_executes_anything(tmp_path: Path) -> None:
    marker = tmp_path / "executed"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (open, (str(marker), "w"))

    bad = _write(tmp_path / "evil.dlstudio", pickle.dumps(Payload()))
    with pytest.raises(ProjectError):
        load_project(bad)
    data = project_to_dict(sample())
    data["graph"]["nodes"][1]["params"]["filters"] = f"__import__('os').mkdir({str(marker)!r})"
    with pytest.raises(ProjectError, match="filters must be a whole number"):
        project_from_dict(data)
    assert not marker.exists()


def test_a_long_value_gives_a_short_message() -> None:
    data = project_to_dict(sample())
    data["graph"]["nodes"][1]["params"]["filters"] = "9" * 1_000_000 + "x"
    with pytest.raises(ProjectError) as caught:
        project_from_dict(data)
    assert len(str(caught.value)) < 1300 and str(caught.value).endswith("…")


# ----- saving ------------------------------------------------------------------------------
@pytest.mark.parametrize(("module", "function", "error", "expected"), [
    (project_module.json, "dumps", RuntimeError("bug while encoding"), RuntimeError),
    (atomic.os, "fsync", OSError(28, "No space left on device"), ProjectError),
    (atomic.os, "replace", OSError(13, "Permission denied"), ProjectError),
])
def test_a_failed_save_keeps_the_old_file_and_leaves_no_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: Any, function: str,
        error: Exception, expected: type[Exception]) -> None:
    path = tmp_path / "keep.dlstudio"
    save_project(sample(), path)
    before = path.read_bytes()
    changed = sample()
    changed.graph.add_node("ReLU", name="extra")

    def broken(*args: object, **kwargs: object) -> Any:
        raise error

    monkeypatch.setattr(module, function, broken)
    with pytest.raises(expected) as caught:
        save_project(changed, path)
    monkeypatch.undo()
    if expected is ProjectError:
        assert str(caught.value) == f"{path}: cannot save: {error.strerror}"
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.dlstudio"]


@pytest.mark.parametrize(("change", "field"), [
    (lambda p: p.training.update(milestones=(1, 2)), "training.milestones"),
    (lambda p: p.training.update(lr=float("nan")), "training.lr"),
    (lambda p: p.dataset.update(spec=None), "dataset.spec"),
    (lambda p: setattr(p, "notes", None), "notes"),
])
def test_save_refuses_what_load_would_refuse_before_writing(
        change: Callable[[Project], Any], field: str, tmp_path: Path) -> None:
    path = tmp_path / "p.dlstudio"
    save_project(sample(), path)
    before = path.read_bytes()
    project = sample()
    change(project)
    with pytest.raises(ProjectError) as caught:
        save_project(project, path)
    assert (caught.value.path, caught.value.field) == (str(path), field)
    assert path.read_bytes() == before
    assert temp_files(tmp_path) == []


def test_saving_into_a_missing_folder_is_a_project_error(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "p.dlstudio"
    with pytest.raises(ProjectError, match="cannot save: No such file or directory"):
        save_project(sample(), path)
    assert not path.parent.exists()


def test_project_error_is_a_value_error_with_parts() -> None:
    error = ProjectError("must be text", "name", "a.dlstudio")
    assert isinstance(error, ValueError)
    assert str(error) == "a.dlstudio: name: must be text"
    assert str(ProjectError("the file is empty")) == "the file is empty"
    assert str(error.in_file("b.dlstudio")) == "b.dlstudio: name: must be text"
    assert os.fspath(Path(error.path)) == "a.dlstudio"
