"""What an import reports when a model cannot become a graph: one line, every part named."""

from __future__ import annotations

from dataclasses import dataclass


class ModelImportError(ValueError):
    """A model, file or option that cannot be imported; the message is one line naming
    the file, the part and where it is in the source."""


@dataclass(frozen=True)
class UnsupportedPart:
    """One module, function or ONNX operator with no catalogue layer, and where it is."""

    what: str  # "nn.Bilinear", "torch.fft.fft", "ONNX Einsum"
    where: str = ""  # "model.py:14 (self.bil)" or "node 'einsum_3'"


def unsupported_error(model: str, parts: list[UnsupportedPart]) -> ModelImportError:
    """One error listing every unsupported part, so the user sees them all at once."""
    count = len(parts)
    noun = "part" if count == 1 else "parts"
    places: dict[str, list[str]] = {}
    for part in parts:
        places.setdefault(part.what, []).append(part.where)
    listed = ", ".join(f"{what} at {_places(where)}" if any(where) else what
                       for what, where in places.items())
    return ModelImportError(f"{count} {noun} of {model} cannot be imported: {listed}")


def _places(where: list[str], shown: int = 3) -> str:
    """`a.py:3, a.py:9 and 4 more`: repeated parts stay one readable line."""
    more = len(where) - shown
    return ", ".join(where[:shown]) + (f" and {more} more" if more > 0 else "")


class Unsupported(Exception):  # noqa: N818 - raised inside the mappers, caught and collected
    """Raised by a mapper for one part; the importer collects these into one error."""

    def __init__(self, what: str, why: str = "") -> None:
        super().__init__(what)
        self.what = f"{what} ({why})" if why else what
        self.why = why
