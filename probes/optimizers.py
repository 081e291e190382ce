"""Optimizers by canonical name (the advisor's vocabulary), for probes that build their own."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from advisor.errors import ProbeError

NAMES = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad", "adadelta",
         "adamax", "nadam")


def build_optimizer(name: str, params: Iterable[torch.nn.Parameter], lr: float) -> torch.optim.Optimizer:
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ProbeError("the model has no trainable parameters")
    match name:
        case "sgd":
            return torch.optim.SGD(params, lr=lr)
        case "momentum":
            return torch.optim.SGD(params, lr=lr, momentum=0.9)
        case "nesterov":
            return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
        case "adam":
            return torch.optim.Adam(params, lr=lr)
        case "adamw":
            return torch.optim.AdamW(params, lr=lr)
        case "rmsprop":
            return torch.optim.RMSprop(params, lr=lr)
        case "adagrad":
            return torch.optim.Adagrad(params, lr=lr)
        case "adadelta":
            return torch.optim.Adadelta(params, lr=lr)
        case "adamax":
            return torch.optim.Adamax(params, lr=lr)
        case "nadam":
            return torch.optim.NAdam(params, lr=lr)
    raise ProbeError(f"unknown optimizer {name!r}; allowed: {', '.join(NAMES)}")
