"""Reading weights files: the forms a state_dict comes in, safetensors, and files that are
refused (damaged, not tensors, or a pickle that would run code) in one line."""

from __future__ import annotations

import json
import os
import pickle
import struct
import warnings
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


def header_file(path: Path, header: object, body: bytes = b"") -> Path:
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + body)
    return path


def entry(dtype: object = "F32", shape: object = (2,), offsets: object = (0, 8)) -> object:
    return {"dtype": dtype, "shape": shape, "data_offsets": offsets}


@pytest.mark.parametrize(("header", "body", "words"), [
    ([], b"", "the header is a JSON list, not an object"),
    ({"w": [1, 2]}, b"", "tensor 'w': a JSON list, not an object"),
    ({"w": {"shape": [2], "data_offsets": [0, 8]}}, bytes(8), "tensor 'w': unsupported dtype None"),
    ({"w": entry(dtype="F8_E9")}, bytes(8), "tensor 'w': unsupported dtype 'F8_E9'"),
    ({"w": entry(shape="2")}, bytes(8), "tensor 'w': shape '2' is not a list of sizes"),
    ({"w": entry(shape=[-2])}, bytes(8), "is not a list of sizes"),
    ({"w": entry(offsets=[0])}, bytes(8), "tensor 'w': data_offsets [0] is not [start, end]"),
    ({"w": entry(offsets=["0", 8])}, bytes(8), "is not [start, end]"),
    ({"w": entry(offsets=[0, 12])}, bytes(12), "tensor 'w': bytes 0..12 do not fit shape [2]"),
    ({"w": entry(offsets=[8, 16])}, bytes(8), "tensor 'w': bytes 8..16 past the end of the "
                                              "data (8 bytes)"),
    ({"w": entry(), "v": entry(offsets=[4, 12])}, bytes(12), "overlap another tensor's"),
    ({"w": entry()}, bytes(4), "past the end of the data (4 bytes)"),
    ({"w": entry()}, bytes(12), "4 bytes of data after the last tensor"),
    ({"w": entry(offsets=[4, 12])}, bytes(12), "leave a gap"),
])
def test_malformed_safetensors_headers_are_one_line(tmp_path: Path, header: object,
                                                    body: bytes, words: str) -> None:
    path = header_file(tmp_path / "bad.safetensors", header, body)
    with pytest.raises(WeightsError) as caught:
        read_state_dict(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not a safetensors file, or damaged (")
    assert words in message and "\n" not in message


def test_safetensors_with_metadata_and_an_empty_tensor(tmp_path: Path) -> None:
    header = {"__metadata__": {"format": "pt"}, "w": entry(),
              "e": entry(shape=[0, 3], offsets=[8, 8])}
    read = read_state_dict(header_file(tmp_path / "ok.safetensors", header,
                                       struct.pack("<2f", 1.0, 2.0)))
    assert read["w"].tolist() == [1.0, 2.0] and read["e"].shape == (0, 3)


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


class RunsShell:
    """A pickle that would run a shell command (os.system) when loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch '{self.marker}'",))


def test_a_pickle_calling_os_system_is_refused_by_name(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    torch.save({"x": RunsShell(marker)}, tmp_path / "evil2.pt")
    with pytest.raises(WeightsError) as caught:
        read_state_dict(tmp_path / "evil2.pt")
    assert str(caught.value) == (f"{tmp_path / 'evil2.pt'}: refused, it holds more than "
                                 f"tensors ({os.system.__module__}.system; loading it could "
                                 "run code)")
    assert not marker.exists()


def test_a_raw_pickle_warns_nothing(tmp_path: Path) -> None:
    with open(tmp_path / "raw.pt", "wb") as stream:
        pickle.dump({"fc.weight": [1.0]}, stream, protocol=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(WeightsError, match="raw.pt: not a PyTorch weights file"):
            read_state_dict(tmp_path / "raw.pt")


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


def test_damage_torch_does_not_name_is_still_one_weights_line(tmp_path: Path) -> None:
    """A cut zip (torch raises OSError EINVAL: not "cannot read it"), a tensor named
    "format" (comparing it with the checkpoint format raised RuntimeError), a deeply
    nested safetensors header."""
    whole = tmp_path / "whole.pt"
    torch.save({"fc.weight": torch.zeros(64, 64)}, whole)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(whole.read_bytes()[:len(whole.read_bytes()) // 2])
    with pytest.raises(WeightsError, match=r"cut.pt: not a PyTorch weights file, or damaged"):
        read_state_dict(cut)
    odd = tmp_path / "odd.pt"
    torch.save({"format": torch.zeros(0), "fc.weight": torch.zeros(2)}, odd)
    assert sorted(read_state_dict(odd)) == ["fc.weight", "format"]  # a plain state_dict
    text = "[" * 100_000 + "]" * 100_000
    deep = header_file(tmp_path / "deep.safetensors", None)
    deep.write_bytes(struct.pack("<Q", len(text)) + text.encode())
    with pytest.raises(WeightsError, match="deep.safetensors: not a safetensors file, or "
                                           "damaged .*recursion"):
        read_state_dict(deep)
