"""Conclusions that must never appear together in one answer (rules/advisor_rules/exclusions.yaml).

Each entry names two or more rules whose advice or values contradict each other. At load time
every named rule must exist, and where the conditions can be decided, no assignment of the facts
may make two of them true at once; a test checks every bundled profile as well.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from advisor.core.expression import jointly_satisfiable
from advisor.core.facts import FACTS
from advisor.core.rule import Rule
from advisor.errors import InputFileError
from advisor.yamlio import load_yaml_items

EXCLUSIONS_FILE = "exclusions.yaml"


class _ExclusionSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]*$")
    rules: tuple[str, ...] = Field(min_length=2)
    because: str = Field(min_length=10)


@dataclass(frozen=True)
class Exclusion:
    id: str
    rules: tuple[str, ...]
    because: str

    def violated_by(self, fired: Iterable[str]) -> tuple[str, ...]:
        """The rules of this exclusion among `fired`, when more than one of them fired."""
        hit = tuple(r for r in self.rules if r in set(fired))
        return hit if len(hit) > 1 else ()


def load_exclusions(path: Path, rules: Mapping[str, Rule], problem: Any, exhaustive: bool = True,
                    read: Callable[[Path], tuple[Any, list[int]]] | None = None) -> tuple[Exclusion, ...]:
    """Read and check the file; report each problem through `problem(line, message)`.
    `exhaustive`: also search for facts under which two exclusive rules fire together. `read`: the
    YAML reader (items and their lines) when the caller keeps parsed files."""
    if not path.exists():
        return ()
    try:
        data, lines = read(path) if read is not None else load_yaml_items(path.read_text(encoding="utf-8"),
                                                                          path.name)
    except (InputFileError, OSError, UnicodeDecodeError) as exc:
        problem(0, str(exc))
        return ()
    if not isinstance(data, list):
        problem(1, "an exclusions file is a YAML list of {id, rules, because}")
        return ()
    out = []
    for raw, line in zip(data, lines, strict=True):
        try:
            spec = _ExclusionSpec.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                problem(line, f"{'.'.join(map(str, err['loc'])) or 'entry'}: {err['msg']}")
            continue
        unknown = [r for r in spec.rules if r not in rules]
        if unknown:
            problem(line, f"exclusion {spec.id}: unknown rules {unknown}")
            continue
        for a, b in itertools.combinations(spec.rules if exhaustive else (), 2):
            if jointly_satisfiable((rules[a].when, rules[b].when), FACTS):
                problem(line, f"exclusion {spec.id}: {a} and {b} can both fire "
                        f"(`{rules[a].when.text}` and `{rules[b].when.text}` hold together)")
        out.append(Exclusion(spec.id, spec.rules, spec.because.strip()))
    return tuple(out)
