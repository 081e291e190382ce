"""Running a probe on a target named by its import spec: what the CLI, `recommend --probe` and the
server's job workers call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from advisor.evidence.results import (
    BatchProbeResult,
    DataScalingResult,
    LRRangeResult,
    ProbeResults,
    SanityResult,
)
from advisor_probes.batch_size import batch_size_probe
from advisor_probes.data_scaling import data_scaling_probe
from advisor_probes.lr_range import lr_range_test
from advisor_probes.lr_search import lr_search
from advisor_probes.sanity import CHECKS, sanity_checks
from advisor_probes.targets import load_target, place_model

PROBE_NAMES = ("lr", "batch", "sanity", "data-scaling")


def _target(target: str, device: str | None) -> Any:
    """The target's (model, data, loss_fn), the model moved to `device` when one is named."""
    t = load_target(target)
    if device is not None:
        place_model(t.model, device)
    return t


def run_lr(target: str, *, optimizer: str, seed: int, steps: int, start_lr: float, end_lr: float,
           batch_size: int | None, progress: Callable[..., None] | None = None,
           device: str | None = None, mode: str = "quick", run_steps: int | None = None,
           amp: str | None = None) -> LRRangeResult:
    t = _target(target, device)
    if mode == "thorough":
        return lr_search(t.model, t.data, t.loss_fn, optimizer=optimizer, seed=seed,
                                run_steps=run_steps, start_lr=start_lr, end_lr=end_lr,
                                batch_size=batch_size, progress=progress, amp=amp)
    return lr_range_test(t.model, t.data, t.loss_fn, optimizer=optimizer, seed=seed,
                                steps=steps, start_lr=start_lr, end_lr=end_lr,
                                batch_size=batch_size, progress=progress, run_steps=run_steps,
                                amp=amp or False)


def run_batch(target: str, *, optimizer: str, seed: int, memory: str | None, gpu: str | None,
              effective_batch: int | None, progress: Callable[[str], None] | None = None,
              device: str | None = None) -> BatchProbeResult:
    t = _target(target, device)
    return batch_size_probe(t.model, t.data, t.loss_fn, optimizer=optimizer, seed=seed,
                                   memory=memory, gpu=gpu, effective_batch=effective_batch,
                                   progress=progress)


def run_sanity(target: str, *, optimizer: str, lr: float, batch_size: int, checks: list[str] | None,
               seed: int, progress: Callable[[str], None] | None = None,
               device: str | None = None) -> SanityResult:
    t = _target(target, device)
    return sanity_checks(t.model, t.data, t.loss_fn, optimizer=optimizer, lr=lr, batch_size=batch_size,
                         checks=checks or CHECKS, seed=seed, progress=progress)


def run_scaling(target: str, *, fractions: list[float], optimizer: str, lr: float, batch_size: int,
                epochs: int, seed: int, progress: Callable[[int, int, str], None] | None = None,
                device: str | None = None) -> DataScalingResult:
    t = _target(target, device)
    return data_scaling_probe(t.model, t.data, t.loss_fn, fractions=fractions, optimizer=optimizer, lr=lr,
                              batch_size=batch_size, epochs=epochs, seed=seed, progress=progress)


def run_probes(names: list[str], target: str, *, optimizer: str, seed: int,
               memory: str | None = None, gpu: str | None = None,
               lr_progress: Callable[..., None] | None = None,
               batch_progress: Callable[[str], None] | None = None) -> ProbeResults:
    """The named probes on one target, as the ProbeResults `recommend` takes.

    The sanity checks and data scaling run at the LR the LR probe measured when it ran, else 1e-3.
    """
    lr = batch = sanity = scaling = None
    if "lr" in names:
        lr = run_lr(target, optimizer=optimizer, seed=seed, steps=100, start_lr=1e-6, end_lr=10.0,
                    batch_size=None, progress=lr_progress)
    if "batch" in names:
        batch = run_batch(target, optimizer=optimizer, seed=seed, memory=memory, gpu=gpu,
                          effective_batch=None, progress=batch_progress)
    rate = lr.suggested_lr if lr is not None and lr.suggested_lr else 1e-3
    if "sanity" in names:
        sanity = run_sanity(target, optimizer=optimizer, lr=rate, batch_size=16, checks=None, seed=seed,
                            progress=batch_progress)
    if "data-scaling" in names:
        scaling = run_scaling(target, fractions=[0.1, 0.2, 0.4, 0.8], optimizer=optimizer, lr=rate,
                              batch_size=32, epochs=30, seed=seed)
    return ProbeResults(lr_range=lr, batch=batch, sanity=sanity, scaling=scaling)
