"""Saved probe results (the JSON or YAML a probe printed) read back for `recommend` and `explain`."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from advisor.errors import InputFileError
from advisor.evidence.results import (
    BatchProbeResult,
    DataScalingResult,
    LRRangeResult,
    ProbeResults,
    SanityResult,
)
from advisor.yamlio import load_yaml

# Which ProbeResults field a saved result fills, told apart by a field only that result has.
_KINDS: tuple[tuple[str, str, type[BaseModel]], ...] = (
    ("suggested_lr", "lr_range", LRRangeResult),
    ("budget_bytes", "batch", BatchProbeResult),
    ("checks", "sanity", SanityResult),
    ("points", "scaling", DataScalingResult),
)


def load_probe_results(paths: Iterable[Path], measured: ProbeResults | None = None) -> ProbeResults:
    """One ProbeResults from saved files (a whole ProbeResults, or one probe's result each),
    on top of probes measured in this run; the same probe given twice is an error."""
    fields: dict[str, Any] = dict(measured) if measured is not None else {}
    origin = {name: "this run" for name, value in fields.items() if value is not None}
    for path in paths:
        for name, result in _read(Path(path)).items():
            if name in origin:
                raise InputFileError(f"{path}: a {name.replace('_', ' ')} result is already given "
                                     f"(by {origin[name]}); give each probe once")
            fields[name], origin[name] = result, str(path)
    return ProbeResults(**fields)


def _read(path: Path) -> dict[str, BaseModel]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read saved probe results ({exc.strerror})") from None
    data = load_yaml(text, str(path))
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: expected a probe result (a mapping), got {type(data).__name__}")
    try:
        if {"lr_range", "batch", "sanity", "scaling"} & data.keys():
            whole = ProbeResults.model_validate(data)
            return {k: v for k, v in whole if v is not None}
        for key, name, model in _KINDS:
            if key in data:
                return {name: model.model_validate(data)}
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise InputFileError(f"{path}: not a valid saved probe result: {where}: {first['msg']}") from None
    raise InputFileError(f"{path}: not a saved probe result (expected the output of `advisor probe lr`, "
                         "`batch`, `sanity` or `data-scaling`, in JSON or YAML)")
