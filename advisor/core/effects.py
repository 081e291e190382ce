"""What a rule may conclude: one pydantic model per kind of effect, and how a rule's YAML `then`
mapping is read into them.

`then` is written per hyperparameter (`learning_rate: {default: 3e-3, range: [...], scale: log}`) plus
`set`, `advice`, `search`, `verdict` and `step`. Each becomes one or more effects (`Effect`, a union
discriminated by `kind`); which YAML key becomes which kind is data (`PARAM_FIELDS`, `RULE_KEYS`).
A hyperparameter effect either claims an aspect (default, domain, scale: one winner per aspect, see
advisor.core.engine) or modifies the winner (multiply, multiply_expr, cap: they compose).
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["info", "warning", "critical"]
Scalar = bool | int | float | str
OMIT = "<omitted>"  # the default of a parameter a rule says does not apply
ASPECTS = ("default", "domain", "scale")  # decided by one winning rule each (see advisor.core.engine)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


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


# --- Effects on one hyperparameter. Field names are the YAML's, so errors name what was written.


class BaseParamEffect(_Frozen):
    param: str
    aspect: ClassVar[str | None] = None  # the aspect it competes for; None: composes on the winner

    def expression_texts(self) -> dict[str, str]:
        """Numeric expressions over facts it holds, by the name errors and the rule's index use."""
        return {}

    @property
    def claim(self) -> Any:
        """The value compared with other rules' claims on the same aspect."""
        raise NotImplementedError

    def plain(self) -> Any:
        """The claim as JSON-ready data (conflicts in the output contract)."""
        return self.claim


class SetDefault(BaseParamEffect):
    """`default: 0.1` — the starting value."""

    kind: Literal["default"] = "default"
    default: Scalar | dict[str, Any]
    aspect: ClassVar[str | None] = "default"

    @property
    def claim(self) -> Any:
        return self.default


class Omit(BaseParamEffect):
    """`omit: true` — the parameter does not apply: no default, no search (wins like a default)."""

    kind: Literal["omit"] = "omit"
    omit: Literal[True]
    aspect: ClassVar[str | None] = "default"

    @property
    def claim(self) -> str:
        return OMIT


class ComputeDefault(BaseParamEffect):
    """`default_expr: <numeric expression>` — the default computed from facts when the rule fires."""

    kind: Literal["default_expr"] = "default_expr"
    default_expr: str
    aspect: ClassVar[str | None] = "default"

    def expression_texts(self) -> dict[str, str]:
        return {"default": self.default_expr}


class CopyDefault(BaseParamEffect):
    """`default_from: <profile fact>` — the fact's value becomes the default."""

    kind: Literal["default_from"] = "default_from"
    default_from: str
    aspect: ClassVar[str | None] = "default"


class SetRange(BaseParamEffect):
    """`range: [low, high]` — the search domain of a number."""

    kind: Literal["range"] = "range"
    range: tuple[float, float]
    aspect: ClassVar[str | None] = "domain"

    @property
    def claim(self) -> tuple[str, tuple[float, float]]:
        return ("range", self.range)

    def plain(self) -> dict[str, list[float]]:
        return {"range": list(self.range)}


class ComputeRange(BaseParamEffect):
    """`range_expr: [low, high]` — the domain computed from facts when the rule fires."""

    kind: Literal["range_expr"] = "range_expr"
    range_expr: tuple[str, str]
    aspect: ClassVar[str | None] = "domain"

    def expression_texts(self) -> dict[str, str]:
        return {"low": self.range_expr[0], "high": self.range_expr[1]}


class SetChoices(BaseParamEffect):
    """`choices: [...]` — the search domain as a list (replaces a less specific range)."""

    kind: Literal["choices"] = "choices"
    choices: tuple[Scalar, ...]
    aspect: ClassVar[str | None] = "domain"

    @property
    def claim(self) -> tuple[str, tuple[Scalar, ...]]:
        return ("choices", self.choices)

    def plain(self) -> dict[str, list[Scalar]]:
        return {"choices": list(self.choices)}


class SetScale(BaseParamEffect):
    """`scale: log | linear` — how the domain is searched."""

    kind: Literal["scale"] = "scale"
    scale: Literal["log", "linear"]
    aspect: ClassVar[str | None] = "scale"

    @property
    def claim(self) -> str:
        return self.scale


class PerBatch(BaseParamEffect):
    """`per_batch: {reference, rule}` — this rule's default and range hold for `reference` samples."""

    kind: Literal["per_batch"] = "per_batch"
    per_batch: BatchScaling


class Multiply(BaseParamEffect):
    """`multiply: f` (the default and the range) and/or `multiply_range: [lo, hi]` (the range)."""

    kind: Literal["multiply"] = "multiply"
    multiply: Annotated[float, Field(gt=0)] | None = None
    multiply_range: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] | None = None


class MultiplyExpr(BaseParamEffect):
    """`multiply_expr: <numeric expression>` — a factor on the default and the domain."""

    kind: Literal["multiply_expr"] = "multiply_expr"
    multiply_expr: str

    def expression_texts(self) -> dict[str, str]:
        return {"multiply_expr": self.multiply_expr}


class Cap(BaseParamEffect):
    """`cap: <numeric expression>` — an upper bound on the default and the domain."""

    kind: Literal["cap"] = "cap"
    cap: str | int | float

    def expression_texts(self) -> dict[str, str]:
        return {"cap": str(self.cap)}


# --- Effects of a whole rule.


class SetFact(_Frozen):
    """`set: {fact: value}` — a derived fact later rules match on (one effect per fact)."""

    kind: Literal["set"] = "set"
    fact: str
    value: Any  # checked against the fact registry by the loader


class Advice(_Frozen):
    kind: Literal["advice"] = "advice"
    severity: Severity = "info"
    text: Annotated[str, Field(min_length=5)]


class SearchEffect(_Frozen):
    """`search: {include: [...], exclude: [...]}` — overrides the budget's importance tiers."""

    kind: Literal["search"] = "search"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


class VerdictEffect(_Frozen):
    """A diagnosis: `name` holds; `evidence` may quote facts as {fact} or {fact:.0%}."""

    kind: Literal["verdict"] = "verdict"
    name: str
    rank: Annotated[int, Field(ge=0, le=100)]  # lower is reported first
    severity: Severity = "warning"
    evidence: Annotated[str, Field(min_length=5)]
    exclusive: bool = False  # holds only when no other verdict does (e.g. "healthy")


class StepEffect(_Frozen):
    """One next step for a verdict, in the order the sources give."""

    kind: Literal["step"] = "step"
    verdict: str
    order: Annotated[int, Field(ge=1, le=100)]
    text: Annotated[str, Field(min_length=5)]


ParamEffect = (SetDefault | Omit | ComputeDefault | CopyDefault | SetRange | ComputeRange | SetChoices
               | SetScale | PerBatch | Multiply | MultiplyExpr | Cap)
Effect = Annotated[
    ParamEffect | SetFact | Advice | SearchEffect | VerdictEffect | StepEffect,
    Field(discriminator="kind"),
]

# The YAML of a hyperparameter's entry, field by field: the effect kind that holds each field, in the
# order a rule's effects on one parameter apply (the modifiers multiply, multiply_expr, cap last).
PARAM_FIELDS: dict[str, str] = {
    "default": "default", "omit": "omit", "default_expr": "default_expr", "default_from": "default_from",
    "range": "range", "range_expr": "range_expr", "choices": "choices", "scale": "scale",
    "per_batch": "per_batch", "multiply": "multiply", "multiply_range": "multiply",
    "multiply_expr": "multiply_expr", "cap": "cap",
}
KIND_ORDER = {kind: i for i, kind in enumerate(dict.fromkeys(PARAM_FIELDS.values()))}
MODIFIERS = (Multiply, MultiplyExpr, Cap)
COMPUTED = (ComputeDefault, ComputeRange, CopyDefault)
RULE_KEYS = ("set", "advice", "search", "verdict", "step")  # `then` keys that are not hyperparameters


def effect_items(then: dict[str, Any], params: Collection[str]) -> tuple[list[tuple[str, dict[str, Any]]],
                                                                         list[str]]:
    """A `then` mapping as tagged effect items, each with the YAML key it came from; and the
    problems that keep a key from being read at all (unknown keys and fields, wrong shapes)."""
    items: list[tuple[str, dict[str, Any]]] = []
    problems: list[str] = []
    for key, value in then.items():
        if key == "set":
            if not isinstance(value, dict):
                problems.append("set: expected a mapping of fact: value")
                continue
            items += [(f"set.{fact}", {"kind": "set", "fact": fact, "value": v}) for fact, v in value.items()]
        elif key in RULE_KEYS:
            if isinstance(value, dict):
                items.append((key, {**value, "kind": key}))
            else:
                problems.append(f"{key}: expected a mapping")
        elif key in params:
            entry = value if isinstance(value, dict) else {"default": value}
            grouped: dict[str, dict[str, Any]] = {}
            for name, field_value in entry.items():
                kind = PARAM_FIELDS.get(name)
                if kind is None:
                    problems.append(f"{key}.{name}: unknown field; remove it or check its spelling")
                else:
                    grouped.setdefault(kind, {"kind": kind, "param": key})[name] = field_value
            items += [(key, grouped[kind]) for kind in sorted(grouped, key=KIND_ORDER.__getitem__)]
        else:
            close = difflib.get_close_matches(key, [*params, *RULE_KEYS], n=1)
            problems.append(f"then: unknown key {key!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
                            + "; allowed: a hyperparameter name, " + ", ".join(RULE_KEYS))
    return items, problems
