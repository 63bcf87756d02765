"""`dlstudio export`: a network (fresh, or trained in a checkpoint) to ONNX, TorchScript, a
state_dict or PyTorch source, with a model card beside it.

Progress goes to stderr; stdout says where the files went (or, with `--json`, one object).
With `--checkpoint` alone the checkpoint's own graph is exported; a PROJECT or --template
given as well must describe the same network, else the export is refused. A checkpoint's
ONNX, TorchScript and python exports take raw input (pixel values 0-255, the data's own
columns) with the training's preprocessing inside; `--input prepared` keeps the input the
graph itself takes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dlstudio.cli.safe_text import shown
from dlstudio.cli.support import (
    EXIT_OK,
    Command,
    UserError,
    add_json_flag,
    add_weights_flags,
    load_graph,
    match_weights_to,
    print_json,
    weights_source,
)


def _add_export(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("project", nargs="?", type=Path, help="a .dlstudio project file")
    source.add_argument("--template", metavar="NAME",
                        help="a built-in template (see `dlstudio templates`)")
    parser.add_argument("--checkpoint", type=Path, metavar="FILE",
                        help="export these trained weights (and the graph stored with them)")
    parser.add_argument("--format", required=True, metavar="onnx|torchscript|state_dict|python",
                        help="python writes a .py file and its .pt weights beside it")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="FILE",
                        help="the file to write; its model card goes beside it "
                             "(FILE.card.json)")
    parser.add_argument("--input", choices=("raw", "prepared"), default="raw",
                        dest="input_form",
                        help="raw (default): the export takes pixel values 0-255 or the "
                             "data's own columns and does the training's scaling, resizing "
                             "and normalisation inside (needs --checkpoint); prepared: it "
                             "takes input already prepared as in training")
    parser.add_argument("--seed", type=int, default=0, metavar="N",
                        help="seeds the fresh weights exported without --checkpoint "
                             "(default 0)")
    add_weights_flags(parser)
    add_json_flag(parser)


def _run_export(args: argparse.Namespace) -> int:
    from dlstudio.export import ExportError, export_model

    graph, state, extra, info = _what_to_export(args)
    try:
        result = export_model(graph, state, args.format, args.output, card_extra=extra,
                              progress=_print_progress, seed=args.seed, data_info=info,
                              input_form=args.input_form)
    except ExportError as error:
        raise UserError(str(error)) from None
    if args.json:
        print_json({"format": args.format, "path": str(result.path),
                    "card": str(result.card_path), "files": [str(f) for f in result.files],
                    "checks": result.checks, "input": result.input_form,
                    "seconds": round(result.seconds, 3)})
    else:
        others = ", ".join(f.name for f in result.files if f != result.path)
        print(f"wrote {shown(result.path)} (+ {shown(others)}) in {result.seconds:.1f}s; "
              f"checks: {_checks_line(result.checks)}")
        print(f"input: {result.input_form['description']}")
    return EXIT_OK


def _what_to_export(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any], Any]:
    """The graph, the weights (None: fresh), the model card's facts about them and the
    run's DataInfo (None without a checkpoint)."""
    from dlstudio.export import graph_differences, run_facts

    named = args.project is not None or args.template is not None
    source = weights_source(args)
    if source is not None and args.checkpoint is not None:
        raise UserError("give --checkpoint or --weights/--pretrained, not both: a "
                        "checkpoint holds its own weights")
    if args.checkpoint is None:
        if not named:
            raise UserError("give a PROJECT, --template NAME or --checkpoint FILE to export")
        graph, label = load_graph(args)
        if source is not None:
            return graph, *_loaded_weights(graph, label, source, args.seed), None
        return graph, None, {"source": {"graph": label, "weights": f"freshly initialised "
                                        f"with seed {args.seed}, not trained"}}, None
    from dlstudio.train.checkpoint import CheckpointError, load_checkpoint

    try:
        checkpoint = load_checkpoint(args.checkpoint)
    except CheckpointError as error:
        raise UserError(str(error)) from None
    if named:
        graph, label = load_graph(args)
        differences = graph_differences(graph, checkpoint.graph, (label, "the checkpoint"))
        if differences:
            raise UserError(f"{label} is not the network in {args.checkpoint} "
                            f"({'; '.join(differences)}): leave out {label} to export the "
                            "checkpoint's own graph")
    facts = run_facts(checkpoint.data_info, checkpoint.history, checkpoint.epoch)
    facts["source"] = {"checkpoint": str(args.checkpoint), "epoch": checkpoint.epoch,
                       "data": checkpoint.settings.data}
    return checkpoint.graph, checkpoint.model_state, facts, checkpoint.data_info


def _loaded_weights(graph: Any, label: str, source: str, seed: int
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """The seeded model's state with the weights file loaded over it (layers the file
    does not fill keep their seeded values), and the card's words for it."""
    import torch

    from dlstudio.compile import compile_graph
    from dlstudio.weights import apply_weights

    match = match_weights_to(graph, source)
    torch.manual_seed(seed)
    model = compile_graph(graph)
    apply_weights(model, match)
    return model.state_dict(), {"source": {"graph": label, "weights": match.summary_line()}}


def _print_progress(message: str, fraction: float) -> None:
    print(f"[{fraction:4.0%}] {shown(message)}", file=sys.stderr, flush=True)


def _checks_line(checks: dict[str, Any]) -> str:
    """The checks in a few words, e.g. 'onnx_checker passed, onnxruntime max diff 3e-08'."""
    parts = []
    for name, value in checks.items():
        if isinstance(value, dict) and "max_abs_diff" in value:
            parts.append(f"{name} max diff {value['max_abs_diff']:.1g}")
        elif value == "passed":
            parts.append(f"{name} passed")
    return ", ".join(parts)


COMMAND = Command("export", "export a network to ONNX, TorchScript, a state_dict or source",
                  _add_export, _run_export)
