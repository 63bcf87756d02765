"""Recurrent layers: RNN, LSTM, GRU over sequences (time steps × features)."""

from __future__ import annotations

from dlstudio.graph.catalogue import TRAINABLE, LayerSpec, ModuleRecipe, register
from dlstudio.graph.layers.rules import expect_rank
from dlstudio.graph.params import bool_param, choice_param, int_param

GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
HELP = {
    "RNN": "Simple recurrent layer: a state carried from step to step",
    "LSTM": "Long short-term memory: gated memory that learns long dependencies",
    "GRU": "Gated recurrent unit: a lighter LSTM",
}


WORDS = {"RNN": ("elman", "simplernn"), "LSTM": ("long short-term memory", "memory"),
         "GRU": ("gated recurrent unit",)}


def _directions(params) -> int:
    return 2 if params["bidirectional"] else 1


def _infer(params, shapes):
    (shape,) = shapes
    expect_rank(shape, (2,), "a sequence (time steps × features)",
                "use an Embedding for token ids, or a sequence Input")
    width = params["units"] * _directions(params)
    return (shape[0], width) if params["return_sequences"] else (width,)


def _count(kind: str):
    def count(params, shapes) -> int:
        gates, hidden, total = GATES[kind], params["units"], 0
        width = shapes[0][-1]
        for _ in range(params["num_layers"]):
            per_direction = gates * hidden * (width + hidden) + 2 * gates * hidden
            total += per_direction * _directions(params)
            width = hidden * _directions(params)
        return total
    return count


def _recipe(kind: str):
    def recipe(params, shapes):
        kwargs = {
            "input_size": shapes[0][-1], "hidden_size": params["units"],
            "num_layers": params["num_layers"], "bidirectional": params["bidirectional"],
            "return_sequences": params["return_sequences"],
        }
        if kind == "RNN":
            kwargs["nonlinearity"] = params["nonlinearity"]
        return ModuleRecipe(f"{kind}Layer", kwargs)
    return recipe


for _kind in ("RNN", "LSTM", "GRU"):
    extra = (choice_param("nonlinearity", "tanh", ("tanh", "relu"), "Activation of the state"),)
    register(LayerSpec(
        type=_kind,
        category="recurrent",
        help=HELP[_kind],
        params=(
            int_param("units", 128, "Size of the hidden state", 1, 100_000),
            int_param("num_layers", 1, "Stacked recurrent layers", 1, 16),
            bool_param("bidirectional", False, "Also read the sequence backwards"),
            bool_param("return_sequences", False,
                       "Output every time step (on) or only the last one (off)"),
            *(extra if _kind == "RNN" else ()),
            TRAINABLE,
        ),
        infer=_infer,
        recipe=_recipe(_kind),
        count_params=_count(_kind),
        key_params=("units", "return_sequences"),
        search_words=("recurrent", "rnn", "sequence", "time series", f"nn.{_kind}",
                      *WORDS[_kind]),
    ))
