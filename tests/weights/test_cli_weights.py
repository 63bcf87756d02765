"""`--weights`, `--pretrained` and `--freeze-until` on summary, train, predict and export:
real files, real training, a local server for the published weights; every mistake is
exit code 2 and one line."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dlstudio import cli
from dlstudio.cli.support import ProgressBar
from dlstudio.compile import compile_graph
from dlstudio.data.normalisations import IMAGENET
from dlstudio.graph.project import Project, save_project
from dlstudio.train import load_checkpoint
from dlstudio.weights import PRETRAINED, cache_dir

from .conftest import TvResNet, TvVGG, WeightsServer, publish, small_vgg_graph

FROZEN = [f"block{b}_conv{c}" for b, convs in enumerate((2, 2, 3, 3), 1)
          for c in range(1, convs + 1)]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_user_error(result: tuple[int, str, str], command: str, *words: str) -> None:
    code, out, err = result
    assert code == 2 and out == "", err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"dlstudio {command}: error: ") and "Traceback" not in err
    for word in words:
        assert word in err, err


@pytest.fixture
def images(tmp_path: Path) -> Path:
    """Two classes of 32x32 RGB images: mostly red, mostly blue."""
    generator = torch.Generator().manual_seed(0)
    for label, channel in (("red", 0), ("blue", 2)):
        (tmp_path / "images" / label).mkdir(parents=True)
        for index in range(12):
            pixels = torch.rand(32, 32, 3, generator=generator) * 80
            pixels[:, :, channel] += 150
            Image.fromarray(pixels.byte().numpy()).save(
                tmp_path / "images" / label / f"{index}.png")
    return tmp_path / "images"


@pytest.fixture
def project(tmp_path: Path, images: Path) -> Path:
    """A small VGG with the template's names, a two-class head, on the image folder."""
    path = tmp_path / "transfer.dlstudio"
    save_project(Project(graph=small_vgg_graph(size=32, head=(16, 2)),
                         dataset={"spec": f"folder:{images}"},
                         training={"epochs": 1, "batch_size": 8, "lr": 0.01}), path)
    return path


@pytest.fixture
def weights_file(tmp_path: Path, small_tv_vgg: TvVGG) -> Path:
    path = tmp_path / "small-vgg.pth"
    torch.save(small_tv_vgg.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def resnet18_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return TvResNet().state_dict()


def test_summary_with_weights_prints_the_report(capsys: pytest.CaptureFixture[str],
                                                project: Path, weights_file: Path) -> None:
    code, out, err = run(capsys, "summary", str(project), "--weights", str(weights_file))
    assert code == 0, err
    assert "Total params" in out
    assert "loaded 26 tensors into 13 layers from small-vgg.pth (matched by structure)" in out
    assert "block1_conv1.weight <- features.0.weight" in out
    code, out, err = run(capsys, "summary", str(project), "--weights", str(weights_file),
                         "--freeze-until", "block4_pool", "--json")
    data = json.loads(out)
    assert data["weights"]["new_layers"] == ["fc1", "fc2"]
    assert data["trainable_params"] < data["total_params"]


def test_summary_pretrained_downloads_once(capsys: pytest.CaptureFixture[str],
                                           weights_server: WeightsServer,
                                           monkeypatch: pytest.MonkeyPatch,
                                           resnet18_state: dict[str, torch.Tensor]) -> None:
    publish(weights_server, monkeypatch, "resnet18", resnet18_state, "resnet18")
    code, out, err = run(capsys, "summary", "--template", "resnet18", "--pretrained",
                         "--json")
    assert code == 0, err
    assert json.loads(out)["weights"]["summary"].startswith("loaded 122 tensors")
    cached = cache_dir() / PRETRAINED["resnet18"].file
    size = cached.stat().st_size / 1e6
    assert err.splitlines() == [  # not a terminal: a start line and an end line, no bar
        f"downloading the resnet18 weights (once) to {cached.parent}",
        f"downloaded {size:,.1f} MB to {cached}"]
    code, out, err = run(capsys, "summary", "--template", "resnet18", "--pretrained")
    assert code == 0 and "downloading" not in err and len(weights_server.requests) == 1


def test_the_bar_draws_on_a_terminal() -> None:
    main, secondary = os.openpty()
    with open(secondary, "w") as terminal:
        bar = ProgressBar(terminal)
        for done in range(0, 1001, 5):
            bar(done, 1000)
        bar.end(Path("w.pth"))
    chunks = []
    while True:  # one read may return part of it; after the last byte Linux raises EIO
        try:
            chunk = os.read(main, 1 << 16)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    written = b"".join(chunks).decode().replace("\r\n", "\n")  # the tty's newlines
    assert written.count("\r") == 101  # once per percent
    assert written.endswith("\r[#########################] 100% 0/0 MB\n"
                            "downloaded 0.0 MB to w.pth\n")


def test_pretrained_predict_gives_imagenet_class_ids(capsys: pytest.CaptureFixture[str],
                                                     weights_server: WeightsServer,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     resnet18_state: dict[str, torch.Tensor],
                                                     images: Path) -> None:
    publish(weights_server, monkeypatch, "resnet18", resnet18_state, "resnet18")
    image = images / "red" / "0.png"
    code, out, err = run(capsys, "predict", "--template", "resnet18", "--pretrained",
                         str(image), "--json", "--top-k", "3")
    assert code == 0, err
    data = json.loads(out)
    assert data["weights"] == "pretrained:resnet18"
    (prediction,) = data["predictions"]
    assert 0 <= int(prediction["label"]) < 1000 and len(prediction["top"]) == 3
    reference = TvResNet().eval()
    reference.load_state_dict(resnet18_state)
    pixels = torch.from_numpy(np.array(Image.open(image).convert("RGB")
                                       .resize((224, 224), Image.Resampling.BILINEAR)))
    x = pixels.permute(2, 0, 1)[None].float() / 255
    mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in (IMAGENET.mean, IMAGENET.std))
    with torch.no_grad():
        expected = torch.softmax(reference((x - mean) / std), 1)[0]
    assert int(prediction["label"]) == int(expected.argmax())
    assert prediction["probability"] == pytest.approx(float(expected.max()), abs=1e-4)


def test_train_from_weights_with_the_base_frozen(capsys: pytest.CaptureFixture[str],
                                                 project: Path, weights_file: Path,
                                                 small_tv_vgg: TvVGG, tmp_path: Path,
                                                 images: Path) -> None:
    code, out, err = run(capsys, "train", str(project), "--weights", str(weights_file),
                         "--freeze-until", "block4_pool", "--normalisation", "imagenet",
                         "--out", str(tmp_path / "run"), "--json")
    assert code == 0, err
    assert "starting from loaded 26 tensors into 13 layers" in err
    assert "parameters train; the rest are frozen" in err
    data = json.loads(out)
    assert data["weights"]["new_layers"] == ["fc1", "fc2"]
    assert data["trainable_params"] < data["total_params"]
    checkpoint = load_checkpoint(tmp_path / "run" / "last.pt")
    state, file = checkpoint.model_state, small_tv_vgg.state_dict()
    match = dict(zip([n for n in state if n.startswith("block")],
                     [k for k in file if k.startswith("features")], strict=True))
    for name in FROZEN:  # frozen: exactly as loaded
        assert torch.equal(state[f"{name}.weight"], file[match[f"{name}.weight"]])
    assert not torch.equal(state["block5_conv1.weight"], file["features.24.weight"])
    assert checkpoint.data_info.normalisation == IMAGENET
    assert checkpoint.settings.weights == str(weights_file.resolve())
    # the checkpoint predicts as before: --checkpoint keeps working
    code, out, err = run(capsys, "predict", "--checkpoint", str(tmp_path / "run" / "last.pt"),
                         str(images / "red" / "1.png"))
    assert code == 0 and out.startswith(str(images / "red" / "1.png")), err


def test_export_with_weights(capsys: pytest.CaptureFixture[str], project: Path,
                             weights_file: Path, small_tv_vgg: TvVGG, tmp_path: Path) -> None:
    target = tmp_path / "out.pt"
    code, out, err = run(capsys, "export", str(project), "--weights", str(weights_file),
                         "--format", "state_dict", "-o", str(target))
    assert code == 0, err
    exported = torch.load(target, weights_only=True)
    assert torch.equal(exported["block3_conv2.weight"],
                       small_tv_vgg.state_dict()["features.12.weight"])
    card = json.loads(target.with_name("out.pt.card.json").read_text())
    assert "loaded 26 tensors" in json.dumps(card)


def test_mistakes_are_one_line(capsys: pytest.CaptureFixture[str], project: Path,
                               weights_file: Path, tmp_path: Path) -> None:
    assert_user_error(run(capsys, "summary", "--template", "mlp", "--pretrained"), "summary",
                      "template 'mlp' has no published weights")
    assert_user_error(run(capsys, "train", str(project), "--pretrained"), "train",
                      "--pretrained needs --template NAME")
    assert_user_error(run(capsys, "train", str(project), "--weights", str(tmp_path / "no.pt")),
                      "train", "--weights: no file at")
    assert_user_error(run(capsys, "train", str(project), "--freeze-until", "nowhere"),
                      "train", "no node named 'nowhere'")
    assert_user_error(run(capsys, "train", str(project), "--normalisation", "fancy"),
                      "train", "'fancy' is not one of auto, imagenet")
    assert_user_error(run(capsys, "export", str(project), "--weights", str(weights_file),
                          "--checkpoint", str(weights_file), "--format", "onnx", "-o",
                          str(tmp_path / "m.onnx")), "export", "not both")
    assert_user_error(run(capsys, "predict", "x.png"), "predict",
                      "give --checkpoint FILE, or --template NAME/--project FILE")
    assert_user_error(run(capsys, "predict", "--template", "xor", "--weights",
                          str(weights_file), "0 1"), "predict", "needs an image model")
    assert_user_error(run(capsys, "predict", "--template", "mlp", "--weights",
                          str(weights_file), "x.png"), "predict",
                      "small-vgg.pth: no tensor fits this graph")
    other = tmp_path / "other.pth"
    torch.save(TvVGG(((4, 2), (8, 2), (8, 3), (16, 3), (8, 3)), hidden=16, classes=5,
                     pooled=2).state_dict(), other)
    assert_user_error(run(capsys, "summary", str(project), "--weights", str(other)),
                      "summary", "block4_conv1.weight has shape 16×8×3×3 in the file "
                      "(features.17.weight) but 8×8×3×3 in the graph")
    assert not (tmp_path / "m.onnx").exists()


def test_frozen_layers_without_weights_are_refused(capsys: pytest.CaptureFixture[str],
                                                   project: Path, tmp_path: Path) -> None:
    """A file holding only the head, loaded with blocks 1-4 frozen by the flag or by the
    project itself."""
    head = tmp_path / "cls_only.pth"
    state = compile_graph(small_vgg_graph(size=32, head=(16, 2))).state_dict()
    torch.save({key: value for key, value in state.items() if key.startswith("fc")}, head)
    code, out, err = run(capsys, "summary", str(project), "--weights", str(head))
    assert code == 0, err
    frozen = tmp_path / "frozen.dlstudio"
    save_project(Project(graph=small_vgg_graph(size=32, head=(16, 2), frozen_base=True)),
                 frozen)
    words = "cls_only.pth: block1_conv1 is frozen but the file has no weights for it"
    for command, extra in (("summary", ["--freeze-until", "block4_pool"]),
                           ("train", ["--freeze-until", "block4_pool"])):
        assert_user_error(run(capsys, command, str(project), "--weights", str(head), *extra),
                          command, words, "(10 frozen layers get none)")
    assert_user_error(run(capsys, "export", str(frozen), "--weights", str(head), "--format",
                          "onnx", "-o", str(tmp_path / "m.onnx")), "export", words)
    assert not (tmp_path / "m.onnx").exists()
    assert_user_error(run(capsys, "predict", "--project", str(frozen), "--weights", str(head),
                          str(tmp_path / "images" / "red" / "0.png")), "predict", words)


def test_a_raw_pickle_is_one_line_on_stderr(tmp_path: Path) -> None:
    """torch warns about raw pickles on stderr; the command shows only its own line."""
    with open(tmp_path / "raw.pt", "wb") as stream:
        pickle.dump({"fc.weight": [1.0]}, stream, protocol=4)
    done = subprocess.run([sys.executable, "-m", "dlstudio", "summary", "--template", "mlp",
                           "--weights", str(tmp_path / "raw.pt")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [f"dlstudio summary: error: {tmp_path / 'raw.pt'}: "
                                        "not a PyTorch weights file, or damaged"]
