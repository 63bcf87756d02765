"""Predictions from checkpoints trained in the test: images (cnn-small on the 28×28
digits, written as PNG/JPG with Pillow), number vectors (xor), a regression (the line) and
text (lstm-text); the `predict` command's output and its one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dlstudio import cli
from dlstudio.compile import compile_graph
from dlstudio.data import DataSplit, ImageFacts, load_data
from dlstudio.graph.templates import build_template
from dlstudio.infer import PredictError, Predictor, match_polarity


def train(tmp: Path, *argv: str) -> Path:
    code = cli.main(["train", *argv, "--device", "cpu", "--out", str(tmp)])
    assert code == 0
    return tmp / "last.pt"


@pytest.fixture(scope="module")
def digits_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train(tmp_path_factory.mktemp("cnn"), "--template", "cnn-small", "--epochs", "1")


@pytest.fixture(scope="module")
def xor_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train(tmp_path_factory.mktemp("xor"), "--template", "xor", "--epochs", "15")


@pytest.fixture(scope="module")
def digit_files(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """Validation digits as files: 8-bit gray PNGs as the data has them, and the same
    digits dark on light, at 3x the size, in RGB JPEG (so converted, resized, inverted)."""
    folder = tmp_path_factory.mktemp("digits")
    val = load_data("builtin:digits28", seed=0).val
    assert isinstance(val, DataSplit)
    files = []
    for i in range(6):
        pixels = (val.x[i, 0].numpy() * 255).round().astype(np.uint8)
        label = str(int(val.y[i]))
        png = folder / f"digit{i}.png"
        Image.fromarray(pixels).save(png)
        jpg = folder / f"paper{i}.jpg"
        Image.fromarray(255 - pixels).convert("RGB").resize((84, 84)).save(jpg, quality=95)
        files += [(png, label), (jpg, label)]
    return files


def predict(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["predict", *argv])
    out, err = capsys.readouterr()
    return code, out, err


# ----- images ------------------------------------------------------------------------------
def test_image_files_json(capsys: pytest.CaptureFixture[str], digits_checkpoint: Path,
                          digit_files: list[tuple[Path, str]]) -> None:
    paths = [str(path) for path, _ in digit_files]
    code, out, err = predict(capsys, "--checkpoint", str(digits_checkpoint), *paths,
                             "--json", "--top-k", "3")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert data["task"] == "classification" and len(data["predictions"]) == len(paths)
    for row, path in zip(data["predictions"], paths, strict=True):
        assert row["input"] == path
        assert [c["class"] for c in row["top"]][0] == row["label"]
        assert row["top"][0]["probability"] == row["probability"]
        probabilities = [c["probability"] for c in row["top"]]
        assert len(probabilities) == 3 and probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) <= 1.0 + 1e-9
        assert all(c["class"] in "0123456789" for c in row["top"])
    # One epoch already reads most digits; paper-style files read as their originals.
    labels = [row["label"] for row in data["predictions"]]
    truth = [label for _, label in digit_files]
    assert sum(a == b for a, b in zip(labels, truth, strict=True)) >= len(truth) * 2 // 3
    assert labels[0::2] == labels[1::2]


def test_probabilities_sum_to_one(digits_checkpoint: Path,
                                  digit_files: list[tuple[Path, str]]) -> None:
    predictor = Predictor.from_checkpoint(digits_checkpoint)
    path, _ = digit_files[0]
    from_file = predictor.predict_image(path, top_k=10)
    assert len(from_file.probabilities) == 10
    assert math.isclose(sum(from_file.probabilities), 1.0, abs_tol=1e-6)
    assert math.isclose(sum(c.probability for c in from_file.top), 1.0, abs_tol=1e-6)
    # A Pillow image and an array of the same pixels give the same answer.
    with Image.open(path) as image:
        from_pillow = predictor.predict_image(image.copy(), top_k=10)
        array = np.asarray(image)
    from_array = predictor.predict_image(array, top_k=10)
    assert from_pillow.probabilities == pytest.approx(from_file.probabilities, abs=1e-6)
    assert from_array.probabilities == pytest.approx(from_file.probabilities, abs=1e-6)


def test_image_text_output(capsys: pytest.CaptureFixture[str], digits_checkpoint: Path,
                           digit_files: list[tuple[Path, str]]) -> None:
    path, _ = digit_files[0]
    code, out, err = predict(capsys, "--checkpoint", str(digits_checkpoint), str(path))
    assert code == 0 and err == ""
    assert out.startswith(f"{path}: ") and "%" in out and "top:" in out
    assert len(out.splitlines()) == 1


def test_match_polarity() -> None:
    facts = ImageFacts("light_on_dark", (28, 28))
    dark = np.zeros((28, 28), dtype=np.float32)
    dark[10:18, 10:18] = 1.0
    assert match_polarity(dark, facts) is dark
    np.testing.assert_allclose(match_polarity(1.0 - dark, facts), dark)
    paper = 1.0 - dark
    assert match_polarity(paper, ImageFacts(None, (28, 28))) is paper  # photos: as they are


# ----- numbers -------------------------------------------------------------------------------
def test_xor_vectors(capsys: pytest.CaptureFixture[str], xor_checkpoint: Path) -> None:
    code, out, err = predict(capsys, "--checkpoint", str(xor_checkpoint),
                             "0,0", "0, 1", "1 0", "1,1", "--json")
    assert code == 0 and err == ""
    rows = json.loads(out)["predictions"]
    assert [row["label"] for row in rows] == ["0", "1", "1", "0"]
    for row in rows:
        assert row["probability"] > 0.8
        assert sum(c["probability"] for c in row["top"]) == pytest.approx(1.0)
        assert [c["class"] for c in row["top"]] in (["0", "1"], ["1", "0"])


def test_vectors_from_a_csv_file(capsys: pytest.CaptureFixture[str], xor_checkpoint: Path,
                                 tmp_path: Path) -> None:
    table = tmp_path / "points.csv"
    table.write_text("x,y\n0,1\n1,1\n", encoding="utf-8")
    code, out, err = predict(capsys, "--checkpoint", str(xor_checkpoint), str(table))
    assert code == 0 and err == ""
    assert [line.split(":")[1].split()[0] for line in out.splitlines()] == ["1", "0"]


def test_regression_value(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    checkpoint = train(tmp_path, "--template", "linear-regression")
    capsys.readouterr()
    code, out, err = predict(capsys, "--checkpoint", str(checkpoint), "0.5", "--json")
    assert code == 0 and err == ""
    (row,) = json.loads(out)["predictions"]
    assert row["task"] == "regression" and "label" not in row
    assert row["value"][0] == pytest.approx(3 * 0.5 + 0.5, abs=0.25)


# ----- text ----------------------------------------------------------------------------------
def test_text_next_character_and_continuation() -> None:
    info = load_data("builtin:text", seed=0).info
    predictor = Predictor(compile_graph(build_template("lstm-text")), info, device="cpu")
    prediction = predictor.predict_text("Alice was beginning to get very", top_k=4, length=12)
    assert len(prediction.top) == 4 and prediction.label == prediction.top[0].name
    assert len(prediction.continuation or "") == 12
    assert math.isclose(sum(prediction.probabilities), 1.0, abs_tol=1e-6)
    assert len(prediction.probabilities) == 128
    with pytest.raises(PredictError, match="not an image"):
        predictor.predict_image(np.zeros((28, 28)))


# ----- errors: exit 2, one line -------------------------------------------------------------
def assert_one_line_error(code: int, out: str, err: str, *words: str) -> None:
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("dlstudio predict: error: ")
    for word in words:
        assert word in err, err


def test_errors(capsys: pytest.CaptureFixture[str], xor_checkpoint: Path,
                digits_checkpoint: Path, tmp_path: Path) -> None:
    xor, digits = str(xor_checkpoint), str(digits_checkpoint)
    assert_one_line_error(*predict(capsys, "--checkpoint", xor, "0,1,1"), "2 numbers", "got 3")
    assert_one_line_error(*predict(capsys, "--checkpoint", xor, "zero,one"), "not a list")
    assert_one_line_error(*predict(capsys, "--checkpoint", digits, str(tmp_path / "no.png")),
                          "no.png")
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello", encoding="utf-8")
    assert_one_line_error(*predict(capsys, "--checkpoint", digits, str(not_image)),
                          "notes.png")
    assert_one_line_error(*predict(capsys, "--checkpoint", str(tmp_path / "none.pt"), "1"),
                          "none.pt")
    assert_one_line_error(*predict(capsys, "--checkpoint", str(not_image), "1"),
                          "not a DL Studio checkpoint")
    assert_one_line_error(*predict(capsys, "--checkpoint", xor, "0,1", "--top-k", "0"),
                          "--top-k")
    assert_one_line_error(*predict(capsys, "--checkpoint", xor, "0,1", "--device", "gpu"),
                          "'gpu'")
    assert_one_line_error(*predict(capsys, "--checkpoint", digits, "0,1"), "no image file")
