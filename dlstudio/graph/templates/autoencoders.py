"""Autoencoders: networks trained to give back their own input (training setting
`target` "input"), squeezing it through a narrow code on the way."""

from __future__ import annotations

from dlstudio.graph.templates.builder import Builder

MNIST = (1, 28, 28)
CODE_SIZE = 32


def autoencoder(b: Builder) -> None:
    """A dense autoencoder on 28×28 digits: 784 -> 128 -> 32 (the code) -> 128 -> 784.

    The Sigmoid comes last, after the Reshape, so it feeds the Output: with mse it gives
    pixels in 0..1 like the targets, and switching the loss to binary_cross_entropy folds
    it into the loss as for a classifier.
    """
    b.add("Input", "image", kind="image", shape=MNIST)
    b.add("Flatten", "flatten")
    b.add("Dense", "encode1", units=128)
    b.add("ReLU", "encode1_relu")
    b.add("Dense", "bottleneck", units=CODE_SIZE)
    b.add("ReLU", "code_relu")
    b.add("Dense", "decode1", units=128)
    b.add("ReLU", "decode1_relu")
    b.add("Dense", "decode2", units=MNIST[0] * MNIST[1] * MNIST[2])
    b.add("Reshape", "unflatten", shape=MNIST)
    b.add("Sigmoid", "sigmoid")
    b.add("Output", "output", loss="mse")
