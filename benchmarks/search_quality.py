"""Does the advisor's search pay off? GP search over the advisor's space, started at its config, against
the same GP search over a wide generic space started at the framework defaults.

    nice .venv/bin/python benchmarks/search_quality.py [--seeds 3] [--trials 20] [--tasks NAME] [--workers 2]

Tasks: benchmarks/search_tasks.py (10 small CPU tasks, each with the profile a user would write). Per
task and seed, four arms:
  defaults  framework defaults: Adam, lr 1e-3, batch 32, weight decay 0, dropout 0 (one training);
  start     the advisor's starting config, `recommend(parse_profile(profile)).config` (no probes);
            it is the advisor search's trial 1 (an enqueued trial trains exactly that config);
  advisor   GP search through the product's engine: an in-memory Optuna study with `SkoptSampler`
            over `distributions(rec.search_space)` (n_initial_points as `make_sampler`), the
            starting config enqueued as trial 1, each trial's config = rec.config with its point over it;
  generic   the same sampler over a wide space (lr 1e-5..1e-1 log, batch 16..256 log int, weight decay
            1e-6..1e-2 log, dropout 0..0.5, optimizer {adam, sgd}), the defaults enqueued as trial 1
            (weight decay at the range's floor 1e-6: a log range cannot hold 0).
Score: the task's validation error (1 - accuracy; 1 - balanced accuracy for the imbalanced task; MSE of
the standardized target for regression); the validation loss is recorded too. Every run trains a fixed
number of epochs at a constant learning rate (schedules, warmup, early stopping are not applied, for
any arm). Reference best = the best error either search found for that task and seed; trials to reach
it = the first trial whose best-so-far error is <= 1.10 x the reference (reference + 0.01 when the
reference is below 0.01); never reached counts as trials + 1. Regret@k = best-so-far error after k
trials minus the reference.
Writes benchmarks/results/search_quality.{json,txt,png}.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from multiprocessing import Pool
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from advisor import parse_profile, recommend
from search_tasks import SearchTask, json_safe, profile_for, search_tasks, train

RESULTS = Path(__file__).parent / "results"
DEFAULTS = {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 32, "weight_decay": 0.0,
            "dropout": 0.0}
GENERIC_START = {"learning_rate": 1e-3, "batch_size": 32, "weight_decay": 1e-6, "dropout": 0.0,
                 "optimizer": "adam"}
REL, ABS_FLOOR = 0.10, 0.01  # "within 10%": error <= best * 1.10, or best + 0.01 when best < 0.01
ARMS = ("advisor", "generic", "defaults")


def generic_distributions() -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    return {"learning_rate": FloatDistribution(1e-5, 1e-1, log=True),
            "batch_size": IntDistribution(16, 256, log=True),
            "weight_decay": FloatDistribution(1e-6, 1e-2, log=True),
            "dropout": FloatDistribution(0.0, 0.5),
            "optimizer": CategoricalDistribution(["adam", "sgd"])}


def recommendation(task: SearchTask, trials: int):
    return recommend(parse_profile(profile_for(task, trials)))


def search(task: SearchTask, seed: int, n: int, dists: dict[str, Any], base: dict, start: dict) -> list[dict]:
    """n trials of SkoptSampler (as `make_sampler("gp", ...)` builds it) with `start` enqueued first."""
    import optuna
    from optuna.trial import TrialState

    from advisor.tuning.skopt_sampler import SkoptSampler

    sampler = SkoptSampler(dists, seed=seed, n_initial_points=min(5, max(1, n // 4)))
    study = optuna.create_study(sampler=sampler, direction="minimize")
    study.enqueue_trial(start)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        trial = study.ask(fixed_distributions=dists)
        ask_s = time.perf_counter() - t0
        config = {**base, **trial.params}
        result = train(task, config, seed)
        if math.isfinite(result["error"]):
            study.tell(trial, result["error"])
        else:
            study.tell(trial, state=TrialState.FAIL)
        out.append({"params": trial.params, **result, "ask_seconds": ask_s})
    return out


def job(args: tuple[int, int, str, int]) -> tuple[tuple[int, int, str], dict]:
    import optuna
    import torch

    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    index, seed, arm, n = args
    task = search_tasks()[index]
    t0 = time.perf_counter()
    if arm == "defaults":
        out: dict[str, Any] = {"result": train(task, DEFAULTS, seed)}
    elif arm == "generic":
        out = {"trials": search(task, seed, n, generic_distributions(), DEFAULTS, GENERIC_START)}
    else:
        from advisor.tuning.skopt_sampler import distributions

        rec = recommendation(task, n)
        dists = distributions(rec.search_space)
        start = {name: rec.config[name] for name in dists}
        out = {"trials": search(task, seed, n, dists, rec.config, start)}
    out["seconds"] = time.perf_counter() - t0
    return (index, seed, arm), out


def best_so_far(trials: list[dict]) -> list[float]:
    return [float(v) for v in np.minimum.accumulate([t["error"] for t in trials])]


def target_of(best: float) -> float:
    return best * (1 + REL) if best >= ABS_FLOOR else best + ABS_FLOOR


def trials_to(curve: list[float], target: float) -> int | None:
    return next((i for i, v in enumerate(curve, 1) if v <= target), None)


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "-"
    if not math.isfinite(value):
        return "inf"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:.3g}"


def _space_text(rec) -> str:
    parts = []
    for d in rec.search_space:
        if d.type == "categorical":
            parts.append(f"{d.name} {{{', '.join(str(c) for c in d.categories or ())}}}")
        else:
            log = " log" if d.prior == "log-uniform" else ""
            parts.append(f"{d.name} [{d.low:g}, {d.high:g}]{log}")
    return "; ".join(parts)


def analyse(all_tasks: tuple[SearchTask, ...], out: dict, seeds: int, n: int) -> tuple[list[dict], list[str]]:
    rows: list[dict] = []
    for i, task in enumerate(all_tasks):
        if (i, 0, "advisor") not in out:
            continue
        for s in range(seeds):
            adv, gen = out[(i, s, "advisor")]["trials"], out[(i, s, "generic")]["trials"]
            ca, cg = best_so_far(adv), best_so_far(gen)
            best = min(ca[-1], cg[-1])
            target = target_of(best)
            ta, tg = trials_to(ca, target), trials_to(cg, target)
            defaults = out[(i, s, "defaults")]["result"]
            rows.append({
                "task": task.name, "seed": s, "metric": task.metric, "reference_best": best, "target": target,
                "defaults": defaults, "start": {k: adv[0][k] for k in ("error", "loss", "seconds")},
                "start_beats_defaults": adv[0]["error"] < defaults["error"],
                "advisor": {"best": ca[-1], "trials_to_target": ta, "curve": ca, "trials": adv},
                "generic": {"best": cg[-1], "trials_to_target": tg, "curve": cg, "trials": gen},
                "regret": {f"{arm}@{k}": (c[k - 1] - best) if len(c) >= k else None
                           for arm, c in (("advisor", ca), ("generic", cg)) for k in (5, 10)},
            })
    lines = report(all_tasks, rows, seeds, n)
    return rows, lines


def report(all_tasks: tuple[SearchTask, ...], rows: list[dict], seeds: int, n: int) -> list[str]:
    never = n + 1

    def count(t: int | None) -> int:
        return never if t is None else t

    names = {r["task"] for r in rows}
    lines = [f"# Search quality: {len(names)} tasks x {seeds} seeds, {n} trials per search", "",
             "Trials to within 10% of the best error either search found (<= best x 1.10; "
             f"best + {ABS_FLOOR} when best < {ABS_FLOOR}); never reached = {never}, "
             "marked * with the number of seeds. "
             "Regret@k: best-so-far error after k trials minus that best. Means over seeds.", "",
             "| task | metric | trials adv | trials gen | regret@5 adv | regret@5 gen | regret@10 adv "
             "| regret@10 gen | best adv | best gen | start err | defaults err | start beats defaults |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    per_task = []
    for task in all_tasks:
        tr = [r for r in rows if r["task"] == task.name]
        if not tr:
            continue
        ta = [count(r["advisor"]["trials_to_target"]) for r in tr]
        tg = [count(r["generic"]["trials_to_target"]) for r in tr]
        na = sum(r["advisor"]["trials_to_target"] is None for r in tr)
        ng = sum(r["generic"]["trials_to_target"] is None for r in tr)
        wins = sum(r["start_beats_defaults"] for r in tr)

        def mean(key: str, rows_: list[dict] = tr) -> float:
            values = [r["regret"][key] for r in rows_ if r["regret"][key] is not None]
            return float(np.mean(values)) if values else math.nan

        start = float(np.mean([r["start"]["error"] for r in tr]))
        defaults = float(np.mean([r["defaults"]["error"] for r in tr]))
        best_a = float(np.mean([r["advisor"]["best"] for r in tr]))
        best_g = float(np.mean([r["generic"]["best"] for r in tr]))
        beats = wins * 2 > len(tr)
        per_task.append({"task": task.name, "ta": float(np.mean(ta)), "tg": float(np.mean(tg)),
                         "beats": beats})
        mark_a = f" *{na}" if na else ""
        mark_g = f" *{ng}" if ng else ""
        lines.append(
            f"| {task.name} | {task.metric} | {np.mean(ta):.1f}{mark_a} | {np.mean(tg):.1f}{mark_g} "
            f"| {_fmt(mean('advisor@5'))} | {_fmt(mean('generic@5'))} | {_fmt(mean('advisor@10'))} "
            f"| {_fmt(mean('generic@10'))} | {_fmt(best_a)} | {_fmt(best_g)} | {_fmt(start)} "
            f"| {_fmt(defaults)} "
            f"| {'yes' if beats else 'no'} ({wins}/{len(tr)}) |")
    if not per_task:
        return lines
    all_a = [count(r["advisor"]["trials_to_target"]) for r in rows]
    all_g = [count(r["generic"]["trials_to_target"]) for r in rows]
    ratios = [p["ta"] / p["tg"] for p in per_task]
    ratio = float(np.mean(all_a) / np.mean(all_g))
    worse = [f"{p['task']} (+{p['ta'] - p['tg']:.1f})" for p in per_task if p["ta"] - p["tg"] > 2]
    beats = sum(p["beats"] for p in per_task)
    adv_better = sum(r["advisor"]["best"] < r["generic"]["best"] for r in rows)
    gen_better = sum(r["generic"]["best"] < r["advisor"]["best"] for r in rows)
    lines += [
        "", "## Targets", "",
        f"- Trials to within 10%: advisor space {np.mean(all_a):.2f}, generic space {np.mean(all_g):.2f} "
        f"(mean over {len(rows)} task x seed runs); ratio of the means {ratio:.2f}, "
        f"mean of the per-task ratios {np.mean(ratios):.2f}. "
        f"Target <= 0.5: {'met' if ratio <= 0.5 else 'NOT met'}.",
        f"- Tasks where the advisor space needs more than 2 trials more than the generic space (means over "
        f"seeds): {len(worse)} ({', '.join(worse) or 'none'}). "
        f"Target 0: {'met' if not worse else 'NOT met'}.",
        f"- Starting config beats the framework defaults (lower error on the majority of seeds): {beats}/"
        f"{len(per_task)} tasks = {beats / len(per_task):.0%}. Target >= 80%: "
        f"{'met' if beats / len(per_task) >= 0.8 else 'NOT met'}.",
        f"- Best error after {n} trials: advisor space lower on {adv_better}, generic lower on {gen_better}, "
        f"tied on {len(rows) - adv_better - gen_better} of {len(rows)} runs.",
    ]
    return lines


def dimensions_report(all_tasks: tuple[SearchTask, ...], n: int) -> list[str]:
    lines = ["", f"## What the advisor opened ({n} trials; profile without probes)", "",
             "| task | searched dimensions | starting config (fixed unless searched) |", "|---|---|---|"]
    keys = ("optimizer", "learning_rate", "batch_size", "momentum", "beta1", "beta2", "eps", "weight_decay",
            "dropout", "label_smoothing", "grad_clip_norm")
    for task in all_tasks:
        rec = recommendation(task, n)
        config = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                           for k in keys if (v := rec.config.get(k)) is not None)
        lines.append(f"| {task.name} | {_space_text(rec)} | {config} |")
    return lines


def arm_best_configs(all_tasks: tuple[SearchTask, ...], rows: list[dict]) -> list[str]:
    """The best config each search found per task and seed (to see where the optima lie)."""
    lines = ["", "## Best point found per task and seed (advisor space | generic space)", ""]
    for task in all_tasks:
        for r in (r for r in rows if r["task"] == task.name):
            parts = []
            for arm in ("advisor", "generic"):
                trials = r[arm]["trials"]
                k = int(np.argmin([t["error"] for t in trials]))
                p = ", ".join(f"{a}={b:.3g}" if isinstance(b, float) else f"{a}={b}"
                              for a, b in trials[k]["params"].items())
                parts.append(f"#{k + 1} {_fmt(trials[k]['error'])} ({p})")
            lines.append(f"- {task.name} s{r['seed']}: {parts[0]} | {parts[1]}")
    return lines


def plot(all_tasks: tuple[SearchTask, ...], rows: list[dict], n: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = [t for t in all_tasks if any(r["task"] == t.name for r in rows)]
    cols = min(5, len(shown))
    nrows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.6 * cols, 3.0 * nrows), squeeze=False)
    x = np.arange(1, n + 1)
    for ax, task in zip(axes.flat, shown, strict=False):
        tr = [r for r in rows if r["task"] == task.name]
        values = []
        for arm, color, label in (("advisor", "C0", "advisor space"), ("generic", "C3", "generic space")):
            curves = np.array([[v if math.isfinite(v) else np.nan for v in r[arm]["curve"]] for r in tr])
            for c in curves:
                ax.plot(x, c, color=color, alpha=0.3, lw=0.8)
            ax.plot(x, np.nanmean(curves, axis=0), color=color, lw=2, label=label)
            values.extend(curves[np.isfinite(curves)].tolist())
        defaults = float(np.mean([r["defaults"]["error"] for r in tr]))
        ax.axhline(defaults, color="0.4", ls="--", lw=1, label="defaults")
        values.append(defaults)
        positive = [v for v in values if math.isfinite(v)]
        if positive and min(positive) > 0 and max(positive) / min(positive) > 3:
            ax.set_yscale("log")
        ax.set_title(task.name, fontsize=9)
        ax.set_xlabel("trial", fontsize=8)
        ax.set_ylabel(f"best {task.metric} so far", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(shown):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--tasks", default="", help="run only tasks whose name contains this text")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default=str(RESULTS / "search_quality"),
                        help="output path without extension (.json, .txt, .png are written)")
    args = parser.parse_args()
    all_tasks = search_tasks()
    chosen = [i for i, t in enumerate(all_tasks) if args.tasks in t.name]
    if not chosen:
        sys.exit(f"no task name contains {args.tasks!r}")
    jobs = [(i, s, arm, args.trials) for arm in ARMS for i in chosen for s in range(args.seeds)]
    start = time.perf_counter()
    out: dict[tuple[int, int, str], dict] = {}
    with Pool(args.workers) as pool:
        for done, (key, result) in enumerate(pool.imap_unordered(job, jobs, chunksize=1), 1):
            out[key] = result
            i, s, arm = key
            best = (result["result"]["error"] if arm == "defaults"
                    else min(t["error"] for t in result["trials"]))
            print(f"[{done}/{len(jobs)}] {all_tasks[i].name} seed {s} {arm}: best error {_fmt(best)} "
                  f"({result['seconds']:.1f} s; {time.perf_counter() - start:.0f} s elapsed)",
                  file=sys.stderr, flush=True)
    wall = time.perf_counter() - start
    tasks = tuple(all_tasks[i] for i in chosen)
    rows, lines = analyse(all_tasks, out, args.seeds, args.trials)
    lines += dimensions_report(tasks, args.trials)
    lines += arm_best_configs(tasks, rows)
    train_s = sum(t["seconds"] for r in rows for arm in ("advisor", "generic") for t in r[arm]["trials"])
    ask_s = sum(t["ask_seconds"] for r in rows for arm in ("advisor", "generic") for t in r[arm]["trials"])
    lines += ["", f"Wall time {wall:.0f} s on {args.workers} worker(s); training {train_s:.0f} s and GP asks "
              f"{ask_s:.0f} s of CPU in the searches. Command: nice .venv/bin/python "
              f"benchmarks/search_quality.py --seeds {args.seeds} --trials {args.trials}"
              + (f" --tasks {args.tasks}" if args.tasks else "") + f" --workers {args.workers}"]
    text = "\n".join(lines)
    print(text)
    base = Path(args.out)
    base.parent.mkdir(parents=True, exist_ok=True)
    meta = {"seeds": args.seeds, "trials": args.trials, "tasks": [t.name for t in tasks],
            "workers": args.workers, "wall_seconds": wall,
            "target_rule": {"relative": REL, "absolute_floor": ABS_FLOOR},
            "defaults": DEFAULTS, "generic_start": GENERIC_START}
    document = json_safe({"meta": meta, "rows": rows})
    base.with_suffix(".json").write_text(json.dumps(document, indent=1, default=str))
    base.with_suffix(".txt").write_text(text + "\n")
    plot(tasks, rows, args.trials, base.with_suffix(".png"))


if __name__ == "__main__":
    main()
