"""What a rule is: its YAML shape (validated by pydantic) and its compiled, runnable form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.expression import Expression
from advisor.core.facts import FactValue

Severity = Literal["info", "warning", "critical"]
Scalar = bool | int | float | str
RULE_ID = r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Advice(_Frozen):
    severity: Severity = "info"
    text: Annotated[str, Field(min_length=5)]


class BatchScaling(_Frozen):
    """A value stated for a reference batch, rescaled to the batch actually recommended."""

    reference: Annotated[int, Field(gt=0)]
    rule: Literal["linear", "sqrt"]
    only_above: bool = False  # scale up for larger batches only; smaller ones keep the value

    def factor(self, batch: float) -> float:
        ratio = batch / self.reference
        if self.only_above:
            ratio = max(1.0, ratio)
        return ratio if self.rule == "linear" else ratio ** 0.5


class ParamEffect(_Frozen):
    """What one rule concludes about one hyperparameter."""

    default: Scalar | dict[str, Any] | None = None
    omit: bool = False  # the parameter does not apply: no default, no search (wins like a default)
    range: tuple[float, float] | None = None
    choices: tuple[Scalar, ...] | None = None
    scale: Literal["log", "linear"] | None = None
    # Modifiers applied on top of the winning default/range (they compose across rules).
    multiply: Annotated[float, Field(gt=0)] | None = None
    multiply_range: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] | None = None
    cap: str | int | float | None = None  # numeric expression over facts: an upper bound
    multiply_expr: str | None = None  # numeric expression over facts: a factor on default and domain
    per_batch: BatchScaling | None = None  # default and range hold for `reference` samples per step
    # Values computed from facts when the rule fires (probe measurements): numeric expressions.
    default_expr: str | None = None
    range_expr: tuple[str, str] | None = None
    default_from: str | None = None  # a profile fact whose value becomes the default


class VerdictEffect(_Frozen):
    """A diagnosis: `name` holds; `evidence` may quote facts as {fact} or {fact:.0%}."""

    name: str
    rank: Annotated[int, Field(ge=0, le=100)]  # lower is reported first
    severity: Severity = "warning"
    evidence: Annotated[str, Field(min_length=5)]
    exclusive: bool = False  # holds only when no other verdict does (e.g. "healthy")


class StepEffect(_Frozen):
    """One next step for a verdict, in the order the sources give."""

    verdict: str
    order: Annotated[int, Field(ge=1, le=100)]
    text: Annotated[str, Field(min_length=5)]


class SearchEffect(_Frozen):
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class RuleSpec(_Frozen):
    """A rule exactly as written in YAML."""

    id: Annotated[str, Field(pattern=RULE_ID)]
    source: Annotated[tuple[str, ...], Field(min_length=1)]
    when: str | bool = "true"
    salience: int = 0
    then: Mapping[str, Any]
    because: Annotated[str, Field(min_length=10)]


@dataclass(frozen=True)
class Rule:
    """A loaded rule: checked, with its condition compiled."""

    id: str
    source: tuple[str, ...]
    when: Expression
    salience: int
    because: str
    params: Mapping[str, ParamEffect]
    caps: Mapping[str, Expression]
    scalers: Mapping[str, Expression]  # param -> multiply_expr
    exprs: Mapping[str, Mapping[str, Expression]]  # param -> "default" / "low" / "high"
    sets: Mapping[str, FactValue]
    advice: Advice | None
    search: SearchEffect | None
    verdict: VerdictEffect | None
    step: StepEffect | None
    file: str
    line: int
    order: int  # position in the whole KB: the last tie-breaker

    @cached_property
    def copies(self) -> dict[str, str]:
        """param -> the fact its default is copied from (`default_from`)."""
        return {name: e.default_from for name, e in self.params.items() if e.default_from}

    @cached_property
    def needs(self) -> frozenset[str]:
        """Facts that must be known before the rule can fire (condition and value expressions)."""
        extra = {f for by_aspect in self.exprs.values() for e in by_aspect.values() for f in e.facts}
        extra |= {f for cap in self.caps.values() for f in cap.facts}
        extra |= {f for scaler in self.scalers.values() for f in scaler.facts}
        extra |= set(self.copies.values())
        return self.when.facts | frozenset(extra)

    def concluded(self, facts: Mapping[str, FactValue]) -> Mapping[str, ParamEffect]:
        """The parameter effects with expression values computed on `facts`."""
        if not self.exprs and not self.copies:
            return self.params
        out = dict(self.params)
        for name, fact in self.copies.items():
            out[name] = out[name].model_copy(update={"default": facts[fact]})
        for name, by_aspect in self.exprs.items():
            update: dict[str, Any] = {}
            value = {k: _sig(float(e.evaluate(facts))) for k, e in by_aspect.items()}
            if "default" in value:
                update["default"] = value["default"]
            if "low" in value:
                update["range"] = (min(value["low"], value["high"]), max(value["low"], value["high"]))
            out[name] = out[name].model_copy(update=update)
        return out

    @cached_property
    def needs_sorted(self) -> tuple[str, ...]:
        return tuple(sorted(self.needs))

    @property
    def specificity(self) -> int:
        return self.when.atoms

    @property
    def priority(self) -> tuple[int, int, int]:
        """Sort key: higher salience, then more specific, then earlier in the KB."""
        return (-self.salience, -self.specificity, self.order)

    def describe(self) -> dict[str, Any]:
        """A plain, JSON-ready view (for `rules show` and the API)."""
        then: dict[str, Any] = {
            name: effect.model_dump(exclude_defaults=True) for name, effect in self.params.items()
        }
        if self.sets:
            then["set"] = dict(self.sets)
        if self.advice:
            then["advice"] = self.advice.model_dump()
        if self.search:
            then["search"] = self.search.model_dump(exclude_defaults=True)
        if self.verdict:
            then["verdict"] = self.verdict.model_dump(exclude_defaults=True)
        if self.step:
            then["step"] = self.step.model_dump()
        return {
            "id": self.id,
            "source": list(self.source),
            "when": self.when.text,
            "salience": self.salience,
            "specificity": self.specificity,
            "then": then,
            "because": self.because,
            "file": self.file,
            "line": self.line,
        }


def _sig(x: float) -> float:
    return float(f"{x:.4g}") if x else 0.0


@dataclass(frozen=True)
class Source:
    id: str
    documents: tuple[str, ...]
    section: str
    text: str
