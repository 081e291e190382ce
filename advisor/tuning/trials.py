"""A study's trials as the advisor shows them: one record per trial (Optuna's states read as the statuses
the results table and the convergence plot use), the best one, and the convergence plot."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optuna.trial import FrozenTrial, TrialState

INTERRUPTED = "interrupted"  # a FAIL that frees its slot (a dead worker, Ctrl-C): run again on resume
ERROR = "error"
WORKER = "advisor:worker"  # host:pid:wN of the worker that ran it
PRUNED_BY = "advisor:pruned_by"  # {"pruner", "step", and for the curve rules "verdict", "evidence"}
FINISHED = ("complete", "failed", "pruned")


@dataclass(frozen=True)
class TrialRecord:
    id: int  # Optuna's trial number, as optuna-dashboard shows it
    status: str  # running, complete, failed, pruned, interrupted
    config: dict[str, Any]  # the whole config the trial ran: the starting config under its point
    value: float | None = None
    error: str | None = None
    duration: float | None = None
    worker: str | None = None
    pruned_by: dict[str, Any] | None = None
    steps: int = 0  # intermediate values reported
    intermediate: dict[int, float] = field(default_factory=dict)


def status_of(trial: FrozenTrial) -> str:
    if trial.state == TrialState.FAIL and trial.user_attrs.get(INTERRUPTED):
        return "interrupted"
    return {TrialState.COMPLETE: "complete", TrialState.FAIL: "failed", TrialState.PRUNED: "pruned",
            TrialState.RUNNING: "running", TrialState.WAITING: "waiting"}[trial.state]


def record(trial: FrozenTrial, base: dict[str, Any]) -> TrialRecord:
    duration = None
    if trial.datetime_start and trial.datetime_complete:
        duration = (trial.datetime_complete - trial.datetime_start).total_seconds()
    status = status_of(trial)
    error = trial.user_attrs.get(ERROR) or trial.user_attrs.get(INTERRUPTED)
    pruned_by = trial.user_attrs.get(PRUNED_BY)
    if status == "pruned" and pruned_by and not error:
        error = pruned_text(pruned_by)
    return TrialRecord(trial.number, status, {**base, **trial.params}, trial.value if status == "complete"
                       else None, error, duration, trial.user_attrs.get(WORKER), pruned_by,
                       len(trial.intermediate_values), dict(trial.intermediate_values))


def pruned_text(pruned_by: dict[str, Any]) -> str:
    """'pruned at step 3 by the curve rules: lr_too_high (the train loss ...)' in one line."""
    who = {"curve": "the curve rules", "median": "the median pruner",
           "halving": "successive halving"}.get(pruned_by.get("pruner", ""), str(pruned_by.get("pruner")))
    verdict = f": {pruned_by['verdict']}" if pruned_by.get("verdict") else ""
    evidence = f" ({pruned_by['evidence']})" if pruned_by.get("evidence") else ""
    return f"pruned at step {pruned_by.get('step')} by {who}{verdict}{evidence}"


def best_trial(trials: list[TrialRecord], maximize: bool) -> TrialRecord | None:
    done = [t for t in trials if t.status == "complete" and t.value is not None]
    if not done:
        return None
    return max(done, key=lambda t: t.value) if maximize else min(done, key=lambda t: t.value)


def convergence_points(trials: list[TrialRecord], maximize: bool) -> tuple[list[tuple[int, float]],
                                                                            list[tuple[int, float]]]:
    """(trial id, value) of each successful trial, and (trial id, best so far) from the first success
    on, over the finished trials: ids, not positions, so an interrupted trial leaves a gap."""
    best: float | None = None
    raw: list[tuple[int, float]] = []
    steps: list[tuple[int, float]] = []
    for t in sorted(trials, key=lambda t: t.id):
        if t.status not in FINISHED:
            continue
        if t.status == "complete" and t.value is not None:
            raw.append((t.id, t.value))
            best = t.value if best is None else (max(best, t.value) if maximize else min(best, t.value))
        if best is not None:
            steps.append((t.id, best))
    return raw, steps


def convergence_plot(trials: list[TrialRecord], maximize: bool, path: Path) -> Path | None:
    """Trial values and the best so far over trial ids; pruned trials marked at their last reported
    value. None where matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    from matplotlib.ticker import MaxNLocator

    from advisor.outputs.files import write_atomic

    raw, steps = convergence_points(trials, maximize)
    pruned = [(t.id, t.intermediate[max(t.intermediate)]) for t in trials
              if t.status == "pruned" and t.intermediate]
    fig, ax = plt.subplots(figsize=(7, 4))
    if raw:
        ax.plot(*zip(*raw, strict=True), ".", color="0.6", label="trial value")
    if pruned:
        ax.plot(*zip(*pruned, strict=True), "x", color="C3", label="pruned (last reported)")
    if steps:
        ax.step(*zip(*steps, strict=True), where="post", color="C0", lw=2, label="best so far")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial id")
    ax.set_ylabel("objective")
    ax.set_title("advisor tune: convergence")
    ax.legend()
    fig.tight_layout()
    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=120)
    plt.close(fig)
    write_atomic(path, image.getvalue())  # whole or absent; mode 0666 less the umask
    return path
