"""Exports take raw input: a digits model trained at 12×12 exported to ONNX, TorchScript and
source takes 8×8 pixel values 0..255 and gives what `Predictor` (the `dlstudio predict`
path) gives for the same pixels; a CSV regression takes the file's own columns. The
`prepared` option keeps the input the graph takes, and the card says which."""

from __future__ import annotations

import dataclasses
import gzip
import json
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from dlstudio.cli import main
from dlstudio.data import load_data, preprocess
from dlstudio.data.info import DataInfo
from dlstudio.export import ExportError, export_model
from dlstudio.export.card import InputSpec
from dlstudio.export.raw_input import Prepare, plan_input
from dlstudio.graph import Graph
from dlstudio.graph.templates import build_template
from dlstudio.graph.templates.builder import Builder
from dlstudio.infer.predict import Predictor
from dlstudio.resources import resource_path
from dlstudio.train.checkpoint import load_checkpoint
from dlstudio.train.settings import TrainSettings
from dlstudio.train.trainer import Trainer

ATOL = 1e-5  # exported file vs Predictor, on the same raw input (float32 vs float64)
SUFFIXES = {"onnx": ".onnx", "torchscript": ".ts", "python": ".py"}


def _train(graph: Graph, spec: str, out: Path, **load: object) -> Path:
    settings = TrainSettings(epochs=2, batch_size=32, lr=1e-2, device="cpu", data=spec,
                             mixed_precision=False)
    data = load_data(spec, seed=0, val_fraction=0.2, **load)
    result = Trainer(graph, data, settings, out_dir=out).run()
    assert result.checkpoint is not None
    return Path(result.checkpoint)


@pytest.fixture(scope="module")
def digits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Digits (stored 8×8) trained at 12×12, so the export must resize inside."""
    b = Builder()
    b.add("Input", "image", kind="image", shape=(1, 12, 12))
    b.add("Flatten", "flat")
    b.add("Dense", "fc", units=10)
    b.classifier_end()
    return _train(b.graph, "builtin:digits", tmp_path_factory.mktemp("digits"),
                  image_size=(12, 12))


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """A CSV regression whose columns are far from 0..1 (standardised in training)."""
    folder = tmp_path_factory.mktemp("table")
    rng = np.random.default_rng(0)
    x = np.stack([rng.uniform(0, 1000, 300), rng.normal(-5, 2, 300),
                  rng.uniform(2e4, 3e4, 300)], axis=1)
    y = 0.01 * x[:, 0] - 2 * x[:, 1] + 0.001 * x[:, 2] + rng.normal(0, 0.1, 300)
    path = folder / "houses.csv"
    rows = [f"{a:.3f},{b:.3f},{c:.1f},{t:.3f}" for (a, b, c), t in zip(x, y, strict=True)]
    path.write_text("area,slope,price,score\n" + "\n".join(rows) + "\n", encoding="utf-8")
    b = Builder()
    b.add("Input", "features", kind="vector", shape=(3,))
    b.add("Dense", "hidden", units=8)
    b.add("ReLU", "relu")
    b.add("Dense", "fc", units=1)
    b.add("Output", "output", loss="mse")
    return _train(b.graph, f"csv:{path}", folder / "run"), x[:6].astype(np.float32)


def _raw_digits(count: int = 6) -> np.ndarray:
    """Real digits as a user has them: (N, 1, 8, 8) uint8 pixel values 0..255 (the file
    holds counts 0..16)."""
    with gzip.open(resource_path("data", "digits.csv.gz"), "rt") as stream:
        table = np.loadtxt(stream, delimiter=",", dtype=np.float32, max_rows=count)
    counts = table[:, :-1].reshape(-1, 1, 8, 8)
    return np.rint(counts / 16.0 * 255.0).astype(np.uint8)


def _run(fmt: str, path: Path, batch: np.ndarray) -> np.ndarray:
    """The exported file run the way its users run it."""
    if fmt == "onnx":
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return session.run(None, {name: batch})[0]
    if fmt == "torchscript":
        model = torch.jit.load(str(path)).eval()
    else:
        model = runpy.run_path(str(path))["Model"]()
        model.load_state_dict(torch.load(path.with_suffix(".pt"), weights_only=True))
        model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(batch)).numpy()


def _card(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".card.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", list(SUFFIXES))
def test_image_exports_take_raw_pixels_and_match_predict(
        fmt: str, digits: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"digits{SUFFIXES[fmt]}"
    assert main(["export", "--checkpoint", str(digits), "--format", fmt, "-o",
                 str(target)]) == 0
    out = capsys.readouterr().out
    assert "input: raw pixel values 0-255 as float32, shape (batch, 1, 8, 8)" in out
    pixels = _raw_digits()  # (N, 1, 8, 8) uint8
    got = _run(fmt, target, pixels.astype(np.float32))
    predictor = Predictor.from_checkpoint(digits)
    want = np.array([predictor.predict_image(image[0]).probabilities for image in pixels])
    assert got.shape == (len(pixels), 10)
    assert np.max(np.abs(got - want)) <= ATOL
    assert (got.argmax(1) == want.argmax(1)).all()

    card = _card(target)
    assert card["input"]["form"] == "raw"
    assert card["inputs"] == [{"name": "image", "kind": "image", "shape": [1, 8, 8],
                               "dtype": "float32"}]
    steps = card["input"]["preprocessing_inside"]
    assert steps[0] == "divide by 255 (pixels to 0..1)"
    assert steps[1] == "resize 8×8 -> 12×12 (bilinear, as in training)"
    mean = card["preprocessing"]["normalisation"]["mean"][0]
    assert steps[2].startswith(f"normalise per channel: (x - mean) / std, mean ({mean:.6g})")
    assert card["checks"]["preprocessing_inside"]["passed"] is True


CHILD = r"""
import runpy, sys
sys.modules["dlstudio"] = None  # the exported source must need only torch
import torch
model = runpy.run_path(sys.argv[1])["Model"]()
model.load_state_dict(torch.load(sys.argv[2], weights_only=True), strict=True)
with torch.no_grad():
    torch.save(model.eval()(torch.load(sys.argv[3])), sys.argv[4])
"""


def test_the_raw_source_runs_where_dlstudio_cannot_be_imported(
        digits: Path, tmp_path: Path) -> None:
    checkpoint = load_checkpoint(digits)
    target = tmp_path / "digits.py"
    export_model(checkpoint.graph, checkpoint.model_state, "python", target,
                 data_info=checkpoint.data_info)
    source = target.read_text(encoding="utf-8")
    assert "def prepare(image: torch.Tensor)" in source and "dlstudio" not in \
        source.split("class Network")[1]
    pixels = torch.from_numpy(_raw_digits().astype(np.float32))
    torch.save(pixels, tmp_path / "pixels.pt")
    subprocess.run([sys.executable, "-I", "-c", CHILD, str(target),
                    str(target.with_suffix(".pt")), str(tmp_path / "pixels.pt"),
                    str(tmp_path / "out.pt")], check=True, cwd=tmp_path)
    got = torch.load(tmp_path / "out.pt", weights_only=True).numpy()
    assert np.max(np.abs(got - _run("python", target, pixels.numpy()))) == 0.0


def test_the_prepared_option_keeps_the_input_the_graph_takes(
        digits: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "digits.onnx"
    assert main(["export", "--checkpoint", str(digits), "--format", "onnx", "-o",
                 str(target), "--input", "prepared", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["input"]["form"] == "prepared"
    card = _card(target)
    assert card["input"] == report["input"]
    assert card["input"]["description"].startswith("prepared as in training")
    assert card["inputs"][0]["shape"] == [1, 12, 12]
    checkpoint = load_checkpoint(digits)
    pixels = _raw_digits()
    prepared = torch.stack([preprocess(checkpoint.data_info, image[0]) for image in pixels])
    predictor = Predictor.from_checkpoint(digits)
    want = np.array([predictor.predict_image(image[0]).probabilities for image in pixels])
    assert np.max(np.abs(_run("onnx", target, prepared.numpy()) - want)) <= ATOL


@pytest.mark.parametrize("fmt", ["onnx", "python"])
def test_table_exports_take_the_csvs_own_columns(
        fmt: str, table: tuple[Path, np.ndarray], tmp_path: Path) -> None:
    checkpoint_path, rows = table
    checkpoint = load_checkpoint(checkpoint_path)
    info = checkpoint.data_info
    assert info.normalisation is not None  # the table was standardised in training
    target = tmp_path / f"houses{SUFFIXES[fmt]}"
    export_model(checkpoint.graph, checkpoint.model_state, fmt, target, data_info=info)
    got = _run(fmt, target, rows)
    predictor = Predictor(checkpoint.build_model(), info)
    want = np.array([predictor.predict_vector(row).value for row in rows])
    assert np.max(np.abs(got - want)) <= ATOL * (1 + np.max(np.abs(want)))
    card = _card(target)
    assert card["input"]["description"].startswith(
        "the data's own values (area, slope, price) as float32, shape (batch, 3)")
    assert card["input"]["preprocessing_inside"][0].startswith(
        "normalise per feature: (x - mean) / std")


def test_cards_say_when_the_input_stays_prepared(tmp_path: Path) -> None:
    result = export_model(build_template("xor"), None, "onnx", tmp_path / "xor.onnx")
    assert result.input_form["form"] == "prepared"
    assert "no dataset facts (no trained checkpoint)" in result.input_form["description"]
    info = DataInfo("d", "vector", "regression", (2,), (1,))
    result = export_model(build_template("xor"), None, "state_dict", tmp_path / "xor.pt",
                          data_info=info)
    assert result.input_form["description"].startswith("weights only")
    tokens = DataInfo("text", "tokens", "classification", (5,), class_names=("a", "b"))
    plan, said = plan_input(tokens, (InputSpec("tokens", "tokens", (5,)),), "raw")
    assert plan is None and said.startswith("token ids (int64)")
    plan, said = plan_input(info, (InputSpec("features", "vector", (3,)),), "raw")
    assert plan is None and "the Input takes 3 vectors, the data was vectors of 2" in said


def test_preprocessing_that_differs_from_trainings_is_refused(
        digits: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint = load_checkpoint(digits)
    forward = Prepare.forward
    monkeypatch.setattr(Prepare, "forward", lambda self, x: forward(self, x * 1.01))
    with pytest.raises(ExportError, match="the preprocessing inside the export does not "
                       "match training's"):
        export_model(checkpoint.graph, checkpoint.model_state, "torchscript",
                     tmp_path / "bad.ts", data_info=checkpoint.data_info)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    info = dataclasses.replace(checkpoint.data_info, normalisation=None)
    result = export_model(checkpoint.graph, checkpoint.model_state, "torchscript",
                          tmp_path / "plain.ts", data_info=info)
    assert "normalise" not in " ".join(result.input_form["preprocessing_inside"])
