"""The recipe's sanity checks on a real model (Karpathy §2; Goodfellow ch.11), each pass/fail with
what it measured. Every check starts from the model as given and the model is restored after.

- init_loss (DBG-02, INIT-02): loss at initialization vs ln(C); the last-layer bias to use.
- overfit_batch (DBG-03): one small batch driven to near-zero loss within a bounded number of steps.
- zero_input (DBG-04): trained on zeroed inputs, the held-out loss must be clearly worse.
- update_ratio (DBG-06): |update| / |weight| after one step; tensors the step did not move.
- gradient_isolation (DBG-09): the loss of sample i sends gradient to input i only (BatchNorm is
  switched to eval for this, the documented exception).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from advisor.errors import ProbeError, UserModelError
from advisor.evidence.kinds.sanity import CHECKS, SanityCheck, SanityOptions, SanityResult
from advisor.evidence.registry import Progress as Progress_

from .batches import ComputeLoss, cycle, default_compute_loss, make_loader, split_batch, to_device
from .optimizers import OPTIMIZERS, build_optimizer
from .state import preserved_state
from .targets import ProbeTarget

INIT_BAND = (0.8, 1.25)  # loss at init / ln(C)
OVERFIT_TARGET = 0.05  # final / initial loss on the single batch
ZERO_INPUT_MARGIN = 1.05  # zero-input held-out loss must exceed the real one by 5%
# Goodfellow's ~1% per step and Karpathy's ~1e-3 bracket the healthy value; Adam's step is
# about lr/|w| (≈1.5e-2 for a 64-wide layer at lr 1e-3), so "too large" starts at 5e-2.
UPDATE_BAND = (1e-5, 5e-2)
Progress = Callable[[str], None]


def sanity_checks(
    model: nn.Module,
    data: Any,
    loss_fn: Callable[..., torch.Tensor],
    *,
    optimizer: str = "adam",
    lr: float = 1e-3,
    batch_size: int = 16,
    overfit_steps: int = 300,
    baseline_steps: int = 150,
    checks: Sequence[str] = CHECKS,
    seed: int = 0,
    compute_loss: ComputeLoss | None = None,
    progress: Progress | None = None,
) -> SanityResult:
    """Run the checks named in `checks` and return what each measured."""
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise ProbeError(f"unknown sanity check(s) {unknown}; allowed: {', '.join(CHECKS)}")
    if optimizer not in OPTIMIZERS:
        raise ProbeError(f"unknown optimizer {optimizer!r}; allowed: {', '.join(OPTIMIZERS)}")
    if not (lr > 0 and math.isfinite(lr)):
        raise ProbeError(f"lr must be a positive number, got {lr}")
    if batch_size < 2:
        raise ProbeError(f"batch_size must be >= 2 (isolation needs two samples), got {batch_size}")
    if not isinstance(model, nn.Module):
        raise ProbeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    ctx = _Context(model, data, loss_fn, optimizer, lr, batch_size, seed, compute_loss)
    runners = {
        "init_loss": ctx.init_loss,
        "overfit_batch": lambda: ctx.overfit_batch(overfit_steps),
        "zero_input": lambda: ctx.zero_input(baseline_steps),
        "update_ratio": ctx.update_ratio,
        "gradient_isolation": ctx.gradient_isolation,
    }
    results = []
    with preserved_state(model) as snapshot:
        for name in checks:
            if progress:
                progress(name)
            with preserved_state(model):
                torch.manual_seed(seed)
                try:
                    results.append(runners[name]())
                except ProbeError:
                    raise
                except Exception as exc:
                    raise UserModelError(
                        f"sanity check {name}: the model raised {type(exc).__name__}: {exc}"
                    ) from exc
    restored = not snapshot.differences()
    return SanityResult(checks=tuple(results), seed=seed, state_restored=restored)


class _Context:
    def __init__(
        self,
        model: nn.Module,
        data: Any,
        loss_fn: Callable[..., torch.Tensor],
        optimizer: str,
        lr: float,
        batch_size: int,
        seed: int,
        compute_loss: ComputeLoss | None,
    ) -> None:
        self.model, self.data, self.loss_fn = model, data, loss_fn
        self.optimizer, self.lr, self.batch_size, self.seed = optimizer, lr, batch_size, seed
        self.compute = compute_loss or default_compute_loss
        self.custom = compute_loss is not None
        self.device = next((p.device for p in model.parameters()), torch.device("cpu"))
        self._batch = None

    # -- helpers
    def batch(self) -> Any:
        if self._batch is None:
            loader = make_loader(self.data, self.batch_size, self.seed)
            self._batch = to_device(next(iter(cycle(loader))), self.device)
        return self._batch

    def split(self, batch: Any) -> tuple[torch.Tensor, Any] | None:
        """(inputs, targets) when the batch has that shape and the loss is the default one."""
        if self.custom:
            return None
        pair = split_batch(batch)
        return pair if pair is not None and isinstance(pair[0], torch.Tensor) else None

    def trainable_optimizer(self) -> torch.optim.Optimizer | None:
        try:
            return build_optimizer(self.optimizer, self.model.parameters(), self.lr)
        except ProbeError:
            return None  # no trainable parameters: reported by the checks, not raised

    # -- DBG-02 / INIT-02
    def init_loss(self) -> SanityCheck:
        batch = self.batch()
        pair = self.split(batch)
        self.model.eval()
        with torch.no_grad():
            loss = float(self.compute(self.model, batch, self.loss_fn))
            out = self.model(pair[0]) if pair else None
        if pair is None or not isinstance(out, torch.Tensor):
            return SanityCheck(
                name="init_loss",
                status="skipped",
                measured={"loss": loss},
                detail=f"loss at init {loss:.4g}; no expected value without (inputs, targets) "
                "batches and a tensor output",
            )
        targets = pair[1]
        if targets.dtype.is_floating_point or out.dim() < 2 or out.shape[1] < 2:
            mean = float(targets.float().mean())
            return SanityCheck(
                name="init_loss",
                status="skipped",
                measured={"loss": loss, "target_mean": mean, "suggested_bias": mean},
                detail=f"regression: loss at init {loss:.4g}; set the output bias to the "
                f"target mean {mean:.4g} (INIT-02)",
            )
        classes = int(out.shape[1])
        expected = math.log(classes)
        ratio = loss / expected
        prior = self.class_prior(classes)
        bias = [round(math.log(p), 4) if p > 0 else None for p in prior] if prior else None
        ok = INIT_BAND[0] <= ratio <= INIT_BAND[1] and math.isfinite(loss)
        detail = f"loss {loss:.4g} vs ln({classes}) = {expected:.4g} (ratio {ratio:.2f})"
        if prior and max(prior) > 2 * min(prior) > 0:
            detail += "; classes are imbalanced: initialize the last bias to log(prior)"
        return SanityCheck(
            name="init_loss",
            status="pass" if ok else "fail",
            detail=detail,
            measured={
                "loss": loss,
                "expected": expected,
                "ratio": round(ratio, 4),
                "classes": classes,
                "suggested_bias": str(bias) if bias else None,
            },
        )

    def class_prior(self, classes: int, batches: int = 20) -> list[float] | None:
        counts = torch.zeros(classes)
        loader = make_loader(self.data, self.batch_size, self.seed)
        for i, batch in enumerate(loader):
            pair = self.split(batch)
            if pair is None or i >= batches:
                break
            y = pair[1].reshape(-1).long()
            y = y[(y >= 0) & (y < classes)]
            counts += torch.bincount(y.cpu(), minlength=classes)[:classes].float()
        total = float(counts.sum())
        return [float(c) / total for c in counts] if total else None

    # -- DBG-03
    def overfit_batch(self, steps: int) -> SanityCheck:
        batch = self.batch()
        opt = self.trainable_optimizer()
        if opt is None:
            return SanityCheck(
                name="overfit_batch",
                status="fail",
                measured={"final_ratio": 1.0},
                detail="the model has no trainable parameters",
            )
        self.model.train()
        first = last = math.nan
        done = 0
        for done in range(1, steps + 1):
            opt.zero_grad(set_to_none=True)
            loss = self.compute(self.model, batch, self.loss_fn)
            value = float(loss.detach())
            if done == 1:
                first = value
            last = value
            if not math.isfinite(value) or value < -1e-6:
                why = (
                    "NaN/inf"
                    if not math.isfinite(value)
                    else "negative: the loss is unbounded below "
                    "(e.g. NLLLoss on raw logits instead of log-probabilities)"
                )
                return SanityCheck(
                    name="overfit_batch",
                    status="fail",
                    detail=f"loss became {why}",
                    measured={"initial": first, "final": value, "final_ratio": 1.0, "steps": done},
                )
            if first > 0 and value <= OVERFIT_TARGET * first:
                break
            loss.backward()
            opt.step()
        ratio = last / first if first > 0 else 1.0
        ok = ratio <= OVERFIT_TARGET
        return SanityCheck(
            name="overfit_batch",
            status="pass" if ok else "fail",
            detail=f"loss {first:.4g} -> {last:.4g} ({ratio:.1%}) in {done} steps on one batch of "
            f"{self.batch_size}" + ("" if ok else f"; needs <= {OVERFIT_TARGET:.0%}"),
            measured={"initial": first, "final": last, "final_ratio": round(ratio, 5), "steps": done},
        )

    # -- DBG-04
    def zero_input(self, steps: int) -> SanityCheck:
        dataset = self.data.dataset if isinstance(self.data, DataLoader) else self.data
        if self.custom or not isinstance(dataset, Dataset) or not hasattr(dataset, "__len__"):
            return SanityCheck(
                name="zero_input",
                status="skipped",
                detail="needs a map-style Dataset of (inputs, targets) and the default loss",
            )
        n = len(dataset)  # type: ignore[arg-type]
        held = min(512, n // 5)
        if held < self.batch_size:
            return SanityCheck(
                name="zero_input",
                status="skipped",
                detail=f"{n} samples are too few to hold out a validation set",
            )
        order = torch.randperm(n, generator=torch.Generator().manual_seed(self.seed)).tolist()
        val = Subset(dataset, order[:held])
        train = Subset(dataset, order[held:])
        losses = {}
        for zeroed in (False, True):
            with preserved_state(self.model):
                torch.manual_seed(self.seed)
                losses[zeroed] = self._train_eval(train, val, steps, zeroed)
        if losses[False] is None or losses[True] is None:
            return SanityCheck(
                name="zero_input", status="skipped", detail="batches are not (inputs, targets) tensors"
            )
        real, zero = losses[False], losses[True]
        margin = zero / real if real > 0 else math.inf
        ok = margin >= ZERO_INPUT_MARGIN
        return SanityCheck(
            name="zero_input",
            status="pass" if ok else "fail",
            detail=f"held-out loss {real:.4g} with real inputs vs {zero:.4g} with zeroed inputs "
            f"(x{margin:.2f}" + ("" if ok else f"; needs >= x{ZERO_INPUT_MARGIN}") + ")",
            measured={
                "real_loss": real,
                "zero_loss": zero,
                "margin": round(margin, 4),
                "steps": steps,
                "held_out": held,
            },
        )

    def _train_eval(self, train: Dataset, val: Dataset, steps: int, zeroed: bool) -> float | None:
        opt = self.trainable_optimizer()
        loader = DataLoader(
            train,
            batch_size=self.batch_size,
            shuffle=True,
            generator=torch.Generator().manual_seed(self.seed),
        )
        self.model.train()
        batches = cycle(loader)
        for _ in range(steps if opt is not None else 0):
            pair = self.split(to_device(next(batches), self.device))
            if pair is None:
                return None
            x, y = pair
            opt.zero_grad(set_to_none=True)  # type: ignore[union-attr]
            self.loss_fn(self.model(torch.zeros_like(x) if zeroed else x), y).backward()
            opt.step()  # type: ignore[union-attr]
        self.model.eval()
        total, count = 0.0, 0
        with torch.no_grad():
            for batch in DataLoader(val, batch_size=max(self.batch_size, 64)):
                pair = self.split(to_device(batch, self.device))
                if pair is None:
                    return None
                x, y = pair
                total += float(self.loss_fn(self.model(torch.zeros_like(x) if zeroed else x), y)) * len(x)
                count += len(x)
        return total / count

    # -- DBG-06
    def update_ratio(self) -> SanityCheck:
        named = [(n, p) for n, p in self.model.named_parameters()]
        trainable = [(n, p) for n, p in named if p.requires_grad]
        deliberate = len(named) - len(trainable)
        opt = self.trainable_optimizer()
        if opt is None:
            return SanityCheck(
                name="update_ratio",
                status="fail",
                measured={"frozen_fraction": 1.0, "frozen": len(named)},
                detail=f"all {len(named)} parameter tensors have requires_grad=False",
            )
        before = {n: p.detach().clone() for n, p in trainable}
        self.model.train()
        opt.zero_grad(set_to_none=True)
        self.compute(self.model, self.batch(), self.loss_fn).backward()
        opt.step()
        ratios, frozen = [], []
        for n, p in trainable:
            delta = float((p.detach() - before[n]).float().norm())
            if delta == 0.0:
                frozen.append(n)
                continue
            ratios.append(delta / (float(before[n].float().norm()) + 1e-12))
        median = statistics.median(ratios) if ratios else 0.0
        frozen_fraction = len(frozen) / len(trainable)
        in_band = UPDATE_BAND[0] <= median <= UPDATE_BAND[1]
        ok = in_band and not frozen
        detail = (
            f"median |update|/|weight| {median:.2e} over {len(ratios)} tensors "
            f"(healthy ≈1e-3, band {UPDATE_BAND[0]:.0e}-{UPDATE_BAND[1]:.0e}) with "
            f"{self.optimizer} lr={self.lr:g}"
        )
        if frozen:
            shown = ", ".join(frozen[:4]) + (" ..." if len(frozen) > 4 else "")
            detail += f"; {len(frozen)} trainable tensor(s) did not move: {shown}"
        if deliberate:
            detail += f"; {deliberate} tensor(s) frozen on purpose (requires_grad=False)"
        return SanityCheck(
            name="update_ratio",
            status="pass" if ok else "fail",
            detail=detail,
            measured={
                "median": float(f"{median:.4g}"),
                "min": float(f"{min(ratios, default=0):.4g}"),
                "max": float(f"{max(ratios, default=0):.4g}"),
                "frozen_fraction": round(frozen_fraction, 4),
                "frozen": len(frozen),
                "requires_grad_false": deliberate,
                "optimizer": self.optimizer,
                "lr": self.lr,
            },
        )

    # -- DBG-09
    def gradient_isolation(self) -> SanityCheck:
        pair = self.split(self.batch())
        if pair is None:
            return SanityCheck(
                name="gradient_isolation",
                status="skipped",
                detail="needs (inputs, targets) batches and the default loss",
            )
        x = pair[0]
        if not x.dtype.is_floating_point:
            return SanityCheck(
                name="gradient_isolation",
                status="skipped",
                detail=f"inputs are {x.dtype} (token ids?): no input gradient to inspect",
            )
        if x.shape[0] < 2:
            return SanityCheck(name="gradient_isolation", status="skipped", detail="batch of one")
        # eval(): BatchNorm in train mode couples samples through batch statistics by design.
        self.model.eval()
        x = x.detach().clone().requires_grad_(True)
        out = self.model(x)
        out = out[0] if isinstance(out, tuple | list) else out
        if not isinstance(out, torch.Tensor) or out.shape[:1] != x.shape[:1]:
            return SanityCheck(
                name="gradient_isolation",
                status="skipped",
                detail="the output's first dimension is not the batch",
            )
        i = x.shape[0] // 2
        out[i].float().sum().backward()
        grad = x.grad.detach().reshape(x.shape[0], -1).abs()  # type: ignore[union-attr]
        own = float(grad[i].max())
        others = torch.cat([grad[:i], grad[i + 1 :]])
        leak = float(others.max())
        leaked = int((others.amax(dim=1) > 0).sum())
        ok = leak <= 1e-7 * max(own, 1e-30)
        detail = (
            f"loss of sample {i} only: gradient reached {leaked} other sample(s) "
            f"(max {leak:.3g} vs own {own:.3g})"
            if not ok
            else f"loss of sample {i} only: no gradient reached the other {x.shape[0] - 1} inputs"
        )
        return SanityCheck(
            name="gradient_isolation",
            status="pass" if ok else "fail",
            detail=detail,
            measured={"sample": i, "leaked_samples": leaked, "max_leak": leak, "own": own},
        )


def run(target: ProbeTarget, options: SanityOptions, progress: Progress_) -> SanityResult:
    """The registry's runner for `sanity`."""
    o = options
    return sanity_checks(target.model, target.data, target.loss_fn, optimizer=o.optimizer, lr=o.lr,
                         batch_size=o.batch_size, checks=o.checks or CHECKS, seed=o.seed,
                         progress=lambda name: progress(None, name))
