"""Small generated data sets for the first templates: XOR, spirals, blobs, a line, a sine.

Each is drawn from a fixed seed, so `builtin:xor` is the same data on every machine; the
split seed only decides which samples go to training and validation.
"""

from __future__ import annotations

import math

import numpy as np
import torch

DATA_SEED = 20240611
SINE_STEPS = 50
SINE_PERIOD = 25.0
SINE_NOISE = 0.05

Arrays = tuple[torch.Tensor, torch.Tensor]


def _rng() -> np.random.Generator:
    return np.random.default_rng(DATA_SEED)


def _pack(x: np.ndarray, y: np.ndarray, classes: bool) -> Arrays:
    target = torch.from_numpy(y.astype(np.int64 if classes else np.float32))
    return torch.from_numpy(x.astype(np.float32)), target


def xor(per_corner: int = 64, jitter: float = 0.05) -> Arrays:
    """The four XOR corners, repeated and jittered a little; the labels stay exact."""
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    labels = np.array([0, 1, 1, 0])
    x = np.repeat(corners, per_corner, axis=0)
    x += _rng().normal(0.0, jitter, size=x.shape)
    return _pack(x, np.repeat(labels, per_corner), classes=True)


def spirals(per_class: int = 300, turns: float = 1.75, noise: float = 0.02) -> Arrays:
    """Two interleaved spiral arms in [-1, 1]²: no straight line separates them."""
    rng = _rng()
    points, labels = [], []
    for label in (0, 1):
        t = rng.uniform(0.1, 1.0, size=per_class)
        angle = 2 * math.pi * turns * t + label * math.pi
        arm = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
        points.append(arm + rng.normal(0.0, noise, size=arm.shape))
        labels.append(np.full(per_class, label))
    return _pack(np.concatenate(points), np.concatenate(labels), classes=True)


def blobs(per_class: int = 200, spread: float = 0.75) -> Arrays:
    """Two Gaussian clusters around (-1, -1) and (1, 1): almost linearly separable."""
    rng = _rng()
    centres = np.array([[-1.0, -1.0], [1.0, 1.0]])
    x = np.concatenate([rng.normal(c, spread, size=(per_class, 2)) for c in centres])
    return _pack(x, np.repeat([0, 1], per_class), classes=True)


def linear(count: int = 200) -> Arrays:
    """x uniform in [0, 1], y = 3x + uniform noise in [0, 1]: the best fit is w = 3,
    b = 0.5 (the noise's mean)."""
    rng = _rng()
    x = rng.uniform(0.0, 1.0, size=(count, 1))
    return _pack(x, 3.0 * x + rng.uniform(0.0, 1.0, size=(count, 1)), classes=False)


def sine(count: int = 1000, steps: int = SINE_STEPS) -> Arrays:
    """Windows of a noisy sine (random phase, period 25 steps) shaped (steps, 1); the
    target is the next, noise-free value, so the best possible error is zero."""
    rng = _rng()
    phase = rng.uniform(0.0, 2 * math.pi, size=(count, 1))
    omega = 2 * math.pi / SINE_PERIOD
    t = np.arange(steps)[None, :]
    x = np.sin(omega * t + phase) + rng.normal(0.0, SINE_NOISE, size=(count, steps))
    y = np.sin(omega * steps + phase)
    return _pack(x[:, :, None], y, classes=False)
