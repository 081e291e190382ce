"""Calling the user's objective once: its value, or the error that makes the trial failed, or the
pruning decision that stopped it; an exception, NaN, a non-number or a timeout reads the same for every
caller.

The objective is `objective(config)` or `objective(config, report)`: with a second parameter it gets a
`report(step, value, **metrics)` callable for its intermediate values, which raises `Pruned` when the
trial should stop. It may also return `{"value": v, "history": [v0, v1, ...]}` (or a list of row
dicts with `value`) to record its curve after the fact.
"""

from __future__ import annotations

import inspect
import math
import signal
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Report = Callable[..., None]


class TrialTimeout(Exception):
    pass


class Pruned(Exception):
    """Raised by `report` when the trial should stop; `why` is what gets recorded on the trial."""

    def __init__(self, why: dict[str, Any]) -> None:
        super().__init__(why.get("pruner", "pruned"))
        self.why = why


@dataclass(frozen=True)
class Outcome:
    value: float | None = None
    error: str | None = None
    pruned: dict[str, Any] | None = None  # why, when a pruner stopped the trial
    history: list[dict[str, Any]] = field(default_factory=list)  # a returned curve: {"step", "value", ...}


def takes_report(objective: Callable[..., Any]) -> bool:
    """Whether the objective has a second parameter (or one named `report`) to receive `report`."""
    return _report_mode(objective) is not None


def _report_mode(objective: Callable[..., Any]) -> str | None:
    """How `report` is passed: "keyword" (a keyword-only `report`), "positional", or None."""
    try:
        params = list(inspect.signature(objective).parameters.values())
    except (TypeError, ValueError):
        return None
    named = [p for p in params if p.name == "report"]
    if named:
        return "keyword" if named[0].kind == named[0].KEYWORD_ONLY else "positional"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return "positional" if len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params) else None


def call_objective(objective: Callable[..., Any], config: dict[str, Any], timeout: float | None,
                   report: Report | None = None) -> Outcome:
    """Run the objective once. The timeout is a SIGALRM, so it applies on the main thread only."""
    use_alarm = timeout is not None and threading.current_thread() is threading.main_thread()

    def on_alarm(signum: int, frame: Any) -> None:
        raise TrialTimeout

    if use_alarm:
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        mode = _report_mode(objective) if report is not None else None
        if mode == "keyword":
            result = objective(dict(config), report=report)
        elif mode == "positional":
            result = objective(dict(config), report)
        else:
            result = objective(dict(config))
    except TrialTimeout:
        return Outcome(error=f"timed out after {timeout:g} s")
    except Pruned as exc:
        return Outcome(pruned=exc.why)
    except Exception as exc:
        tb = traceback.extract_tb(exc.__traceback__)[-1]
        return Outcome(error=f"{type(exc).__name__}: {exc} (at {Path(tb.filename).name}:{tb.lineno})")
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    history: list[dict[str, Any]] = []
    if isinstance(result, dict):
        if "value" not in result:
            keys = sorted(map(str, result))
            return Outcome(error=f"objective returned a dict without 'value' (keys: {keys})")
        history, problem = _history(result.get("history"))
        if problem:
            return Outcome(error=problem)
        result = result["value"]
    if isinstance(result, bool) or not isinstance(result, int | float):
        return Outcome(error=f"objective returned {result!r} ({type(result).__name__}), expected a number",
                       history=history)
    if not math.isfinite(result):
        return Outcome(error=f"objective returned {result}", history=history)
    return Outcome(value=float(result), history=history)


def _history(raw: Any) -> tuple[list[dict[str, Any]], str | None]:
    """A returned curve as rows {"step", "value", metrics...}: a list of numbers (step = position) or of
    dicts with "value" (and optionally "step" and metrics such as "train_loss")."""
    if raw is None:
        return [], None
    if not isinstance(raw, list | tuple):
        return [], f"objective returned a 'history' that is not a list ({type(raw).__name__})"
    rows = []
    for i, item in enumerate(raw):
        row = dict(item) if isinstance(item, dict) else {"value": item}
        row.setdefault("step", i)
        value, step = row.get("value"), row.get("step")
        if isinstance(value, bool) or not isinstance(value, int | float) or isinstance(step, bool) \
                or not isinstance(step, int) or step < 0:
            return [], f"objective returned a 'history' whose item {i} is not a number or {{step, value}}"
        rows.append(row)
    return rows, None
