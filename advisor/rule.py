"""What a rule is: its YAML shape (validated by pydantic) and its compiled, runnable form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .expression import Expression
from .facts import FactValue

Severity = Literal["info", "warning", "critical"]
Scalar = bool | int | float | str
RULE_ID = r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Advice(_Frozen):
    severity: Severity = "info"
    text: Annotated[str, Field(min_length=5)]


class ParamEffect(_Frozen):
    """What one rule concludes about one hyperparameter."""

    default: Scalar | dict[str, Any] | None = None
    range: tuple[float, float] | None = None
    choices: tuple[Scalar, ...] | None = None
    scale: Literal["log", "linear"] | None = None
    # Modifiers applied on top of the winning default/range (they compose across rules).
    multiply: Annotated[float, Field(gt=0)] | None = None
    multiply_range: tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]] | None = None
    cap: str | int | float | None = None  # numeric expression over facts: an upper bound


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
    sets: Mapping[str, FactValue]
    advice: Advice | None
    search: SearchEffect | None
    file: str
    line: int
    order: int  # position in the whole KB: the last tie-breaker

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
            name: effect.model_dump(exclude_none=True) for name, effect in self.params.items()
        }
        if self.sets:
            then["set"] = dict(self.sets)
        if self.advice:
            then["advice"] = self.advice.model_dump()
        if self.search:
            then["search"] = self.search.model_dump(exclude_defaults=True)
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


@dataclass(frozen=True)
class Source:
    id: str
    documents: tuple[str, ...]
    section: str
    text: str
