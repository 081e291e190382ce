"""The two-stage LR probe: a short ramp brackets the stable region, short real runs decide.

A range test reads ~100 steps of a *growing* LR, but users want the best constant LR for a whole
run. The thorough mode therefore takes the ramp's loss minimum as the top of a bracket, trains
candidates spaced half a decade apart below it (and one above) for a few real steps each from the
same starting weights and batch order, scores them on held-out batches, and keeps the better half
with twice the steps until two are left (successive halving, Jamieson & Talwalkar 2016; Li et al.
2018, Hyperband). The whole search, ramp included, stays inside a step budget: by default 20% of
one training run when its length is known; a budget under 200 steps gets the quick ramp's answer.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, IterableDataset, Subset

from advisor.errors import ProbeError
from advisor.evidence.kinds.lr_range import LROptions, LRRangeResult, LRTrial
from advisor.evidence.registry import Progress as Progress_

from .batches import ComputeLoss, cycle, default_compute_loss, make_loader, to_device
from .lr_range import Progress, amp_dtype, device_of, lr_range_test, train_step
from .optimizers import build_optimizer
from .state import preserved_state
from .targets import ProbeTarget

RUN_SHARE = 0.2  # the thorough budget as a share of one training run
DEFAULT_BUDGET = 500  # steps, when the run's length is unknown
RAMP_STEPS = 100  # shorter ramps bracketed badly on the suite (40-70 steps: the minimum moved decades)
# Below this budget the halving gets under ~6 steps a candidate: the quick ramp answers instead.
MIN_BUDGET = 200
SPACING = 10 ** 0.5  # half a decade between candidates
BELOW_MIN = 5  # candidates at and below the ramp's loss minimum (2 decades) ...
ABOVE_MIN = 1  # ... and above it (kept only below the LR where the ramp diverged)
# The best constant LR falls as a run gets longer (Bjorck et al., ICLR 2025, "Scaling optimal LR
# across token horizons"): the short-run winner is scaled by (its steps / the run's steps) ** this.
# Fitted on the 23-task suite with the search at half a run (at 20% only 4 of 92 runs are long
# enough to search); leave-one-task-out it is 0.75-1.0 (benchmarks/results/lr_suite_benchmark.txt).
# 1 is also "LR x steps held constant", how small-LR SGD progress scales.
HORIZON_EXPONENT = 1.0
HELDOUT_SHARE = 0.15
MAX_HELDOUT_SAMPLES = 2048
MAX_HELDOUT_BATCHES = 32


@dataclass
class _Candidate:
    lr: float
    steps: int = 0
    loss: float = math.inf  # held-out loss after `steps`
    state: dict[str, Any] | None = field(default=None, repr=False)  # to continue where it stopped


def lr_search(
    model: nn.Module,
    data: Any,
    loss_fn: Callable[..., torch.Tensor],
    *,
    optimizer: str = "adam",
    valid: Any = None,
    run_steps: int | None = None,
    budget_steps: int | None = None,
    batch_size: int | None = None,
    start_lr: float = 1e-6,
    end_lr: float = 10.0,
    seed: int = 0,
    compute_loss: ComputeLoss | None = None,
    progress: Progress | None = None,
    amp: bool | str = False,
) -> LRRangeResult:
    """The thorough LR probe: ramp, then successive halving of short real runs on held-out loss.

    `valid` (a Dataset or DataLoader) scores the runs; without it a fixed share of `data` is held out
    and never trained on. The budget is `budget_steps` optimizer steps, else 20% of `run_steps`
    (the steps of one training run), else 500. `amp` ("bf16" / "fp16") runs the ramp and every
    trial under autocast, as `lr_range_test` does. Model, RNG and everything else are restored.
    """
    budget = _budget(budget_steps, run_steps)
    if not isinstance(model, nn.Module):
        raise ProbeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if budget < MIN_BUDGET:
        quick = lr_range_test(model, data, loss_fn, optimizer=optimizer, start_lr=start_lr, end_lr=end_lr,
                              steps=RAMP_STEPS, batch_size=batch_size, seed=seed, compute_loss=compute_loss,
                              progress=progress, run_steps=run_steps, amp=amp)
        note = (f"the thorough search needs {MIN_BUDGET} steps and {RUN_SHARE:.0%} of this run is {budget}: "
                "this is the quick ramp's answer")
        return quick.model_copy(update={"reason": f"{quick.reason}; {note}" if quick.reason else note})
    ramp_steps = RAMP_STEPS
    compute = compute_loss or default_compute_loss
    device = device_of(model)
    dtype = amp_dtype(amp, device)
    with preserved_state(model) as snapshot:
        train_batches, heldout, heldout_samples = _split(data, valid, batch_size, seed)
        ramp = lr_range_test(model, _Replayable(train_batches), loss_fn, optimizer=optimizer,
                             start_lr=start_lr, end_lr=end_lr, steps=ramp_steps, seed=seed,
                             compute_loss=compute, progress=progress, run_steps=run_steps, amp=amp)
        top = ramp.min_loss_lr
        if ramp.status == "diverged" or top is None:
            return ramp.model_copy(update={"mode": "thorough", "heldout_samples": heldout_samples})
        grid = [top * SPACING ** k for k in range(ABOVE_MIN, -BELOW_MIN, -1)]
        limit = ramp.diverged_at_lr or math.inf
        candidates = [_Candidate(lr) for lr in grid if lr < limit]
        rungs = _rungs(len(candidates))
        first = max(1, (budget - ramp.steps_run) // _units(rungs))  # steps of the first round
        total = ramp.steps_run + first * _units(rungs)
        initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
        trials: list[LRTrial] = []
        spent = ramp.steps_run
        alive = candidates
        for rung, count in enumerate(rungs):
            if rung:  # the better part goes on; a diverged run never does
                alive = sorted((c for c in alive if math.isfinite(c.loss)), key=lambda c: c.loss)[:count]
            for cand in alive:
                taken, finite = _train(cand, first * 2 ** rung, model, initial, optimizer, train_batches,
                                       loss_fn, compute, device, seed, dtype, keep=rung + 1 < len(rungs))
                spent += taken
                cand.loss = (_heldout_loss(model, heldout, loss_fn, compute, device, dtype) if finite
                             else math.inf)
                trials.append(LRTrial(lr=cand.lr, steps=cand.steps, rung=rung,
                                      heldout_loss=cand.loss if math.isfinite(cand.loss) else None))
                if progress is not None:
                    progress(spent, total, cand.lr, cand.loss)
    restored = not snapshot.differences() and ramp.state_restored
    return _result(ramp, trials, spent, heldout_samples, restored)


def _budget(budget_steps: int | None, run_steps: int | None) -> int:
    if budget_steps is not None:
        if budget_steps < MIN_BUDGET:
            raise ProbeError(f"budget_steps must be at least {MIN_BUDGET}, got {budget_steps}")
        return budget_steps
    if run_steps is not None:
        if run_steps < 1:
            raise ProbeError(f"run_steps must be positive, got {run_steps}")
        return int(RUN_SHARE * run_steps)
    return DEFAULT_BUDGET


def _rungs(n: int) -> list[int]:
    """Candidates per successive-halving round: all, then the better half, until two are left."""
    out = [n]
    while out[-1] > 2:
        out.append(math.ceil(out[-1] / 2))
    return out


def _units(rungs: list[int]) -> int:
    """Steps of the whole halving in units of the first round's: later rounds double the steps."""
    return rungs[0] + sum(n * 2 ** (k - 1) for k, n in enumerate(rungs) if k)


def _train(cand: _Candidate, target: int, model: nn.Module, initial: dict[str, torch.Tensor],
           optimizer: str, batches: Callable[[], Iterator[Any]], loss_fn: Callable[..., torch.Tensor],
           compute: ComputeLoss, device: torch.device, seed: int, dtype: torch.dtype | None,
           keep: bool) -> tuple[int, bool]:
    """Run `cand` on to `target` steps, from the initial weights or where it stopped.

    Returns the steps taken and whether the loss stayed finite; the model holds the run's weights.
    """
    # Loss scaling only for float16 on CUDA, one scaler per run (its scale is part of the run's state).
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 and device.type == "cuda" else None
    if cand.state is None:
        model.load_state_dict(initial)
        opt = build_optimizer(optimizer, model.parameters(), cand.lr)
        torch.manual_seed(seed)
        iterator = batches()
    else:
        model.load_state_dict(cand.state["model"])
        opt = build_optimizer(optimizer, model.parameters(), cand.lr)
        opt.load_state_dict(cand.state["optimizer"])
        torch.set_rng_state(cand.state["rng"])
        iterator = cand.state["batches"]
        if scaler is not None and cand.state["scaler"] is not None:
            scaler.load_state_dict(cand.state["scaler"])
    model.train()
    taken = 0
    while cand.steps < target:
        loss = train_step(model, opt, iterator, loss_fn, compute, device, 1, dtype, scaler)
        taken += 1
        cand.steps += 1
        if not math.isfinite(loss):
            cand.state = None
            return taken, False
    cand.state = ({"model": {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
                  "optimizer": copy.deepcopy(opt.state_dict()), "rng": torch.get_rng_state(),
                  "batches": iterator, "scaler": scaler.state_dict() if scaler is not None else None}
                  if keep else None)
    return taken, True


def _heldout_loss(model: nn.Module, heldout: list[Any], loss_fn: Callable[..., torch.Tensor],
                  compute: ComputeLoss, device: torch.device, dtype: torch.dtype | None) -> float:
    model.eval()
    total = 0.0
    with torch.no_grad(), torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
        for batch in heldout:
            total += float(compute(model, to_device(batch, device), loss_fn))
    model.train()
    value = total / len(heldout)
    return value if math.isfinite(value) else math.inf


class _Replayable:
    """Wraps a batch-iterator factory as an iterable (the ramp cycles it like a loader)."""

    def __init__(self, factory: Callable[[], Iterator[Any]]) -> None:
        self.factory = factory

    def __iter__(self) -> Iterator[Any]:
        return self.factory()


def _split(data: Any, valid: Any, batch_size: int | None,
           seed: int) -> tuple[Callable[[], Iterator[Any]], list[Any], int | None]:
    """(training batches in the same order on every call, held-out batches, held-out samples)."""
    dataset, bs, collate = _map_style(data, batch_size)
    if valid is not None:
        heldout = _first_batches(make_loader(valid, bs, seed))
        if dataset is None:
            return (lambda: cycle(make_loader(data, batch_size, seed))), heldout, None
        return _loader_factory(dataset, bs, collate, seed), heldout, None
    if dataset is not None:
        n = len(dataset)
        k = min(MAX_HELDOUT_SAMPLES, max(1, round(HELDOUT_SHARE * n)))
        if n - k < 1:
            raise ProbeError(f"the dataset has {n} samples: too few to hold any out; pass valid")
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed + 7919)).tolist()
        held = DataLoader(Subset(dataset, order[:k]), batch_size=bs, shuffle=False, collate_fn=collate)
        return _loader_factory(Subset(dataset, order[k:]), bs, collate, seed), list(held), k
    # An iterable of batches: hold out its first batches and skip them on every pass.
    loader = make_loader(data, batch_size, seed)
    first = _first_batches(loader, 4)
    skip = len(first)

    def batches() -> Iterator[Any]:
        while True:
            seen = 0
            for i, batch in enumerate(loader):
                if i >= skip:
                    seen += 1
                    yield batch
            if not seen:
                raise ProbeError("the data yielded no batches beyond the held-out ones; pass valid")
    return batches, first, None


def _map_style(data: Any, batch_size: int | None) -> tuple[Dataset | None, int, Any]:
    """The sized map-style dataset behind `data`, its batch size and collate function, if any."""
    if isinstance(data, DataLoader):
        ds = data.dataset
        if isinstance(ds, IterableDataset) or data.batch_size is None or not hasattr(ds, "__len__"):
            return None, batch_size or 32, None
        return ds, batch_size or data.batch_size, data.collate_fn
    if isinstance(data, Dataset) and not isinstance(data, IterableDataset) and hasattr(data, "__len__"):
        return data, batch_size or 32, None
    return None, batch_size or 32, None


def _loader_factory(dataset: Dataset, batch_size: int, collate: Any,
                    seed: int) -> Callable[[], Iterator[Any]]:
    def batches() -> Iterator[Any]:
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, collate_fn=collate,
                            generator=torch.Generator().manual_seed(seed))
        return cycle(loader)
    return batches


def _first_batches(loader: Any, limit: int = MAX_HELDOUT_BATCHES) -> list[Any]:
    out = []
    for batch in loader:
        out.append(batch)
        if len(out) >= limit:
            break
    if not out:
        raise ProbeError("the held-out data yielded no batches")
    return out


def _result(ramp: LRRangeResult, trials: list[LRTrial], spent: int, heldout_samples: int | None,
            restored: bool) -> LRRangeResult:
    last = max(t.rung for t in trials)
    finals = {t.lr: t.heldout_loss for t in trials if t.rung == last}
    scored = {lr: v for lr, v in finals.items() if v is not None}
    update: dict[str, Any] = {"mode": "thorough", "trials": tuple(trials), "cost_steps": spent,
                              "heldout_samples": heldout_samples, "state_restored": restored}
    if not scored:
        return ramp.model_copy(update=update | {
            "status": "diverged", "suggested_lr": None,
            "reason": "every short run diverged; the ramp's bracket was too high, start lower"})
    winner = min(scored, key=scored.__getitem__)
    best = horizon_corrected(winner, last_steps(trials), ramp.run_steps)
    # The range: the grid neighbours of the winner, the resolution of the search.
    return ramp.model_copy(update=update | {
        "status": "ok", "reason": "", "suggested_lr": best, "lr_low": min(best, winner) / SPACING,
        "lr_high": max(best, winner) * SPACING, "confidence": _confidence(trials, winner)})


def last_steps(trials: list[LRTrial] | tuple[LRTrial, ...]) -> int:
    return max(t.steps for t in trials if t.rung == max(u.rung for u in trials))


def horizon_corrected(lr: float, steps: int, run_steps: int | None,
                      exponent: float = HORIZON_EXPONENT) -> float:
    """The short-run winner moved to the run's length (unchanged when that is unknown)."""
    if not run_steps or steps >= run_steps:
        return lr
    return lr * (steps / run_steps) ** exponent


def _confidence(trials: list[LRTrial], winner: float) -> str:
    """high: the first round's lowest held-out loss was already the winner's; else medium."""
    first = [t for t in trials if t.rung == 0 and t.heldout_loss is not None]
    return "high" if first and min(first, key=lambda t: t.heldout_loss).lr == winner else "medium"


def run(target: ProbeTarget, options: LROptions, progress: Progress_) -> LRRangeResult:
    """The registry's runner for `lr`: the ramp alone (quick) or the ramp then short runs (thorough)."""
    def tick(i: int, n: int, lr: float, loss: float) -> None:
        progress(i / n if n else None, f"lr {lr:.2g} loss {loss:.4g}")

    o = options
    if o.mode == "thorough":
        return lr_search(target.model, target.data, target.loss_fn, optimizer=o.optimizer, seed=o.seed,
                         run_steps=o.run_steps, start_lr=o.start_lr, end_lr=o.end_lr, batch_size=o.batch_size,
                         progress=tick, amp=o.amp or False)
    return lr_range_test(target.model, target.data, target.loss_fn, optimizer=o.optimizer, seed=o.seed,
                         steps=o.steps, start_lr=o.start_lr, end_lr=o.end_lr, batch_size=o.batch_size,
                         progress=tick, run_steps=o.run_steps, amp=o.amp or False)
