"""Tuning tables: every configuration of a grid trained (or predicted), reduced to training settings.

A table is a long CSV (one row per configuration, optionally per seed) plus what the columns mean.
The analysis averages the architecture columns (and seeds) out, so each *training setting*
(learning rate, batch size, regularization, ...) gets one score, higher is better. Used by
`derive_priors.py` (priors from the tables we learn from) and `prior_benchmark.py` (the advisor's
start and space scored against the framework defaults and the whole grid).
"""

from __future__ import annotations

import csv
import gzip
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# Parameters searched on a log scale: "nearest grid value" and "inside a range" are measured there.
LOG_PARAMS = frozenset({"learning_rate", "batch_size", "weight_decay", "alpha"})


@dataclass(frozen=True)
class TuningTable:
    """Training settings of one task with their architecture-averaged score (higher is better)."""

    name: str
    params: tuple[str, ...]
    settings: np.ndarray  # (n_settings, n_params), values in the table's units
    score: np.ndarray  # (n_settings,)
    meta: Mapping[str, object] = field(default_factory=dict)

    @property
    def grid(self) -> dict[str, np.ndarray]:
        return {p: np.unique(self.settings[:, i]) for i, p in enumerate(self.params)}

    def column(self, param: str) -> np.ndarray:
        return self.settings[:, self.params.index(param)]

    def index_of(self, setting: Mapping[str, float]) -> int:
        """Row of the grid setting equal to `setting` (values already on the grid)."""
        mask = np.ones(len(self.score), dtype=bool)
        for i, p in enumerate(self.params):
            mask &= np.isclose(self.settings[:, i], setting[p], rtol=1e-9, atol=0)
        rows = np.flatnonzero(mask)
        if len(rows) != 1:
            raise KeyError(f"{self.name}: no unique grid setting {dict(setting)}")
        return int(rows[0])

    def best(self) -> dict[str, float]:
        row = int(np.argmax(self.score))
        return {p: float(self.settings[row, i]) for i, p in enumerate(self.params)}


def read_long_csv(path: Path, *, task_column: str, params: Sequence[str], score: str,
                  higher_is_better: bool = True, scale: float = 1.0) -> dict[str, TuningTable]:
    """One table per task from a long CSV (gzip allowed); architecture and seed columns averaged."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as fh:
        return read_rows(csv.DictReader(fh), task_column=task_column, params=params, score=score,
                         higher_is_better=higher_is_better, scale=scale)


def read_rows(rows: Iterable[Mapping[str, Any]], *, task_column: str | None, params: Sequence[str],
              score: str, higher_is_better: bool = True, scale: float = 1.0) -> dict[str, TuningTable]:
    """read_long_csv on rows already read (one table named "" when there is no task column)."""
    sums: dict[str, dict[tuple[float, ...], list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    for row in rows:
        value = float(row[score])
        if not math.isfinite(value):
            continue
        key = tuple(float(row[p]) for p in params)
        cell = sums[str(row[task_column]) if task_column else ""][key]
        cell[0] += value
        cell[1] += 1
    sign = 1.0 if higher_is_better else -1.0
    tables = {}
    for task, cells in sums.items():
        keys = sorted(cells)
        tables[task] = TuningTable(
            name=task, params=tuple(params), settings=np.array(keys, dtype=float),
            score=np.array([sign * scale * cells[k][0] / cells[k][1] for k in keys]))
    return tables


def nearest(values: np.ndarray, x: float, param: str) -> float:
    """The grid value closest to x (on a log scale for log parameters; 0 counts as the smallest)."""
    if param in LOG_PARAMS:
        positive = values[values > 0]
        if x <= 0 or len(positive) == 0:
            return float(values.min())
        # far below the smallest positive value (more than half a decade) is "none" where 0 is a choice
        if x < positive.min() / math.sqrt(10) and (values == 0).any():
            return 0.0
        return float(positive[np.argmin(np.abs(np.log(positive) - math.log(x)))])
    return float(values[np.argmin(np.abs(values - x))])


def snap(table: TuningTable, setting: Mapping[str, float]) -> dict[str, float]:
    grid = table.grid
    return {p: nearest(grid[p], float(setting[p]), p) for p in table.params}


def percentile(table: TuningTable, row: int) -> float:
    """Share of training settings this one beats (ties count half), in percent."""
    s = table.score[row]
    below = np.sum(table.score < s)
    ties = np.sum(table.score == s) - 1
    return 100.0 * (below + 0.5 * ties) / max(1, len(table.score) - 1)


def expected_best_of(scores: np.ndarray, k: int) -> float:
    """Expected best score of k settings drawn uniformly at random (with replacement), exactly."""
    s = np.sort(scores)
    n = len(s)
    cdf = (np.arange(1, n + 1) / n) ** k
    prev = np.concatenate([[0.0], cdf[:-1]])
    return float(np.sum(s * (cdf - prev)))


def importance(table: TuningTable) -> dict[str, float]:
    """Functional ANOVA main effects on the full grid: the share of the score's variance each
    parameter explains alone (exact for a full-factorial grid with equal weights)."""
    total = float(np.var(table.score))
    if total == 0:
        return dict.fromkeys(table.params, 0.0)
    out = {}
    for i, p in enumerate(table.params):
        col = table.settings[:, i]
        means = [table.score[col == v].mean() for v in np.unique(col)]
        out[p] = float(np.var(means)) / total
    return out


def regret_by_value(tables: Iterable[TuningTable], param: str) -> dict[float, float]:
    """Mean over tables of (best score - best score with `param` fixed at v), per grid value v."""
    acc: dict[float, list[float]] = defaultdict(list)
    for t in tables:
        col = t.column(param)
        best = t.score.max()
        for v in np.unique(col):
            acc[float(v)].append(float(best - t.score[col == v].max()))
    return {v: float(np.mean(r)) for v, r in sorted(acc.items())}


def median_rank_by_value(tables: Iterable[TuningTable], param: str) -> dict[float, float]:
    """Median over tables of the percentile a value reaches when the other settings are averaged."""
    acc: dict[float, list[float]] = defaultdict(list)
    for t in tables:
        col = t.column(param)
        values = np.unique(col)
        means = np.array([t.score[col == v].mean() for v in values])
        order = means.argsort().argsort()
        for v, r in zip(values, order, strict=True):
            acc[float(v)].append(100.0 * r / max(1, len(values) - 1))
    return {v: float(np.median(r)) for v, r in sorted(acc.items())}
