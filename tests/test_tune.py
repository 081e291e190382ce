"""`advisor tune`: a real SQLite study, killed with SIGKILL and resumed, shared by two workers."""

from __future__ import annotations

import os
import signal
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


def rows(db: Path, where: str = "1=1") -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT id, worker, status, value, error FROM trials WHERE {where} "
                            "ORDER BY id").fetchall()


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


def test_kill_9_mid_study_loses_no_finished_trial(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    env = {**os.environ, "TOY_SLEEP": "0.4"}
    cmd = [sys.executable, "-m", "advisor", *tune_args(db, trials=12)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        time.sleep(0.1)
        if db.exists() and len(rows(db, "status = 'complete'")) >= 4:
            break
        assert proc.poll() is None and time.monotonic() < deadline
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = rows(db, "status = 'complete'")
    assert 4 <= len(before) < 12
    resumed = subprocess.run([*cmd, "--resume"], env={**os.environ}, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    after = rows(db)
    assert [r for r in after if r[0] in {b[0] for b in before}] == before  # untouched
    assert sum(r[2] in ("complete", "failed") for r in after) == 12
    assert all(r[2] != "running" for r in after)


def test_two_workers_share_the_study_without_duplicates(cli, tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    os.environ["TOY_SLEEP"] = "0.2"
    try:
        result = cli(*tune_args(db, "quadratic", 10, "--workers", "2"))
    finally:
        del os.environ["TOY_SLEEP"]
    assert result.code == 0, result.err
    done = rows(db)
    ids = [r[0] for r in done]
    assert len(ids) == len(set(ids)) == 10
    assert {r[1] for r in done} == {"w0", "w1"}


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
