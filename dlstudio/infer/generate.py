"""Drawing the next character: greedy, or sampled with a temperature and a top-k cut.

Shared by `dlstudio predict --temperature T --top-k K` and the app's Try it text panel,
so the same settings and seed give the same text in both.
"""

from __future__ import annotations

import math

import numpy as np


class SamplingError(ValueError):
    """A temperature or top-k that cannot be sampled with; the message names it."""


def check_sampling(temperature: float, top_k: int | None) -> None:
    """Temperature 0 is greedy, above 0 samples; top-k keeps the k most likely (>= 1)."""
    if not math.isfinite(temperature) or temperature < 0:
        raise SamplingError(f"temperature must be 0 (greedy) or above 0, got {temperature:g}")
    if top_k is not None and top_k < 1:
        raise SamplingError(f"top-k must be at least 1, got {top_k}")


def sample_index(probabilities: np.ndarray, temperature: float, rng: np.random.Generator,
                 top_k: int | None = None) -> int:
    """A class drawn from `probabilities` sharpened (T < 1) or flattened (T > 1) by the
    temperature, i.e. softmax(logits / T), among the `top_k` most likely only (all when
    None); T = 0 takes the most likely class."""
    check_sampling(temperature, top_k)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if temperature == 0:
        return int(np.argmax(probabilities))
    logits = np.log(np.clip(probabilities, 1e-300, None)) / temperature
    if top_k is not None and top_k < len(logits):
        cut = np.partition(logits, -top_k)[-top_k]
        logits = np.where(logits >= cut, logits, -np.inf)
    weights = np.exp(logits - logits.max())
    return int(rng.choice(len(weights), p=weights / weights.sum()))
