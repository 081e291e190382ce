"""LR finders on the unseen task suite, scored against the brute-force reference.

    .venv/bin/python benchmarks/lr_reference.py --seeds 3          # the reference (resumable, ~1 h)
    make bench-deps                                                 # the anchors, for all methods
    .venv/bin/python benchmarks/lr_suite_benchmark.py [--seeds 3] [--methods ...] [--optimizers ...]

The 23 tasks of `lr_suite.py` were written after the quick probe and its rules and were never used
to set their constants, so those figures are out of sample. The thorough probe's one fitted
constant, the horizon exponent, is scored leave-one-task-out: each task gets the exponent that is
best on the other 22. Each finder suggests an LR for a task and optimizer (same batch size, LR span
1e-6..10; the ramps take 100 steps, the thorough search 20% of the task's run); the suggestion is
scored against the reference's curve of mean final validation loss over constant LRs: decades from
the best LR, decades from the band within 5% of the best (0 inside it), and the validation-loss
regret at the suggestion (interpolated on the log-LR grid, relative to the best). Prints the table,
the cost of each mode, per-tag medians and the profile factors' out-of-sample effect, and writes
benchmarks/results/lr_suite_benchmark.json.
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
from advisor_probes.lr_search import MIN_BUDGET, horizon_corrected, last_steps, lr_search
from lr_suite import SuiteTask, suite
from lr_tasks import Task

EXPONENTS = np.round(np.arange(0.0, 1.01, 0.125), 3)  # the horizon exponents leave-one-task-out tries
# The quick probe's profile factors (rules/advisor_rules/probes.yaml), checked on tasks they were
# not fitted on.
FACTORS = {"sgd-batchnorm ÷2": lambda c, r: c.profile["model"].get("batchnorm")
           and c.optimizer in ("sgd", "momentum", "nesterov") and r.min_loss_lr / 2,
           "recurrent ÷25": lambda c, r: c.profile["model"]["family"] in ("rnn", "lstm", "gru")
           and r.min_loss_lr / 25,
           "saturating ÷50": lambda c, r: c.profile["model"]["activation"] in ("tanh", "sigmoid")
           and c.profile["model"]["family"] not in ("rnn", "lstm", "gru") and r.min_loss_lr / 50}

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


def run_steps(case: Task) -> int:
    return math.ceil(len(case.train) / case.batch_size) * case.epochs


THOROUGH_SHARE = [None]  # --thorough-share: a budget above the default 20% of a run, to study the search


def thorough(case: Task, seed: int) -> Any:
    """The two-stage probe at its default budget (20% of the task's run) or --thorough-share."""
    torch.manual_seed(seed)
    share = THOROUGH_SHARE[0]
    budget = None if share is None else max(MIN_BUDGET, int(share * run_steps(case)))
    return lr_search(case.make_model(), case.train, case.loss, optimizer=case.optimizer,
                     run_steps=run_steps(case), budget_steps=budget, batch_size=case.batch_size, seed=seed)


def loto_thorough(rows: list[dict[str, Any]], refs: dict[tuple[str, str], dict]) -> None:
    """Give each thorough row the LR from the horizon exponent that is best on the other tasks."""
    mine = [r for r in rows if r["method"] == "ours thorough"]

    def lr_at(r: dict[str, Any], exponent: float) -> float | None:
        if r["winner"] is None:
            return r.get("fallback_lr")
        return min(horizon_corrected(r["winner"], r["winner_steps"], r["run_steps"], exponent),
                   r["diverged_at_lr"] or math.inf)

    def band(subset: list[dict[str, Any]], exponent: float) -> float:
        return statistics.median(score(refs[(r["task"], r["optimizer"])], lr_at(r, exponent))["band_decades"]
                                 for r in subset)

    for task in {r["task"] for r in mine}:
        others = [r for r in mine if r["task"] != task]
        exponent = min(EXPONENTS, key=lambda e: (band(others, e), e))
        for r in mine:
            if r["task"] == task:
                r["exponent"] = float(exponent)
                r["lr"] = lr_at(r, exponent)
                r.update(score(refs[(r["task"], r["optimizer"])], r["lr"]))
    fitted = min(EXPONENTS, key=lambda e: (band(mine, e), e))
    searched = sum(r["winner"] is not None for r in mine)
    print(f"thorough: {searched} of {len(mine)} answers from the search; the rest had runs too short for "
          f"it (20% under {MIN_BUDGET} steps) and got the quick ramp's answer.\n"
          f"horizon exponent best on all tasks in this run: {fitted}; leave-one-task-out: "
          f"{sorted({r['exponent'] for r in mine})}\n")


def score(ref: dict, lr: float | None) -> dict[str, float]:
    """lr_accuracy's scores on the reference's own grid and mean final validation loss."""
    curve = np.array([statistics.fmean(v) if all(math.isfinite(x) for x in v) else math.inf
                      for v in ref["val_loss_final"]])
    return lr_accuracy.score(curve, lr, np.array(ref["lrs"], dtype=float))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--methods", default=",".join(["ours thorough", *lr_accuracy.METHODS]))
    parser.add_argument("--optimizers", default="sgd,momentum,adam,adamw")
    parser.add_argument("--thorough-share", type=float, default=None,
                        help="budget of the thorough search as a share of a run (default: the probe's 20%%)")
    args = parser.parse_args()
    THOROUGH_SHARE[0] = args.thorough_share
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    torch.set_num_threads(1)
    todo = cases(args.optimizers.split(","))
    methods = [m for m in args.methods.split(",") if m in lr_accuracy.METHODS or m == "ours thorough"]
    rows: list[dict[str, Any]] = []
    refs: dict[tuple[str, str], dict] = {}
    for n, (case, tags, ref) in enumerate(todo, 1):
        refs[(case.name, case.optimizer)] = ref
        for method in methods:
            for seed in range(args.seeds):
                row = {"task": case.name, "optimizer": case.optimizer, "tags": list(tags), "method": method,
                       "seed": seed, "best_lr": ref["best_lr"], "run_steps": run_steps(case)}
                try:
                    row |= _suggest(method, case, seed)
                except Exception as exc:  # an anchor that crashes scores as a miss
                    print(f"  {case.name}/{case.optimizer} {method} seed {seed}: failed: "
                          f"{type(exc).__name__}: {exc}", file=sys.stderr)
                    row["lr"] = None
                rows.append(row | score(ref, row["lr"]))
        print(f"[{n}/{len(todo)}] {case.name} / {case.optimizer}: best {ref['best_lr']:.3g}", file=sys.stderr)
    if "ours thorough" in methods:
        loto_thorough(rows, refs)
    print(f"{len(todo)} task x optimizer cases, {args.seeds} seeds per finder\n")
    print("| method | decades from best: median / worst | from the 5% band: median / worst "
          "| regret: median / worst |")
    print("|---|---|---|---|")
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        print(f"| {method} | {_stat(mine, 'decades')} | {_stat(mine, 'band_decades')} | "
              f"{_stat(mine, 'regret', pct=True)} |")
    print("\ncost per answer, optimizer steps: median (worst); share of one training run: median (worst)")
    for method in methods:
        cost = [r["cost"] for r in rows if r["method"] == method and r.get("cost")]
        if cost:
            share = [r["cost"] / r["run_steps"] for r in rows if r["method"] == method and r.get("cost")]
            print(f"  {method}: {statistics.median(cost):.0f} ({max(cost)}); "
                  f"{100 * statistics.median(share):.0f}% ({100 * max(share):.0f}%)")
    _factor_table(rows, refs)
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


def _suggest(method: str, case: Task, seed: int) -> dict[str, Any]:
    if method == "ours thorough":
        result = thorough(case, seed)
        winner = None
        if result.trials and any(t.heldout_loss is not None for t in result.trials):
            last = max(t.rung for t in result.trials)
            finals = [t for t in result.trials if t.rung == last and t.heldout_loss is not None]
            winner = min(finals, key=lambda t: t.heldout_loss).lr if finals else None
        # A run too short for the search gets the quick ramp's answer, read with the rules as usual.
        fallback = None if result.trials else lr_accuracy.recommended_lr(case, result)
        return {"lr": result.suggested_lr, "cost": result.cost_steps, "winner": winner,
                "winner_steps": last_steps(result.trials) if result.trials else 0,
                "diverged_at_lr": result.diverged_at_lr, "fallback_lr": fallback}
    if method in ("ours", "ours (probe only)"):
        ramp = lr_accuracy._probe(case, seed)
        lr = ramp.suggested_lr if method == "ours (probe only)" else lr_accuracy.recommended_lr(case, ramp)
        factors = {name: (fn(case, ramp) or None) if ramp.min_loss_lr else None
                   for name, fn in FACTORS.items()}
        return {"lr": lr, "cost": ramp.cost_steps, "ramp_lr": ramp.suggested_lr, "factors": factors}
    return {"lr": lr_accuracy.METHODS[method](case, seed)}


def _factor_table(rows: list[dict[str, Any]], refs: dict[tuple[str, str], dict]) -> None:
    """Each profile factor against the ramp's own suggestion, on the cases where it fires."""
    mine = [r for r in rows if r["method"] == "ours (probe only)" and r.get("factors")]
    if not mine:
        return
    print("\nprofile factors of the quick probe, out of sample (median decades from the 5% band):")
    print("| factor | cases | ramp's suggestion | with the factor | verdict |")
    print("|---|---|---|---|---|")
    for name in FACTORS:
        fired = [r for r in mine if r["factors"].get(name)]
        if not fired:
            continue
        ref = [refs[(r["task"], r["optimizer"])] for r in fired]
        plain = statistics.median(score(f, r["ramp_lr"])["band_decades"]
                                  for f, r in zip(ref, fired, strict=True))
        factor = statistics.median(score(f, r["factors"][name])["band_decades"]
                                   for f, r in zip(ref, fired, strict=True))
        verdict = "keeps" if factor < plain else "goes"
        print(f"| {name} | {len(fired)} | {plain:.2f} | {factor:.2f} | {verdict} |")


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
