"""Every template small enough for the CPU, exported in every format and loaded the way
other people will load it: ONNX in onnxruntime, TorchScript with torch.jit.load and the
generated source with its state_dict in a Python where DL Studio cannot be imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import torch

from dlstudio.compile import GraphModule, compile_graph
from dlstudio.export import ExportResult, build_model, export_model
from dlstudio.export.card import load_line
from dlstudio.graph.templates import build_template

# Every template except the 224x224 ones (vgg16, vgg16-transfer, resnet18).
CPU_TEMPLATES = ("linear-regression", "logistic-regression", "xor", "mlp", "cnn-small",
                 "cnn-two-block", "cnn-compact", "lenet5", "lstm-text")
SUFFIXES = {"onnx": ".onnx", "torchscript": ".ts", "state_dict": ".pt", "python": ".py"}
TOLERANCE = 1e-4

# Loads each export as its model card says, with DL Studio made unimportable, and saves
# what the loaded model computes on the given inputs.
CHILD = r"""
import json, os, runpy, sys
sys.modules["dlstudio"] = None
try:
    import dlstudio
except ImportError:
    pass
else:
    raise SystemExit("dlstudio is importable in the child")
sys.path.insert(0, os.getcwd())  # as for a script saved beside the exported files
import torch
outputs = {}
for case in json.loads(sys.argv[1]):
    namespace = {"torch": torch, "runpy": runpy}
    exec(case["how_to_load"], namespace)
    inputs = torch.load(case["inputs"], weights_only=True)
    with torch.no_grad():
        outputs[case["key"]] = namespace["model"](*inputs)
outputs["dlstudio modules"] = [k for k, m in sys.modules.items()
                               if k.split(".")[0] == "dlstudio" and m is not None]
torch.save(outputs, sys.argv[2])
"""


def _file_name(template: str, fmt: str) -> str:
    return f"{template.replace('-', '_')}_{fmt}{SUFFIXES[fmt]}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def exported(folder: Path) -> dict[tuple[str, str], ExportResult]:
    return {(name, fmt): export_model(build_template(name), None, fmt,
                                      folder / _file_name(name, fmt))
            for name in CPU_TEMPLATES for fmt in SUFFIXES}


def _reference(name: str, exported: dict[tuple[str, str], ExportResult]) -> GraphModule:
    """The template compiled afresh with the weights of its state_dict export."""
    model = compile_graph(build_template(name))
    state = torch.load(exported[name, "state_dict"].path, weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def _close(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= TOLERANCE


def test_each_export_is_its_files_and_a_card_and_nothing_else(
        folder: Path, exported: dict[tuple[str, str], ExportResult]) -> None:
    expected = set()
    for (name, fmt), result in exported.items():
        file_name = _file_name(name, fmt)
        names = {file_name, f"{file_name}.card.json"}
        if fmt == "python":
            names.add(file_name.replace(".py", ".pt"))  # the weights beside the source
        assert {f.name for f in result.files} == names
        assert result.card_path.name == f"{file_name}.card.json"
        expected |= names
    assert {f.name for f in folder.iterdir()} == expected  # no scratch files left


@pytest.mark.parametrize("name", CPU_TEMPLATES)
def test_onnx_runs_in_onnxruntime_like_pytorch_at_any_batch_size(
        name: str, exported: dict[tuple[str, str], ExportResult], make_inputs) -> None:
    path = exported[name, "onnx"].path
    onnx.checker.check_model(str(path), full_check=True)
    model = onnx.load(str(path))
    assert max(op.version for op in model.opset_import if op.domain in ("", "ai.onnx")) >= 17
    for value in [*model.graph.input, *model.graph.output]:
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch"
    graph = build_template(name)
    inputs = make_inputs(graph, 5, 7)  # exported with a batch of 2, checked with 1 and 3
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {node.name: x.numpy() for node, x in zip(graph.nodes_of_type("Input"), inputs,
                                                         strict=True)}
    (got,) = session.run(None, feeds)
    with torch.no_grad():
        want = _reference(name, exported)(*inputs).numpy()
    _close(got, want)
    checks = exported[name, "onnx"].checks
    assert checks["onnx_checker"] == "passed" and checks["opset"] >= 17
    assert checks["onnxruntime"]["passed"] and checks["onnxruntime"]["batches"] == [1, 3]


def test_torchscript_and_source_load_where_dlstudio_cannot_be_imported(
        tmp_path: Path, folder: Path, exported: dict[tuple[str, str], ExportResult],
        make_inputs) -> None:
    cases, wanted = [], {}
    for name in CPU_TEMPLATES:
        graph = build_template(name)
        inputs = make_inputs(graph, 4, 3)
        torch.save(inputs, tmp_path / f"{name}-inputs.pt")
        with torch.no_grad():
            want = _reference(name, exported)(*inputs).numpy()
        for fmt in ("torchscript", "python"):
            card = json.loads(exported[name, fmt].card_path.read_text(encoding="utf-8"))
            cases.append({"key": f"{name}/{fmt}", "how_to_load": card["how_to_load"],
                          "inputs": str(tmp_path / f"{name}-inputs.pt")})
            wanted[f"{name}/{fmt}"] = want
    result_file = tmp_path / "outputs.pt"
    run = subprocess.run([sys.executable, "-I", "-c", CHILD, json.dumps(cases), str(result_file)],
                         cwd=folder, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    outputs = torch.load(result_file, weights_only=True)
    assert outputs.pop("dlstudio modules") == []
    assert set(outputs) == set(wanted)
    for key, want in wanted.items():
        _close(outputs[key].numpy(), want)


@pytest.mark.parametrize("name", CPU_TEMPLATES)
def test_state_dict_loads_with_weights_only_into_the_compiled_graph(
        name: str, exported: dict[tuple[str, str], ExportResult]) -> None:
    state = torch.load(exported[name, "state_dict"].path, weights_only=True)
    assert set(state) == set(compile_graph(build_template(name)).state_dict())
    beside_source = torch.load(exported[name, "python"].path.with_suffix(".pt"),
                               weights_only=True)
    assert all(torch.equal(state[key], beside_source[key]) for key in state)
    fresh = build_model(build_template(name), None, seed=0).state_dict()  # seeded: the same
    assert all(torch.equal(state[key], fresh[key]) for key in state)


def test_model_card_says_what_goes_in_what_comes_out_and_how_to_load(
        exported: dict[tuple[str, str], ExportResult]) -> None:
    card = json.loads(exported["cnn-small", "onnx"].card_path.read_text(encoding="utf-8"))
    assert card["format"] == "onnx"
    assert card["files"] == {"model": "cnn_small_onnx.onnx"}
    assert card["inputs"] == [{"name": "image", "kind": "image", "shape": [1, 28, 28],
                               "dtype": "float32"}]
    assert card["input_shape"] == [1, 28, 28] and card["output_shape"] == [10]
    assert card["output"]["name"] == "probabilities"
    assert "Softmax" in card["output"]["meaning"]
    assert card["parameters"] == 693_962  # as Keras counts this network
    assert card["class_names"] is None and card["preprocessing"] is None  # no data yet
    assert card["how_to_load"].startswith('onnxruntime.InferenceSession("cnn_small_onnx.onnx")')
    assert card["checks"]["onnxruntime"]["passed"] is True
    assert card["dlstudio_version"] and card["created"].endswith("+00:00")
    tokens = json.loads(exported["lstm-text", "python"].card_path.read_text(encoding="utf-8"))
    assert tokens["inputs"][0]["dtype"] == "int64"
    assert tokens["files"] == {"source": "lstm_text_python.py", "weights": "lstm_text_python.pt"}
    assert tokens["how_to_load"].startswith("from lstm_text_python import Model;")
    hyphenated = load_line("python", {"source": "my-model.py", "weights": "my-model.pt"}, ())
    assert hyphenated.startswith('Model = runpy.run_path("my-model.py")["Model"]; model = Model()')
    regression = json.loads(exported["linear-regression", "torchscript"].card_path.read_text(
        encoding="utf-8"))
    assert regression["output"]["name"] == "output"


def test_the_onnx_card_line_runs_as_written(
        folder: Path, exported: dict[tuple[str, str], ExportResult], make_inputs,
        monkeypatch: pytest.MonkeyPatch) -> None:
    card = json.loads(exported["lenet5", "onnx"].card_path.read_text(encoding="utf-8"))
    (image,) = make_inputs(build_template("lenet5"), 2, 5)
    monkeypatch.chdir(folder)
    line = card["how_to_load"].split("  #")[0]
    got = eval(line, {"onnxruntime": onnxruntime, "image": image.numpy()})
    with torch.no_grad():
        _close(got, _reference("lenet5", exported)(image).numpy())


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("graph_name", ["recurrent_graph", "branching_graph"])
def test_recurrent_merge_and_other_layers_export_in_every_format(
        graph_name: str, tmp_path: Path, make_inputs, request: pytest.FixtureRequest) -> None:
    graph = request.getfixturevalue(graph_name)
    results = {fmt: export_model(graph, None, fmt, tmp_path / f"model{suffix}", seed=3)
               for fmt, suffix in SUFFIXES.items()}
    inputs = make_inputs(graph, 4, 11)
    with torch.no_grad():
        want = build_model(graph, None, seed=3)(*inputs).numpy()
    session = onnxruntime.InferenceSession(str(results["onnx"].path),
                                           providers=["CPUExecutionProvider"])
    names = [node.name for node in graph.nodes_of_type("Input")]
    (got,) = session.run(None, {n: x.numpy() for n, x in zip(names, inputs, strict=True)})
    _close(got, want)
    with torch.no_grad():
        _close(torch.jit.load(str(results["torchscript"].path))(*inputs).numpy(), want)
    assert results["python"].checks["outputs"]["passed"]


def test_resnet18_exports_to_onnx(tmp_path: Path, make_inputs) -> None:
    """The one 224x224 template exported in the suite (a few seconds)."""
    graph = build_template("resnet18")
    result = export_model(graph, None, "onnx", tmp_path / "resnet18.onnx")
    assert result.checks["onnxruntime"]["max_abs_diff"] <= TOLERANCE
    (image,) = make_inputs(graph, 2, 1)
    session = onnxruntime.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"image": image.numpy()})
    with torch.no_grad():
        _close(got, build_model(graph, None, seed=0)(image).numpy())
