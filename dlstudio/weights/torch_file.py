"""`torch.load(weights_only=True)` and its failures sorted into three, for the two
readers of .pt files (weights files and checkpoints), which word them each their way.

weights_only refuses every object but tensors and plain containers, so nothing in a
file can run. Whatever else goes wrong while reading (a cut zip raises OSError EINVAL,
a bad archive BadZipFile or RuntimeError, deep nesting RecursionError, a huge declared
storage MemoryError) is damage to the file, not a bug here.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any, Literal

import torch

from dlstudio.graph.project_text import printable
from dlstudio.quiet import quiet_warnings

Kind = Literal["open", "refused", "damaged"]


class TorchFileError(Exception):
    """Why a .pt file could not be read: `kind` "open" (the file cannot be opened),
    "refused" (it asks for a global: loading it could run code; `detail` names it) or
    "damaged"; `detail` is one printable line (or "": nothing useful to add)."""

    def __init__(self, kind: Kind, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail = kind, detail

    def message(self, what: str, holds: str) -> str:
        """The reason for a message that names the file first: `what` the file should
        be ("a DL Studio checkpoint"), `holds` what it may hold ("tensors")."""
        if self.kind == "open":
            return f"cannot read it: {self.detail}"
        if self.kind == "refused":
            return (f"refused, it holds more than {holds} ({self.detail}; loading it "
                    "could run code)")
        return f"not {what}, or damaged" + (f" ({self.detail})" if self.detail else "")


def load_tensors_only(path: Path) -> Any:
    """What the file holds, read on the CPU; TorchFileError when it cannot be read."""
    try:
        stream = open(path, "rb")  # noqa: SIM115 - closed below; its errors are not damage
    except OSError as error:
        raise TorchFileError("open", printable(error.strerror or str(error))) from None
    try:
        with stream, quiet_warnings():  # torch's warnings about odd files: ours says it
            return torch.load(stream, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        # torch words it "Unsupported global: GLOBAL x" or "unsupported GLOBAL x whose ..."
        refused = re.search(r"GLOBAL (\S+)", str(error))
        if refused:
            raise TorchFileError("refused", printable(refused[1])) from None
        # torch's words here advise weights_only=False, which could run code: left out
        raise TorchFileError("damaged", "") from None
    except Exception as error:  # noqa: BLE001 - any other failure to read it is damage
        raise TorchFileError("damaged", f"{type(error).__name__}: {first_line(error)}"
                             ) from None


def first_line(error: BaseException) -> str:
    """The gist of `error` as one printable line (a surrogate in it would break stderr)."""
    text = printable(str(error).strip().split(". This is an internal miniz error")[0])
    return text.splitlines()[0][:200] if text else ""

