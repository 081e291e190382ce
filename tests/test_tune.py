"""`advisor tune`: a real SQLite study, killed with SIGKILL and resumed, shared by two workers.

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

import pytest
import yaml

from advisor import load_profile, recommend

from .conftest import ROOT

PROFILE = ROOT / "tests" / "profiles" / "vision-auto-optimizer.yaml"  # lr + batch + momentum
TOY = ROOT / "tests" / "objectives" / "toy.py"


def rows(db: Path) -> list[tuple]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT id, worker, status, value, error FROM trials ORDER BY id").fetchall()


def tune_args(db: Path, objective: str = "quadratic", trials: int = 8, *extra: str) -> list[str]:
    return ["tune", str(PROFILE), "--objective", f"{TOY}:{objective}", "--trials", str(trials),
            "--study", str(db), *extra]


def test_a_study_runs_and_writes_its_results(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    result = cli(*tune_args(db, trials=8))
    assert result.code == 0, result.err
    done = rows(db)
    assert [r[2] for r in done] == ["complete"] * 8
    first = yaml.safe_load((tmp_path / "best_config.yaml").read_text())
    assert first["learning_rate"] > 0
    assert (tmp_path / "convergence.png").read_bytes()[:4] == b"\x89PNG"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        start = yaml.safe_load(conn.execute("SELECT config FROM trials WHERE id = 1").fetchone()[0])
    # The advisor's starting config ran first.
    assert start["learning_rate"] == recommend(load_profile(PROFILE)).config["learning_rate"] == 0.1


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

# Each worker process holds its first trial until a second process has started one: with two workers,
# both take part whatever the machine's load (w1 is spawned while w0 already runs trials).
RENDEZVOUS = """\
import math, os, time
from pathlib import Path


def objective(config):
    arrived = Path(__file__).with_name("arrived")
    arrived.mkdir(exist_ok=True)
    (arrived / str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while len(list(arrived.iterdir())) < 2:
        if time.monotonic() > deadline:
            raise TimeoutError("the second worker never started a trial")
        time.sleep(0.01)
    return (math.log10(config["learning_rate"]) + 2.5) ** 2 + (config["batch_size"] - 128) ** 2 / 1e5
"""


def count(db: Path, status: str) -> int:
    """Trials with `status`; 0 while the study file or its schema does not exist yet (the tune process
    creates the file a few milliseconds before its tables)."""
    if not db.exists():
        return 0
    with contextlib.closing(sqlite3.connect(db, timeout=30)) as conn:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'trials'").fetchone():
            return 0
        return conn.execute("SELECT COUNT(*) FROM trials WHERE status = ?", (status,)).fetchone()[0]


def test_kill_9_mid_trial_loses_no_finished_trial(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    objective = tmp_path / "gated.py"
    objective.write_text(GATED)
    cmd = [sys.executable, "-m", "advisor", "tune", str(PROFILE), "--objective", f"{objective}:objective",
           "--trials", "8", "--study", str(db)]
    log = tmp_path / "tune.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, env={**os.environ, "GATE_AFTER": "4"}, stdout=subprocess.DEVNULL,
                                stderr=err)
    try:
        deadline = time.monotonic() + 60
        # Four trials finished and the fifth claimed: the process now sits inside trial 5.
        while count(db, "complete") < 4 or count(db, "running") < 1:
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
    assert after[4][2:] == ("interrupted", None, "worker died mid-trial")
    assert [r[2] for r in after[5:]] == ["complete"] * 4  # the slot of the lost trial is run again
    assert "trial #5 interrupted: worker died mid-trial" in resumed.stdout + resumed.stderr


def test_two_workers_share_the_study_without_duplicates(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    objective = tmp_path / "rendezvous.py"
    objective.write_text(RENDEZVOUS)
    result = cli("tune", PROFILE, "--objective", f"{objective}:objective", "--trials", "6", "--study", db,
                 "--workers", "2")
    assert result.code == 0, result.err
    done = rows(db)
    assert [r[0] for r in done] == [1, 2, 3, 4, 5, 6]  # never more trials than asked
    assert [r[2] for r in done] == ["complete"] * 6
    assert {r[1] for r in done} == {"w0", "w1"}
    assert len(list((tmp_path / "arrived").iterdir())) == 2


def test_bad_studies_are_refused_and_left_intact(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    assert cli(*tune_args(db, trials=3)).code == 0
    again = cli(*tune_args(db, trials=3))
    assert again.code == 2 and "already holds 3 trials" in again.err
    other = ROOT / "examples" / "tabular-mlp-adam.yaml"
    mismatch = cli("tune", other, "--objective", f"{TOY}:quadratic", "--trials", "5", "--study", db,
                   "--resume")
    assert mismatch.code == 2 and "belongs to another study: its search_space differ" in mismatch.err
    assert len(rows(db)) == 3
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not sqlite" * 100)
    bad = cli(*tune_args(garbage, trials=2))
    assert bad.code == 2 and "not a usable study database" in bad.err
    missing = cli(*tune_args(tmp_path / "x.db", "nope", 2))
    assert missing.code == 2 and "has no attribute 'nope'" in missing.err


@pytest.mark.parametrize("trials", [0])
def test_trials_must_be_positive(cli, tmp_path: Path, trials: int) -> None:
    assert cli(*tune_args(tmp_path / "s.db", trials=trials)).code == 2


# Issue 14: failures said plainly, progress as log lines, Ctrl-C, the budget, file modes, the plot's x.

BROKEN = """\
def objective(config):
    raise RuntimeError(f"no such dataset: /data/train-{config['batch_size']}.npz " + "x" * 80)
"""


def test_when_every_trial_fails_the_first_error_is_the_message(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    objective = tmp_path / "broken.py"
    objective.write_text(BROKEN)
    db = tmp_path / "study.db"
    result = cli("tune", PROFILE, "--objective", f"{objective}:objective", "--trials", "3", "--study", db)
    assert result.code == 1
    first = rows(db)[0][4]
    assert first.startswith("RuntimeError: no such dataset: /data/train-128.npz xxx")
    assert f"error: all 3 trials failed; the first, trial #1: {first}" in result.err.replace("\n", "")
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
    result = cli("tune", PROFILE, "--objective", f"{objective}:objective", "--trials", "6", "--study", db)
    failed = {r[0]: r[4] for r in rows(db) if r[2] == "failed"}
    assert failed and len(failed) < 6 and result.code == 0
    lines = {int(line.split("│")[1]): line for line in result.out.splitlines()
             if line.startswith("│") and line.split("│")[1].strip().isdigit()}
    assert len(lines) == 6
    for trial_id, error in failed.items():
        assert error[:40] in lines[trial_id] and "failed" in lines[trial_id]  # clipped at 60
        assert f"trial #{trial_id} failed: {error}" in result.err  # and whole in the notes
    assert all("│ complete │" in line and "Error" not in line for i, line in lines.items() if i not in failed)


def test_progress_is_one_plain_line_per_trial_when_stderr_is_not_a_terminal(cli, tmp_path: Path) -> None:
    result = cli(*tune_args(tmp_path / "study.db", trials=4))
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if line.startswith("tune: ")]
    assert [line.split(",")[0] for line in lines] == [f"tune: trial {i}/4 done" for i in range(1, 5)]
    assert lines[0] == "tune: trial 1/4 done, #1 2.25, best 2.25"  # the starting config, lr 0.1
    assert "\x1b[" not in result.err  # no bar, no cursor movement


def test_trials_default_to_the_profiles_budget(cli, tmp_path: Path) -> None:
    profile = tmp_path / "three.yaml"
    profile.write_text(PROFILE.read_text().replace("trials: 20", "trials: 3"))
    result = cli("tune", profile, "--objective", f"{TOY}:quadratic", "--study", tmp_path / "study.db")
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
    args = ["tune", PROFILE, "--objective", f"{objective}:objective", "--trials", "6", "--study", db]
    result = cli(*args)
    assert result.code == 130
    assert "Traceback" not in result.err
    assert result.err.splitlines()[-1] == (f"interrupted: 3 finished trials are saved in {db}; "
                                           "run the same command with --resume to continue")
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
           "--trials", "20", "--study", str(db), "--workers", "2"]
    log = tmp_path / "tune.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, env={**os.environ, "GATE_AFTER": "2"}, stdout=subprocess.DEVNULL,
                                stderr=err)
    try:
        deadline = time.monotonic() + 90
        # Each worker process finishes two trials, then sits in its third: two trials running.
        while count(db, "running") < 2:
            assert proc.poll() is None, f"tune exited early: {log.read_text()}"
            assert time.monotonic() < deadline, f"both workers never got stuck: {rows(db)}"
            time.sleep(0.05)
        finished = count(db, "complete")
        proc.send_signal(signal.SIGINT)  # the parent only: it stops its helper itself
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = log.read_text()
    assert "Traceback" not in stderr, stderr
    assert stderr.splitlines()[-1] == (f"interrupted: {finished} finished trials are saved in {db}; "
                                       "run the same command with --resume to continue")
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
    from advisor.tuning.study import Trial
    from advisor.tuning.tuner import convergence_points

    def trial(id_: int, status: str, value: float | None) -> Trial:
        return Trial(id_, "w0", status, {}, value, None if status == "complete" else "x", 1.0)

    trials = [trial(1, "failed", None), trial(2, "complete", 3.0), trial(3, "interrupted", None),
              trial(4, "complete", 5.0), trial(5, "complete", 1.0), trial(6, "running", None)]
    raw, best = convergence_points(trials, maximize=False)
    assert raw == [(2, 3.0), (4, 5.0), (5, 1.0)]
    assert best == [(2, 3.0), (4, 3.0), (5, 1.0)]  # ids, with the gap the interrupted trial left
    assert convergence_points(trials, maximize=True)[1] == [(2, 3.0), (4, 5.0), (5, 5.0)]


# Issue 15: durable state that says what happened; parallel workers that never repeat a config.

def test_resume_on_a_damaged_study_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    from .test_study import _damage_pages, _filled

    db = _filled(tmp_path / "study.db")
    _damage_pages(db)
    result = cli(*tune_args(db, trials=3), "--resume")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith(f"error: {db}: not a usable study database (damaged") and "Traceback" not in line
    assert line.endswith("move it away to start a new study, or restore it from a backup")


def _trials(db: Path) -> list:
    from advisor.tuning.tuner import study_trials

    return study_trials(db)


def test_four_workers_in_two_processes_never_repeat_a_config(tmp_path: Path) -> None:
    """Two `advisor tune --workers 2` on one study (as from two shells): 20 trials, 20 distinct configs,
    the starting config once. All four workers' first trials run at once (the rendezvous objective),
    so each asks while the others' points are pending - where the starting config used to run 4 times."""
    db = tmp_path / "study.db"
    env = {**os.environ, "RENDEZVOUS_DIR": str(tmp_path / "arrived"), "RENDEZVOUS_N": "4"}
    objective = ROOT / "tests" / "objectives" / "rendezvous.py"
    cmd = [sys.executable, "-m", "advisor", "tune", str(PROFILE), "--objective", f"{objective}:objective",
           "--trials", "20", "--study", str(db), "--workers", "2", "--resume"]  # the second joins the first
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    trials = _trials(db)
    assert [t.id for t in trials] == list(range(1, 21)) and {t.status for t in trials} == {"complete"}
    names = [d.name for d in recommend(load_profile(PROFILE)).search_space]
    points = [tuple(t.config[n] for n in names) for t in trials]
    assert len(set(points)) == 20  # no config ran twice
    start = recommend(load_profile(PROFILE)).config
    assert points.count(tuple(start[n] for n in names)) == 1
    assert len({t.worker_id for t in trials}) == 4  # host:pid:w0/w1 of two processes
    assert len({t.seed for t in trials}) == 20  # each ask its own seed, recorded


def test_resume_during_a_live_run_leaves_its_trials_alone(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    objective = tmp_path / "gated.py"
    objective.write_text(GATED)
    live_cmd = [sys.executable, "-m", "advisor", "tune", str(PROFILE), "--objective",
                f"{objective}:objective", "--trials", "6", "--study", str(db)]
    log = tmp_path / "tune.log"
    with log.open("wb") as err:
        live = subprocess.Popen(live_cmd, env={**os.environ, "GATE_AFTER": "2"}, stdout=subprocess.DEVNULL,
                                stderr=err)
    resume_cmd = [sys.executable, "-m", "advisor", *tune_args(db, "quadratic", 6), "--resume"]
    try:
        deadline = time.monotonic() + 60
        while count(db, "complete") < 2 or count(db, "running") < 1:  # the live run sits in trial 3
            assert live.poll() is None, f"tune exited early: {log.read_text()}"
            assert time.monotonic() < deadline, "the live run never reached its third trial"
            time.sleep(0.05)
        [held] = [t for t in _trials(db) if t.status == "running"]
        assert held.owner is not None and held.owner.pid == live.pid
        during = subprocess.run(resume_cmd, capture_output=True, text=True, timeout=120)
        assert during.returncode == 0, during.stderr
        after = {t.id: t for t in _trials(db)}
        assert (after[held.id].status, after[held.id].error) == ("running", None)  # left alone
        assert [t.status for t in after.values()].count("complete") == 5  # its slot stays taken
        assert "interrupted" not in {t.status for t in after.values()}
    finally:
        live.kill()
        live.wait()
    # Its owner gone, the next resume interrupts that trial and runs its slot again.
    again = subprocess.run(resume_cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    final = {t.id: t for t in _trials(db)}
    assert (final[held.id].status, final[held.id].error) == ("interrupted", "worker died mid-trial")
    assert [t.status for t in final.values()].count("complete") == 6
