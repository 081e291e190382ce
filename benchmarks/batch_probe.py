"""Batch-size memory probe vs doubling + bisection (the search the anchors build on).

    .venv/bin/python benchmarks/batch_probe.py [--device cpu|cuda] [--budgets 8MiB,64MiB,256MiB]

For each built-in target and budget: the true maximum batch (found by measuring every candidate a
doubling + bisection search visits), our predicted maximum, its ratio to the truth, and the real
training steps and OOMs each approach needed. On CPU the budget is simulated (a step whose
measured peak exceeds it counts as an OOM); on CUDA the OOMs are real.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from advisor_probes import batch_size_probe, load_target, search_by_doubling
from advisor_probes.batch_size import _Stepper
from advisor_probes.batches import default_compute_loss
from advisor_probes.optimizers import build_optimizer

TARGETS = ("digits-mlp", "digits-cnn", "lstm")


def on(device: torch.device, name: str):
    target = load_target(name)
    return target.model.to(device), target.data, target.loss_fn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--budgets", default="8MiB,64MiB,256MiB")
    args = parser.parse_args()
    device = torch.device(args.device)
    rows = []
    print("| target | budget | true memory max | predicted (memory) | ratio | training samples | "
          "max batch (memory and data) | recommended | our steps / OOMs "
          "| doubling+bisection steps / OOMs | ours s | doubling s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in TARGETS:
        for budget in args.budgets.split(","):
            model, data, loss = on(device, name)
            t0 = time.perf_counter()
            ours = batch_size_probe(model, data, loss, memory=budget)
            ours_s = time.perf_counter() - t0
            model, data, loss = on(device, name)
            opt = build_optimizer("adam", model.parameters(), 1e-12)
            stepper = _Stepper(model, data, loss, opt, default_compute_loss, device, ours.budget_bytes)
            stepper.step(32)  # the same warm-up as the probe
            t0 = time.perf_counter()
            truth, _ = search_by_doubling(stepper.measure)
            base_s = time.perf_counter() - t0
            ratio = (ours.memory_max_batch or 0) / truth if truth else 0.0
            rows.append({"target": name, "budget": budget, "true_max": truth,
                         "predicted": ours.memory_max_batch, "ratio": ratio,
                         "train_samples": ours.train_samples, "max_batch": ours.predicted_max_batch,
                         "recommended": ours.recommended_batch,
                         "runs": ours.real_runs, "ooms": ours.ooms, "exact": ours.exact,
                         "baseline_runs": stepper.real_runs + 1, "baseline_ooms": stepper.ooms})
            print(f"| {name} | {budget} | {truth} | {ours.memory_max_batch} | {ratio:.4f} | "
                  f"{ours.train_samples} | {ours.predicted_max_batch} | {ours.recommended_batch} | "
                  f"{ours.real_runs} / {ours.ooms} | {stepper.real_runs + 1} / {stepper.ooms} | "
                  f"{ours_s:.2f} | {base_s:.2f} |")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"batch_probe_{device.type}.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
