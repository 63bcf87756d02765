"""Reading weights files without running anything in them.

`.pt`/`.pth` (and any other name) go through `torch.load(weights_only=True)`, which
refuses every object but tensors and plain containers. `.safetensors` files are read
here directly: a JSON header and raw bytes, so no extra package is needed for them.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any, NamedTuple

import torch

from dlstudio.weights.errors import WeightsError
from dlstudio.weights.pretrained import PREFIX, PRETRAINED, Progress, fetch_pretrained
from dlstudio.weights.torch_file import TorchFileError, load_tensors_only

CHECKPOINT_FORMAT = "dlstudio.checkpoint"
# Where training frameworks put the state_dict inside a bigger checkpoint.
_NESTED = ("state_dict", "model_state", "model")
_SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
    "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32, "I16": torch.int16,
    "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
_MAX_HEADER = 100 << 20


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a weights file, by name: a plain state_dict, a dict holding one
    under "state_dict"/"model_state"/"model" (a DL Studio checkpoint's weights
    included), or a .safetensors file. WeightsError names the file otherwise."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no weights file there")
    if path.suffix.lower() == ".safetensors":
        return _read_safetensors(path)
    try:
        raw = load_tensors_only(path)
    except TorchFileError as error:
        raise WeightsError(f"{path}: " + error.message("a PyTorch weights file",
                                                       "tensors")) from None
    return _tensors(path, _unwrap(raw))


def resolve_weights(source: str, base_dir: Path | None = None,
                    progress: Progress | None = None) -> dict[str, torch.Tensor]:
    """The tensors `source` names: "pretrained:NAME" (downloaded once) or a file path,
    relative to `base_dir` (the project's folder) when it is not absolute."""
    if source.startswith(PREFIX):
        return read_state_dict(fetch_pretrained(source[len(PREFIX):], progress))
    path = Path(source).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return read_state_dict(path)


def describe_source(source: str) -> str:
    """A short name for reports: the file name, with "pretrained" and the template when
    the file is published weights fetched for another template than its own."""
    if source.startswith(PREFIX):
        name = source[len(PREFIX):]
        entry = PRETRAINED.get(name)
        if entry is None:
            return f"pretrained {name}"
        return f"pretrained {entry.file}" + ("" if entry.architecture == name
                                             else f" for {name}")
    return Path(source).name


def _unwrap(raw: Any) -> Any:
    if isinstance(raw, dict) and isinstance(raw.get("format"), str) \
            and raw["format"] == CHECKPOINT_FORMAT:  # a tensor there has no one truth value
        return raw.get("model_state")
    if isinstance(raw, dict):
        for key in _NESTED:
            if isinstance(raw.get(key), dict):
                return raw[key]
    return raw


def _tensors(path: Path, raw: Any) -> dict[str, torch.Tensor]:
    if not isinstance(raw, dict):
        raise WeightsError(f"{path}: holds a {type(raw).__name__}, not a state_dict "
                           "(tensor names -> tensors)")
    if not raw:
        raise WeightsError(f"{path}: holds no tensors")
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise WeightsError(f"{path}: entry {key!r} is a {type(value).__name__}, not a "
                               "tensor; a weights file maps tensor names to tensors")
    return dict(raw)


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """The safetensors layout: 8 bytes little-endian header size, a JSON header of
    name -> {dtype, shape, data_offsets}, then the bytes of every tensor, back to back."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise WeightsError(f"{path}: cannot read it: {error.strerror or error}") from None
    try:
        if len(data) < 8:
            raise ValueError("shorter than the 8-byte header size")
        (size,) = struct.unpack("<Q", data[:8])
        if size > min(_MAX_HEADER, len(data) - 8):
            raise ValueError("header size past the end of the file")
        header = json.loads(data[8:8 + size])
        if not isinstance(header, dict):
            raise ValueError(f"the header is a JSON {type(header).__name__}, not an object")
        header.pop("__metadata__", None)
        body = memoryview(data)[8 + size:]
        entries = {name: _entry(name, entry) for name, entry in header.items()}
        _check_layout(entries, len(body))
        tensors = {name: _safetensor(entry, body) for name, entry in entries.items()}
    except (ValueError, RecursionError, RuntimeError, OverflowError,
            MemoryError) as error:  # json's errors included
        raise WeightsError(f"{path}: not a safetensors file, or damaged ({error})") from None
    if not tensors:
        raise WeightsError(f"{path}: holds no tensors")
    return tensors


class _Entry(NamedTuple):
    dtype: torch.dtype
    shape: list[int]
    start: int
    end: int


def _entry(name: str, entry: Any) -> _Entry:
    """One header entry, checked: ValueError names the tensor and what is wrong."""
    if not isinstance(entry, dict):
        raise ValueError(f"tensor {name!r}: a JSON {type(entry).__name__}, not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in _SAFETENSORS_DTYPES:
        raise ValueError(f"tensor {name!r}: unsupported dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_count(v) for v in shape):
        raise ValueError(f"tensor {name!r}: shape {shape!r} is not a list of sizes")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(map(_count, offsets)):
        raise ValueError(f"tensor {name!r}: data_offsets {offsets!r} is not [start, end]")
    torch_dtype = _SAFETENSORS_DTYPES[dtype]
    start, end = offsets
    if end - start != math.prod(shape) * torch_dtype.itemsize:
        raise ValueError(f"tensor {name!r}: bytes {start}..{end} do not fit shape {shape} "
                         f"of {dtype}")
    return _Entry(torch_dtype, shape, start, end)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_layout(entries: dict[str, _Entry], body_size: int) -> None:
    """The tensors' bytes must follow one another and fill the data exactly, as the
    format requires: no overlap, no gap, nothing past the end."""
    position = 0
    for name, entry in sorted(entries.items(), key=lambda item: (item[1].start, item[1].end)):
        if entry.end > body_size:
            raise ValueError(f"tensor {name!r}: bytes {entry.start}..{entry.end} past the "
                             f"end of the data ({body_size} bytes)")
        if entry.start != position:
            what = "overlap another tensor's" if entry.start < position else "leave a gap at"
            raise ValueError(f"tensor {name!r}: bytes {entry.start}..{entry.end} {what} "
                             f"bytes {min(entry.start, position)}..{max(entry.start, position)}")
        position = entry.end
    if position != body_size:
        raise ValueError(f"{body_size - position} bytes of data after the last tensor")


def _safetensor(entry: _Entry, body: memoryview) -> torch.Tensor:
    if entry.start == entry.end:
        return torch.empty(entry.shape, dtype=entry.dtype)
    return torch.frombuffer(bytearray(body[entry.start:entry.end]),
                            dtype=entry.dtype).reshape(entry.shape)
