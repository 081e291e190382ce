"""Our own small tuning tables: a full-factorial scikit-learn MLP + Adam sweep on bundled datasets.

What the tables are for: out-of-sample checks of the data-derived priors (the priors are read
from other, published tables; these are never used to derive or tune them). This is our own
sweep, not a published benchmark: scikit-learn's `MLPClassifier` / `MLPRegressor` with
solver="adam", activation="relu", trained for exactly `--epochs` epochs (no early stopping,
tol=0, n_iter_no_change=epochs+1) on datasets that ship with scikit-learn (no downloads):

* digits (classification, 10 classes), breast_cancer (binary), diabetes (regression);
  second set: wine (3 classes), synthetic_4class (make_classification, 1,500 rows),
  friedman1 (make_friedman1 regression, 1,000 rows, noise 1);
* a fixed 80/20 train/validation split with random_state=0 (stratified for classification),
  the same for every configuration; inputs standardized with training statistics, and for
  regression the target as well (so MSE is on the standardized target).

Grid (full factorial, 7 * 6 * 7 * 2 = 588 configurations per seed):

* learning_rate_init: 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1
* batch_size: 8, 16, 32, 64, 128, 256
* alpha (scikit-learn's L2 penalty): 0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1
* hidden_layer_sizes: (64,), (128, 128)
* random_state of the MLP: 0 .. seeds-1

Usage: sweep_sklearn.py OUT_DIR [--datasets digits,breast_cancer,diabetes] [--seeds 2]
                        [--epochs 50] [--jobs 1]

Writes OUT_DIR/sklearn_<dataset>.csv.gz (gzip CSV) with the columns in `COLUMNS`; metrics that
do not apply to the task are empty, and a fit that raises or yields non-finite output keeps
its row with empty scores. Progress goes to stderr. The tables are derived data and stay out
of the repository.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import itertools
import math
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
    make_classification,
    make_friedman1,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_limits

GRID: dict[str, list] = {
    "learning_rate": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
    "batch_size": [8, 16, 32, 64, 128, 256],
    "alpha": [0.0, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0],
    "hidden": [(64,), (128, 128)],
}
COLUMNS = (
    "dataset", "learning_rate", "batch_size", "alpha", "hidden", "seed",
    "val_accuracy", "val_log_loss", "val_r2", "val_mse", "fit_seconds",
)
LOADERS: dict[str, tuple[Callable, bool]] = {  # name -> (loader, is_classification)
    "digits": (load_digits, True),
    "breast_cancer": (load_breast_cancer, True),
    "diabetes": (load_diabetes, False),
    # A second out-of-sample set, swept after the first was scored (see the README's priors section).
    "wine": (load_wine, True),
    "synthetic_4class": (lambda return_X_y=True: make_classification(
        n_samples=1500, n_features=20, n_informative=10, n_classes=4, flip_y=0.03, random_state=11), True),
    "friedman1": (lambda return_X_y=True: make_friedman1(n_samples=1000, noise=1.0, random_state=12), False),
}
PROGRESS_SECONDS = 30.0


@dataclass(frozen=True)
class Split:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    classification: bool


def load_split(name: str) -> Split:
    """The fixed 80/20 split (random_state=0), standardized with training statistics only."""
    loader, classification = LOADERS[name]
    x, y = loader(return_X_y=True)
    x = np.asarray(x, dtype=np.float64)
    x_tr, x_va, y_tr, y_va = train_test_split(
        x, y, test_size=0.2, random_state=0, stratify=y if classification else None
    )
    mean, std = x_tr.mean(axis=0), x_tr.std(axis=0)
    std[std == 0] = 1.0  # constant pixels in digits
    x_tr, x_va = (x_tr - mean) / std, (x_va - mean) / std
    if not classification:
        y_tr, y_va = np.asarray(y_tr, dtype=np.float64), np.asarray(y_va, dtype=np.float64)
        y_mean, y_std = y_tr.mean(), y_tr.std()
        y_tr, y_va = (y_tr - y_mean) / y_std, (y_va - y_mean) / y_std
    return Split(x_tr, y_tr, x_va, y_va, classification)


def _finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


def fit_one(
    split: Split, lr: float, batch_size: int, alpha: float, hidden: tuple[int, ...], seed: int, epochs: int
) -> dict[str, float | None]:
    """Train one configuration for exactly `epochs` epochs; scores are None if the fit failed."""
    scores: dict[str, float | None] = {"val_accuracy": None, "val_log_loss": None, "val_r2": None,
                                       "val_mse": None}
    params = {
        "hidden_layer_sizes": hidden, "activation": "relu", "solver": "adam", "alpha": alpha,
        "batch_size": batch_size, "learning_rate_init": lr, "max_iter": epochs, "shuffle": True,
        "random_state": seed, "tol": 0.0, "early_stopping": False, "n_iter_no_change": epochs + 1,
    }
    start = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        # Filters are set here, not in main: joblib workers do not inherit the parent's filters.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow on diverging runs: recorded as empty
        try:
            if split.classification:
                model = MLPClassifier(**params).fit(split.x_train, split.y_train)
                proba = model.predict_proba(split.x_val)
                if np.all(np.isfinite(proba)):
                    pred = model.classes_[np.argmax(proba, axis=1)]
                    acc = float(accuracy_score(split.y_val, pred))
                    loss = float(log_loss(split.y_val, proba, labels=model.classes_))
                    if _finite(acc, loss):
                        scores["val_accuracy"], scores["val_log_loss"] = acc, loss
            else:
                model = MLPRegressor(**params).fit(split.x_train, split.y_train)
                pred = model.predict(split.x_val)
                if np.all(np.isfinite(pred)):
                    r2 = float(r2_score(split.y_val, pred))
                    mse = float(mean_squared_error(split.y_val, pred))
                    if _finite(r2, mse):
                        scores["val_r2"], scores["val_mse"] = r2, mse
        except Exception:  # a failed fit keeps its row with empty scores
            pass
    scores["fit_seconds"] = time.perf_counter() - start
    return scores


def _configs(seeds: int) -> list[tuple[float, int, float, tuple[int, ...], int]]:
    return list(itertools.product(*GRID.values(), range(seeds)))


def _cell(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def sweep(name: str, out_dir: Path, seeds: int, epochs: int, jobs: int) -> Path:
    split = load_split(name)
    configs = _configs(seeds)
    total = len(configs)
    path = out_dir / f"sklearn_{name}.csv.gz"
    start = last = time.time()
    failed = 0
    results: Iterator[dict[str, float | None]] = Parallel(n_jobs=jobs, return_as="generator")(
        delayed(fit_one)(split, lr, bs, alpha, hidden, seed, epochs)
        for lr, bs, alpha, hidden, seed in configs
    )
    with gzip.open(path, "wt", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for done, ((lr, bs, alpha, hidden, seed), scores) in enumerate(zip(configs, results, strict=True), 1):
            metric = scores["val_accuracy"] if split.classification else scores["val_r2"]
            failed += metric is None
            writer.writerow([
                name, repr(lr), bs, repr(alpha), "x".join(map(str, hidden)), seed,
                _cell(scores["val_accuracy"]), _cell(scores["val_log_loss"]), _cell(scores["val_r2"]),
                _cell(scores["val_mse"]), f"{scores['fit_seconds']:.4f}",
            ])
            now = time.time()
            if now - last >= PROGRESS_SECONDS or done == total:
                last = now
                print(f"[{name}] {done}/{total} fits, {failed} failed, {now - start:.0f}s elapsed",
                      file=sys.stderr, flush=True)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--datasets", default=",".join(LOADERS), help="comma-separated subset of %(default)s")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.datasets.split(",") if n.strip()]
    unknown = [n for n in names if n not in LOADERS]
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; choose from {list(LOADERS)}")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    start = time.time()
    for name in names:
        path = sweep(name, args.out_dir, args.seeds, args.epochs, args.jobs)
        print(f"[{name}] wrote {path} ({time.time() - start:.0f}s total)", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
