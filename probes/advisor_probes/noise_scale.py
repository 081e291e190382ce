"""Gradient noise scale (McCandlish et al. 2018, App. A.1): the two-batch-size estimator.

Train `train_steps` steps first (the scale grows as the loss falls), then for `pairs` rounds take
the full-gradient squared norm at a small batch b and at a big batch B, from disjoint random
samples. With means over rounds, |G|^2 = (B|G_B|^2 - b|G_b|^2) / (B - b) and tr(Σ) = (|G_b|^2 -
|G_B|^2) / (1/b - 1/B) are unbiased; B_simple = tr(Σ) / |G|^2 is the ratio of the means (the
paper's advice: average numerator and denominator separately). Model and RNGs are restored.
"""

from __future__ import annotations

import math
import random
from typing import Any

import torch

from advisor.errors import ProbeError, UserModelError
from advisor.evidence.kinds.noise_scale import NoiseScaleOptions, NoiseScaleResult
from advisor.evidence.registry import Progress

from .batches import dataset_of, default_compute_loss, to_device
from .lr_range import device_of
from .optimizers import build_optimizer
from .state import preserved_state
from .targets import ProbeTarget

_BOOTSTRAP = 200


def run(target: ProbeTarget, options: NoiseScaleOptions, progress: Progress) -> NoiseScaleResult:
    o = options
    model, loss_fn = target.model, target.loss_fn
    dataset, collate = dataset_of(target.data, "the noise-scale probe")
    n = len(dataset)  # type: ignore[arg-type]
    if n < o.big_batch:
        raise ProbeError(f"the big batch ({o.big_batch}) exceeds the {n} training samples; lower big_batch")
    device = device_of(model)
    rng = random.Random(o.seed)

    def batch(size: int) -> Any:
        return to_device(collate([dataset[i] for i in rng.sample(range(n), size)]), device)

    def grad_sq(size: int) -> float:
        model.zero_grad(set_to_none=True)
        default_compute_loss(model, batch(size), loss_fn).backward()
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        return float(sum(float(g.detach().pow(2).sum()) for g in grads))

    with preserved_state(model) as snapshot:
        torch.manual_seed(o.seed)
        try:
            model.train()
            optimizer = build_optimizer(o.optimizer, model.parameters(), o.lr)
            for step in range(o.train_steps):
                optimizer.zero_grad(set_to_none=True)
                loss = default_compute_loss(model, batch(o.big_batch), loss_fn)
                if not torch.isfinite(loss):
                    return NoiseScaleResult(status="failed", small_batch=o.small_batch, big_batch=o.big_batch,
                                            train_steps=step, seed=o.seed,
                                            reason=f"the loss became {float(loss)} while training at lr "
                                            f"{o.lr:g}; lower lr")
                loss.backward()
                optimizer.step()
                progress(0.5 * step / max(1, o.train_steps), f"training step {step + 1}")
            small, big = [], []
            for i in range(o.pairs):
                small.append(grad_sq(o.small_batch))
                big.append(grad_sq(o.big_batch))
                progress(0.5 + 0.5 * (i + 1) / o.pairs, f"gradient pair {i + 1}/{o.pairs}")
        except ProbeError:
            raise
        except Exception as exc:
            raise UserModelError(f"noise scale: the model raised {type(exc).__name__}: {exc}") from exc
        finally:
            model.zero_grad(set_to_none=True)
    scale, g2, trace = _estimate(small, big, o.small_batch, o.big_batch)
    base = {"small_batch": o.small_batch, "big_batch": o.big_batch, "pairs": o.pairs,
            "train_steps": o.train_steps, "seed": o.seed, "state_restored": not snapshot.differences()}
    if scale is None:
        return NoiseScaleResult(status="noisy", grad_sq=g2, trace=trace, **base,
                                reason="the estimated |G|^2 or tr(Σ) is not positive: the gradient noise "
                                "swamps the signal at these batch sizes; raise pairs or big_batch")
    boot = random.Random(o.seed + 1)
    draws = []
    for _ in range(_BOOTSTRAP):
        idx = [boot.randrange(len(small)) for _ in small]
        s, _, _ = _estimate([small[i] for i in idx], [big[i] for i in idx], o.small_batch, o.big_batch)
        draws.append(s if s is not None else math.inf)
    draws.sort()
    interval = (draws[int(0.1 * _BOOTSTRAP)], draws[int(0.9 * _BOOTSTRAP) - 1])
    critical = 2 ** max(0, math.floor(math.log2(max(scale, 1.0))))
    return NoiseScaleResult(status="ok", grad_sq=g2, trace=trace, noise_scale=scale, critical_batch=critical,
                            interval=interval if math.isfinite(interval[1]) else None, **base)


def _estimate(small: list[float], big: list[float], b: int, B: int) -> tuple[float | None, float, float]:
    gs, gb = sum(small) / len(small), sum(big) / len(big)
    g2 = (B * gb - b * gs) / (B - b)
    trace = (gs - gb) / (1 / b - 1 / B)
    if g2 <= 0 or trace <= 0:
        return None, g2, trace
    return trace / g2, g2, trace
