"""`advisor tune` on Optuna's storage: a real SQLite study file, killed with SIGKILL and resumed, shared by
worker processes, pruned, and read back with plain Optuna the way optuna-dashboard reads it.

No test waits a fixed time for another process: each waits, with a deadline, for a state of the study
file or for a file the objective writes."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import yaml

from advisor import load_profile, recommend
from advisor.tuning.trials import TrialRecord, convergence_points
from advisor.tuning.tuner import study_records

from .conftest import ROOT

PROFILE = ROOT / "tests" / "profiles" / "vision-auto-optimizer.yaml"  # lr + batch + momentum
TOY = ROOT / "tests" / "objectives" / "toy.py"
CURVES = ROOT / "tests" / "objectives" / "curves.py"
RENDEZVOUS = ROOT / "tests" / "objectives" / "rendezvous.py"


def rows(db: Path) -> list[tuple]:
    """(id, worker, status, value, error) of every trial, read through the advisor's records."""
    return [(t.id, t.worker, t.status, t.value, t.error) for t in study_records(db)]


def tune_args(db: Path | str, objective: str = "quadratic", trials: int = 8, *extra: str) -> list[str]:
    return ["tune", str(PROFILE), "--objective", f"{TOY}:{objective}", "--trials", str(trials),
            "--storage", str(db), *extra]


def test_a_study_runs_and_writes_its_results(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    result = cli(*tune_args(db, trials=8))
    assert result.code == 0, result.err
    done = study_records(db)
    assert [t.status for t in done] == ["complete"] * 8 and [t.id for t in done] == list(range(8))
    first = yaml.safe_load((tmp_path / "best_config.yaml").read_text())
    assert first["learning_rate"] > 0
    assert (tmp_path / "convergence.png").read_bytes()[:4] == b"\x89PNG"
    # The advisor's starting config ran first, as trial 0.
    assert done[0].config["learning_rate"] == recommend(load_profile(PROFILE)).config["learning_rate"] == 0.1
    assert len({(t.config["learning_rate"], t.config["batch_size"], t.config["momentum"]) for t in done}) == 8


def test_the_study_reads_back_through_optunas_storage_api_as_the_dashboard_does(cli, tmp_path: Path) -> None:
    """optuna-dashboard opens the storage URL and lists studies, then each study's directions, user
    attrs and trials (params with their distributions, values, states, intermediate values)."""
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{CURVES}:reporting", "--trials", "5", "--storage", db,
                 "--study-name", "lr-search")
    assert result.code == 0, result.err
    storage = optuna.storages.RDBStorage(f"sqlite:///{db}")
    [summary] = storage.get_all_studies()
    assert summary.study_name == "lr-search"
    assert storage.get_study_directions(summary._study_id) == [optuna.study.StudyDirection.MINIMIZE]
    attrs = storage.get_study_user_attrs(summary._study_id)
    assert [d["name"] for d in attrs["advisor:fingerprint"]["search_space"]] == ["learning_rate",
                                                                                "batch_size", "momentum"]
    trials = storage.get_all_trials(summary._study_id)
    assert len(trials) == 5
    assert {type(d).__name__ for t in trials for d in t.distributions.values()} <= {
        "FloatDistribution", "IntDistribution", "CategoricalDistribution"}
    assert trials[0].params["learning_rate"] == 0.1 and trials[0].user_attrs["advisor:starting_config"]
    assert all(t.intermediate_values for t in trials)  # the reported curves, for the dashboard's plot
    study = optuna.load_study(study_name="lr-search", storage=f"sqlite:///{db}")
    assert study.best_trial.number in {t.number for t in trials}


def test_failed_trials_are_recorded_and_the_study_goes_on(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    result = cli(*tune_args(db, "flaky", 10))
    done = rows(db)
    assert len(done) == 10 and all(r[2] in ("complete", "failed") for r in done)
    errors = [r[4] for r in done if r[2] == "failed"]
    assert errors and all(errors)
    assert any("diverged" in e or "nan" in e or "expected a number" in e for e in errors)
    assert result.code in (0, 1)


def test_trial_timeout(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    result = cli(*tune_args(db, "sleepy", 2, "--trial-timeout", "0.2"))
    assert result.code == 1  # nothing succeeded
    assert [r[4] for r in rows(db)] == ["timed out after 0.2 s"] * 2


@pytest.mark.parametrize("sampler", ["optuna-gp", "tpe"])
def test_optunas_samplers_are_options(cli, tmp_path: Path, sampler: str) -> None:
    db = tmp_path / "study.db"
    result = cli(*tune_args(db, trials=6), "--sampler", sampler)
    assert result.code == 0, result.err
    done = study_records(db)
    assert [t.status for t in done] == ["complete"] * 6 and done[0].config["learning_rate"] == 0.1
    assert cli(*tune_args(tmp_path / "x.db", trials=2), "--sampler", "cmaes").code == 2


def test_a_database_url_and_an_out_folder(cli, tmp_path: Path) -> None:
    db = tmp_path / "data" / "study.sqlite"
    db.parent.mkdir()
    result = cli(*tune_args(f"sqlite:///{db}", trials=3), "--out", tmp_path / "results")
    assert result.code == 0, result.err
    assert len(study_records(f"sqlite:///{db}")) == 3
    assert (tmp_path / "results" / "best_config.yaml").is_file()


# A toy objective written next to the study: quick, but once a process has made GATE_AFTER calls the
# next one blocks until the process is killed, so the test kills it at a known point: mid-trial.
GATED = """\
import math, os, time

CALLS = 0


def objective(config):
    global CALLS
    CALLS += 1
    if CALLS > int(os.environ.get("GATE_AFTER", "1000000")):
        time.sleep(600)
    return (math.log10(config["learning_rate"]) + 2.5) ** 2
"""


def count(db: Path, state: str) -> int:
    """Trials in Optuna's `state` (COMPLETE, FAIL; RUNNING counts those whose worker has recorded itself
    on them, so a kill lands inside the objective); 0 while the study file or its schema does not exist."""
    if not db.exists():
        return 0
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'trial_user_attributes'").fetchone():
            return 0
        if state == "RUNNING":
            return conn.execute("SELECT COUNT(*) FROM trials t JOIN trial_user_attributes a USING (trial_id) "
                                "WHERE t.state = 'RUNNING' AND a.key = 'advisor:owner'").fetchone()[0]
        return conn.execute("SELECT COUNT(*) FROM trials WHERE state = ?", (state,)).fetchone()[0]


def test_kill_9_mid_trial_loses_no_finished_trial(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    objective = tmp_path / "gated.py"
    objective.write_text(GATED)
    cmd = [sys.executable, "-m", "advisor", "tune", str(PROFILE), "--objective", f"{objective}:objective",
           "--trials", "8", "--storage", str(db)]
    log = tmp_path / "tune.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, env={**os.environ, "GATE_AFTER": "4"}, stdout=subprocess.DEVNULL,
                                stderr=err)
    try:
        deadline = time.monotonic() + 60
        # Four trials finished and the fifth claimed: the process now sits inside trial 4.
        while count(db, "COMPLETE") < 4 or count(db, "RUNNING") < 1:
            assert proc.poll() is None, f"tune exited early: {log.read_text()}"
            assert time.monotonic() < deadline, "the study never reached its fifth trial"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    before = rows(db)
    assert [r[2] for r in before] == ["complete"] * 4 + ["running"]
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    after = rows(db)
    assert after[:4] == before[:4]  # finished trials untouched
    assert after[4][2] == "interrupted" and after[4][4] == f"worker died (process {proc.pid} is gone)"
    assert [r[2] for r in after[5:]] == ["complete"] * 4  # the slot of the lost trial is run again
    note = f"trial #4 interrupted: worker died (process {proc.pid} is gone)"
    assert note in resumed.stdout + resumed.stderr


def test_two_workers_share_the_study_without_duplicates(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RENDEZVOUS_DIR", str(tmp_path / "arrived"))
    monkeypatch.setenv("RENDEZVOUS_N", "2")
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{RENDEZVOUS}:objective", "--trials", "6", "--storage", db,
                 "--workers", "2")
    assert result.code == 0, result.err
    done = study_records(db)
    assert [t.id for t in done] == [0, 1, 2, 3, 4, 5]  # never more trials than asked
    assert [t.status for t in done] == ["complete"] * 6
    assert {t.worker.rsplit(":", 1)[1] for t in done} == {"w0", "w1"}
    assert len({(t.config["learning_rate"], t.config["batch_size"], t.config["momentum"]) for t in done}) == 6


def test_bad_studies_are_refused_and_left_intact(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    assert cli(*tune_args(db, trials=3)).code == 0
    again = cli(*tune_args(db, trials=3))
    assert again.code == 2 and "already exists (3 finished trials)" in again.err
    other = ROOT / "examples" / "tabular-mlp-adam.yaml"
    mismatch = cli("tune", other, "--objective", f"{TOY}:quadratic", "--trials", "5", "--storage", db,
                   "--resume")
    assert mismatch.code == 2 and "belongs to another search space or direction" in mismatch.err
    maximized = cli(*tune_args(db, trials=5), "--resume", "--maximize")
    assert maximized.code == 2 and "direction: stored minimize, now maximize" in maximized.err
    assert len(rows(db)) == 3
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    bad = cli(*tune_args(garbage, trials=2))
    assert bad.code == 2 and "not a usable study database" in bad.err
    assert garbage.read_bytes() == b"this is not sqlite" * 100
    missing = cli(*tune_args(tmp_path / "x.db", "nope", 2))
    assert missing.code == 2 and "has no attribute 'nope'" in missing.err
    unreachable = cli(*tune_args("postgresql+psycopg2://u:secret@127.0.0.1:9/none", trials=2))
    assert unreachable.code == 2 and "cannot open the study storage" in unreachable.err
    assert "secret" not in unreachable.err  # no password on screen


def test_a_study_file_of_the_old_format_is_refused_in_one_line(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:  # the pre-Optuna schema's two tables
        conn.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                           "CREATE TABLE trials (id INTEGER PRIMARY KEY, worker TEXT, status TEXT);"
                           "INSERT INTO trials VALUES (1, 'w0', 'complete');")
    kept = db.read_bytes()
    result = cli(*tune_args(db, trials=3), "--resume")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line == (f"error: {db} is a study file of the old `advisor tune` format, which Optuna cannot "
                    "read; move it away (or give another --storage) to start a new study")
    assert db.read_bytes() == kept


@pytest.mark.parametrize("trials", [0])
def test_trials_must_be_positive(cli, tmp_path: Path, trials: int) -> None:
    assert cli(*tune_args(tmp_path / "s.db", trials=trials)).code == 2


BROKEN = """\
def objective(config):
    raise RuntimeError(f"no such dataset: /data/train-{config['batch_size']}.npz " + "x" * 80)
"""


def test_when_every_trial_fails_the_first_error_is_the_message(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    objective = tmp_path / "broken.py"
    objective.write_text(BROKEN)
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{objective}:objective", "--trials", "3", "--storage", db)
    assert result.code == 1
    first = rows(db)[0][4]
    assert first.startswith("RuntimeError: no such dataset: /data/train-128.npz xxx")
    assert f"error: all 3 trials failed; the first, trial #0: {first}" in result.err.replace("\n", "")
    table = [line for line in result.out.splitlines() if "RuntimeError" in line]
    assert len(table) == 3 and all("failed" in line and line.rstrip("│ ").endswith("…") for line in table)
    assert not (tmp_path / "best_config.yaml").exists()


def test_the_table_shows_each_failed_trials_error(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    objective = tmp_path / "half.py"
    objective.write_text("def objective(config):\n    if config['learning_rate'] > 0.05:\n"
                         "        raise ValueError(f\"diverged at lr {config['learning_rate']}\")\n"
                         "    return config['learning_rate']\n")
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{objective}:objective", "--trials", "6", "--storage", db)
    failed = {r[0]: r[4] for r in rows(db) if r[2] == "failed"}
    assert failed and len(failed) < 6 and result.code == 0
    lines = {int(line.split("│")[1]): line for line in result.out.splitlines()
             if line.startswith("│") and line.split("│")[1].strip().isdigit()}
    assert len(lines) == 6
    for trial_id, error in failed.items():
        assert error[:40] in lines[trial_id] and "failed" in lines[trial_id]  # clipped at 60
        assert f"trial #{trial_id} failed: {error}" in result.err  # and whole in the notes
    assert all("│ complete │" in line and "Error" not in line for i, line in lines.items() if i not in failed)


def test_progress_is_one_plain_line_per_trial_with_the_best_so_far(cli, tmp_path: Path) -> None:
    result = cli(*tune_args(tmp_path / "study.db", trials=4))
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if line.startswith("tune: ")]
    assert [line.split(",")[0] for line in lines] == [f"tune: trial {i}/4 done" for i in range(1, 5)]
    assert lines[0] == "tune: trial 1/4 done, #0 2.25, best 2.25"  # the starting config, lr 0.1
    values = [t.value for t in study_records(tmp_path / "study.db")]
    for i, line in enumerate(lines):
        assert line.endswith(f"best {min(values[: i + 1]):.4g}")
    assert "\x1b[" not in result.err  # no bar, no cursor movement


def test_trials_default_to_the_profiles_budget(cli, tmp_path: Path) -> None:
    profile = tmp_path / "three.yaml"
    profile.write_text(PROFILE.read_text().replace("trials: 20", "trials: 3"))
    result = cli("tune", profile, "--objective", f"{TOY}:quadratic", "--storage", tmp_path / "study.db")
    assert result.code == 0, result.err
    assert len(rows(tmp_path / "study.db")) == 3


# Raises KeyboardInterrupt (what Ctrl-C raises) in its fourth call, as if the user pressed it mid-trial.
CTRL_C = """\
import math
from pathlib import Path


def objective(config):
    calls = Path(__file__).with_name("calls")
    calls.write_text(calls.read_text() + "x" if calls.exists() else "x")
    if len(calls.read_text()) == 4:
        raise KeyboardInterrupt
    return (math.log10(config["learning_rate"]) + 2.5) ** 2
"""


def test_ctrl_c_says_what_was_saved_and_resume_continues(cli, tmp_path: Path) -> None:
    objective = tmp_path / "ctrl_c.py"
    objective.write_text(CTRL_C)
    db = tmp_path / "study.db"
    args = ["tune", PROFILE, "--objective", f"{objective}:objective", "--trials", "6", "--storage", db]
    result = cli(*args)
    assert result.code == 130
    assert "Traceback" not in result.err
    assert result.err.splitlines()[-1] == (f"interrupted: 3 finished trials are saved in study 'advisor' in "
                                           f"{db}; run the same command with --resume to continue")
    assert [r[2:] for r in rows(db)] == [("complete", r[3], None) for r in rows(db)[:3]] + [
        ("interrupted", None, "interrupted (Ctrl-C)")]
    resumed = cli(*args, "--resume")
    assert resumed.code == 0, resumed.err
    assert [r[2] for r in rows(db)] == ["complete"] * 3 + ["interrupted"] + ["complete"] * 3


def test_sigint_stops_every_worker_and_each_marks_its_trial(tmp_path: Path) -> None:
    """A real SIGINT to `advisor tune --workers 2`: the helper is interrupted too, no trial is left
    'running', no traceback, one line says what was saved, exit 130."""
    db = tmp_path / "study.db"
    objective = tmp_path / "gated.py"
    objective.write_text(GATED)
    cmd = [sys.executable, "-m", "advisor", "tune", str(PROFILE), "--objective", f"{objective}:objective",
           "--trials", "20", "--storage", str(db), "--workers", "2"]
    log = tmp_path / "tune.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, env={**os.environ, "GATE_AFTER": "2"}, stdout=subprocess.DEVNULL,
                                stderr=err)
    try:
        deadline = time.monotonic() + 90
        # Each worker process finishes two trials, then sits in its third: two trials running.
        while count(db, "RUNNING") < 2 or count(db, "COMPLETE") < 4:
            assert proc.poll() is None, f"tune exited early: {log.read_text()}"
            assert time.monotonic() < deadline, f"both workers never got stuck: {rows(db)}"
            time.sleep(0.05)
        finished = count(db, "COMPLETE")
        proc.send_signal(signal.SIGINT)  # the parent only: it stops its helper itself
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = log.read_text()
    assert "Traceback" not in stderr, stderr
    assert stderr.splitlines()[-1] == (f"interrupted: {finished} finished trials are saved in study "
                                       f"'advisor' in {db}; run the same command with --resume to continue")
    assert sorted(r[2] for r in rows(db) if r[2] != "complete") == ["interrupted", "interrupted"]
    assert "tune: trial 1/20 done" in stderr  # plain progress lines in a log file


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600)])
def test_tune_files_honour_the_umask(cli, tmp_path: Path, mask: int, expected: int) -> None:
    previous = os.umask(mask)
    try:
        result = cli(*tune_args(tmp_path / "study.db", trials=3))
    finally:
        os.umask(previous)
    assert result.code == 0, result.err
    for name in ("study.db", "best_config.yaml", "convergence.png"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == expected, name


def test_the_convergence_plot_is_drawn_over_trial_ids() -> None:
    def trial(id_: int, status: str, value: float | None) -> TrialRecord:
        return TrialRecord(id_, status, {}, value, None if status == "complete" else "x", 1.0)

    trials = [trial(0, "failed", None), trial(1, "complete", 3.0), trial(2, "interrupted", None),
              trial(3, "complete", 5.0), trial(4, "pruned", None), trial(5, "complete", 1.0),
              trial(6, "running", None)]
    raw, best = convergence_points(trials, maximize=False)
    assert raw == [(1, 3.0), (3, 5.0), (5, 1.0)]
    assert best == [(1, 3.0), (3, 3.0), (4, 3.0), (5, 1.0)]  # ids, with the gap the interrupted trial left
    assert convergence_points(trials, maximize=True)[1] == [(1, 3.0), (3, 5.0), (4, 5.0), (5, 5.0)]


# A study file that lost its data says so; it is never silently replaced by an empty study.

def _filled(path: Path) -> Path:
    """A closed Optuna study with enough trials to span several pages."""
    study = optuna.create_study(storage=f"sqlite:///{path}", study_name="advisor")
    for i in range(60):
        study.add_trial(optuna.trial.create_trial(
            params={"x": float(i)}, distributions={"x": optuna.distributions.FloatDistribution(0, 100)},
            value=float(i), user_attrs={"pad": "p" * 200}))
    return path


def _damage_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for n in range(3, len(data) // page):  # scribble over the middle of every page but the first three
        data[n * page + 8: n * page + 400] = bytes(range(256)) + bytes(136)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("spoil", "why"), [
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "(damaged"),
    (_damage_pages, "(damaged"),
    (lambda p: p.write_bytes(b"not a database " * 100), "(1500 bytes that are not an SQLite database)"),
])
def test_a_truncated_or_damaged_study_is_one_line_and_exit_2(cli, tmp_path: Path, spoil, why: str) -> None:
    db = _filled(tmp_path / "study.db")
    spoil(db)
    spoiled = db.read_bytes()
    result = cli(*tune_args(db, trials=3), "--resume")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith(f"error: {db}: not a usable study database {why}") and "Traceback" not in line
    assert line.endswith("move it away to start a new study, or restore it from a backup")
    assert db.read_bytes() == spoiled  # left as it was for whoever restores it


def test_four_workers_in_two_processes_never_repeat_a_config(tmp_path: Path) -> None:
    """Two `advisor tune --workers 2` on one study (as from two shells): 20 trials, 20 distinct configs,
    the starting config once. All four workers' first trials run at once (the rendezvous objective),
    so each asks while the others' points are pending."""
    db = tmp_path / "study.db"
    env = {**os.environ, "RENDEZVOUS_DIR": str(tmp_path / "arrived"), "RENDEZVOUS_N": "4"}
    cmd = [sys.executable, "-m", "advisor", "tune", str(PROFILE), "--objective", f"{RENDEZVOUS}:objective",
           "--trials", "20", "--storage", str(db), "--workers", "2", "--resume"]  # the second joins the first
    first = subprocess.Popen([c for c in cmd if c != "--resume"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while count(db, "RUNNING") < 1:  # the study exists: the second joins it
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.05)
    procs = [first, subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    trials = study_records(db)
    assert [t.id for t in trials] == list(range(20)) and {t.status for t in trials} == {"complete"}
    names = [d.name for d in recommend(load_profile(PROFILE)).search_space]
    points = [tuple(t.config[n] for n in names) for t in trials]
    assert len(set(points)) == 20  # no config ran twice
    start = recommend(load_profile(PROFILE)).config
    assert points.count(tuple(start[n] for n in names)) == 1
    assert len({t.worker for t in trials}) == 4  # host:pid:w0/w1 of two processes


def test_resume_during_a_live_run_waits_for_it_and_takes_over_when_it_dies(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    objective = tmp_path / "gated.py"
    objective.write_text(GATED)
    live_cmd = [sys.executable, "-m", "advisor", "tune", str(PROFILE), "--objective",
                f"{objective}:objective", "--trials", "6", "--storage", str(db)]
    log = tmp_path / "tune.log"
    with log.open("wb") as err:
        live = subprocess.Popen(live_cmd, env={**os.environ, "GATE_AFTER": "2"}, stdout=subprocess.DEVNULL,
                                stderr=err)
    resume_cmd = [sys.executable, "-m", "advisor", *tune_args(db, "quadratic", 6), "--resume"]
    try:
        deadline = time.monotonic() + 60
        while count(db, "COMPLETE") < 2 or count(db, "RUNNING") < 1:  # the live run sits in trial 2
            assert live.poll() is None, f"tune exited early: {log.read_text()}"
            assert time.monotonic() < deadline, "the live run never reached its third trial"
            time.sleep(0.05)
        [held] = [t for t in study_records(db) if t.status == "running"]
        resumer = subprocess.Popen(resume_cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while count(db, "COMPLETE") < 5:  # the resume runs the free slots, then waits for trial 2
            assert resumer.poll() is None, resumer.communicate()
            assert time.monotonic() < deadline + 60, "the resume never ran the free slots"
            time.sleep(0.05)
        after = {t.id: t for t in study_records(db)}
        assert (after[held.id].status, after[held.id].error) == ("running", None)  # left alone
        assert resumer.poll() is None  # still waiting for the live run's last trial
    finally:
        live.kill()
        live.wait()
    # Its owner gone, the waiting resume interrupts that trial and runs its slot itself.
    _, err = resumer.communicate(timeout=120)
    assert resumer.returncode == 0, err
    final = {t.id: t for t in study_records(db)}
    assert (final[held.id].status, final[held.id].error) == ("interrupted",
                                                             f"worker died (process {live.pid} is gone)")
    assert [t.status for t in final.values()].count("complete") == 6


# Pruning: the objective reports its curve; the curve rules and Optuna's pruners stop trials early.

def test_the_curve_rules_stop_a_climbing_train_loss_and_record_the_verdict(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{CURVES}:reporting", "--trials", "4", "--storage", db)
    assert result.code == 0, result.err
    [start, *rest] = study_records(db)
    assert start.config["learning_rate"] == 0.1 and start.status == "pruned"  # lr 0.1 climbs here
    assert start.pruned_by["pruner"] == "curve" and start.pruned_by["verdict"] == "lr_too_high"
    assert start.pruned_by["rule"].startswith("diag.curve.lr-too-high") and start.pruned_by["evidence"]
    assert start.steps == start.pruned_by["step"] + 1 < 10  # stopped early: fewer than the 10 epochs
    assert f"trial #0 pruned at step {start.pruned_by['step']} by the curve rules: lr_too_high" \
        in result.err.replace("\n", " ")
    assert all(t.status == "complete" and t.steps == 10 for t in rest if t.config["learning_rate"] <= 0.05)


def test_a_non_finite_reported_value_is_diverged_at_once(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{CURVES}:value_only", "--trials", "3", "--storage", db)
    assert result.code == 0, result.err
    start = study_records(db)[0]
    assert start.status == "pruned" and start.pruned_by == {
        "pruner": "curve", "step": 2, "verdict": "diverged", "rule": "diag.curve.diverged",
        "evidence": "a NaN/inf value was reported at step 2"}


def test_without_pruning_every_trial_runs_to_the_end(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{CURVES}:reporting", "--trials", "3", "--storage", db,
                 "--pruner", "none")
    assert result.code == 0, result.err
    assert [(t.status, t.steps) for t in study_records(db)] == [("complete", 10)] * 3


@pytest.mark.parametrize("pruner", ["median", "halving"])
def test_optunas_pruners_stop_trials_worse_than_the_others(cli, tmp_path: Path, pruner: str) -> None:
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{CURVES}:reporting", "--trials", "12", "--storage", db,
                 "--pruner", pruner)
    assert result.code == 0, result.err
    done = study_records(db)
    by_optuna = [t for t in done if t.status == "pruned" and t.pruned_by["pruner"] == pruner]
    assert by_optuna, [(t.status, t.pruned_by) for t in done]
    assert all(t.steps == t.pruned_by["step"] + 1 for t in by_optuna)  # stopped where it was told
    assert any(t.steps < 10 for t in by_optuna)


def test_a_returned_history_is_recorded_and_a_bad_report_fails_the_trial(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    assert cli("tune", PROFILE, "--objective", f"{CURVES}:returned_history", "--trials", "2",
               "--storage", db).code == 0
    assert [t.steps for t in study_records(db)] == [5, 5]
    db2 = tmp_path / "bad.db"
    result = cli("tune", PROFILE, "--objective", f"{CURVES}:bad_step", "--trials", "2", "--storage", db2)
    assert result.code == 1
    assert study_records(db2)[0].error.startswith("AdvisorError: report(step, value): steps must increase; "
                                                  "1 after 1")
