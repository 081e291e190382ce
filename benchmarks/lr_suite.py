"""A wider suite of small real training tasks for an out-of-sample benchmark of LR finders.

Every task trains on CPU in about a second per run, uses only data bundled with scikit-learn or
generated here from fixed seeds (no downloads), and carries the profile a user would give the
advisor. None repeats a task of `lr_tasks.py` (same data and same model). `train_run` trains one
task with one optimizer at one constant learning rate; `lr_reference.py` sweeps it.
"""

from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from advisor_probes.optimizers import build_optimizer


@dataclass(frozen=True)
class SuiteTask:
    name: str
    make_model: Callable[[], nn.Module]  # a fresh model; the caller seeds torch first
    train: TensorDataset
    valid: TensorDataset
    loss: nn.Module
    batch_size: int
    epochs: int
    profile: dict  # what a user would tell the advisor about this task
    tags: tuple[str, ...] = field(default=())


# --- data helpers -------------------------------------------------------------------------------

def _split(x: np.ndarray, y: np.ndarray, frac: float = 0.75, standardize: bool = True,
           seed: int = 123) -> tuple[TensorDataset, TensorDataset]:
    """A fixed shuffled split; inputs standardized with the training part's statistics only."""
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n = int(len(x) * frac)
    if standardize:
        mean, std = x[:n].mean(0), x[:n].std(0)
        x = (x - mean) / np.where(std > 0, std, 1.0)
    xt = torch.tensor(x, dtype=torch.long if x.dtype.kind in "iu" else torch.float32)  # token ids stay ids
    yt = torch.tensor(y, dtype=torch.long) if y.dtype.kind in "iub" else torch.tensor(y, dtype=torch.float32)
    return TensorDataset(xt[:n], yt[:n]), TensorDataset(xt[n:], yt[n:])


def _regression_split(x: np.ndarray, y: np.ndarray,
                      frac: float = 0.75) -> tuple[TensorDataset, TensorDataset]:
    # Standardized targets keep MSE near 1 at init, so losses compare across tasks.
    y = (y - y.mean()) / y.std()
    return _split(x, y.astype(np.float32).reshape(-1, 1), frac)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return x / 16.0, y


def _shapes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """16x16 noisy images of a horizontal bar, a vertical bar, a diagonal or a hollow square."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(0.0, 0.6, (n, 1, 16, 16))
    for i, label in enumerate(y):
        r, c = rng.integers(2, 12, 2)
        size = int(rng.integers(4, 7))
        if label == 0:
            x[i, 0, r, c - 2:c + size] += 1.5
        elif label == 1:
            x[i, 0, r - 2:r + size, c] += 1.5
        elif label == 2:
            for k in range(size):
                x[i, 0, min(r + k - 2, 15), min(c + k - 2, 15)] += 1.5
        else:
            s = slice(r - 2, r + 2)
            x[i, 0, s, c - 2] += 1.5
            x[i, 0, s, c + 1] += 1.5
            x[i, 0, r - 2, c - 2:c + 2] += 1.5
            x[i, 0, r + 1, c - 2:c + 2] += 1.5
    return x, y


def _memory_sequences(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Label: the sign of feature 0 summed over the first 3 of 15 steps (a long-range memory)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 15, 3))
    return x, (x[:, :3, 0].sum(1) > 0).astype(np.int64)


def _product_sequences(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Target: sum over time of feature 0 times the previous step's feature 1 (regression)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 15, 2))
    return x, (x[:, 1:, 0] * x[:, :-1, 1]).sum(1)


def _argmax_sequences(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """3 classes: which of 3 features has the largest sum over 12 steps."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 12, 3))
    return x, x.sum(1).argmax(1)


def _motif_signals(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Length-64 noisy signals holding a bump (class 1) or the same bump inverted (class 0)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0.0, 0.8, (n, 1, 64))
    bump = 2.0 * np.sin(np.linspace(0, 2 * np.pi, 9))  # up then down: order tells the classes apart
    for i, label in enumerate(y):
        at = int(rng.integers(0, 64 - 9))
        x[i, 0, at:at + 9] += bump if label else -bump
    return x, y


def _pattern_tokens(n: int, seed: int, vocab: int = 12, length: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Label: whether the bigram (3, 7) occurs; planted in about half of the sequences."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab, (n, length))
    plant = rng.random(n) < 0.5
    at = rng.integers(0, length - 1, n)
    x[plant, at[plant]] = 3
    x[plant, at[plant] + 1] = 7
    y = ((x[:, :-1] == 3) & (x[:, 1:] == 7)).any(1).astype(np.int64)
    return x, y


def _bag_of_words(n: int, seed: int, vocab: int = 1000, topics: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Sparse counts: Zipf background words plus topic words; about 30 words per document."""
    rng = np.random.default_rng(seed)
    background = 1.0 / np.arange(1, vocab + 1)
    background /= background.sum()
    topic_words = [rng.choice(vocab, 40, replace=False) for _ in range(topics)]
    y = rng.integers(0, topics, n)
    x = np.zeros((n, vocab), dtype=np.float32)
    for i, label in enumerate(y):
        words = rng.choice(vocab, rng.poisson(25) + 1, p=background)
        words = np.concatenate([words, rng.choice(topic_words[label], rng.poisson(4) + 1)])
        np.add.at(x[i], words, 1.0)
    return np.log1p(x), y


def _sentiment_tokens(n: int, seed: int, vocab: int = 500, length: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """Token ids: words 0-49 lean positive, 50-99 negative, the rest neutral; label drawn first."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.integers(100, vocab, (n, length))
    kind = rng.random((n, length))
    same = kind < 0.15
    other = (kind >= 0.15) & (kind < 0.23)
    sign = np.where(y[:, None] == 1, 0, 50)  # the label's own sentiment block
    x = np.where(same, sign + rng.integers(0, 50, (n, length)), x)
    x = np.where(other, (50 - sign) + rng.integers(0, 50, (n, length)), x)
    return x, y


# --- models -------------------------------------------------------------------------------------

def _mlp(sizes: list[int], act: type[nn.Module]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(sizes):
        layers += [nn.Linear(a, b), act()]
    return nn.Sequential(*layers[:-1])  # no activation after the output layer


class _Block(nn.Module):
    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(),
                                  nn.Conv2d(ch, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


def _resnet(blocks: int = 2, ch: int = 16, classes: int = 10) -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, ch, 3, padding=1, bias=False), nn.BatchNorm2d(ch), nn.ReLU(),
                         *[_Block(ch) for _ in range(blocks)],
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(ch, classes))


class _Recurrent(nn.Module):
    """A recurrent layer read at the last step, then a linear head."""

    def __init__(self, cell: type[nn.RNNBase], features: int, hidden: int, out: int) -> None:
        super().__init__()
        self.rnn = cell(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        seq, _ = self.rnn(x)
        return self.head(seq[:, -1])


class _TokenTransformer(nn.Module):
    def __init__(self, vocab: int = 12, length: int = 16, d: int = 32, layers: int = 1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, length, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=64, dropout=0.0, activation="gelu",
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(d, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(self.embed(x) + self.pos).mean(1))


class _BagModel(nn.Module):
    def __init__(self, vocab: int = 500, d: int = 32) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(vocab, d, mode="mean")
        self.head = nn.Linear(d, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.bag(x)))


def _small_cnn(classes: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(32 * 2 * 2, classes))


@cache
def _pretrained_state() -> dict[str, torch.Tensor]:
    """A small CNN pretrained on digits 0-4 (fixed seed, 4 epochs of Adam), cached per process."""
    x, y = _digits()
    keep = y < 5
    data = TensorDataset(torch.tensor(x[keep], dtype=torch.float32).view(-1, 1, 8, 8), torch.tensor(y[keep]))
    with torch.random.fork_rng():  # leave the caller's seeded RNG stream untouched
        torch.manual_seed(0)
        model = _small_cnn(5)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loader = DataLoader(data, batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))
        for _ in range(4):
            for xb, yb in loader:
                opt.zero_grad(set_to_none=True)
                nn.functional.cross_entropy(model(xb), yb).backward()
                opt.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _finetune_model() -> nn.Module:
    model = _small_cnn(5)
    head = model[-1].state_dict()  # a fresh head from the caller's seed, as when fine-tuning
    model.load_state_dict(_pretrained_state())
    model[-1].load_state_dict(head)
    return model


# --- the suite ----------------------------------------------------------------------------------

def _profile(task: str, modality: str, n: int, classes: int | None, family: str, activation: str,
             batchnorm: bool, epochs: int, pretrained: bool = False, **extra_data: object) -> dict:
    data = {"modality": modality, "num_samples": n} | ({"num_classes": classes} if classes else {})
    data |= extra_data
    model = {"family": family, "activation": activation, "batchnorm": batchnorm, "pretrained": pretrained}
    if pretrained:
        model["pretrain_similarity"] = "high"  # the advisor requires it; digits 5-9 after 0-4 are close
    profile = {"task": task, "data": data, "model": model, "budget": {"trials": 1, "epochs": epochs}}
    return profile | ({"loss": {"name": "mse"}} if task == "regression" else {})


def _task(name: str, make_model: Callable[[], nn.Module], split: tuple[TensorDataset, TensorDataset],
          batch_size: int, epochs: int, modality: str, family: str, activation: str, tags: tuple[str, ...],
          batchnorm: bool = False, pretrained: bool = False, **extra_data: object) -> SuiteTask:
    train, valid = split
    regression = train.tensors[1].dtype.is_floating_point
    classes = None if regression else int(torch.cat([train.tensors[1], valid.tensors[1]]).max()) + 1
    profile = _profile("regression" if regression else "classification", modality, len(train), classes,
                       family, activation, batchnorm, epochs, pretrained, **extra_data)
    loss = nn.MSELoss() if regression else nn.CrossEntropyLoss()
    return SuiteTask(name, make_model, train, valid, loss, batch_size, epochs, profile, tags)


@cache
def _suite() -> tuple[SuiteTask, ...]:
    from sklearn.datasets import (
        load_breast_cancer,
        load_diabetes,
        load_iris,
        load_wine,
        make_classification,
        make_friedman1,
        make_moons,
        make_regression,
    )

    digits_x, digits_y = _digits()
    digits = _split(digits_x, digits_y, standardize=False)
    digits_img = _split(digits_x.reshape(-1, 1, 8, 8), digits_y, standardize=False)
    late = digits_y >= 5  # fine-tuning data: 150 training images of digits 5-9, 300 for validation
    ft_x, ft_y = digits_x[late].reshape(-1, 1, 8, 8)[:450], digits_y[late][:450] - 5
    finetune = _split(ft_x, ft_y, frac=1 / 3, standardize=False)
    bow_x, bow_y = _bag_of_words(2000, seed=11)
    tok_x, tok_y = _pattern_tokens(2000, seed=12)
    sen_x, sen_y = _sentiment_tokens(2000, seed=13)
    relu, tanh, gelu, sigmoid = nn.ReLU, nn.Tanh, nn.GELU, nn.Sigmoid

    tasks = [
        _task("breast-cancer-mlp", lambda: _mlp([30, 64, 2], relu),
              _split(*load_breast_cancer(return_X_y=True)),
              32, 50, "tabular", "mlp", "relu", ("tabular", "small-data")),
        _task("iris-mlp", lambda: _mlp([4, 16, 3], relu), _split(*load_iris(return_X_y=True)),
              16, 150, "tabular", "mlp", "relu", ("tabular", "small-data")),
        _task("moons-mlp", lambda: _mlp([2, 32, 32, 2], relu),
              _split(*make_moons(1000, noise=0.25, random_state=3)),
              32, 40, "tabular", "mlp", "relu", ("tabular",)),
        _task("blobs4-gelu-mlp", lambda: _mlp([20, 128, 128, 4], gelu),
              _split(*make_classification(2000, 20, n_informative=10, n_classes=4, random_state=4)),
              64, 30, "tabular", "mlp", "gelu", ("tabular",)),
        _task("imbalanced-binary-mlp", lambda: _mlp([20, 64, 64, 2], relu),
              _split(*make_classification(2000, 20, n_informative=6, weights=[0.9, 0.1], flip_y=0.02,
                                          random_state=5)),
              32, 20, "tabular", "mlp", "relu", ("tabular", "imbalanced"), imbalance_ratio=9.0),
        _task("wine-sigmoid-mlp", lambda: _mlp([13, 32, 32, 3], sigmoid), _split(*load_wine(return_X_y=True)),
              16, 100, "tabular", "mlp", "sigmoid", ("tabular", "saturating", "small-data")),
        _task("deep-tanh-mlp", lambda: _mlp([20] + [64] * 7 + [3], tanh),
              _split(*make_classification(1500, 20, n_informative=10, n_classes=3, random_state=7)),
              32, 20, "tabular", "mlp", "tanh", ("tabular", "saturating", "deep")),
        _task("diabetes-gelu-mlp-regression", lambda: _mlp([10, 32, 32, 1], gelu),
              _regression_split(*load_diabetes(return_X_y=True)),
              16, 40, "tabular", "mlp", "gelu", ("tabular", "regression", "small-data")),
        _task("friedman1-mlp-regression", lambda: _mlp([10, 64, 64, 1], relu),
              _regression_split(*make_friedman1(1200, noise=1.0, random_state=8)),
              32, 30, "tabular", "mlp", "relu", ("tabular", "regression")),
        _task("linear-tanh-mlp-regression", lambda: _mlp([40, 64, 1], tanh),
              _regression_split(*make_regression(1000, 40, n_informative=10, noise=20.0, random_state=9)),
              32, 40, "tabular", "mlp", "tanh", ("tabular", "regression", "saturating")),
        _task("digits-wide-shallow-mlp", lambda: _mlp([64, 1024, 10], relu), digits,
              32, 12, "tabular", "mlp", "relu", ("tabular", "wide")),
        _task("digits-narrow-deep-mlp", lambda: _mlp([64] + [32] * 8 + [10], relu), digits,
              32, 12, "tabular", "mlp", "relu", ("tabular", "deep")),
        _task("digits-cnn", lambda: _small_cnn(10), digits_img,
              32, 8, "image", "cnn", "relu", ("conv",)),
        _task("shapes-cnn-bn", lambda: nn.Sequential(
                  nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Linear(16 * 4 * 4, 4)),
              _split(*_shapes(1200, seed=10), standardize=False),
              32, 10, "image", "cnn", "relu", ("conv", "batchnorm"), batchnorm=True),
        _task("digits-resnet", lambda: _resnet(blocks=2), digits_img,
              32, 6, "image", "resnet", "relu", ("conv", "batchnorm", "residual"), batchnorm=True),
        _task("digits-finetune-cnn", _finetune_model, finetune,
              16, 20, "image", "cnn", "relu", ("conv", "finetune", "small-data"), pretrained=True),
        _task("memory-lstm", lambda: _Recurrent(nn.LSTM, 3, 32, 2), _split(*_memory_sequences(1600, seed=14)),
              32, 10, "sequence", "lstm", "tanh", ("recurrent",), sequence_length=15),
        _task("product-gru-regression", lambda: _Recurrent(nn.GRU, 2, 32, 1),
              _regression_split(*_product_sequences(1600, seed=15)),
              32, 10, "sequence", "gru", "tanh", ("recurrent", "regression"), sequence_length=15),
        _task("argmax-tanh-rnn", lambda: _Recurrent(nn.RNN, 3, 32, 3),
              _split(*_argmax_sequences(1600, seed=16)),
              32, 10, "sequence", "rnn", "tanh", ("recurrent", "saturating"), sequence_length=12),
        _task("motif-cnn1d", lambda: nn.Sequential(
                  nn.Conv1d(1, 16, 7, padding=3), nn.ReLU(), nn.Conv1d(16, 16, 5, padding=2), nn.ReLU(),
                  nn.AdaptiveMaxPool1d(1), nn.Flatten(), nn.Linear(16, 2)),
              _split(*_motif_signals(1600, seed=17), standardize=False),
              32, 8, "sequence", "cnn", "relu", ("conv",), sequence_length=64),
        _task("bigram-transformer", lambda: _TokenTransformer(), _split(tok_x, tok_y, standardize=False),
              32, 8, "text", "transformer", "gelu", ("transformer", "embedding"), sequence_length=16),
        _task("sparse-bow-mlp", lambda: _mlp([1000, 64, 4], relu), _split(bow_x, bow_y, standardize=False),
              32, 10, "text", "mlp", "relu", ("sparse",), sparse_features=True),
        _task("sentiment-embeddingbag", lambda: _BagModel(), _split(sen_x, sen_y, standardize=False),
              32, 15, "text", "mlp", "relu", ("embedding", "sparse"), sequence_length=24),
    ]
    return tuple(tasks)


def suite() -> list[SuiteTask]:
    return list(_suite())


def suite_by_name() -> dict[str, SuiteTask]:
    return {t.name: t for t in _suite()}


# --- training -----------------------------------------------------------------------------------

def _mean_loss(model: nn.Module, loss: nn.Module, data: TensorDataset) -> float:
    model.eval()
    with torch.no_grad():
        x, y = data.tensors
        value = float(loss(model(x), y))
    model.train()
    return value if math.isfinite(value) else math.inf


def train_run(task: SuiteTask, optimizer: str, lr: float, seed: int) -> dict:
    """Train `task.epochs` epochs at a constant LR; validation loss after each epoch (inf once diverged)."""
    start = time.perf_counter()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    model = task.make_model()
    opt = build_optimizer(optimizer, model.parameters(), lr)
    # Batches indexed in one go (a shuffled batch sampler) instead of per-sample collation: same order
    # semantics as shuffle=True, several times faster on these tiny tensors.
    sampler = BatchSampler(RandomSampler(task.train, generator=torch.Generator().manual_seed(seed)),
                           task.batch_size, drop_last=False)
    loader = DataLoader(task.train, sampler=sampler, batch_size=None)
    steps, diverged = 0, False
    val_best, val, train_loss = math.inf, math.inf, math.inf
    model.train()
    for _ in range(task.epochs):
        total, count = 0.0, 0
        for x, y in loader:
            opt.zero_grad(set_to_none=True)
            loss = task.loss(model(x), y)
            if not torch.isfinite(loss):
                diverged = True
                break
            loss.backward()
            opt.step()
            steps += 1
            total += loss.item() * len(y)
            count += len(y)
        if diverged:
            break
        train_loss = total / count
        val = _mean_loss(model, task.loss, task.valid)
        val_best = min(val_best, val)
    if diverged:
        val, val_best, train_loss = math.inf, math.inf, math.inf
    return {"val_loss_final": val, "val_loss_best": val_best, "train_loss_final": train_loss,
            "steps": steps, "seconds": time.perf_counter() - start}
