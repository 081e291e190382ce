"""A user's model file: a small CNN for 8x8 digit images (scikit-learn's bundled digits, no download).

`probe_target` is what `advisor init --target` and the probes call: (model, training data, loss)."""

from __future__ import annotations

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.utils.data import TensorDataset


class DigitsNet(nn.Module):
    def __init__(self, width: int = 16, dropout: float = 0.0) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1, stride=2),
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * width, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def digits(split: str = "train") -> TensorDataset:
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x, dtype=torch.float32).view(-1, 1, 8, 8) / 16.0
    y = torch.tensor(y)
    cut = 1400
    return TensorDataset(x[:cut], y[:cut]) if split == "train" else TensorDataset(x[cut:], y[cut:])


def probe_target() -> tuple[nn.Module, TensorDataset, nn.Module]:
    torch.manual_seed(0)
    return DigitsNet(), digits("train"), nn.CrossEntropyLoss()
