"""The objective of the pruning benchmark (benchmarks/pruning_benchmark.py): one task of
benchmarks/search_tasks.py trained epoch by epoch, reporting after every epoch.

    objective(config, report)   # as `advisor tune` calls it: "<path>/pruning_objective.py:objective"

The task is the one whose name is in the env var `PRUNE_TASK`, the seed `PRUNE_SEED`. The training is
`search_tasks.train` unrolled, line for line: the same model, optimizer, losses, clipping, data order
(DataLoader generator seeded by the seed) and number of epochs, so the final error is the one
`search_tasks.train(task, config, seed)` returns (checked by `python benchmarks/pruning_objective.py`).
What it adds: after epoch e (0-based, as Optuna's own integrations and the tests' objectives count) the
model is scored on the validation set and `report(e, validation_error, train_loss=mean train loss of the
epoch)` is called. Scoring in eval mode draws no random numbers and changes no batch-norm statistics, so
it does not alter the training.

A non-finite training loss stops the run, as in `search_tasks.train`: the epoch is reported with value
and train loss inf (the curve rules call that `diverged`; with no pruner the report returns) and the
objective returns inf (a failed trial). A non-finite validation error is reported as inf the same way and
training goes on, as `search_tasks.train` only scores at the end.

When `PRUNE_LOG` names a file, one JSON line per trial is appended to it when the trial ends (however it
ends): the config, the epochs started, the curve so far. The benchmark reads trial-epochs from the
study's records (`steps`); the log is the cross-check (a report of inf is not stored as an intermediate
value, so `steps` leaves out the epoch in which a trial diverged).
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).parent))
from search_tasks import SearchTask, search_tasks, train


def task_named(name: str) -> SearchTask:
    for task in search_tasks():
        if task.name == name:
            return task
    raise KeyError(f"no search task named {name!r}")


def train_reporting(task: SearchTask, config: dict, seed: int,
                    report: Callable[..., None] | None, log: dict[str, Any]) -> float:
    """`search_tasks.train` with a report after every epoch; returns the final validation error."""

    def on_epoch(epoch: int, error: float, val_loss: float, train_loss: float) -> None:
        log["epochs_started"] = epoch + 1
        if math.isinf(train_loss):  # the train loss went non-finite: the run stops here
            log["curve"].append({"step": epoch, "value": None, "train_loss": None})
            log["ended"] = "diverged"
        else:
            log["curve"].append({"step": epoch, "value": error if math.isfinite(error) else None,
                                 "train_loss": train_loss,
                                 "val_loss": val_loss if math.isfinite(val_loss) else None})
        if report is not None:
            report(epoch, error, train_loss=train_loss)

    error = train(task, config, seed, on_epoch)["error"]
    if log.get("ended", "stopped") == "stopped":  # not pruned, not diverged
        log["ended"] = "complete"
    return error


def objective(config: dict, report: Callable[..., None]) -> float:
    task = task_named(os.environ["PRUNE_TASK"])
    seed = int(os.environ["PRUNE_SEED"])
    log: dict[str, Any] = {"task": task.name, "seed": seed, "config": config, "epochs_started": 0,
                           "curve": [], "ended": "stopped"}  # "stopped": pruned, or an error
    try:
        return train_reporting(task, config, seed, report, log)
    finally:
        path = os.environ.get("PRUNE_LOG")
        if path:
            with open(path, "a") as f:
                f.write(json.dumps(log, default=str) + "\n")


def _check(configs_per_task: int = 2) -> None:
    """The unrolled training ends at the error `search_tasks.train` gives (same config, same seed)."""
    from advisor import parse_profile, recommend
    from search_tasks import profile_for

    torch.set_num_threads(1)
    worst = 0.0
    for task in search_tasks():
        rec = recommend(parse_profile(profile_for(task, 20)))
        configs = [dict(rec.config), {**rec.config, "learning_rate": float(rec.config["learning_rate"]) * 3}]
        for config in configs[:configs_per_task]:
            for seed in (0, 1):
                want = train(task, config, seed)["error"]
                got = train_reporting(task, config, seed, None, {"curve": []})
                same = want == got or (math.isinf(want) and math.isinf(got))
                worst = max(worst, 0.0 if same else abs(want - got))
                print(f"{task.name:36s} seed {seed} lr {config['learning_rate']:.3g}: train {want:.6f} "
                      f"unrolled {got:.6f} {'same' if same else 'DIFFERENT'}")
    print(f"largest difference: {worst:g}")


if __name__ == "__main__":
    _check()
