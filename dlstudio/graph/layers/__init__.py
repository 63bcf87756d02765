"""Layer definitions. Importing this package registers every layer type."""

from dlstudio.graph.layers import (  # noqa: F401
    activations,
    attention,
    convolution,
    core,
    inputs_outputs,
    merge,
    normalisation,
    pooling,
    recurrent,
)
