"""`advisor tune`: Bayesian search over the recommended space, on Optuna's storage.

The study lives in any storage Optuna's `RDBStorage` takes: a SQLite file (the default, embedded) or a
PostgreSQL / MySQL URL that workers on other machines join by name. The scikit-optimize GP is the
default sampler (`SkoptSampler`), Optuna's GP and TPE the options; the starting config is trial 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import optuna

from advisor.core.recommendation import Recommendation
from advisor.errors import AdvisorError
from advisor.tuning.optuna_study import (
    HEARTBEAT_S,
    SAMPLERS,
    OnTrial,
    make_storage,
    open_study,
    records,
    run_trials,
    storage_url,
)
from advisor.tuning.pruning import PRUNERS
from advisor.tuning.trials import TrialRecord
from advisor.user_code import import_callable


@dataclass(frozen=True)
class TuneSettings:
    objective: str
    storage: str  # a file path (SQLite) or a SQLAlchemy URL
    trials: int
    study_name: str = "advisor"
    maximize: bool = False
    seed: int = 0
    workers: int = 1
    trial_timeout: float | None = None
    resume: bool = False
    sampler: str = "gp"
    pruner: str = "curve"
    heartbeat: int = HEARTBEAT_S


def tune(rec: Recommendation, settings: TuneSettings, on_trial: OnTrial | None = None) -> list[TrialRecord]:
    """Run (or resume) the study to `settings.trials` finished trials; return every trial."""
    if settings.trials < 1:
        raise AdvisorError(f"`trials` must be >= 1, got {settings.trials}")
    if settings.sampler not in SAMPLERS:  # checked before the study is created, not after
        raise AdvisorError(f"unknown `sampler` {settings.sampler!r}; allowed: {', '.join(SAMPLERS)}")
    if settings.pruner not in PRUNERS:
        raise AdvisorError(f"unknown `pruner` {settings.pruner!r}; allowed: {', '.join(PRUNERS)}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import_callable(settings.objective)  # fail before touching the study
    study = open_study(rec, settings.storage, settings.study_name, settings.maximize, settings.resume,
                       heartbeat_interval=settings.heartbeat)
    run_trials(study, settings.objective, settings.trials, sampler=settings.sampler, pruner=settings.pruner,
               trial_timeout=settings.trial_timeout, workers=settings.workers, seed=settings.seed,
               on_trial=on_trial)
    return records(study)


def study_records(storage: str | Path, study_name: str = "advisor") -> list[TrialRecord]:
    """Every trial of the study (none where the file or the study does not exist yet)."""
    text = str(storage)
    if "://" not in text and not Path(text).is_file():
        return []
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    store = make_storage(storage_url(storage), heartbeat_interval=HEARTBEAT_S)
    try:
        study = optuna.load_study(study_name=study_name, storage=store)
    except KeyError:
        return []
    return records(study)
