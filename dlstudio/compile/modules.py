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


class Permute(nn.Module):
    """Reorders the axes of each sample; `dims` number them from 0, batch left out."""

    def __init__(self, dims: tuple[int, ...]) -> None:
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(0, *(dim + 1 for dim in self.dims))

    def extra_repr(self) -> str:
        return f"dims={self.dims}"


class Select(nn.Module):
    """Takes position `index` along `dim` (a torch axis, batch first), dropping that axis:
    index -1 of dim 1 is the last step of a (batch, time, features) sequence."""

    def __init__(self, dim: int, index: int) -> None:
        super().__init__()
        self.dim = dim
        self.index = index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.select(self.dim, self.index)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, index={self.index}"


class GlobalAvgPool2d(nn.Module):
    """Averages each channel over the whole image: (N, C, H, W) -> (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


class TokenEmbedding(nn.Embedding):
    """nn.Embedding that accepts token ids of any dtype (data loaders often give floats)."""

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return super().forward(ids.long())


class SelfAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention as a layer: batch first, query = key = value = its one input,
    and only the output (not the attention weights). The state_dict keys stay torch's, so
    the weights of an nn.MultiheadAttention load into it."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 bias: bool = True) -> None:
        super().__init__(embed_dim, num_heads, dropout=dropout, bias=bias, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(x, x, x, need_weights=False)[0]


class PositionEmbedding(nn.Module):
    """A learned vector per time step added to a (batch, length, dim) sequence."""

    def __init__(self, length: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(length, dim) * 0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.weight


class SequenceLayer:
    """What RNNLayer, LSTMLayer and GRULayer add to the torch class they extend: batch
    first, and every step or only the last one. "Last" is the final output of each
    direction, step T-1 going forwards and step 0 going backwards, so a bidirectional
    layer summarises the whole sequence both ways. The state_dict keys stay torch's."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, return_sequences: bool = False,
                 **options: str) -> None:
        super().__init__(input_size, hidden_size, num_layers=num_layers,
                         bidirectional=bidirectional, batch_first=True, **options)
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = super().forward(x)[0]
        if self.return_sequences:
            return output
        if not self.bidirectional:
            return output[:, -1]
        half = self.hidden_size
        return torch.cat((output[:, -1, :half], output[:, 0, half:]), dim=-1)


class RNNLayer(SequenceLayer, nn.RNN):
    """nn.RNN over (batch, time, features); takes nonlinearity="tanh" or "relu"."""


class LSTMLayer(SequenceLayer, nn.LSTM):
    """nn.LSTM over (batch, time, features)."""


class GRULayer(SequenceLayer, nn.GRU):
    """nn.GRU over (batch, time, features)."""


# Recipe class names that refer to this module, in the order the code generator writes them.
RECURRENT_MODULES = ("RNNLayer", "LSTMLayer", "GRULayer")  # they extend SequenceLayer

CUSTOM_MODULES: dict[str, type[nn.Module]] = {
    cls.__name__: cls
    for cls in (Add, Multiply, Concat, Reshape, Permute, Select, GlobalAvgPool2d,
                TokenEmbedding, PositionEmbedding, SelfAttention, RNNLayer, LSTMLayer,
                GRULayer)
}
