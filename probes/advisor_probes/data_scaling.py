"""The data-scaling probe (DATA-02, DATA-04): train on growing fractions of the data, fit a power
law to the validation loss vs training-set size on log-log axes, extrapolate to 2x and 4x.

Each fraction trains the model from its state as given (restored between fractions and at the
end) on a nested subset - the first f*N samples of one seeded permutation - against one fixed
held-out set, and keeps the best validation loss seen (early stopping, so a small subset's
overfitting does not count against it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from advisor.errors import AdvisorError, ProbeError, UserModelError
from advisor.evidence.kinds.data_scaling import DataScalingResult, ScalingOptions, ScalingPoint
from advisor.evidence.power_law import fit_power_law
from advisor.evidence.registry import Progress as Progress_

from .batches import default_compute_loss, to_device
from .optimizers import OPTIMIZERS, build_optimizer
from .state import preserved_state
from .targets import ProbeTarget

Progress = Callable[[int, int, str], None]
DEFAULT_FRACTIONS = (0.1, 0.2, 0.4, 0.8)


def data_scaling_probe(
    model: nn.Module,
    data: Any,
    loss_fn: Callable[..., torch.Tensor],
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
    optimizer: str = "adam",
    lr: float = 1e-3,
    batch_size: int = 32,
    epochs: int = 30,
    min_steps_per_epoch: int = 10,
    val_fraction: float = 0.2,
    seed: int = 0,
    progress: Progress | None = None,
) -> DataScalingResult:
    """Learning curve over training-set size; `fractions` are of the data left after the
    held-out `val_fraction`."""
    fracs = sorted(set(float(f) for f in fractions))
    if len(fracs) < 3:
        raise ProbeError(f"give at least 3 different fractions to fit a power law, got {list(fractions)}")
    if not all(0 < f <= 1 for f in fracs):
        raise ProbeError(f"fractions must lie in (0, 1], got {list(fractions)}")
    if not 0 < val_fraction < 0.9:
        raise ProbeError(f"val_fraction must lie in (0, 0.9), got {val_fraction}")
    if epochs < 1 or batch_size < 1:
        raise ProbeError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    if optimizer not in OPTIMIZERS:
        raise ProbeError(f"unknown optimizer {optimizer!r}; allowed: {', '.join(OPTIMIZERS)}")
    dataset = data.dataset if isinstance(data, DataLoader) else data
    if not isinstance(dataset, Dataset) or not hasattr(dataset, "__len__"):
        raise ProbeError(
            "the data-scaling probe needs a map-style Dataset (or a DataLoader over one) to draw subsets from"
        )
    n = len(dataset)  # type: ignore[arg-type]
    held = max(1, int(n * val_fraction))
    pool = n - held
    if int(fracs[0] * pool) < 2:
        raise ProbeError(f"{n} samples: the smallest fraction {fracs[0]} leaves fewer than 2 to train on")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    val = Subset(dataset, order[:held])
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    points: list[ScalingPoint] = []
    with preserved_state(model) as snapshot:
        for i, frac in enumerate(fracs):
            size = int(frac * pool)
            if progress:
                progress(i, len(fracs), f"{size} samples")
            with preserved_state(model):
                torch.manual_seed(seed)
                train = Subset(dataset, order[held : held + size])
                try:
                    tr, va = _fit(
                        model,
                        train,
                        val,
                        loss_fn,
                        optimizer,
                        lr,
                        batch_size,
                        epochs,
                        min_steps_per_epoch,
                        seed,
                        device,
                    )
                except ProbeError:
                    raise
                except Exception as exc:
                    raise UserModelError(
                        f"training on {size} samples raised {type(exc).__name__}: {exc}"
                    ) from exc
            points.append(ScalingPoint(fraction=frac, samples=size, train_loss=tr, val_loss=va))
        if progress:
            progress(len(fracs), len(fracs), "fit")
    restored = not snapshot.differences()
    return _result(points, held, seed, restored)


def _fit(
    model: nn.Module,
    train: Dataset,
    val: Dataset,
    loss_fn: Callable[..., torch.Tensor],
    optimizer: str,
    lr: float,
    batch_size: int,
    epochs: int,
    min_steps: int,
    seed: int,
    device: torch.device,
) -> tuple[float, float]:
    """Train; return (train loss, val loss) at the epoch with the best validation loss."""
    opt = build_optimizer(optimizer, model.parameters(), lr)
    loader = DataLoader(
        train, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    steps_per_epoch = max(len(loader), min_steps)
    best = (math.inf, math.inf)
    it = iter(loader)
    for _ in range(epochs):
        model.train()
        for _ in range(steps_per_epoch):
            try:
                batch = next(it)
            except StopIteration:
                it = iter(loader)
                batch = next(it)
            opt.zero_grad(set_to_none=True)
            default_compute_loss(model, to_device(batch, device), loss_fn).backward()
            opt.step()
        va = _mean_loss(model, val, loss_fn, device)
        if va < best[1]:
            best = (_mean_loss(model, train, loss_fn, device), va)
        if not math.isfinite(va):
            break
    return best


def _mean_loss(
    model: nn.Module, data: Dataset, loss_fn: Callable[..., torch.Tensor], device: torch.device
) -> float:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in DataLoader(data, batch_size=256):
            batch = to_device(batch, device)
            k = len(batch[0]) if isinstance(batch, tuple | list) else 1
            total += float(default_compute_loss(model, batch, loss_fn)) * k
            count += k
    return total / count if count else math.nan


def _result(points: list[ScalingPoint], held: int, seed: int, restored: bool) -> DataScalingResult:
    usable = [p for p in points if math.isfinite(p.val_loss) and p.val_loss > 0]
    base = {"points": tuple(points), "val_samples": held, "seed": seed, "state_restored": restored}
    if len({p.samples for p in usable}) < 3:
        return DataScalingResult(
            status="no_fit", reason="fewer than 3 sizes with a finite, positive validation loss", **base
        )
    try:
        law = fit_power_law([p.samples for p in usable], [p.val_loss for p in usable])
    except AdvisorError as exc:
        return DataScalingResult(status="no_fit", reason=str(exc), **base)
    g2, g2_lo, g2_hi = law.gain(2)
    g4, g4_lo, g4_hi = law.gain(4)
    last = usable[-1]
    return DataScalingResult(
        status="ok",
        exponent=_s(law.b),
        exponent_interval=(_s(law.b_low), _s(law.b_high)),
        coefficient=_s(law.a),
        r_squared=_s(law.r_squared),
        gain_2x=_s(g2),
        gain_2x_interval=(_s(g2_lo), _s(g2_hi)),
        gain_4x=_s(g4),
        gain_4x_interval=(_s(g4_lo), _s(g4_hi)),
        # Bounded above by 1 (train loss 0): how much of the val loss the model did not learn to fit.
        gap=_s((last.val_loss - last.train_loss) / last.val_loss),
        **base,
    )


def _s(x: float) -> float:
    return float(f"{x:.4g}") if math.isfinite(x) else x


def run(target: ProbeTarget, options: ScalingOptions, progress: Progress_) -> DataScalingResult:
    """The registry's runner for `data-scaling`."""
    o = options
    return data_scaling_probe(target.model, target.data, target.loss_fn, fractions=list(o.fractions),
                              optimizer=o.optimizer, lr=o.lr, batch_size=o.batch_size, epochs=o.epochs,
                              seed=o.seed,
                              progress=lambda i, n, status: progress(i / n if n else None, status))
