"""Stopping hopeless trials early: Optuna's median and successive-halving pruners, and the advisor's own
curve rules (the diagnosis of `advisor diagnose` run on the curve reported so far: a trial it calls
`diverged` or `lr_too_high` is stopped, the verdict and its evidence recorded on the trial).

`report(step, value, **metrics)` is what the objective calls. `value` is the objective's intermediate
value; `metrics` may add the columns a training history has (`train_loss`, `val_acc`, `grad_norm`, ...):
the LR-too-high rules read the train loss, so an objective that reports only its value is stopped by
the curve rules only when that value stops being finite.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import optuna

from advisor.core.knowledge import KnowledgeBase
from advisor.errors import AdvisorError
from advisor.tuning.objective_call import Pruned

PRUNERS = ("none", "curve", "median", "halving")
STOP_VERDICTS = ("diverged", "lr_too_high")
MIN_POINTS = 3  # the curve rules judge a shape; fewer points have none (a non-finite value is judged at once)


def optuna_pruner(kind: str, n_trials: int) -> optuna.pruners.BasePruner:
    """The Optuna pruner behind `kind` (`median`, `halving`); the curve rules run beside any of them."""
    if kind not in PRUNERS:
        raise AdvisorError(f"unknown pruner {kind!r}; allowed: {', '.join(PRUNERS)}")
    if kind == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=min(5, max(1, n_trials // 4)), n_warmup_steps=1)
    if kind == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    return optuna.pruners.NopPruner()


class CurveRules:
    """The diagnosis knowledge base as a pruner: which stop verdict, if any, a curve earns so far."""

    def __init__(self, kb: KnowledgeBase | None = None, maximize: bool = False) -> None:
        from advisor.core.knowledge import default_knowledge_base

        self.kb = kb or default_knowledge_base()
        self.maximize = maximize

    def verdict(self, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
        """{"verdict", "evidence", "rule"} for the first stop verdict the rules give `rows` (each
        {"step", "value", metrics...}), or None."""
        if not rows:
            return None
        last = rows[-1]
        if not _finite(last["value"]) or any(not _finite(v) for k, v in last.items() if k != "step"):
            return {"verdict": "diverged", "rule": "diag.curve.diverged",
                    "evidence": f"a NaN/inf value was reported at step {last['step']}"}
        if len(rows) < MIN_POINTS:
            return None
        from advisor.core.diagnosis import diagnose
        from advisor.errors import HistoryError
        from advisor.evidence.history import parse_history_json

        try:
            history = parse_history_json([_history_row(r, self.maximize) for r in rows], "reported curve")
        except HistoryError:
            return None  # metrics the history reader refuses: the Optuna pruner still judges the value
        for verdict in diagnose(history, kb=self.kb).verdicts:
            if verdict.name in STOP_VERDICTS:
                evidence = verdict.evidence[0] if verdict.evidence else None
                return {"verdict": verdict.name, "rule": evidence.rule if evidence else None,
                        "evidence": evidence.text if evidence else ""}
        return None


def _finite(value: Any) -> bool:
    return not isinstance(value, int | float) or math.isfinite(value)


def _history_row(row: dict[str, Any], maximize: bool) -> dict[str, Any]:
    """A reported point as a history row: the objective is the validation loss when minimized, else a
    validation score; reported metrics are the history's own columns."""
    out = {"epoch": row["step"], **{k: v for k, v in row.items() if k not in ("step", "value")}}
    out.setdefault("val_acc" if maximize else "val_loss", row["value"])
    return out


class Reporter:
    """The `report(step, value, **metrics)` callable handed to one trial's objective."""

    def __init__(self, trial: optuna.Trial, pruner: str, curve: CurveRules | None) -> None:
        self.trial = trial
        self.pruner = pruner
        self.curve = curve
        self.rows: list[dict[str, Any]] = []

    def __call__(self, step: int, value: float, **metrics: float) -> None:
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise AdvisorError(f"report(step, value): step must be an integer >= 0, got {step!r}")
        for name, number in {"value": value, **metrics}.items():
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise AdvisorError(f"report(step, value): {name} must be a number, got {number!r}")
        if self.rows and step <= self.rows[-1]["step"]:
            before = self.rows[-1]["step"]
            raise AdvisorError(f"report(step, value): steps must increase; {step} after {before}")
        row = {"step": step, "value": float(value), **{k: float(v) for k, v in metrics.items()}}
        self.rows.append(row)
        if math.isfinite(value):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.trial.report(float(value), step)
        if self.curve is not None:
            found = self.curve.verdict(self.rows)
            if found is not None:
                raise Pruned({"pruner": "curve", "step": step, **found})
        if self.pruner in ("median", "halving") and math.isfinite(value) and self.trial.should_prune():
            raise Pruned({"pruner": self.pruner, "step": step})
