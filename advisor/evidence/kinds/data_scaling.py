"""The data-scaling probe (`advisor probe data-scaling`): validation loss vs training-set size,
a power law fitted on log-log axes, and what 2x / 4x data would buy."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from advisor.evidence.fact import FactSpec, FactValue, finite
from advisor.evidence.kinds._common import Frozen, ProbeOptions
from advisor.evidence.registry import EvidenceKind


class ScalingPoint(Frozen):
    fraction: float
    samples: int
    train_loss: float
    val_loss: float


class DataScalingResult(Frozen):
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


class ScalingOptions(ProbeOptions):
    fractions: Annotated[tuple[Annotated[float, Field(gt=0, le=1)], ...], Field(
        min_length=3, max_length=10, description="Fractions of the training data (after the held-out 20%).",
    )] = (0.1, 0.2, 0.4, 0.8)
    lr: Annotated[float, Field(gt=0, le=10, description="Learning rate for each run.")] = 1e-3
    batch_size: Annotated[int, Field(ge=1, le=65536, description="Batch size of each run.")] = 32
    epochs: Annotated[int, Field(ge=1, le=200,
                                 description="Epochs per fraction (best validation kept).")] = 30


def _facts(r: DataScalingResult) -> dict[str, FactValue | None]:
    facts: dict[str, FactValue | None] = {"scaling_ran": True, "scaling_status": r.status}
    if r.status == "ok":
        facts |= {"scaling_exponent": finite(r.exponent), "scaling_gain_2x": finite(r.gain_2x),
                  "scaling_gain_4x": finite(r.gain_4x), "scaling_gap": finite(r.gap),
                  "scaling_gain_2x_low": finite(r.gain_2x_interval[0]) if r.gain_2x_interval else None}
    return facts


def _render(r: DataScalingResult) -> list[Any]:
    from rich.table import Table

    title = f"Data scaling ({r.status}{': ' + r.reason if r.reason else ''})"
    table = Table(title=title, title_justify="left")
    for col in ("fraction", "samples", "train loss", "val loss"):
        table.add_column(col, justify="right")
    for p in r.points:
        table.add_row(f"{p.fraction:g}", str(p.samples), f"{p.train_loss:.4g}", f"{p.val_loss:.4g}")
    out: list[Any] = [table]
    if r.exponent is not None and r.exponent_interval and r.gain_2x_interval and r.gain_4x_interval:
        lo, hi = r.exponent_interval
        g2, g4 = r.gain_2x_interval, r.gain_4x_interval
        out += [f"val_loss ≈ {r.coefficient:.3g} · n^-{r.exponent:.3f}  "
                f"(exponent 90% interval [{lo:.3f}, {hi:.3f}], R² {r.r_squared:.3f})",
                f"predicted val-loss reduction: 2x data {r.gain_2x:.1%} [{g2[0]:.1%}, {g2[1]:.1%}], "
                f"4x data {r.gain_4x:.1%} [{g4[0]:.1%}, {g4[1]:.1%}]"]
    return out


KIND = EvidenceKind(
    name="data-scaling", slot="scaling", title="Data scaling", order=40, result=DataScalingResult,
    marker="points", options=ScalingOptions, runner="advisor_probes.data_scaling:run",
    plot="advisor_probes.plots:plot_scaling", render=_render, to_facts=_facts, consumer="diagnose",
    doc="Validation loss vs training-set size, a power-law fit, and what 2x / 4x data would buy.",
    facts=(
        FactSpec("scaling_ran", "bool", "the data-scaling probe ran"),
        FactSpec("scaling_status", "enum", "data-scaling outcome", ("ok", "no_fit", "failed")),
        FactSpec("scaling_exponent", "float", "b in val_loss = a * n^-b"),
        FactSpec("scaling_gain_2x", "float", "predicted relative val-loss reduction from 2x the data"),
        FactSpec("scaling_gain_2x_low", "float", "pessimistic end (90% interval) of that gain"),
        FactSpec("scaling_gain_4x", "float", "predicted relative val-loss reduction from 4x the data"),
        FactSpec("scaling_gap", "float", "(val - train) / val loss at the largest fraction"),
    ),
)
