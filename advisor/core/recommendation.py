"""From an inference to the output contract: config, search space, advice, explanations.

Speed: the output is frozen pydantic models built with `model_construct` (the assembly makes only
valid data), and the parts that depend on the rules alone - a rule's advice item, an explanation
made of the same changes, a dimension with the same bounds - are built once per knowledge base
and shared between answers (frozen, so sharing is safe). `to_dict()` writes the contract directly.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from advisor.core.assembly import ParamAssembly, Spec, claim_spec
from advisor.core.engine import Decision, Inference, SearchDecision, infer
from advisor.core.explanation import DropChange, Explanation, SearchChange, ValueChange, finite_or_none
from advisor.core.facts import profile_facts
from advisor.core.knowledge import KnowledgeBase, default_knowledge_base
from advisor.core.params import ALTERNATIVES, PARAM_ORDER, PARAMS, ParamSpec
from advisor.core.rule import Rule, Severity
from advisor.core.search_space import Dimension, to_skopt_dimensions
from advisor.errors import ProfileError
from advisor.evidence.results import ProbeResults
from advisor.profile.model import Profile, problems_from_validation

__all__ = ["AdviceItem", "Dimension", "Explanation", "Recommendation", "recommend"]

_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
_DEFAULT_TIER = 3  # when no rule set search_tier, every tier is open


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class AdviceItem(_Frozen):
    id: str
    severity: Severity
    text: str
    source: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "severity": self.severity, "text": self.text, "source": list(self.source)}


class Recommendation(_Frozen):
    """The advisor's answer; `to_json()` is the stable output contract."""

    config: dict[str, Any]
    search_space: tuple[Dimension, ...]
    advice: tuple[AdviceItem, ...]
    explanations: dict[str, tuple[Explanation, ...]]
    probes: dict[str, Any] = {}
    # Every parameter's plausible domain, searched or not: search_space is the part the budget opens.
    ranges: tuple[Dimension, ...] = ()
    facts: dict[str, Any] = {}
    fired: tuple[str, ...] = ()
    conflicts: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The output contract as plain data (what `model_dump(mode="json")` gave, and each
        explanation's `changes` next to its `effect` text)."""
        return {
            "config": finite_or_none(self.config),
            "search_space": [_dimension_dict(d) for d in self.search_space],
            "advice": [a.as_dict() for a in self.advice],
            "explanations": {name: [e.as_dict() for e in entries]
                             for name, entries in self.explanations.items()},
            "probes": finite_or_none(self.probes),
            "ranges": [_dimension_dict(d) for d in self.ranges],
            "facts": finite_or_none(self.facts),
            "fired": list(self.fired),
            "conflicts": [finite_or_none(c) for c in self.conflicts],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Pretty by default (files, terminals); `indent=None` is compact (HTTP: 4x faster)."""
        if indent is None:
            return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    def to_skopt(self) -> list[Any]:
        """The search space as scikit-optimize dimensions (imports skopt)."""
        return to_skopt_dimensions(self.search_space)


def _dimension_dict(dim: Dimension) -> dict[str, Any]:
    out = {"name": dim.name, "type": dim.type, "low": dim.low, "high": dim.high, "prior": dim.prior,
           "categories": None if dim.categories is None else list(dim.categories)}
    return {k: finite_or_none(v) for k, v in out.items() if v is not None}


def recommend(
    profile: Profile,
    probes: ProbeResults | dict[str, Any] | None = None,
    kb: KnowledgeBase | None = None,
) -> Recommendation:
    """The starting config and search space for `profile`, every value explained.

    `probes` are measurements on the real model (see `advisor_probes`); they become facts.
    """
    kb = kb or default_knowledge_base()
    if probes is None:
        return _assemble(kb, infer(kb, profile_facts(profile)), {})
    measured = _probe_results(probes)
    inference = infer(kb, profile_facts(profile, measured))
    summary = measured.model_dump(mode="json", exclude_none=True,
                                  exclude={"lr_range": _CURVES, "batch": {"envelope"}})
    return _assemble(kb, inference, summary)


_CURVES = {"lrs", "losses", "smoothed"}


def _probe_results(probes: ProbeResults | dict[str, Any]) -> ProbeResults:
    if isinstance(probes, ProbeResults):
        return probes
    try:
        return ProbeResults.model_validate(probes)
    except ValidationError as exc:
        raise ProfileError(problems_from_validation(exc), source="probes") from None


class _Parts:
    """What answers share, per knowledge base: advice items, explanations and dimensions, each
    built the first time it is needed (frozen, so sharing is safe). Keys are small tuples; a
    rule's own, unchanging claims are keyed by the rule and aspect, computed ones by their values."""

    LIMIT = 8192  # distinct computed values keep coming to a long-running server: bound the memory

    def __init__(self, kb: KnowledgeBase) -> None:
        # By rule order: (sort key - critical first, then by id -, the item), or None (no advice).
        self.advice: list[tuple[tuple[int, str], AdviceItem] | None] = [
            None if r.advice is None else ((_SEVERITY_RANK[r.advice.severity], r.id), _advice_item(r))
            for r in kb.rules
        ]
        self.explanations: dict[Any, Any] = {}
        self.dimensions: dict[Any, Dimension] = {}
        self.parameters: dict[Any, Any] = {}  # see _assemble

    def claims(self, name: str, decisions: list[tuple[str, Decision]], lost_to: str | None = None,
               key: tuple[Any, ...] | None = None) -> tuple[Explanation, ...]:
        """One explanation per rule, its claims (winning, or lost to `lost_to`) joined."""
        full_key = ("claims", lost_to, key or _claims_key(name, decisions)[0])
        entries = self.explanations.get(full_key)
        if entries is None:
            by_rule: dict[int, tuple[Rule, list[Spec]]] = {}
            for _, decision in decisions:
                specs = by_rule.setdefault(decision.rule.order, (decision.rule, []))[1]
                specs.append(claim_spec(decision.effect))
            entries = tuple(_explanation(rule, tuple(specs), lost_to) for rule, specs in by_rule.values())
            self._keep(full_key, entries)
        return entries

    def explanation(self, who: Rule | str, *specs: Spec, lost_to: str | None = None) -> Explanation:
        key = (who.order if isinstance(who, Rule) else who, lost_to, specs)
        try:
            entry = self.explanations.get(key)
        except TypeError:  # a mapping among the values (a structured default added to choices)
            return _explanation(who, specs, lost_to)
        if entry is None:
            entry = _explanation(who, specs, lost_to)
            self._keep(key, entry)
        return entry

    def dimension(self, fields: dict[str, Any]) -> Dimension:
        key = tuple(fields.values())
        dim = self.dimensions.get(key)
        if dim is None:
            if len(self.dimensions) >= self.LIMIT:
                self.dimensions.clear()
            dim = self.dimensions[key] = Dimension.model_construct(**fields)
        return dim

    def _keep(self, key: Any, value: Any) -> None:
        if len(self.explanations) >= self.LIMIT:
            self.explanations.clear()
        self.explanations[key] = value


def _advice_item(rule: Rule) -> AdviceItem:
    assert rule.advice is not None
    return AdviceItem.model_construct(id=rule.id, severity=rule.advice.severity, text=rule.advice.text,
                                      source=rule.source)


def _explanation(who: Rule | str, specs: tuple[Spec, ...], lost_to: str | None) -> Explanation:
    rule, because, source = _PSEUDO_RULES[who] if isinstance(who, str) else (who.id, who.because, who.source)
    changes = tuple(cls.model_construct(**dict(fields)) for cls, fields in specs)
    return Explanation.model_construct(rule=rule, because=because, source=source, changes=changes,
                                       overridden_by=lost_to)


_PSEUDO_RULES = {
    "profile": ("profile", "the profile names the optimizer", ()),
    "advisor": ("advisor", "the output contract keeps every default inside its search range", ()),
    "search.tiers": ("search.tiers", "SRCH-01: the trial budget decides how many importance tiers enter "
                     "the search space", ("SRCH-01",)),
}
_PARTS = "recommendation.parts"


def _claims_key(name: str, decisions: list[tuple[str, Decision]]) -> tuple[tuple[Any, ...], bool]:
    """What decides a parameter's claims: the rule and aspect of each (and a computed claim's value);
    and whether none of those rules states its values per reference batch."""
    key: list[Any] = [name]
    plain = True
    for aspect, (_, rule, claim) in decisions:
        computed = rule.computed and (name, aspect) in rule.computed
        key += (rule.order, aspect, claim if computed else None)
        if rule.per_batch:
            plain = False
    return tuple(key), plain


# A parameter put together: its config value (or _ABSENT), search dimension, searched?, explanations.
_Assembled = tuple[Any, Dimension | None, bool, tuple[Explanation, ...]]
_ABSENT = object()


def _parameter(parts: _Parts, name: str, decisions: list[tuple[str, Decision]], key: tuple[Any, ...],
               inference: Inference, batch: Any, tier: int) -> _Assembled:
    slots = dict(decisions)
    param = ParamAssembly(PARAMS[name], slots)
    param.rescale_to_batch(slots, batch)
    for rule, effect in inference.modifiers.get(name, ()):
        param.apply(rule, effect, inference.facts)
    param.finish()
    value = param.default if param.default is not None and not param.omitted else _ABSENT
    entries = [*parts.claims(name, decisions, key=key)]
    entries += [parts.explanation(who, note) for who, note in param.notes]
    fields = param.dimension_fields()
    if fields is None:
        return value, None, False, tuple(entries)
    searched, who, change = _searched(PARAMS[name], tier, inference.search.get(name))
    entries.append(parts.explanation(who, change))
    return value, parts.dimension(fields), searched, tuple(entries)


def _assemble(kb: KnowledgeBase, inference: Inference, probes: dict[str, Any]) -> Recommendation:
    parts: _Parts = kb.derived.get(_PARTS) or kb.derived.setdefault(_PARTS, _Parts(kb))
    facts, decisions, modifiers, search = (inference.facts, inference.decisions, inference.modifiers,
                                           inference.search)
    config: dict[str, Any] = {}
    dims: list[Dimension] = []
    ranges: list[Dimension] = []
    explanations: dict[str, list[Explanation]] = {}
    tier = int(facts.get("search_tier", _DEFAULT_TIER))

    if "optimizer" in facts:
        config["optimizer"] = facts["optimizer"]
        explanations["optimizer"] = [parts.explanation(inference.setters.get("optimizer", "profile"),
                                                       (ValueChange, (("value", facts["optimizer"]),)))]

    # batch_size first: a learning rate stated per reference batch is rescaled to it.
    memo = parts.parameters
    for name in sorted(decisions, key=_ASSEMBLY_RANK.__getitem__):
        items = list(decisions[name].items())
        key, plain = _claims_key(name, items)
        if plain and name not in modifiers:  # a function of its claims, the budget tier and any search rule
            decision = search.get(name)
            memo_key = (key, tier, None if decision is None else decision.rule.order)
            done = memo.get(memo_key)
            if done is None:
                if len(memo) >= parts.LIMIT:
                    memo.clear()
                done = memo[memo_key] = _parameter(parts, name, items, key, inference, None, tier)
        else:
            done = _parameter(parts, name, items, key, inference, config.get("batch_size"), tier)
        value, dim, searched, entries = done
        if value is not _ABSENT:
            config[name] = value
        explanations.setdefault(name, []).extend(entries)
        if dim is not None:
            ranges.append(dim)
            if searched:
                dims.append(dim)
    _keep_one_alternative(config, inference, (dims, ranges), explanations, parts)
    losers: dict[tuple[str, int, str], list[tuple[str, Decision]]] = {}
    for c in inference.conflicts:
        if c.kind == "param":
            lost = losers.setdefault((c.name, c.loser.order, c.lost_to), [])
            lost.append((c.aspect, Decision(c.effect, c.loser, c.effect.claim)))
    for (name, _, lost_to), lost in losers.items():
        explanations[name] += parts.claims(name, lost, lost_to)

    dims.sort(key=lambda d: (PARAMS[d.name].tier or 9, PARAM_ORDER[d.name]))
    ranges.sort(key=lambda d: PARAM_ORDER[d.name])
    table = parts.advice
    advice = sorted([entry for r in inference.fired if (entry := table[r.order]) is not None])
    setters = inference.setters
    return Recommendation.model_construct(
        config={k: config[k] for k in sorted(config, key=_CONFIG_RANK.__getitem__)},
        search_space=tuple(dims),
        ranges=tuple(ranges),
        advice=tuple([item for _, item in advice]),
        explanations={k: tuple(v) for k, v in explanations.items()},
        probes=probes,
        facts={k: facts[k] for k in sorted(setters)},
        fired=tuple([r.id for r in inference.fired]),
        conflicts=tuple([c.as_dict() for c in inference.conflicts]),
    )


_ASSEMBLY_RANK = {name: (0 if name == "batch_size" else 1, i) for name, i in PARAM_ORDER.items()}
_CONFIG_RANK = {"optimizer": -1} | PARAM_ORDER


def _keep_one_alternative(config: dict[str, Any], inference: Inference,
                          domains: tuple[list[Dimension], ...],
                          explanations: dict[str, list[Explanation]], parts: _Parts) -> None:
    """Of parameters that say the same thing in other units (warmup in steps, ratio or epochs),
    keep the one whose default comes from the highest-priority rule."""
    for group in ALTERNATIVES:
        present = [n for n in group if n in config and "default" in inference.decisions.get(n, {})]
        if len(present) < 2:
            continue
        keep = min(present, key=lambda n: inference.decisions[n]["default"].rule.priority)
        winner = inference.decisions[keep]["default"].rule
        for name in present:
            if name == keep:
                continue
            del config[name]
            for dims in domains:
                dims[:] = [d for d in dims if d.name != name]
            loser = inference.decisions[name]["default"].rule
            explanations[name].append(parts.explanation(
                loser, (DropChange, (("kept", keep), ("winner", winner.id))), lost_to=winner.id))


def _searched(spec: ParamSpec, tier: int, decision: SearchDecision | None) -> tuple[bool, Rule | str, Spec]:
    if decision is not None:
        explicit = (SearchChange, (("searched", decision.value), ("explicit", True)))
        return decision.value, decision.rule, explicit
    if spec.tier is None:
        return False, "search.tiers", (SearchChange, (("searched", False),))
    searched = spec.tier <= tier
    return searched, "search.tiers", (SearchChange, (("searched", searched), ("tier", spec.tier),
                                                     ("budget_tier", tier)))
