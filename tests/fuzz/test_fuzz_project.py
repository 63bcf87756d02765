"""Fuzzing the project loader: any file is either a project that saves back and reloads
equal, or one ProjectError; never another exception.

Files are valid projects (built from the templates, in both format versions) changed
by hypothesis: keys dropped or added, values swapped for wrong types, huge or negative
numbers, odd Unicode (lone surrogates too), ids repeated, wires pointed anywhere; then
the bytes: NaN/Infinity literals, deep nesting, a BOM, invalid UTF-8, cut short, random
bytes. tests/fuzz/corpus/project/ keeps the nastiest files with their expected outcome.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudio.graph.project import (
    Project,
    ProjectError,
    load_project,
    project_to_dict,
    save_project,
)
from dlstudio.graph.templates import build_template

CORPUS = Path(__file__).parent / "corpus" / "project"
# CI runs 250 examples a test (seconds); DLSTUDIO_FUZZ_EXAMPLES=20000 searches longer.
EXAMPLES = int(os.environ.get("DLSTUDIO_FUZZ_EXAMPLES", "250"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
TEMPLATES = ("xor", "cnn-small", "lstm-text", "autoencoder")


def seed_v2(template: str) -> dict[str, Any]:
    project = Project(graph=build_template(template), name=template, notes="seed ✓",
                      dataset={"spec": "builtin:digits"},
                      training={"epochs": 2, "lr": 0.01, "optimizer": "adam", "seed": 0})
    return json.loads(json.dumps(project_to_dict(project)))


def as_v1(data: dict[str, Any]) -> dict[str, Any]:
    """The same project in the version 1 layout (docs/project-format.md)."""
    nodes = {node["id"]: {"type": node["type"], "name": node["name"],
                          "params": node["params"], "x": node["position"][0],
                          "y": node["position"][1]} for node in data["graph"]["nodes"]}
    edges = [{"from": f"{e['src']}.{e['src_port']}", "to": f"{e['dst']}.{e['dst_port']}"}
             for e in data["graph"]["edges"]]
    rest = {k: v for k, v in data.items() if k not in ("graph", "notes")}
    return {**rest, "format_version": 1, "graph": {"nodes": nodes, "edges": edges}}


SEEDS = [seed_v2(name) for name in TEMPLATES]
SEEDS += [as_v1(seed) for seed in SEEDS[:2]]

ODD_TEXT = st.sampled_from([
    "\ud800", "a\udfffb", "\udc80", "\U0001F600", "\u202e", "\x00", "\ufeff", "ǅ", "",
    " ", "-", "__class__", "n1", "e1", "in", "out", "in2", "x" * 70, "1,,28", "28,", ",28",
    "1e999", "NaN", "true", "same", "Conv2d", "ReLU", "Output", "forward"])
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from(
        [0, -1, 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**400, 1e9, 1e9 + 1]),
    st.floats(allow_nan=False, allow_infinity=False))
ODD_CHARS = st.one_of(st.sampled_from(["\ud800", "\udfff", "\udc80", "\U0001F600"]),
                     st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, ODD_TEXT, st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(ODD_TEXT, inner, max_size=3)),
    max_leaves=6)


def places(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside `data` (the root is the empty path)."""
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from places(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from places(value, (*path, index))


def at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A seed project with one to four structural changes."""
    data = json.loads(json.dumps(draw(st.sampled_from(SEEDS))))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(places(data))))
        target = at(data, path)
        action = draw(st.sampled_from(["replace", "drop", "add", "copy", "wire", "text"]))
        if action == "text":  # odd characters into a text that is otherwise fine
            texts = [p for p in places(data) if p and isinstance(at(data, p), str)]
            if texts:
                path = draw(st.sampled_from(texts))
                old = at(data, path)
                cut = draw(st.integers(0, len(old)))
                at(data, path[:-1])[path[-1]] = old[:cut] + draw(ODD_CHARS) + old[cut:]
            continue
        if action == "wire" and "graph" in data:
            edges = data["graph"].get("edges")
            if isinstance(edges, list) and edges and isinstance(edges[0], dict):
                key = draw(st.sampled_from(sorted(edges[0])))
                edges[draw(st.integers(0, len(edges) - 1))][key] = draw(ODD_TEXT)
                continue
        if not path:
            continue
        parent, key = at(data, path[:-1]), path[-1]
        if action == "replace":
            parent[key] = draw(VALUES)
        elif action == "drop":
            del parent[key]
        elif action == "add" and isinstance(target, dict):
            target[draw(ODD_TEXT)] = draw(VALUES)
        elif action == "add" and isinstance(target, list):
            target.append(json.loads(json.dumps(draw(st.sampled_from(target or [None])))))
        elif action == "copy" and isinstance(parent, list) and parent:
            parent[key] = json.loads(json.dumps(parent[draw(st.integers(0, len(parent) - 1))]))
        elif action == "copy" and isinstance(parent, dict):
            parent[key] = draw(st.sampled_from(list(parent.values())))
    return data


def encoded(data: dict[str, Any], how: str) -> bytes:
    if how == "ascii":
        return json.dumps(data).encode("ascii")
    # Lone surrogates become the three bytes UTF-8 forbids (CESU-8): invalid UTF-8.
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """The bytes of a valid or mutated project, then damaged as text or as bytes."""
    data = draw(st.one_of(st.sampled_from(SEEDS), mutated()))
    raw = encoded(data, draw(st.sampled_from(["ascii", "utf-8"])))
    action = draw(st.sampled_from(["bom", "constant", "deep", "cut", "bytes", "repeat"]))
    spot = draw(st.integers(0, len(raw)))
    if action == "bom":
        return b"\xef\xbb\xbf" + raw
    if action == "constant":
        word = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999"]))
        return raw.replace(b"0.01", word, 1).replace(b"2]", word + b"]", 1)
    if action == "deep":
        depth = draw(st.sampled_from([10, 500, 990, 5000, 100_000]))
        return raw.replace(b'"adam"', b"[" * depth + b"1" + b"]" * depth, 1).replace(
            b"[2]", b"[" * depth + b"2" + b"]" * depth, 1)
    if action == "cut":
        return raw[:spot]
    if action == "repeat":
        return raw.replace(b'"name"', b'"name": "twice", "name"', 1)
    noise = draw(st.binary(min_size=1, max_size=8))
    return raw[:spot] + noise + raw[spot + draw(st.integers(0, 4)):]


def check(raw: bytes, folder: Path) -> Project | ProjectError:
    """Load `raw`: a refusal must be one printable ProjectError, an accepted project
    must save and reload to the same data."""
    path = folder / "fuzz.dlstudio"
    path.write_bytes(raw)
    try:
        project = load_project(path)
    except ProjectError as error:
        assert error.path == str(path)
        str(error).encode("utf-8")  # the message can always be shown
        return error
    again_path = folder / "again.dlstudio"
    save_project(project, again_path)
    again = load_project(again_path)
    assert project_to_dict(again) == project_to_dict(project)
    save_project(again, path)
    assert path.read_bytes() == again_path.read_bytes()
    return project


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def test_the_seeds_load_and_round_trip(folder: Path) -> None:
    for seed in SEEDS:
        assert isinstance(check(json.dumps(seed).encode(), folder), Project)


@FUZZ
@given(data=mutated(), how=st.sampled_from(["ascii", "utf-8"]))
def test_a_mutated_project_loads_or_is_refused_clearly(
        folder: Path, data: dict[str, Any], how: str) -> None:
    check(encoded(data, how), folder)


@FUZZ
@given(raw=damaged())
def test_a_damaged_file_loads_or_is_refused_clearly(folder: Path, raw: bytes) -> None:
    check(raw, folder)


@settings(max_examples=max(100, EXAMPLES // 2), deadline=None, derandomize=True, database=None)
@given(raw=st.binary(max_size=200))
def test_random_bytes_are_refused_clearly(folder: Path, raw: bytes) -> None:
    check(raw, folder)


# ----- the corpus: the nastiest files found, each with its expected outcome -------------
# file name -> None (loads, saves, reloads equal) or (field, words in the problem)
EXPECTED: dict[str, tuple[str, str] | None] = {
    "bom-then-project.dlstudio": None,
    "duplicate-node-id.dlstudio": ("graph.nodes[1].id", "'n1' is already used"),
    "lone-surrogate-as-setting-key.dlstudio": ('training["\\udfff"]', "lone surrogate"),
    "lone-surrogate-in-node-name.dlstudio": ("graph.nodes[0].name", "lone surrogate \\ud800"),
    "nan-in-position.dlstudio": ("", "NaN is not a number"),
    "setting-beyond-64-bits.dlstudio": ("training.seed", "64 bits"),
    "shape-nested-500-deep.dlstudio": ("graph.nodes[0].params.shape", "nested too deeply"),
    "shape-with-empty-part.dlstudio": ("graph.nodes[0].params.shape", "separator"),
    "surrogate-as-utf8-bytes.dlstudio": ("", "not UTF-8 text (bad byte at offset 31)"),
    "v1-edge-with-id.dlstudio": ("graph.edges[0].id", "unknown field in a version 1 file"),
    "v1-notes-and-position.dlstudio": None,
    "v1-without-graph.dlstudio": ("graph", "is missing"),
}


def test_every_corpus_file_has_an_expected_outcome() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_corpus_file_gives_its_expected_outcome(folder: Path, name: str) -> None:
    outcome = check((CORPUS / name).read_bytes(), folder)
    expected = EXPECTED[name]
    if expected is None:
        assert isinstance(outcome, Project), outcome
    else:
        assert isinstance(outcome, ProjectError), f"{name} loaded"
        assert (outcome.field, expected[1] in outcome.problem) == (expected[0], True), \
            outcome
