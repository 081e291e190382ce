"""The LR range test (`advisor probe lr`): a ramp, or a ramp then short real runs (thorough)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from advisor.evidence.fact import FactSpec, FactValue
from advisor.evidence.kinds._common import Frozen, ProbeOptions, key_value_table
from advisor.evidence.registry import EvidenceKind
from advisor.profile.model import Profile

LRStatus = Literal["ok", "no_clear_minimum", "diverged", "failed"]
LRMode = Literal["quick", "thorough"]
Confidence = Literal["high", "medium", "low"]


class LRPick(Frozen):
    """One picker's opinion: which LR it chose and how."""

    method: str
    lr: float


class LRTrial(Frozen):
    """One short real training run of the thorough LR search, scored on held-out batches."""

    lr: float
    steps: int = Field(description="Optimizer steps this candidate had run when scored.")
    rung: int = Field(description="Successive-halving round (0 = every candidate).")
    heldout_loss: float | None = Field(default=None, description="Mean held-out loss; None once diverged.")


class LRRangeResult(Frozen):
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


class LROptions(ProbeOptions):
    steps: Annotated[int, Field(ge=5, le=1000, description="LR steps in the ramp.")] = 100
    start_lr: Annotated[float, Field(gt=0, le=1, description="First LR of the ramp.")] = 1e-6
    end_lr: Annotated[float, Field(gt=0, le=100, description="Last LR of the ramp.")] = 10.0
    batch_size: Annotated[int | None, Field(ge=1, le=65536, description=(
        "Batch size when the target returns a Dataset."))] = None
    mode: LRMode = Field("quick", description="quick: the ramp alone; thorough: the ramp, then short real "
                         "runs ranked by held-out loss.")
    run_steps: Annotated[int | None, Field(ge=1, le=10**9, description=(
        "Optimizer steps of one training run: the thorough search takes 20% of it (500 steps when not "
        "given) and moves its answer to the run's length."))] = None
    amp: Literal["bf16", "fp16"] | None = Field(None, description="Mixed precision for the ramp and runs "
                                                 "(fp16 adds a GradScaler on CUDA).")


def _from_profile(profile: Profile, given: frozenset[str]) -> dict[str, Any]:
    precision = profile.hardware.precision
    return {"optimizer": profile.optimizer, "run_steps": profile.budget.steps,
            "amp": precision if precision in ("bf16", "fp16") else None}


def _facts(r: LRRangeResult) -> dict[str, FactValue | None]:
    return {"lr_probed": True, "lr_probe_status": r.status, "lr_suggested": r.suggested_lr,
            "lr_low": r.lr_low, "lr_high": r.lr_high, "lr_min_loss": r.min_loss_lr,
            "lr_diverge": r.diverged_at_lr, "lr_confidence": r.confidence, "lr_probe_mode": r.mode}


def _render(r: LRRangeResult) -> list[Any]:
    from rich.text import Text

    style = "green" if r.status == "ok" else "yellow"
    what = "LR range test" if r.mode == "quick" else "LR search (ramp + short runs)"
    out: list[Any] = [Text(f"{what} ({r.optimizer}, {r.cost_steps} steps, seed {r.seed}): ", style="bold")
                      + Text(r.status, style=style)]
    if r.reason:
        out.append(Text(r.reason, style=style))
    rows: list[tuple[str, Any]] = [
        ("suggested lr", r.suggested_lr),
        ("range", None if r.lr_low is None else f"[{r.lr_low:.3g}, {r.lr_high:.3g}]"),
        ("confidence", r.confidence), ("loss minimum at lr", r.min_loss_lr),
        ("diverged at lr", r.diverged_at_lr)]
    rows += [(f"pick: {p.method}", p.lr) for p in r.picks]
    rows += [(f"run at lr {t.lr:.3g}, {t.steps} steps", "diverged" if t.heldout_loss is None
              else f"held-out loss {t.heldout_loss:.4g}") for t in r.trials]
    if r.cost_share is not None:
        rows.append(("cost", f"{r.cost_steps} optimizer steps, {r.cost_share:.0%} of one run"))
    rows.append(("state restored", "yes, bit for bit" if r.state_restored else "NO"))
    return [*out, key_value_table(rows)]


KIND = EvidenceKind(
    name="lr", slot="lr_range", title="LR range test", order=10, result=LRRangeResult, marker="suggested_lr",
    options=LROptions, runner="advisor_probes.lr_search:run", plot="advisor_probes.plots:plot_lr",
    render=_render, from_profile=_from_profile, parameter="learning_rate", to_facts=_facts,
    absent={"lr_probed": False},
    doc="LR range test: a suggested learning rate, a range and a confidence.",
    facts=(
        FactSpec("lr_probed", "bool", "an LR range test ran"),
        FactSpec("lr_probe_status", "enum", "LR range test outcome",
                 ("ok", "no_clear_minimum", "diverged", "failed")),
        FactSpec("lr_suggested", "float", "LR range test suggestion"),
        FactSpec("lr_low", "float", "low end of the LR range test's range"),
        FactSpec("lr_high", "float", "high end of the LR range test's range"),
        FactSpec("lr_min_loss", "float", "LR at the smoothed loss minimum"),
        FactSpec("lr_diverge", "float", "LR where the range test diverged"),
        FactSpec("lr_confidence", "enum", "agreement of the LR pickers", ("high", "medium", "low")),
        FactSpec("lr_probe_mode", "enum", "quick: the ramp alone; thorough: short real runs decided",
                 ("quick", "thorough")),
    ),
)
