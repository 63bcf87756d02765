"""The one-click fixes of a training health sign: what each would change, whether it can
now (and why not, in words), and applying it as exactly one undo step.

Graph fixes go through GraphEditor (insert after a node, replace a node); settings fixes
through ChangeSettingsCommand, so the settings form shows them and Ctrl+Z takes them back.
"""

from __future__ import annotations

from dataclasses import dataclass

from dlstudio.graph import Graph, GraphError, ShapeReport, format_shape
from dlstudio.train.health_signs import (
    ADD_DROPOUT,
    EARLY_STOPPING,
    FIX_LABELS,
    HALVE_LR,
    INSERT_BATCHNORM,
    USE_LEAKY_RELU,
    HealthSign,
)
from dlstudio.ui.document import Document
from dlstudio.ui.training.settings_command import ChangeSettingsCommand
from dlstudio.ui.training.settings_form import SettingsForm

NODE_FIXES = (INSERT_BATCHNORM, USE_LEAKY_RELU, ADD_DROPOUT)
LOCKED = "Fixes wait until the run ends: the graph and settings are locked while it trains."
LEAKY = "LeakyReLU"
LEAKY_CHOICE = "leaky_relu"
# A node that is, or already feeds, one of these gains nothing from the fix again.
ALREADY = {INSERT_BATCHNORM: ("BatchNorm1d", "BatchNorm2d"), ADD_DROPOUT: ("Dropout", "Dropout2d")}


@dataclass(frozen=True)
class FixOption:
    """One fix as offered: `target` the node it changes (None for a settings fix);
    `problem` why it cannot be applied now, "" when it can."""

    fix: str
    label: str
    target: str | None
    problem: str


def options(document: Document, form: SettingsForm, sign: HealthSign, node_id: str | None,
            locked: bool) -> list[FixOption]:
    """The sign's fixes, best first, each with its target and whether it applies now."""
    return [option(document, form, sign, node_id, fix, locked) for fix in sign.fixes]


def option(document: Document, form: SettingsForm, sign: HealthSign, node_id: str | None,
           fix: str, locked: bool) -> FixOption:
    graph, report = document.graph, document.current_report()
    label = FIX_LABELS.get(fix, fix)
    if fix in NODE_FIXES:
        target = fix_target(graph, report, node_id, fix)
        problem = "" if target is None else _node_problem(graph, report, target, fix)
        if target is None:
            problem = _no_target(graph, node_id, fix)
    else:
        target, problem = None, _settings_problem(form, fix)
    if not problem and locked:
        problem = LOCKED
    return FixOption(fix, label, target, problem)


def fix_target(graph: Graph, report: ShapeReport, node_id: str | None, fix: str) -> str | None:
    """The node a node fix changes: the sign's node; for "Use LeakyReLU" on a layer whose
    output goes straight into a ReLU, that ReLU; for "Add Dropout" on a run-wide sign
    (overfitting), the node that feeds the last layer with weights."""
    if node_id is not None and node_id not in graph.nodes:
        return None
    if node_id is None:
        return _before_last_weighted(graph, report) if fix == ADD_DROPOUT else None
    if fix == USE_LEAKY_RELU and not _leaky_ready(graph, node_id):
        after = graph.edges_out_of(node_id)
        if len(after) == 1 and graph.nodes[after[0].dst].type == "ReLU":
            return after[0].dst
    return node_id


def _before_last_weighted(graph: Graph, report: ShapeReport) -> str | None:
    order = report.order or list(graph.nodes)
    for node_id in reversed(order):
        node = graph.nodes.get(node_id)
        if node is not None and node.spec.has_weights:
            wires = graph.edges_into(node_id)
            return wires[0].src if len(wires) == 1 else None
    return None


def _leaky_ready(graph: Graph, node_id: str) -> bool:
    """The node is a ReLU, or a layer whose activation parameter can be leaky_relu."""
    node = graph.nodes[node_id]
    return node.type == "ReLU" or LEAKY_CHOICE in _activation_choices(node)


def _activation_choices(node) -> tuple[str, ...]:
    for spec in node.spec.params:
        if spec.name == "activation":
            return tuple(getattr(spec, "choices", None) or ())
    return ()


def _no_target(graph: Graph, node_id: str | None, fix: str) -> str:
    if node_id is None:
        return "This sign is about the whole run: there is no one layer to change."
    if node_id not in graph.nodes:
        return "The layer this sign was about is no longer in the graph."
    return f"{graph.nodes[node_id].name} has no layer this fix applies to."


def batchnorm_type(shape: tuple[int, ...] | None) -> str | None:
    """BatchNorm1d after a vector (or channels × length), BatchNorm2d after an image."""
    if shape is None:
        return None
    return {1: "BatchNorm1d", 2: "BatchNorm1d", 3: "BatchNorm2d"}.get(len(shape))


def _node_problem(graph: Graph, report: ShapeReport, target: str, fix: str) -> str:
    node = graph.nodes[target]
    if fix == USE_LEAKY_RELU:
        if not _leaky_ready(graph, target):
            return f"{node.name} is a {node.type}, not a ReLU."
        return ""
    if "out" not in node.output_ports:
        return f"{node.name} has no output to put a layer after."
    shape = report.shapes.get(target)
    if shape is None:
        return f"{node.name} has no output shape yet: fix the problems above first."
    if target in report.token_nodes:
        return f"{node.name} gives token ids, which cannot be normalised or dropped."
    if fix == INSERT_BATCHNORM and batchnorm_type(shape) is None:
        return (f"BatchNorm needs a vector or an image, and {node.name} gives "
                f"{format_shape(shape)}.")
    kinds = ALREADY[fix]
    after = [graph.nodes[e.dst] for e in graph.edges_out_of(target)]
    there = node if node.type in kinds else next((n for n in after if n.type in kinds), None)
    if there is not None:
        return f"{node.name} already has {there.name} ({there.type}) there."
    return ""


def _settings_problem(form: SettingsForm, fix: str) -> str:
    values = form.values()
    if fix == EARLY_STOPPING and values.get("early_stopping"):
        return "Early stopping is already on."
    if fix == HALVE_LR and not isinstance(values.get("lr"), float):
        return "The learning rate field does not hold a number."
    if fix not in (HALVE_LR, EARLY_STOPPING):
        return "This version of DL Studio does not know this fix."
    return ""


def apply(document: Document, form: SettingsForm, chosen: FixOption) -> str:
    """Apply one fix as one undo step; returns what was done, in words (for the status
    bar). Raises GraphError when the graph refuses (the stack is left as it was)."""
    if chosen.problem:
        raise GraphError(chosen.problem)
    editor, graph = document.editor, document.graph
    if chosen.fix == HALVE_LR:
        old = float(form.values()["lr"])
        text = f"Halve the learning rate ({old:g} → {old / 2:g})"
        document.undo_stack.push(ChangeSettingsCommand(document, form, {"lr": old / 2}, text))
        return text
    if chosen.fix == EARLY_STOPPING:
        text = "Turn on early stopping"
        document.undo_stack.push(ChangeSettingsCommand(document, form,
                                                       {"early_stopping": True}, text))
        return text
    assert chosen.target is not None
    node = graph.node(chosen.target)
    if chosen.fix == USE_LEAKY_RELU:
        if node.type == "ReLU":
            text = f"Make {node.name} a LeakyReLU"
            editor.replace_node(node.id, LEAKY, text=text)
        else:
            text = f"Set {node.name}'s activation to LeakyReLU"
            editor.set_param(node.id, "activation", LEAKY_CHOICE)
        return text
    if chosen.fix == INSERT_BATCHNORM:
        kind = batchnorm_type(document.current_report().shapes.get(node.id))
        assert kind is not None
        text = f"Insert {kind} after {node.name}"
        editor.insert_after(node.id, kind, text=text)
        return text
    text = f"Add Dropout after {node.name}"
    editor.insert_after(node.id, "Dropout", text=text)
    return text
