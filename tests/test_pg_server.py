"""The throwaway PostgreSQL server (tests/pg_server.py) and Optuna's RDBStorage on it (issue 16).

Workers are separate `spawn` processes; they report each trial they finished through a queue from a
study callback (called after the trial is told to the storage), so the parent can compare what the
workers finished with what the storage holds. Every wait polls a condition against a deadline.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import uuid
from collections import Counter
from typing import Any

import optuna
import pytest
import sqlalchemy as sa

from .pg_server import postgres_url, wait_for  # noqa: F401

N_TRIALS = 12
DEADLINE_S = 30.0

optuna.logging.set_verbosity(optuna.logging.WARNING)
pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")  # heartbeat API




def _objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    return x * x


def _finished_worker(url: str, study_name: str, n_trials: int, queue: Any) -> None:
    """A worker process: n_trials of a trivial objective on 2 threads, each finished trial reported."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=study_name, storage=url)
    study.optimize(_objective, n_trials=n_trials, n_jobs=2,
                   callbacks=[lambda _study, trial: queue.put((os.getpid(), trial.number))])


def _hanging_worker(url: str, study_name: str, n_finished: int, queue: Any) -> None:
    """Finishes n_finished trials, then hangs inside the next one (announced) until it is killed."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(url, heartbeat_interval=1, grace_period=2)
    study = optuna.load_study(study_name=study_name, storage=storage)

    def objective(trial: optuna.Trial) -> float:
        if trial.number >= n_finished:
            queue.put(("hanging", trial.number))
            while True:
                time.sleep(60)
        return _objective(trial)

    study.optimize(objective, callbacks=[lambda _study, trial: queue.put(("done", trial.number))])


def _heartbeats(url: str, trial_id: int) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("select count(*) from trial_heartbeats where trial_id = :id"),
                                {"id": trial_id}).scalar_one()
    finally:
        engine.dispose()


def _drain(queue: Any, count: int) -> list[Any]:
    return [queue.get(timeout=DEADLINE_S) for _ in range(count)]


def test_server_accepts_connections(postgres_url: str) -> None:  # noqa: F811
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("select 1")).scalar_one() == 1
            assert conn.execute(sa.text("select current_database()")).scalar_one() == engine.url.database
    finally:
        engine.dispose()


def test_rdb_storage_across_processes(postgres_url: str) -> None:  # noqa: F811
    name = f"across-{uuid.uuid4().hex[:8]}"
    optuna.create_study(storage=postgres_url, study_name=name)
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_finished_worker, args=(postgres_url, name, N_TRIALS // 2, queue))
               for _ in range(2)]
    for w in workers:
        w.start()
    try:
        reported = _drain(queue, N_TRIALS)
        for w in workers:
            w.join(timeout=DEADLINE_S)
            assert w.exitcode == 0
    finally:
        for w in workers:
            if w.is_alive():
                w.kill()
    assert {pid for pid, _ in reported} == {w.pid for w in workers}

    trials = optuna.load_study(study_name=name, storage=postgres_url).get_trials(deepcopy=False)
    assert len(trials) == N_TRIALS
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert sorted(t.number for t in trials) == list(range(N_TRIALS))
    assert Counter(number for _, number in reported) == Counter(t.number for t in trials)
    assert all(t.value == pytest.approx(t.params["x"] ** 2) for t in trials)


def test_killed_worker_trial_is_failed_by_heartbeat(postgres_url: str) -> None:  # noqa: F811
    name = f"heartbeat-{uuid.uuid4().hex[:8]}"
    storage = optuna.storages.RDBStorage(postgres_url, heartbeat_interval=1, grace_period=2)
    study = optuna.create_study(storage=storage, study_name=name)
    n_finished = 3
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    worker = ctx.Process(target=_hanging_worker, args=(postgres_url, name, n_finished, queue))
    worker.start()
    try:
        messages = _drain(queue, n_finished + 1)
        assert messages[-1] == ("hanging", n_finished)
        done = [number for kind, number in messages if kind == "done"]
        assert done == list(range(n_finished))
        # Killed mid-trial: the hung trial is RUNNING and has had its first heartbeat (a trial that
        # never beat is never stale to Optuna).
        hung = study.get_trials(deepcopy=False)[n_finished]
        assert hung.state == optuna.trial.TrialState.RUNNING
        wait_for(lambda: _heartbeats(postgres_url, hung._trial_id), "the hanging trial's first heartbeat")
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=DEADLINE_S)
        assert worker.exitcode == -signal.SIGKILL
    finally:
        if worker.is_alive():
            worker.kill()

    def hung_trial_failed() -> bool:
        optuna.storages.fail_stale_trials(study)
        return study.get_trials(deepcopy=False)[n_finished].state == optuna.trial.TrialState.FAIL

    wait_for(hung_trial_failed, "the heartbeat to mark the killed worker's trial FAIL")
    trials = study.get_trials(deepcopy=False)
    assert [t.number for t in trials] == list(range(n_finished + 1))
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * n_finished + [
        optuna.trial.TrialState.FAIL]
    assert Counter(done) == Counter(t.number for t in trials if t.state == optuna.trial.TrialState.COMPLETE)
