"""What the probes report, as plain frozen models: no torch needed to read, send or consume them.

The probes (package `advisor_probes`) produce these; `recommend(profile, probes=...)` turns them
into facts the rules match on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LRStatus = Literal["ok", "no_clear_minimum", "diverged", "failed"]
LRMode = Literal["quick", "thorough"]
BatchStatus = Literal["ok", "exceeds_budget_at_1", "failed"]
Confidence = Literal["high", "medium", "low"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LRPick(_Frozen):
    """One picker's opinion: which LR it chose and how."""

    method: str
    lr: float


class LRTrial(_Frozen):
    """One short real training run of the thorough LR search, scored on held-out batches."""

    lr: float
    steps: int = Field(description="Optimizer steps this candidate had run when scored.")
    rung: int = Field(description="Successive-halving round (0 = every candidate).")
    heldout_loss: float | None = Field(default=None, description="Mean held-out loss; None once diverged.")


class LRRangeResult(_Frozen):
    status: LRStatus
    reason: str = ""
    optimizer: str
    suggested_lr: float | None = None
    lr_low: float | None = None
    lr_high: float | None = None
    confidence: Confidence | None = None
    diverged_at_lr: float | None = Field(default=None, description="First LR where loss blew up.")
    min_loss_lr: float | None = None
    picks: tuple[LRPick, ...] = ()
    steps_run: int = 0
    lrs: tuple[float, ...] = ()
    losses: tuple[float, ...] = ()  # raw per-step losses (NaN kept as None-free floats)
    smoothed: tuple[float, ...] = ()
    seed: int = 0
    state_restored: bool = True
    # quick: the ramp alone (<= 100 steps); thorough: the ramp brackets, short real runs decide.
    mode: LRMode = "quick"
    trials: tuple[LRTrial, ...] = ()
    cost_steps: int = Field(default=0, description="Optimizer steps the probe took, ramp and runs.")
    run_steps: int | None = Field(default=None, description="Optimizer steps of one training run, if known.")
    heldout_samples: int | None = None

    @property
    def cost_share(self) -> float | None:
        """The probe's cost as a share of one training run, when the run's length is known."""
        return None if not self.run_steps else self.cost_steps / self.run_steps


class BatchPoint(_Frozen):
    batch_size: int
    peak_bytes: int
    source: Literal["trace", "confirm", "predicted"]


class BatchProbeResult(_Frozen):
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


SanityName = Literal["init_loss", "overfit_batch", "zero_input", "update_ratio", "gradient_isolation"]
CheckStatus = Literal["pass", "fail", "skipped"]


class SanityCheck(_Frozen):
    """One check of the recipe (DBG-02/03/04/06/09), with what it measured."""

    name: SanityName
    status: CheckStatus
    detail: str
    measured: dict[str, float | int | str | bool | None] = {}


class SanityResult(_Frozen):
    checks: tuple[SanityCheck, ...]
    seed: int = 0
    state_restored: bool = True

    def check(self, name: str) -> SanityCheck | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks if c.status == "fail")


class ScalingPoint(_Frozen):
    fraction: float
    samples: int
    train_loss: float
    val_loss: float


class DataScalingResult(_Frozen):
    """Validation loss vs training-set size, and the power law fitted on log-log axes."""

    status: Literal["ok", "no_fit", "failed"]
    reason: str = ""
    points: tuple[ScalingPoint, ...] = ()
    val_samples: int = 0
    exponent: float | None = None  # b in val_loss = a * n^-b
    exponent_interval: tuple[float, float] | None = None  # 90%
    coefficient: float | None = None  # a
    r_squared: float | None = None
    gain_2x: float | None = None  # predicted relative reduction of the val loss from 2x the data
    gain_2x_interval: tuple[float, float] | None = None
    gain_4x: float | None = None
    gain_4x_interval: tuple[float, float] | None = None
    gap: float | None = None  # (val - train) / val at the largest fraction (1 = train loss 0)
    seed: int = 0
    state_restored: bool = True


class ProbeResults(_Frozen):
    """The probes that ran for one recommendation (each optional)."""

    lr_range: LRRangeResult | None = None
    batch: BatchProbeResult | None = None
    sanity: SanityResult | None = None
    scaling: DataScalingResult | None = None
