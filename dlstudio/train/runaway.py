"""Noticing a run that trains away from where it began: a loss that climbs far above its
first value usually means the learning rate is too high (a rate of 1e6 trains a classifier
to a loss near 1e6 and would otherwise end as if all were well).

The rule: the first batch's loss of the run (measured before any step) is where it
began; an epoch whose mean training loss is finite and more than RUNAWAY_FACTOR times
that value gets a warning, once per run (the first such epoch). A NaN or infinite loss
is not a warning: the trainer stops with an error for it (faults.py).
"""

from __future__ import annotations

import math
import re

RUNAWAY_FACTOR = 10.0


class RunawayWatch:
    """Holds where the loss began and whether the run has been warned yet."""

    def __init__(self, factor: float = RUNAWAY_FACTOR) -> None:
        self.factor = factor
        self.start: float | None = None
        self.warned = False

    def began(self, loss: float | None) -> None:
        """The run's first loss (the first call with a finite, positive value counts)."""
        if self.start is None and loss is not None and math.isfinite(loss) and loss > 0:
            self.start = loss

    def check(self, loss: float | None) -> str:
        """The warning for an epoch whose mean training loss is `loss`, or ""."""
        if self.warned or self.start is None or loss is None or not math.isfinite(loss):
            return ""
        if loss <= self.factor * self.start:
            return ""
        self.warned = True
        return (f"loss {short(loss)} is far above where it began ({short(self.start)}); "
                "the learning rate may be too high")


def short(value: float) -> str:
    """1234567.0 -> '1.2e6', 2.302 -> '2.3': three significant digits at most."""
    text = f"{value:.2g}" if abs(value) >= 1e4 or abs(value) < 1e-3 else f"{value:.3g}"
    return re.sub(r"e\+?(-?)0*(\d)", r"e\1\2", text)
