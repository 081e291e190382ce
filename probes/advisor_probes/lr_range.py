"""The LR range test: an exponential LR ramp of at most ~100 steps, read without lag."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import numpy as np
import torch
from torch import nn

from advisor.errors import ProbeError, UserModelError
from advisor.evidence.results import LRPick, LRRangeResult

from .batches import ComputeLoss, cycle, default_compute_loss, make_loader, to_device
from .curve import read_curve
from .optimizers import build_optimizer
from .state import preserved_state

Progress = Callable[[int, int, float, float], None]


def device_of(model: nn.Module) -> torch.device:
    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def lr_range_test(
    model: nn.Module,
    data: Any,
    loss_fn: Callable[..., torch.Tensor],
    *,
    optimizer: str | torch.optim.Optimizer = "adam",
    start_lr: float = 1e-6,
    end_lr: float = 10.0,
    steps: int = 100,
    batch_size: int | None = None,
    accumulation_steps: int = 1,
    amp: bool | str = False,
    scheduler: Any = None,
    scaler: Any = None,
    diverge_factor: float = 4.0,
    seed: int = 0,
    compute_loss: ComputeLoss | None = None,
    progress: Progress | None = None,
    run_steps: int | None = None,
) -> LRRangeResult:
    """Ramp the LR from `start_lr` to `end_lr` over `steps` optimizer steps and read the curve.

    Everything touched (parameters, buffers, optimizer/scheduler/scaler state, RNGs) is restored
    afterwards. `optimizer` is a canonical name or your own optimizer (its LR is driven directly;
    an attached `scheduler` is not stepped and is restored). `run_steps`, the optimizer steps of
    one training run, only lets the result state its cost as a share of a run.
    """
    if not 0 < start_lr < end_lr:
        raise ProbeError(f"0 < start_lr < end_lr must hold, but got start_lr={start_lr}, end_lr={end_lr}")
    if not 5 <= steps <= 1000:
        raise ProbeError(f"steps must be between 5 and 1000, got {steps}")
    if accumulation_steps < 1:
        raise ProbeError(f"accumulation_steps must be >= 1, got {accumulation_steps}")
    if not isinstance(model, nn.Module):
        raise ProbeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    device = device_of(model)
    dtype = amp_dtype(amp, device)
    compute = compute_loss or default_compute_loss
    lrs = np.geomspace(start_lr, end_lr, steps)
    name = optimizer if isinstance(optimizer, str) else type(optimizer).__name__.lower()
    user_optimizer = None if isinstance(optimizer, str) else optimizer
    # Loss scaling is for float16 on CUDA only; bfloat16 has float32's range.
    own_scaler = scaler or (torch.amp.GradScaler("cuda") if dtype == torch.float16 and device.type == "cuda"
                            else None)
    losses: list[float] = []
    diverged_at: int | None = None

    with preserved_state(model, user_optimizer, scheduler, scaler) as snapshot:
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        opt = user_optimizer or build_optimizer(name, model.parameters(), float(lrs[0]))
        model.train()
        batches = cycle(make_loader(data, batch_size, seed))
        best = math.inf
        for i, lr in enumerate(lrs):
            for group in opt.param_groups:
                group["lr"] = float(lr)
            loss_value = train_step(model, opt, batches, loss_fn, compute, device, accumulation_steps,
                               dtype, own_scaler)
            losses.append(loss_value)
            if progress is not None:
                progress(i + 1, steps, float(lr), loss_value)
            if not math.isfinite(loss_value):
                diverged_at = i
                break
            # Compare a trailing median of 5 steps, not single noisy batches, with its best.
            recent = float(np.median(losses[-5:]))
            best = min(best, recent)
            if i >= steps // 10 and recent > diverge_factor * best:
                diverged_at = i
                break
    restored = not snapshot.differences()  # the context manager restored it on exit

    reading = read_curve(lrs[: len(losses)], np.array(losses, dtype=float), diverged_at)
    if diverged_at is not None and diverged_at < 3 and reading.status != "ok":
        reason = (f"the loss was {'not finite' if not math.isfinite(losses[-1]) else 'exploding'} "
                  f"from the first steps (lr {lrs[0]:.2g}): check the loss and inputs for NaN, "
                  "or start the ramp lower")
        reading = replace(reading, status="diverged", reason=reason)
    return LRRangeResult(
        status=reading.status,  # type: ignore[arg-type]
        reason=reading.reason,
        optimizer=name,
        suggested_lr=reading.suggested,
        lr_low=reading.low,
        lr_high=reading.high,
        confidence=reading.confidence,  # type: ignore[arg-type]
        diverged_at_lr=None if diverged_at is None else float(lrs[diverged_at]),
        min_loss_lr=reading.min_loss_lr,
        picks=tuple(LRPick(method=k, lr=v) for k, v in reading.picks.items()),
        steps_run=len(losses),
        cost_steps=len(losses),
        run_steps=run_steps,
        lrs=tuple(float(v) for v in lrs[: len(losses)]),
        losses=tuple(v if math.isfinite(v) else float("nan") for v in losses),
        smoothed=tuple(float(v) for v in reading.smoothed),
        seed=seed,
        state_restored=restored,
    )


def amp_dtype(amp: bool | str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype: "bf16" / "fp16" anywhere autocast runs, True = fp16 on CUDA (off elsewhere)."""
    if amp is False or amp is None:
        return None
    if amp is True:
        return torch.float16 if device.type == "cuda" else None
    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16}
    if amp not in dtypes:
        raise ProbeError(f"amp must be bf16 or fp16, got {amp!r}")
    return dtypes[amp]


def train_step(model: nn.Module, opt: torch.optim.Optimizer, batches: Iterable[Any],
          loss_fn: Callable[..., torch.Tensor], compute: ComputeLoss, device: torch.device,
          accumulation: int, amp: torch.dtype | None, scaler: Any) -> float:
    """One optimizer step over `accumulation` batches; the mean loss (not finite: no step taken)."""
    opt.zero_grad(set_to_none=True)
    total = 0.0
    iterator = iter(batches)
    for _ in range(accumulation):
        batch = to_device(next(iterator), device)
        try:
            with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
                loss = compute(model, batch, loss_fn)
        except ProbeError:
            raise
        except Exception as exc:
            raise UserModelError(f"the model or loss raised during the probe: "
                             f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise ProbeError("the loss must be a scalar tensor; got "
                             f"{type(loss).__name__} {getattr(loss, 'shape', '')}")
        value = float(loss.detach())
        total += value
        if not math.isfinite(value):
            return value
        scaled = loss / accumulation
        (scaler.scale(scaled) if scaler is not None else scaled).backward()
    if scaler is not None:
        scaler.step(opt)
        scaler.update()
    else:
        opt.step()
    return total / accumulation
