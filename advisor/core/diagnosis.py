"""From a training history (and/or the sanity and data-scaling probes) to ranked verdicts.

The same engine and knowledge base as `recommend`: the history becomes `curve_*` facts, probe
results `sanity_*` / `scaling_*` facts; rules in rules/advisor_rules/diagnosis.yaml conclude verdicts and the
next steps for each, every one citing its source.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.core.engine import infer
from advisor.core.facts import FactValue, profile_facts
from advisor.core.knowledge import TEMPLATE_FIELD, KnowledgeBase, default_knowledge_base
from advisor.core.recommendation import AdviceItem
from advisor.core.rule import Rule, Severity, StepEffect, VerdictEffect
from advisor.errors import AdvisorError, FieldProblem, HistoryError
from advisor.evidence.curve_features import CurveFeatures, curve_features
from advisor.evidence.history import Format, History, parse_history_json
from advisor.evidence.registry import kind_of_slot
from advisor.evidence.results import DataScalingResult, SanityResult
from advisor.profile.model import Profile

_DIAGNOSTIC_PREFIXES = ("curve_", "sanity_", "scaling_", "verdict_")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class HistorySummary(_Frozen):
    """What the diagnosis read from a history: its format, its size, its columns, what it set aside."""

    format: Format
    points: int
    x: Literal["epoch", "step", "row"]  # what the points are counted in
    columns: tuple[str, ...]  # the canonical columns read (sorted)
    ignored_columns: tuple[str, ...] = ()  # columns of the file that are not read
    notes: tuple[str, ...] = ()  # what the reader did to the file (sorted rows, merged points)

    @classmethod
    def of(cls, history: History) -> HistorySummary:
        return cls(format=history.format, points=len(history), x=history.x_name,
                   columns=tuple(sorted(history.columns)), ignored_columns=history.ignored_columns,
                   notes=history.notes)


class Evidence(_Frozen):
    rule: str
    text: str
    because: str
    source: tuple[str, ...]


class NextStep(_Frozen):
    order: int
    text: str
    rule: str
    source: tuple[str, ...]


class Verdict(_Frozen):
    name: str
    rank: int
    severity: Severity
    evidence: tuple[Evidence, ...]
    next_steps: tuple[NextStep, ...]


class Diagnosis(_Frozen):
    """Verdicts best first; `to_json()` is the CLI's and the API's output."""

    verdicts: tuple[Verdict, ...]
    advice: tuple[AdviceItem, ...] = ()
    history: HistorySummary | None = None
    features: CurveFeatures | None = None
    sanity: SanityResult | None = None
    scaling: DataScalingResult | None = None
    facts: dict[str, Any] = {}
    fired: tuple[str, ...] = ()

    @property
    def top(self) -> str | None:
        return self.verdicts[0].name if self.verdicts else None

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class DiagnoseRequest(_Frozen):
    """What `POST /v1/diagnose` takes: a history (any accepted JSON shape) and/or probe results,
    and optionally the run's profile. A bare history (rows, Keras dict, trainer_state) is
    accepted as the whole body too."""

    # Checked by the history parser (row/column messages), not by pydantic's union errors.
    history: Annotated[
        Any,
        Field(
            json_schema_extra={
                "anyOf": [
                    {"type": "array", "items": {"type": "object"}},
                    {"type": "object"},
                    {"type": "null"},
                ]
            }
        ),
    ] = None
    profile: Profile | None = None
    sanity: SanityResult | None = None
    scaling: DataScalingResult | None = None


_REQUEST_KEYS = frozenset(DiagnoseRequest.model_fields)


def request_from_payload(payload: Any) -> DiagnoseRequest:
    """A wrapped request as is; anything else is taken to be the history itself."""
    if isinstance(payload, dict) and payload and set(payload) <= _REQUEST_KEYS:
        return DiagnoseRequest.model_validate(payload)
    if not isinstance(payload, dict | list):
        raise HistoryError(
            [FieldProblem((), f"expected a JSON object or list, got {type(payload).__name__}")],
            "the request body",
        )
    return DiagnoseRequest(history=payload)


def diagnose_request(request: DiagnoseRequest, kb: KnowledgeBase | None = None) -> Diagnosis:
    history = None if request.history is None else parse_history_json(request.history, "the request body")
    return diagnose(history, profile=request.profile, sanity=request.sanity, scaling=request.scaling, kb=kb)


def diagnosis_facts(
    history: History | None = None,
    *,
    profile: Profile | None = None,
    sanity: SanityResult | None = None,
    scaling: DataScalingResult | None = None,
) -> tuple[dict[str, FactValue], CurveFeatures | None]:
    facts: dict[str, FactValue] = dict(profile_facts(profile)) if profile else {}
    features = None
    if history is not None:
        features = curve_features(history)
        facts |= kind_of_slot("history").facts_of(history)
        classes = profile.data.num_classes if profile else None
        if (
            features.train_end is not None
            and classes
            and classes > 1
            and profile
            and profile.loss.name == "cross_entropy"
        ):
            facts["curve_train_vs_chance"] = round(features.train_end / math.log(classes), 4)
    for slot, result in (("sanity", sanity), ("scaling", scaling)):
        if result is not None:
            facts |= kind_of_slot(slot).facts_of(result)
    return facts, features


def diagnose(
    history: History | None = None,
    *,
    profile: Profile | None = None,
    sanity: SanityResult | None = None,
    scaling: DataScalingResult | None = None,
    kb: KnowledgeBase | None = None,
) -> Diagnosis:
    """Ranked verdicts with evidence and next steps. Give a history, probe results, or both."""
    if history is None and sanity is None and scaling is None:
        raise AdvisorError("nothing to diagnose: give a history, sanity results or data-scaling results")
    kb = kb or default_knowledge_base()
    facts, features = diagnosis_facts(history, profile=profile, sanity=sanity, scaling=scaling)
    inference = infer(kb, facts)
    fired = [r for r in inference.fired if _diagnostic(r)]
    verdicts = _verdicts(fired, inference.facts)
    advice = tuple(
        AdviceItem(id=r.id, severity=r.advice.severity, text=r.advice.text, source=r.source)
        for r in fired
        if r.advice
    )
    return Diagnosis(
        verdicts=verdicts,
        advice=advice,
        history=None if history is None else HistorySummary.of(history),
        features=features,
        sanity=sanity,
        scaling=scaling,
        facts={k: v for k, v in inference.facts.items() if k.startswith(_DIAGNOSTIC_PREFIXES)},
        fired=tuple(r.id for r in fired),
    )


def _diagnostic(rule: Rule) -> bool:
    return (
        rule.verdict is not None
        or rule.step is not None
        or any(name.startswith(_DIAGNOSTIC_PREFIXES) for name in rule.needs)
    )


def _verdicts(fired: list[Rule], facts: dict[str, FactValue]) -> tuple[Verdict, ...]:
    found: dict[str, list[tuple[Rule, VerdictEffect]]] = {}
    steps: dict[str, list[tuple[Rule, StepEffect]]] = {}
    for rule in fired:
        if rule.verdict is not None:
            found.setdefault(rule.verdict.name, []).append((rule, rule.verdict))
        if rule.step is not None:
            steps.setdefault(rule.step.verdict, []).append((rule, rule.step))
    # An exclusive verdict ("healthy") holds only when no other verdict does.
    if any(not pairs[0][1].exclusive for pairs in found.values()):
        found = {name: pairs for name, pairs in found.items() if not pairs[0][1].exclusive}
    out = [
        Verdict(
            name=name,
            rank=min(v.rank for _, v in pairs),
            severity=min((v.severity for _, v in pairs), key=_SEVERITY.__getitem__),
            evidence=tuple(
                Evidence(rule=r.id, text=render(v.evidence, facts), because=r.because, source=r.source)
                for r, v in pairs
            ),
            next_steps=tuple(
                NextStep(order=step.order, text=step.text, rule=r.id, source=r.source)
                for r, step in sorted(steps.get(name, []), key=lambda pair: pair[1].order)
            ),
        )
        for name, pairs in found.items()
    ]
    return tuple(sorted(out, key=lambda v: (v.rank, _SEVERITY[v.severity], v.name)))


_SEVERITY = {"critical": 0, "warning": 1, "info": 2}


def render(template: str, facts: dict[str, FactValue]) -> str:
    """Fill {fact} / {fact:spec} from the facts (the loader checked names and specs)."""

    def one(match: Any) -> str:
        name, spec = match.group(1), match.group(2) or ""
        value = facts.get(name)
        if value is None:
            return "n/a"
        try:
            return format(value, spec)
        except (ValueError, TypeError):
            return str(value)

    return TEMPLATE_FIELD.sub(one, template)
