"""Fuzzing checkpoint reading: a damaged or hostile checkpoint is either read (and the
model it holds runs) or refused with one CheckpointError line naming the file; never
another exception, and exit code 2 on the command line.

The seed is a real checkpoint written by `dlstudio train` for the XOR template; the
corpus in corpus/checkpoints/ holds the nastiest hand-made cases
(make_checkpoint_corpus.py writes them).
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlstudio import cli
from dlstudio.train import CheckpointError, load_checkpoint
from dlstudio.train.checkpoint import MAX_DEPTH

CORPUS = Path(__file__).parent / "corpus" / "checkpoints"
# 60 examples a test in CI (seconds); DLSTUDIO_FUZZ_EXAMPLES=5000 searches longer.
EXAMPLES = int(os.environ.get("DLSTUDIO_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
JSON_FIELDS = ("graph", "settings", "data_info", "history", "metrics", "schedule_state")
MEMBERS = ("model_state", "optimizer_state", "rng_state", "epoch", "format", "version")


class Seed(bytes):
    """The seed checkpoint's bytes, shown short in a failing example."""

    def __repr__(self) -> str:
        return f"<seed checkpoint, {len(self)} bytes>"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """The bytes of a real one-epoch XOR checkpoint, written by the trainer's save path."""
    out = tmp_path_factory.mktemp("xor")
    assert cli.main(["train", "--template", "xor", "--epochs", "1", "--device", "cpu",
                     "--out", str(out)]) == 0
    return Seed((out / "last.pt").read_bytes())


def _raw(seed: bytes) -> dict[str, Any]:
    return torch.load(io.BytesIO(seed), weights_only=True)


def _read_or_refuse(path: Path) -> bool:
    """True if read and its model ran; False if refused the documented way."""
    try:
        checkpoint = load_checkpoint(path)
        model = checkpoint.build_model()
    except CheckpointError as error:
        message = str(error)
        assert message.startswith(f"{path}:"), message
        assert "\n" not in message, message
        return False
    kinds = {node.name: node.params["kind"] for node in checkpoint.graph.nodes_of_type("Input")}
    inputs = [torch.zeros((2, *shape), dtype=torch.int64 if kinds[name] == "tokens"
                          else torch.float32)
              for name, shape in zip(model.input_names, model.input_shapes, strict=True)]
    with torch.inference_mode():
        output = model(*inputs)
    assert output.shape[0] == 2
    return True


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _save(tmp_path: Path, raw: dict[str, Any]) -> Path:
    path = tmp_path / "mutated.pt"
    torch.save(raw, path)
    return path


def test_the_seed_itself_is_read_and_runs(seed: bytes, tmp_path: Path) -> None:
    assert _read_or_refuse(_write(tmp_path, "seed.pt", seed))


@FUZZ
@given(data=st.data())
def test_truncated_anywhere(seed: bytes, tmp_path: Path, data: st.DataObject) -> None:
    cut = data.draw(st.integers(0, len(seed) - 1), label="cut")
    assert not _read_or_refuse(_write(tmp_path, "cut.pt", seed[:cut]))


@FUZZ
@given(data=st.data())
def test_bytes_flipped(seed: bytes, tmp_path: Path, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(seed) - 1), st.integers(1, 255)),
                               min_size=1, max_size=4), label="flips")
    damaged = bytearray(seed)
    for at, mask in flips:
        damaged[at] ^= mask
    _read_or_refuse(_write(tmp_path, "flipped.pt", bytes(damaged)))


_NASTY_TEXT = st.sampled_from([
    "[" * 3000 + "]" * 3000, '{"a":' * 2000 + "1" + "}" * 2000,
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    "NaN", '{"loss": Infinity}', '{"x": -Infinity}', "1e999", "9" * 5000, '{"a": 1e400}',
    '"\\ud800"', '{"\\udfff": 1}', "\ud800", "", "null", "true", "[]", "{}", "0",
    '{"nodes": [], "edges": []}', '{"nodes": "x", "edges": null}', "{" * 10, "\x00",
])
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=8)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


@FUZZ
@given(field=st.sampled_from(JSON_FIELDS), text=_NASTY_TEXT | _JSON.map(json.dumps))
def test_a_json_field_replaced(seed: bytes, tmp_path: Path, field: str, text: str) -> None:
    raw = _raw(seed)
    raw[field] = text
    _read_or_refuse(_save(tmp_path, raw))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@FUZZ
@given(field=st.sampled_from(JSON_FIELDS), data=st.data())
def test_a_value_inside_a_json_field_replaced(seed: bytes, tmp_path: Path, field: str,
                                              data: st.DataObject) -> None:
    raw = _raw(seed)
    document = json.loads(raw[field])
    path = data.draw(st.sampled_from(_paths(document)[1:] or [()]), label="path")
    value = data.draw(_JSON | st.sampled_from([2**64, -1, 0, 10**30, "", "\ud800", [[[]]],
                                               1e308, -0.0]), label="value")
    if not path:
        document = value
    else:
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        parent[path[-1]] = value
    raw[field] = json.dumps(document, allow_nan=False)
    _read_or_refuse(_save(tmp_path, raw))


_TENSOR = st.builds(
    lambda shape, dtype: torch.ones(shape, dtype=dtype),
    st.lists(st.integers(0, 3), max_size=3).map(tuple),
    st.sampled_from([torch.float32, torch.float64, torch.int64, torch.uint8, torch.bool,
                     torch.complex64, torch.float16]))
_MEMBER = (st.none() | st.integers(-2**70, 2**70) | st.text(max_size=6) | _TENSOR
           | st.lists(_TENSOR, max_size=2)
           | st.dictionaries(st.text(max_size=6) | st.integers(0, 3), _TENSOR | st.text(max_size=3),
                             max_size=3))


@FUZZ
@given(member=st.sampled_from(MEMBERS), value=_MEMBER, data=st.data())
def test_a_member_replaced(seed: bytes, tmp_path: Path, member: str, value: Any,
                           data: st.DataObject) -> None:
    raw = _raw(seed)
    if member == "model_state" and data.draw(st.booleans(), label="one tensor"):
        name = data.draw(st.sampled_from(sorted(raw["model_state"])), label="name")
        raw["model_state"][name] = data.draw(_TENSOR, label="tensor")
    else:
        raw[member] = value
    _read_or_refuse(_save(tmp_path, raw))


@FUZZ
@given(data=st.data())
def test_zip_members_dropped_or_swapped(seed: bytes, tmp_path: Path,
                                        data: st.DataObject) -> None:
    with zipfile.ZipFile(io.BytesIO(seed)) as source:
        members = {info.filename: source.read(info.filename) for info in source.infolist()}
    names = sorted(members)
    dropped = data.draw(st.sets(st.sampled_from(names), max_size=2), label="dropped")
    swap = data.draw(st.tuples(st.sampled_from(names), st.sampled_from(names)), label="swap")
    members[swap[0]], members[swap[1]] = members[swap[1]], members[swap[0]]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as target:
        for name in names:
            if name not in dropped:
                target.writestr(name, members[name])
    _read_or_refuse(_write(tmp_path, "rezipped.pt", buffer.getvalue()))


# What each corpus file must be refused for: words its one line holds.
EXPECTED = {
    "deep_json_graph.pt": ("field 'graph'", "nested too deeply"),
    "nan_in_metrics.pt": ("field 'metrics'", "NaN"),
    "settings_is_a_list.pt": ("field 'settings'", "JSON object"),
    "surrogate_in_node_name.pt": ("field 'graph'", "not valid Unicode", "at nodes[1].name"),
    "refused_pickle_global.pt": ("refused", "getcwd"),
    "huge_declared_storage.pt": ("damaged", "record size"),
    "zip_without_pickle.pt": ("damaged", "data.pkl"),
    "truncated_half.pt": ("damaged",),
}


def test_the_corpus_is_complete() -> None:
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_corpus_file_is_one_clear_line_and_exit_2(
        name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / name
    with pytest.raises(CheckpointError) as refusal:
        load_checkpoint(path)
    for word in EXPECTED[name]:
        assert word in str(refusal.value), str(refusal.value)
    code = cli.main(["evaluate", "--checkpoint", str(path)])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("dlstudio evaluate: error: ") and err.count("\n") == 1, err
    assert str(path) in err and EXPECTED[name][0] in err


def test_nan_stays_readable_where_the_writer_puts_it(seed: bytes, tmp_path: Path) -> None:
    """A metric that was NaN is written as null and read back as NaN: not a refusal."""
    raw = _raw(seed)
    raw["metrics"] = json.dumps({"loss": None, "accuracy": 0.5})
    checkpoint = load_checkpoint(_save(tmp_path, raw))
    assert math.isnan(checkpoint.metrics["loss"]) and checkpoint.metrics["accuracy"] == 0.5


def test_a_lone_surrogate_in_a_key_is_refused_naming_its_place(seed: bytes,
                                                               tmp_path: Path) -> None:
    """The same check as project files (keys too), with the place inside the field."""
    raw = _raw(seed)
    raw["settings"] = json.dumps({"epochs": 1, "\ud800": 2})  # json writes it escaped
    with pytest.raises(CheckpointError) as refusal:
        load_checkpoint(_save(tmp_path, raw))
    assert str(refusal.value).endswith("field 'settings' holds text that is not valid "
                                       'Unicode (a lone surrogate) at ["\\ud800"]')
