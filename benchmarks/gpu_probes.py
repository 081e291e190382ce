"""The probes on a CUDA device (run by hand where a GPU exists; CI has none).

    python benchmarks/gpu_probes.py

Checks on CUDA: the LR range test with and without AMP (state restored bit for bit, grad scaler
included); the batch-size probe's prediction against the real maximum found by stepping until
the device really runs out of memory (torch.cuda.OutOfMemoryError), and max_memory_allocated at
the recommended batch.
"""

from __future__ import annotations

import json
import time

import torch
from torch import nn
from torch.utils.data import TensorDataset

from advisor_probes import batch_size_probe, load_target, lr_range_test
from advisor_probes.batch_size import _Stepper, search_by_doubling
from advisor_probes.batches import default_compute_loss
from advisor_probes.optimizers import build_optimizer


def wide_cnn():
    """A conv net whose activations are large enough to fill a GPU at moderate batch sizes."""
    torch.manual_seed(0)
    x = torch.randn(512, 3, 64, 64)
    y = torch.randint(0, 10, (512,))
    model = nn.Sequential(nn.Conv2d(3, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                          nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))
    return model, TensorDataset(x, y), nn.CrossEntropyLoss()


def main() -> None:
    dev = torch.device("cuda")
    print(torch.__version__, torch.cuda.get_device_name(0))
    report: dict = {"device": torch.cuda.get_device_name(0), "lr": [], "batch": []}
    for name in ("digits-mlp", "digits-cnn", "lstm"):
        for amp in (False, True):
            t = load_target(name)
            model = t.model.to(dev)
            scaler = torch.amp.GradScaler("cuda") if amp else None
            before = {k: v.clone() for k, v in model.state_dict().items()}
            scaler_before = scaler.state_dict() if scaler else None
            t0 = time.perf_counter()
            r = lr_range_test(model, t.data, t.loss_fn, amp=amp, scaler=scaler)
            same = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
            row = {"target": name, "amp": amp, "status": r.status, "suggested": r.suggested_lr,
                   "steps": r.steps_run, "restored": same and r.state_restored,
                   "scaler_restored": scaler is None or scaler.state_dict() == scaler_before,
                   "seconds": round(time.perf_counter() - t0, 2)}
            report["lr"].append(row)
            print("lr", row)
    for name, factory in (("digits-cnn", lambda: tuple(vars(load_target("digits-cnn")).values())[1:]),
                          ("wide-cnn", wide_cnn)):
        model, data, loss = factory()
        model = model.to(dev)
        torch.cuda.empty_cache()
        t0 = time.perf_counter()
        ours = batch_size_probe(model, data, loss, memory="4GiB")
        ours_s = time.perf_counter() - t0
        model, data, loss = factory()
        model = model.to(dev)
        opt = build_optimizer("adam", model.parameters(), 1e-12)
        stepper = _Stepper(model, data, loss, opt, default_compute_loss, dev, ours.budget_bytes)
        stepper.step(32)
        truth, _ = search_by_doubling(stepper.measure)
        # The physical limit: no budget, only real CUDA OOMs stop the search.
        physical = _Stepper(model, data, loss, opt, default_compute_loss, dev, 1 << 62)
        t0 = time.perf_counter()
        real_max, _ = search_by_doubling(physical.measure, start=1024)
        real_s = time.perf_counter() - t0
        free_probe = batch_size_probe(model, data, loss)  # budget: 90% of the free memory
        torch.cuda.reset_peak_memory_stats(dev)
        if free_probe.recommended_batch:
            physical.measure(free_probe.recommended_batch)
        row = {"target": name, "budget_4GiB": {"true_max": truth, "predicted": ours.predicted_max_batch,
                                              "runs": ours.real_runs, "ooms": ours.ooms,
                                              "exact": ours.exact, "seconds": round(ours_s, 2),
                                              "baseline_runs": stepper.real_runs,
                                              "baseline_ooms": stepper.ooms},
               "free_memory": {"predicted": free_probe.predicted_max_batch,
                               "budget_gib": round(free_probe.budget_bytes / 2**30, 2),
                               "physical_max_by_real_ooms": real_max,
                               "real_oom_steps": physical.ooms, "search_seconds": round(real_s, 1),
                               "max_memory_allocated_at_recommended_gib":
                                   round(torch.cuda.max_memory_allocated(dev) / 2**30, 2),
                               "recommended": free_probe.recommended_batch}}
        report["batch"].append(row)
        print("batch", json.dumps(row))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
