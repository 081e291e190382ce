"""Optimizers by canonical name (the advisor's vocabulary), for probes that build their own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch

from advisor.errors import ProbeError

# Canonical name -> (torch optimizer, its fixed arguments besides lr).
OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict[str, Any]]] = {
    "sgd": (torch.optim.SGD, {}),
    "momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "nesterov": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "adagrad": (torch.optim.Adagrad, {}),
    "adadelta": (torch.optim.Adadelta, {}),
    "adamax": (torch.optim.Adamax, {}),
    "nadam": (torch.optim.NAdam, {}),
}
NAMES = tuple(OPTIMIZERS)


def build_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float) -> torch.optim.Optimizer:
    if name not in OPTIMIZERS:
        raise ProbeError(f"unknown optimizer {name!r}; allowed: {', '.join(NAMES)}")
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ProbeError("the model has no trainable parameters")
    cls, kwargs = OPTIMIZERS[name]
    return cls(params, lr=lr, **kwargs)
