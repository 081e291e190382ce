"""LR finders on the unseen task suite, scored against the brute-force reference.

    .venv/bin/python benchmarks/lr_reference.py --seeds 3          # the reference (resumable, ~1 h)
    make bench-deps                                                 # the anchors, for all methods
    .venv/bin/python benchmarks/lr_suite_benchmark.py [--seeds 3] [--methods ...] [--optimizers ...]

The 23 tasks of `lr_suite.py` were written after the probe and its rules and were never used to set
any constant, so every figure here is out of sample. Each finder suggests an LR for a task and
optimizer (same batch size, LR span 1e-6..10, 100 steps); the suggestion is scored against the
reference's curve of mean final validation loss over constant LRs: decades from the best LR,
decades from the band within 5% of the best (0 inside it), and the validation-loss regret at the
suggestion (interpolated on the log-LR grid, relative to the best). Prints one table, per-tag
medians, and writes benchmarks/results/lr_suite_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import statistics
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
import lr_accuracy
from lr_suite import SuiteTask, suite

from lr_tasks import Task

RESULTS = Path(__file__).parent / "results"
REFERENCE = RESULTS / "lr_reference"


def cases(optimizers: list[str]) -> list[tuple[Task, tuple[str, ...], dict]]:
    """(task with one optimizer, in lr_accuracy's shape; its tags; its reference) per file found."""
    out = []
    for task in suite():
        for opt in optimizers:
            path = REFERENCE / f"{task.name}__{opt}.json"
            if not path.exists():
                continue
            ref = json.loads(path.read_text())
            out.append((_task(task, opt), task.tags, ref))
    return out


def _task(task: SuiteTask, optimizer: str) -> Task:
    return Task(task.name, optimizer, task.make_model, task.train, task.valid, task.loss, task.batch_size,
                task.epochs, {**task.profile, "optimizer": optimizer})


def score(ref: dict, lr: float | None) -> dict[str, float]:
    """lr_accuracy's scores on the reference's own grid and mean final validation loss."""
    curve = np.array([statistics.fmean(v) if all(math.isfinite(x) for x in v) else math.inf
                      for v in ref["val_loss_final"]])
    return lr_accuracy.score(curve, lr, np.array(ref["lrs"], dtype=float))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--methods", default=",".join(lr_accuracy.METHODS))
    parser.add_argument("--optimizers", default="sgd,momentum,adam,adamw")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    torch.set_num_threads(1)
    todo = cases(args.optimizers.split(","))
    methods = [m for m in args.methods.split(",") if m in lr_accuracy.METHODS]
    rows: list[dict[str, Any]] = []
    for n, (case, tags, ref) in enumerate(todo, 1):
        for method in methods:
            for seed in range(args.seeds):
                try:
                    lr = lr_accuracy.METHODS[method](case, seed)
                except Exception as exc:  # an anchor that crashes scores as a miss
                    print(f"  {case.name}/{case.optimizer} {method} seed {seed}: failed: "
                          f"{type(exc).__name__}: {exc}", file=sys.stderr)
                    lr = None
                rows.append({"task": case.name, "optimizer": case.optimizer, "tags": list(tags),
                             "method": method, "seed": seed, "lr": lr, "best_lr": ref["best_lr"],
                             **score(ref, lr)})
        print(f"[{n}/{len(todo)}] {case.name} / {case.optimizer}: best {ref['best_lr']:.3g}", file=sys.stderr)
    print(f"{len(todo)} task x optimizer cases, {args.seeds} seeds per finder\n")
    print("| method | decades from best: median / worst | from the 5% band: median / worst "
          "| regret: median / worst |")
    print("|---|---|---|---|")
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        print(f"| {method} | {_stat(mine, 'decades')} | {_stat(mine, 'band_decades')} | "
              f"{_stat(mine, 'regret', pct=True)} |")
    tags = sorted({t for r in rows for t in r["tags"]})
    print("\nmedian decades from the 5% band, per tag:")
    print("| tag | " + " | ".join(methods) + " |")
    print("|---|" + "---|" * len(methods))
    for tag in tags:
        cells = []
        for method in methods:
            vals = [r["band_decades"] for r in rows if r["method"] == method and tag in r["tags"]]
            cells.append(f"{statistics.median(vals):.2f}" if vals else "-")
        print(f"| {tag} | " + " | ".join(cells) + " |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lr_suite_benchmark.json").write_text(json.dumps(rows, indent=1, default=str))


def _stat(rows: list[dict[str, Any]], key: str, pct: bool = False) -> str:
    values = [r[key] for r in rows]
    if not values:
        return "-"
    med, worst = statistics.median(values), max(values)

    def fmt(v: float) -> str:
        if math.isinf(v):
            return "inf"
        return f"{100 * v:.0f}%" if pct else f"{v:.2f}"

    return f"{fmt(med)} / {fmt(worst)}"


if __name__ == "__main__":
    main()
