"""From an inference to the output contract: config, search space, advice, explanations."""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from advisor.core.engine import OMIT, Decision, Inference, infer
from advisor.core.facts import profile_facts
from advisor.core.knowledge import KnowledgeBase, default_knowledge_base
from advisor.core.params import ALTERNATIVES, PARAM_ORDER, PARAMS, ParamSpec
from advisor.core.rule import Rule, Severity
from advisor.core.search_space import Dimension, to_skopt_dimensions
from advisor.errors import ProfileError
from advisor.evidence.results import ProbeResults
from advisor.profile.model import Profile, problems_from_validation

_SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}
_DEFAULT_TIER = 3  # when no rule set search_tier, every tier is open


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdviceItem(_Frozen):
    id: str
    severity: Severity
    text: str
    source: tuple[str, ...]


class Explanation(_Frozen):
    rule: str
    because: str
    source: tuple[str, ...]
    effect: str
    overridden_by: str | None = None


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
        data = self.model_dump(mode="json")
        for key in ("search_space", "ranges"):
            data[key] = [{k: v for k, v in dim.items() if v is not None} for dim in data[key]]
        for entries in data["explanations"].values():
            for entry in entries:
                if entry["overridden_by"] is None:
                    del entry["overridden_by"]
        return data

    def to_json(self, indent: int | None = 2) -> str:
        """Pretty by default (files, terminals); `indent=None` is compact (HTTP: 4x faster)."""
        if indent is None:
            return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False) + "\n"

    def to_skopt(self) -> list[Any]:
        """The search space as scikit-optimize dimensions (imports skopt)."""
        return to_skopt_dimensions(self.search_space)


def recommend(
    profile: Profile,
    probes: ProbeResults | dict[str, Any] | None = None,
    kb: KnowledgeBase | None = None,
) -> Recommendation:
    """The starting config and search space for `profile`, every value explained.

    `probes` are measurements on the real model (see `advisor_probes`); they become facts.
    """
    kb = kb or default_knowledge_base()
    measured = _probe_results(probes)
    inference = infer(kb, profile_facts(profile, measured))
    summary = measured.model_dump(mode="json", exclude_none=True,
                                  exclude={"lr_range": _CURVES, "batch": {"envelope"}})
    return _assemble(kb, inference, summary)


_CURVES = {"lrs", "losses", "smoothed"}


def _probe_results(probes: ProbeResults | dict[str, Any] | None) -> ProbeResults:
    if probes is None or isinstance(probes, ProbeResults):
        return probes or ProbeResults()
    try:
        return ProbeResults.model_validate(probes)
    except ValidationError as exc:
        raise ProfileError(problems_from_validation(exc), source="probes") from None


def _sig(x: float) -> float:
    """Four significant digits: 0.1 * 3 shows as 0.3, not 0.30000000000000004."""
    return float(f"{x:.4g}") if x else 0.0


def _choice_order(c: Any) -> tuple[int, float, str]:
    """Numbers in numeric order, then everything else by its text."""
    numeric = isinstance(c, int | float) and not isinstance(c, bool)
    return (0, float(c), "") if numeric else (1, 0.0, str(c))


def _fmt(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else json.dumps(x) if isinstance(x, dict) else str(x)


class _Param:
    """The resolved state of one numeric or categorical parameter while it is assembled."""

    def __init__(self, spec: ParamSpec, slots: dict[str, Decision]) -> None:
        self.spec = spec
        self.default = slots["default"].value if "default" in slots else None
        domain = slots["domain"].value if "domain" in slots else None
        self.range: list[float] | None = list(domain[1]) if domain and domain[0] == "range" else None
        self.choices = list(domain[1]) if domain and domain[0] == "choices" else None
        self.scale = slots["scale"].value if "scale" in slots else None
        self.notes: list[tuple[Rule | None, str]] = []

    def apply(self, rule: Rule, facts: dict[str, Any]) -> None:
        if self.omitted:  # a parameter that does not apply has nothing to modify
            return
        effect = rule.params[self.spec.name]  # modifiers are never computed values
        if effect.multiply or effect.multiply_range:
            lo_f, hi_f = effect.multiply_range or (effect.multiply, effect.multiply)
            if self.default is not None and effect.multiply:
                self.default = _sig(self.default * effect.multiply)
            if self.range is not None:
                self.range = [_sig(self.range[0] * lo_f), _sig(self.range[1] * hi_f)]
            parts = [f"default ×{effect.multiply:g}"] if effect.multiply else []
            parts += [f"range ×[{lo_f:g}, {hi_f:g}]"] if self.range is not None else []
            self.notes.append((rule, ", ".join(parts) or "no-op"))
        if effect.multiply_expr is not None:
            factor = float(rule.scalers[self.spec.name].evaluate(facts))
            if math.isfinite(factor) and factor > 0:
                self.scale_by(factor)
                self.notes.append((rule, f"×{_fmt(_sig(factor))} (`{effect.multiply_expr}`)"))
        if effect.cap is not None:
            cap = rule.caps[self.spec.name].evaluate(facts)
            if not math.isfinite(cap):
                return
            if self.spec.kind == "integer":
                cap = math.floor(cap)
            if self.choices is not None:
                kept = [c for c in self.choices if c <= cap] or [cap]
                # Keep as many candidates as before: halve below the ceiling (64 -> 32, 16).
                while self.spec.kind == "integer" and len(kept) < len(self.choices) and kept[0] > 1:
                    kept.insert(0, kept[0] // 2)
                self.choices = kept
            if self.range is not None:
                self.range = [min(self.range[0], cap), min(self.range[1], cap)]
            if isinstance(self.default, int | float) and self.default > cap:
                allowed = [c for c in (self.choices or []) if c <= cap]
                self.default = max(allowed) if allowed else cap
            self.notes.append((rule, f"capped at {_fmt(cap)} (`{rule.caps[self.spec.name].text}`)"))

    def scale_by(self, factor: float) -> None:
        """Multiply default and domain; integer choices stay integers."""
        integer = self.spec.kind == "integer"

        def times(x: Any) -> Any:
            return max(1, round(x * factor)) if integer else _sig(x * factor)

        if isinstance(self.default, int | float) and not isinstance(self.default, bool):
            self.default = times(self.default)
        if self.range is not None:
            self.range = [times(self.range[0]), times(self.range[1])]
        if self.choices is not None and all(isinstance(c, int | float) for c in self.choices):
            self.choices = sorted({times(c) for c in self.choices})

    def finish(self) -> None:
        if self.omitted:
            return
        integer = self.spec.kind == "integer"
        if self.default is None and self.range is not None:
            lo, hi = self.range
            mid = math.sqrt(lo * hi) if self.scale == "log" and lo > 0 else (lo + hi) / 2
            self.default = _sig(mid)
            self.notes.append((None, f"default {_fmt(self.default)}: middle of its range"))
        if self.default is None and self.choices:
            self.default = self.choices[0]
        if integer:
            if isinstance(self.default, float):
                self.default = round(self.default)
            if self.range is not None:
                self.range = [math.ceil(self.range[0]), math.floor(self.range[1])]
        # The contract: a default always lies inside its own search domain.
        if self.range is not None and isinstance(self.default, int | float):
            lo, hi = self.range
            if not lo <= self.default <= hi:
                self.range = [min(lo, self.default), max(hi, self.default)]
                self.notes.append((None, f"range widened to [{_fmt(self.range[0])}, "
                                   f"{_fmt(self.range[1])}] to hold the default"))
        if self.choices is not None and self.default is not None and self.default not in self.choices:
            self.choices = sorted([*self.choices, self.default], key=_choice_order)
            self.notes.append((None, f"default {_fmt(self.default)} added to the choices"))

    @property
    def omitted(self) -> bool:
        return self.default == OMIT

    def dimension(self) -> Dimension | None:
        if self.omitted:
            return None
        if self.choices is not None and len(set(map(str, self.choices))) >= 2:
            return Dimension(name=self.spec.name, type="categorical", categories=tuple(self.choices))
        if self.range is not None and self.range[0] < self.range[1]:
            log = self.scale == "log" and self.range[0] > 0
            return Dimension(name=self.spec.name, type=self.spec.kind, low=self.range[0],
                             high=self.range[1], prior="log-uniform" if log else "uniform")
        return None


def _assemble(kb: KnowledgeBase, inference: Inference, probes: dict[str, Any]) -> Recommendation:
    facts = inference.facts
    config: dict[str, Any] = {}
    dims: list[Dimension] = []
    ranges: list[Dimension] = []
    explanations: dict[str, list[Explanation]] = {}
    tier = int(facts.get("search_tier", _DEFAULT_TIER))

    def explain(name: str, rule: Rule | None, effect: str, lost_to: str | None = None) -> None:
        entry = Explanation(rule=rule.id if rule else "advisor", because=rule.because if rule else
                            "the output contract keeps every default inside its search range",
                            source=rule.source if rule else (), effect=effect,
                            overridden_by=lost_to)
        explanations.setdefault(name, []).append(entry)

    if "optimizer" in facts:
        config["optimizer"] = facts["optimizer"]
        setter = inference.fact_setters.get("optimizer", "profile")
        if setter == "profile":
            explanations["optimizer"] = [Explanation(
                rule="profile", because="the profile names the optimizer", source=(),
                effect=f"= {facts['optimizer']}")]
        else:
            explain("optimizer", kb.rule(setter), f"= {facts['optimizer']}")

    # batch_size first: a learning rate stated per reference batch is rescaled to it.
    for name in sorted(inference.decisions, key=_assembly_order):
        slots = inference.decisions[name]
        spec = PARAMS[name]
        param = _Param(spec, slots)
        _rescale_to_batch(param, slots, inference, config.get("batch_size"))
        for rule in inference.modifiers.get(name, ()):
            param.apply(rule, facts)
        param.finish()
        if param.omitted:
            explanations.setdefault(name, [])
        elif param.default is not None:
            config[name] = param.default
        by_rule: dict[str, tuple[Rule, list[str]]] = {}
        for aspect, decision in slots.items():  # one entry per rule, its aspects joined
            by_rule.setdefault(decision.rule.id, (decision.rule, []))[1].append(
                _describe(aspect, decision.value))
        for rule, effects in by_rule.values():
            explain(name, rule, ", ".join(effects))
        for rule, note in param.notes:
            explain(name, rule, note)
        dim = param.dimension()
        if dim is not None:
            searched, why, rule = _searched(spec, tier, inference.search.get(name))
            ranges.append(dim)
            if searched:
                dims.append(dim)
            if rule is not None:
                explain(name, rule, why)
            else:
                explanations[name].append(Explanation(
                    rule="search.tiers", because="SRCH-01: the trial budget decides how many "
                    "importance tiers enter the search space", source=("SRCH-01",), effect=why))
    _keep_one_alternative(config, inference, (dims, ranges), explanations)
    losers: dict[tuple[str, str, str], list[str]] = {}
    for conflict in inference.conflicts:
        if conflict.target.startswith("param:"):
            key = (conflict.target[6:], conflict.rule, conflict.lost_to)
            losers.setdefault(key, []).append(_describe(conflict.aspect, conflict.value))
    for (name, rule_id, lost_to), effects in losers.items():
        explain(name, kb.rule(rule_id), ", ".join(effects), lost_to=lost_to)

    dims.sort(key=lambda d: (PARAMS[d.name].tier or 9, PARAM_ORDER[d.name]))
    config = {k: config[k] for k in sorted(config, key=lambda k: PARAM_ORDER.get(k, -1))}
    ranges.sort(key=lambda d: PARAM_ORDER[d.name])
    advice = sorted(
        (AdviceItem(id=r.id, severity=r.advice.severity, text=r.advice.text, source=r.source)
         for r in inference.fired if r.advice),
        key=lambda a: (_SEVERITY_RANK[a.severity], a.id),
    )
    derived = {k: v for k, v in sorted(facts.items()) if inference.fact_setters[k] != "profile"}
    return Recommendation(
        config=config,
        search_space=tuple(dims),
        ranges=tuple(ranges),
        advice=tuple(advice),
        explanations={k: tuple(v) for k, v in explanations.items()},
        probes=probes,
        facts=derived,
        fired=tuple(r.id for r in inference.fired),
        conflicts=tuple(c.as_dict() for c in inference.conflicts),
    )


def _keep_one_alternative(config: dict[str, Any], inference: Inference,
                          domains: tuple[list[Dimension], ...],
                          explanations: dict[str, list[Explanation]]) -> None:
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
            explanations[name].append(Explanation(
                rule=loser.id, because=loser.because, source=loser.source,
                effect=f"dropped: the warmup is given as {keep} by {winner.id}", overridden_by=winner.id))


def _assembly_order(name: str) -> tuple[int, int]:
    return (0 if name == "batch_size" else 1, PARAM_ORDER[name])


def _rescale_to_batch(param: _Param, slots: dict[str, Decision], inference: Inference,
                      batch: Any) -> None:
    """A value stated per reference batch (rule `per_batch`) follows the recommended batch; the
    default and the range each follow the rule that stated them."""
    if not isinstance(batch, int | float):
        return
    for aspect in ("default", "domain"):
        if aspect not in slots:
            continue
        rule = slots[aspect].rule
        scaling = inference.effects[rule.id][param.spec.name].per_batch
        if scaling is None or scaling.factor(batch) == 1:
            continue
        factor = scaling.factor(batch)
        if aspect == "default" and isinstance(param.default, int | float):
            before = param.default
            param.default = _sig(param.default * factor)
            param.notes.append((rule, f"{_fmt(before)} per {scaling.reference} samples, "
                                      f"{scaling.rule} scaling to batch {batch}: ×{_fmt(_sig(factor))}"))
        elif aspect == "domain" and param.range is not None:
            param.range = [_sig(param.range[0] * factor), _sig(param.range[1] * factor)]
            if slots.get("default") is None or slots["default"].rule.id != rule.id:
                param.notes.append((rule, f"range ×{_fmt(_sig(factor))}: {scaling.rule} scaling "
                                          f"from {scaling.reference} to batch {batch} samples"))


def _searched(spec: ParamSpec, tier: int, decision: Decision | None) -> tuple[bool, str, Rule | None]:
    if decision is not None:
        verb = "searched" if decision.value else "not searched"
        return decision.value, f"{verb} (explicit search decision)", decision.rule
    if spec.tier is None:
        return False, "fixed: not a parameter the search tunes", None
    if spec.tier <= tier:
        return True, f"searched: importance tier {spec.tier} <= budget tier {tier}", None
    return False, f"fixed: importance tier {spec.tier} > budget tier {tier}", None


def _describe(aspect: str, value: Any) -> str:
    if aspect == "domain":
        kind, values = next(iter(value.items())) if isinstance(value, dict) else value
        if kind == "range":
            return f"range [{_fmt(values[0])}, {_fmt(values[1])}]"
        return f"choices {list(values)}"
    if aspect == "scale":
        return f"{value} scale"
    if value == OMIT:
        return "left out: does not apply to this profile"
    return f"default {_fmt(value)}"
