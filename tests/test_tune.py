"""`advisor tune`: a real SQLite study, killed with SIGKILL and resumed, shared by two workers.

No test waits a fixed time for another process: each waits, with a deadline, for a state of the study
file or for a file the objective writes."""

from __future__ import annotations

import contextlib
import os
import sqlite3
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
