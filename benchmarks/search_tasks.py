"""Small CPU tasks for the search-quality benchmark (benchmarks/search_quality.py).

Ten tasks, each a full training of about a second on one CPU thread: the five of lr_tasks.py (same
data and models; the LSTM gets a dropout before its head) and five more (an imbalanced binary MLP
scored by balanced accuracy, a breast-cancer MLP with AdamW, a tiny transformer encoder and a 1D conv
net on synthetic sequences, a nonlinear regression with Nesterov momentum). Each task carries the
profile a user would write for it. `train(task, config, seed)` honours every config key the advisor
may put in a search space (see its docstring) and returns the error metric and the validation loss.
The tasks were fixed before any search result was seen.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import lr_tasks


@dataclass(frozen=True)
class SearchTask:
    name: str
    optimizer: str  # the optimizer family the user trains with (the profile's `optimizer`)
    make_model: Callable[[float], nn.Module]  # make_model(dropout)
    train: TensorDataset
    valid: TensorDataset
    kind: str  # "classification" | "regression"
    metric: str  # "1-accuracy" | "1-balanced_accuracy" | "mse"
    epochs: int
    profile: dict = field(default_factory=dict)  # without budget.trials (search_quality adds it)


def profile_for(task: SearchTask, trials: int) -> dict:
    """The task's profile with the search's trial budget."""
    return {**task.profile, "budget": {**task.profile.get("budget", {}), "trials": trials}}


def _params(make_model: Callable[[float], nn.Module]) -> int:
    return sum(p.numel() for p in make_model(0.0).parameters())


def _profile(make_model: Callable[[float], nn.Module], *, task: str, modality: str, n: int,
             classes: int | None, family: str, activation: str, optimizer: str, epochs: int,
             depth: int, normalization: str = "none", data: dict | None = None,
             model: dict | None = None, loss: str | None = None) -> dict:
    """What a user knows and would tell: the data, the model (its size counted), the optimizer they
    use, the epochs of a run, a CPU. The trial budget is added by `profile_for`."""
    data_part = {"modality": modality, "num_samples": n} | ({"num_classes": classes} if classes else {})
    model_part = {"family": family, "activation": activation, "normalization": normalization,
                  "num_params": _params(make_model), "depth": depth, "dropout_placement": "fully_connected"}
    out = {"task": task, "data": data_part | (data or {}), "model": model_part | (model or {}),
           "optimizer": optimizer, "budget": {"epochs": epochs}, "hardware": {"device": "cpu"}}
    if loss:
        out["loss"] = {"name": loss}
    return out


def _standardize(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(0)) / x.std(0)


class _LSTMClassifier(nn.Module):
    """lr_tasks' SequenceClassifier (one LSTM layer, last step, linear head) with a dropout before the
    head."""

    def __init__(self, dropout: float = 0.0, features: int = 4, hidden: int = 32, classes: int = 2) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(self.drop(out[:, -1]))


class _TinyTransformer(nn.Module):
    """Linear embedding, learned positions, one pre-norm encoder layer (4 heads, width 32), mean pool."""

    def __init__(self, dropout: float = 0.0, features: int = 4, length: int = 24, width: int = 32,
                 classes: int = 2) -> None:
        super().__init__()
        self.embed = nn.Linear(features, width)
        self.pos = nn.Parameter(torch.zeros(1, length, width))
        self.encoder = nn.TransformerEncoderLayer(width, 4, 2 * width, dropout=dropout, activation="gelu",
                                                  batch_first=True, norm_first=True)
        self.norm = nn.LayerNorm(width)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.encoder(self.embed(x) + self.pos)
        return self.head(self.drop(self.norm(h).mean(dim=1)))


class _Conv1dNet(nn.Module):
    def __init__(self, dropout: float = 0.0, features: int = 4, classes: int = 2) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(features, 16, 3, padding=1), nn.ReLU(),
                                  nn.Conv1d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
                                  nn.Flatten())
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(32, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.body(x.transpose(1, 2))))


def _local_product_sequences(n: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Label: whether sum_t x0[t] * x1[t+1] > 0 (a local interaction of neighbouring steps)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, length, 4, generator=g)
    y = ((x[:, :-1, 0] * x[:, 1:, 1]).sum(dim=1) > 0).long()
    return x, y


def _order_sequences(n: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Label: whether feature 0's largest value comes before feature 1's largest (needs positions)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, length, 4, generator=g)
    y = (x[:, :, 0].argmax(dim=1) < x[:, :, 1].argmax(dim=1)).long()
    return x, y


def _tensors(x: np.ndarray, y: np.ndarray, regression: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    xt = torch.tensor(x, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.float32).view(-1, 1) if regression else torch.tensor(y).long()
    return xt, yt


@cache
def search_tasks() -> tuple[SearchTask, ...]:
    from sklearn.datasets import load_breast_cancer, make_classification, make_friedman1

    base = {t.name: t for t in lr_tasks.tasks()}
    out: list[SearchTask] = []

    def mlp_digits(p: float) -> nn.Module:
        return base["digits-mlp/adam"].make_model(p)

    t = base["digits-mlp/adam"]
    out.append(SearchTask(t.name, "adam", mlp_digits, t.train, t.valid, "classification", "1-accuracy", 10,
                          _profile(mlp_digits, task="classification", modality="tabular", n=1347, classes=10,
                                   family="mlp", activation="relu", optimizer="adam", epochs=10, depth=2)))
    t = base["digits-cnn-bn/momentum"]
    cnn = t.make_model
    out.append(SearchTask(t.name, "momentum", cnn, t.train, t.valid, "classification", "1-accuracy", 5,
                          _profile(cnn, task="classification", modality="image", n=1347, classes=10,
                                   family="cnn", activation="relu", optimizer="momentum", epochs=5, depth=3,
                                   normalization="batchnorm")))
    t = base["lstm-seq/adam"]
    out.append(SearchTask(t.name, "adam", _LSTMClassifier, t.train, t.valid, "classification", "1-accuracy",
                          6, _profile(_LSTMClassifier, task="classification", modality="sequence", n=1200,
                                      classes=2, family="lstm", activation="tanh", optimizer="adam",
                                      epochs=6, depth=2, data={"sequence_length": 20})))
    t = base["diabetes-mlp-regression/momentum"]
    reg = t.make_model
    out.append(SearchTask(t.name, "momentum", reg, t.train, t.valid, "regression", "mse", 30,
                          _profile(reg, task="regression", modality="tabular", n=331, classes=None,
                                   family="mlp", activation="relu", optimizer="momentum", epochs=30, depth=2,
                                   loss="mse")))
    t = base["wine-tanh-mlp/sgd"]
    wine = t.make_model
    out.append(SearchTask(t.name, "sgd", wine, t.train, t.valid, "classification", "1-accuracy", 40,
                          _profile(wine, task="classification", modality="tabular", n=133, classes=3,
                                   family="mlp", activation="tanh", optimizer="sgd", epochs=40, depth=2)))

    # New tasks.
    x, y = make_classification(n_samples=2000, n_features=20, n_informative=6, n_redundant=4,
                               weights=[0.9, 0.1], flip_y=0.02, class_sep=0.8, random_state=7)
    imb_train, imb_valid = lr_tasks._split(*_tensors(_standardize(x), y))

    def imb(p: float) -> nn.Module:
        return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(p), nn.Linear(64, 64), nn.ReLU(),
                             nn.Dropout(p), nn.Linear(64, 2))

    ratio = float((y == 0).sum() / (y == 1).sum())
    out.append(SearchTask("imbalanced-mlp/adam", "adam", imb, imb_train, imb_valid, "classification",
                          "1-balanced_accuracy", 12,
                          _profile(imb, task="classification", modality="tabular", n=len(imb_train),
                                   classes=2, family="mlp", activation="relu", optimizer="adam", epochs=12,
                                   depth=3, data={"imbalance_ratio": round(ratio, 1)})))

    bx, by = load_breast_cancer(return_X_y=True)
    bc_train, bc_valid = lr_tasks._split(*_tensors(_standardize(bx), by))

    def bc(p: float) -> nn.Module:
        return nn.Sequential(nn.Linear(30, 64), nn.ReLU(), nn.Dropout(p), nn.Linear(64, 2))

    out.append(SearchTask("breast-cancer-mlp/adamw", "adamw", bc, bc_train, bc_valid, "classification",
                          "1-accuracy", 20,
                          _profile(bc, task="classification", modality="tabular", n=len(bc_train), classes=2,
                                   family="mlp", activation="relu", optimizer="adamw", epochs=20, depth=2)))

    tr_train, tr_valid = lr_tasks._split(*_order_sequences(1600, 24, seed=3))
    out.append(SearchTask("seq-transformer/adamw", "adamw", _TinyTransformer, tr_train, tr_valid,
                          "classification", "1-accuracy", 6,
                          _profile(_TinyTransformer, task="classification", modality="sequence",
                                   n=len(tr_train), classes=2, family="transformer", activation="gelu",
                                   optimizer="adamw", epochs=6, depth=4, normalization="layernorm",
                                   data={"sequence_length": 24}, model={"kind": "encoder"})))

    cv_train, cv_valid = lr_tasks._split(*_local_product_sequences(1600, 32, seed=4))
    out.append(SearchTask("seq-conv1d/adam", "adam", _Conv1dNet, cv_train, cv_valid, "classification",
                          "1-accuracy", 6,
                          _profile(_Conv1dNet, task="classification", modality="sequence", n=len(cv_train),
                                   classes=2, family="cnn", activation="relu", optimizer="adam", epochs=6,
                                   depth=3, data={"sequence_length": 32})))

    fx, fy = make_friedman1(n_samples=1000, n_features=10, noise=1.0, random_state=5)
    fr_train, fr_valid = lr_tasks._split(*_tensors(_standardize(fx), _standardize(fy), regression=True))

    def fr(p: float) -> nn.Module:
        return nn.Sequential(nn.Linear(10, 64), nn.SiLU(), nn.Dropout(p), nn.Linear(64, 64), nn.SiLU(),
                             nn.Dropout(p), nn.Linear(64, 1))

    out.append(SearchTask("friedman-mlp-regression/nesterov", "nesterov", fr, fr_train, fr_valid,
                          "regression", "mse", 20,
                          _profile(fr, task="regression", modality="tabular", n=len(fr_train), classes=None,
                                   family="mlp", activation="silu", optimizer="nesterov", epochs=20, depth=3,
                                   loss="mse")))
    return tuple(out)


def build_optimizer(config: dict, params: list[nn.Parameter], default: str) -> torch.optim.Optimizer:
    """The config's optimizer with its learning_rate, weight_decay, momentum, beta1, beta2, eps."""
    name = str(config.get("optimizer", default))
    lr = float(config["learning_rate"])
    wd = float(config.get("weight_decay", 0.0))
    betas = (float(config.get("beta1", 0.9)), float(config.get("beta2", 0.999)))
    eps = float(config.get("eps", 1e-8))
    if name in ("sgd", "momentum", "nesterov"):
        momentum = float(config.get("momentum", 0.0 if name == "sgd" else 0.9))
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd,
                               nesterov=name == "nesterov" and momentum > 0)
    classes = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "nadam": torch.optim.NAdam,
               "adamax": torch.optim.Adamax}
    if name in classes:
        return classes[name](params, lr=lr, betas=betas, eps=eps, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, eps=eps, weight_decay=wd,
                                   momentum=float(config.get("momentum", 0.0)))
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, eps=eps, weight_decay=wd)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, eps=eps, weight_decay=wd)
    raise ValueError(f"optimizer {name!r} is not available in this benchmark")


def _error(task: SearchTask, out: torch.Tensor, y: torch.Tensor) -> float:
    if task.metric == "mse":
        return float(nn.functional.mse_loss(out, y))
    pred = out.argmax(dim=1)
    if task.metric == "1-accuracy":
        return 1.0 - float((pred == y).float().mean())
    recalls = [float((pred[y == c] == c).float().mean()) for c in torch.unique(y)]
    return 1.0 - float(np.mean(recalls))


def json_safe(value: Any) -> Any:
    """JSON without Infinity/NaN: a non-finite float becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


OnEpoch = Callable[[int, float, float, float], None]  # (epoch, val error, val loss, mean train loss)


def score(task: SearchTask, model: nn.Module, valid_loss: nn.Module) -> tuple[float, float]:
    """(validation error, validation loss) of `model`; both inf when either is not finite. Eval mode
    draws no random numbers and moves no batch-norm statistics, so scoring mid-run changes nothing."""
    model.eval()
    with torch.no_grad():
        x, y = task.valid.tensors
        out = model(x)
        value = float(valid_loss(out, y))
        error = _error(task, out, y) if torch.isfinite(out).all() else math.inf
    finite = math.isfinite(value) and math.isfinite(error)
    return (error, value) if finite else (math.inf, math.inf)


def train(task: SearchTask, config: dict, seed: int, on_epoch: OnEpoch | None = None) -> dict:
    """Train `task` with `config` for its epochs at a constant learning rate; returns the validation
    error (the task's metric), the validation loss and the seconds taken; error and loss are inf when
    the training loss becomes non-finite. `on_epoch`, when given, is called after every epoch with the
    validation error and loss and the epoch's mean train loss (inf for all three in the epoch the train
    loss went non-finite, after which the run stops).

    Honoured: optimizer, learning_rate, batch_size, momentum, weight_decay, dropout, beta1, beta2, eps,
    label_smoothing (training loss only), grad_clip_norm. Ignored (the same for every arm):
    lr_schedule, warmup, early stopping, init, precision."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    model = task.make_model(float(config.get("dropout", 0.0)))
    opt = build_optimizer(config, [p for p in model.parameters() if p.requires_grad], task.optimizer)
    if task.kind == "regression":
        train_loss: nn.Module = nn.MSELoss()
        valid_loss: nn.Module = nn.MSELoss()
    else:
        train_loss = nn.CrossEntropyLoss(label_smoothing=float(config.get("label_smoothing", 0.0) or 0.0))
        valid_loss = nn.CrossEntropyLoss()
    clip = config.get("grad_clip_norm")
    loader = DataLoader(task.train, batch_size=int(config["batch_size"]), shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    for epoch in range(task.epochs):
        model.train()
        total, count = 0.0, 0
        for x, y in loader:
            opt.zero_grad(set_to_none=True)
            loss = train_loss(model(x), y)
            if not torch.isfinite(loss):
                if on_epoch is not None:
                    on_epoch(epoch, math.inf, math.inf, math.inf)
                return {"error": math.inf, "loss": math.inf, "seconds": time.perf_counter() - start}
            loss.backward()
            if clip:
                nn.utils.clip_grad_norm_(model.parameters(), float(clip))
            opt.step()
            if on_epoch is not None:
                total += loss.item() * len(y)
                count += len(y)
        if on_epoch is not None:
            on_epoch(epoch, *score(task, model, valid_loss), total / count)
    error, value = score(task, model, valid_loss)
    return {"error": error, "loss": value, "seconds": time.perf_counter() - start}
