"""`dlstudio predict` with an autoencoder's checkpoint (its data's target is the input).

Each INPUT is reconstructed; a line gives how far the reconstruction is from the input
(mean squared and absolute error, as training measured them). `--out PATH` draws the
input beside its reconstruction as a PNG: PATH is the file for one image, or a folder
(made if needed) that gets `<name>-reconstruction.png` for each of several images.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import EXIT_OK, UserError, print_json

if TYPE_CHECKING:
    from dlstudio.infer import Predictor
    from dlstudio.infer.reconstruct import Reconstruction


def add_out_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, metavar="PATH",
                        help="autoencoders: write the input beside its reconstruction as a "
                             "PNG file (a folder for several inputs)")


def run_reconstructions(predictor: Predictor, args: argparse.Namespace) -> int:
    """Reconstruct every input, print (or --json) the errors, write --out pictures."""
    from dlstudio.cli.predict import _csv_rows
    from dlstudio.infer.reconstruct import reconstruct, write_side_by_side

    info = predictor.info
    if not info.reconstruction:
        raise UserError(f"--out writes an autoencoder's reconstructions; this checkpoint "
                        f"predicts {info.summary()}")
    if args.out is not None and info.kind != "image":
        raise UserError(f"--out draws image reconstructions; this model reconstructs "
                        f"{info.describe_input()}")
    rows: list[tuple[str, Any]] = []
    for raw in args.inputs:
        path = Path(raw)
        if info.kind != "image" and path.suffix.lower() in (".csv", ".txt") and path.is_file():
            rows += [(f"{raw} row {i}", row)
                     for i, row in enumerate(_csv_rows(path, info.feature_names), 1)]
        else:
            rows.append((raw, path if info.kind == "image" else raw))
    targets = _out_paths(args.out, [label for label, _ in rows])
    results = []
    for (label, value), target in zip(rows, targets, strict=True):
        result = reconstruct(predictor, value)
        if target is not None:
            write_side_by_side(result, target)
        results.append((label, result, target))
    if args.json:
        print_json({"checkpoint": str(args.checkpoint), "task": info.task, "target": "input",
                    "predictions": [_as_dict(label, result, target)
                                    for label, result, target in results]})
    else:
        for label, result, target in results:
            written = f"; written to {shown(target)}" if target is not None else ""
            print(f"{shown(label)}: {result.summary()}{written}")
    return EXIT_OK


def _out_paths(out: Path | None, labels: list[str]) -> list[Path | None]:
    if out is None:
        return [None] * len(labels)
    if len(labels) == 1 and not out.is_dir():
        if not out.parent.is_dir():
            raise UserError(f"--out: the folder {out.parent} does not exist")
        return [out]
    if out.exists() and not out.is_dir():
        raise UserError(f"--out: {out} is a file; give a folder for {len(labels)} inputs")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"--out: cannot create the folder {out}: "
                        f"{error.strerror or error}") from None
    return [out / f"{Path(label).stem}-reconstruction.png" for label in labels]


def _as_dict(label: str, shown: Reconstruction, target: Path | None) -> dict[str, Any]:
    data: dict[str, Any] = {"input": label, "mse": shown.mse, "mae": shown.mae}
    if shown.output.ndim == 1:  # vectors: the values themselves, as the model gave them
        data["reconstruction"] = [float(v) for v in shown.output]
    if target is not None:
        data["out"] = str(target)
    return data
