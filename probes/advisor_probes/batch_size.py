"""The batch-size memory probe: predict the largest batch that fits instead of crashing into it.

Two traced steps give the exact peak-memory envelope; one real step at the predicted maximum
confirms it. Only when the two traces differ (dynamic shapes) or the confirmation fails does the
probe fall back to measuring: doubling, then bisection.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from advisor.errors import ProbeError, UserModelError
from advisor.evidence.kinds.batch import BatchOptions, BatchPoint, BatchProbeResult
from advisor.evidence.registry import Progress as Progress_

from .batches import ComputeLoss, dataset_of, default_compute_loss, to_device
from .memory import GIB, GPUS, Envelope, available_cpu_bytes, parse_memory, resident_bytes, trace_step
from .optimizers import build_optimizer
from .state import preserved_state
from .targets import ProbeTarget

Progress = Callable[[str], None]
INF = float("inf")
HEADROOM = 0.10  # of the memory maximum, kept free for evaluation and longer-than-probed inputs
MIN_STEPS_PER_EPOCH = 10  # the recommended batch leaves at least this many steps per epoch
CPU_SHARE = 0.5  # default CPU budget: this share of the memory the OS reports available
# Without an explicit budget, a confirmation step on CPU above this predicted peak is not run
# (a mis-sized target could otherwise allocate most of the machine's RAM).
CPU_UNASKED_STEP_LIMIT = 4 * GIB


class _Stepper:
    """Runs one full training step at a given batch size and measures its peak memory."""

    def __init__(self, model: nn.Module, data: Any, loss_fn: Callable[..., torch.Tensor],
                 optimizer: torch.optim.Optimizer, compute: ComputeLoss, device: torch.device,
                 budget: int) -> None:
        self.model, self.loss_fn, self.optimizer, self.compute = model, loss_fn, optimizer, compute
        self.device, self.budget = device, budget
        self.dataset, self.collate = dataset_of(data, "the batch probe")
        self.n = len(self.dataset)  # type: ignore[arg-type]
        if self.n == 0:
            raise ProbeError("the dataset is empty")
        self.real_runs = 0
        self.ooms = 0

    def batch(self, size: int) -> Any:
        index = torch.arange(size) % self.n
        if isinstance(self.dataset, TensorDataset):
            return tuple(t[index] for t in self.dataset.tensors)
        return self.collate([self.dataset[int(i)] for i in index])

    def step(self, size: int) -> None:
        batch = to_device(self.batch(size), self.device)
        try:
            loss = self.compute(self.model, batch, self.loss_fn)
            loss.backward()
        except torch.cuda.OutOfMemoryError:
            raise
        except ProbeError:
            raise
        except Exception as exc:
            raise UserModelError("the model or loss raised during the probe: "
                             f"{type(exc).__name__}: {exc}") from exc
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def resident(self) -> int:
        if self.device.type == "cuda":
            return int(torch.cuda.memory_allocated(self.device))
        return resident_bytes(self.model, self.optimizer)

    def trace(self, size: int):
        self.real_runs += 1
        return trace_step(lambda: self.step(size), self.device, size)

    def measure(self, size: int) -> float:
        """Peak bytes of a real step at `size`; inf (an OOM, counted) when over the budget."""
        self.real_runs += 1
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            try:
                self.step(size)
            except torch.cuda.OutOfMemoryError:  # by type, never by message text
                self.optimizer.zero_grad(set_to_none=True)
                torch.cuda.empty_cache()
                self.ooms += 1
                return INF
            peak = float(torch.cuda.max_memory_allocated(self.device))
        else:
            resident = self.resident()
            peak = float(resident + trace_step(lambda: self.step(size), self.device, size).peak)
        if peak > self.budget:  # on CPU the budget is simulated: exceeding it counts as an OOM
            self.ooms += 1
            return INF
        return peak


def resolve_budget(device: torch.device, memory: str | int | None, gpu: str | None) -> int:
    """Usable bytes: an explicit size, a named GPU less 10%, the free memory of this GPU less 10%,
    or on CPU half of what the OS reports available."""
    if memory is not None and gpu is not None:
        raise ProbeError("give `memory` or `gpu`, not both")
    if isinstance(memory, int):
        return memory
    if memory is not None:
        try:
            return parse_memory(memory)
        except ValueError as exc:
            raise ProbeError(str(exc)) from None
    if gpu is not None:
        key = gpu.lower()
        if key not in GPUS:
            raise ProbeError(f"unknown GPU {gpu!r}; known: {', '.join(sorted(GPUS))}")
        return int(GPUS[key] * GIB * (1 - 0.10))
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free * (1 - 0.10))
    return int(available_cpu_bytes() * CPU_SHARE)


def _confirmable(device: torch.device, budget: int, gpu: str | None) -> bool:
    """A real step at the predicted size only makes sense on the device the budget is for."""
    if gpu is not None and device.type != "cuda":
        return False
    return device.type == "cuda" or budget <= available_cpu_bytes()


def largest_power_of_two(n: int) -> int:
    return 1 << (n.bit_length() - 1) if n >= 1 else 0


def recommend_batch(memory_max: int, train_samples: int) -> int:
    """The largest power of two at or below both the memory maximum less the headroom and the
    training set over MIN_STEPS_PER_EPOCH; no other cap."""
    by_memory = max(1, math.floor(memory_max * (1 - HEADROOM)))
    by_data = max(1, train_samples // MIN_STEPS_PER_EPOCH)
    return largest_power_of_two(min(by_memory, by_data))


def search_by_doubling(measure: Callable[[int], float], start: int = 1,
                       limit: int = 1 << 24) -> tuple[int, list[tuple[int, float]]]:
    """The classic search: double until a step fails, then bisect; never a size above `limit`.
    Returns (max, measurements)."""
    points: list[tuple[int, float]] = []
    good, size = 0, start
    while size <= limit:
        peak = measure(size)
        points.append((size, peak))
        if math.isinf(peak):
            break
        good, size = size, size * 2
    # Past the limit without a failure, limit + 1 is the (exclusive) upper end of the search.
    return _bisect(measure, good, min(size, limit + 1), points)


def _bisect(measure: Callable[[int], float], good: int, bad: int,
            points: list[tuple[int, float]]) -> tuple[int, list[tuple[int, float]]]:
    """The largest size in [good, bad) that fits, `good` fitting and `bad` not (or out of bounds)."""
    while bad - good > 1 and good >= 1:
        mid = (good + bad) // 2
        peak = measure(mid)
        points.append((mid, peak))
        good, bad = (mid, bad) if not math.isinf(peak) else (good, mid)
    return good, points


def batch_size_probe(
    model: nn.Module,
    data: Dataset | DataLoader,
    loss_fn: Callable[..., torch.Tensor],
    *,
    optimizer: str | torch.optim.Optimizer = "adam",
    memory: str | int | None = None,
    gpu: str | None = None,
    trace_sizes: tuple[int, int] = (32, 64),
    margin: float = 0.005,
    effective_batch: int | None = None,
    seed: int = 0,
    compute_loss: ComputeLoss | None = None,
    progress: Progress | None = None,
) -> BatchProbeResult:
    """Predict the largest batch whose training step fits the memory budget; confirm it once.

    `trace_sizes` should sit above the sizes where kernels switch algorithms (oneDNN/cuDNN pick
    other kernels for tiny batches); when the two traces still differ, the pair moves up.
    `margin` keeps the prediction that fraction below the budget (allocator rounding).
    """
    if not isinstance(model, nn.Module):
        raise ProbeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    b1, b2 = trace_sizes
    if not 1 <= b1 < b2:
        raise ProbeError(f"trace sizes must satisfy 1 <= b1 < b2, got {trace_sizes}")
    if not 0 <= margin < 0.5:
        raise ProbeError(f"margin must be in [0, 0.5), got {margin}")
    if effective_batch is not None and effective_batch < 1:
        raise ProbeError(f"effective_batch must be >= 1, got {effective_batch}")
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    budget = resolve_budget(device, memory, gpu)
    say = progress or (lambda message: None)
    user_optimizer = None if isinstance(optimizer, str) else optimizer
    with preserved_state(model, user_optimizer) as snapshot:
        torch.manual_seed(seed)
        opt = user_optimizer or build_optimizer(str(optimizer), model.parameters(), 1e-12)
        model.train()
        stepper = _Stepper(model, data, loss_fn, opt, compute_loss or default_compute_loss, device,
                           budget)
        say(f"warm-up step at batch {b1} (creates optimizer state)")
        stepper.step(b1)
        resident = stepper.resident()
        envelope, traces = _fit(stepper, b1, b2, resident, say)
        points = [BatchPoint(batch_size=t.batch_size, peak_bytes=resident + t.peak, source="trace")
                  for t in traces]
        predicted, exact = 0, envelope is not None
        if envelope is not None:
            predicted = envelope.max_batch(int(budget * (1 - margin)))
        confirmable = _confirmable(device, budget, gpu)
        step = min(predicted, stepper.n)  # never a real step larger than the training set
        if (confirmable and device.type == "cpu" and memory is None and envelope is not None
                and resident + envelope.peak(step) > CPU_UNASKED_STEP_LIMIT):
            confirmable = False
            unasked = (f"a real step at batch {step} would need about "
                       f"{(resident + envelope.peak(step)) / GIB:.1f} GiB; it was not run because no "
                       "memory budget was given")
        else:
            unasked = ""
        if predicted >= 1 and not confirmable:
            why = unasked or "the budget is not this device's memory"
            say(f"{why}: {predicted} is a prediction, not confirmed")
        elif predicted >= 1:
            say(f"confirming batch {step} with one real step")
            peak = stepper.measure(step)
            if math.isinf(peak):
                exact = False
            else:
                points.append(BatchPoint(batch_size=step, peak_bytes=int(peak), source="confirm"))
        if not exact and confirmable:
            good = max((t.batch_size for t in traces), default=0)
            bad = predicted if predicted > good else None
            say("the traces differ or the confirmation failed: measuring instead")
            predicted, measured = _search(stepper.measure, good, bad, stepper.n)
            points += [BatchPoint(batch_size=b, peak_bytes=int(p), source="confirm")
                       for b, p in measured if not math.isinf(p)]
        real_runs, ooms = stepper.real_runs + 1, stepper.ooms  # + the warm-up step
    restored = not snapshot.differences()
    n = stepper.n
    common = {"device": str(device), "budget_bytes": budget, "resident_bytes": resident,
              "real_runs": real_runs, "ooms": ooms, "exact": exact, "points": tuple(points),
              "seed": seed, "state_restored": restored, "confirmed": confirmable, "train_samples": n,
              "headroom": HEADROOM}
    if not confirmable:
        common["reason"] = unasked or (
            f"estimate for {gpu or 'the given budget'} from traces on {device}: "
            "not confirmed by a real step (kernels and allocator differ across "
            "devices; treat it as approximate and keep a margin)")
    if predicted < 1:
        return BatchProbeResult(**{**common, "status": "exceeds_budget_at_1",
                                   "reason": "even a batch of 1 exceeds the memory budget"})
    bounded = min(predicted, n)
    recommended = recommend_batch(predicted, n)
    accumulation = None if effective_batch is None else max(1, math.ceil(effective_batch / recommended))
    return BatchProbeResult(
        status="ok", predicted_max_batch=bounded, memory_max_batch=predicted, data_limited=predicted > n,
        recommended_batch=recommended, gradient_accumulation_steps=accumulation,
        peak_at_recommended_bytes=None if envelope is None else int(envelope.peak(recommended)),
        envelope=envelope.lines() if envelope is not None else (), **common)


def _fit(stepper: _Stepper, b1: int, b2: int, resident: int,
         say: Progress) -> tuple[Envelope | None, list[Any]]:
    """Trace two sizes; move the pair up while the event sequences differ (kernel switches)."""
    traces: list[Any] = []
    say(f"tracing steps at batch {b1} and {b2}")
    first = stepper.trace(b1)
    traces.append(first)
    for _ in range(3):
        second = stepper.trace(b2)
        traces.append(second)
        envelope = Envelope.fit(first, second, resident)
        if envelope is not None:
            return envelope, traces
        say(f"event sequences differ between {first.batch_size} and {b2}; tracing {2 * b2}")
        first, b2 = second, 2 * b2
    return None, traces


def _search(measure: Callable[[int], float], good: int, bad: int | None,
            limit: int) -> tuple[int, list[tuple[int, float]]]:
    """Bisect between a size known to fit and one known not to; double first when none fails yet.
    Never past `limit`, the training set: a batch that holds all of it is all the data can use."""
    if bad is None:
        return search_by_doubling(measure, start=max(1, min(good, limit)), limit=limit)
    return _bisect(measure, good, min(bad, limit + 1), [])


def run(target: ProbeTarget, options: BatchOptions, progress: Progress_) -> BatchProbeResult:
    """The registry's runner for `batch`."""
    o = options
    return batch_size_probe(target.model, target.data, target.loss_fn, optimizer=o.optimizer, seed=o.seed,
                            memory=o.memory, gpu=o.gpu, effective_batch=o.effective_batch,
                            progress=lambda status: progress(None, status))
