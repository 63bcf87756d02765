"""The python export with raw input: the graph's class as `Network`, and `Model`, the same
network with the training's preprocessing written out in front of it.

`Model` subclasses `Network` and adds no parameters, so the weights file is the graph's
own state_dict and loads into either class with strict=True.
"""

from __future__ import annotations

import keyword

from dlstudio.compile import generate_source
from dlstudio.export.raw_input import RawInput
from dlstudio.graph import Graph

NETWORK = "Network"


def raw_input_source(graph: Graph, plan: RawInput, class_name: str) -> str:
    """The module text: `Network` (prepared input), then `prepare` and `class_name`."""
    source = generate_source(graph, NETWORK)
    source = source.replace(f"#     model = {NETWORK}()", f"#     model = {class_name}()", 1)
    return source.rstrip("\n") + "\n\n\n" + _prepare_text(plan) + "\n\n" \
        + _model_text(plan, class_name, has_logits="    def logits(" in source)


def _prepare_text(plan: RawInput) -> str:
    arg = _argument(plan.name)
    lines = []
    norm = plan.normalisation
    if norm is not None:
        lines += [f"MEAN = {tuple(norm.mean)!r}  # per {_per(plan)}, from the training data",
                  f"STD = {tuple(norm.std)!r}", "", ""]
    lines += [f"def prepare({arg}: torch.Tensor) -> torch.Tensor:",
              f'    """{_what(plan).capitalize()} -> what {NETWORK} takes.',
              "",
              '    The steps DL Studio applied to the training data, in the same order."""',
              f"    x = {arg} / 255.0  # pixels to 0..1" if plan.kind == "image"
              else f"    x = {arg}"]
    size = plan.resize
    if size is not None:
        shrinking = size[0] < plan.shape[1] or size[1] < plan.shape[2]
        lines += [f"    x = torch.nn.functional.interpolate(x, size={size!r}, mode=\"bilinear\",",
                  f"                                        align_corners=False, "
                  f"antialias={shrinking})"]
    if norm is not None:
        view = "(1, -1, 1, 1)" if plan.kind == "image" else "(-1,)"
        lines += [f"    mean = torch.tensor(MEAN, dtype=x.dtype).view{view}",
                  f"    std = torch.tensor(STD, dtype=x.dtype).view{view}",
                  "    x = (x - mean) / std"]
    if not plan.steps():
        lines.append("    # none: training used the values as they are")
    lines.append("    return x")
    return "\n".join(lines) + "\n"


def _model_text(plan: RawInput, class_name: str, has_logits: bool) -> str:
    arg = _argument(plan.name)
    lines = [f"class {class_name}({NETWORK}):",
             f'    """{NETWORK} with `prepare` in front: {_what(plan)}.',
             "",
             f'    It adds no weights: {NETWORK}\'s state_dict loads into it."""',
             "",
             f"    input_shapes = [{plan.shape!r}]  # one sample, as the data has it",
             "",
             f"    def forward(self, {arg}: torch.Tensor) -> torch.Tensor:",
             f"        return super().forward(prepare({arg}))"]
    if has_logits:
        lines += ["",
                  f"    def logits(self, {arg}: torch.Tensor) -> torch.Tensor:",
                  f"        return super().logits(prepare({arg}))"]
    return "\n".join(lines) + "\n"


def _what(plan: RawInput) -> str:
    if plan.kind == "image":
        return f"raw pixel values 0..255, (batch, {', '.join(map(str, plan.shape))})"
    return f"the data's own values, (batch, {', '.join(map(str, plan.shape))})"


def _per(plan: RawInput) -> str:
    return "channel" if plan.kind == "image" else "feature"


def _argument(name: str) -> str:
    ok = name.isidentifier() and name.isascii() and not keyword.iskeyword(name) \
        and name not in ("torch", "nn", "x", "mean", "std", "prepare", "self")
    return name if ok else "raw"
