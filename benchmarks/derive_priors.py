"""Derive regularization, batch-size and search-order priors for MLPs from public tuning data.

    python benchmarks/derive_priors.py --lcbench TABLES/lcbench_grid.csv.gz \
        --gorishniy PATH/TO/tabular-dl-revisiting-models [--out benchmarks/results/priors_derivation.txt]

Data (neither is shipped; see docs/tuning-data.md for how to get them):
- LCBench (Zimmer et al. 2021) through its YAHPO Gym surrogate, exported to a full-factorial grid by
  `benchmarks/tuning_data/export_lcbench.py`: funnel MLPs, SGD with momentum, 50 epochs. Only the
  26 of its 34 tasks are read here; the 8 on the data sets of the HPOBench MLP tables are kept for
  `prior_benchmark.py`'s out-of-sample check.
- Gorishniy et al. 2021 ("Revisiting Deep Learning Models for Tabular Data"), the per-dataset
  tuned MLP configs of their repository (`output/<dataset>/mlp/tuned/0.toml`, Optuna TPE with
  100 trials, AdamW, early stopping) on 11 datasets.

Every number the rules cite as `EXT-PRIOR-*` in rules/advisor_rules/sources.yaml is printed by this script.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tuning_tables import (
    TuningTable,
    importance,
    median_rank_by_value,
    read_long_csv,
    regret_by_value,
)

LCBENCH_PARAMS = ("learning_rate", "batch_size", "momentum", "weight_decay", "dropout")
TASKS_CSV = Path(__file__).resolve().parent / "tuning_data" / "lcbench_tasks.csv"
SMALL = 10_000  # rows: the data-size split the priors are stated for


# The 8 data sets of the HPOBench MLP tables (Eggensperger et al. 2021), which issue 11 reserves
# for its checks, are also LCBench tasks: they are never read for the priors and form
# `prior_benchmark.py`'s out-of-sample LCBench slice instead.
RESERVED_DATASETS = frozenset({"blood-transfusion-service-center", "vehicle", "Australian", "car",
                               "phoneme", "segment", "credit-g", "kc1"})


def lcbench_split(task_ids: list[str], names: dict[str, str]) -> tuple[list[str], list[str]]:
    """(derivation, check): tasks on the reserved data sets are the check; fixed before any data
    was read."""
    ordered = sorted(task_ids, key=int)
    check = [t for t in ordered if names.get(t) in RESERVED_DATASETS]
    return [t for t in ordered if t not in check], check


def lcbench_tables(path: Path) -> dict[str, TuningTable]:
    return read_long_csv(path, task_column="task_id", params=LCBENCH_PARAMS, score="val_accuracy",
                         scale=0.01)


def task_meta(path: Path = TASKS_CSV) -> dict[str, dict[str, str]]:
    """task id -> dataset, n_instances, n_features, n_classes (benchmarks/tuning_data/lcbench_tasks.csv)."""
    with path.open(newline="") as fh:
        return {r["task_id"]: r for r in csv.DictReader(fh)}


def task_sizes(path: Path = TASKS_CSV) -> dict[str, int]:
    return {t: int(r["n_instances"]) for t, r in task_meta(path).items() if r["n_instances"]}


# The ranges rules/advisor_rules/priors.yaml searches, to report how many per-task optima each holds.
RULE_RANGES = {"learning_rate": (0.003, 0.1), "weight_decay": (1e-8, 1e-3), "dropout": (0.0, 0.5)}


def _fixed(table: TuningTable, param: str, value: float) -> TuningTable:
    keep = np.isclose(table.column(param), value)
    return TuningTable(table.name, table.params, table.settings[keep], table.score[keep])


def _fmt(v: float) -> str:
    return f"{v:g}"


def lcbench_report(tables: dict[str, TuningTable], sizes: dict[str, int]) -> list[str]:
    names = {t: r["dataset"] for t, r in task_meta().items()}
    derive, _ = lcbench_split(list(tables), names)
    used = [tables[t] for t in derive]
    lines = [f"## LCBench (YAHPO surrogate, SGD + momentum, 50 epochs): {len(used)} derivation tasks "
             f"(the {len(tables) - len(used)} on HPOBench's data sets are held out)",
             f"tasks: {', '.join(derive)}", ""]
    imp = {p: [importance(t)[p] for t in used] for p in LCBENCH_PARAMS}
    lines.append("functional-ANOVA main-effect share of variance (median over tasks / mean):")
    for p, values in sorted(imp.items(), key=lambda kv: -statistics.median(kv[1])):
        lines.append(f"  {p:14s} {statistics.median(values):.3f} / {statistics.mean(values):.3f}")
    lines.append("")
    groups = {"all": used,
              f"n < {SMALL}": [t for t in used if sizes.get(t.name, 0) and sizes[t.name] < SMALL],
              f"n >= {SMALL}": [t for t in used if sizes.get(t.name, 0) >= SMALL]}
    for p in LCBENCH_PARAMS:
        lines.append(f"{p}:")
        for label, group in groups.items():
            if not group:
                continue
            best = [t.best()[p] for t in group]
            regret = regret_by_value(group, p)
            rank = median_rank_by_value(group, p)
            lowest = min(regret, key=regret.__getitem__)
            lines.append(f"  [{label}, {len(group)} tasks] per-task best: "
                         f"median {_fmt(statistics.median(best))}, range {_fmt(min(best))}-{_fmt(max(best))};"
                         f" lowest mean regret at {_fmt(lowest)}")
            lines.append("    mean regret (accuracy) by value: "
                         + ", ".join(f"{_fmt(v)}: {r:.4f}" for v, r in regret.items()))
            lines.append("    median percentile by value (others averaged): "
                         + ", ".join(f"{_fmt(v)}: {r:.0f}" for v, r in rank.items()))
        lines.append("")
    lines.append("per-task best inside the ranges the rules search (rules/advisor_rules/priors.yaml):")
    for p, (low, high) in RULE_RANGES.items():
        inside = sum(low <= t.best()[p] <= high for t in used)
        lines.append(f"  {p} [{_fmt(low)}, {_fmt(high)}]: {inside}/{len(used)}")
    lines.append("")
    at_09 = [_fixed(t, "momentum", 0.9) for t in used]
    regret = regret_by_value(at_09, "learning_rate")
    lines.append("learning_rate at momentum 0.9: mean regret by value: "
                 + ", ".join(f"{_fmt(v)}: {r:.4f}" for v, r in regret.items())
                 + "; median per-task best "
                 + _fmt(statistics.median(t.best()["learning_rate"] for t in at_09)))
    lines.append("")
    sized = [t for t in used if t.name in sizes]
    if sized:
        n = np.log([sizes[t.name] for t in sized])
        b = np.log2([t.best()["batch_size"] for t in sized])
        rho = float(np.corrcoef(np.argsort(np.argsort(n)), np.argsort(np.argsort(b)))[0, 1])
        steps = [sizes[t.name] * 0.67 / t.best()["batch_size"] for t in sized]  # LCBench trains on 2/3
        lines.append(f"best batch vs data size: Spearman rho {rho:.2f} over {len(sized)} tasks; "
                     f"optimizer steps per epoch at the best batch: median {statistics.median(steps):.0f} "
                     f"(range {min(steps):.0f}-{max(steps):.0f})")
        for t in sorted(sized, key=lambda t: sizes[t.name]):
            best = t.best()
            lines.append(f"  task {t.name:>6s} n={sizes[t.name]:>7d}: best " + ", ".join(
                f"{p}={_fmt(best[p])}" for p in LCBENCH_PARAMS))
    return lines


def gorishniy_report(repo: Path) -> list[str]:
    rows = []
    for toml_path in sorted((repo / "output").glob("*/mlp/tuned/0.toml")):
        cfg = tomllib.loads(toml_path.read_text())
        rows.append((toml_path.parts[-4], cfg["training"], cfg["model"]))
    if not rows:
        raise SystemExit(f"{repo}: no output/*/mlp/tuned/0.toml (a tabular-dl-revisiting-models checkout?)")
    lines = [f"## Gorishniy et al. 2021, tuned MLPs (AdamW, TPE 100 trials, early stopping): "
             f"{len(rows)} datasets",
             "dataset             batch   lr          weight_decay  dropout  layers"]
    for name, tr, model in rows:
        lines.append(f"  {name:18s} {tr['batch_size']:5d}   {tr['lr']:.2e}    {tr['weight_decay']:.2e}      "
                     f"{model['dropout']:.3f}    {len(model['d_layers'])}")
    lrs = [tr["lr"] for _, tr, _ in rows]
    wds = [tr["weight_decay"] for _, tr, _ in rows]
    drops = [m["dropout"] for _, _, m in rows]
    lines += [
        f"lr: median of per-dataset best {statistics.median(lrs):.2e}, range {min(lrs):.1e}-{max(lrs):.1e}"
        f" (searched log-uniform 1e-5..1e-2)",
        f"weight_decay: 0 on {sum(w == 0 for w in wds)}/{len(wds)}, median {statistics.median(wds):.1e},"
        f" max {max(wds):.1e} (searched: 0 or log-uniform 1e-6..1e-3)",
        f"dropout: 0 on {sum(d == 0 for d in drops)}/{len(drops)}, median {statistics.median(drops):.2f},"
        f" range {min(drops):.2f}-{max(drops):.2f} (searched: 0 or uniform 0..0.5)",
    ]
    try:
        rev = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=True).stdout.strip()
        lines.append(f"(repository commit {rev})")
    except (OSError, subprocess.CalledProcessError):
        pass
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lcbench", type=Path, required=True,
                        help="lcbench_grid.csv.gz from export_lcbench.py")
    parser.add_argument("--gorishniy", type=Path,
                        help="a checkout (work tree) of tabular-dl-revisiting-models")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args()
    lines = lcbench_report(lcbench_tables(args.lcbench), task_sizes())
    if args.gorishniy:
        lines += ["", *gorishniy_report(args.gorishniy)]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
