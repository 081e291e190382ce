"""Running a probe on a target named by its import spec - what `advisor probe`, `recommend --probe`
and the server's job workers call. Which probes exist, their options and runners come from the
evidence registry (advisor.evidence.registry); each runner is `run(target, options, progress)`."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from advisor.evidence.registry import EvidenceKind, Progress, kind
from advisor.evidence.results import ProbeResults
from advisor_probes.targets import ProbeTarget, load_target, place_model

Runner = Callable[[ProbeTarget, Any, Progress], BaseModel]


def _quiet(done: float | None, status: str) -> None:
    pass


def runner_of(probe: EvidenceKind) -> Runner:
    module, _, function = str(probe.runner).partition(":")
    return getattr(importlib.import_module(module), function)


def target_on(spec: str, device: str | None) -> ProbeTarget:
    """The target's (model, data, loss_fn), the model moved to `device` when one is named."""
    t = load_target(spec)
    if device is not None:
        place_model(t.model, device)
    return t


def run_probe(name: str, target: str, options: BaseModel | Mapping[str, Any] | None = None,
              progress: Progress | None = None, device: str | None = None) -> BaseModel:
    """One probe by name; `options` validated by the probe's options model (defaults filled)."""
    probe = kind(name)
    assert probe.options is not None
    opts = (options if isinstance(options, probe.options)
            else probe.options.model_validate(dict(options or {})))
    return runner_of(probe)(target_on(target, device), opts, progress or _quiet)


def run_probes(names: Sequence[str], target: str, *, options: Mapping[str, Mapping[str, Any]] | None = None,
               progress: Progress | None = None, device: str | None = None) -> ProbeResults:
    """The named probes on one target, in the registry's order, as the ProbeResults `recommend` takes.

    A probe with an `lr` option not given runs at the LR the LR probe measured when it ran first.
    """
    chosen = sorted((kind(n) for n in dict.fromkeys(names)), key=lambda k: k.order)
    found: dict[str, BaseModel] = {}
    for probe in chosen:
        opts = dict((options or {}).get(probe.name, {}))
        measured = getattr(found.get("lr_range"), "suggested_lr", None)
        if probe.options is not None and "lr" in probe.options.model_fields and measured and "lr" not in opts:
            opts["lr"] = measured
        found[probe.slot] = run_probe(probe.name, target, opts, progress, device)
    return ProbeResults(**found)
