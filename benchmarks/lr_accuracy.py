"""LR range test accuracy: ours vs fastai `valley`, torch-lr-finder and Lightning `lr_find`.

    make bench-deps   # installs the anchors into .venv (not part of CI)
    .venv/bin/python benchmarks/lr_accuracy.py [--seeds 5] [--sweep-seeds 3] [--tasks N]

For each task a brute-force sweep of constant LRs (0.25-decade grid, several seeds, fixed epochs)
gives the best LR, the band of LRs whose validation loss is within 5% of the best, and a validation
loss curve. Each finder then suggests an LR (same optimizer, batch size, LR span 1e-6..10 and 100
steps) and is scored three ways: decades from the best LR, decades from the 5% band (0 inside it),
and the validation-loss regret at the suggestion (relative to the best). Prints tables; writes
benchmarks/results/lr_accuracy.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import math
import os
import statistics
import sys
import time
import warnings
from functools import partial
from multiprocessing import Pool
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).parent))
from advisor_probes import lr_range_test
from advisor_probes.optimizers import build_optimizer
from lr_tasks import Task, tasks, train

GRID = 10 ** np.arange(-5.0, 0.76, 0.25)
START, END, STEPS = 1e-6, 10.0, 100
RESULTS = Path(__file__).parent / "results"


def train_val_loss(task: Task, lr: float, seed: int) -> float:
    return train(task, {"optimizer": task.optimizer, "learning_rate": lr,
                        "batch_size": task.batch_size}, seed)


def _sweep_point(args: tuple[int, float, int]) -> tuple[int, float, int, float]:
    torch.set_num_threads(1)
    index, lr, seed = args
    return index, lr, seed, train_val_loss(tasks()[index], lr, seed)


def sweep(task_ids: list[int], seeds: int) -> dict[int, np.ndarray]:
    jobs = [(i, float(lr), s) for i in task_ids for lr in GRID for s in range(seeds)]
    curves = {i: np.zeros((len(GRID), seeds)) for i in task_ids}
    with Pool(max(1, os.cpu_count() or 1)) as pool:
        for n, (i, lr, s, value) in enumerate(pool.imap_unordered(_sweep_point, jobs), 1):
            curves[i][int(np.argmin(abs(GRID - lr))), s] = value
            print(f"\r  sweep {n}/{len(jobs)}", end="", file=sys.stderr)
    print(file=sys.stderr)
    return {i: np.where(np.isfinite(c), c, np.inf).mean(axis=1) for i, c in curves.items()}


def score(curve: np.ndarray, lr: float | None, grid: np.ndarray = GRID) -> dict[str, float]:
    """Decades from the best LR and from the 5% band, and the loss regret, on `grid`'s curve."""
    logs = np.log10(grid)
    best_i = int(np.argmin(curve))
    best = curve[best_i]
    band = logs[curve <= best * 1.05]
    if lr is None or not math.isfinite(lr) or lr <= 0:
        return {"decades": math.inf, "band_decades": math.inf, "regret": math.inf}
    x = math.log10(lr)
    finite = np.where(np.isfinite(curve), curve, curve[np.isfinite(curve)].max() * 10)
    at = float(np.interp(x, logs, finite, left=finite[0], right=finite[-1]))
    band_dist = 0.0 if band.min() <= x <= band.max() else float(min(abs(x - band.min()), abs(x - band.max())))
    return {"decades": abs(x - logs[best_i]), "band_decades": band_dist, "regret": (at - best) / best}


def _fresh(task: Task, seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return task.make_model()


def _loader(task: Task, seed: int) -> DataLoader:
    return DataLoader(task.train, batch_size=task.batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


def _probe(task: Task, seed: int):
    model = _fresh(task, seed)
    return lr_range_test(model, _loader(task, seed), task.loss, optimizer=task.optimizer,
                         start_lr=START, end_lr=END, steps=STEPS, seed=seed)


def ours_probe_only(task: Task, seed: int) -> float | None:
    return _probe(task, seed).suggested_lr


def ours(task: Task, seed: int) -> float | None:
    """The advisor's learning rate: the probe's curve read together with the profile's rules."""
    return recommended_lr(task, _probe(task, seed))


def recommended_lr(task: Task, probe) -> float | None:
    from advisor import ProbeResults, parse_profile, recommend

    rec = recommend(parse_profile(task.profile), ProbeResults(lr_range=probe))
    return rec.config["learning_rate"]


def torch_lr_finder(task: Task, seed: int) -> float | None:
    import matplotlib

    matplotlib.use("Agg")
    from torch_lr_finder import LRFinder

    model = _fresh(task, seed)
    opt = build_optimizer(task.optimizer, model.parameters(), START)
    finder = LRFinder(model, opt, task.loss, device="cpu")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        finder.range_test(_loader(task, seed), start_lr=START, end_lr=END, num_iter=STEPS)
        _, lr = finder.plot(suggest_lr=True)  # the suggestion needs a plot
    import matplotlib.pyplot as plt

    plt.close("all")
    return float(lr) if lr is not None else None


def lightning(task: Task, seed: int) -> float | None:
    import lightning as L
    from lightning.pytorch.tuner import Tuner

    class Module(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.model = _fresh(task, seed)
            self.lr = START

        def training_step(self, batch, _):
            x, y = batch
            return task.loss(self.model(x), y)

        def configure_optimizers(self):
            return build_optimizer(task.optimizer, self.model.parameters(), self.lr)

    # Enough epochs that small datasets do not end the 100-step search early.
    trainer = L.Trainer(accelerator="cpu", max_epochs=1000, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        found = Tuner(trainer).lr_find(Module(), train_dataloaders=_loader(task, seed), min_lr=START,
                                       max_lr=END, num_training=STEPS, update_attr=False)
    return found.suggestion() if found is not None else None


def fastai_valley(task: Task, seed: int) -> float | None:
    from fastai.callback.schedule import valley
    from fastai.data.core import DataLoaders
    from fastai.data.load import DataLoader as FastDataLoader
    from fastai.learner import Learner
    from fastai.optimizer import OptimWrapper

    torch.manual_seed(seed)
    dls = DataLoaders(FastDataLoader(task.train, bs=task.batch_size, shuffle=True),
                      FastDataLoader(task.valid, bs=256), device="cpu")
    opt_func = partial(_fastai_opt, OptimWrapper, task.optimizer)
    learn = Learner(dls, _fresh(task, seed), loss_func=task.loss, opt_func=opt_func)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            learn.no_bar(), learn.no_logging():
        found = learn.lr_find(start_lr=START, end_lr=END, num_it=STEPS, suggest_funcs=(valley,),
                              show_plot=False)
    return float(found.valley)


def _fastai_opt(wrapper, name: str, params, lr):
    return wrapper(params, opt=lambda p, lr: build_optimizer(name, p, lr), lr=lr)


METHODS = {"ours": ours, "ours (probe only)": ours_probe_only, "fastai valley": fastai_valley,
           "torch-lr-finder": torch_lr_finder, "lightning lr_find": lightning}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sweep-seeds", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=None, help="only the first N tasks")
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    all_tasks = tasks()[: args.tasks]
    ids = list(range(len(all_tasks)))
    t0 = time.time()
    curves = sweep(ids, args.sweep_seeds)
    print(f"sweep: {len(ids)} tasks x {len(GRID)} LRs x {args.sweep_seeds} seeds in {time.time() - t0:.0f} s")
    rows = []
    methods = [m for m in args.methods.split(",") if m in METHODS]
    for i, task in enumerate(all_tasks):
        best_lr = float(GRID[int(np.argmin(curves[i]))])
        print(f"\n{task.name}: best constant LR {best_lr:.3g} (val loss {curves[i].min():.4f})")
        for method in methods:
            for seed in range(args.seeds):
                torch.set_num_threads(2)
                try:
                    lr = METHODS[method](task, seed)
                except Exception as exc:  # an anchor that crashes scores as a miss
                    print(f"  {method} seed {seed}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                    lr = None
                s = score(curves[i], lr)
                rows.append({"task": task.name, "method": method, "seed": seed, "lr": lr,
                             "best_lr": best_lr, **s})
            mine = [r for r in rows if r["task"] == task.name and r["method"] == method]
            shown = ["None" if r["lr"] is None else f"{r['lr']:.2g}" for r in mine]
            print(f"  {method:<18} lrs {shown}  "
                  f"median {statistics.median(r['decades'] for r in mine):.2f} dec")
    print("\n| method | median decades | worst decades | median band decades | worst band decades "
          "| median regret | worst regret |")
    print("|---|---|---|---|---|---|---|")
    for method in methods:
        mine = [r for r in rows if r["method"] == method]

        def stat(key: str, fn, mine=mine) -> str:
            value = fn([r[key] for r in mine])
            if math.isinf(value):
                return "inf"
            return f"{100 * value:.1f}%" if key == "regret" else f"{value:.2f}"

        print(f"| {method} | {stat('decades', statistics.median)} | {stat('decades', max)} | "
              f"{stat('band_decades', statistics.median)} | {stat('band_decades', max)} | "
              f"{stat('regret', statistics.median)} | {stat('regret', max)} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lr_accuracy.json").write_text(json.dumps(
        {"grid": GRID.tolist(), "curves": {all_tasks[i].name: c.tolist() for i, c in curves.items()},
         "rows": rows}, indent=1, default=str))


if __name__ == "__main__":
    main()
