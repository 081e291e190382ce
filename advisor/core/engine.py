"""Forward chaining over the knowledge base, and the two policies that settle its conflicts.

Facts are set once: a rule may add a derived fact but never change one, so every condition
flips at most from "waiting" (a fact it names is unknown) to true or false, and the run reaches
a fixed point after each rule was considered once. Among rules ready to fire, the highest
priority fires first: salience, then specificity (tests in the condition), then KB order.

Conflicts are settled by one of two named policies, recorded with every losing conclusion:

- **first fired wins** (`FACT_POLICY`), for facts: the first rule to fire that sets a fact keeps
  it. Rules ready together fire by priority, but a rule waiting on a derived fact is ready only once
  that fact is set, so it can fire after - and lose a fact to - a rule of lower priority.
- **highest priority wins** (`PARAMETER_POLICY`), for each aspect of a hyperparameter (default,
  domain, scale) and for search decisions: whatever the firing order, the conclusion of the fired
  rule with the highest priority wins. Modifiers (multiply, cap) never conflict; they compose.

Speed: the rules are indexed once per set of known fact names (a plan, cached on the knowledge
base): which rules can be evaluated at once, which wait on which facts, and for each rule one
*gate*, a test on an enum or bool fact its condition needs (`Expression.gates`), so that only the
rules whose gate admits a fact's actual value are ever evaluated.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from typing import Any, Literal, NamedTuple

from advisor.core.facts import FACTS, FactValue
from advisor.core.knowledge import KnowledgeBase
from advisor.core.rule import ASPECTS, OMIT, Rule
from advisor.errors import EngineError

__all__ = ["ASPECTS", "FACT_POLICY", "OMIT", "PARAMETER_POLICY", "Conflict", "ConflictPolicy", "Decision",
           "Inference", "SearchDecision", "infer"]


class ConflictPolicy(StrEnum):
    FIRST_FIRED_WINS = "first fired wins"
    HIGHEST_PRIORITY_WINS = "highest priority wins"


FACT_POLICY = ConflictPolicy.FIRST_FIRED_WINS
PARAMETER_POLICY = ConflictPolicy.HIGHEST_PRIORITY_WINS
_SET_ONCE = "a fact is set once; the rule that set it first keeps it"


class Conflict(NamedTuple):
    """A conclusion that lost: which rule made it, what it was, which rule (or the profile) won."""

    kind: Literal["param", "fact", "search"]
    name: str
    aspect: str  # param: default | domain | scale; fact: value; search: include | exclude
    loser: Rule
    value: Any  # the losing conclusion as plain data
    winner: Rule | None  # None: the profile stated the fact
    reason: str
    policy: ConflictPolicy
    effect: Any = None  # the losing typed effect (SetDefault, SetRange, ..., SetFact, SearchEffect)

    @property
    def target(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def rule(self) -> str:
        return self.loser.id

    @property
    def lost_to(self) -> str:
        return self.winner.id if self.winner is not None else "profile"

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "aspect": self.aspect, "rule": self.rule,
                "value": self.value, "lost_to": self.lost_to, "reason": self.reason}


class Decision(NamedTuple):
    """The winning conclusion on one aspect of one parameter, and the rule behind it."""

    effect: Any  # SetDefault | Omit | SetRange | SetChoices | SetScale
    rule: Rule
    value: Any  # the effect's claim: what other rules' claims are compared with


class SearchDecision(NamedTuple):
    value: bool  # True: include in the search space; False: exclude
    rule: Rule


@dataclass
class Inference:
    facts: dict[str, FactValue]
    setters: dict[str, Rule] = field(default_factory=dict)  # derived fact -> the rule that set it
    fired: list[Rule] = field(default_factory=list)  # in firing order
    decisions: dict[str, dict[str, Decision]] = field(default_factory=dict)  # param -> aspect -> winner
    modifiers: dict[str, list[tuple[Rule, Any]]] = field(default_factory=dict)  # param -> by priority
    search: dict[str, SearchDecision] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def fact_setters(self) -> dict[str, str]:
        """fact -> "profile" or the id of the rule that set it."""
        return {name: self.setters[name].id if name in self.setters else "profile" for name in self.facts}


class _Plan:
    """Which rules to evaluate at once and which wait on what, for one set of known fact names.
    Rules appear as (rank, rule): rank is the rule's place in priority order, so the agenda is a
    heap of small ints."""

    def __init__(self, kb: KnowledgeBase, known: frozenset[str]) -> None:
        derivable = {name for rule in kb.rules for name in rule.sets}
        ranked = sorted(kb.rules, key=_PRIORITY)
        self.ungated: list[tuple[int, Rule]] = []
        self.gated: list[tuple[str, dict[Any, list[tuple[int, Rule]]]]] = []
        self.missing: list[int] = []  # per waiting rule: how many of its facts are still unknown
        self.waiting: dict[str, list[tuple[int, Rule, int]]] = {}
        self.waiting_gated: dict[str, dict[Any, list[tuple[int, Rule, int]]]] = {}
        gated: dict[str, dict[Any, list[tuple[int, Rule]]]] = {}
        for rank, rule in enumerate(ranked):
            unknown = [name for name in rule.needs_sorted if name not in known]
            if any(name not in derivable for name in unknown):
                continue  # waits on a fact nothing can provide in this run: never fires
            # The gate: a test on a fact known now (ready rules) or on one it waits for.
            gates = sorted((g for g in rule.when.gates if (g[0] in unknown) == bool(unknown)),
                           key=_selectivity)
            fact, allowed = gates[0] if gates else ("", frozenset())
            if not unknown:
                if not fact:
                    self.ungated.append((rank, rule))
                for value in allowed:
                    gated.setdefault(fact, {}).setdefault(value, []).append((rank, rule))
                continue
            slot = len(self.missing)
            self.missing.append(len(unknown))
            for name in unknown:
                if name != fact:
                    self.waiting.setdefault(name, []).append((rank, rule, slot))
            for value in allowed:
                self.waiting_gated.setdefault(fact, {}).setdefault(value, []).append((rank, rule, slot))
        self.gated = list(gated.items())


def _selectivity(gate: tuple[str, frozenset[Any]]) -> float:
    spec = FACTS.get(gate[0])
    size = len(spec.values) if spec is not None and spec.type == "enum" else 2
    return len(gate[1]) / max(size, 1)


def _plan(kb: KnowledgeBase, facts: Mapping[str, FactValue]) -> _Plan:
    plans: dict[frozenset[str], _Plan] = kb.derived.setdefault("engine.plans", {})
    known = frozenset(facts)
    plan = plans.get(known)
    if plan is None:
        if len(plans) >= 256:  # profiles come in few shapes; bound the memory all the same
            plans.clear()
        plan = plans[known] = _Plan(kb, known)
    return plan


def infer(kb: KnowledgeBase, initial: Mapping[str, FactValue]) -> Inference:
    """Run the rules to a fixed point on `initial` facts."""
    facts = dict(initial)
    result = Inference(facts=facts)
    plan = _plan(kb, facts)
    missing = plan.missing.copy()
    agenda = [entry for entry in plan.ungated if entry[1].when.evaluate(facts)]
    for name, by_value in plan.gated:
        for entry in by_value.get(facts[name], ()):
            if entry[1].when.evaluate(facts):
                agenda.append(entry)
    heapq.heapify(agenda)
    popped: list[tuple[int, Rule]] = []
    setters, conflicts = result.setters, result.conflicts
    heappop, heappush = heapq.heappop, heapq.heappush
    while agenda:
        entry = heappop(agenda)
        popped.append(entry)
        rule = entry[1]
        if not rule.sets:
            continue
        for name, value in rule.sets.items():
            if name in facts:
                if facts[name] != value:
                    conflicts.append(Conflict("fact", name, "value", rule, value, setters.get(name),
                                              _SET_ONCE, FACT_POLICY))
                continue
            facts[name] = value
            setters[name] = rule
            gated = plan.waiting_gated.get(name)
            unblocked = (*plan.waiting.get(name, ()), *(gated.get(value, ()) if gated else ()))
            for rank, blocked, slot in unblocked:
                missing[slot] -= 1
                if missing[slot] == 0 and blocked.when.evaluate(facts):
                    heappush(agenda, (rank, blocked))
    if len(popped) > len(kb.rules):  # cannot happen: a rule joins the agenda once; a guard, not a feature
        raise EngineError(f"no fixed point after {len(popped)} firings (last rule {popped[-1][1].id!r})")
    result.fired = [rule for _, rule in popped]
    popped.sort()
    _resolve(result, [rule for _, rule in popped if rule.params or rule.search is not None])
    return result


def _resolve(result: Inference, ranked: list[Rule]) -> None:
    """Per parameter aspect and per search decision, the highest-priority fired rule wins."""
    facts, decisions, conflicts = result.facts, result.decisions, result.conflicts
    modifiers, search = result.modifiers, result.search
    for rule in ranked:
        if rule.params:
            for name in rule.params:
                if name not in decisions:
                    decisions[name] = {}
            for name, aspect, effect, claim in rule.concluded(facts) if rule.computed else rule.claim_items:
                slots = decisions[name]
                winner = slots.get(aspect)
                if winner is None:
                    slots[aspect] = Decision(effect, rule, claim)
                elif winner.value != claim:
                    conflicts.append(Conflict("param", name, aspect, rule, effect.plain(), winner.rule,
                                              _why(winner.rule, rule), PARAMETER_POLICY, effect))
            for effect in rule.modifiers:
                modifiers.setdefault(effect.param, []).append((rule, effect))
        if rule.search is not None:
            for names, include in ((rule.search.include, True), (rule.search.exclude, False)):
                for name in names:
                    taken = search.get(name)
                    if taken is None:
                        search[name] = SearchDecision(include, rule)
                    elif taken.value != include:
                        conflicts.append(Conflict("search", name, "include" if include else "exclude", rule,
                                                  include, taken.rule, _why(taken.rule, rule),
                                                  PARAMETER_POLICY, rule.search))


_PRIORITY = attrgetter("priority")


def _why(winner: Rule, loser: Rule) -> str:
    if winner.salience != loser.salience:
        return f"lower salience ({loser.salience} < {winner.salience})"
    if winner.specificity != loser.specificity:
        return f"less specific ({loser.specificity} < {winner.specificity} conditions)"
    return "same salience and specificity: the rule earlier in the knowledge base wins"
