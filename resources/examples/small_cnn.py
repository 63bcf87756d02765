"""A small CNN in plain PyTorch, for `dlstudio import resources/examples/small_cnn.py:SmallCNN`.

Importing runs this file (by design): only import files you trust.
"""

import torch
from torch import nn
from torch.nn import functional as F


class SmallCNN(nn.Module):
    input_shapes = [(1, 28, 28)]  # one sample, batch left out: what the importer traces with

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 7 * 7, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc(torch.flatten(x, 1))
