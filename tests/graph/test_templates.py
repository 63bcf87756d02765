"""Every template builds, checks out, and has exactly the parameters of the architecture
written by hand in plain PyTorch (and of the published numbers where there are some).

torchvision is not installed, so VGG16 and ResNet-18 are written out here as torchvision
defines them. Big models are built on the meta device: shapes and counts, no memory.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlstudio.graph import infer_shapes
from dlstudio.graph.summary import summarize
from dlstudio.graph.templates import (
    TEMPLATES,
    UnknownTemplateError,
    build_template,
    template_info,
    template_names,
)

DESIGN_NAMES = [
    "linear-regression", "logistic-regression", "xor", "mlp", "cnn-small", "cnn-two-block",
    "cnn-compact", "lenet5", "vgg16", "vgg16-transfer", "resnet18", "lstm-text",
    "transformer-text",
]

# Published counts: torchvision's model docs (vgg16, resnet18); the Keras "Simple MNIST
# convnet" example (cnn-compact); LeNet-5 with a 28x28 input padded by 2 (the classic
# 32x32 LeNet-5 count); the Keras MNIST MLP with one hidden layer of 128.
PUBLISHED = {
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "cnn-compact": 34_826,
    "lenet5": 61_706,
    "mlp": 101_770,
}


# ----- the same architectures in plain PyTorch -------------------------------------------
class VGG16(nn.Module):
    """torchvision.models.vgg16 (configuration "D"), without its no-op 7x7 adaptive pool."""

    def __init__(self, frozen_head: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for width in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                      512, 512, 512, "M"):
            if width == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(channels, width, 3, padding=1), nn.ReLU(inplace=True)]
                channels = width
        self.features = nn.Sequential(*layers)
        if frozen_head:  # vgg16-transfer: the base frozen, a new small head
            self.features.requires_grad_(False)
            self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 1024), nn.ReLU(),
                                            nn.Linear(1024, 10))
        else:
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.classifier(torch.flatten(self.features(x), 1)), -1)


class BasicBlock(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    """torchvision.models.resnet18."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        blocks, inplanes = [], 64
        for planes, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes, 1)]
            inplanes = planes
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, 1000)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layers(self.stem(x)).mean(dim=(2, 3))
        return torch.softmax(self.fc(x), -1)


class CharLSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(128, 32)
        self.lstm = nn.LSTM(32, 128, batch_first=True)
        self.fc = nn.Linear(128, 128)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embedding(tokens))
        return torch.softmax(self.fc(out[:, -1]), -1)


class CharTransformer(nn.Module):
    """Two pre-norm GELU encoder layers over embedded characters plus learned positions;
    the last step predicts the next character."""

    def __init__(self) -> None:
        super().__init__()
        self.embedding = nn.Embedding(128, 64)
        self.positions = nn.Parameter(torch.zeros(40, 64))
        self.blocks = nn.Sequential(*(
            nn.TransformerEncoderLayer(64, 4, 128, 0.1, activation="gelu", batch_first=True,
                                       norm_first=True) for _ in range(2)))
        self.norm = nn.LayerNorm(64)
        self.fc = nn.Linear(64, 128)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        steps = self.norm(self.blocks(self.embedding(tokens) + self.positions))
        return torch.softmax(self.fc(steps[:, -1]), -1)


def _conv_net(*convs: tuple[int, int], head: tuple[int, ...], dropout: bool = False):
    """MNIST convnets: 3x3 valid convolutions with ReLU and MaxPool 2, then Dense layers."""
    layers: list[nn.Module] = []
    channels, size = 1, 28
    for _, filters in convs:
        layers += [nn.Conv2d(channels, filters, 3), nn.ReLU(), nn.MaxPool2d(2)]
        channels, size = filters, (size - 2) // 2
    layers += [nn.Flatten()] + ([nn.Dropout(0.5)] if dropout else [])
    width = channels * size * size
    for index, units in enumerate(head):
        layers.append(nn.Linear(width, units))
        layers.append(nn.ReLU() if index < len(head) - 1 else nn.Softmax(-1))
        width = units
    return nn.Sequential(*layers)


REFERENCES = {
    "linear-regression": (lambda: nn.Linear(1, 1), (1,)),
    "logistic-regression": (lambda: nn.Sequential(nn.Linear(2, 1), nn.Sigmoid()), (2,)),
    "xor": (lambda: nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid()),
            (2,)),
    "mlp": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                                  nn.Linear(128, 10), nn.Softmax(-1)), (1, 28, 28)),
    "cnn-small": (lambda: _conv_net((1, 32), head=(128, 10)), (1, 28, 28)),
    "cnn-two-block": (lambda: _conv_net((1, 32), (32, 64), head=(128, 10)), (1, 28, 28)),
    "cnn-compact": (lambda: _conv_net((1, 32), (32, 64), head=(10,), dropout=True),
                    (1, 28, 28)),
    "lenet5": (lambda: nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
        nn.Softmax(-1)), (1, 28, 28)),
    "vgg16": (VGG16, (3, 224, 224)),
    "vgg16-transfer": (lambda: VGG16(frozen_head=True), (3, 224, 224)),
    "resnet18": (ResNet18, (3, 224, 224)),
    "lstm-text": (CharLSTM, (40,)),
    "transformer-text": (CharTransformer, (40,)),
}


def _on_meta(name: str) -> tuple[nn.Module, tuple[int, ...]]:
    """The reference model and its output shape for one sample, computed on meta tensors."""
    factory, sample = REFERENCES[name]
    with torch.device("meta"):
        model = factory()
        dtype = torch.long if name.endswith("-text") else torch.float32
        out = model(torch.zeros(1, *sample, dtype=dtype))
    return model, tuple(out.shape[1:])


def _count(model: nn.Module, trainable_only: bool = False) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


# ----- tests -----------------------------------------------------------------------------
def test_names_are_the_fixed_ones_in_order() -> None:
    # templates added since DESIGN.md (autoencoder, ...) may sit among them
    assert [name for name in template_names() if name in DESIGN_NAMES] == DESIGN_NAMES
    assert [name for name in TEMPLATES if name in DESIGN_NAMES] == DESIGN_NAMES


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_template_builds_checks_and_matches_plain_pytorch(name: str) -> None:
    graph = build_template(name)
    report = infer_shapes(graph)
    assert report.ok, report.problems
    assert report.problems == []  # no warnings either: every node leads to the Output
    summary = summarize(graph)
    reference, out_shape = _on_meta(name)
    assert summary.total_params == _count(reference)
    assert summary.trainable_params == _count(reference, trainable_only=True)
    assert summary.output_shape == out_shape
    if name in PUBLISHED:
        assert summary.total_params == PUBLISHED[name]


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_template_info_and_readable_names(name: str) -> None:
    info = template_info(name)
    assert info.name == name and info.title and info.description and info.category
    graph = build_template(name)
    names = {node.name for node in graph.nodes.values()}
    assert "output" in names and not any(n.startswith(("input_", "dense_")) for n in names)
    positions = [node.position for node in graph.nodes.values()]
    assert len(set(positions)) == len(positions)  # laid out, no two nodes stacked


@pytest.mark.parametrize("name", [n for n in DESIGN_NAMES if n not in
                                  ("linear-regression", "logistic-regression", "xor")])
def test_classifiers_end_in_softmax_then_cross_entropy(name: str) -> None:
    graph = build_template(name)
    output = graph.node_by_name("output")
    (wire,) = graph.edges_into(output.id)
    assert graph.nodes[wire.src].type == "Softmax"
    assert output.params["loss"] == "cross_entropy"


def test_binary_and_regression_losses() -> None:
    assert build_template("linear-regression").node_by_name("output").params["loss"] == "mse"
    for name in ("logistic-regression", "xor"):
        graph = build_template(name)
        assert graph.node_by_name("output").params["loss"] == "binary_cross_entropy"
        assert graph.node_by_name("features").params["shape"] == (2,)


def test_known_layer_counts() -> None:
    def count(name: str, type_name: str) -> int:
        return len(build_template(name).nodes_of_type(type_name))

    assert count("vgg16", "Conv2d") == 13 and count("vgg16", "MaxPool2d") == 5
    assert count("resnet18", "Conv2d") == 20  # 1 + 16 in blocks + 3 downsample
    assert count("resnet18", "Add") == 8 and count("resnet18", "BatchNorm2d") == 20
    transfer = build_template("vgg16-transfer")
    assert all(not n.params["trainable"] for n in transfer.nodes_of_type("Conv2d"))
    assert all(n.params["trainable"] for n in transfer.nodes_of_type("Dense"))


def test_each_build_is_a_fresh_graph() -> None:
    first, second = build_template("mlp"), build_template("mlp")
    first.set_param(first.node_by_name("fc1").id, "units", 64)
    assert second.node_by_name("fc1").params["units"] == 128


def test_unknown_template_lists_the_valid_names() -> None:
    with pytest.raises(UnknownTemplateError) as caught:
        build_template("vgg19")
    assert "vgg19" in str(caught.value) and "resnet18" in str(caught.value)
    with pytest.raises(UnknownTemplateError):
        template_info("nope")


@pytest.mark.parametrize("name", DESIGN_NAMES)
def test_compiled_model_has_the_summary_counts(name: str) -> None:
    compile_package = pytest.importorskip("dlstudio.compile")
    if not hasattr(compile_package, "compile_graph"):
        pytest.skip("dlstudio.compile.compile_graph is not written yet")
    graph = build_template(name)
    with torch.device("meta"):  # real modules, no memory for VGG16's 138 M weights
        model = compile_package.compile_graph(graph)
    summary = summarize(graph)
    assert _count(model) == summary.total_params
    assert _count(model, trainable_only=True) == summary.trainable_params
