"""Freezing ranges: the classic VGG16 exercise and a branching ResNet."""

from __future__ import annotations

import pytest

from dlstudio.graph.errors import GraphError
from dlstudio.graph.freeze import apply_changes, freeze_until_name, train_from
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import build_template


def _trainable(graph) -> dict[str, bool]:
    return {n.name: n.params["trainable"] for n in graph.nodes.values() if n.spec.has_weights}


def test_freeze_up_to_block4_fine_tunes_block5_and_the_head() -> None:
    graph = build_template("vgg16")
    apply_changes(graph, freeze_until_name(graph, "block4_pool"))
    state = _trainable(graph)
    assert not any(on for name, on in state.items() if name[:6] in
                   ("block1", "block2", "block3", "block4"))
    assert all(on for name, on in state.items() if name.startswith(("block5", "fc")))
    summary = summarize(graph)
    assert 0 < summary.trainable_params < summary.total_params
    assert freeze_until_name(graph, "block4_pool") == []  # applied: nothing left to change


def test_train_from_here_is_the_same_cut_seen_from_the_other_side() -> None:
    graph = build_template("vgg16-transfer")  # its base starts frozen
    apply_changes(graph, train_from(graph, graph.node_by_name("block5_conv1").id))
    state = _trainable(graph)
    assert [n for n, on in state.items() if on] == [
        "block5_conv1", "block5_conv2", "block5_conv3", "fc1", "fc2"]


def test_branches_freeze_by_what_feeds_the_node() -> None:
    graph = build_template("resnet18")
    apply_changes(graph, freeze_until_name(graph, "layer2_0_add"))
    state = _trainable(graph)
    # both the main path and the shortcut feed the Add, so both are frozen
    assert not state["layer2_0_conv2"] and not state["layer2_0_down_conv"]
    assert state["layer2_1_conv1"] and state["fc"]


def test_an_unknown_node_is_named() -> None:
    with pytest.raises(GraphError, match="'block9_pool'"):
        freeze_until_name(build_template("vgg16"), "block9_pool")
