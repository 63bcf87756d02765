"""The one error type of the weights package."""

from __future__ import annotations


class WeightsError(ValueError):
    """Weights that cannot be read, fetched or loaded: one line naming the file or the
    tensor (and both shapes when they differ)."""
