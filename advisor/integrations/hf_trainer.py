"""The advisor's config as Hugging Face `TrainingArguments` keyword arguments.

    args = TrainingArguments(output_dir="out", **training_arguments(rec.config, num_devices=2))

Only what the config decides is returned; output paths, logging and evaluation stay the caller's.
A schedule or optimizer the Trainer has no name for is an IntegrationError that says to build it
with `build_training` and pass `Trainer(optimizers=(plan.optimizer, plan.scheduler))`.
Imports nothing from transformers, so it also serves configs written for another machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from advisor.errors import IntegrationError

_INSTEAD = ("build it with advisor.integrations.build_training and pass "
            "Trainer(optimizers=(plan.optimizer, plan.scheduler))")

# optimizer -> (Trainer `optim`, `optim_args` it needs)
_OPTIMIZERS: dict[str, tuple[str, str | None]] = {
    "adamw": ("adamw_torch", None),
    "sgd": ("sgd", None),
    "momentum": ("sgd", None),
    "nesterov": ("sgd", None),
    "rmsprop": ("rmsprop", None),
    "adagrad": ("adagrad", None),
    "adafactor": ("adafactor", None),
}


def _scheduler(config: Mapping[str, Any], warmup: bool, total_steps: int | None) -> dict[str, Any]:
    schedule = dict(config.get("lr_schedule") or {"name": "constant"})
    name = schedule.get("name", "constant")
    if name == "constant":
        return {"lr_scheduler_type": "constant_with_warmup" if warmup else "constant"}
    if name == "linear":
        if float(schedule.get("end_factor", 0.0)) != 0.0:
            raise IntegrationError(f"a linear schedule ending above 0 has no Trainer name; {_INSTEAD}")
        return {"lr_scheduler_type": "linear"}
    if name == "cosine":
        floor = float(schedule.get("min_lr_ratio", schedule.get("eta_min_factor", 0.0)))
        if floor == 0.0:
            return {"lr_scheduler_type": "cosine"}
        return {"lr_scheduler_type": "cosine_with_min_lr", "lr_scheduler_kwargs": {"min_lr_rate": floor}}
    if name == "polynomial":
        return {
            "lr_scheduler_type": "polynomial",
            "lr_scheduler_kwargs": {"power": float(schedule.get("power", 1.0)), "lr_end": 0.0},
        }
    if name == "inverse_sqrt":
        return {"lr_scheduler_type": "inverse_sqrt"}
    if name == "reduce_on_plateau":
        return {
            "lr_scheduler_type": "reduce_lr_on_plateau",
            "lr_scheduler_kwargs": {
                "factor": float(schedule.get("factor", 0.1)),
                "patience": int(schedule.get("patience", 10)),
            },
        }
    if name == "warmup_stable_decay":
        if not total_steps:
            raise IntegrationError(
                "the warmup_stable_decay schedule needs the run's length: pass `total_steps`"
            )
        decay = round(float(schedule.get("decay_fraction", 0.5)) * total_steps)
        return {
            "lr_scheduler_type": "warmup_stable_decay",
            "lr_scheduler_kwargs": {"num_decay_steps": decay, "decay_type": "linear"},
        }
    raise IntegrationError(f"the Trainer has no {name!r} schedule; {_INSTEAD}")


def _warmup(config: Mapping[str, Any], steps_per_epoch: int | None, total_steps: int | None) -> float:
    """Trainer's `warmup_steps`: steps as an int, or a share of the run as a float in [0, 1)."""
    if config.get("warmup_steps"):
        return int(config["warmup_steps"])
    if config.get("warmup_ratio"):
        return float(config["warmup_ratio"])
    if config.get("warmup_epochs"):
        if not steps_per_epoch:
            raise IntegrationError("`warmup_epochs` needs `steps_per_epoch` to become Trainer warmup steps")
        return int(config["warmup_epochs"]) * steps_per_epoch
    schedule = config.get("lr_schedule") or {}
    if schedule.get("name") == "warmup_stable_decay":
        return max(
            0.0,
            1.0 - float(schedule.get("stable_fraction", 0.4)) - float(schedule.get("decay_fraction", 0.5)),
        )
    return 0


def training_arguments(
    config: Mapping[str, Any],
    *,
    num_devices: int = 1,
    steps_per_epoch: int | None = None,
    total_steps: int | None = None,
    precision: str | None = None,
) -> dict[str, Any]:
    """`TrainingArguments` keyword arguments for `config` (a recommendation's config).

    The config's `batch_size` is global: it is split over `num_devices` and the config's gradient
    accumulation into `per_device_train_batch_size`. `precision` overrides the config's (e.g. "fp32"
    on a CPU). `steps_per_epoch` (optimizer steps) is needed only for `warmup_epochs`."""
    if "learning_rate" not in config:
        raise IntegrationError("the config has no `learning_rate`; pass a recommendation's config")
    name = config.get("optimizer", "adamw")
    kwargs: dict[str, Any] = {"learning_rate": float(config["learning_rate"])}
    decay = float(config.get("weight_decay") or 0.0)
    if name == "adam" and decay == 0.0:
        name = "adamw"  # without weight decay Adam and AdamW are the same update
    if name in ("adam", "adamw", "nadam", "adamax"):
        if name != "adamw":
            raise IntegrationError(
                f"the Trainer has no {name!r} optimizer with coupled weight decay; {_INSTEAD}"
            )
        kwargs |= {
            "adam_beta1": float(config.get("beta1", 0.9)),
            "adam_beta2": float(config.get("beta2", 0.999)),
            "adam_epsilon": float(config.get("eps", 1e-8)),
        }
    if name not in _OPTIMIZERS:
        raise IntegrationError(f"the Trainer has no {name!r} optimizer; {_INSTEAD}")
    optim, optim_args = _OPTIMIZERS[name]
    if name in ("momentum", "nesterov"):
        optim_args = f"momentum={float(config.get('momentum', 0.9))}" + (
            ",nesterov=True" if name == "nesterov" else ""
        )
    elif name == "rmsprop" and config.get("momentum"):
        optim_args = f"momentum={float(config['momentum'])}"
    kwargs["optim"] = optim
    if optim_args:
        kwargs["optim_args"] = optim_args
    kwargs["weight_decay"] = decay
    warmup = _warmup(config, steps_per_epoch, total_steps)
    kwargs["warmup_steps"] = warmup
    kwargs |= _scheduler(config, bool(warmup), total_steps)
    kwargs["max_grad_norm"] = float(config.get("grad_clip_norm") or 0.0)  # 0 turns the Trainer's clipping off
    kwargs["label_smoothing_factor"] = float(config.get("label_smoothing") or 0.0)
    accumulation = int(config.get("gradient_accumulation_steps") or 1)
    batch = int(config.get("batch_size") or 8 * num_devices * accumulation)
    per_device, rest = divmod(batch, num_devices * accumulation)
    if per_device < 1 or rest:
        raise IntegrationError(
            f"batch_size {batch} does not split into {num_devices} device(s) x {accumulation} "
            "accumulation step(s); choose `num_devices` that divides it"
        )
    kwargs["per_device_train_batch_size"] = per_device
    kwargs["gradient_accumulation_steps"] = accumulation
    chosen = precision or config.get("precision") or "fp32"
    kwargs["bf16"] = chosen == "bf16"
    kwargs["fp16"] = chosen == "fp16"
    if chosen == "tf32":
        kwargs["tf32"] = True
    return kwargs
