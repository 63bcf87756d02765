"""Drawing the next character: temperature, top-k, and the values refused."""

from __future__ import annotations

import numpy as np
import pytest

from dlstudio.infer.generate import SamplingError, check_sampling, sample_index

ODDS = np.array([0.05, 0.5, 0.1, 0.3, 0.05])


def draws(temperature: float, top_k: int | None, seed: int = 0, count: int = 3000) -> list[int]:
    rng = np.random.default_rng(seed)
    return [sample_index(ODDS, temperature, rng, top_k) for _ in range(count)]


def test_top_k_draws_among_the_k_most_likely_only() -> None:
    assert set(draws(1.0, 2)) == {1, 3}
    assert set(draws(5.0, 3)) == {1, 2, 3}
    assert set(draws(1.0, None)) == {0, 1, 2, 3, 4}
    assert set(draws(1.0, 1)) == {1} and set(draws(0.0, None)) == {1}
    # within the cut, the odds keep their proportions: 0.5 against 0.3
    share = draws(1.0, 2).count(1) / 3000
    assert share == pytest.approx(0.5 / 0.8, abs=0.03)


def test_a_seed_repeats_the_draws() -> None:
    assert draws(0.9, 4, seed=11, count=50) == draws(0.9, 4, seed=11, count=50)
    assert draws(0.9, 4, seed=11, count=50) != draws(0.9, 4, seed=12, count=50)


@pytest.mark.parametrize(("temperature", "top_k", "words"), [
    (-0.1, None, "temperature must be 0"), (float("inf"), None, "temperature"),
    (1.0, 0, "top-k must be at least 1"),
])
def test_values_that_cannot_be_sampled_with_are_refused(temperature: float,
                                                        top_k: int | None,
                                                        words: str) -> None:
    with pytest.raises(SamplingError, match=words):
        check_sampling(temperature, top_k)
