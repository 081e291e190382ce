"""One hyperparameter put together: the winning claims, the modifiers on top, the rescaling to the
recommended batch, and the output contract's fixes (a default always inside its own domain).

Each step that changes a value leaves a note: the rule (or "advisor") and the change it made, as a
`Spec` - a change class and its fields, hashable, so that equal explanations are built once.
"""

from __future__ import annotations

import math
from typing import Any

from advisor.core.effects import Cap, Multiply, MultiplyExpr
from advisor.core.engine import OMIT, Decision
from advisor.core.explanation import (
    AddChoiceChange,
    BatchScalingChange,
    CapChange,
    ChoicesChange,
    DefaultChange,
    FactorChange,
    MidpointChange,
    MultiplyChange,
    OmitChange,
    RangeChange,
    ScaleChange,
    WidenChange,
)
from advisor.core.params import ParamSpec
from advisor.core.rule import Rule

# A change before it is built: its class and its fields (see advisor.core.recommendation._Parts).
Spec = tuple[type, tuple[tuple[str, Any], ...]]


def sig(x: float) -> float:
    """Four significant digits: 0.1 * 3 shows as 0.3, not 0.30000000000000004."""
    return float(f"{x:.4g}") if x else 0.0


def claim_spec(effect: Any) -> Spec:
    """A rule's claim on an aspect (default, omit, range, choices, scale) as a change."""
    kind = effect.kind
    if kind == "default":
        return (DefaultChange, (("value", effect.default),))
    if kind == "omit":
        return (OmitChange, ())
    if kind == "range":
        return (RangeChange, (("low", effect.range[0]), ("high", effect.range[1])))
    if kind == "choices":
        return (ChoicesChange, (("values", effect.choices),))
    return (ScaleChange, (("scale", effect.scale),))


def finite(x: Any) -> bool:
    """math.isfinite that answers False, not OverflowError, for an int beyond the float range."""
    try:
        return math.isfinite(x)
    except OverflowError:
        return False


def _choice_order(c: Any) -> tuple[int, float, str]:
    """Numbers in numeric order, then everything else by its text."""
    numeric = isinstance(c, int | float) and not isinstance(c, bool)
    return (0, float(c), "") if numeric else (1, 0.0, str(c))


class ParamAssembly:
    """The state of one parameter while it is assembled; `notes` explain every step after the claims."""

    __slots__ = ("choices", "default", "notes", "range", "scale", "spec")

    def __init__(self, spec: ParamSpec, slots: dict[str, Decision]) -> None:
        self.spec = spec
        default, domain, scale = slots.get("default"), slots.get("domain"), slots.get("scale")
        self.default: Any = None if default is None else default.value
        self.range: list[float] | None = None
        self.choices: list[Any] | None = None
        if domain is not None:
            if domain.effect.kind == "range":
                self.range = list(domain.effect.range)
            else:
                self.choices = list(domain.effect.choices)
        self.scale = None if scale is None else scale.effect.scale
        self.notes: list[tuple[Rule | str, Spec]] = []

    @property
    def omitted(self) -> bool:
        return self.default == OMIT

    def rescale_to_batch(self, slots: dict[str, Decision], batch: Any) -> None:
        """A value stated per reference batch (rule `per_batch`) follows the recommended batch; the
        default and the range each follow the rule that stated them."""
        if not isinstance(batch, int | float):
            return
        for aspect in ("default", "domain"):
            decision = slots.get(aspect)
            scaling = None if decision is None else decision.rule.per_batch.get(self.spec.name)
            if scaling is None or scaling.factor(batch) == 1:
                continue
            rule, factor = decision.rule, scaling.factor(batch)  # type: ignore[union-attr]
            common = (("rule", scaling.rule), ("reference", scaling.reference), ("batch", batch),
                      ("factor", sig(factor)))
            if aspect == "default" and isinstance(self.default, int | float):
                before, self.default = self.default, sig(self.default * factor)
                note = (BatchScalingChange, (("aspect", "default"), *common, ("before", before)))
                self.notes.append((rule, note))
            elif aspect == "domain" and self.range is not None:
                self.range = [sig(self.range[0] * factor), sig(self.range[1] * factor)]
                if "default" not in slots or slots["default"].rule is not rule:
                    self.notes.append((rule, (BatchScalingChange, (("aspect", "range"), *common))))

    def apply(self, rule: Rule, effect: Any, facts: dict[str, Any]) -> None:
        """A modifier (multiply, multiply_expr, cap) on top of the winning values."""
        if self.omitted:  # a parameter that does not apply has nothing to modify
            return
        name = self.spec.name
        if isinstance(effect, Multiply):
            lo_f, hi_f = effect.multiply_range or (effect.multiply, effect.multiply)
            if self.default is not None and effect.multiply:
                self.default = sig(self.default * effect.multiply)
            if self.range is not None:
                self.range = [sig(self.range[0] * lo_f), sig(self.range[1] * hi_f)]
            on_range = (lo_f, hi_f) if self.range is not None else None
            note = (MultiplyChange, (("factor", effect.multiply), ("range_factors", on_range)))
            self.notes.append((rule, note))
        elif isinstance(effect, MultiplyExpr):
            factor = rule.expressions[name, "multiply_expr"].evaluate(facts)
            if finite(factor) and factor > 0:
                factor = float(factor)
                self.scale_by(factor)
                self.notes.append((rule, (FactorChange, (("factor", sig(factor)),
                                                         ("expression", effect.multiply_expr)))))
        elif isinstance(effect, Cap):
            self.cap(rule, rule.expressions[name, "cap"].text, rule.expressions[name, "cap"].evaluate(facts))

    def cap(self, rule: Rule, expression: str, cap: float) -> None:
        if not finite(cap):  # an int beyond any float is no cap (and math.isfinite would raise)
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
        self.notes.append((rule, (CapChange, (("cap", cap), ("expression", expression)))))

    def scale_by(self, factor: float) -> None:
        """Multiply default and domain; integer choices stay integers."""
        integer = self.spec.kind == "integer"

        def times(x: Any) -> Any:
            return max(1, round(x * factor)) if integer else sig(x * factor)

        if isinstance(self.default, int | float) and not isinstance(self.default, bool):
            self.default = times(self.default)
        if self.range is not None:
            self.range = [times(self.range[0]), times(self.range[1])]
        if self.choices is not None and all(isinstance(c, int | float) for c in self.choices):
            self.choices = sorted({times(c) for c in self.choices})

    def finish(self) -> None:
        """A default where none was given, integers for integer parameters, and the contract: a
        default always lies inside its own search domain."""
        if self.omitted:
            return
        if self.default is None and self.range is not None:
            lo, hi = self.range
            mid = math.sqrt(lo * hi) if self.scale == "log" and lo > 0 else (lo + hi) / 2
            self.default = sig(mid)
            self.notes.append(("advisor", (MidpointChange, (("value", self.default),))))
        if self.default is None and self.choices:
            self.default = self.choices[0]
        if self.spec.kind == "integer":
            if isinstance(self.default, float):
                self.default = round(self.default)
            if self.range is not None:
                self.range = [math.ceil(self.range[0]), math.floor(self.range[1])]
        if self.range is not None and isinstance(self.default, int | float):
            lo, hi = self.range
            if not lo <= self.default <= hi:
                self.range = [min(lo, self.default), max(hi, self.default)]
                widened = (WidenChange, (("low", self.range[0]), ("high", self.range[1])))
                self.notes.append(("advisor", widened))
        if self.choices is not None and self.default is not None and self.default not in self.choices:
            self.choices = sorted([*self.choices, self.default], key=_choice_order)
            self.notes.append(("advisor", (AddChoiceChange, (("value", self.default),))))

    def dimension_fields(self) -> dict[str, Any] | None:
        """The search dimension's fields, or None (omitted, a single value, an empty range)."""
        if self.omitted:
            return None
        if self.choices is not None and len(set(map(str, self.choices))) >= 2:
            return {"name": self.spec.name, "type": "categorical", "categories": tuple(self.choices)}
        if self.range is not None and self.range[0] < self.range[1]:
            log = self.scale == "log" and self.range[0] > 0
            return {"name": self.spec.name, "type": self.spec.kind, "low": self.range[0],
                    "high": self.range[1], "prior": "log-uniform" if log else "uniform"}
        return None
