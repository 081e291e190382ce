"""Why a value is what it is: explanations made of typed changes, rendered to text at the edges.

Each `Explanation` names a rule (or `profile`, `advisor`, `search.tiers`) and the changes it made to
one parameter: a default, a domain, a factor, a cap, a rescaling to the batch, a search decision,
... (`Change`, a union discriminated by `kind`). `effect` is their text, as the output contract has
always shown it ("default 0.1, range [0.03, 0.3], log scale"); `changes` is the same as data.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator


def fmt(x: Any) -> str:
    """A value as the explanations write it: floats with %g, mappings as JSON."""
    return f"{x:g}" if isinstance(x, float) else json.dumps(x) if isinstance(x, dict) else str(x)


class _Change(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    moves_value: ClassVar[bool] = False  # it sets or moves the config value (the CLI's "decided by")

    def text(self) -> str:
        raise NotImplementedError

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, without the fields that do not apply (None)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items() if v is not None}


class ValueChange(_Change):
    """A value taken as is (the optimizer the profile names or a rule sets)."""

    kind: Literal["value"] = "value"
    value: Any
    moves_value: ClassVar[bool] = True

    def text(self) -> str:
        return f"= {self.value}"


class DefaultChange(_Change):
    kind: Literal["default"] = "default"
    value: Any
    moves_value: ClassVar[bool] = True

    def text(self) -> str:
        return f"default {fmt(self.value)}"


class OmitChange(_Change):
    kind: Literal["omit"] = "omit"

    def text(self) -> str:
        return "left out: does not apply to this profile"


class RangeChange(_Change):
    kind: Literal["range"] = "range"
    low: int | float
    high: int | float

    def text(self) -> str:
        return f"range [{fmt(self.low)}, {fmt(self.high)}]"


class ChoicesChange(_Change):
    kind: Literal["choices"] = "choices"
    values: tuple[Any, ...]

    def text(self) -> str:
        return f"choices {list(self.values)}"


class ScaleChange(_Change):
    kind: Literal["scale"] = "scale"
    scale: Literal["log", "linear"]

    def text(self) -> str:
        return f"{self.scale} scale"


class MultiplyChange(_Change):
    """A fixed factor: on the default (`factor`) and on the range (`range_factors`, low and high)."""

    kind: Literal["multiply"] = "multiply"
    factor: float | None = None
    range_factors: tuple[float, float] | None = None

    @property
    def moves_value(self) -> bool:  # type: ignore[override]
        return self.factor is not None

    def text(self) -> str:
        parts = [f"default ×{self.factor:g}"] if self.factor is not None else []
        if self.range_factors is not None:
            parts.append(f"range ×[{self.range_factors[0]:g}, {self.range_factors[1]:g}]")
        return ", ".join(parts) or "no-op"


class FactorChange(_Change):
    """A factor computed from facts (`multiply_expr`) on the default and the domain."""

    kind: Literal["multiply_expr"] = "multiply_expr"
    factor: int | float
    expression: str
    moves_value: ClassVar[bool] = True

    def text(self) -> str:
        return f"×{fmt(self.factor)} (`{self.expression}`)"


class CapChange(_Change):
    kind: Literal["cap"] = "cap"
    cap: int | float
    expression: str
    moves_value: ClassVar[bool] = True

    def text(self) -> str:
        return f"capped at {fmt(self.cap)} (`{self.expression}`)"


class BatchScalingChange(_Change):
    """A value stated for `reference` samples per step, rescaled to the recommended batch."""

    kind: Literal["batch_scaling"] = "batch_scaling"
    aspect: Literal["default", "range"]
    rule: Literal["linear", "sqrt"]
    reference: int
    batch: int | float
    factor: int | float
    before: int | float | None = None  # the default as stated

    @property
    def moves_value(self) -> bool:  # type: ignore[override]
        return self.aspect == "default"

    def text(self) -> str:
        if self.aspect == "default":
            return (f"{fmt(self.before)} per {self.reference} samples, {self.rule} scaling to batch "
                    f"{self.batch}: ×{fmt(self.factor)}")
        return (f"range ×{fmt(self.factor)}: {self.rule} scaling from {self.reference} to batch "
                f"{self.batch} samples")


class MidpointChange(_Change):
    """No rule gave a default: the middle of the range (geometric on a log scale)."""

    kind: Literal["midpoint"] = "midpoint"
    value: int | float
    moves_value: ClassVar[bool] = True

    def text(self) -> str:
        return f"default {fmt(self.value)}: middle of its range"


class WidenChange(_Change):
    """The range grown to hold the default (the contract keeps every default inside its range)."""

    kind: Literal["widen"] = "widen"
    low: int | float
    high: int | float

    def text(self) -> str:
        return f"range widened to [{fmt(self.low)}, {fmt(self.high)}] to hold the default"


class AddChoiceChange(_Change):
    kind: Literal["add_choice"] = "add_choice"
    value: Any

    def text(self) -> str:
        return f"default {fmt(self.value)} added to the choices"


class SearchChange(_Change):
    """Searched or fixed: by an explicit rule decision, or by importance tier against the budget."""

    kind: Literal["search"] = "search"
    searched: bool
    explicit: bool = False
    tier: int | None = None  # the parameter's importance tier (None: never searched)
    budget_tier: int | None = None

    def text(self) -> str:
        if self.explicit:
            return f"{'searched' if self.searched else 'not searched'} (explicit search decision)"
        if self.tier is None:
            return "fixed: not a parameter the search tunes"
        if self.searched:
            return f"searched: importance tier {self.tier} <= budget tier {self.budget_tier}"
        return f"fixed: importance tier {self.tier} > budget tier {self.budget_tier}"


class DropChange(_Change):
    """Left out for an alternative that says the same in other units (one warmup unit)."""

    kind: Literal["dropped"] = "dropped"
    kept: str
    winner: str

    def text(self) -> str:
        return f"dropped: the warmup is given as {self.kept} by {self.winner}"


Change = Annotated[
    ValueChange | DefaultChange | OmitChange | RangeChange | ChoicesChange | ScaleChange | MultiplyChange
    | FactorChange | CapChange | BatchScalingChange | MidpointChange | WidenChange | AddChoiceChange
    | SearchChange | DropChange,
    Field(discriminator="kind"),
]


class Explanation(BaseModel):
    """One rule's part in one parameter; `overridden_by` names the rule that beat it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    rule: str
    because: str
    source: tuple[str, ...]
    changes: tuple[Change, ...]
    overridden_by: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _derived_text(cls, data: Any) -> Any:
        """`effect` is rendered from `changes`: read back (e.g. from `to_json()`), it is dropped."""
        if isinstance(data, dict) and "effect" in data:
            data = {k: v for k, v in data.items() if k != "effect"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def effect(self) -> str:
        return ", ".join(change.text() for change in self.changes)

    @property
    def moves_value(self) -> bool:
        """Whether it set or moved the config value (and did not lose a conflict)."""
        return self.overridden_by is None and any(change.moves_value for change in self.changes)

    def as_dict(self) -> dict[str, Any]:
        """The output contract's entry: `effect` as text, then `changes` as data."""
        out: dict[str, Any] = {"rule": self.rule, "because": self.because, "source": list(self.source),
                               "effect": self.effect}
        if self.overridden_by is not None:
            out["overridden_by"] = self.overridden_by
        out["changes"] = [change.as_dict() for change in self.changes]
        return out


def finite_or_none(value: Any) -> Any:
    """JSON has no inf/nan: as pydantic's JSON mode, they become null; tuples become lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple | list):
        return [finite_or_none(v) for v in value]
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    return value
