"""Training health checks: after every epoch, signs that a run is not training well, each
with the one-click fixes that address it (health_signs.py).

Per layer: vanishing and exploding gradients (from the epoch's weight and gradient norms),
ReLU layers whose units have died (dead_units.py). Per run: a loss that does not fall, a
loss that jumps up, overfitting. The checks read plain numbers only (no torch, no Qt).

A sign is identified by its kind and node. It is recorded once, with the epoch it first
appeared at, and stays in `EpochStats.health` unchanged while it holds; when it stops
holding it leaves the set, and comes back as a new sign if it appears again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dlstudio.graph import Graph
from dlstudio.graph.inference import upstream_of
from dlstudio.train.events import EpochStats
from dlstudio.train.health_signs import (
    ADD_DROPOUT,
    DEAD_RELU,
    EARLY_STOPPING,
    EXPLODING_GRADIENTS,
    HALVE_LR,
    INSERT_BATCHNORM,
    KINDS,
    LOSS_FLAT,
    LOSS_JUMPS,
    OVERFITTING,
    USE_LEAKY_RELU,
    VANISHING_GRADIENTS,
    HealthSign,
)
from dlstudio.train.runaway import RUNAWAY_FACTOR, short

# Vanishing: a layer's gradient, relative to its weights, under this share of the largest
# such ratio among the layers after it. Healthy networks stay within ~100x of each other
# (cnn-small: 1/25); a stack of eight Dense+Sigmoid layers puts its first ones at 1e-6.
# Only relative: a run that has learned its data has tiny gradients everywhere, rightly.
VANISHING_SHARE = 1e-3
# Exploding: a gradient this many times its layer's weights (healthy: under ~3, the
# output layer the largest), or this large outright...
EXPLODING_RATIO = 100.0
EXPLODING_NORM = 1e4
# ...or one that grew this many times in each of the last two epochs and is now above
# the layer's weights (last-batch gradients wobble 2-3x from epoch to epoch).
EXPLODING_GROWTH = 10.0
# Normalisation layers are not judged for vanishing gradients, nor compared against: their
# weights are a per-channel scale that starts at 1, and its gradient says how that scale
# should change, not how much gradient passes through to the layers before. Measured on
# a deep Sigmoid stack with BatchNorm inserted after its first Dense layers, the scales'
# ratios sat 20-50x below those of the Dense layers they follow, and each was flagged as
# vanishing after the fix that inserted it (tests/train/test_health.py).
NORMALISATION_TYPES = frozenset({"BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm",
                                 "InstanceNorm2d"})
# Dead ReLU: this share of the layer's units gave 0 for every sample measured.
DEAD_FRACTION = 0.9
# Loss flat: after this many epochs the training loss is still within this share of
# where it began (the run's first batch, before any step).
FLAT_EPOCHS = 3
FLAT_DROP = 0.05
# A flat loss is erratic when the measured batches spread over this share of their mean.
ERRATIC_SPREAD = 0.5
# Loss jumps: an epoch's training loss this share above the previous epoch's, by at least
# JUMP_MIN_SHARE of where the run began (so 0.010 -> 0.013 near the end is no jump); or
# measured batches further apart than SWING_SHARE of the starting loss (healthy batches
# late or early in a run differ by a fraction of it).
JUMP_RISE = 0.25
JUMP_MIN_SHARE = 0.05
SWING_SHARE = 1.0
# Overfitting: validation loss rose in each of this many epochs, by this share of it in
# all, while training loss fell (and has fallen from where it began: a stuck run's
# validation loss wobbles too); it holds while the validation loss stays this far above
# its best.
OVERFIT_EPOCHS = 2
OVERFIT_RISE = 0.01
OVERFIT_MARGIN = 0.02

_ORDER = {kind: index for index, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class _Found:
    kind: str
    node: str
    message: str
    fixes: tuple[str, ...]


class HealthWatch:
    """Checks one run epoch by epoch. `layers`: the trainable layers with weights, in the
    model's order; `relus`: the ReLU layers; `dropout_node`: the node a Dropout would go
    after against overfitting ("" when there is no hidden layer, or one is there);
    `early_stopping`: whether the run stops early already."""

    def __init__(self, graph: Graph, layers: Sequence[str], *, early_stopping: bool) -> None:
        self.graph = graph
        self.layers = list(layers)
        self.early_stopping = early_stopping
        self.dropout_node = _dropout_node(graph, self.layers)
        self.normalising = {node.name for node in graph.nodes.values()
                            if node.type in NORMALISATION_TYPES}
        self.current: dict[tuple[str, str], HealthSign] = {}
        self._jump_floor: float | None = None  # the loss before a jump that still holds

    @classmethod
    def for_model(cls, graph: Graph, model: Any, early_stopping: bool,
                  history: Sequence[EpochStats] = ()) -> HealthWatch:
        """The watch for `model` (an nn.Module: its layers with trainable weights, by
        name), carrying on from `history` when the run was resumed."""
        layers = [name for name, layer in model.named_children()
                  if any(p.requires_grad for p in layer.parameters())]
        watch = cls(graph, layers, early_stopping=early_stopping)
        watch.resume(history)
        return watch

    def resume(self, history: Sequence[EpochStats]) -> None:
        """Carry on from a resumed run: its last epoch's signs still hold until checked."""
        if history:
            self.current = {(s.kind, s.node): s for s in history[-1].health}
            losses = [h.train.get("loss", math.nan) for h in history]
            if (LOSS_JUMPS, "") in self.current:
                self._jump_floor = min((v for v in losses if math.isfinite(v)), default=None)

    def check(self, stats: EpochStats, history: Sequence[EpochStats],
              batch_losses: Sequence[float], start: float | None) -> tuple[HealthSign, ...]:
        """The signs that hold after `stats` (not yet in `history`, the epochs before it).
        `batch_losses`: the epoch's last measured batches; `start`: the run's first
        batch loss (None when unknown: the first epoch's loss stands in)."""
        loss = stats.train.get("loss", math.nan)
        if start is None or not math.isfinite(start) or start <= 0:
            first = history[0] if history else stats
            start = first.train.get("loss", math.nan)
        found = self._dead(stats)
        dead = {f.node for f in found}
        found += self._gradients(stats, history, dead)
        if math.isfinite(loss) and math.isfinite(start) and start > 0:
            jumps = self._jumps(stats, history, batch_losses, start)
            found += jumps
            if not found:  # a dead, vanishing or jumping run explains a flat loss
                found += self._flat(stats, batch_losses, start)
            if loss < start * (1 - FLAT_DROP):  # only a run that learns can overfit
                found += self._overfitting(stats, history)
        signs = []
        for item in sorted(found, key=lambda f: _ORDER[f.kind]):
            key = (item.kind, item.node)
            signs.append(self.current.get(key) or HealthSign(
                item.kind, item.node, stats.epoch, item.message, item.fixes))
        self.current = {(s.kind, s.node): s for s in signs}
        return tuple(signs)

    # ----- per layer ---------------------------------------------------------------------
    def _dead(self, stats: EpochStats) -> list[_Found]:
        return [_Found(DEAD_RELU, name, f"{fraction:.0%} of its units gave 0 for every "
                       "sample of the epoch's last batches: dead units pass no gradient "
                       "back and stop learning (dying ReLU)", (USE_LEAKY_RELU,))
                for name, fraction in stats.dead_units.items()
                if math.isfinite(fraction) and fraction >= DEAD_FRACTION]

    def _gradients(self, stats: EpochStats, history: Sequence[EpochStats],
                   dead: set[str]) -> list[_Found]:
        ratios = {}
        for name in self.layers:
            norms = stats.layer_stats.get(name, {})
            weight, grad = norms.get("weight_norm", math.nan), norms.get("grad_norm", math.nan)
            if math.isfinite(weight) and math.isfinite(grad) and weight > 0:
                ratios[name] = grad / weight  # how fast a step would move the layer
        behind_dead = self._upstream(dead)
        found = []
        for index, name in enumerate(self.layers):
            if name not in ratios:
                continue
            last = index == len(self.layers) - 1
            later = [ratios[n] for n in self.layers[index + 1:]
                     if n in ratios and n not in self.normalising]
            grad = stats.layer_stats[name]["grad_norm"]
            exploding = self._exploding(name, grad, ratios[name], history)
            if exploding:
                fixes = (HALVE_LR,) if last or name in self.normalising \
                    else (HALVE_LR, INSERT_BATCHNORM)
                found.append(_Found(EXPLODING_GRADIENTS, name, exploding, fixes))
            elif later and name not in behind_dead and name not in self.normalising \
                    and math.isfinite(max(later)) \
                    and ratios[name] < VANISHING_SHARE * max(later):
                share = ratios[name] / max(later)
                amount = "no gradient at all" if share == 0 else \
                    f"gradients {short(share)} the size of the later layers' (each " \
                    "measured against its weights)"
                message = (f"it gets {amount}, so it barely learns (vanishing gradients, "
                           "as in deep or saturated stacks of Sigmoid or Tanh)")
                normaliser = self._normaliser_after(name)
                if normaliser:  # its own BatchNorm is there: the loss is further on
                    bare = [n for n in self.layers[index + 1:-1]
                            if n not in self.normalising and not self._normaliser_after(n)]
                    where = f" (first {bare[0]}, which has none)" if bare else ""
                    found.append(_Found(VANISHING_GRADIENTS, name, (
                        f"{message}; it already feeds {normaliser}, so the gradient fades "
                        f"in the layers after it{where}"), ()))
                else:
                    found.append(_Found(VANISHING_GRADIENTS, name, message,
                                        (INSERT_BATCHNORM,)))
        return found

    def _normaliser_after(self, name: str) -> str:
        """The normalisation layer `name` feeds directly, or ""."""
        node = next((n for n in self.graph.nodes.values() if n.name == name), None)
        if node is None:
            return ""
        return next((self.graph.nodes[e.dst].name for e in self.graph.edges_out_of(node.id)
                     if self.graph.nodes[e.dst].type in NORMALISATION_TYPES), "")

    def _exploding(self, name: str, grad: float, ratio: float,
                   history: Sequence[EpochStats]) -> str:
        if ratio > EXPLODING_RATIO:
            return (f"its gradient is {short(ratio)} times the size of its weights: one "
                    "step can throw the layer far off (exploding gradients)")
        if grad > EXPLODING_NORM:
            return (f"its gradient norm {short(grad)} is huge: one step can throw the "
                    "layer far off (exploding gradients)")
        before = [h.layer_stats.get(name, {}).get("grad_norm", math.nan) for h in history[-2:]]
        if len(before) == 2 and all(math.isfinite(g) and g > 0 for g in before) \
                and ratio > 1 and grad >= EXPLODING_GROWTH * before[1] \
                and before[1] >= EXPLODING_GROWTH * before[0]:
            return (f"its gradient norm grew from {short(before[0])} to {short(grad)} in "
                    "two epochs (exploding gradients)")
        return ""

    def _upstream(self, names: set[str]) -> set[str]:
        """Every node that feeds one of `names`: a dead ReLU gives them no gradient."""
        by_name = {node.name: node for node in self.graph.nodes.values()}
        seen: set[str] = set()
        for name in names & by_name.keys():
            node_id = by_name[name].id
            seen |= upstream_of(self.graph, node_id) - {node_id}
        return {self.graph.nodes[i].name for i in seen}

    # ----- per run -----------------------------------------------------------------------
    def _jumps(self, stats: EpochStats, history: Sequence[EpochStats],
               batch_losses: Sequence[float], start: float) -> list[_Found]:
        loss = stats.train["loss"]
        previous = history[-1].train.get("loss", math.nan) if history else math.nan
        message = ""
        if stats.warning:  # the runaway warning says it on the epoch line already
            message = stats.warning
        elif loss > RUNAWAY_FACTOR * start:
            message = (f"training loss {short(loss)} is still far above where it began "
                       f"({short(start)}): the learning rate is too high")
        elif math.isfinite(previous) and loss > previous * (1 + JUMP_RISE) \
                and loss - previous > JUMP_MIN_SHARE * start:
            message = (f"training loss rose from {short(previous)} to {short(loss)}: the "
                       "learning rate is probably too high")
        elif len(batch_losses) > 1 and max(batch_losses) - min(batch_losses) > \
                SWING_SHARE * start:
            message = (f"training loss swings between {short(min(batch_losses))} and "
                       f"{short(max(batch_losses))} from batch to batch: the learning "
                       "rate is probably too high")
        elif self._jump_floor is not None and (LOSS_JUMPS, "") in self.current \
                and loss > self._jump_floor * (1 + JUMP_RISE) \
                and loss - self._jump_floor > JUMP_MIN_SHARE * start:
            message = self.current[(LOSS_JUMPS, "")].message  # still above where it was
        if not message:
            self._jump_floor = None
            return []
        if self._jump_floor is None:
            losses = [h.train.get("loss", math.nan) for h in history]
            self._jump_floor = min((v for v in losses if math.isfinite(v)), default=start)
        return [_Found(LOSS_JUMPS, "", message, (HALVE_LR,))]

    def _flat(self, stats: EpochStats, batch_losses: Sequence[float],
              start: float) -> list[_Found]:
        loss = stats.train["loss"]
        if stats.epoch < FLAT_EPOCHS or loss < start * (1 - FLAT_DROP):
            return []
        moved = f"training loss has barely moved in {stats.epoch} epochs " \
                f"({short(start)} -> {short(loss)})"
        mean = sum(batch_losses) / len(batch_losses) if batch_losses else 0.0
        if mean > 0 and (max(batch_losses) - min(batch_losses)) / mean > ERRATIC_SPREAD:
            return [_Found(LOSS_FLAT, "", f"{moved} and jumps around from batch to batch: "
                           "the learning rate is probably too high (halve it, or find one "
                           "with the learning-rate finder)", (HALVE_LR,))]
        return [_Found(LOSS_FLAT, "", f"{moved}: the learning rate may be too low (or too "
                       "high); the learning-rate finder suggests one", ())]

    def _overfitting(self, stats: EpochStats, history: Sequence[EpochStats]) -> list[_Found]:
        epochs = [*history, stats]
        val = [h.val.get("loss", math.nan) for h in epochs]
        train = [h.train.get("loss", math.nan) for h in epochs]
        if not math.isfinite(val[-1]):
            return []
        best = min((v for v in val if math.isfinite(v)), default=math.nan)
        key = (OVERFITTING, self.dropout_node)
        holding = key in self.current and val[-1] > best * (1 + OVERFIT_MARGIN)
        recent = range(len(epochs) - OVERFIT_EPOCHS, len(epochs))
        rising = len(epochs) > OVERFIT_EPOCHS and all(
            val[i] > val[i - 1] and train[i] < train[i - 1] for i in recent) \
            and val[-1] - val[-1 - OVERFIT_EPOCHS] > OVERFIT_RISE * val[-1 - OVERFIT_EPOCHS]
        if not (holding or rising):
            return []
        low = val.index(best) if math.isfinite(best) else 0
        fixes = ((ADD_DROPOUT,) if self.dropout_node else ()) \
            + (() if self.early_stopping else (EARLY_STOPPING,))
        return [_Found(OVERFITTING, self.dropout_node, (
            f"validation loss rose from {short(best)} (epoch {epochs[low].epoch}) to "
            f"{short(val[-1])} while training loss fell to {short(train[-1])}: the network "
            "is learning its training samples by heart (overfitting)"), fixes)]


def _dropout_node(graph: Graph, layers: Sequence[str]) -> str:
    """The node whose output feeds the last layer with weights: a Dropout after it is
    the usual cure for overfitting. "" when that is an Input or a Dropout already."""
    by_name = {node.name: node for node in graph.nodes.values()}
    last = by_name.get(layers[-1]) if layers else None
    if last is None or not last.input_ports:
        return ""
    edge = graph.edge_into(last.id, last.input_ports[0])
    source = graph.nodes[edge.src] if edge is not None else None
    if source is None or source.type in ("Input", "Dropout"):
        return ""
    return source.name


def new_signs(stats: EpochStats) -> list[HealthSign]:
    """The signs first seen at this epoch, to print under its line; a loss-jump sign
    is left out when the epoch's runaway warning already says it."""
    return [sign for sign in stats.health if sign.epoch == stats.epoch
            and not (stats.warning and sign.kind == LOSS_JUMPS)]
