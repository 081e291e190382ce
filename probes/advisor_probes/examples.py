"""Built-in probe targets that run on CPU in seconds: each returns (model, dataset, loss_fn).

    advisor probe lr --target digits-mlp      # = advisor_probes.examples:digits_mlp
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset


def _digits(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(x))
    return torch.from_numpy(x[order]), torch.from_numpy(y[order]).long()


def digits_mlp() -> tuple[nn.Module, TensorDataset, nn.Module]:
    """A 64-128-10 ReLU MLP on scikit-learn's 8x8 digits."""
    torch.manual_seed(0)
    x, y = _digits()
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    return model, TensorDataset(x, y), nn.CrossEntropyLoss()


def digits_cnn() -> tuple[nn.Module, TensorDataset, nn.Module]:
    """A small conv net with BatchNorm on the digits as 1x8x8 images."""
    torch.manual_seed(0)
    x, y = _digits()
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 16, 10),
    )
    return model, TensorDataset(x.view(-1, 1, 8, 8), y), nn.CrossEntropyLoss()


class SequenceClassifier(nn.Module):
    def __init__(self, features: int = 4, hidden: int = 32, classes: int = 2) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def synthetic_sequences(n: int = 2000, length: int = 20, features: int = 4,
                        seed: int = 0) -> TensorDataset:
    """Label: whether the first feature's sum over the sequence is positive."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, length, features, generator=g)
    y = (x[:, :, 0].sum(dim=1) > 0).long()
    return TensorDataset(x, y)


def lstm_sequences() -> tuple[nn.Module, TensorDataset, nn.Module]:
    """A one-layer LSTM classifying synthetic sequences."""
    torch.manual_seed(0)
    return SequenceClassifier(), synthetic_sequences(), nn.CrossEntropyLoss()
