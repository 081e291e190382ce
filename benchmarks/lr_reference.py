"""Brute-force reference learning rates for the tasks of `lr_suite.py`.

The reference for a task and an optimizer is the best *constant* learning rate for the whole
training run (the task's epochs and batch size), found by brute force: every LR of a grid with
3 points per decade, 10**(k/3) from 1e-5 up to 2.15, plus 3.0 as the top end, is trained from
scratch with several seeds. `best_lr` minimizes the mean over seeds of the final validation
loss; `band_5pct` spans the lowest to the highest LR whose mean is within 5% of that best. A
run that diverges (NaN/inf loss) counts as inf, so an LR that diverges for any seed is never best.

    .venv/bin/python benchmarks/lr_reference.py [--tasks a,b] [--optimizers sgd,momentum,adam,adamw]
        [--seeds 3] [--out benchmarks/results/lr_reference] [--jobs 1]

One JSON file per task and optimizer, `<out>/<task>__<optimizer>.json`, written atomically as
soon as it is done; existing files are skipped, so an interrupted sweep resumes where it stopped.
To regenerate, delete the files (or the folder) and run it again. Losses are Python floats and a
diverged run is written as `Infinity` (Python's json reads it back as inf).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from lr_suite import suite, suite_by_name, train_run

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
# 3 per decade from 1e-5; 10**(2/3) = 4.6 overshoots the 3.0 top, so the grid ends at 2.15 then 3.0.
LRS = [float(f"{10 ** (k / 3):.4g}") for k in range(-15, 2)] + [3.0]
DEFAULT_OUT = Path(__file__).parent / "results" / "lr_reference"


def _init_worker() -> None:
    torch.set_num_threads(1)  # one core per run: runs are timed and must not fight over cores


def _run(args: tuple[str, str, float, int]) -> tuple[float, int, dict]:
    name, optimizer, lr, seed = args
    return lr, seed, train_run(suite_by_name()[name], optimizer, lr, seed)


def summarize(name: str, optimizer: str, seeds: list[int], runs: dict[tuple[float, int], dict]) -> dict:
    def table(key: str) -> list[list[float]]:
        return [[runs[lr, s][key] for s in seeds] for lr in LRS]

    final = table("val_loss_final")
    means = np.array([np.mean(row) if all(math.isfinite(v) for v in row) else math.inf for row in final])
    best_lr, band = None, None
    if np.isfinite(means).any():
        best = int(np.argmin(means))
        best_lr = LRS[best]
        inside = [lr for lr, m in zip(LRS, means, strict=True) if m <= means[best] * 1.05]
        band = [min(inside), max(inside)]
    return {"task": name, "optimizer": optimizer, "lrs": LRS, "seeds": seeds,
            "val_loss_final": final, "val_loss_best": table("val_loss_best"),
            "train_loss_final": table("train_loss_final"),
            "steps_per_run": max(r["steps"] for r in runs.values()),
            "seconds": sum(r["seconds"] for r in runs.values()),
            "best_lr": best_lr, "band_5pct": band}


def _write(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)  # atomic: a reader never sees half a file, a crash leaves no partial result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", help="comma-separated task names (default: the whole suite)")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()

    known = [t.name for t in suite()]
    names = args.tasks.split(",") if args.tasks else known
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"unknown tasks {unknown}; known: {', '.join(known)}")
    optimizers = args.optimizers.split(",")
    seeds = list(range(args.seeds))
    args.out.mkdir(parents=True, exist_ok=True)
    todo = [(n, o) for n in names for o in optimizers if not (args.out / f"{n}__{o}.json").exists()]
    print(f"{len(todo)} of {len(names) * len(optimizers)} task x optimizer files to do, "
          f"{len(LRS)} LRs x {len(seeds)} seeds each", file=sys.stderr, flush=True)

    _init_worker()
    pool = Pool(args.jobs, initializer=_init_worker) if args.jobs > 1 else None
    start = time.perf_counter()
    try:
        for done, (name, optimizer) in enumerate(todo, 1):
            jobs = [(name, optimizer, lr, s) for lr in LRS for s in seeds]
            results = pool.imap_unordered(_run, jobs) if pool else map(_run, jobs)
            runs = {(lr, s): r for lr, s, r in results}
            data = summarize(name, optimizer, seeds, runs)
            _write(args.out / f"{name}__{optimizer}.json", data)
            print(f"[{done}/{len(todo)}] {name} {optimizer}: best_lr={data['best_lr']} "
                  f"band={data['band_5pct']} ({data['seconds']:.0f}s of runs, "
                  f"{time.perf_counter() - start:.0f}s elapsed)", file=sys.stderr, flush=True)
    finally:
        if pool:
            pool.close()
            pool.join()


if __name__ == "__main__":
    main()
