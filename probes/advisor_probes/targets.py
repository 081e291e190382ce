"""Loading a probe target: `package.module:function` or `path/to/file.py:function`, a
zero-argument callable returning (model, dataset_or_dataloader, loss_fn)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from advisor.errors import ProbeError, UserModelError
from advisor.evidence.targets import BUILTIN_TARGETS as BUILTIN
from advisor.user_code import ImportSpecError, import_callable


@dataclass(frozen=True)
class ProbeTarget:
    spec: str
    model: nn.Module
    data: Any
    loss_fn: Any


def load_target(spec: str) -> ProbeTarget:
    """Import and call the target; check what it returns."""
    spec = BUILTIN.get(spec, spec)
    try:
        factory = import_callable(spec, what="target")
    except ImportSpecError as exc:
        raise ProbeError(f"{exc} (built-in targets: {', '.join(BUILTIN)})") from None
    try:
        made = factory()
    except Exception as exc:
        raise UserModelError(f"target {spec!r} raised: {type(exc).__name__}: {exc}") from exc
    if not isinstance(made, tuple | list) or len(made) != 3:
        raise ProbeError(f"target {spec!r} must return (model, dataset_or_dataloader, loss_fn), "
                         f"got {type(made).__name__}"
                         + (f" of length {len(made)}" if isinstance(made, tuple | list) else ""))
    model, data, loss_fn = made
    if not isinstance(model, nn.Module):
        raise ProbeError(f"target {spec!r}: the first item must be a torch.nn.Module, "
                         f"got {type(model).__name__}")
    if not callable(loss_fn):
        raise ProbeError(f"target {spec!r}: the third item (the loss) must be callable")
    return ProbeTarget(spec, model, data, loss_fn)


def place_model(model: nn.Module, device: str) -> None:
    """Move the model to `device` ("cpu", "cuda", "cuda:1", "mps"); a clear error when it cannot."""
    try:
        where = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ProbeError(f"unknown device {device!r}: {exc}") from None
    if where.type == "cuda" and not torch.cuda.is_available():
        raise ProbeError(f"device {device!r} asked for, but CUDA is not available on this machine")
    if where.type == "mps" and not torch.backends.mps.is_available():
        raise ProbeError(f"device {device!r} asked for, but MPS is not available on this machine")
    model.to(where)
