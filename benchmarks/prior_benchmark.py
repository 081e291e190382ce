"""The advisor's starting config and search space scored on tuning tables, beside the anchors.

    python benchmarks/prior_benchmark.py --tables DIR [DIR ...] [--baseline-rules DIR] [--trials 20]

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
- sklearn_<dataset>.csv.gz (sweep_sklearn.py): our own scikit-learn MLP + Adam sweeps. Set 1
  (digits, breast cancer, diabetes) was made after the priors were written and scored once; one
  rule followed (the C5 weight-decay range on small data), so it is labelled as seen. Set 2 (wine,
  a synthetic 4-class set, Friedman #1) was swept after that rule and is out of sample.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import statistics
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from advisor import Dimension, KnowledgeBase, load_knowledge_base, parse_profile, recommend
from derive_priors import lcbench_split, lcbench_tables, task_meta
from tuning_tables import (
    TuningTable,
    expected_best_of,
    nearest,
    percentile,
    read_long_csv,
    read_rows,
    snap,
)

K = 10  # random-search trials
_GROUP_ORDER = ("LCBench, derivation tasks (in-sample)",
                "own scikit-learn Adam sweeps, set 1 (seen before the last rule)",
                "LCBench, HPOBench data sets (out of sample)", "own scikit-learn Adam sweeps (out of sample)")
NONE_FLOOR = 1e-6  # a log range starting at or below this stands for "none" down to 0


@dataclass(frozen=True)
class Column:
    """How one training-setting column of a table maps onto the advisor's config."""

    name: str  # the table's column
    param: str  # the advisor parameter; "lr_schedule.name" reads a field of a structured value
    times: str | None = None  # the column holds param x this advisor parameter (scikit-learn's alpha)
    values: Mapping[str, str] | None = None  # a text column: table value -> advisor value
    other: str | None = None  # the table value an advisor value missing from `values` maps to

    @property
    def codes(self) -> dict[str, float]:
        """A text column's table values as the numbers the analysis works on."""
        return {v: float(i) for i, v in enumerate(self.values or {})}

    def from_config(self, cfg: Mapping[str, Any]) -> float:
        value = _get(cfg, self.param)
        if self.values is not None:
            table_value = next((t for t, a in self.values.items() if a == str(value)), self.other)
            return self.codes.get(table_value or "", math.nan)
        number = float(value) if value is not None else 0.0  # a parameter left out is "none"
        return number * float(_get(cfg, self.times) or 0.0) if self.times else number

    def to_advisor(self, code: float) -> Any:
        if self.values is None:
            return code
        return next((self.values[t] for t, c in self.codes.items() if c == code), None)


def _get(cfg: Mapping[str, Any], dotted: str) -> Any:
    value: Any = cfg
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


@dataclass(frozen=True)
class Case:
    """One tuning table with what the advisor is told about it and how its columns map."""

    group: str
    table: TuningTable
    profile: Mapping[str, Any]
    default: Mapping[str, float]  # the framework defaults, in table units
    columns: tuple[Column, ...]

    def to_table(self, cfg: Mapping[str, Any]) -> dict[str, float]:
        return {c.name: c.from_config(cfg) for c in self.columns}

    def to_advisor(self, row: Mapping[str, float]) -> dict[str, list[Any]]:
        """The advisor-side value(s) of each parameter in a table row (two dropout columns: two)."""
        by_param = {c.param: c.name for c in self.columns}
        out: dict[str, list[Any]] = {}
        for c in self.columns:
            value: Any = c.to_advisor(row[c.name])
            if c.times:
                value = value / row[by_param[c.times]]
            out.setdefault(c.param, []).append(value)
        return out


# ---- the tables ---------------------------------------------------------------------------------

LCBENCH_COLUMNS = tuple(Column(p, p) for p in ("learning_rate", "batch_size", "momentum", "weight_decay",
                                                "dropout"))
# scikit-learn adds alpha/2 ||w||^2 / batch to the mean loss: alpha = PyTorch's coupled weight_decay x batch
SKLEARN_COLUMNS = (Column("learning_rate", "learning_rate"), Column("batch_size", "batch_size"),
                   Column("alpha", "weight_decay", times="batch_size"))


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
                          LCBENCH_COLUMNS))
    return cases


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
            cases.append(Case(_SWEEP_GROUPS.get(name, "own scikit-learn Adam sweeps (out of sample)"),
                              table, profile, {"learning_rate": 1e-3, "batch_size": 32, "alpha": 0.0},
                              SKLEARN_COLUMNS))
    return cases


def spec_cases(spec_path: Path) -> list[Case]:
    """Any tuning table described by a YAML spec (format: benchmarks/tuning_data/TABLE_SPEC.md)."""
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    columns = []
    for name, how in spec["columns"].items():
        how = {"param": how} if isinstance(how, str) else how
        columns.append(Column(name, how["param"], how.get("times"),
                              {str(k): str(v) for k, v in how["values"].items()} if "values" in how else None,
                              how.get("other")))
    text = {c.name: c.codes for c in columns if c.values is not None}
    csv_path = spec_path.parent / spec["csv"]
    opener = gzip.open if csv_path.suffix == ".gz" else open
    with opener(csv_path, "rt", newline="") as fh:
        # text columns become codes; rows with a value the spec does not map are left out
        coded = ({**row, **{col: codes[row[col]] for col, codes in text.items()}}
                 for row in csv.DictReader(fh) if all(row[col] in codes for col, codes in text.items()))
        tables = read_rows(coded, task_column=spec.get("task_column"),
                           params=tuple(c.name for c in columns), score=spec["score"]["column"],
                           higher_is_better=spec["score"].get("higher_is_better", True))
    return [Case(spec.get("group", "external tables (out of sample)"),
                 TuningTable(f"{spec.get('name', spec_path.stem)}{'' if task == '' else ':' + task}",
                             t.params, t.settings, t.score),
                 spec["profile"], spec["defaults"], tuple(columns))
            for task, t in tables.items()]


# The first three sweeps were scored before the last rule change (reg.c5.tabular-mlp-small-data-range,
# written after seeing them), so they no longer count as out of sample; the second three were swept
# after it and scored once.
_SWEEP_GROUPS = dict.fromkeys(("digits", "breast_cancer", "diabetes"),
                              "own scikit-learn Adam sweeps, set 1 (seen before the last rule)")
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
        for column in case.columns:
            dim = searched.get(column.param)
            if dim is None:
                continue
            if dim.type == "categorical":  # compared on the table's own grid (batch sizes)
                allowed = {nearest(grid[column.name], float(c), column.name) for c in dim.categories or ()}
                ok &= row[column.name] in allowed
            else:
                ok &= all(_inside(dim, float(v)) for v in adv[column.param])
        if not ok:
            continue
        # parameters the advisor does not search stay at the start (in this row's units)
        fixed = dict(config)
        fixed.update({k: v[0] for k, v in adv.items() if k in searched})
        start = case.to_table(fixed)
        for column in case.columns:
            if column.param not in searched:
                ok &= row[column.name] == nearest(grid[column.name], start[column.name], column.name)
        mask[i] = ok
    return mask


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
    parser.add_argument("--tables", type=Path, nargs="*", default=[],
                        help="directories with the exported tables")
    parser.add_argument("--spec", type=Path, nargs="*",
                        help="other tables, each described by a YAML spec (tuning_data/TABLE_SPEC.md)")
    parser.add_argument("--baseline-rules", type=Path, help="also score this rules directory (e.g. before)")
    parser.add_argument("--trials", type=int, default=20, help="the profile's trial budget (default 20)")
    parser.add_argument("--per-table", action="store_true", help="one line per table")
    parser.add_argument("--out", type=Path, help="also write the report here")
    parser.add_argument("--plot", type=Path,
                        help="write a PNG: start percentile per table, beside the anchors")
    args = parser.parse_args()
    cases: list[Case] = []
    for spec in args.spec or ():
        cases += spec_cases(spec)
    for directory in args.tables:
        if (directory / "lcbench_grid.csv.gz").exists():
            cases += lcbench_cases(directory / "lcbench_grid.csv.gz")
        cases += sklearn_cases(directory)
    if not cases:
        raise SystemExit(f"{args.tables}: no tables (lcbench_grid.csv.gz, sklearn_*.csv.gz)")
    cases.sort(key=lambda c: _GROUP_ORDER.index(c.group) if c.group in _GROUP_ORDER else 99)
    kbs = {"advisor (these rules)": load_knowledge_base()}
    if args.baseline_rules:
        kbs[f"advisor ({args.baseline_rules})"] = load_knowledge_base(args.baseline_rules)
    lines = [f"Trial budget in the profiles: {args.trials}; random search: {K} trials; "
             f"scores: validation accuracy (R^2 for regression), averaged over architectures and seeds.", ""]
    scored: dict[str, list[Score]] = {}
    for label, kb in kbs.items():
        lines.append(f"## {label}")
        groups: dict[str, list[Score]] = {}
        for case in cases:
            s = score_case(case, kb, args.trials)
            groups.setdefault(case.group, []).append(s)
            scored.setdefault(label, []).append(s)
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
    if args.plot:
        plot(cases, scored, args.plot)


def _tag(group: str) -> str:
    source = "LCBench" if group.startswith("LCBench") else "sklearn sweep"
    status = "in-sample" if "in-sample" in group else "seen" if "seen" in group else "out of sample"
    return f"{source}, {status}"


def plot(cases: list[Case], scored: Mapping[str, list[Score]], path: Path) -> None:
    """One row per table: the start's percentile for each rules directory, and the defaults'."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.22 * len(cases) + 1.5))
    y = np.arange(len(cases))
    first = next(iter(scored.values()))
    ax.scatter([s.default_pct for s in first], y, marker="x", color="grey", label="framework defaults")
    for (label, scores), color in zip(scored.items(), ("tab:blue", "tab:orange"), strict=False):
        ax.scatter([s.start_pct for s in scores], y, marker="o", facecolors="none" if color != "tab:blue"
                   else color, edgecolors=color, label=f"start: {label}")
    ax.set_yticks(y, [f"{c.table.name} ({_tag(c.group)})" for c in cases], fontsize=6)
    ax.axvline(97, color="green", lw=0.8, ls=":")
    ax.set_xlabel("percentile among the table's training settings (higher is better)")
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
