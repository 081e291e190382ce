"""Loading a probe target: `package.module:function` or `path/to/file.py:function`, a
zero-argument callable returning (model, dataset_or_dataloader, loss_fn)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from advisor.errors import ProbeError

from .examples import BUILTIN


@dataclass(frozen=True)
class ProbeTarget:
    spec: str
    model: nn.Module
    data: Any
    loss_fn: Any


def _import(spec: str) -> Any:
    module_part, sep, attr = spec.rpartition(":")
    if not sep or not module_part or not attr:
        raise ProbeError(f"target {spec!r}: expected 'package.module:function' or 'file.py:function'"
                         f" (built-in: {', '.join(BUILTIN)})")
    try:
        if module_part.endswith(".py"):
            path = Path(module_part)
            if not path.is_file():
                raise ProbeError(f"target {spec!r}: no such file {path}")
            name = f"_advisor_target_{path.stem}"
            loader_spec = importlib.util.spec_from_file_location(name, path)
            if loader_spec is None or loader_spec.loader is None:
                raise ProbeError(f"target {spec!r}: cannot load {path}")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[name] = module
            loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_part)
    except ProbeError:
        raise
    except Exception as exc:  # the user's module failed to import: say which and why
        raise ProbeError(f"target {spec!r}: importing {module_part} failed: "
                         f"{type(exc).__name__}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ProbeError(f"target {spec!r}: {module_part} has no attribute {attr!r}") from None


def load_target(spec: str) -> ProbeTarget:
    """Import and call the target; check what it returns."""
    spec = BUILTIN.get(spec, spec)
    factory = _import(spec)
    if not callable(factory):
        raise ProbeError(f"target {spec!r} is not callable")
    try:
        made = factory()
    except Exception as exc:
        raise ProbeError(f"target {spec!r} raised: {type(exc).__name__}: {exc}") from exc
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
