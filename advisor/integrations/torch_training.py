"""The advisor's config applied to a PyTorch model: optimizer with parameter groups, a per-step LR
schedule (warmup included), gradient clipping and the fine-tuning stages.

    plan = build_training(rec.config, model, steps_per_epoch=len(loader), epochs=10)
    for batch in loader:
        loss = loss_fn(model(x), y); loss.backward()
        plan.step()          # clip, optimizer step, zero_grad, schedule step, next fine-tuning stage

Schedules count optimizer steps s = 0, 1, ... over T = epochs x steps_per_epoch (or total_steps). The
LR at step s is learning_rate x warmup(s) x decay(s):
- warmup over W steps (`warmup_steps`, `warmup_ratio` x T or `warmup_epochs` x steps_per_epoch):
  (s + 1) / W while s < W, so the first step already moves and step W - 1 reaches the full LR;
- decay, with p = (s - W) / (T - W) the share of the post-warmup run: `constant` 1; `linear`
  1 - (1 - end_factor) p; `linear_decay` the same after `start_fraction` of it; `cosine` m + (1 - m)
  (1 + cos(pi p)) / 2 with m = `min_lr_ratio` (or `eta_min_factor`); `polynomial` (1 - p)^power;
  `inverse_sqrt` sqrt(W / (s + 1)) after the warmup; `warmup_stable_decay` constant, then linear to 0
  over the last `decay_fraction` of T (warmup 1 - stable - decay of T when not given); `step`
  gamma^(milestones passed), milestones at `milestones_fraction` x T; `exponential`
  gamma^floor((s - start) / (every_epochs x steps_per_epoch)) from start = `start_fraction` x T;
  `reduce_on_plateau` a ReduceLROnPlateau stepped by `plan.epoch_end(val_loss)` after the warmup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR, ReduceLROnPlateau

from advisor.errors import IntegrationError

NORM_TYPES = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm) + (
    (nn.RMSNorm,) if hasattr(nn, "RMSNorm") else ()
)
HEAD_NAMES = ("classifier", "lm_head", "score", "head", "fc", "output_layer", "qa_outputs", "cls")
ADAPTER_MARKS = ("lora_", "adapter")
# A part named in a plan -> the module names it goes by (Hugging Face's wav2vec 2.0 calls its
# convolutional feature encoder `feature_extractor`).
PART_ALIASES = {"feature_encoder": ("feature_encoder", "feature_extractor")}
SCHEDULES = (
    "constant",
    "linear",
    "linear_decay",
    "cosine",
    "polynomial",
    "inverse_sqrt",
    "warmup_stable_decay",
    "step",
    "exponential",
    "reduce_on_plateau",
)


# ---- the LR multiplier ---------------------------------------------------------------------------


def warmup_steps_of(config: Mapping[str, Any], total_steps: int | None, steps_per_epoch: int | None) -> int:
    """W: the warmup in optimizer steps, from whichever of the three warmup keys the config has."""
    if config.get("warmup_steps"):
        return int(config["warmup_steps"])
    if config.get("warmup_ratio"):
        return round(float(config["warmup_ratio"]) * _need(total_steps, "warmup_ratio"))
    if config.get("warmup_epochs"):
        return int(config["warmup_epochs"]) * _need(steps_per_epoch, "warmup_epochs", "steps_per_epoch")
    schedule = config.get("lr_schedule") or {}
    if schedule.get("name") == "warmup_stable_decay":
        share = 1.0 - float(schedule.get("stable_fraction", 0.4)) - float(schedule.get("decay_fraction", 0.5))
        return round(max(0.0, share) * _need(total_steps, "warmup_stable_decay"))
    return 0


def _need(value: int | None, what: str, name: str = "total_steps") -> int:
    if not value:
        raise IntegrationError(
            f"{what} needs the run's length: give `epochs` with `steps_per_epoch`, or `total_steps`"
            if name == "total_steps"
            else f"{what} needs `{name}`"
        )
    return int(value)


def lr_lambda(
    config: Mapping[str, Any], total_steps: int | None = None, steps_per_epoch: int | None = None
) -> Callable[[int], float]:
    """The LR multiplier at optimizer step s (0-based) that `config` asks for (module docstring)."""
    schedule = dict(config.get("lr_schedule") or {"name": "constant"})
    name = schedule.get("name", "constant")
    if name not in SCHEDULES:
        raise IntegrationError(f"unknown lr_schedule {name!r}; known: {', '.join(SCHEDULES)}")
    warm = warmup_steps_of(config, total_steps, steps_per_epoch)
    if name in ("constant", "reduce_on_plateau", "inverse_sqrt"):
        total = total_steps
    else:
        total = _need(total_steps, f"the {name} schedule")
    decay = _decay(name, schedule, warm, total, steps_per_epoch)

    def multiplier(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return decay(step)

    return multiplier


def _decay(
    name: str, sc: Mapping[str, Any], warm: int, total: int | None, steps_per_epoch: int | None
) -> Callable[[int], float]:
    def share(step: int) -> float:  # p: how far through the post-warmup run
        span = max(1, (total or 1) - warm)
        return min(1.0, max(0.0, (step - warm) / span))

    if name in ("constant", "reduce_on_plateau"):
        return lambda step: 1.0
    if name == "linear":
        end = float(sc.get("end_factor", 0.0))
        return lambda step: 1.0 - (1.0 - end) * share(step)
    if name == "linear_decay":
        end, start = float(sc.get("end_factor", 0.0)), float(sc.get("start_fraction", 0.0))
        return lambda step: 1.0 - (1.0 - end) * max(0.0, (share(step) - start) / max(1e-12, 1.0 - start))
    if name == "cosine":
        floor = float(sc.get("min_lr_ratio", sc.get("eta_min_factor", 0.0)))
        return lambda step: floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * share(step)))
    if name == "polynomial":
        power = float(sc.get("power", 1.0))
        return lambda step: (1.0 - share(step)) ** power
    if name == "inverse_sqrt":
        scale = max(1, warm)
        return lambda step: math.sqrt(scale / max(step + 1, scale))
    if name == "warmup_stable_decay":
        assert total is not None
        decay_steps = max(1, round(float(sc.get("decay_fraction", 0.5)) * total))
        start = total - decay_steps
        return lambda step: 1.0 if step < start else max(0.0, (total - step) / decay_steps)
    if name == "step":
        assert total is not None
        milestones = sorted(round(float(f) * total) for f in sc.get("milestones_fraction", ()))
        gamma = float(sc.get("gamma", 0.1))
        return lambda step: gamma ** sum(step >= m for m in milestones)
    # exponential
    assert total is not None
    gamma = float(sc.get("gamma", 0.95))
    every = int(sc.get("every_epochs", 1)) * _need(
        steps_per_epoch, "the exponential schedule", "steps_per_epoch"
    )
    start = round(float(sc.get("start_fraction", 0.0)) * total)
    return lambda step: gamma ** max(0, (step - start) // every) if step >= start else 1.0


# ---- parameter groups ------------------------------------------------------------------------------


def no_decay_names(model: nn.Module) -> set[str]:
    """Biases, norm weights and other 1-d parameters: weight decay would only shrink their scale."""
    names = set()
    for module_name, module in model.named_modules():
        for pname, param in module.named_parameters(recurse=False):
            full = f"{module_name}.{pname}" if module_name else pname
            if param.ndim <= 1 or isinstance(module, NORM_TYPES) or "norm" in type(module).__name__.lower():
                names.add(full)
    return names


def block_list(model: nn.Module) -> tuple[str, nn.ModuleList] | None:
    """The model's stack of repeated blocks: its longest ModuleList (transformer layers, ResNet
    stages flattened are not one), with its qualified name."""
    lists = [
        (n, m)
        for n, m in model.named_modules()
        if isinstance(m, nn.ModuleList | nn.Sequential)
        and len(m) > 1
        and len({type(c) for c in m}) == 1
        and sum(p.numel() for p in m.parameters()) > 0
    ]
    return max(lists, key=lambda item: len(item[1]), default=None)


def layer_ids(model: nn.Module) -> tuple[dict[str, int], int]:
    """For each parameter, its layer id for layer-wise LR decay: 0 for what comes before the block
    stack (embeddings), i + 1 for block i, L + 1 for what follows (head); and L + 1."""
    found = block_list(model)
    names = [n for n, _ in model.named_parameters()]
    if found is None:
        return {n: 1 for n in names}, 1
    prefix, blocks = found
    depth = len(blocks)
    ids, seen_blocks = {}, False
    for name in names:
        if name.startswith(prefix + "."):
            index = int(name[len(prefix) + 1 :].split(".", 1)[0])
            ids[name], seen_blocks = index + 1, True
        else:
            ids[name] = depth + 1 if seen_blocks else 0
    return ids, depth + 1


@dataclass(frozen=True)
class GroupSpec:
    """One optimizer parameter group: its parameter names, LR and weight decay."""

    names: tuple[str, ...]
    lr: float
    weight_decay: float


def parameter_groups(config: Mapping[str, Any], model: nn.Module) -> list[GroupSpec]:
    """Groups by (layer-wise LR, weight decay or not), in the model's parameter order."""
    lr = float(config["learning_rate"])
    decay = float(config.get("weight_decay") or 0.0)
    layer_decay = float(config.get("layer_lr_decay") or 1.0)
    skip = no_decay_names(model)
    ids, top = layer_ids(model) if layer_decay != 1.0 else ({}, 0)
    groups: dict[tuple[float, float], list[str]] = {}
    for name, _ in model.named_parameters():
        group_lr = lr * layer_decay ** (top - ids[name]) if layer_decay != 1.0 else lr
        key = (group_lr, 0.0 if name in skip else decay)
        groups.setdefault(key, []).append(name)
    return [GroupSpec(tuple(names), glr, wd) for (glr, wd), names in groups.items()]


# ---- optimizer -----------------------------------------------------------------------------------------


def _optimizer(
    config: Mapping[str, Any],
    groups: list[dict[str, Any]],
    factory: Callable[..., torch.optim.Optimizer] | None,
) -> torch.optim.Optimizer:
    name = config.get("optimizer", "adamw")
    lr = float(config["learning_rate"])
    betas = (float(config.get("beta1", 0.9)), float(config.get("beta2", 0.999)))
    eps = float(config.get("eps", 1e-8))
    momentum = float(config.get("momentum", 0.9 if name in ("momentum", "nesterov") else 0.0))
    if factory is not None:
        return factory(groups, lr=lr)
    makers: dict[str, Callable[[], torch.optim.Optimizer]] = {
        "sgd": lambda: torch.optim.SGD(groups, lr=lr, momentum=momentum),
        "momentum": lambda: torch.optim.SGD(groups, lr=lr, momentum=momentum),
        "nesterov": lambda: torch.optim.SGD(groups, lr=lr, momentum=momentum, nesterov=True),
        "adam": lambda: torch.optim.Adam(groups, lr=lr, betas=betas, eps=eps),
        "adamw": lambda: torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps),
        "nadam": lambda: torch.optim.NAdam(groups, lr=lr, betas=betas, eps=eps),
        "adamax": lambda: torch.optim.Adamax(groups, lr=lr, betas=betas, eps=eps),
        "rmsprop": lambda: torch.optim.RMSprop(groups, lr=lr, momentum=momentum, eps=eps),
        "adagrad": lambda: torch.optim.Adagrad(groups, lr=lr, eps=eps),
        "adadelta": lambda: torch.optim.Adadelta(groups, lr=lr, eps=eps),
    }
    if name == "adafactor" and hasattr(torch.optim, "Adafactor"):
        return torch.optim.Adafactor(groups, lr=lr)
    if name not in makers:
        raise IntegrationError(
            f"optimizer {name!r} is not in torch.optim; pass `optimizer_factory`, a callable "
            "taking (param_groups, lr=...) that builds it"
        )
    return makers[name]()


# ---- fine-tuning stages --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One fine-tuning stage: which parameters train, from which optimizer step, for how long."""

    train: str
    trainable: frozenset[str]
    start: int
    steps: int | None  # None: until the end (or the next stage when the run's length is unknown)

    def apply(self, model: nn.Module) -> None:
        for name, param in model.named_parameters():
            param.requires_grad_(name in self.trainable)


def head_names(model: nn.Module) -> set[str]:
    """The output layer's parameters: a module named like a head, else the last Linear/Conv."""
    modules = list(model.named_modules())
    for name, module in reversed(modules):
        leaf = name.rsplit(".", 1)[-1]
        if leaf in HEAD_NAMES and any(True for _ in module.parameters()):
            return {f"{name}.{p}" for p, _ in module.named_parameters()}
    for name, module in reversed(modules):
        if isinstance(module, nn.Linear | nn.modules.conv._ConvNd):
            return {f"{name}.{p}" if name else p for p, _ in module.named_parameters()}
    return set()


def _selection(what: str, model: nn.Module) -> set[str]:
    names = [n for n, _ in model.named_parameters()]
    if what == "all":
        return set(names)
    if what == "head":
        return head_names(model)
    if what == "adapters":
        chosen = {n for n in names if any(mark in n for mark in ADAPTER_MARKS)}
        if not chosen:
            raise IntegrationError(
                "the fine-tuning plan trains adapters, but the model has no parameter named "
                "lora_* or adapter*; add the adapters (e.g. with peft) before building"
            )
        # a new classification head trains with the adapters (peft's modules_to_save)
        new_head = {n for n in head_names(model) if "classifier" in n or "score" in n}
        return chosen | new_head
    if what == "upper_half":
        found = block_list(model)
        ids, top = layer_ids(model)
        depth = top - 1
        return {n for n in names if ids[n] > depth // 2} | head_names(model) if found else set(names)
    if what in ("base", "backbone"):
        return (
            set(names) - _selection("adapters", model) if what == "base" else set(names) - head_names(model)
        )
    aliases = PART_ALIASES.get(what, (what,))
    return {n for n in names if any(f".{a}." in f".{n}" for a in aliases)}


def build_stages(config: Mapping[str, Any], model: nn.Module, total_steps: int | None) -> list[Stage]:
    plan = config.get("freeze") or {"stages": [{"train": "all"}]}
    raw = list(plan.get("stages") or [{"train": "all"}])
    given = sum(int(s.get("steps") or 0) for s in raw)
    open_stages = [s for s in raw if not s.get("steps")]
    share = None
    if total_steps and len(open_stages) > 1:
        share = max(1, (total_steps - given) // len(open_stages))
    stages, start = [], 0
    for i, spec in enumerate(raw):
        trainable = _selection(str(spec.get("train", "all")), model)
        frozen = spec.get("frozen")
        for part in [frozen] if isinstance(frozen, str) else (frozen or []):
            trainable -= _selection(str(part), model)
        last = i == len(raw) - 1
        steps = int(spec["steps"]) if spec.get("steps") else (None if last else share)
        stages.append(Stage(str(spec.get("train", "all")), frozenset(trainable), start, steps))
        start += steps or 0
    return stages


# ---- the plan ------------------------------------------------------------------------------------------


@dataclass
class TrainingPlan:
    """What `build_training` made; `step()` runs one optimizer step of the plan."""

    optimizer: torch.optim.Optimizer
    scheduler: LambdaLR
    stages: list[Stage]
    groups: list[GroupSpec]
    model: nn.Module
    grad_clip_norm: float | None = None
    plateau: ReduceLROnPlateau | None = None
    warmup_steps: int = 0
    total_steps: int | None = None
    step_count: int = 0
    precision: str | None = None
    label_smoothing: float = 0.0
    _stage: int = field(default=-1, repr=False)

    def __post_init__(self) -> None:
        self.enter_stage(0)

    @property
    def stage(self) -> Stage:
        return self.stages[max(0, self._stage)]

    def stage_at(self, step: int) -> int:
        index = 0
        for i, stage in enumerate(self.stages):
            if step >= stage.start and (i == 0 or self.stages[i - 1].steps is not None):
                index = i
        return index

    def enter_stage(self, index: int) -> None:
        if index != self._stage:
            self._stage = index
            self.stages[index].apply(self.model)

    def next_stage(self) -> None:
        """Move on to the next fine-tuning stage by hand (stages without a length, unknown run length)."""
        self.enter_stage(min(self._stage + 1, len(self.stages) - 1))

    def clip(self) -> float | None:
        """Clip the gradients' global norm to `grad_clip_norm`; the norm before clipping, or None."""
        if not self.grad_clip_norm:
            return None
        params = [p for p in self.model.parameters() if p.grad is not None]
        return float(torch.nn.utils.clip_grad_norm_(params, self.grad_clip_norm))

    def step(self) -> None:
        """Clip, step the optimizer, zero the gradients, step the schedule, enter the next stage when due."""
        self.clip()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step_count += 1
        if self.plateau is None or self.step_count <= self.warmup_steps:
            self.scheduler.step()
        self.enter_stage(self.stage_at(self.step_count))

    def epoch_end(self, val_loss: float | None = None) -> None:
        """Step a reduce-on-plateau schedule on the epoch's validation loss (others step per step)."""
        if self.plateau is not None and val_loss is not None and self.step_count >= self.warmup_steps:
            self.plateau.step(val_loss)

    def autocast(self, device_type: str = "cuda") -> Any:
        """The mixed-precision context the config asks for (a no-op for fp32/tf32)."""
        dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.precision or "")
        return torch.autocast(device_type, dtype=dtype, enabled=dtype is not None)


def build_training(
    config: Mapping[str, Any],
    model: nn.Module,
    *,
    steps_per_epoch: int | None = None,
    epochs: int | None = None,
    total_steps: int | None = None,
    optimizer_factory: Callable[..., torch.optim.Optimizer] | None = None,
) -> TrainingPlan:
    """The optimizer, per-step LR schedule, clipping and fine-tuning stages `config` asks for.

    `steps_per_epoch` counts optimizer steps (batches / gradient accumulation); the run lasts
    `total_steps`, or `epochs` x `steps_per_epoch`."""
    if "learning_rate" not in config:
        raise IntegrationError("the config has no `learning_rate`; pass a recommendation's config")
    total = total_steps or (epochs * steps_per_epoch if epochs and steps_per_epoch else None)
    specs = parameter_groups(config, model)
    params = dict(model.named_parameters())
    groups = [
        {"params": [params[n] for n in g.names], "lr": g.lr, "weight_decay": g.weight_decay} for g in specs
    ]
    optimizer = _optimizer(config, groups, optimizer_factory)
    multiplier = lr_lambda(config, total, steps_per_epoch)
    scheduler = LambdaLR(optimizer, multiplier)
    schedule = dict(config.get("lr_schedule") or {})
    plateau = None
    if schedule.get("name") == "reduce_on_plateau":
        plateau = ReduceLROnPlateau(
            optimizer, factor=float(schedule.get("factor", 0.1)), patience=int(schedule.get("patience", 10))
        )
    return TrainingPlan(
        optimizer=optimizer,
        scheduler=scheduler,
        stages=build_stages(config, model, total),
        groups=specs,
        model=model,
        grad_clip_norm=config.get("grad_clip_norm"),
        plateau=plateau,
        warmup_steps=warmup_steps_of(config, total, steps_per_epoch),
        total_steps=total,
        precision=config.get("precision"),
        label_smoothing=float(config.get("label_smoothing") or 0.0),
    )
