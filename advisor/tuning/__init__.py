"""`advisor tune`: the search loop over a recommendation's space, on an Optuna study.

Lazy: the job store imports `advisor.tuning.sqlite_files`, which must not load Optuna with it."""

from __future__ import annotations

from typing import Any

__all__ = ["TrialRecord", "TuneSettings", "best_trial", "study_records", "tune"]


def __getattr__(name: str) -> Any:
    if name in ("TrialRecord", "best_trial"):
        from advisor.tuning import trials

        return getattr(trials, name)
    if name in ("TuneSettings", "study_records", "tune"):
        from advisor.tuning import tuner

        return getattr(tuner, name)
    raise AttributeError(f"module 'advisor.tuning' has no attribute {name!r}")
