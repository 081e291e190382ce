"""The canonical hyperparameters: their kind, valid bounds, and SRCH-01 importance tier."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

ParamKind = Literal["real", "integer", "categorical", "structured"]


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: ParamKind
    doc: str
    tier: int | None = None  # SRCH-01: 1 searched first, 3 last; None: never searched
    low: float | None = None  # valid bounds of the value itself
    high: float | None = None
    high_open: bool = False

    def check_value(self, value: object) -> str | None:
        """Why `value` is not valid for this parameter, or None."""
        if self.kind == "structured":
            return None if isinstance(value, dict | str) else "expected a mapping or a name"
        if self.kind == "categorical":
            return None if isinstance(value, str | int | float | bool) else "expected a scalar"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {value!r}"
        if self.kind == "integer" and not float(value).is_integer():
            return f"expected an integer, got {value!r}"
        if not math.isfinite(value):
            return f"expected a finite number, got {value!r}"
        if self.low is not None and value < self.low:
            return f"must be >= {self.low:g}, got {value!r}"
        if self.high is not None:
            if self.high_open and value >= self.high:
                return f"must be < {self.high:g}, got {value!r}"
            if value > self.high:
                return f"must be <= {self.high:g}, got {value!r}"
        return None


_SPECS = (
    ParamSpec("optimizer", "categorical", "optimizer name"),
    ParamSpec("learning_rate", "real", "initial learning rate", 1, 0.0, 100.0),
    ParamSpec("aux_loss_weight", "real", "weight of an auxiliary loss", 1, 0.0),
    ParamSpec("focal_gamma", "real", "focal-loss focusing parameter", 1, 0.0, 10.0),
    ParamSpec("focal_alpha", "real", "focal-loss class weight", 1, 0.0, 1.0),
    ParamSpec("batch_size", "integer", "samples per optimizer step", 2, 1, 1 << 20),
    ParamSpec("momentum", "real", "SGD momentum", 2, 0.0, 1.0, high_open=True),
    ParamSpec("beta1", "real", "Adam beta1", 3, 0.0, 1.0, high_open=True),
    ParamSpec("beta2", "real", "Adam beta2", 3, 0.0, 1.0, high_open=True),
    ParamSpec("eps", "real", "Adam epsilon", 3, 0.0, 1.0),
    ParamSpec("weight_decay", "real", "weight decay (PyTorch parameterization)", 3, 0.0, 1.0),
    ParamSpec("dropout", "real", "dropout rate of hidden layers", 3, 0.0, 1.0, high_open=True),
    ParamSpec("input_dropout", "real", "dropout rate on inputs", 3, 0.0, 1.0, high_open=True),
    ParamSpec("label_smoothing", "real", "label smoothing", 3, 0.0, 1.0, high_open=True),
    ParamSpec("grad_clip_norm", "real", "gradient clipping max norm", 3, 0.0),
    ParamSpec("drop_path", "real", "stochastic depth rate (residual branches dropped)", 3, 0.0, 1.0,
              high_open=True),
    ParamSpec("layer_lr_decay", "real", "layer-wise LR decay: layer l of L trains at lr * d^(L-l)", 3,
              0.0, 1.0),
    ParamSpec("lora_rank", "integer", "LoRA rank r", 3, 1, 4096),
    ParamSpec("lora_alpha", "real", "LoRA scaling alpha (updates scaled by alpha / r)", None, 0.0),
    ParamSpec("lora_dropout", "real", "dropout on the LoRA branch", 3, 0.0, 1.0, high_open=True),
    ParamSpec("epochs", "integer", "training epochs", None, 1),
    ParamSpec("lr_schedule", "structured", "learning-rate schedule {name, params}"),
    ParamSpec("warmup_epochs", "integer", "linear warm-up epochs", None, 0),
    ParamSpec("warmup_steps", "integer", "linear warm-up optimizer steps", None, 0),
    ParamSpec("warmup_ratio", "real", "linear warm-up as a share of all steps", None, 0.0, 1.0),
    ParamSpec("early_stopping_patience", "integer", "epochs without improvement", None, 1),
    ParamSpec("init", "categorical", "weight initialization"),
    ParamSpec("freeze", "structured", "fine-tuning plan"),
    ParamSpec("gradient_accumulation_steps", "integer", "micro-batches per step", None, 1),
    ParamSpec("normalization", "categorical", "batchnorm / layernorm / rmsnorm / groupnorm / none"),
    ParamSpec("precision", "categorical", "numeric precision: fp32 / tf32 / fp16 / bf16 (mixed)"),
)

PARAMS: dict[str, ParamSpec] = {spec.name: spec for spec in _SPECS}
# Parameters that state one thing in different units: a config holds at most one of each group.
ALTERNATIVES: tuple[tuple[str, ...], ...] = (("warmup_steps", "warmup_ratio", "warmup_epochs"),)
# Output order of config keys: the order above (stable JSON, readable tables).
PARAM_ORDER: dict[str, int] = {name: i for i, name in enumerate(PARAMS)}
