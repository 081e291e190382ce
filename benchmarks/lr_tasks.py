"""Small tasks for the LR benchmark: each builds a fresh model per seed, data, loss, optimizer."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from advisor_probes.examples import SequenceClassifier, synthetic_sequences
from advisor_probes.optimizers import build_optimizer


@dataclass(frozen=True)
class Task:
    name: str
    optimizer: str
    make_model: Callable[..., nn.Module]  # make_model(dropout=0.0)
    train: TensorDataset
    valid: TensorDataset
    loss: nn.Module
    batch_size: int
    epochs: int
    profile: dict  # what a user would tell the advisor about this task


def _split(x: torch.Tensor, y: torch.Tensor, frac: float = 0.75) -> tuple[TensorDataset, TensorDataset]:
    order = torch.from_numpy(np.random.default_rng(123).permutation(len(x)))
    x, y = x[order], y[order]
    n = int(len(x) * frac)
    return TensorDataset(x[:n], y[:n]), TensorDataset(x[n:], y[n:])


def _digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)


def _profile(task: str, modality: str, n: int, classes: int | None, family: str, activation: str,
             batchnorm: bool, optimizer: str) -> dict:
    data = {"modality": modality, "num_samples": n} | ({"num_classes": classes} if classes else {})
    return {"task": task, "data": data, "optimizer": optimizer,
            "model": {"family": family, "activation": activation, "batchnorm": batchnorm},
            "budget": {"trials": 1}}


def tasks() -> list[Task]:
    from sklearn.datasets import load_diabetes, load_wine

    x, y = _digits()
    mlp_train, mlp_valid = _split(x, y)
    cnn_train, cnn_valid = _split(x.view(-1, 1, 8, 8), y)
    seq = synthetic_sequences(n=1600, seed=1)
    seq_train, seq_valid = _split(*seq.tensors)
    dx, dy = load_diabetes(return_X_y=True)
    dx = (dx - dx.mean(0)) / dx.std(0)
    dy = (dy - dy.mean()) / dy.std()
    reg_train, reg_valid = _split(torch.tensor(dx, dtype=torch.float32),
                                  torch.tensor(dy, dtype=torch.float32).view(-1, 1))
    wx, wy = load_wine(return_X_y=True)
    wx = (wx - wx.mean(0)) / wx.std(0)
    wine_train, wine_valid = _split(torch.tensor(wx, dtype=torch.float32), torch.tensor(wy))
    ce, mse = nn.CrossEntropyLoss(), nn.MSELoss()
    return [
        Task("digits-mlp/adam", "adam",
             lambda p=0.0: nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(p), nn.Linear(128, 10)),
             mlp_train, mlp_valid, ce, 32, 10,
             _profile("classification", "tabular", 1347, 10, "mlp", "relu", False, "adam")),
        Task("digits-cnn-bn/momentum", "momentum",
             lambda p=0.0: nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
                                   nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
                                   nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(p), nn.Linear(32 * 16, 10)),
             cnn_train, cnn_valid, ce, 32, 5,
             _profile("classification", "image", 1347, 10, "cnn", "relu", True, "momentum")),
        Task("lstm-seq/adam", "adam", lambda p=0.0: SequenceClassifier(), seq_train, seq_valid, ce, 32, 6,
             _profile("classification", "sequence", 1200, 2, "lstm", "tanh", False, "adam")),
        Task("diabetes-mlp-regression/momentum", "momentum",
             lambda p=0.0: nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Dropout(p), nn.Linear(64, 1)),
             reg_train, reg_valid, mse, 16, 30,
             _profile("regression", "tabular", 331, None, "mlp", "relu", False, "momentum")),
        Task("wine-tanh-mlp/sgd", "sgd",
             lambda p=0.0: nn.Sequential(nn.Linear(13, 32), nn.Tanh(), nn.Dropout(p), nn.Linear(32, 3)),
             wine_train, wine_valid, ce, 16, 40,
             _profile("classification", "tabular", 133, 3, "mlp", "tanh", False, "sgd")),
    ]


def train(task: Task, config: dict, seed: int) -> float:
    """Train with a config (optimizer, learning_rate, batch_size, weight_decay, dropout,
    momentum); the validation loss after the task's epochs (inf when it diverges)."""
    torch.manual_seed(seed)
    model = task.make_model(float(config.get("dropout", 0.0)))
    opt = build_optimizer(config.get("optimizer", task.optimizer), model.parameters(),
                          float(config["learning_rate"]))
    for group in opt.param_groups:
        group["weight_decay"] = float(config.get("weight_decay", 0.0))
        if "momentum" in group and "momentum" in config and group["momentum"]:
            group["momentum"] = float(config["momentum"])
    loader = DataLoader(task.train, batch_size=int(config["batch_size"]), shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    for _ in range(task.epochs):
        model.train()
        for x, y in loader:
            opt.zero_grad(set_to_none=True)
            loss = task.loss(model(x), y)
            if not torch.isfinite(loss):
                return math.inf
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        x, y = task.valid.tensors
        value = float(task.loss(model(x), y))
    return value if math.isfinite(value) else math.inf
