"""The small templates: regressions, XOR, an MLP, the MNIST convnets, LeNet-5, an LSTM and
a small transformer."""

from __future__ import annotations

from dlstudio.graph.templates.builder import Builder

MNIST = (1, 28, 28)
# lstm-text and transformer-text read 40 characters and predict the next one. Characters
# are their ASCII codes (the data side maps text to codes below 128), so the vocabulary is
# 128 wide.
TEXT_VOCAB_SIZE = 128
TEXT_SEQUENCE_LENGTH = 40


def linear_regression(b: Builder) -> None:
    b.add("Input", "features", kind="vector", shape=(1,))
    b.add("Dense", "linear", units=1)
    b.add("Output", "output", loss="mse")


def logistic_regression(b: Builder) -> None:
    b.add("Input", "features", kind="vector", shape=(2,))
    b.add("Dense", "linear", units=1)
    b.add("Sigmoid", "sigmoid")
    b.add("Output", "output", loss="binary_cross_entropy")


def xor(b: Builder) -> None:
    b.add("Input", "features", kind="vector", shape=(2,))
    b.add("Dense", "fc1", units=8)
    b.add("Tanh", "tanh")
    b.add("Dense", "fc2", units=1)
    b.add("Sigmoid", "sigmoid")
    b.add("Output", "output", loss="binary_cross_entropy")


def mlp(b: Builder) -> None:
    b.add("Input", "image", kind="image", shape=MNIST)
    b.add("Flatten", "flatten")
    b.add("Dense", "fc1", units=128)
    b.add("ReLU", "relu1")
    b.add("Dense", "fc2", units=10)
    b.classifier_end()


def _conv_block(b: Builder, index: int, filters: int) -> None:
    b.add("Conv2d", f"conv{index}", filters=filters, kernel_size=3)
    b.add("ReLU", f"relu{index}")
    b.add("MaxPool2d", f"pool{index}", kernel_size=2)


def cnn_small(b: Builder) -> None:
    b.add("Input", "image", kind="image", shape=MNIST)
    _conv_block(b, 1, 32)
    b.add("Flatten", "flatten")
    b.add("Dense", "fc1", units=128)
    b.add("ReLU", "fc1_relu")
    b.add("Dense", "fc2", units=10)
    b.classifier_end()


def cnn_two_block(b: Builder) -> None:
    b.add("Input", "image", kind="image", shape=MNIST)
    _conv_block(b, 1, 32)
    _conv_block(b, 2, 64)
    b.add("Flatten", "flatten")
    b.add("Dense", "fc1", units=128)
    b.add("ReLU", "fc1_relu")
    b.add("Dense", "fc2", units=10)
    b.classifier_end()


def cnn_compact(b: Builder) -> None:
    """The Keras "simple MNIST convnet" example, Dropout included (34,826 parameters)."""
    b.add("Input", "image", kind="image", shape=MNIST)
    _conv_block(b, 1, 32)
    _conv_block(b, 2, 64)
    b.add("Flatten", "flatten")
    b.add("Dropout", "dropout", rate=0.5)
    b.add("Dense", "fc1", units=10)
    b.classifier_end()


def lenet5(b: Builder) -> None:
    """LeNet-5 with tanh and average pooling; padding 2 makes 28x28 act like its 32x32."""
    b.add("Input", "image", kind="image", shape=MNIST)
    b.add("Conv2d", "conv1", filters=6, kernel_size=5, padding=2)
    b.add("Tanh", "tanh1")
    b.add("AvgPool2d", "pool1", kernel_size=2)
    b.add("Conv2d", "conv2", filters=16, kernel_size=5)
    b.add("Tanh", "tanh2")
    b.add("AvgPool2d", "pool2", kernel_size=2)
    b.add("Flatten", "flatten")
    b.add("Dense", "fc1", units=120)
    b.add("Tanh", "tanh3")
    b.add("Dense", "fc2", units=84)
    b.add("Tanh", "tanh4")
    b.add("Dense", "fc3", units=10)
    b.classifier_end()


def lstm_text(b: Builder) -> None:
    b.add("Input", "tokens", kind="tokens", shape=(TEXT_SEQUENCE_LENGTH,))
    b.add("Embedding", "embedding", vocab_size=TEXT_VOCAB_SIZE, dim=32)
    b.add("LSTM", "lstm", units=128, return_sequences=False)
    b.add("Dense", "fc", units=TEXT_VOCAB_SIZE)
    b.classifier_end()


def char_rnn(b: Builder) -> None:
    """The primer's character LSTM: one-hot characters in, an LSTM that returns every
    step, a Dense applied per step, so each step predicts the character after it
    (4·128·(128+128) + 2·4·128 + 128·128 + 128 = 148,608 parameters)."""
    b.add("Input", "chars", kind="sequence", shape=(TEXT_SEQUENCE_LENGTH, TEXT_VOCAB_SIZE))
    b.add("LSTM", "lstm", units=128, return_sequences=True)
    b.add("Dense", "fc", units=TEXT_VOCAB_SIZE)
    b.classifier_end()


def transformer_text(b: Builder) -> None:
    """Two pre-norm transformer blocks over the 40 characters; the last step's vector,
    which has attended to every character, predicts the next one (86,144 parameters)."""
    b.add("Input", "tokens", kind="tokens", shape=(TEXT_SEQUENCE_LENGTH,))
    b.add("Embedding", "embedding", vocab_size=TEXT_VOCAB_SIZE, dim=64)
    b.add("PositionEmbedding", "positions")
    for index in (1, 2):
        b.add("TransformerEncoderLayer", f"block{index}", nhead=4, dim_feedforward=128,
              dropout=0.1, activation="gelu", norm_first=True)
    b.add("LayerNorm", "norm")
    b.add("Select", "last_step", axis=0, index=-1)
    b.add("Dense", "fc", units=TEXT_VOCAB_SIZE)
    b.classifier_end()
