"""`dlstudio import`: a PyTorch class (`file.py:Class`), an ONNX file or a torchvision
model as a project (NAME.dlstudio) with its weights beside it (NAME.pt).

Importing `file.py:Class` runs that file (it is Python: the user asked for it); an ONNX
file runs nothing. Existing output files are replaced whole, as `export` does.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import EXIT_OK, Command, UserError, add_json_flag, print_json

if TYPE_CHECKING:  # torch loads only when an import starts
    from dlstudio.importers import ImportedModel


def _add_import(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SOURCE",
                        help="file.py:Class (runs file.py), model.onnx (runs nothing) or "
                             "torchvision:NAME")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="NAME.dlstudio",
                        help="the project to write; the weights go beside it as NAME.pt")
    parser.add_argument("--input-shape", action="append", metavar="C,H,W", dest="shapes",
                        help="one sample's shape, batch left out (repeat for each input); "
                             "needed when the class has no input_shapes attribute")
    add_json_flag(parser)


def _run_import(args: argparse.Namespace) -> int:
    from dlstudio.importers import ModelImportError, write_imported

    shapes = [_shape(text) for text in args.shapes] if args.shapes else None
    try:
        imported = _import(args.source, shapes)
        project, weights = write_imported(imported, args.output)
    except ModelImportError as error:
        raise UserError(str(error)) from None
    graph = imported.graph
    parameters = sum(int(t.numel()) for key, t in imported.state.items()
                     if not key.endswith(("running_mean", "running_var", "num_batches_tracked")))
    if args.json:
        print_json({"source": imported.source, "project": str(project),
                    "weights": str(weights) if weights else None, "nodes": len(graph),
                    "params": parameters, "notes": imported.notes})
        return EXIT_OK
    print(f"imported {shown(imported.source)}: {len(graph)} nodes, {parameters:,} "
          "parameters")
    print(f"wrote {shown(project)}" + (f" and {shown(weights)}" if weights
                                       else " (no weights)"))
    for note in imported.notes:  # they quote layer and file names from the source
        print(f"note: {shown(note)}")
    return EXIT_OK


def _import(source: str, shapes: list[tuple[int, ...]] | None) -> ImportedModel:
    from dlstudio.importers import import_onnx, import_python, import_torchvision

    if source.startswith("torchvision:"):
        return import_torchvision(source.split(":", 1)[1], shapes)
    if source.lower().endswith(".onnx"):
        if shapes:
            raise UserError("an ONNX file states its own input shape: leave out --input-shape")
        return import_onnx(Path(source))
    file, colon, class_name = source.rpartition(":")
    if not colon or not file.endswith(".py") or not class_name.isidentifier():
        raise UserError(f"SOURCE {source!r} is not file.py:Class, model.onnx or "
                        "torchvision:NAME")
    return import_python(Path(file), class_name, shapes)


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        raise UserError(f"--input-shape {text!r} is not sizes like 3,224,224") from None
    if not shape or min(shape) < 1:
        raise UserError(f"--input-shape {text!r} must be positive sizes like 3,224,224")
    return shape


COMMAND = Command("import", "import a PyTorch class, an ONNX file or a torchvision model "
                  "as a project with its weights", _add_import, _run_import)
