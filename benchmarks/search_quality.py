"""Does the advice pay off? Defaults vs the advisor's starting config, and GP search over the
advisor's space vs the same search over a generic wide space.

    .venv/bin/python benchmarks/search_quality.py [--seeds 3] [--trials 15]

Per task and seed: (a) framework defaults (Adam 1e-3, batch 32, no weight decay, no dropout);
(b) the advisor's starting config with the LR probe; (c) GP search (scikit-optimize, N trials,
starting config first) over the advisor's space; (d) the same GP search over a generic space
(lr 1e-5..1e-1 log, batch 16..256, weight decay 1e-6..1e-2 log, dropout 0..0.5, optimizer
{adam, sgd}). Score: validation loss (lower is better). Prints tables, writes
benchmarks/results/search_quality.json and best-so-far curves to benchmarks/results/search_quality.png.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import warnings
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).parent))
from advisor import ProbeResults, parse_profile, recommend
from advisor.core.search_space import point_to_config, to_skopt_dimensions
from advisor_probes import lr_range_test
from lr_tasks import Task, tasks, train

RESULTS = Path(__file__).parent / "results"
DEFAULTS = {"optimizer": "adam", "learning_rate": 1e-3, "batch_size": 32, "weight_decay": 0.0,
            "dropout": 0.0}


def advisor_recommendation(task: Task, seed: int, trials: int):
    torch.manual_seed(seed)
    model = task.make_model()
    loader = DataLoader(task.train, batch_size=task.batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    probe = lr_range_test(model, loader, task.loss, optimizer=task.optimizer, seed=seed)
    profile = parse_profile({**task.profile, "budget": {"trials": trials}})
    return recommend(profile, ProbeResults(lr_range=probe))


def generic_space():
    from skopt.space import Categorical, Integer, Real

    return [Real(1e-5, 1e-1, prior="log-uniform", name="learning_rate"),
            Integer(16, 256, name="batch_size"),
            Real(1e-6, 1e-2, prior="log-uniform", name="weight_decay"),
            Real(0.0, 0.5, name="dropout"), Categorical(["adam", "sgd"], name="optimizer")]


def gp_search(objective, dims, n: int, seed: int, x0=None) -> list[float]:
    from skopt import Optimizer

    opt = Optimizer(dims, base_estimator="GP", n_initial_points=min(5, n), random_state=seed)
    values: list[float] = []
    for i in range(n):
        point = list(x0) if (i == 0 and x0 is not None) else opt.ask()
        value = objective(point)
        values.append(value)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opt.tell(point, value if math.isfinite(value) else 1e3)
    return values


def job(args: tuple[int, int, str, int]) -> dict:
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    index, seed, arm, trials = args
    task = tasks()[index]
    if arm == "defaults":
        return {"values": [train(task, DEFAULTS, seed)]}
    if arm == "generic":
        dims = generic_space()
        names = [d.name for d in dims]

        def objective(point):
            config = {k: (v.item() if hasattr(v, "item") else v) for k, v in zip(names, point, strict=True)}
            return train(task, config, seed)

        return {"values": gp_search(objective, dims, trials, seed)}
    rec = advisor_recommendation(task, seed, trials)
    if arm == "advisor-start":
        return {"values": [train(task, rec.config, seed)], "config": rec.config}
    dims = rec.search_space
    x0 = [rec.config[d.name] for d in dims]
    return {"values": gp_search(lambda p: train(task, point_to_config(dims, p, rec.config), seed),
                                to_skopt_dimensions(dims), trials, seed, x0),
            "space": [d.name for d in dims]}


def trials_to_reach(values: list[float], target: float) -> float:
    best = math.inf
    for i, v in enumerate(values, 1):
        best = min(best, v)
        if best <= target:
            return i
    return math.inf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=15)
    args = parser.parse_args()
    all_tasks = tasks()
    arms = ["defaults", "advisor-start", "advisor-search", "generic"]
    jobs = [(i, s, a, args.trials) for i in range(len(all_tasks)) for s in range(args.seeds) for a in arms]
    with Pool(os.cpu_count() or 1) as pool:
        results = pool.map(job, jobs, chunksize=1)
    out = {(j[0], j[1], j[2]): r for j, r in zip(jobs, results, strict=True)}
    print("| task | seed | defaults (a) | advisor start (b) | b <= a | advisor search best (c) "
          "| generic search best (d) | trials to 99%: c / d |")
    print("|---|---|---|---|---|---|---|---|")
    wins, ratios, rows = 0, [], []
    for i, task in enumerate(all_tasks):
        task_wins = []
        for s in range(args.seeds):
            a = out[(i, s, "defaults")]["values"][0]
            b = out[(i, s, "advisor-start")]["values"][0]
            c = out[(i, s, "advisor-search")]["values"]
            d = out[(i, s, "generic")]["values"]
            best = min(a, b, min(c), min(d))
            target = best * 1.01 if best > 0 else best + 1e-3
            tc, td = trials_to_reach(c, target), trials_to_reach(d, target)
            ratios.append((tc, td))
            task_wins.append(b <= a)
            rows.append({"task": task.name, "seed": s, "a": a, "b": b, "c": c, "d": d, "tc": tc, "td": td})
            print(f"| {task.name} | {s} | {a:.4f} | {b:.4f} | {'yes' if b <= a else 'no'} | {min(c):.4f} "
                  f"| {min(d):.4f} | {tc} / {td} |")
        wins += sum(task_wins) * 2 > len(task_wins)
    finite_c = [tc if math.isfinite(tc) else args.trials + 1 for tc, _ in ratios]
    finite_d = [td if math.isfinite(td) else args.trials + 1 for _, td in ratios]
    print(f"\n(b) >= (a) on {wins}/{len(all_tasks)} tasks (majority of seeds); target >= 80%")
    print(f"mean trials to reach 99% of the best score: advisor space {np.mean(finite_c):.1f}, "
          f"generic space {np.mean(finite_d):.1f} (never reached counts as {args.trials + 1}); "
          f"target: advisor <= half of generic")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search_quality.json").write_text(json.dumps(rows, indent=1, default=str))
    _plot(rows, all_tasks, args.trials)


def _plot(rows: list[dict], all_tasks: list[Task], n: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(all_tasks), figsize=(4 * len(all_tasks), 3.4))
    for ax, task in zip(axes, all_tasks, strict=True):
        for key, color, label in (("c", "C0", "advisor space"), ("d", "C3", "generic space")):
            for r in (r for r in rows if r["task"] == task.name):
                ax.plot(range(1, n + 1), np.minimum.accumulate(np.array(r[key], dtype=float)),
                        color=color, alpha=0.6, label=label if r["seed"] == 0 else None)
        a = np.mean([r["a"] for r in rows if r["task"] == task.name])
        ax.axhline(a, color="0.5", ls="--", label="defaults (a)")
        ax.set_title(task.name, fontsize=9)
        ax.set_xlabel("trial")
        ax.set_yscale("log")
    axes[0].set_ylabel("best validation loss so far")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / "search_quality.png", dpi=110)


if __name__ == "__main__":
    main()
