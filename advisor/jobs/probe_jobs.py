"""What a probe job is asked to do (validated at the HTTP boundary) and how a worker runs it.

A request names a target from the server's allow-list, never an import spec; the supervisor
resolves the name and hands the spec to the worker process. The probes, their options and where
a result is fed back come from the evidence registry: `{"probes": {...}}` into `POST /v1/recommend`,
`{"sanity": ...}` / `{"scaling": ...}` into `POST /v1/diagnose`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.evidence.registry import kind, probe_names
from advisor.profile.model import Choice

# The probe names, as a type (derived from the registry).
ProbeName = Literal[probe_names()]  # type: ignore[valid-type]
Progress = Callable[[float | None, str], None]


class ProbeJobRequest(BaseModel):
    """`POST /v1/probe-jobs`: a target *name* from the server's allow-list, a probe, its options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: Annotated[str, Field(min_length=1, max_length=100)]
    probe: Choice[ProbeName]  # type: ignore[valid-type]
    options: dict[str, Any] = {}

    def checked_options(self) -> dict[str, Any]:
        """The options validated by this probe's options model, defaults filled in (raises
        ValidationError)."""
        options = kind(self.probe).options
        assert options is not None
        return options.model_validate(self.options).model_dump(mode="json")


def run_job(probe: str, spec: str, options: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run one probe on the target `spec` (an import spec the server resolved). Imports torch."""
    from advisor_probes.runners import run_probe

    found = kind(probe)
    result = run_probe(probe, spec, options, progress).model_dump(mode="json")
    return {found.slot: result} if found.consumer == "diagnose" else {"probes": {found.slot: result}}
