"""Write tests/fuzz/corpus/checkpoints/: the nastiest checkpoint files, each named for
what it tests, made from a real one-epoch XOR checkpoint. test_fuzz_checkpoints.py reads
them; rerun this (`.venv/bin/python tests/fuzz/make_checkpoint_corpus.py`) only when the
checkpoint format changes.
"""

from __future__ import annotations

import os
import struct
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

CORPUS = Path(__file__).parent / "corpus" / "checkpoints"


class _Code:
    """What a malicious pickle holds: a call to an arbitrary function on load."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (os.getcwd, ())


def _with(raw: dict[str, Any], **changes: Any) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        torch.save({**raw, **changes}, path)
    return write


def _rezip(base: Path, change: Callable[[str, bytes], bytes | None]) -> Callable[[Path], None]:
    """The base checkpoint's zip with each member passed through `change` (None drops it)."""
    def write(path: Path) -> None:
        with zipfile.ZipFile(base) as source, \
                zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as target:
            for info in source.infolist():
                data = change(info.filename, source.read(info.filename))
                if data is not None:
                    target.writestr(info.filename, data)
    return write


def _huge_storage(name: str, data: bytes) -> bytes:
    """fc1.weight's storage declared 2**31 - 1 elements long; its record holds 16."""
    if not name.endswith("data.pkl"):
        return data
    at = data.index(b"K\x10", data.index(b"X\x03\x00\x00\x00cpu"))
    return data[:at] + b"J" + struct.pack("<i", 2**31 - 1) + data[at + 2:]


def makers(base: Path) -> dict[str, Callable[[Path], None]]:
    raw = torch.load(base, weights_only=True)
    graph = raw["graph"]
    return {
        "deep_json_graph.pt": _with(raw, graph="[" * 5000 + "]" * 5000),
        "nan_in_metrics.pt": _with(raw, metrics='{"loss": NaN}'),
        "settings_is_a_list.pt": _with(raw, settings="[]"),
        "surrogate_in_node_name.pt": _with(raw, graph=graph.replace('"fc1"', '"\\ud800"')),
        "refused_pickle_global.pt": _with(raw, rng_state={"torch": _Code()}),
        "huge_declared_storage.pt": _rezip(base, _huge_storage),
        "zip_without_pickle.pt": _rezip(base, lambda n, d: None if n.endswith(".pkl") else d),
        "truncated_half.pt": lambda path: path.write_bytes(base.read_bytes()[:9000]),
    }


def main() -> None:
    from dlstudio import cli

    with tempfile.TemporaryDirectory() as folder:
        code = cli.main(["train", "--template", "xor", "--epochs", "1", "--device", "cpu",
                         "--out", folder])
        if code != 0:
            sys.exit(code)
        CORPUS.mkdir(parents=True, exist_ok=True)
        for name, make in makers(Path(folder) / "last.pt").items():
            make(CORPUS / name)
            print(f"{CORPUS / name}: {(CORPUS / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
