"""`dlstudio train --template autoencoder` and `dlstudio predict` on its checkpoint: the
reconstruction's errors, and the input beside its reconstruction as a PNG."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli_checks import refused, run


@pytest.fixture(scope="module")
def autoencoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from dlstudio import cli

    out = tmp_path_factory.mktemp("ae")
    assert cli.main(["train", "--template", "autoencoder", "--epochs", "3", "--device",
                     "cpu", "--out", str(out), "--json"]) == 0
    return out / "last.pt"


def _digit(path: Path) -> Path:
    pixels = np.zeros((28, 28), np.uint8)
    pixels[6:22, 12:16] = 255
    Image.fromarray(pixels).save(path)
    return path


def test_train_json_reports_reconstruction_metrics(autoencoder: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "evaluate", "--checkpoint", str(autoencoder), "--json")
    assert code == 0
    metrics = json.loads(out)["metrics"]
    assert set(metrics) == {"loss", "mse", "mae", "r2"} and metrics["mse"] < 0.05


def test_predict_writes_the_input_beside_its_reconstruction(
        autoencoder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digit = _digit(tmp_path / "one.png")
    picture = tmp_path / "one-out.png"
    code, out, _ = run(capsys, "predict", "--checkpoint", str(autoencoder), str(digit),
                       "--out", str(picture))
    assert code == 0
    assert out.startswith(f"{digit}: reconstructed, mean squared error ")
    assert out.strip().endswith(f"written to {picture}")
    image = np.asarray(Image.open(picture))
    assert image.shape == (28 * 4, (2 * 28 + 2) * 4)
    left, right = image[:, :28 * 4], image[:, 30 * 4:]
    assert np.array_equal(left[::4, ::4], np.asarray(Image.open(digit)))
    assert right[:, 12 * 4:16 * 4].mean() > right[:, :8 * 4].mean() + 60  # the stroke is back

    code, out, _ = run(capsys, "predict", "--checkpoint", str(autoencoder), str(digit),
                       str(digit), "--out", str(tmp_path / "many"), "--json")
    result = json.loads(out)
    assert code == 0 and result["target"] == "input"
    assert [p["out"] for p in result["predictions"]] == [
        str(tmp_path / "many" / "one-reconstruction.png")] * 2
    assert 0 < result["predictions"][0]["mse"] < 0.1


def test_out_is_refused_for_a_classifier(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from dlstudio import cli

    assert cli.main(["train", "--template", "logistic-regression", "--epochs", "1",
                     "--device", "cpu", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    refused("predict", *run(capsys, "predict", "--checkpoint", str(tmp_path / "last.pt"),
                            "1, 2", "--out", str(tmp_path / "x.png")),
            "--out writes an autoencoder's reconstructions", "2 classes")


def test_an_out_folder_that_cannot_be_made_is_refused_in_one_line(
        autoencoder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digit = _digit(tmp_path / "one.png")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    refused("predict", *run(capsys, "predict", "--checkpoint", str(autoencoder), str(digit),
                            str(digit), "--out", str(blocker / "pictures")),
            f"--out: cannot create the folder {blocker / 'pictures'}: Not a directory")


def test_input_and_written_names_are_printed_escaped(
        autoencoder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    digit = _digit(tmp_path / "d\x1b[2J.png")
    code, out, _ = run(capsys, "predict", "--checkpoint", str(autoencoder), str(digit),
                       "--out", str(tmp_path / "o\u202e"))
    assert code == 0 and "\x1b" not in out and "\u202e" not in out
    assert "d\\x1b[2J.png: reconstructed" in out
    assert out.strip().endswith("; written to " + str(tmp_path / "o\\u202e"))
