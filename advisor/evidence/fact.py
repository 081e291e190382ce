"""A fact rules may match on: its name, type and allowed values (what every kind of evidence and
the profile declare)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

FactType = Literal["bool", "int", "float", "enum"]
FactValue = bool | int | float | str


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: FactType
    doc: str
    values: tuple[str, ...] = ()
    derived: bool = False  # set by rules, not by the profile

    @property
    def numeric(self) -> bool:
        return self.type in ("int", "float")

    def accepts(self, value: object) -> bool:
        if self.type == "bool":
            return isinstance(value, bool)
        if self.type == "enum":
            return isinstance(value, str) and value in self.values
        if self.type == "int":
            return isinstance(value, int) and not isinstance(value, bool)
        return isinstance(value, int | float) and not isinstance(value, bool)


def finite(value: object) -> float | None:
    """A measured number as a fact value: None (absent) unless a finite int or float."""
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None
