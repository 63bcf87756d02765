"""Matching weights files to graphs: torchvision's key names land on the template's
layers (full size on the meta device, shapes only), small variants load for real and
compute what the torchvision-style network computes, and what cannot load is refused in
one line naming the tensor and both shapes."""

from __future__ import annotations

import time

import pytest
import torch

from dlstudio.compile import compile_graph
from dlstudio.graph.freeze import apply_changes, freeze_until_name
from dlstudio.graph.templates import build_template
from dlstudio.weights import WeightsError, apply_weights, match_weights

from .conftest import TvResNet, TvVGG, small_vgg_graph


def meta_state(module_class: type[torch.nn.Module], **kwargs: object
               ) -> dict[str, torch.Tensor]:
    with torch.device("meta"):
        return module_class(**kwargs).state_dict()


def test_vgg16_keys_land_on_the_template_layers() -> None:
    match = match_weights(build_template("vgg16"), meta_state(TvVGG), source="vgg16.pth")
    assert match.by == "structure"
    assert len(match.loaded) == 32 and not (match.missing or match.unexpected
                                            or match.mismatched)
    assert match.sources["block1_conv1.weight"] == "features.0.weight"
    assert match.sources["block5_conv3.bias"] == "features.28.bias"
    assert match.sources["fc1.weight"] == "classifier.0.weight"
    assert match.sources["fc3.bias"] == "classifier.6.bias"


def test_vgg16_transfer_takes_the_base_and_keeps_its_new_head() -> None:
    match = match_weights(build_template("vgg16-transfer"), meta_state(TvVGG),
                          source="vgg16.pth")
    assert len(match.loaded) == 26 and match.new_layers == ["fc1", "fc2"]
    assert ("fc1.weight", (4096, 25088), (1024, 25088)) in match.mismatched
    assert ("fc2.weight", (1000, 4096), (10, 1024)) in match.mismatched
    assert match.sources["fc2.weight"] == "classifier.6.weight"  # head meets head
    assert match.unexpected == ["classifier.3.weight", "classifier.3.bias"]
    line = match.summary_line()
    assert "loaded 26 tensors into 13 layers" in line and "fc1, fc2" in line
    report = match.to_dict()
    assert report["new_layers"] == ["fc1", "fc2"] and report["summary"] == line
    assert {"tensor": "fc2.bias", "file_shape": [1000], "graph_shape": [10]} \
        in report["mismatched"]
    assert "fc1.weight: 4096×25088 -> 1024×25088" in match.format_report()


def test_resnet18_keys_land_on_the_template_layers() -> None:
    match = match_weights(build_template("resnet18"), meta_state(TvResNet))
    assert len(match.loaded) == 122 and not (match.missing or match.unexpected)
    assert match.sources["layer2_0_down_conv.weight"] == "layer2.0.downsample.0.weight"
    assert match.sources["layer2_0_down_bn.running_var"] == "layer2.0.downsample.1.running_var"
    assert match.sources["layer4_1_bn2.num_batches_tracked"] \
        == "layer4.1.bn2.num_batches_tracked"
    assert match.sources["fc.bias"] == "fc.bias"


def test_files_without_num_batches_tracked_still_load_whole() -> None:
    state = {k: v for k, v in meta_state(TvResNet).items() if "num_batches" not in k}
    match = match_weights(build_template("resnet18"), state)
    assert len(match.loaded) == 102 and not match.missing and not match.mismatched


def test_small_vgg_loads_and_computes_the_same(small_tv_vgg: TvVGG) -> None:
    graph = small_vgg_graph()
    match = match_weights(graph, small_tv_vgg.state_dict())
    model = compile_graph(graph).eval()
    apply_weights(model, match)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(model.logits(x), small_tv_vgg(x), atol=1e-5)


def test_resnet18_full_size_loads_and_computes_the_same() -> None:
    torch.manual_seed(0)
    reference = TvResNet().eval()
    for module in reference.modules():  # statistics that are not the defaults
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    started = time.perf_counter()
    model = compile_graph(build_template("resnet18")).eval()
    apply_weights(model, match_weights(build_template("resnet18"), reference.state_dict()))
    seconds = time.perf_counter() - started
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(model.logits(x), reference(x), atol=1e-4)
    assert seconds < 10


def test_own_state_dict_matches_by_name_even_with_another_head() -> None:
    graph = small_vgg_graph()
    state = compile_graph(graph).state_dict()
    match = match_weights(small_vgg_graph(head=(16, 7)), state)
    assert match.by == "name" and match.new_layers == ["fc2"]
    assert match.unexpected == ["fc3.weight", "fc3.bias"]


def test_a_conv_of_another_shape_is_an_error_naming_both_shapes() -> None:
    state = meta_state(TvVGG)
    state["features.2.weight"] = torch.empty(64, 32, 3, 3, device="meta")
    with pytest.raises(WeightsError) as caught:
        match_weights(build_template("vgg16"), state, source="vgg16.pth")
    message = str(caught.value)
    assert "\n" not in message
    assert "vgg16.pth: block1_conv2.weight has shape 64×32×3×3 in the file " \
           "(features.2.weight) but 64×64×3×3 in the graph" in message


def test_a_frozen_layer_must_load() -> None:
    state = compile_graph(small_vgg_graph(head=(16, 16, 5))).state_dict()
    with pytest.raises(WeightsError, match="fc3.weight .* it must load \\(it is frozen\\)"):
        graph = small_vgg_graph(head=(16, 16, 3))
        graph.set_param(graph.node_by_name("fc3").id, "trainable", False)
        match_weights(graph, state)


def head_only(graph_head: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """The Dense layers' tensors of a small VGG, by name: a file without the base."""
    state = compile_graph(small_vgg_graph(head=graph_head)).state_dict()
    return {key: value for key, value in state.items() if key.startswith("fc")}


def test_a_frozen_layer_the_file_lacks_is_an_error() -> None:
    graph = small_vgg_graph(head=(16, 16, 5))
    assert match_weights(graph, head_only((16, 16, 5))).missing  # nothing frozen: fine
    apply_changes(graph, freeze_until_name(graph, "block4_pool"))
    with pytest.raises(WeightsError) as caught:
        match_weights(graph, head_only((16, 16, 5)), source="cls_only.pth")
    assert str(caught.value) == (
        "cls_only.pth: block1_conv1 is frozen but the file has no weights for it (10 frozen "
        "layers get none), so it would stay random and never learn; unfreeze it or load a "
        "file that holds it")


def test_a_template_frozen_base_counts_too() -> None:
    """vgg16-transfer starts with its base frozen: a head-only file leaves it random."""
    graph = small_vgg_graph(head=(16, 5), frozen_base=True)
    with pytest.raises(WeightsError, match=r"block1_conv1 is frozen .* \(13 frozen layers"):
        match_weights(graph, head_only((16, 5)))
    last = graph.node_by_name("block5_conv3").id
    state = {**head_only((16, 5)), **{key: value for key, value in
                                      compile_graph(graph).state_dict().items()
                                      if not key.startswith(("fc", "block5_conv3"))}}
    graph.set_param(last, "trainable", True)
    assert "block5_conv3.weight" in match_weights(graph, state).missing  # trains: fine
    graph.set_param(last, "trainable", False)
    with pytest.raises(WeightsError, match="block5_conv3 is frozen .* \\(1 frozen layer gets"):
        match_weights(graph, state)


def test_nothing_matching_is_an_error() -> None:
    state = {"encoder.weight": torch.zeros(3, 3, 5)}
    with pytest.raises(WeightsError, match=r"^x.pt: no tensor fits this graph \(the file has "
                                           r"1 tensors such as encoder.weight"):
        match_weights(small_vgg_graph(), state, source="x.pt")
