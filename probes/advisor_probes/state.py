"""Snapshot and restore everything a probe touches, bit for bit, in one context manager."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn


def _clone(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    return copy.deepcopy(obj)


class StateSnapshot:
    """The state of a model (+ optimizer, scheduler, grad scaler) and of every RNG."""

    def __init__(self, model: nn.Module, optimizer: Any = None, scheduler: Any = None,
                 scaler: Any = None) -> None:
        self.model = model
        self.optimizer, self.scheduler, self.scaler = optimizer, scheduler, scaler
        self.tensors = {name: t.detach().clone() for name, t in model.state_dict(keep_vars=True).items()}
        self.grads = {name: None if p.grad is None else p.grad.detach().clone()
                      for name, p in model.named_parameters()}
        self.requires_grad = {name: p.requires_grad for name, p in model.named_parameters()}
        self.training = {name: m.training for name, m in model.named_modules()}
        self.optimizer_state = copy.deepcopy(optimizer.state_dict()) if optimizer is not None else None
        self.scheduler_state = copy.deepcopy(scheduler.state_dict()) if scheduler is not None else None
        self.scaler_state = copy.deepcopy(scaler.state_dict()) if scaler is not None else None
        self.python_rng = random.getstate()
        self.numpy_rng = np.random.get_state()
        self.torch_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None

    def restore(self) -> None:
        with torch.no_grad():
            live = self.model.state_dict(keep_vars=True)
            for name, saved in self.tensors.items():
                # In place, so references the caller holds (optimizer param groups) stay valid.
                live[name].data.copy_(saved)
        for name, p in self.model.named_parameters():
            p.requires_grad_(self.requires_grad[name])
            saved = self.grads[name]
            p.grad = None if saved is None else saved.clone()
        for name, module in self.model.named_modules():
            module.training = self.training.get(name, module.training)
        if self.optimizer is not None:
            self.optimizer.load_state_dict(self.optimizer_state)
        if self.scheduler is not None:
            self.scheduler.load_state_dict(self.scheduler_state)
        if self.scaler is not None:
            self.scaler.load_state_dict(self.scaler_state)
        random.setstate(self.python_rng)
        np.random.set_state(self.numpy_rng)
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)

    def differences(self) -> list[str]:
        """Names of tensors that no longer equal the snapshot (empty after a good restore)."""
        live = self.model.state_dict(keep_vars=True)
        return [name for name, saved in self.tensors.items()
                if not torch.equal(live[name].detach(), saved)]


@contextmanager
def preserved_state(model: nn.Module, optimizer: Any = None, scheduler: Any = None,
                    scaler: Any = None) -> Iterator[StateSnapshot]:
    """Run the body, then put model, optimizer, scheduler, scaler and RNGs back as they were."""
    snapshot = StateSnapshot(model, optimizer, scheduler, scaler)
    try:
        yield snapshot
    finally:
        snapshot.restore()
