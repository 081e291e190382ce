"""Does pruning save trial-epochs at the same best error? `advisor tune`'s pruners on the search-task suite.

    nice .venv/bin/python benchmarks/pruning_benchmark.py [--tasks NAME] [--seeds 3] [--trials 20]
        [--workers 2] [--verify-prunes all|curve|none] [--audit JSON]

Issue target: "pruning saves >= 30% of trial-epochs at the same best error on the task suite".

Tasks: benchmarks/search_tasks.py (10 small CPU tasks, each with the profile a user would write), trained
by benchmarks/pruning_objective.py, which is `search_tasks.train` unrolled with `report(epoch,
validation_error, train_loss=mean train loss of the epoch)` after every epoch (epochs 0-based; the final
error equals `search_tasks.train`'s). Per task, seed and arm, one fresh study through the product path:
`recommend(parse_profile(profile with budget.trials = N))`, `open_study(rec, <SQLite file in a temp
dir>)`, `run_trials(study, "<abs path>/pruning_objective.py:objective", N, sampler="gp", pruner=arm,
seed=seed)` with one worker (the job's process), `PRUNE_TASK`/`PRUNE_SEED` set in that process. Arms:
  none     nothing pruned (the reference);
  curve    only the advisor's curve rules (diagnosis verdicts diverged / lr_too_high);
  median   Optuna's MedianPruner (as `advisor.tuning.pruning.optuna_pruner` sets it) plus the curve rules;
  halving  Optuna's SuccessiveHalvingPruner (same) plus the curve rules.
Every arm of a task and seed starts from the same starting config and sampler seed; the searches part
once a trial is pruned (the sampler sees a pruned trial as its last reported value, or as a failure when
the curve rules stopped it), so a best-error difference holds search variance as well as pruning.

Measured from the study's records (`advisor.tuning.optuna_study.records`): trial-epochs = sum of `steps`
over the trials (the intermediate values reported; the epoch in which a trial's loss went non-finite is
reported as inf, which is not stored, so it is left out - in every arm alike, the `none` arm stopping
such a trial there too, as `search_tasks.train` does; the objective's own log of epochs started is the
cross-check); best error = the best COMPLETE trial; pruned trials and who pruned them (curve verdict and
rule, or the Optuna pruner); wall time of the study.

Metrics per arm against `none` on the same task and seed, fixed before any result was seen:
  epochs saved      1 - trial-epochs(arm) / trial-epochs(none);
  regret            best(arm) - best(none) (negative: the arm found a better config);
  same best error   best(arm) <= best(none) + max(0.10 x best(none), 0.01), i.e. within 10% relative or
                    0.01 absolute (the tolerance family of search_quality.py); a lower best counts as
                    the same or better; "strictly worse" = best(arm) > best(none) at all.
  Target met by an arm when the mean over tasks of the epochs saved (each task's mean over seeds) is
  >= 30% and, on every task, the mean over seeds of the arm's best error is the same (rule above) as
  the mean of none's; the share of task x seed runs at the same best error is reported beside it.
False-prune check (`--verify-prunes`, default all): every pruned trial is trained to the end
(`search_tasks.train`, same config and seed) after its study; a false prune is one whose full-run error
would have been below the best error its study found, and "near the best" one within the tolerance
above of it. The audit section reads the JSON rows: each curve-rule prune by rule, by whether the
reported train loss fell at every epoch before it (an `lr_too_high` verdict on such a curve contradicts
its own evidence), and by the full run's outcome; the Optuna prunes by step and outcome
(`--audit JSON` prints it for a saved run).
Writes benchmarks/results/pruning_benchmark.{json,txt,png}; the JSON keeps meta and summary, then one
task x seed row a line with every trial (searched params, status, steps, pruned_by, curve columns,
full_error where checked) and the starting config once.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import tempfile
import time
import warnings
from collections import Counter
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from advisor import parse_profile, recommend
from search_tasks import SearchTask, json_safe, profile_for, search_tasks, train

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
OBJECTIVE = f"{HERE / 'pruning_objective.py'}:objective"
ARMS = ("none", "curve", "median", "halving")
PRUNING_ARMS = ARMS[1:]
REL, ABS = 0.10, 0.01  # same best error: arm <= none + max(REL x none, ABS)
TARGET_SAVED = 0.30
CURVE_COLUMNS = ("value", "train_loss", "val_loss")  # a trial's curve, epoch 0, 1, ...; null: non-finite


def tolerance(best_none: float) -> float:
    return max(REL * abs(best_none), ABS)


def same_best(best_arm: float, best_none: float) -> bool:
    if not math.isfinite(best_none):
        return True
    return math.isfinite(best_arm) and best_arm <= best_none + tolerance(best_none)


def job(args: tuple[int, int, str, int, str]) -> tuple[tuple[int, int, str], dict]:
    import optuna
    import torch

    from advisor.tuning.optuna_study import open_study, records, run_trials

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    index, seed, arm, n, verify = args
    task = search_tasks()[index]
    rec = recommend(parse_profile(profile_for(task, n)))
    searched = [d.name for d in rec.search_space]
    with tempfile.TemporaryDirectory(prefix="pruning-bench-") as tmp:
        log_path = Path(tmp) / "trials.jsonl"
        os.environ.update({"PRUNE_TASK": task.name, "PRUNE_SEED": str(seed), "PRUNE_LOG": str(log_path)})
        saved_tempdir = tempfile.tempdir
        tempfile.tempdir = tmp  # the study's sampling-lock file lands in (and goes with) the temp dir
        try:
            t0 = time.perf_counter()
            study = open_study(rec, Path(tmp) / "study.db", name="advisor", maximize=False)
            run_trials(study, OBJECTIVE, n, sampler="gp", pruner=arm, seed=seed)
            wall = time.perf_counter() - t0
            trials = records(study)
        finally:
            tempfile.tempdir = saved_tempdir
        logged = [json.loads(line) for line in log_path.read_text().splitlines()] if log_path.exists() else []
    rows = []
    for r in sorted(trials, key=lambda t: t.id):
        rows.append({"id": r.id, "status": r.status, "value": r.value, "steps": r.steps,
                     "pruned_by": r.pruned_by, "error": r.error, "duration": r.duration,
                     "params": {k: r.config[k] for k in searched}, "config": r.config})
    for row, entry in zip(rows, logged, strict=False):  # one worker: the log is in trial order
        row["epochs_started"] = entry["epochs_started"]
        row["curve"] = {k: [point.get(k) for point in entry["curve"]] for k in CURVE_COLUMNS}
    out: dict[str, Any] = {"trials": rows, "seconds": wall, "logged": len(logged)}
    t1 = time.perf_counter()
    if verify != "none":
        for row in rows:
            who = (row["pruned_by"] or {}).get("pruner")
            if row["status"] == "pruned" and (verify == "all" or who == "curve"):
                row["full_error"] = train(task, row["config"], seed)["error"]
    out["verify_seconds"] = time.perf_counter() - t1
    return (index, seed, arm), out


def _fmt(value: float, digits: int = 4) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    if not math.isfinite(value):
        return "inf"
    return f"{value:.{digits}f}" if abs(value) < 10 else f"{value:.3g}"


def summarize_run(result: dict, task: SearchTask) -> dict[str, Any]:
    trials = result["trials"]
    done = [t["value"] for t in trials if t["status"] == "complete" and t["value"] is not None]
    by = Counter()
    rules = Counter()
    for t in trials:
        if t["status"] == "pruned":
            p = t["pruned_by"] or {}
            who = p.get("pruner", "?")
            by[who] += 1
            if who == "curve":
                rules[f"{p.get('verdict')} ({p.get('rule')})"] += 1
    return {"epochs": sum(t["steps"] for t in trials),
            "epochs_started": sum(t.get("epochs_started", 0) for t in trials),
            "full_epochs": task.epochs * len(trials),
            "best": min(done) if done else math.inf, "n": len(trials),
            "complete": sum(t["status"] == "complete" for t in trials),
            "failed": sum(t["status"] == "failed" for t in trials),
            "pruned": sum(t["status"] == "pruned" for t in trials),
            "pruned_by": dict(by), "rules": dict(rules), "seconds": result["seconds"]}


def false_prunes(result: dict, best: float) -> dict[str, Any]:
    """Pruned trials whose full run would have beaten (or come near) the best the study found."""
    checked = [t for t in result["trials"] if t["status"] == "pruned" and "full_error" in t]
    out: dict[str, Any] = {"checked": len(checked), "beats_best": [], "near_best": []}
    for t in checked:
        full = t["full_error"]
        item = {"id": t["id"], "pruner": (t["pruned_by"] or {}).get("pruner"),
                "verdict": (t["pruned_by"] or {}).get("verdict"), "rule": (t["pruned_by"] or {}).get("rule"),
                "step": (t["pruned_by"] or {}).get("step"), "full_error": full, "study_best": best,
                "params": t["params"]}
        if math.isfinite(full) and full < best:
            out["beats_best"].append(item)
        elif math.isfinite(full) and same_best(full, best):
            out["near_best"].append(item)
    return out


def analyse(all_tasks: tuple[SearchTask, ...], chosen: list[int], out: dict, seeds: int) -> list[dict]:
    rows = []
    for i in chosen:
        task = all_tasks[i]
        for s in range(seeds):
            runs = {arm: summarize_run(out[(i, s, arm)], task) for arm in ARMS}
            base = runs["none"]
            row: dict[str, Any] = {"task": task.name, "metric": task.metric, "epochs_per_trial": task.epochs,
                                   "seed": s, "arms": runs}
            for arm in ARMS:
                r = runs[arm]
                r["saved"] = 1 - r["epochs"] / base["epochs"] if base["epochs"] else math.nan
                r["saved_started"] = (1 - r["epochs_started"] / base["epochs_started"]
                                      if base["epochs_started"] else math.nan)
                r["regret"] = r["best"] - base["best"]
                r["rel_regret"] = r["regret"] / abs(base["best"]) if base["best"] else math.nan
                r["same"] = same_best(r["best"], base["best"])
                r["worse"] = r["best"] > base["best"]
                r["better"] = r["best"] < base["best"]
                r["false_prunes"] = false_prunes(out[(i, s, arm)], r["best"])
            rows.append(row)
    return rows


def _mean(values: list[float]) -> float:
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return float(np.mean(values)) if values else math.nan


def per_task_stats(rows: list[dict], task: str, arm: str) -> dict[str, Any]:
    tr = [r["arms"][arm] for r in rows if r["task"] == task]
    base = [r["arms"]["none"] for r in rows if r["task"] == task]
    best, best_none = _mean([t["best"] for t in tr]), _mean([t["best"] for t in base])
    return {"epochs": _mean([t["epochs"] for t in tr]), "saved": _mean([t["saved"] for t in tr]),
            "best": best, "regret": _mean([t["regret"] for t in tr]),
            "rel_regret": _mean([t["rel_regret"] for t in tr]),
            "same_mean": same_best(best, best_none),
            "same_runs": sum(t["same"] for t in tr), "worse_runs": sum(t["worse"] for t in tr),
            "better_runs": sum(t["better"] for t in tr), "runs": len(tr),
            "pruned": _mean([t["pruned"] for t in tr]),
            "curve": _mean([t["pruned_by"].get("curve", 0) for t in tr]),
            "optuna": _mean([t["pruned"] - t["pruned_by"].get("curve", 0) for t in tr]),
            "failed": _mean([t["failed"] for t in tr]), "seconds": _mean([t["seconds"] for t in tr]),
            "false": sum(len(t["false_prunes"]["beats_best"]) for t in tr),
            "near": sum(len(t["false_prunes"]["near_best"]) for t in tr)}


def report(all_tasks: tuple[SearchTask, ...], rows: list[dict], seeds: int, n: int,
           verify: str) -> tuple[list[str], dict]:
    names = [t.name for t in all_tasks if any(r["task"] == t.name for r in rows)]
    lines = [f"# Pruning: {len(names)} tasks x {seeds} seeds, {n} trials per study, GP sampler", "",
             "Per task: means over seeds. epochs = trial-epochs of the study (sum of reported steps); "
             "saved = 1 - epochs / epochs(none); pruned = trials pruned (curve rules / Optuna pruner); "
             "best = best error of a complete trial; regret = best - best(none); same = runs whose best is "
             f"<= best(none) + max({REL:.0%} x best(none), {ABS}) (a lower best counts), worse = runs with "
             "a higher best at all, better = runs with a lower best; false = pruned trials whose full run "
             "would have beaten the study's best (near: within the tolerance of it); s = wall seconds of "
             "the study.", ""]
    for name in names:
        tr = [r for r in rows if r["task"] == name]
        lines += [f"## {name} ({tr[0]['metric']}, {tr[0]['epochs_per_trial']} epochs a trial)", "",
                  "| arm | epochs | saved | pruned (curve / optuna) | failed | best | regret | same | worse "
                  "| better | false (near) | s |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for arm in ARMS:
            p = per_task_stats(rows, name, arm)
            if arm == "none":
                cmp = ["-"] * 5
            else:
                false = f"{p['false']} ({p['near']})" if verify != "none" else "-"
                cmp = [f"{p['saved']:.0%}", _fmt(p["regret"]), f"{p['same_runs']}/{p['runs']}",
                       str(p["worse_runs"]), str(p["better_runs"])]
            lines.append(
                f"| {arm} | {p['epochs']:.0f} | {cmp[0]} "
                f"| {p['pruned']:.1f} ({p['curve']:.1f} / {p['optuna']:.1f}) | {p['failed']:.1f} "
                f"| {_fmt(p['best'])} | {cmp[1]} | {cmp[2]} | {cmp[3]} | {cmp[4]} "
                f"| {false if arm != 'none' else '-'} | {p['seconds']:.0f} |")
        lines.append("")
    lines += ["## Summary per arm (against none on the same task and seed)", "",
              "| arm | mean epochs saved over tasks | pooled epochs saved | epochs saved (objective's log) "
              "| tasks same best (means) | runs same best | runs strictly worse | runs better | mean regret "
              "| mean relative regret | pruned: curve / optuna | false prunes (near) | target |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    summary = {}
    for arm in PRUNING_ARMS:
        stats = [per_task_stats(rows, name, arm) for name in names]
        runs = [r["arms"][arm] for r in rows]
        base = [r["arms"]["none"] for r in rows]
        saved = _mean([p["saved"] for p in stats])
        pooled = 1 - sum(r["epochs"] for r in runs) / sum(r["epochs"] for r in base)
        pooled_started = 1 - sum(r["epochs_started"] for r in runs) / sum(r["epochs_started"] for r in base)
        tasks_same = sum(p["same_mean"] for p in stats)
        same = sum(r["same"] for r in runs)
        worse = sum(r["worse"] for r in runs)
        better = sum(r["better"] for r in runs)
        regret = _mean([r["regret"] for r in runs])
        rel = _mean([r["rel_regret"] for r in runs])
        curve = sum(r["pruned_by"].get("curve", 0) for r in runs)
        optuna_n = sum(r["pruned"] - r["pruned_by"].get("curve", 0) for r in runs)
        false = sum(len(r["false_prunes"]["beats_best"]) for r in runs)
        near = sum(len(r["false_prunes"]["near_best"]) for r in runs)
        checked = sum(r["false_prunes"]["checked"] for r in runs)
        met = saved >= TARGET_SAVED and tasks_same == len(stats)
        summary[arm] = {"mean_saved": saved, "pooled_saved": pooled, "pooled_saved_started": pooled_started,
                        "tasks_same": tasks_same, "tasks": len(stats), "runs_same": same, "runs": len(runs),
                        "runs_worse": worse, "runs_better": better, "mean_regret": regret,
                        "mean_rel_regret": rel, "pruned_curve": curve, "pruned_optuna": optuna_n,
                        "false_prunes": false, "near_prunes": near, "checked": checked, "target_met": met}
        lines.append(
            f"| {arm} | {saved:.1%} | {pooled:.1%} | {pooled_started:.1%} | {tasks_same}/{len(stats)} "
            f"| {same}/{len(runs)} ({same / len(runs):.0%}) | {worse}/{len(runs)} | {better}/{len(runs)} "
            f"| {regret:+.4f} | {rel:+.1%} | {curve} / {optuna_n} "
            f"| {false} ({near}) of {checked} checked | {'met' if met else 'NOT met'} |")
    lines += ["", f"Target (issue): >= {TARGET_SAVED:.0%} of trial-epochs saved (mean over tasks) with, on "
              "every task, the mean best error the same as none's (rule above)."]
    rules = Counter()
    for r in rows:
        for arm in PRUNING_ARMS:
            for rule, k in r["arms"][arm]["rules"].items():
                rules[(arm, rule)] += k
    lines += ["", "## Curve-rule prunes by verdict and rule (all tasks and seeds)", ""]
    if rules:
        lines += [f"- {arm}: {rule}: {k}" for (arm, rule), k in sorted(rules.items())]
    else:
        lines.append("- none")
    lines += ["", "## False prunes (pruned trials whose full run would have beaten the study's best)", ""]
    items = []
    for r in rows:
        for arm in PRUNING_ARMS:
            for f in r["arms"][arm]["false_prunes"]["beats_best"]:
                who = f["pruner"] + (f": {f['verdict']} ({f['rule']})" if f["pruner"] == "curve" else "")
                params = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in f["params"].items())
                items.append(f"- {r['task']} s{r['seed']} {arm}: trial {f['id']} pruned at step {f['step']} "
                             f"by {who}; full run {_fmt(f['full_error'])} < study best "
                             f"{_fmt(f['study_best'])} ({params})")
    lines += items or ["- none" if verify != "none" else "- not checked (--verify-prunes none)"]
    near_curve = []
    for r in rows:
        for arm in PRUNING_ARMS:
            for f in r["arms"][arm]["false_prunes"]["near_best"]:
                if f["pruner"] == "curve":
                    near_curve.append(f"- {r['task']} s{r['seed']} {arm}: trial {f['id']} pruned at step "
                                      f"{f['step']} by curve: {f['verdict']} ({f['rule']}); full run "
                                      f"{_fmt(f['full_error'])}, study best {_fmt(f['study_best'])}")
    if near_curve:
        lines += ["", "Curve-rule prunes whose full run would have come within the tolerance of the best:",
                  "", *near_curve]
    return lines, summary


def _outcome(t: dict, best: float | None) -> str:
    full = t.get("full_error")
    if "full_error" not in t:
        return "not checked"
    if full is None or not math.isfinite(full):
        return "diverged later"
    if best is None or not math.isfinite(best) or full < best:
        return "would beat the study's best"
    return "within tolerance of the best" if same_best(full, best) else "would end worse"


def audit(json_rows: list[dict]) -> list[str]:
    """What the pruners stopped, read from the rows as the JSON keeps them: for the curve rules, whether
    the reported train loss had fallen at every epoch (then an `lr_too_high` verdict contradicts its own
    evidence), and what the full run would have reached; for the Optuna pruners, at which step."""
    curve: Counter = Counter()
    steps: dict[str, Counter] = {}
    optuna: Counter = Counter()
    example = None
    for r in json_rows:
        for arm in PRUNING_ARMS:
            run = r["arms"][arm]
            for t in run["trials"]:
                p = t.get("pruned_by") or {}
                if t["status"] != "pruned":
                    continue
                outcome = _outcome(t, run["best"])
                if p.get("pruner") != "curve":
                    steps.setdefault(arm, Counter())[p.get("step")] += 1
                    optuna[(arm, outcome)] += 1
                    continue
                losses = t.get("curve", {}).get("train_loss", [])
                fell = (len(losses) >= 2 and None not in losses
                        and all(b < a for a, b in itertools.pairwise(losses)))
                curve[(arm, p.get("rule"), "fell every epoch" if fell else "did not", outcome)] += 1
                if fell and p.get("verdict") == "lr_too_high" and example is None:
                    example = (r["task"], r["seed"], arm, t["id"], p, losses, t.get("curve", {}).get("value"))
    lines = ["", "## Audit of the prunes (from the JSON rows)", "",
             "Curve-rule prunes by rule, by whether the reported train loss fell at every epoch up to the "
             "prune, and by what the full run (same config and seed) would have reached:", "",
             "| arm | rule | train loss | full run | trials |", "|---|---|---|---|---|"]
    lines += [f"| {a} | {rule} | {fell} | {outcome} | {k} |"
              for (a, rule, fell, outcome), k in sorted(curve.items(), key=lambda kv: tuple(map(str, kv[0])))]
    wrong = {a: sum(k for (arm, _r, fell, _o), k in curve.items() if arm == a and fell == "fell every epoch")
             for a in PRUNING_ARMS}
    total = {a: sum(k for (arm, *_), k in curve.items() if arm == a) for a in PRUNING_ARMS}
    lines += ["", "Curve-rule prunes on a train loss that fell at every epoch: "
              + ", ".join(f"{a} {wrong[a]} of {total[a]}" for a in PRUNING_ARMS) + "."]
    if example:
        task, seed, arm, tid, p, losses, values = example
        lines += [f"Example: {task} seed {seed} ({arm}) trial {tid}, stopped at step {p.get('step')} as "
                  f"{p.get('verdict')} by {p.get('rule')} (\"{p.get('evidence')}\"); train loss "
                  f"{[round(v, 4) for v in losses]}, validation error {values}."]
    lines += ["", "Optuna-pruned trials by the step they were stopped at, and what their full run would have "
              "reached:", ""]
    for arm in ("median", "halving"):
        if arm not in steps:
            continue
        at = ", ".join(f"step {s}: {k}" for s, k in sorted(steps[arm].items(), key=lambda kv: kv[0] or 0))
        ends = ", ".join(f"{o}: {k}" for (a, o), k in sorted(optuna.items()) if a == arm)
        lines.append(f"- {arm}: {at} | {ends}")
    return lines


def plot(rows: list[dict], names: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(12, 7.5), sharex=True)
    x = np.arange(len(names))
    width = 0.26
    for k, arm in enumerate(PRUNING_ARMS):
        stats = [per_task_stats(rows, name, arm) for name in names]
        saved = [100 * p["saved"] for p in stats]
        rel = [100 * p["rel_regret"] for p in stats]
        axes[0].bar(x + (k - 1) * width, saved, width, label=arm, color=f"C{k}")
        axes[1].bar(x + (k - 1) * width, rel, width, label=arm, color=f"C{k}")
    axes[0].axhline(100 * TARGET_SAVED, color="0.3", ls="--", lw=1, label="target 30%")
    axes[0].set_ylabel("trial-epochs saved vs none (%)")
    axes[0].legend(fontsize=8, ncol=4)
    axes[0].set_title("Pruning on the search-task suite (means over seeds)")
    axes[1].axhline(0, color="0.3", lw=1)
    axes[1].axhline(100 * REL, color="0.5", ls=":", lw=1, label="+10%")
    axes[1].set_yscale("symlog", linthresh=25)  # one task's +200% would flatten the rest
    axes[1].set_ylabel("best error vs none (% of none's best; symlog)")
    axes[1].legend(fontsize=8)
    axes[1].set_xticks(x)
    axes[1].set_xticklabels(names, rotation=25, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _round(value: Any) -> Any:
    return float(f"{value:.6g}") if isinstance(value, float) and math.isfinite(value) else value


def compact_row(row: dict) -> dict:
    """A task x seed row as the JSON keeps it: the starting config once (`base_config`, the config of
    trial 0, the enqueued starting config), each trial's searched `params` without the whole config, its
    curve as columns (epoch 0, 1, ...: `value` = validation error, `train_loss`, `val_loss`; null where
    non-finite) to 6 significant digits."""
    out = {**row, "base_config": row["arms"]["none"]["trials"][0]["config"], "arms": {}}
    for arm, run in row["arms"].items():
        trials = [{**{k: v for k, v in t.items() if k != "config"},
                   "curve": {k: [_round(v) for v in t.get("curve", {}).get(k, [])] for k in CURVE_COLUMNS}}
                  for t in run["trials"]]
        out["arms"][arm] = {**run, "trials": trials}
    return out


def write_json(path: Path, meta: dict, summary: dict, rows: list[dict]) -> None:
    """meta and summary indented, then one task x seed row a line (compact: the rows hold every trial)."""
    head = json.dumps(json_safe({"meta": meta, "summary": summary}), indent=1, default=str)
    lines = [json.dumps(json_safe(r), separators=(",", ":"), default=str) for r in rows]
    path.write_text(head[:-2] + ',\n "rows": [\n' + ",\n".join(lines) + "\n ]\n}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--tasks", default="", help="run only tasks whose name contains this text")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--verify-prunes", choices=("all", "curve", "none"), default="all",
                        help="train pruned trials to the end to find false prunes")
    parser.add_argument("--out", default=str(RESULTS / "pruning_benchmark"),
                        help="output path without extension (.json, .txt, .png are written)")
    parser.add_argument("--audit", metavar="JSON",
                        help="print the audit of the prunes of a saved JSON and stop")
    args = parser.parse_args()
    if args.audit:
        print("\n".join(audit(json.loads(Path(args.audit).read_text())["rows"])[1:]))
        return
    all_tasks = search_tasks()
    chosen = [i for i, t in enumerate(all_tasks) if args.tasks in t.name]
    if not chosen:
        sys.exit(f"no task name contains {args.tasks!r}")
    # Long studies first (the 30- and 40-epoch tasks, the unpruned arm), so the pool ends together.
    jobs = [(i, s, arm, args.trials, args.verify_prunes) for i in chosen for s in range(args.seeds)
            for arm in ARMS]
    jobs.sort(key=lambda j: (-all_tasks[j[0]].epochs, ARMS.index(j[2])))
    start = time.perf_counter()
    out: dict[tuple[int, int, str], dict] = {}
    with Pool(args.workers, maxtasksperchild=8) as pool:
        for done, (key, result) in enumerate(pool.imap_unordered(job, jobs, chunksize=1), 1):
            out[key] = result
            i, s, arm = key
            run = summarize_run(result, all_tasks[i])
            print(f"[{done}/{len(jobs)}] {all_tasks[i].name} seed {s} {arm}: best {_fmt(run['best'])}, "
                  f"{run['epochs']} trial-epochs, {run['pruned']} pruned {run['pruned_by']}, "
                  f"{run['failed']} failed ({result['seconds']:.1f} s + verify "
                  f"{result['verify_seconds']:.1f} s; {time.perf_counter() - start:.0f} s elapsed)",
                  file=sys.stderr, flush=True)
    wall = time.perf_counter() - start
    rows = analyse(all_tasks, chosen, out, args.seeds)
    lines, summary = report(all_tasks, rows, args.seeds, args.trials, args.verify_prunes)
    index = {all_tasks[i].name: i for i in chosen}

    def with_trials(r: dict) -> dict:
        trials = {arm: out[(index[r["task"]], r["seed"], arm)]["trials"] for arm in ARMS}
        return {**r, "arms": {arm: {**r["arms"][arm], "trials": trials[arm]} for arm in ARMS}}

    json_rows = json_safe([compact_row(with_trials(r)) for r in rows])
    lines += audit(json_rows)
    study_s = sum(v["seconds"] for v in out.values())
    verify_s = sum(v["verify_seconds"] for v in out.values())
    per_arm = {arm: sum(v["seconds"] for k, v in out.items() if k[2] == arm) for arm in ARMS}
    command = (f"nice .venv/bin/python benchmarks/pruning_benchmark.py --seeds {args.seeds} --trials "
               f"{args.trials}" + (f" --tasks {args.tasks}" if args.tasks else "")
               + f" --workers {args.workers} --verify-prunes {args.verify_prunes}")
    lines += ["", f"Wall time {wall:.0f} s on {args.workers} worker process(es); studies {study_s:.0f} s of "
              f"process time (" + ", ".join(f"{a} {s:.0f} s" for a, s in per_arm.items())
              + f"), false-prune check {verify_s:.0f} s. Command: {command}"]
    text = "\n".join(lines)
    print(text)
    base = Path(args.out)
    base.parent.mkdir(parents=True, exist_ok=True)
    meta = {"seeds": args.seeds, "trials": args.trials, "tasks": [all_tasks[i].name for i in chosen],
            "workers": args.workers, "wall_seconds": wall, "arms": ARMS, "sampler": "gp",
            "same_rule": {"relative": REL, "absolute": ABS}, "target_saved": TARGET_SAVED,
            "verify_prunes": args.verify_prunes, "command": command}
    write_json(base.with_suffix(".json"), meta, summary, json_rows)
    base.with_suffix(".txt").write_text(text + "\n")
    plot(rows, [all_tasks[i].name for i in chosen], base.with_suffix(".png"))


if __name__ == "__main__":
    main()
