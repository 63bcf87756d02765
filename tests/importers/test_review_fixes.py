"""Patterns ordinary PyTorch code uses that the importer reads: a recurrent layer's final
state, plain nn.MultiheadAttention; refusals that name the cause and only the cause."""

from __future__ import annotations

import textwrap

import pytest
import torch
from torch import nn

from dlstudio.importers import ModelImportError, import_python
from dlstudio.importers.fx_import import trace_module


class LastState(nn.Module):
    """`_, (h, _) = self.lstm(x)` / `out, h = self.gru(x)` then `h[-1]`."""

    def __init__(self, kind: str, unpack: str) -> None:
        super().__init__()
        self.kind, self.unpack = kind, unpack
        self.rnn = getattr(nn, kind)(6, 10, batch_first=True, num_layers=2)
        self.fc = nn.Linear(10, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "LSTM" and self.unpack == "h_only":
            _, (h, _) = self.rnn(x)
        elif self.kind == "LSTM":
            out, (h, c) = self.rnn(x)
        else:
            out, h = self.rnn(x)
        return self.fc(h[-1])


@pytest.mark.parametrize(("kind", "unpack"), [("LSTM", "h_only"), ("LSTM", "h_and_c"),
                                              ("GRU", "h")])
def test_final_state_h_last_is_a_select(kind, unpack):
    imported = trace_module(LastState(kind, unpack), [(7, 6)])
    types = [n.type for n in imported.graph.nodes.values()]
    assert types == ["Input", kind, "Select", "Dense", "Output"]


class Squeezed(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 10, batch_first=True)
        self.fc = nn.Linear(10, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, (h, c) = self.lstm(x)
        return self.fc(h.squeeze(0))


def test_one_layer_state_squeezed_is_its_last_step():
    imported = trace_module(Squeezed(), [(7, 6)])
    assert "Select" in [n.type for n in imported.graph.nodes.values()]


class CellState(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 10, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, c) = self.lstm(x)
        return c[-1]


def test_cell_state_is_refused_by_name():
    with pytest.raises(ModelImportError, match=r"^1 part .*the cell state c of LSTM 'lstm'"):
        trace_module(CellState(), [(7, 6)])


class TimeMajor(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 10)
        self.fc = nn.Linear(10, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.fc(out[-1])


def test_only_the_root_cause_is_listed():
    with pytest.raises(ModelImportError) as caught:
        trace_module(TimeMajor(), [(7, 6)], name="TimeMajor")
    message = str(caught.value)
    assert message.startswith("1 part of TimeMajor cannot be imported: nn.LSTM (batch_first")
    assert "indexing" not in message and "getitem" not in message


class Attention(nn.Module):
    def __init__(self, call: str, batch_first: bool = True) -> None:
        super().__init__()
        self.call = call
        self.mha = nn.MultiheadAttention(16, 4, batch_first=batch_first)
        self.key = nn.Linear(16, 16)
        self.fc = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.call == "index":
            y = self.mha(x, x, x)[0]
        elif self.call == "unpack":
            y, _ = self.mha(x, x, x)
        elif self.call == "cross":
            y = self.mha(x, self.key(x), x)[0]
        else:
            y, weights = self.mha(x, x, x)
            y = y + weights.sum()
        return self.fc(y[:, 0])


@pytest.mark.parametrize("call", ["index", "unpack"])
def test_plain_multihead_attention_is_the_attention_layer(call):
    imported = trace_module(Attention(call), [(10, 16)])
    (layer,) = imported.graph.nodes_of_type("MultiheadAttention")
    assert layer.params["num_heads"] == 4
    assert "mha.in_proj_weight" in imported.state


@pytest.mark.parametrize(("call", "batch_first", "reason"), [
    ("cross", True, "query, key and value differ"),
    ("index", False, "batch_first=False"),
    ("weights", True, "the attention weights of 'mha'"),
])
def test_other_attention_calls_are_refused_with_the_reason(call, batch_first, reason):
    with pytest.raises(ModelImportError, match=reason):
        trace_module(Attention(call, batch_first), [(10, 16)])


class Masked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.mha = nn.MultiheadAttention(16, 4, batch_first=True)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.mha(x, x, x, key_padding_mask=mask)[0][:, 0]


def test_attention_with_a_mask_is_refused():
    with pytest.raises(ModelImportError, match="called with key_padding_mask"):
        trace_module(Masked(), [(10, 16), (10,)])


class Scaled(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x * 0.5)


def test_constant_arithmetic_says_what_it_is():
    with pytest.raises(ModelImportError,
                       match=r"x \* 0\.5: multiplying by a constant has no layer at "):
        trace_module(Scaled(), [(4,)])


def write(tmp_path, text: str, name: str = "model.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize(("where", "message"), [
    ("module", "ex.py:3: ex.py called sys.exit(3) while being imported"),
    ("init", "ex.py called sys.exit(4) in Net()"),
])
def test_sys_exit_in_the_file_is_a_refusal(tmp_path, where, message):
    body = """\
        import sys
        from torch import nn
        {module}
        class Net(nn.Module):
            input_shapes = [(2,)]
            def __init__(self):
                super().__init__()
                {init}
                self.fc = nn.Linear(2, 2)
            def forward(self, x):
                return self.fc(x)
        """.format(module="sys.exit(3)" if where == "module" else "",
                   init="sys.exit(4)" if where == "init" else "")
    with pytest.raises(ModelImportError) as caught:
        import_python(write(tmp_path, body, "ex.py"), "Net")
    assert message in str(caught.value)


def test_a_reserved_input_name_becomes_its_kind():
    imported = trace_module(LastState("GRU", "h"), [(7, 6)])
    assert imported.graph.nodes_of_type("Input")[0].name == "sequence"


@pytest.mark.parametrize(("raw", "op_type", "name"), [
    ("/layer1/conv1/Relu_output_0", "Relu", "layer1/conv1"),
    ("/Relu_1_output_0", "Relu", "Relu_1"),
    ("/lstm/LSTM_output_0", "LSTM", "lstm"),
])
def test_legacy_onnx_value_names_read_well(raw, op_type, name):
    from dlstudio.importers.imported import legacy_name

    assert legacy_name(raw, op_type) == name


def test_adaptive_pool_size_is_stored_per_axis():
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    imported = trace_module(module, [(3, 8, 8)])
    (pool,) = imported.graph.nodes_of_type("AdaptiveAvgPool2d")
    assert tuple(pool.params["output_size"]) == (1, 1)
