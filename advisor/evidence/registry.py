"""One registry for every kind of evidence: what it is asked (options), what it returns (result),
the facts it yields, how it is shown, and where its torch runner lives.

A kind is one module in `advisor.evidence.kinds` that defines `KIND = EvidenceKind(...)`; the
registry finds it there, so adding a probe touches its own module, its runner in
`advisor_probes` and its rules - nothing else. Everything that lists probes derives from here:
`ProbeResults`, the fact table, the `advisor probe` commands, probe-job requests and results.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from advisor.errors import AdvisorError
from advisor.evidence.fact import FactSpec, FactValue

if TYPE_CHECKING:
    from advisor.profile.model import Profile

# The one progress signature of every runner: share done (None when unknown) and a status line.
Progress = Callable[[float | None, str], None]


@dataclass(frozen=True)
class EvidenceKind:
    name: str  # what people type: `advisor probe NAME`, `{"probe": NAME}` in a job request
    slot: str  # its field in ProbeResults and in saved / returned results
    title: str
    result: type[BaseModel]
    marker: str  # a field only this result has: tells a saved file's kind apart
    facts: tuple[FactSpec, ...]
    to_facts: Callable[[Any], Mapping[str, FactValue | None]]
    order: int  # position among the kinds (ProbeResults fields, listings)
    absent: Mapping[str, FactValue] = field(default_factory=dict)  # facts when it did not run
    options: type[BaseModel] | None = None  # a probe's options: the only home of defaults and bounds
    runner: str | None = None  # "advisor_probes.module:function(target, options, progress)"
    render: Callable[[Any], list[Any]] | None = None  # rich renderables for the terminal
    plot: str | None = None  # "advisor_probes.plots:function(result, path)"
    # Options a profile states (None: not stated), given which options were set explicitly.
    from_profile: Callable[[Profile, frozenset[str]], dict[str, Any]] | None = None
    parameter: str | None = None  # the config parameter its measurement moves (shown with a profile)
    consumer: Literal["recommend", "diagnose"] = "recommend"  # where a job's result is fed back
    doc: str = ""

    @property
    def is_probe(self) -> bool:
        return self.runner is not None and self.options is not None

    def facts_of(self, result: Any | None) -> dict[str, FactValue]:
        """The facts this evidence states (the `absent` ones when it did not run)."""
        found = dict(self.absent) if result is None else self.to_facts(result)
        return {name: value for name, value in found.items() if value is not None}


@cache
def kinds() -> tuple[EvidenceKind, ...]:
    """Every kind of evidence, in their declared order."""
    from advisor.evidence import kinds as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        kind = getattr(module, "KIND", None)
        if not isinstance(kind, EvidenceKind):
            raise AdvisorError(f"{module.__name__} defines no KIND = EvidenceKind(...)")
        found.append(kind)
    found.sort(key=lambda k: k.order)
    for attr in ("name", "slot", "marker"):
        values = [getattr(k, attr) for k in found]
        if len(set(values)) != len(values):
            raise AdvisorError(f"two evidence kinds share a {attr}: {values}")
    return tuple(found)


def probe_kinds() -> tuple[EvidenceKind, ...]:
    return tuple(k for k in kinds() if k.is_probe)


def probe_names() -> tuple[str, ...]:
    return tuple(k.name for k in probe_kinds())


def kind(name: str) -> EvidenceKind:
    """The probe called `name` (as typed by people), or an error listing the probes."""
    found = next((k for k in probe_kinds() if k.name == name), None)
    if found is None:
        raise AdvisorError(f"unknown probe {name!r}; allowed: {', '.join(probe_names())}")
    return found


def kind_of_slot(slot: str) -> EvidenceKind:
    return next(k for k in kinds() if k.slot == slot)


def evidence_facts() -> dict[str, FactSpec]:
    return {spec.name: spec for k in kinds() for spec in k.facts}
