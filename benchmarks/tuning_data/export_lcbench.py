"""Export a full-factorial grid of LCBench (YAHPO Gym surrogate) as a tuning table.

Runs in its own environment (yahpo-gym pins numpy < 2 and ConfigSpace 0.6): see `make priors`.
Usage: export_lcbench.py YAHPO_DATA_DIR OUT_DIR

YAHPO_DATA_DIR holds `lcbench/` from the public slds-lmu/yahpo_data repository (not shipped
here: the surrogate is 20 MB and under its own licence). The table written to OUT_DIR is
derived data and stays out of the repository as well; the priors read from it are cited in
rules/advisor_rules/sources.yaml.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import sys
import time
from pathlib import Path

# Training settings on a log grid over LCBench's own ranges; the architecture (depth, width) is
# a separate axis that the analysis averages out.
GRID = {
    "learning_rate": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
    "batch_size": [16, 32, 64, 128, 256, 512],
    "momentum": [0.1, 0.5, 0.9, 0.99],
    "weight_decay": [1e-5, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1],
    "dropout": [0.0, 0.25, 0.5, 0.75],
}
ARCH = {"num_layers": [1, 3, 5], "max_units": [64, 256, 1024]}
EPOCH = 50  # the surrogate's epoch 52 is an artefact of the original data (YAHPO changelog)
TARGETS = ("val_accuracy", "val_balanced_accuracy", "val_cross_entropy")


def _inside(lr: float) -> float:
    # ConfigSpace stores the bounds as 1.00000000000000009e-4 and 0.10000000000000002.
    return min(max(lr, 1.000001e-4), 0.0999999)


def main(data_dir: str, out_dir: str) -> None:
    from yahpo_gym import BenchmarkSet, local_config

    local_config.init_config()
    local_config.set_data_path(data_dir)
    bench = BenchmarkSet("lcbench")
    names = [*GRID, *ARCH]
    points = list(itertools.product(*GRID.values(), *ARCH.values()))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "lcbench_grid.csv.gz"
    tasks = list(bench.instances)
    start = time.time()
    with gzip.open(path, "wt", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["task_id", *names, *TARGETS])
        for i, task in enumerate(tasks, 1):
            bench.set_instance(task)
            configs = [
                {"OpenML_task_id": task, "epoch": EPOCH, "learning_rate": _inside(p[0]), "batch_size": p[1],
                 "momentum": p[2], "weight_decay": p[3], "max_dropout": p[4], "num_layers": p[5],
                 "max_units": p[6]}
                for p in points
            ]
            results = bench.objective_function(configs)
            for p, r in zip(points, results, strict=True):
                writer.writerow([task, *p, *(f"{float(r[t]):.6g}" for t in TARGETS)])
            print(f"[{i}/{len(tasks)}] task {task}: {len(points)} configurations "
                  f"({time.time() - start:.0f} s)", file=sys.stderr)
    print(path)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
