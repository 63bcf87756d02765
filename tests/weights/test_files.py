"""Reading weights files: the forms a state_dict comes in, safetensors, and files that are
refused (damaged, not tensors, or a pickle that would run code) in one line."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch

from dlstudio.compile import compile_graph
from dlstudio.data import load_data
from dlstudio.graph.templates import build_template
from dlstudio.train import Trainer, TrainSettings
from dlstudio.weights import WeightsError, read_state_dict, resolve_weights

from .conftest import TvVGG


def test_plain_nested_and_relative(tmp_path: Path, small_tv_vgg: TvVGG) -> None:
    state = small_tv_vgg.state_dict()
    torch.save(state, tmp_path / "plain.pth")
    torch.save({"state_dict": state, "epoch": 3}, tmp_path / "lightning.ckpt")
    torch.save({"model": state}, tmp_path / "model.pt")
    # torchvision's 2017 files (vgg16-397923af.pth) use the format before zip files
    torch.save(state, tmp_path / "legacy.pth", _use_new_zipfile_serialization=False)
    for name in ("plain.pth", "lightning.ckpt", "model.pt", "legacy.pth"):
        read = resolve_weights(name, base_dir=tmp_path)
        assert list(read) == list(state)
        assert all(torch.equal(read[k], state[k]) for k in state)


def test_a_dlstudio_checkpoint_gives_its_weights(tmp_path: Path) -> None:
    graph = build_template("xor")
    trainer = Trainer(graph, load_data("builtin:xor"), TrainSettings(epochs=1),
                      out_dir=tmp_path)
    trainer.run()
    read = read_state_dict(tmp_path / "last.pt")
    assert list(read) == list(compile_graph(graph).state_dict())


def safetensors_bytes(tensors: dict[str, torch.Tensor]) -> bytes:
    """The published layout, written by hand: header size, JSON header, raw bytes."""
    codes = {torch.float32: "F32", torch.int64: "I64"}
    header, body, offset = {"__metadata__": {"format": "pt"}}, b"", 0
    for name, tensor in tensors.items():
        raw = tensor.contiguous().numpy().tobytes()
        header[name] = {"dtype": codes[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        body, offset = body + raw, offset + len(raw)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def test_safetensors(tmp_path: Path) -> None:
    tensors = {"fc.weight": torch.randn(3, 4), "fc.bias": torch.randn(3),
               "bn.num_batches_tracked": torch.tensor(7)}
    (tmp_path / "w.safetensors").write_bytes(safetensors_bytes(tensors))
    read = read_state_dict(tmp_path / "w.safetensors")
    assert set(read) == set(tensors)
    assert all(torch.equal(read[k], tensors[k]) for k in tensors)
    (tmp_path / "cut.safetensors").write_bytes(safetensors_bytes(tensors)[:-8])
    with pytest.raises(WeightsError, match="cut.safetensors: not a safetensors file, or "
                                           "damaged"):
        read_state_dict(tmp_path / "cut.safetensors")


class RunsCode:
    """A pickle that would create a file when loaded without weights_only."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_a_pickle_that_runs_code_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    torch.save({"fc.weight": torch.zeros(2), "payload": RunsCode(marker)},
               tmp_path / "evil.pth")
    with pytest.raises(WeightsError) as caught:
        read_state_dict(tmp_path / "evil.pth")
    assert "evil.pth: refused, it holds more than tensors" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert not marker.exists()


@pytest.mark.parametrize(("content", "words"), [
    (b"not a weights file at all", "not a PyTorch weights file, or damaged"),
    ([1, 2, 3], "holds a list, not a state_dict"),
    ({"fc.weight": torch.zeros(2), "step": 3}, "entry 'step' is a int, not a tensor"),
    ({}, "holds no tensors"),
])
def test_bad_files_are_one_line_naming_the_file(tmp_path: Path, content: object,
                                                words: str) -> None:
    path = tmp_path / "bad.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        torch.save(content, path)
    with pytest.raises(WeightsError) as caught:
        read_state_dict(path)
    assert str(caught.value).startswith(f"{path}: ") and words in str(caught.value)


def test_no_file(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="no weights file there"):
        read_state_dict(tmp_path / "missing.pth")
