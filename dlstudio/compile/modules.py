"""The small modules that catalogue recipes name when plain `nn.X` has no equivalent.

Each class is self-contained and uses only `torch` and `nn`: the code generator copies
their source (`inspect.getsource`) into standalone files that must run without DL Studio.
"""

from __future__ import annotations

import torch
from torch import nn


class Add(nn.Module):
    """Element-wise sum of its inputs (skip / residual connections)."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        total = inputs[0]
        for tensor in inputs[1:]:
            total = total + tensor
        return total


class Multiply(nn.Module):
    """Element-wise product of its inputs (gating)."""

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        product = inputs[0]
        for tensor in inputs[1:]:
            product = product * tensor
        return product


class Concat(nn.Module):
    """Joins its inputs along `dim` (a torch axis, batch first)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return torch.cat(inputs, dim=self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Reshape(nn.Module):
    """Reshapes each sample to `shape`; the batch axis is kept."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class GlobalAvgPool2d(nn.Module):
    """Averages each channel over the whole image: (N, C, H, W) -> (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


class TokenEmbedding(nn.Embedding):
    """nn.Embedding that accepts token ids of any dtype (data loaders often give floats)."""

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return super().forward(ids.long())


def recurrent_output(layer: nn.RNNBase, output: torch.Tensor) -> torch.Tensor:
    """Every step, or only the last one: the final output of each direction, step T-1
    going forwards and step 0 going backwards, so a bidirectional layer summarises the
    whole sequence both ways."""
    if layer.return_sequences:
        return output
    if not layer.bidirectional:
        return output[:, -1]
    half = layer.hidden_size
    return torch.cat((output[:, -1, :half], output[:, 0, half:]), dim=-1)


class RNNLayer(nn.RNN):
    """nn.RNN over (batch, time, features) giving every step or only the last one."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, return_sequences: bool = False,
                 nonlinearity: str = "tanh") -> None:
        super().__init__(input_size, hidden_size, num_layers=num_layers,
                         nonlinearity=nonlinearity, bidirectional=bidirectional,
                         batch_first=True)
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return recurrent_output(self, super().forward(x)[0])


class LSTMLayer(nn.LSTM):
    """nn.LSTM over (batch, time, features) giving every step or only the last one."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, return_sequences: bool = False) -> None:
        super().__init__(input_size, hidden_size, num_layers=num_layers,
                         bidirectional=bidirectional, batch_first=True)
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return recurrent_output(self, super().forward(x)[0])


class GRULayer(nn.GRU):
    """nn.GRU over (batch, time, features) giving every step or only the last one."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, return_sequences: bool = False) -> None:
        super().__init__(input_size, hidden_size, num_layers=num_layers,
                         bidirectional=bidirectional, batch_first=True)
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return recurrent_output(self, super().forward(x)[0])


# Recipe class names that refer to this module, in the order the code generator writes them.
RECURRENT_MODULES = ("RNNLayer", "LSTMLayer", "GRULayer")  # they share recurrent_output

CUSTOM_MODULES: dict[str, type[nn.Module]] = {
    cls.__name__: cls
    for cls in (Add, Multiply, Concat, Reshape, GlobalAvgPool2d, TokenEmbedding,
                RNNLayer, LSTMLayer, GRULayer)
}
