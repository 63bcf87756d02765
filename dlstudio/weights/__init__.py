"""Weights into graphs: read state_dicts safely, match their tensors to a graph's layers
(by name, else by structure), fetch the published ImageNet weights for the templates.

No Qt. `read_state_dict` never runs code from a file (weights_only, or the safetensors
layout read directly). See docs/weights.md.
"""

from dlstudio.weights.errors import WeightsError
from dlstudio.weights.files import describe_source, read_state_dict, resolve_weights
from dlstudio.weights.match import WeightMatch, apply_weights, match_weights
from dlstudio.weights.pretrained import (
    PREFIX,
    PRETRAINED,
    URL_VARIABLE,
    PretrainedWeights,
    cache_dir,
    cached_path,
    fetch_pretrained,
    pretrained_entry,
    pretrained_names,
)

__all__ = [
    "PREFIX", "PRETRAINED", "URL_VARIABLE", "PretrainedWeights", "WeightMatch",
    "WeightsError", "apply_weights", "cache_dir", "cached_path", "describe_source",
    "fetch_pretrained", "match_weights", "pretrained_entry", "pretrained_names",
    "read_state_dict", "resolve_weights",
]
