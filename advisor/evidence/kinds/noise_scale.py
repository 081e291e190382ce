"""The gradient noise scale (`advisor probe noise-scale`): a measured critical batch size.

McCandlish et al. 2018 (An Empirical Model of Large-Batch Training, App. A.1): from squared
gradient norms at two batch sizes b < B, unbiased estimates of the true gradient's squared norm
|G|^2 = (B|G_B|^2 - b|G_b|^2) / (B - b) and of the per-sample variance tr(Σ) = (|G_b|^2 - |G_B|^2) /
(1/b - 1/B); their ratio B_simple = tr(Σ)/|G|^2 predicts the critical batch: below it a larger batch
saves steps almost linearly, above it each extra sample buys little.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from advisor.evidence.fact import FactSpec, FactValue, finite
from advisor.evidence.kinds._common import Frozen, ProbeOptions, key_value_table
from advisor.evidence.registry import EvidenceKind


class NoiseScaleResult(Frozen):
    status: Literal["ok", "noisy", "failed"]
    reason: str = ""
    small_batch: int
    big_batch: int
    pairs: int = 0  # (small, big) gradient measurements averaged
    train_steps: int = 0  # optimizer steps taken before measuring (the scale grows as loss falls)
    grad_sq: float | None = Field(None, description="Estimated |G|^2 of the true gradient.")
    trace: float | None = Field(None, description="Estimated tr(Σ), the per-sample gradient variance.")
    noise_scale: float | None = Field(None, description="B_simple = tr(Σ) / |G|^2, in samples.")
    interval: tuple[float, float] | None = Field(None, description="80% bootstrap interval of the scale.")
    critical_batch: int | None = Field(None, description="The power of two at or below the noise scale.")
    seed: int = 0
    state_restored: bool = True


class NoiseScaleOptions(ProbeOptions):
    small_batch: Annotated[int, Field(ge=1, le=65536, description="The small batch b.")] = 8
    big_batch: Annotated[int, Field(ge=2, le=65536, description="The big batch B (> b).")] = 128
    pairs: Annotated[int, Field(ge=2, le=1000, description="Gradient pairs averaged.")] = 20
    train_steps: Annotated[int, Field(ge=0, le=100_000, description=(
        "Optimizer steps at --lr before measuring: the noise scale grows as the loss falls, so "
        "measure where training will spend its time."))] = 50
    lr: Annotated[float, Field(gt=0, le=10, description="Learning rate of those steps.")] = 1e-3

    @model_validator(mode="after")
    def _ordered(self) -> NoiseScaleOptions:
        if self.big_batch <= self.small_batch:
            raise ValueError(f"big_batch ({self.big_batch}) must exceed small_batch ({self.small_batch})")
        return self


def _facts(r: NoiseScaleResult) -> dict[str, FactValue | None]:
    facts: dict[str, FactValue | None] = {"noise_probed": True, "noise_status": r.status}
    if r.status == "ok":
        facts |= {"noise_scale": finite(r.noise_scale), "noise_critical_batch": r.critical_batch}
    return facts


def _render(r: NoiseScaleResult) -> list[Any]:
    from rich.text import Text

    style = "green" if r.status == "ok" else "yellow"
    out: list[Any] = [Text(f"Gradient noise scale (b={r.small_batch}, B={r.big_batch}, {r.pairs} pairs, "
                           f"after {r.train_steps} steps): ", style="bold") + Text(r.status, style=style)]
    if r.reason:
        out.append(Text(r.reason, style=style))
    rows = [("noise scale B_simple (samples)", r.noise_scale),
            ("80% interval", None if r.interval is None else f"[{r.interval[0]:.3g}, {r.interval[1]:.3g}]"),
            ("critical batch (power of two)", r.critical_batch), ("|G|^2", r.grad_sq), ("tr(Σ)", r.trace),
            ("state restored", "yes, bit for bit" if r.state_restored else "NO")]
    return [*out, key_value_table(rows)]


KIND = EvidenceKind(
    name="noise-scale", slot="noise_scale", title="Gradient noise scale", order=50, result=NoiseScaleResult,
    marker="noise_scale", options=NoiseScaleOptions, runner="advisor_probes.noise_scale:run",
    render=_render, to_facts=_facts, absent={"noise_probed": False}, parameter="batch_size",
    doc="Gradient noise scale (McCandlish et al. 2018): a measured critical batch size.",
    facts=(
        FactSpec("noise_probed", "bool", "the gradient-noise-scale probe ran"),
        FactSpec("noise_status", "enum", "gradient-noise-scale outcome", ("ok", "noisy", "failed")),
        FactSpec("noise_scale", "float", "measured gradient noise scale B_simple (samples)"),
        FactSpec("noise_critical_batch", "int", "power of two at or below the measured noise scale"),
    ),
)
