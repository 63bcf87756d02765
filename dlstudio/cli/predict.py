"""`dlstudio predict`: run a trained checkpoint on images, numbers or text.

What an INPUT is depends on the model: an image file for image models; numbers
("0.5, 1.2") or a CSV file of rows for vector and sequence models; a text prompt for the
text models, which write `--length` characters after it: greedily, or sampled with
`--temperature T` (and `--top-k K`, `--seed N`). The checkpoint holds everything else
(preprocessing, class names, the characters of a text model).

Without a checkpoint, `--template NAME` or `--project FILE` with `--pretrained` or
`--weights FILE` predicts with those weights: image models only, images resized to the
Input and normalised with ImageNet's mean and std (what published weights expect), and
classes named by their index (ImageNet's class ids for the published weights).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dlstudio.cli.reconstruct import add_out_flag, run_reconstructions
from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import (
    EXIT_OK,
    Command,
    UserError,
    add_json_flag,
    add_run_device,
    add_weights_flags,
    load_graph,
    match_weights_to,
    print_json,
    weights_source,
)

if TYPE_CHECKING:  # torch loads only when a prediction starts
    import numpy as np

    from dlstudio.infer import Prediction, Predictor


def _add_predict(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, metavar="FILE",
                        help="a checkpoint written by `dlstudio train` (best.pt, last.pt)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--template", metavar="NAME",
                        help="with --weights or --pretrained instead of a checkpoint: a "
                             "built-in template")
    source.add_argument("--project", type=Path, metavar="FILE",
                        help="with --weights instead of a checkpoint: a .dlstudio project")
    add_weights_flags(parser)
    parser.add_argument("inputs", nargs="+", metavar="INPUT",
                        help="image files (image models), numbers like \"0.5, 1.2\" or CSV "
                             "files (vector models), text prompts (text models)")
    parser.add_argument("--top-k", type=int, default=None, metavar="K",
                        help="how many of the most likely classes to list (default 5); "
                             "text models sampling with --temperature also draw from these "
                             "K only (default: from all)")
    parser.add_argument("--length", "--generate", dest="length", type=int, default=40,
                        metavar="N", help="text models: characters to generate after the "
                                          "prompt (default 40, 0 for none)")
    parser.add_argument("--temperature", type=float, default=0.0, metavar="T",
                        help="text models: 0 (default) takes the most likely character each "
                             "time; above 0 samples, sharper below 1, wilder above")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="text models: seed the sampling, so the same seed writes the "
                             "same text (default: different each run)")
    add_out_flag(parser)
    add_run_device(parser)
    add_json_flag(parser)


def _run_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from dlstudio.data import DataError
    from dlstudio.data.textfile import info_layout
    from dlstudio.infer import PredictError, Predictor
    from dlstudio.infer.generate import SamplingError, check_sampling
    from dlstudio.train import CheckpointError, TrainingError
    from dlstudio.train.devices import resolve_device

    try:  # the sampler's own rule, so the app and this command refuse the same values
        check_sampling(args.temperature, args.top_k)
    except SamplingError as error:
        raise UserError(f"--{error}") from None
    if args.length < 0:
        raise UserError(f"--length must be 0 or more, got {args.length}")
    source = _weights_without_checkpoint(args)
    if source is None and not args.checkpoint.is_file():
        raise UserError(f"no checkpoint file at {args.checkpoint}")
    try:
        device = resolve_device(args.device)
    except TrainingError as error:  # CUDA or MPS asked for where there is none
        raise UserError(str(error)) from None
    except RuntimeError:  # not a device name at all
        raise UserError(f"--device {args.device!r} is not auto, cpu, cuda, cuda:N or "
                        "mps") from None
    try:
        predictor = Predictor.from_checkpoint(args.checkpoint, device=str(device)) \
            if source is None else _weights_predictor(args, source, str(device))
        if predictor.info.reconstruction or args.out is not None:  # an autoencoder
            return run_reconstructions(predictor, args)
        rng = np.random.default_rng(args.seed)  # one stream over all prompts, in order
        predictions = [p for raw in args.inputs for p in _predict(predictor, raw, args, rng)]
    except (CheckpointError, DataError, PredictError) as error:
        raise UserError(str(error)) from None
    if args.json:
        origin = {"checkpoint": str(args.checkpoint)} if source is None \
            else {"weights": source}
        text = info_layout(predictor.info) is not None
        generation = {"generation": {"length": args.length, "temperature": args.temperature,
                                     "top_k": args.top_k, "seed": args.seed}} if text else {}
        print_json({**origin, "task": predictor.info.task, **generation,
                    "predictions": [p.to_dict() for p in predictions]})
    else:
        quoted = info_layout(predictor.info) is not None
        for prediction in predictions:
            print(_describe(prediction, quoted))
    return EXIT_OK


def _weights_without_checkpoint(args: argparse.Namespace) -> str | None:
    """The weights to predict with when there is no checkpoint; None with a checkpoint.
    A checkpoint and a graph with weights are two answers to one question: refused."""
    named = args.template is not None or args.project is not None
    weighted = args.weights is not None or args.pretrained
    if args.checkpoint is not None:
        if named or weighted:
            raise UserError("give --checkpoint FILE alone, or --template/--project with "
                            "--weights/--pretrained: a checkpoint holds its own graph and "
                            "weights")
        return None
    if not named or not weighted:
        raise UserError("give --checkpoint FILE, or --template NAME/--project FILE with "
                        "--weights FILE or --pretrained")
    return weights_source(args)


def _weights_predictor(args: argparse.Namespace, source: str, device: str) -> Predictor:
    """A predictor for an image graph with loaded weights (see the module's notes)."""
    import torch

    from dlstudio.compile import compile_graph
    from dlstudio.data import DataInfo, ImageFacts
    from dlstudio.data.normalisations import IMAGENET
    from dlstudio.infer import Predictor
    from dlstudio.weights import apply_weights

    graph, label = load_graph(args)
    inputs, outputs = graph.nodes_of_type("Input"), graph.nodes_of_type("Output")
    if len(inputs) != 1 or inputs[0].params["kind"] != "image":
        raise UserError(f"predict with --weights needs an image model; {label} takes "
                        "other input: train it and predict with --checkpoint")
    match = match_weights_to(graph, source)
    torch.manual_seed(0)
    model = compile_graph(graph)
    apply_weights(model, match)
    if len(outputs) != 1 or len(model.output_shape) != 1 or model.output_shape[0] < 2:
        raise UserError(f"predict with --weights needs a classifier; {label} gives "
                        f"outputs of shape {model.output_shape}")
    shape = tuple(inputs[0].params["shape"])
    info = DataInfo(name=label, kind="image", task="classification", input_shape=shape,
                    class_names=tuple(str(i) for i in range(model.output_shape[0])),
                    normalisation=IMAGENET if shape[0] == 3 else None,
                    image=ImageFacts(None, (shape[1], shape[2])), source=source)
    print(match.summary_line(), file=sys.stderr)
    return Predictor(model, info, device)


def _predict(predictor: Predictor, raw: str, args: argparse.Namespace,
             rng: np.random.Generator) -> list[Prediction]:
    from dlstudio.data.textfile import info_layout
    from dlstudio.infer.predict import DEFAULT_TOP_K

    kind, listed = predictor.info.kind, args.top_k or DEFAULT_TOP_K
    if kind == "image":
        return [predictor.predict_image(Path(raw), top_k=listed, label=raw)]
    if info_layout(predictor.info) is not None:  # a text model: ids or one-hot characters
        return [predictor.predict_text(raw, top_k=listed, length=args.length,
                                       temperature=args.temperature,
                                       sample_top_k=args.top_k, rng=rng)]
    path = Path(raw)
    if path.suffix.lower() in (".csv", ".txt") and path.is_file():
        rows = _csv_rows(path, predictor.info.feature_names)
        return [predictor.predict_vector(row, top_k=listed) for row in rows]
    return [predictor.predict_vector(raw, top_k=listed)]


def _csv_rows(path: Path, feature_names: tuple[str, ...]) -> list[list[float]]:
    """The numeric rows of a CSV file. A header row is skipped; when it names the
    model's features, those columns are taken (so a file with its target column works)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as stream:
            rows = [row for row in csv.reader(stream) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read {path}: {error}") from None
    if not rows:
        raise UserError(f"{path} holds no rows")
    columns = None
    if not _numeric(rows[0]):
        header = [cell.strip() for cell in rows.pop(0)]
        if feature_names and set(feature_names) <= set(header):
            columns = [header.index(name) for name in feature_names]
    values = []
    for line, row in enumerate(rows, start=2 if columns is not None else 1):
        cells = row if columns is None else [row[i] for i in columns if i < len(row)]
        if not _numeric(cells):
            raise UserError(f"{path}, row {line}: {','.join(row)!r} is not all numbers")
        values.append([float(cell) for cell in cells])
    return values


def _numeric(cells: list[str]) -> bool:
    try:
        for cell in cells:
            float(cell)
    except ValueError:
        return False
    return True


def _describe(prediction: Prediction, quoted: bool) -> str:
    if prediction.task != "classification":
        values = ", ".join(f"{v:.6g}" for v in prediction.value)
        return f"{shown(prediction.input)}: {values}"
    top = "  ".join(f"{_name(c.name, quoted)} {c.probability:.1%}" for c in prediction.top)
    line = (f"{_name(prediction.input, quoted)}: {_name(prediction.label, quoted)} "
            f"({prediction.probability:.1%})   top: {top}")
    if prediction.continuation is not None:
        line += f"\n  continues: {prediction.continuation!r}"
    return line


def _name(name: str, quoted: bool) -> str:
    """Characters are shown quoted, so a space or a newline can be seen; any other name
    (a CSV label, a folder's name) with its control characters escaped."""
    return repr(name) if quoted else shown(name)


COMMAND = Command("predict", "predict with a trained checkpoint (images, numbers, text)",
                  _add_predict, _run_predict)
