"""Exports that cannot be made are refused with the reason (the node, the file, the
package), and a refusal, a failed check or a cancel leaves no file behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from dlstudio.compile import compile_graph, modules
from dlstudio.export import ExportCancelled, ExportError, export_model, graph_differences
from dlstudio.export.job import ExportJob
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template
from dlstudio.graph.templates.builder import Builder


def _listing(folder: Path) -> dict[str, bytes]:
    """Every entry of the folder, hidden scratch folders included, with file contents."""
    return {p.name: p.read_bytes() if p.is_file() else b"<folder>" for p in folder.iterdir()}


def _residual_graph() -> Graph:
    b = Builder()
    features = b.add("Input", "features", kind="vector", shape=(4,))
    left = b.add("Dense", "left", units=3)
    right = b.add("Dense", "right", units=3, after=features)
    add = b.add("Add", "add", after=left)
    b.wire(right, add, "in2")
    b.add("Output", "output", loss="mse")
    return b.graph


def test_a_graph_with_problems_is_refused_naming_the_node(tmp_path: Path) -> None:
    b = Builder()
    b.add("Input", "image", kind="image", shape=(1, 28, 28))
    b.add("Dense", "fc1", units=10)
    b.classifier_end()
    with pytest.raises(ExportError, match=r'(?s)cannot export.*"fc1".*Flatten'):
        export_model(b.graph, None, "onnx", tmp_path / "model.onnx")
    assert _listing(tmp_path) == {}


def test_unknown_formats_and_unusable_paths_are_refused(tmp_path: Path) -> None:
    graph = build_template("xor")
    with pytest.raises(ExportError, match="unknown export format 'keras'; choose one of "
                                          "onnx, torchscript, state_dict, python"):
        export_model(graph, None, "keras", tmp_path / "model.h5")
    with pytest.raises(ExportError, match=r"missing.*does not exist: create it first"):
        export_model(graph, None, "state_dict", tmp_path / "missing" / "model.pt")
    (tmp_path / "notes.txt").write_text("a file, not a folder")
    with pytest.raises(ExportError, match="is not a folder"):
        export_model(graph, None, "state_dict", tmp_path / "notes.txt" / "model.pt")
    with pytest.raises(ExportError, match="it is a folder; give a file name"):
        export_model(graph, None, "torchscript", tmp_path)
    with pytest.raises(ExportError, match=r"a python export is a \.py file"):
        export_model(graph, None, "python", tmp_path / "model.txt")
    assert set(_listing(tmp_path)) == {"notes.txt"}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="cannot write in .*locked"):
            export_model(build_template("xor"), None, "state_dict", folder / "model.pt")
    finally:
        folder.chmod(0o700)


def test_a_layer_onnx_cannot_express_is_named_with_the_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def running_max(self: modules.Add, *inputs: torch.Tensor) -> torch.Tensor:
        return torch.cummax(inputs[0] + inputs[1], dim=1).values  # no ONNX operator for it

    monkeypatch.setattr(modules.Add, "forward", running_max)
    with pytest.raises(ExportError, match=r'failed at node "add" \(Add\): .*aten\.cummax'):
        export_model(_residual_graph(), None, "onnx", tmp_path / "model.onnx")
    assert _listing(tmp_path) == {}


def test_a_cancel_after_the_file_was_written_keeps_the_previous_export(
        tmp_path: Path) -> None:
    graph = build_template("xor")
    stages: list[tuple[str, float]] = []
    export_model(graph, None, "onnx", tmp_path / "model.onnx",
                 progress=lambda message, fraction: stages.append((message, fraction)))
    assert [f for _, f in stages] == sorted(f for _, f in stages)
    assert stages[-1] == (f"wrote {tmp_path / 'model.onnx'}", 1.0)
    before = _listing(tmp_path)
    assert set(before) == {"model.onnx", "model.onnx.card.json"}

    checked = []
    with pytest.raises(ExportCancelled, match="nothing was written"):
        export_model(graph, None, "onnx", tmp_path / "model.onnx", seed=1,
                     progress=lambda message, _: checked.append("onnxruntime" in message),
                     cancel=lambda: any(checked))  # stops once the file was checked
    assert _listing(tmp_path) == before


def test_an_export_that_computes_something_else_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = ExportJob.reference
    monkeypatch.setattr(ExportJob, "reference", lambda job, inputs: original(job, inputs) + 1)
    with pytest.raises(ExportError, match="does not compute what PyTorch computes: outputs "
                                          r"differ by up to 1 .*\(allowed 0\.0001\)"):
        export_model(build_template("xor"), None, "torchscript", tmp_path / "model.ts")
    assert _listing(tmp_path) == {}


def test_missing_onnx_packages_are_named_with_how_to_install_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dlstudio.export import onnx_format

    real = onnx_format.find_spec
    monkeypatch.setattr(onnx_format, "find_spec",
                        lambda name: None if name == "onnxruntime" else real(name))
    with pytest.raises(ExportError, match=r"needs the Python package\(s\) onnxruntime "
                                          r"\(onnxruntime to check the ONNX file\): "
                                          "pip install onnxruntime"):
        export_model(build_template("xor"), None, "onnx", tmp_path / "model.onnx")
    assert _listing(tmp_path) == {}
    export_model(build_template("xor"), None, "python", tmp_path / "model.py")  # not needed


def test_weights_that_do_not_fit_the_graph_are_refused(tmp_path: Path) -> None:
    weights = compile_graph(build_template("xor")).state_dict()
    renamed = {("hidden" + key[3:] if key.startswith("fc1") else key): value
               for key, value in weights.items()}
    with pytest.raises(ExportError, match=r"weights do not fit the graph: missing fc1\.weight, "
                                          r"fc1\.bias; not in the graph: hidden\.weight"):
        export_model(build_template("xor"), renamed, "state_dict", tmp_path / "w.pt")
    weights["fc1.weight"] = torch.zeros(3, 2)
    with pytest.raises(ExportError, match=r"fc1\.weight is \(3, 2\), the graph needs \(8, 2\)"):
        export_model(build_template("xor"), weights, "state_dict", tmp_path / "w.pt")
    assert _listing(tmp_path) == {}


def test_graph_differences_name_nodes_parameters_and_wires() -> None:
    assert graph_differences(build_template("xor"), build_template("xor")) == []
    changed = build_template("xor")
    changed.set_param(changed.node_by_name("fc1").id, "units", 16)
    assert graph_differences(build_template("xor"), changed, ("the project", "the run")) == [
        'node "fc1": units is 8 in the project, 16 in the run']
    rewired = build_template("xor")
    rewired.remove_node(rewired.node_by_name("tanh").id)
    found = graph_differences(build_template("xor"), rewired)
    assert 'node "tanh" is only in the first graph' in found
    assert "wire fc1.out -> tanh.in is only in the first graph" in found
