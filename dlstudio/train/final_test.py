"""The test split, measured once when training ends.

The test split never steers training (no best epoch, no early stop, no schedule), so it
is an unbiased estimate of how the final weights do on data they have never seen. It is
measured with the trainer's own MetricMeter, so its numbers mean what the curves mean and
equal `dlstudio evaluate --split test` on the run's checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from dlstudio.train.events import Metrics, TestResult
from dlstudio.train.feed import Feed
from dlstudio.train.metrics import MetricMeter


def with_mse(metrics: Metrics, totals: Mapping[str, float]) -> Metrics:
    """A regression's metrics with the mean squared error after the loss (the loss may be
    L1 or Huber); a classifier's unchanged."""
    squares = [value for key, value in totals.items() if key.startswith("sq.")]
    if not squares:
        return dict(metrics)
    samples = totals["samples"]
    mse = sum(squares) / (samples * len(squares)) if samples else math.nan
    return {"loss": metrics["loss"], "mse": mse,
            **{k: v for k, v in metrics.items() if k != "loss"}}


def measure_test(evaluate: Callable[[Feed, MetricMeter, int], bool], feed: Feed,
                 meter: MetricMeter, batch_size: int) -> TestResult | None:
    """One pass of `evaluate` (the loop's, which honours a stop request) over `feed`;
    None when it was stopped."""
    if not evaluate(feed, meter, batch_size):
        return None
    totals = meter.totals()
    metrics, confusion = meter.summarise(totals)
    return TestResult(meter.samples, with_mse(metrics, totals), confusion)
