"""What a probe job is asked to do (validated at the HTTP boundary) and how a worker runs it.

A request names a target from the server's allow-list, never an import spec; the supervisor
resolves the name and hands the spec to the worker process. Results are shaped to be fed back:
`{"probes": {...}}` into `POST /v1/recommend`, `{"sanity": ...}` / `{"scaling": ...}` into
`POST /v1/diagnose`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.profile.model import OptimizerName

ProbeName = Literal["lr", "batch", "sanity", "data-scaling"]
Seed = Annotated[int, Field(ge=0, le=2**31 - 1)]
Progress = Callable[[float, str], None]


class _Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    optimizer: OptimizerName = "adam"
    seed: Seed = 0


class LROptions(_Options):
    steps: Annotated[int, Field(ge=5, le=1000)] = 100
    start_lr: Annotated[float, Field(gt=0, le=1)] = 1e-6
    end_lr: Annotated[float, Field(gt=0, le=100)] = 10.0
    batch_size: Annotated[int, Field(ge=1, le=65536)] | None = None


class BatchOptions(_Options):
    memory: (
        Annotated[str, Field(pattern=r"^\d+(\.\d+)?\s*(B|KiB|MiB|GiB|KB|MB|GB)?$", max_length=20)] | None
    ) = None
    gpu: Annotated[str, Field(max_length=40, pattern=r"^[a-z0-9-]+$")] | None = None
    effective_batch: Annotated[int, Field(ge=1, le=1_000_000)] | None = None


class SanityOptions(_Options):
    lr: Annotated[float, Field(gt=0, le=10)] = 1e-3
    batch_size: Annotated[int, Field(ge=2, le=4096)] = 16
    checks: (
        tuple[Literal["init_loss", "overfit_batch", "zero_input", "update_ratio", "gradient_isolation"], ...]
        | None
    ) = None


class ScalingOptions(_Options):
    fractions: Annotated[
        tuple[Annotated[float, Field(gt=0, le=1)], ...], Field(min_length=3, max_length=10)
    ] = (0.1, 0.2, 0.4, 0.8)
    lr: Annotated[float, Field(gt=0, le=10)] = 1e-3
    batch_size: Annotated[int, Field(ge=1, le=65536)] = 32
    epochs: Annotated[int, Field(ge=1, le=200)] = 30


OPTIONS: dict[str, type[_Options]] = {
    "lr": LROptions,
    "batch": BatchOptions,
    "sanity": SanityOptions,
    "data-scaling": ScalingOptions,
}


class ProbeJobRequest(BaseModel):
    """`POST /v1/probe-jobs`: a target *name* from the server's allow-list, a probe, its options."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: Annotated[str, Field(min_length=1, max_length=100)]
    probe: ProbeName
    options: dict[str, Any] = {}

    def checked_options(self) -> dict[str, Any]:
        """The options validated for this probe, with defaults filled in (raises ValidationError)."""
        return OPTIONS[self.probe].model_validate(self.options).model_dump(mode="json")


def run_job(probe: str, spec: str, options: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """Run one probe on the target `spec` (an import spec the server resolved). Imports torch."""
    from advisor_probes.runners import run_batch, run_lr, run_sanity, run_scaling

    # Option fields are named after the run_* keyword arguments, so they pass straight through.
    opts = OPTIONS[probe].model_validate(options).model_dump()
    if probe == "lr":
        lr = run_lr(
            spec, **opts, progress=lambda i, n, lr_, loss: progress(i / n, f"lr {lr_:.2g} loss {loss:.4g}")
        )
        return {"probes": {"lr_range": lr.model_dump(mode="json")}}
    if probe == "batch":
        batch = run_batch(spec, **opts, progress=lambda msg: progress(0.5, msg))
        return {"probes": {"batch": batch.model_dump(mode="json")}}
    if probe == "sanity":
        opts["checks"] = list(opts["checks"]) if opts["checks"] else None
        sanity = run_sanity(spec, **opts, progress=lambda name: progress(0.5, name))
        return {"sanity": sanity.model_dump(mode="json")}
    opts["fractions"] = list(opts["fractions"])
    scaling = run_scaling(spec, **opts, progress=lambda i, n, msg: progress(i / n, msg))
    return {"scaling": scaling.model_dump(mode="json")}
