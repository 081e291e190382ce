"""The Optuna engine of `advisor tune` (`advisor.tuning.optuna_study`): a real
SQLite storage in tmp_path, worker processes sharing its URL, and plain Optuna reading what they wrote.

No test waits a fixed time for another process: each waits, with a deadline, for a file or a state."""

from __future__ import annotations

import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState

from advisor import load_profile, recommend
from advisor.errors import AdvisorError, StudyError
from advisor.tuning.optuna_study import (
    ERROR,
    INTERRUPTED,
    OWNER,
    STARTING,
    WORKER,
    WORKER_DIED,
    config_of,
    open_study,
    run_trials,
    storage_url,
)
from advisor.tuning.skopt_sampler import SkoptSampler

from .conftest import ROOT

PROFILE = ROOT / "tests" / "profiles" / "vision-auto-optimizer.yaml"  # lr (log) + batch + momentum
OTHER = ROOT / "tests" / "profiles" / "tabular-mlp-momentum.yaml"
TOY = ROOT / "tests" / "objectives" / "toy.py"
CASES = ROOT / "tests" / "objectives" / "optuna_cases.py"
RENDEZVOUS = ROOT / "tests" / "objectives" / "rendezvous.py"

optuna.logging.set_verbosity(optuna.logging.WARNING)


@pytest.fixture(scope="module")
def rec():
    return recommend(load_profile(PROFILE))


def point(trial: optuna.trial.FrozenTrial) -> str:
    return json.dumps(trial.params, sort_keys=True)


def counted(trials: list[optuna.trial.FrozenTrial]) -> list[optuna.trial.FrozenTrial]:
    return [t for t in trials if t.state != TrialState.WAITING and not t.user_attrs.get(INTERRUPTED)]


def test_the_starting_config_is_trial_0_and_runs_once(rec, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    trials = run_trials(open_study(rec, db, "s"), f"{TOY}:quadratic", 4)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    assert trials[0].user_attrs[STARTING] is True
    assert trials[0].params == {d.name: rec.config[d.name] for d in rec.search_space}
    assert trials[0].params["learning_rate"] == 0.1
    study = open_study(rec, db, "s", resume=True)  # reopening enqueues nothing
    trials = run_trials(study, f"{TOY}:quadratic", 6)
    assert len(trials) == 6 and sum(STARTING in t.user_attrs for t in trials) == 1
    assert len({point(t) for t in trials}) == 6
    assert config_of(study, trials[0]) == rec.model_dump(mode="json")["config"]


def test_resume_continues_to_the_total_and_a_second_open_needs_resume(rec, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    assert len(run_trials(open_study(rec, db, "s"), f"{TOY}:quadratic", 3)) == 3
    with pytest.raises(StudyError, match=r"already exists .*3 finished.*resume"):
        open_study(rec, db, "s")
    trials = run_trials(open_study(rec, db, "s", resume=True), f"{TOY}:quadratic", 7)
    assert [t.number for t in trials] == list(range(7))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    # Asking for fewer than are there runs nothing.
    assert len(run_trials(open_study(rec, db, "s", resume=True), f"{TOY}:quadratic", 5)) == 7


def test_a_study_of_another_space_or_direction_is_refused_naming_the_difference(rec, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    open_study(rec, db, "s")
    with pytest.raises(StudyError) as caught:
        open_study(recommend(load_profile(OTHER)), db, "s", resume=True)
    message = str(caught.value)
    assert "another search space" in message
    assert "learning_rate: stored real [0.03, 0.3] log-uniform, now real [0.003, 0.1]" in message
    assert "weight_decay: not in the stored space" in message
    with pytest.raises(StudyError, match="direction: stored minimize, now maximize"):
        open_study(rec, db, "s", maximize=True, resume=True)
    # Another study name in the same storage is a separate study.
    assert open_study(recommend(load_profile(OTHER)), db, "other").study_name == "other"


@pytest.mark.parametrize(("objective", "timeout", "error"), [
    ("raises", None, "ValueError: diverged at lr 0.1 (at optuna_cases.py:"),
    ("nan", None, "objective returned nan"),
    ("text", None, "objective returned 'oops' (str), expected a number"),
    ("sleepy", 0.3, "timed out after 0.3 s"),
])
def test_a_failing_trial_is_fail_with_its_error(rec, tmp_path: Path, objective: str, timeout: float | None,
                                               error: str) -> None:
    study = open_study(rec, tmp_path / "study.db", "s")
    started = time.monotonic()
    trials = run_trials(study, f"{CASES}:{objective}", 2, trial_timeout=timeout)
    assert time.monotonic() - started < 20
    assert [t.state for t in trials] == [TrialState.FAIL] * 2
    assert trials[0].user_attrs[ERROR].startswith(error)
    assert not trials[0].user_attrs.get(INTERRUPTED)  # a failure takes its slot: it is not re-run


def test_a_dict_result_gives_its_value(rec, tmp_path: Path) -> None:
    trials = run_trials(open_study(rec, tmp_path / "study.db", "s"), f"{CASES}:as_dict", 1)
    assert trials[0].state == TrialState.COMPLETE
    assert trials[0].value == pytest.approx((0.1 - 0.05) ** 2 + 0.9)


def test_bad_arguments_are_refused_before_any_trial(rec, tmp_path: Path) -> None:
    study = open_study(rec, tmp_path / "study.db", "s")
    with pytest.raises(AdvisorError, match="unknown sampler 'cmaes'; allowed: gp, optuna-gp, tpe"):
        run_trials(study, f"{TOY}:quadratic", 2, sampler="cmaes")
    with pytest.raises(AdvisorError):
        run_trials(study, f"{TOY}:no_such_function", 2)
    assert [t.state for t in study.get_trials()] == [TrialState.WAITING]


def test_the_study_reads_through_plain_optuna_as_the_dashboard_does(rec, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    run_trials(open_study(rec, db, "s", maximize=True), f"{CASES}:as_dict", 3, sampler="tpe")
    study = optuna.load_study(study_name="s", storage=f"sqlite:///{db}")
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    frame = study.trials_dataframe()
    assert list(frame["number"]) == [0, 1, 2]
    assert set(frame["state"]) == {"COMPLETE"}
    assert {"params_learning_rate", "params_batch_size", "params_momentum"} <= set(frame.columns)
    assert study.best_trial.value == max(frame["value"])
    assert optuna.get_all_study_names(storage_url(db)) == ["s"]


@pytest.mark.parametrize("sampler", ["gp", "optuna-gp", "tpe"])
def test_each_sampler_runs_a_study(rec, tmp_path: Path, sampler: str) -> None:
    trials = run_trials(open_study(rec, tmp_path / "study.db", "s"), f"{TOY}:quadratic", 6, sampler=sampler)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 6


def _pair(trial: optuna.Trial) -> float:
    return trial.suggest_categorical("a", [1, 2, 3]) + len(trial.suggest_categorical("b", list("xyz")))


def test_a_small_discrete_space_is_covered_without_repeats() -> None:
    from optuna.distributions import CategoricalDistribution

    space = {"a": CategoricalDistribution([1, 2, 3]), "b": CategoricalDistribution(["x", "y", "z"])}
    study = optuna.create_study(sampler=SkoptSampler(space, seed=0, n_initial_points=2))
    study.optimize(_pair,
                   n_trials=9)
    assert len({point(t) for t in study.trials}) == 9


def test_running_trials_are_pending_points_the_next_ask_avoids() -> None:
    from optuna.distributions import CategoricalDistribution

    space = {"a": CategoricalDistribution([1, 2])}
    study = optuna.create_study(sampler=SkoptSampler(space, seed=3, n_initial_points=1))
    first = study.ask()
    a = first.suggest_categorical("a", [1, 2])  # left RUNNING
    second = study.ask()
    assert second.suggest_categorical("a", [1, 2]) != a


def _quadratic(trial: optuna.Trial) -> float:
    x, y = trial.suggest_float("x", -5, 5), trial.suggest_float("y", -5, 5)
    return (x - 1.3) ** 2 + (y + 2.1) ** 2


def test_skopt_sampler_beats_random_on_a_2d_quadratic() -> None:
    space = {"x": FloatDistribution(-5, 5), "y": FloatDistribution(-5, 5)}
    best = {"gp": [], "random": []}
    for seed in range(3):
        for name, sampler in (("gp", SkoptSampler(space, seed=seed)),
                              ("random", optuna.samplers.RandomSampler(seed=seed))):
            study = optuna.create_study(sampler=sampler)
            study.optimize(_quadratic, n_trials=15)
            best[name].append(study.best_value)
    gp, random = statistics.median(best["gp"]), statistics.median(best["random"])
    assert gp < 0.1 and gp < random / 5, best


def test_the_sampler_is_deterministic_given_a_seed() -> None:
    space = {"x": FloatDistribution(-5, 5), "y": FloatDistribution(-5, 5)}
    runs = []
    for _ in range(2):
        study = optuna.create_study(sampler=SkoptSampler(space, seed=7))
        study.optimize(_quadratic, n_trials=8)
        runs.append([t.params for t in study.trials])
    assert runs[0] == runs[1]


def _runner(db: Path, name: str, objective: str, trials: int, workers: int, **extra: object) -> list[str]:
    code = ("import faulthandler\n"
            "faulthandler.dump_traceback_later(150, exit=True)\n"  # a hang shows a stack
            "from advisor import load_profile, recommend\n"
            "from advisor.tuning.optuna_study import open_study, run_trials\n"
            f"study = open_study(recommend(load_profile({str(PROFILE)!r})), {str(db)!r}, {name!r}, "
            f"resume=True, **{extra!r})\n"
            f"run_trials(study, {objective!r}, {trials}, workers={workers})\n")
    return [sys.executable, "-c", code]


def test_two_processes_of_two_workers_share_one_study(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    env = {**os.environ, "RENDEZVOUS_DIR": str(tmp_path / "met"), "RENDEZVOUS_N": "4"}
    procs = [subprocess.Popen(_runner(db, "s", f"{RENDEZVOUS}:objective", 10, 2), cwd=ROOT, env=env,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=200)
        assert proc.returncode == 0, err
    trials = optuna.load_study(study_name="s", storage=storage_url(db)).trials
    done = counted(trials)
    assert len(done) == 10 and all(t.state == TrialState.COMPLETE for t in done)
    assert len({point(t) for t in done}) == 10  # no two workers ran one config
    assert sum(STARTING in t.user_attrs for t in done) == 1 and done[0].number == 0
    assert len({t.user_attrs[WORKER] for t in done}) == 4  # the rendezvous made all four run at once
    assert len(trials) - len(done) <= 3  # at most a race-lost slot per other worker, left WAITING


def test_a_killed_workers_trial_is_fail_and_its_slot_runs_again(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    mark = tmp_path / "pid"
    beat = {"heartbeat_interval": 1, "grace_period": 2}
    proc = subprocess.Popen(_runner(db, "s", f"{CASES}:hang_then_mark", 2, 1, **beat), cwd=ROOT,
                            env={**os.environ, "MARK_FILE": str(mark)}, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not mark.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    rec = recommend(load_profile(PROFILE))
    study = open_study(rec, db, "s", resume=True, **beat)
    while True:  # wait for the grace period to pass: the next run fails the stale trial
        trial = study.get_trials()[0]
        age = time.time() - trial.datetime_start.timestamp()
        if age > 4:
            break
        time.sleep(0.2)
    # As if the worker had run on another machine: only its silence tells that it died.
    running = study.get_trials()[0]
    study._storage.set_trial_user_attr(running._trial_id, OWNER, {"host": "elsewhere", "pid": proc.pid})
    trials = run_trials(study, f"{TOY}:quadratic", 2)
    assert trials[0].state == TrialState.FAIL
    assert trials[0].user_attrs[INTERRUPTED] == WORKER_DIED
    assert trials[0].user_attrs[ERROR].startswith("worker died (no heartbeat for more than 2 s)")
    assert [t.state for t in trials[1:]] == [TrialState.COMPLETE] * 2  # its slot was run again
    assert math.isfinite(trials[1].value)
