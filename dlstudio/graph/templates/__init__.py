"""The built-in templates: ready-made networks to start from, by their fixed names.

Names are a contract (the command line and outside scripts use them). Every template is
built fresh on request, laid out left to right, with readable node names (conv1, pool1,
fc1) that also become the attribute names of the compiled model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dlstudio.graph.layout import apply_layout
from dlstudio.graph.model import Graph
from dlstudio.graph.templates import autoencoders, basic, deep
from dlstudio.graph.templates.basic import TEXT_SEQUENCE_LENGTH, TEXT_VOCAB_SIZE
from dlstudio.graph.templates.builder import Builder


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    title: str
    description: str
    category: str


@dataclass(frozen=True)
class Template:
    info: TemplateInfo
    build: Callable[[Builder], None]


class UnknownTemplateError(LookupError):
    """A template name that does not exist; the message lists the ones that do."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown template {name!r}; choose one of: "
                         + ", ".join(template_names()))
        self.name = name


def _template(name: str, title: str, category: str, description: str,
              build: Callable[[Builder], None]) -> tuple[str, Template]:
    return name, Template(TemplateInfo(name, title, description, category), build)


TEMPLATES: dict[str, Template] = dict([
    _template("linear-regression", "Linear regression", "basics",
              "One Dense unit on one input: y = wx + b, trained with mean squared error",
              basic.linear_regression),
    _template("logistic-regression", "Logistic regression", "basics",
              "One Dense unit and a sigmoid on 2 features: binary classification",
              basic.logistic_regression),
    _template("xor", "XOR", "basics",
              "2 inputs, a hidden layer of 8 tanh units, a sigmoid output: learns XOR",
              basic.xor),
    _template("mlp", "Multilayer perceptron", "images",
              "28x28 image -> Flatten -> Dense 128 ReLU -> Dense 10 softmax",
              basic.mlp),
    _template("cnn-small", "Small CNN", "images",
              "28x28x1: Conv 32 3x3 ReLU, MaxPool 2, Flatten, Dense 128 ReLU, Dense 10 softmax",
              basic.cnn_small),
    _template("cnn-two-block", "Two-block CNN", "images",
              "Conv 32 3x3, MaxPool, Conv 64 3x3, MaxPool, Flatten, Dense 128, Dense 10",
              basic.cnn_two_block),
    _template("cnn-compact", "Compact CNN (Keras MNIST example)", "images",
              "Conv 32 3x3, MaxPool, Conv 64 3x3, MaxPool, Flatten, Dropout, Dense 10",
              basic.cnn_compact),
    _template("lenet5", "LeNet-5", "images",
              "LeNet-5 on 28x28 (padding 2 on the first convolution), tanh, average pooling",
              basic.lenet5),
    _template("vgg16", "VGG16", "architectures",
              "VGG16 with its 1000-class top on 224x224x3 (as torchvision builds it)",
              deep.vgg16),
    _template("vgg16-transfer", "VGG16 transfer learning", "architectures",
              "Frozen VGG16 convolutional base, Flatten, Dense 1024 ReLU, Dense 10",
              deep.vgg16_transfer),
    _template("resnet18", "ResNet-18", "architectures",
              "ResNet-18 with BatchNorm and skip connections through Add nodes, 224x224x3",
              deep.resnet18),
    _template("lstm-text", "LSTM next-character model", "sequences",
              f"{TEXT_SEQUENCE_LENGTH} ASCII characters -> Embedding -> LSTM 128 -> "
              f"Dense {TEXT_VOCAB_SIZE} softmax: predicts the next character",
              basic.lstm_text),
    _template("char-rnn", "Character LSTM (primer)", "sequences",
              f"{TEXT_SEQUENCE_LENGTH} one-hot characters -> LSTM 128 returning every step "
              f"-> Dense {TEXT_VOCAB_SIZE} per step: the next character after each one",
              basic.char_rnn),
    _template("transformer-text", "Transformer next-character model", "sequences",
              f"{TEXT_SEQUENCE_LENGTH} ASCII characters -> Embedding + positions -> 2 "
              f"transformer blocks -> last step -> Dense {TEXT_VOCAB_SIZE} softmax",
              basic.transformer_text),
    _template("autoencoder", "Autoencoder", "images",
              "28x28 digit -> Dense 128 -> Dense 32 (the code) -> Dense 128 -> Dense 784 "
              "sigmoid -> 28x28: trained to give back its input (target: the input)",
              autoencoders.autoencoder),
])


def template_names() -> list[str]:
    return list(TEMPLATES)


def _lookup(name: str) -> Template:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownTemplateError(name) from None


def template_info(name: str) -> TemplateInfo:
    return _lookup(name).info


def build_template(name: str) -> Graph:
    """A new graph of the template, laid out; each call returns an independent copy."""
    builder = Builder()
    _lookup(name).build(builder)
    apply_layout(builder.graph)
    return builder.graph


__all__ = [
    "TEMPLATES", "TEXT_SEQUENCE_LENGTH", "TEXT_VOCAB_SIZE", "Template", "TemplateInfo",
    "UnknownTemplateError", "build_template", "template_info", "template_names",
]
