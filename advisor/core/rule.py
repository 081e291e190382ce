"""What a rule is: its YAML shape and its loaded, runnable form (condition and expressions compiled,
effects indexed for the engine). The effects themselves are in advisor.core.effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.effects import (
    ASPECTS,
    COMPUTED,
    MODIFIERS,
    OMIT,
    Advice,
    BaseParamEffect,
    BatchScaling,
    ComputeDefault,
    CopyDefault,
    Effect,
    PerBatch,
    SearchEffect,
    SetDefault,
    SetFact,
    SetRange,
    Severity,
    StepEffect,
    VerdictEffect,
    effect_items,
)
from advisor.core.expression import Expression
from advisor.core.facts import FactValue, verdict_fact

# Re-exported: the effects a rule carries are part of what a rule is.
__all__ = ["OMIT", "Advice", "BatchScaling", "Effect", "Rule", "RuleSpec", "SearchEffect", "Severity",
           "Source", "StepEffect", "VerdictEffect", "effect_items"]
RULE_ID = r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$"


class RuleSpec(BaseModel):
    """A rule exactly as written in YAML; `then` is read into typed effects by `effect_items`."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: Annotated[str, Field(pattern=RULE_ID)]
    source: Annotated[tuple[str, ...], Field(min_length=1)]
    when: str | bool = "true"
    salience: int = 0
    then: dict[str, Any]
    because: Annotated[str, Field(min_length=10)]


@dataclass(frozen=True, eq=False)
class Rule:
    """A loaded rule: checked, its condition and expressions compiled, its effects indexed."""

    id: str
    source: tuple[str, ...]
    when: Expression
    salience: int
    because: str
    effects: tuple[Any, ...]  # Effect instances, in `then` order
    expressions: dict[tuple[str, str], Expression]  # (param, "cap" | "default" | ...) -> compiled
    file: str
    line: int
    order: int  # position in the whole KB: the last tie-breaker
    # Indexes of `effects`, built once here for the engine and the assembly.
    params: dict[str, tuple[Any, ...]] = field(init=False)  # param -> its effects
    claims: tuple[Any, ...] = field(init=False)  # effects competing for an aspect, by param, by aspect
    claim_items: tuple[tuple[str, str, Any, Any], ...] = field(init=False)  # (param, aspect, effect, claim)
    modifiers: tuple[Any, ...] = field(init=False)  # Multiply, MultiplyExpr, Cap, in applying order
    per_batch: dict[str, BatchScaling] = field(init=False)
    sets: dict[str, FactValue] = field(init=False)
    advice: Advice | None = field(init=False)
    search: SearchEffect | None = field(init=False)
    verdict: VerdictEffect | None = field(init=False)
    step: StepEffect | None = field(init=False)
    computed: frozenset[tuple[str, str]] = field(init=False)  # (param, aspect) computed when it fires
    needs: frozenset[str] = field(init=False)  # facts that must be known before it can fire
    needs_sorted: tuple[str, ...] = field(init=False)
    specificity: int = field(init=False)
    priority: tuple[int, int, int] = field(init=False)  # sort key: highest priority first

    def __post_init__(self) -> None:
        params: dict[str, list[Any]] = {}
        sets: dict[str, FactValue] = {}
        single: dict[str, Any] = dict.fromkeys(("advice", "search", "verdict", "step"))
        for effect in self.effects:
            if isinstance(effect, BaseParamEffect):
                params.setdefault(effect.param, []).append(effect)
            elif isinstance(effect, SetFact):
                sets[effect.fact] = effect.value
            else:
                single[effect.kind] = effect
        if single["verdict"] is not None:  # a verdict is also a fact, so next-step rules can chain on it
            sets[verdict_fact(single["verdict"].name)] = True
        claims = [e for group in params.values()
                  for e in sorted((e for e in group if e.aspect), key=lambda e: ASPECTS.index(e.aspect))]
        needs = set(self.when.facts)
        for expression in self.expressions.values():
            needs |= expression.facts
        needs |= {e.default_from for e in claims if isinstance(e, CopyDefault)}
        derived = {
            "params": {name: tuple(group) for name, group in params.items()},
            "claims": tuple(claims),
            "claim_items": tuple((e.param, e.aspect, e, None if isinstance(e, COMPUTED) else e.claim)
                                 for e in claims),
            "modifiers": tuple(e for group in params.values() for e in group if isinstance(e, MODIFIERS)),
            "per_batch": {e.param: e.per_batch for e in self.effects if isinstance(e, PerBatch)},
            "sets": sets,
            **single,
            "computed": frozenset((e.param, e.aspect) for e in claims if isinstance(e, COMPUTED)),
            "needs": frozenset(needs),
            "needs_sorted": tuple(sorted(needs)),
            "specificity": self.when.atoms,
            "priority": (-self.salience, -self.when.atoms, self.order),
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def concluded(self, facts: dict[str, FactValue]) -> tuple[tuple[str, str, Any, Any], ...]:
        """`claim_items`, computed claims (`default_expr`, `range_expr`, `default_from`) evaluated on
        `facts` into plain SetDefault / SetRange effects."""
        if not self.computed:
            return self.claim_items
        out = []
        for name, aspect, effect, claim in self.claim_items:
            if isinstance(effect, COMPUTED):
                effect = self._computed(effect, facts)
                claim = effect.claim
            out.append((name, aspect, effect, claim))
        return tuple(out)

    def _computed(self, effect: Any, facts: dict[str, FactValue]) -> Any:
        if isinstance(effect, CopyDefault):
            return SetDefault.model_construct(param=effect.param, default=facts[effect.default_from])
        values = [_sig(float(self.expressions[effect.param, name].evaluate(facts)))
                  for name in effect.expression_texts()]
        if isinstance(effect, ComputeDefault):
            return SetDefault.model_construct(param=effect.param, default=values[0])
        return SetRange.model_construct(param=effect.param, range=(min(values), max(values)))

    def describe(self) -> dict[str, Any]:
        """A plain, JSON-ready view (for `rules show` and the API): `then` as it was written."""
        then: dict[str, Any] = {}
        for name, group in self.params.items():
            then[name] = {k: v for e in group for k, v in e.model_dump(exclude_defaults=True).items()
                          if k not in ("kind", "param")}
        if self.sets:
            then["set"] = dict(self.sets)
        for key in ("advice", "search", "verdict", "step"):
            effect = getattr(self, key)
            if effect is not None:
                then[key] = effect.model_dump(exclude_defaults=key != "advice", exclude={"kind"})
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
