"""Forward chaining over the knowledge base.

Facts are set once: a rule may add a derived fact but never change one, so every condition
flips at most from "waiting" (a fact it names is unknown) to true or false, and the run reaches
a fixed point after each rule was considered once. Among rules ready to fire, the highest
priority fires first (salience, then specificity, then KB order); conclusions on the same
hyperparameter are resolved by the same order, and every loser is recorded with its winner.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.core.facts import FactValue
from advisor.core.knowledge import KnowledgeBase
from advisor.core.rule import ParamEffect, Rule
from advisor.errors import EngineError

# Aspects of a parameter decided by one winning rule each. `range` and `choices` compete as
# one aspect, the domain, so a more specific rule's choices replace a general rule's range.
ASPECTS = ("default", "domain", "scale")
OMIT = "<omitted>"  # the default of a parameter a rule says does not apply


@dataclass(frozen=True)
class Conflict:
    target: str  # "param:<name>" or "fact:<name>" or "search:<name>"
    aspect: str
    rule: str
    value: Any
    lost_to: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "aspect": self.aspect, "rule": self.rule,
                "value": self.value, "lost_to": self.lost_to, "reason": self.reason}


@dataclass(frozen=True)
class Decision:
    """The winning value of one aspect of one parameter, and the rule behind it."""

    value: Any
    rule: Rule


@dataclass
class Inference:
    facts: dict[str, FactValue]
    fact_setters: dict[str, str]
    fired: list[Rule] = field(default_factory=list)
    decisions: dict[str, dict[str, Decision]] = field(default_factory=dict)
    modifiers: dict[str, list[Rule]] = field(default_factory=dict)
    search: dict[str, Decision] = field(default_factory=dict)  # value: True include / False exclude
    conflicts: list[Conflict] = field(default_factory=list)
    effects: dict[str, Mapping[str, ParamEffect]] = field(default_factory=dict)  # computed at firing


def infer(kb: KnowledgeBase, initial: Mapping[str, FactValue]) -> Inference:
    """Run the rules to a fixed point on `initial` facts."""
    facts = dict(initial)
    result = Inference(facts=facts, fact_setters={name: "profile" for name in facts})
    waiting: dict[str, list[Rule]] = {}
    missing: dict[int, int] = {}
    agenda: list[tuple[tuple[int, int, int], Rule]] = []

    def consider(rule: Rule) -> None:
        if rule.when.evaluate(facts):
            heapq.heappush(agenda, (rule.priority, rule))

    for rule in kb.rules:
        unknown = [name for name in rule.needs_sorted if name not in facts]
        if unknown:
            missing[rule.order] = len(unknown)
            for name in unknown:
                waiting.setdefault(name, []).append(rule)
        else:
            consider(rule)

    steps = 0
    while agenda:
        _, rule = heapq.heappop(agenda)
        steps += 1
        if steps > len(kb.rules):  # cannot happen with set-once facts; a guard, not a feature
            raise EngineError(f"no fixed point after {steps} firings (last rule {rule.id!r})")
        result.fired.append(rule)
        result.effects[rule.id] = rule.concluded(facts)
        for name, value in rule.sets.items():
            if name in facts:
                if facts[name] != value:
                    result.conflicts.append(Conflict(
                        f"fact:{name}", "value", rule.id, value, result.fact_setters[name],
                        "a fact is set once; the rule that set it first keeps it"))
                continue
            facts[name] = value
            result.fact_setters[name] = rule.id
            for blocked in waiting.pop(name, ()):
                missing[blocked.order] -= 1
                if missing[blocked.order] == 0:
                    consider(blocked)

    _resolve(result)
    return result


def _resolve(result: Inference) -> None:
    """Pick, per parameter aspect, the conclusion of the highest-priority fired rule."""
    ranked = sorted(result.fired, key=lambda r: r.priority)
    for rule in ranked:
        for name, effect in result.effects[rule.id].items():
            offered = {
                "default": OMIT if effect.omit else effect.default,
                "domain": ("range", effect.range) if effect.range is not None
                else ("choices", effect.choices) if effect.choices is not None else None,
                "scale": effect.scale,
            }
            slots = result.decisions.setdefault(name, {})
            for aspect in ASPECTS:
                value = offered[aspect]
                if value is None:
                    continue
                winner = slots.get(aspect)
                if winner is None:
                    slots[aspect] = Decision(value, rule)
                elif winner.value != value:
                    result.conflicts.append(Conflict(
                        f"param:{name}", aspect, rule.id, _plain(value), winner.rule.id,
                        _why(winner.rule, rule)))
            if effect.multiply or effect.multiply_range or effect.cap is not None or effect.multiply_expr:
                result.modifiers.setdefault(name, []).append(rule)
        if rule.search:
            for names, include in ((rule.search.include, True), (rule.search.exclude, False)):
                for name in names:
                    winner = result.search.get(name)
                    if winner is None:
                        result.search[name] = Decision(include, rule)
                    elif winner.value != include:
                        result.conflicts.append(Conflict(
                            f"search:{name}", "include" if include else "exclude", rule.id,
                            include, winner.rule.id, _why(winner.rule, rule)))


def _why(winner: Rule, loser: Rule) -> str:
    if winner.salience != loser.salience:
        return f"lower salience ({loser.salience} < {winner.salience})"
    if winner.specificity != loser.specificity:
        return f"less specific ({loser.specificity} < {winner.specificity} conditions)"
    return "same salience and specificity: the rule earlier in the knowledge base wins"


def _plain(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return {value[0]: list(value[1])}
    return value
