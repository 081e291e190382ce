"""The batch-size memory probe (`advisor probe batch`): the largest batch that fits, predicted
from traced steps and confirmed by real ones."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from advisor.evidence.fact import FactSpec, FactValue
from advisor.evidence.kinds._common import Frozen, ProbeOptions, key_value_table
from advisor.evidence.registry import EvidenceKind
from advisor.profile.model import Profile

BatchStatus = Literal["ok", "exceeds_budget_at_1", "failed"]
_MIB = 1 << 20


class BatchPoint(Frozen):
    batch_size: int
    peak_bytes: int
    source: Literal["trace", "confirm", "predicted"]


class BatchProbeResult(Frozen):
    status: BatchStatus
    reason: str = ""
    device: str
    budget_bytes: int
    resident_bytes: int = 0  # parameters, buffers, optimizer state before the step
    # The largest batch that fits in memory and in the training set (min of the two).
    predicted_max_batch: int | None = None
    memory_max_batch: int | None = None  # what memory alone allows (may exceed the data)
    train_samples: int | None = None  # samples in the dataset the probe was given
    data_limited: bool = False  # the training set, not memory, bounds the batch
    # The largest power of two at or below both the memory maximum less `headroom` (evaluation
    # and longer inputs need more than the probed step) and a tenth of the training set (at least
    # MIN_STEPS_PER_EPOCH steps per epoch).
    recommended_batch: int | None = None
    headroom: float = 0.0
    gradient_accumulation_steps: int | None = None  # when an effective batch was asked for
    peak_at_recommended_bytes: int | None = None
    real_runs: int = 0
    ooms: int = 0
    exact: bool = True  # False when the traces differed and the probe bisected instead
    # False when the budget is not this device's (a named GPU from a CPU run): then the maximum
    # is a prediction from the traces, not confirmed by a real step.
    confirmed: bool = True
    points: tuple[BatchPoint, ...] = ()
    # peak(B) = max over these (bytes at B=0, bytes per sample) lines: the exact envelope.
    envelope: tuple[tuple[float, float], ...] = ()
    seed: int = 0
    state_restored: bool = True


class BatchOptions(ProbeOptions):
    memory: Annotated[str | None, Field(pattern=r"^\d+(\.\d+)?\s*(B|KiB|MiB|GiB|KB|MB|GB)?$", max_length=20,
                                        description="Memory budget, e.g. 24GiB.")] = None
    gpu: Annotated[str | None, Field(max_length=40, pattern=r"^[a-z0-9-]+$", description=(
        "A GPU by name, e.g. a100-80gb (10% kept free)."))] = None
    effective_batch: Annotated[int | None, Field(ge=1, le=1_000_000, description=(
        "Keep this effective batch via gradient accumulation."))] = None


def _from_profile(profile: Profile, given: frozenset[str]) -> dict[str, Any]:
    hw = profile.hardware
    named = hw.memory_gb is not None and not {"memory", "gpu"} & given  # a named GPU wins
    return {"optimizer": profile.optimizer, "effective_batch": hw.global_batch_size,
            "memory": f"{hw.memory_gb}GiB" if named else None}


def _facts(r: BatchProbeResult) -> dict[str, FactValue | None]:
    facts: dict[str, FactValue | None] = {"batch_probed": True, "batch_probe_status": r.status,
                                          "batch_probe_max": r.predicted_max_batch}
    if r.status == "ok" and r.predicted_max_batch:
        facts["max_batch_size"] = r.predicted_max_batch  # a measurement beats the profile's statement
    return facts


def _render(r: BatchProbeResult) -> list[Any]:
    from rich.text import Text

    style = "green" if r.status == "ok" else "red"
    out: list[Any] = [Text(f"Batch-size probe on {r.device}: ", style="bold") + Text(r.status, style=style)]
    if r.reason:
        out.append(Text(r.reason, style=style))
    rows = [("budget", f"{r.budget_bytes / _MIB:,.1f} MiB"),
            ("resident (weights, grads, optimizer)", f"{r.resident_bytes / _MIB:,.2f} MiB"),
            ("largest batch memory allows", r.memory_max_batch),
            ("training samples", r.train_samples),
            ("largest batch that fits" + (" (the data)" if r.data_limited else ""), r.predicted_max_batch),
            ("recommended (power of two)", None if r.recommended_batch is None else
             f"{r.recommended_batch}  (<= {1 - r.headroom:.0%} of the memory maximum and "
             "<= a tenth of the data)"),
            ("gradient accumulation", r.gradient_accumulation_steps),
            ("peak at recommended", None if r.peak_at_recommended_bytes is None
             else f"{r.peak_at_recommended_bytes / _MIB:,.2f} MiB"),
            ("real steps run / OOMs", f"{r.real_runs} / {r.ooms}"),
            ("method", ("exact envelope, " + ("confirmed" if r.confirmed else "NOT confirmed here"))
             if r.exact else "measured (doubling + bisection)"),
            ("state restored", "yes, bit for bit" if r.state_restored else "NO")]
    return [*out, key_value_table(rows)]


KIND = EvidenceKind(
    name="batch", slot="batch", title="Batch-size memory probe", order=20, result=BatchProbeResult,
    marker="budget_bytes", options=BatchOptions, runner="advisor_probes.batch_size:run",
    plot="advisor_probes.plots:plot_memory", render=_render, from_profile=_from_profile,
    parameter="batch_size", to_facts=_facts, absent={"batch_probed": False},
    doc="Batch-size memory probe: the largest batch that fits, predicted and confirmed.",
    facts=(
        FactSpec("batch_probed", "bool", "a batch-size memory probe ran"),
        FactSpec("batch_probe_status", "enum", "batch probe outcome",
                 ("ok", "exceeds_budget_at_1", "failed")),
        FactSpec("batch_probe_max", "int", "largest batch that fits, measured"),
    ),
)
