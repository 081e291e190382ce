"""The advisor's starting config and search space scored on tuning tables, beside the anchors.

    python benchmarks/prior_benchmark.py --tables TABLES_DIR [--baseline-rules DIR] [--trials 20]

For every table (each training setting's score averaged over the architectures and seeds):
- start percentile: the share of training settings the advisor's start beats (its config snapped
  to the nearest grid value of each column), beside the framework defaults ("Adam 1e-3, batch 32,
  no regularization"; for SGD tables PyTorch's SGD: lr 1e-3, momentum 0);
- random-search regret: best score of the grid minus the expected best of 10 settings drawn at
  random inside the advisor's search space (the parameters it does not search fixed at the start),
  beside 10 drawn from the whole grid; exact expectations, no sampling noise;
- whether the grid's best setting lies inside the advisor's space.

Tables (TABLES_DIR, made by the scripts in benchmarks/tuning_data/, not shipped):
- lcbench_grid.csv.gz (export_lcbench.py): 26 tasks the priors were derived from (in-sample) and
  the 8 on the data sets of the HPOBench MLP tables, never read by the derivation (out of sample);
- sklearn_<dataset>.csv.gz (sweep_sklearn.py): our own scikit-learn MLP + Adam sweeps on bundled
  data sets, made after the rules were written and never used to set them (out of sample).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import statistics
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derive_priors import lcbench_split, lcbench_tables, task_meta
from tuning_tables import (
    TuningTable,
    expected_best_of,
    nearest,
    percentile,
    read_long_csv,
    snap,
)

from advisor import Dimension, KnowledgeBase, load_knowledge_base, parse_profile, recommend

K = 10  # random-search trials
NONE_FLOOR = 1e-6  # a log range starting at or below this stands for "none" down to 0


@dataclass(frozen=True)
class Case:
    """One tuning table with what the advisor is told about it and how its columns map."""

    group: str
    table: TuningTable
    profile: Mapping[str, Any]
    default: Mapping[str, float]  # the framework defaults, in table units
    to_table: Callable[[Mapping[str, Any]], dict[str, float]]  # advisor values -> table units
    to_advisor: Callable[[Mapping[str, float]], dict[str, float]]  # table row -> advisor values


# ---- the tables ---------------------------------------------------------------------------------

def _lcbench_to_table(cfg: Mapping[str, Any]) -> dict[str, float]:
    return {"learning_rate": cfg["learning_rate"], "batch_size": cfg["batch_size"],
            "momentum": cfg.get("momentum", 0.0), "weight_decay": cfg.get("weight_decay", 0.0),
            "dropout": cfg.get("dropout", 0.0)}


def lcbench_cases(path: Path) -> list[Case]:
    tables = lcbench_tables(path)
    meta = task_meta()
    derive, check = lcbench_split(list(tables), {t: r["dataset"] for t, r in meta.items()})
    cases = []
    for task in derive + check:
        m = meta[task]
        profile = {
            "name": f"lcbench-{m['dataset']}", "task": "classification",
            # LCBench trains on two thirds of each data set (one third is held out)
            "data": {"modality": "tabular", "num_samples": max(1, round(int(m["n_instances"]) * 2 / 3)),
                     "num_classes": int(m["n_classes"])},
            "model": {"family": "mlp", "depth": 3, "activation": "relu"},
            "optimizer": "momentum", "budget": {"epochs": 50}, "hardware": {"device": "cpu"},
        }
        group = "LCBench, derivation tasks (in-sample)" if task in derive else \
            "LCBench, HPOBench data sets (out of sample)"
        cases.append(Case(group, tables[task], profile,
                          # PyTorch's SGD defaults (lr 1e-3, momentum 0), batch 32, no regularization
                          {"learning_rate": 1e-3, "batch_size": 32, "momentum": 0.0, "weight_decay": 0.0,
                           "dropout": 0.0},
                          _lcbench_to_table, dict))
    return cases


def _sklearn_to_table(cfg: Mapping[str, Any]) -> dict[str, float]:
    # scikit-learn adds alpha/2 ||w||^2 / batch to the mean loss: the gradient of PyTorch's coupled
    # weight_decay is alpha / batch.
    return {"learning_rate": cfg["learning_rate"], "batch_size": cfg["batch_size"],
            "alpha": cfg.get("weight_decay", 0.0) * cfg["batch_size"]}


def _sklearn_to_advisor(row: Mapping[str, float]) -> dict[str, float]:
    return {"learning_rate": row["learning_rate"], "batch_size": row["batch_size"],
            "weight_decay": row["alpha"] / row["batch_size"]}


def sklearn_cases(directory: Path) -> list[Case]:
    cases = []
    for path in sorted(directory.glob("sklearn_*.csv.gz")):
        name = path.name.removeprefix("sklearn_").removesuffix(".csv.gz")
        try:
            with gzip.open(path, "rt", newline="") as fh:
                first = next(csv.DictReader(fh))
        except (StopIteration, EOFError, OSError):
            print(f"skipped {path}: empty or still being written", file=sys.stderr)
            continue
        regression = first["val_accuracy"] == ""
        tables = read_long_csv(path, task_column="dataset", params=("learning_rate", "batch_size", "alpha"),
                               score="val_r2" if regression else "val_accuracy")
        n, classes, epochs = _SKLEARN_DATA[name]
        data: dict[str, Any] = {"modality": "tabular", "num_samples": round(n * 0.8)}
        if not regression:
            data["num_classes"] = classes
        profile = {"name": f"sklearn-{name}", "task": "regression" if regression else "classification",
                   "data": data, "model": {"family": "mlp", "depth": 2, "activation": "relu"},
                   "optimizer": "adam", "budget": {"epochs": epochs}, "hardware": {"device": "cpu"}}
        for table in tables.values():
            cases.append(Case("own scikit-learn Adam sweeps (out of sample)", table, profile,
                              {"learning_rate": 1e-3, "batch_size": 32, "alpha": 0.0},
                              _sklearn_to_table, _sklearn_to_advisor))
    return cases


# rows, classes, epochs of the sweeps (sweep_sklearn.py's data sets)
_SKLEARN_DATA = {"digits": (1797, 10, 50), "breast_cancer": (569, 2, 50), "diabetes": (442, 0, 50),
                 "wine": (178, 3, 50), "synthetic_4class": (1500, 4, 50), "friedman1": (1000, 0, 50)}


# ---- scoring ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    start_pct: float
    default_pct: float
    start_ge_default: bool
    regret_space: float
    regret_grid: float
    best_inside: bool
    space_share: float


def _row_dict(table: TuningTable, i: int) -> dict[str, float]:
    return {p: float(table.settings[i, j]) for j, p in enumerate(table.params)}


def _inside(dim: Dimension, value: float) -> bool:
    if dim.type == "categorical":
        return False  # handled on the table's grid
    low, high = float(dim.low), float(dim.high)
    if dim.prior == "log-uniform" and low <= NONE_FLOOR and dim.name != "learning_rate":
        return value <= high * 1.01  # the floor stands for none: everything below it is "none"
    return low * 0.99 - 1e-12 <= value <= high * 1.01 + 1e-12


def space_mask(case: Case, config: Mapping[str, Any], dims: tuple[Dimension, ...]) -> np.ndarray:
    table = case.table
    grid = table.grid
    searched = {d.name: d for d in dims}
    mask = np.zeros(len(table.score), dtype=bool)
    for i in range(len(table.score)):
        row = _row_dict(table, i)
        adv = case.to_advisor(row)
        ok = True
        for name, dim in searched.items():
            if name not in adv:
                continue
            if dim.type == "categorical":
                col = name  # categorical dims are batch sizes on these tables
                allowed = {nearest(grid[col], float(c), col) for c in dim.categories or ()}
                ok &= row[col] in allowed
            else:
                ok &= _inside(dim, adv[name])
        if not ok:
            continue
        # parameters the advisor does not search stay at the start (in this row's units)
        fixed = dict(config)
        fixed.update({k: v for k, v in adv.items() if k in searched})
        start = case.to_table(fixed)
        for col in table.params:
            if col in start and not _searched_col(case, col, searched):
                ok &= row[col] == nearest(grid[col], start[col], col)
        mask[i] = ok
    return mask


def _searched_col(case: Case, col: str, searched: Mapping[str, Dimension]) -> bool:
    if col == "alpha":  # alpha is weight decay x batch: searched when weight decay is
        return "weight_decay" in searched
    return col in searched


def score_case(case: Case, kb: KnowledgeBase, trials: int) -> Score:
    profile = parse_profile({**case.profile, "budget": {**case.profile["budget"], "trials": trials}})
    rec = recommend(profile, kb=kb)
    table = case.table
    start = table.index_of(snap(table, case.to_table(rec.config)))
    default = table.index_of(snap(table, case.default))
    mask = space_mask(case, rec.config, rec.search_space)
    best = float(table.score.max())
    inside = table.score[mask] if mask.any() else table.score[[start]]
    return Score(
        start_pct=percentile(table, start), default_pct=percentile(table, default),
        start_ge_default=bool(table.score[start] >= table.score[default]),
        regret_space=best - expected_best_of(inside, K), regret_grid=best - expected_best_of(table.score, K),
        best_inside=bool(mask[int(np.argmax(table.score))]), space_share=float(mask.mean()))


def summarize(label: str, scores: list[Score]) -> list[str]:
    n = len(scores)
    med = statistics.median
    ratios = [s.regret_space / s.regret_grid for s in scores if s.regret_grid > 0]
    return [
        f"### {label}: {n} tables",
        f"  start >= framework defaults:        {sum(s.start_ge_default for s in scores)}/{n}",
        f"  start percentile (median):          {med(s.start_pct for s in scores):.1f}"
        f"   (defaults {med(s.default_pct for s in scores):.1f})",
        f"  regret, {K} random trials (median):  space {med(s.regret_space for s in scores):.4f}"
        f" vs whole grid {med(s.regret_grid for s in scores):.4f}"
        f"  (ratio of medians {_ratio(scores):.2f}, median ratio {med(ratios) if ratios else math.nan:.2f})",
        f"  best setting inside the space:      {sum(s.best_inside for s in scores)}/{n}"
        f"   (space = {100 * med(s.space_share for s in scores):.1f}% of the grid, median)",
    ]


def _ratio(scores: list[Score]) -> float:
    grid = statistics.median(s.regret_grid for s in scores)
    return statistics.median(s.regret_space for s in scores) / grid if grid > 0 else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", type=Path, required=True, help="directory with the exported tables")
    parser.add_argument("--baseline-rules", type=Path, help="also score this rules directory (e.g. before)")
    parser.add_argument("--trials", type=int, default=20, help="the profile's trial budget (default 20)")
    parser.add_argument("--per-table", action="store_true", help="one line per table")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args()
    cases: list[Case] = []
    if (args.tables / "lcbench_grid.csv.gz").exists():
        cases += lcbench_cases(args.tables / "lcbench_grid.csv.gz")
    cases += sklearn_cases(args.tables)
    if not cases:
        raise SystemExit(f"{args.tables}: no tables (lcbench_grid.csv.gz, sklearn_*.csv.gz)")
    kbs = {"advisor (these rules)": load_knowledge_base()}
    if args.baseline_rules:
        kbs[f"advisor ({args.baseline_rules})"] = load_knowledge_base(args.baseline_rules)
    lines = [f"Trial budget in the profiles: {args.trials}; random search: {K} trials; "
             f"scores: validation accuracy (R^2 for regression), averaged over architectures and seeds.", ""]
    for label, kb in kbs.items():
        lines.append(f"## {label}")
        groups: dict[str, list[Score]] = {}
        for case in cases:
            s = score_case(case, kb, args.trials)
            groups.setdefault(case.group, []).append(s)
            if args.per_table:
                lines.append(f"  {case.group[:30]:30s} {case.table.name:>14s}: start {s.start_pct:5.1f} "
                             f"default {s.default_pct:5.1f} regret {s.regret_space:.4f}/{s.regret_grid:.4f} "
                             f"best inside {s.best_inside}")
        for group, scores in groups.items():
            lines += summarize(group, scores)
        out_of_sample = [s for g, ss in groups.items() if "out of sample" in g for s in ss]
        if out_of_sample:
            lines += summarize("all out-of-sample tables", out_of_sample)
        lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
