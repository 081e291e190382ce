"""The sanity checks of the recipe (`advisor probe sanity`): init loss, overfit one batch,
zero-input baseline, update ratio, gradient isolation - each pass/fail with what it measured."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field

from advisor.evidence.fact import FactSpec, FactValue, finite
from advisor.evidence.kinds._common import Frozen, ProbeOptions
from advisor.evidence.registry import EvidenceKind

SanityName = Literal["init_loss", "overfit_batch", "zero_input", "update_ratio", "gradient_isolation"]
CHECKS: tuple[str, ...] = get_args(SanityName)
CheckStatus = Literal["pass", "fail", "skipped"]
# Numeric facts: (check, key of its `measured`) - the probe writes these keys.
MEASURES = {
    "sanity_init_loss_ratio": ("init_loss", "ratio"),
    "sanity_overfit_ratio": ("overfit_batch", "final_ratio"),
    "sanity_update_ratio_median": ("update_ratio", "median"),
    "sanity_frozen_fraction": ("update_ratio", "frozen_fraction"),
    "sanity_zero_input_margin": ("zero_input", "margin"),
}


class SanityCheck(Frozen):
    """One check of the recipe (DBG-02/03/04/06/09), with what it measured."""

    name: SanityName
    status: CheckStatus
    detail: str
    measured: dict[str, float | int | str | bool | None] = {}  # noqa: RUF012 - pydantic copies defaults


class SanityResult(Frozen):
    checks: tuple[SanityCheck, ...]
    seed: int = 0
    state_restored: bool = True

    def check(self, name: str) -> SanityCheck | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def failed(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks if c.status == "fail")


class SanityOptions(ProbeOptions):
    lr: Annotated[float, Field(gt=0, le=10, description=(
        "Learning rate for the overfit, baseline and update checks."))] = 1e-3
    batch_size: Annotated[int, Field(ge=2, le=4096, description="The one batch to overfit.")] = 16
    checks: tuple[SanityName, ...] | None = Field(None, description="Comma-separated subset of: "
                                                  + ", ".join(CHECKS) + ".")


def _facts(result: SanityResult) -> dict[str, FactValue | None]:
    facts: dict[str, FactValue | None] = {"sanity_ran": True}
    for name in CHECKS:
        check = result.check(name)
        facts[f"sanity_{name}"] = check.status if check else "skipped"
    for fact, (name, key) in MEASURES.items():
        check = result.check(name)
        facts[fact] = finite(check.measured.get(key)) if check else None
    return facts


def _render(r: SanityResult) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    table = Table(title="Sanity checks", title_justify="left")
    for col in ("check", "result", "measured"):
        table.add_column(col, overflow="fold")
    styles = {"pass": "green", "fail": "bold red", "skipped": "dim"}
    for c in r.checks:
        table.add_row(c.name, Text(c.status, style=styles[c.status]), c.detail)
    return [table]


KIND = EvidenceKind(
    name="sanity", slot="sanity", title="Sanity checks", order=30, result=SanityResult, marker="checks",
    options=SanityOptions, runner="advisor_probes.sanity:run", render=_render, to_facts=_facts,
    consumer="diagnose",
    doc="Sanity checks of the recipe: init loss, overfit one batch, zero-input baseline, update ratio, "
        "gradient isolation - each pass/fail with what it measured.",
    facts=(
        FactSpec("sanity_ran", "bool", "the sanity probes ran"),
        *(FactSpec(f"sanity_{name}", "enum", f"sanity check {name}", ("pass", "fail", "skipped"))
          for name in CHECKS),
        FactSpec("sanity_init_loss_ratio", "float", "loss at initialization / ln(classes)"),
        FactSpec("sanity_overfit_ratio", "float", "loss after overfitting one batch / initial loss"),
        FactSpec("sanity_update_ratio_median", "float", "median |update| / |weight| over parameter tensors"),
        FactSpec("sanity_frozen_fraction", "float", "share of parameter tensors one step did not change"),
        FactSpec("sanity_zero_input_margin", "float", "zero-input loss / real-input loss, held out"),
    ),
)
