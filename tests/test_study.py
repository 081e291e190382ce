"""The SQLite study of `advisor tune`: binding to one search space, the trial lifecycle, resuming
after a dead worker, and several processes writing one file."""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.errors import StudyError
from advisor.tuning.study import Study

SPACE = {"search_space": [{"name": "learning_rate", "low": 1e-4, "high": 1e-1}], "direction": "minimize"}


@pytest.fixture
def study(tmp_path: Path) -> Iterator[Study]:
    made = Study(tmp_path / "sub" / "study.db")  # the folder is created
    yield made
    made.close()


def test_a_new_study_is_an_empty_wal_database(study: Study) -> None:
    assert study.path.is_file()
    assert study.trials() == [] and study.meta() == {}
    with contextlib.closing(sqlite3.connect(study.path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_bind_stores_the_fingerprint_and_accepts_it_again(study: Study) -> None:
    study.bind(SPACE)
    assert study.meta() == {key: json.dumps(value, sort_keys=True) for key, value in SPACE.items()}
    study.bind(json.loads(json.dumps(SPACE)))  # an equal fingerprint (a fresh object) is the same study
    reopened = Study(study.path)
    try:
        reopened.bind(SPACE)
    finally:
        reopened.close()


@pytest.mark.parametrize(("change", "differ"), [
    ({"direction": "maximize"}, "direction"),
    ({"search_space": [{"name": "learning_rate", "low": 1e-4, "high": 1.0}]}, "search_space"),
    ({"search_space": [], "direction": "maximize"}, "search_space, direction"),
])
def test_a_study_bound_to_another_search_space_is_refused(study: Study, change: dict, differ: str) -> None:
    study.bind(SPACE)
    with pytest.raises(StudyError, match=f"belongs to another study: its {differ} differ") as caught:
        study.bind({**SPACE, **change})
    first = differ.split(",")[0]
    assert f"stored {json.dumps(SPACE[first], sort_keys=True)}" in str(caught.value)
    assert "choose another `study` file" in str(caught.value)
    assert study.meta() == {key: json.dumps(value, sort_keys=True) for key, value in SPACE.items()}


def test_bind_checks_under_the_write_lock(tmp_path: Path) -> None:
    """Two `advisor tune` runs started together on one new file, for different search spaces: the one
    that binds second must be refused, not silently join the other's study."""
    path = tmp_path / "study.db"
    Study(path).close()
    other = {**SPACE, "direction": "maximize"}
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process is binding right now
    outcome: list[BaseException | None] = []

    def bind() -> None:
        mine = Study(path)
        try:
            mine.bind(SPACE)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)
        finally:
            mine.close()

    thread = threading.Thread(target=bind)
    thread.start()
    # Give bind() time to read the (still empty) meta table; whatever the timing, a correct bind
    # raises below, so this wait can only make the test weaker, never flaky.
    thread.join(timeout=0.3)
    for key, value in other.items():
        holder.execute("INSERT INTO meta VALUES (?, ?)", (key, json.dumps(value, sort_keys=True)))
    holder.execute("COMMIT")
    holder.close()
    thread.join(timeout=30)
    [error] = outcome
    assert isinstance(error, StudyError) and "its direction differ" in str(error)
    check = Study(path)
    try:
        assert json.loads(check.meta()["direction"]) == "maximize"
    finally:
        check.close()


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "study.db"
    garbage.write_bytes(b"not a database " * 100)
    with pytest.raises(StudyError, match="not a usable study database"):
        Study(garbage)
    assert garbage.read_bytes() == b"not a database " * 100


def test_the_trial_lifecycle(study: Study) -> None:
    first = study.claim("w0", {"learning_rate": 0.01, "batch_size": 64}, total=3)
    second = study.claim("w1", {"learning_rate": 0.1}, total=3)
    assert (first, second) == (1, 2)
    assert [t.status for t in study.trials()] == ["running", "running"]
    study.finish(first, 0.25, None, 1.5)
    study.finish(second, None, "ValueError: diverged (at toy.py:12)", 0.1)
    one, two = study.trials()
    assert (one.id, one.worker, one.status, one.value, one.error, one.duration) == (
        1, "w0", "complete", 0.25, None, 1.5)
    assert one.config == {"learning_rate": 0.01, "batch_size": 64}
    assert (two.worker, two.status, two.value, two.error) == (
        "w1", "failed", None, "ValueError: diverged (at toy.py:12)")


def test_claims_stop_at_the_total_counting_running_and_failed(study: Study) -> None:
    a = study.claim("w0", {"x": 1}, total=3)
    b = study.claim("w0", {"x": 2}, total=3)
    study.finish(b, None, "boom", 0.0)  # a failed trial uses its slot
    assert study.claim("w0", {"x": 3}, total=3) == 3  # a's still running: it holds a slot too
    assert study.claim("w0", {"x": 4}, total=3) is None
    assert study.claim("w0", {"x": 4}, total=4) == 4  # a larger total opens more
    study.finish(a, 1.0, None, 0.0)
    assert len(study.trials()) == 4


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_value_is_stored_as_missing(study: Study, value: float) -> None:
    trial = study.claim("w0", {}, total=1)
    study.finish(trial, value, None, 0.0)
    [stored] = study.trials()
    assert stored.value is None and stored.status == "complete"


def test_an_interrupted_trial_frees_its_slot_and_only_a_running_one_is_marked(study: Study) -> None:
    done = study.claim("w0", {"x": 1}, total=2)
    study.finish(done, 0.5, None, 1.0)
    stopped = study.claim("w1", {"x": 2}, total=2)
    assert study.claim("w0", {"x": 3}, total=2) is None
    study.interrupt(stopped, "interrupted (Ctrl-C)")
    study.interrupt(done, "interrupted (Ctrl-C)")  # a finished trial stays as it is
    trials = {t.id: t for t in study.trials()}
    assert (trials[done].status, trials[done].error) == ("complete", None)
    assert (trials[stopped].status, trials[stopped].error) == ("interrupted", "interrupted (Ctrl-C)")
    assert study.interrupt_running() == 0
    assert study.claim("w0", {"x": 3}, total=2) == 3


def test_resume_interrupts_running_trials_and_frees_their_slots(study: Study) -> None:
    done = study.claim("w0", {"x": 1}, total=3)
    study.finish(done, 0.5, None, 1.0)
    lost = [study.claim("w0", {"x": 2}, total=3), study.claim("w1", {"x": 3}, total=3)]
    assert study.claim("w0", {"x": 4}, total=3) is None  # full while they "run"
    assert study.interrupt_running() == 2
    assert study.interrupt_running() == 0  # nothing left running
    trials = {t.id: t for t in study.trials()}
    assert trials[done].status == "complete" and trials[done].error is None
    assert [(trials[i].status, trials[i].error) for i in lost] == [
        ("interrupted", "worker died mid-trial")] * 2
    assert [study.claim("w0", {"x": 5}, total=3), study.claim("w0", {"x": 6}, total=3)] == [4, 5]
    assert study.claim("w0", {"x": 7}, total=3) is None


def test_finished_trials_survive_a_worker_killed_mid_trial(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    script = f"""
import os, signal
from advisor.tuning.study import Study
study = Study({str(path)!r})
study.finish(study.claim("w0", {{"x": 1}}, 2), 0.5, None, 0.1)
study.claim("w0", {{"x": 2}}, 2)
os.kill(os.getpid(), signal.SIGKILL)
"""
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert died.returncode == -9, died.stderr
    study = Study(path)
    try:
        assert [(t.status, t.value) for t in study.trials()] == [("complete", 0.5), ("running", None)]
        assert study.interrupt_running() == 1
    finally:
        study.close()


WRITER = """
import sys, time
from advisor.tuning.study import Study

path, worker, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
study = Study(path)
first = study.claim(worker, {"by": worker}, total)
study.finish(first, 1.0, None, 0.0)
deadline = time.monotonic() + 60
while {t.worker for t in study.trials()} != {"a", "b"}:  # both writers are in before the race
    assert time.monotonic() < deadline, "the other writer never started"
    time.sleep(0.005)
while (trial := study.claim(worker, {"by": worker}, total)) is not None:
    study.finish(trial, float(trial), None, 0.0)
"""


def test_two_processes_claim_one_study_without_going_over_the_total(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    Study(path).close()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name, "60"], stderr=subprocess.PIPE)
               for name in ("a", "b")]
    for proc in writers:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    study = Study(path)
    try:
        trials = study.trials()
    finally:
        study.close()
    assert [t.id for t in trials] == list(range(1, 61))
    assert all(t.status == "complete" and t.config == {"by": t.worker} for t in trials)
    assert {t.worker for t in trials} == {"a", "b"}


def test_a_held_write_lock_times_out_as_a_study_error(study: Study) -> None:
    trial = study.claim("w0", {}, total=2)
    study.db.execute("PRAGMA busy_timeout = 50")
    holder = sqlite3.connect(study.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StudyError, match="locked"):
            study.finish(trial, 1.0, None, 0.0)
        with pytest.raises(StudyError, match="locked"):
            study.claim("w0", {}, total=2)
        assert time.monotonic() - started < 5
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not study.db.in_transaction
    study.finish(trial, 1.0, None, 0.0)  # the lock is gone: the same connection writes again
    assert study.trials()[0].status == "complete"


# Issue 15: a study file that lost its data says so; it is never silently replaced by an empty study.

def _filled(path: Path) -> Path:
    """A closed study with enough trials to span several pages (the WAL checkpointed into the file)."""
    study = Study(path)
    for i in range(60):
        study.finish(study.claim("w0", {"x": i, "pad": "p" * 200}, 100), float(i), None, 0.0)
    study.close()
    assert not path.with_name(path.name + "-wal").exists()
    return path


def _damage_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[3 * page + 8: 3 * page + 400] = bytes(range(256)) + bytes(136)  # inside a trials page
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("spoil", "why"), [
    (lambda p: p.write_bytes(b""), "(0 bytes; it was truncated?)"),
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "(damaged"),
    (_damage_pages, "(damaged"),
    (lambda p: p.write_bytes(b"not a database " * 100), "(1500 bytes that are not an SQLite database)"),
])
def test_a_truncated_or_damaged_study_is_refused_in_one_line(tmp_path: Path, spoil, why: str) -> None:
    path = _filled(tmp_path / "study.db")
    spoil(path)
    spoiled = path.read_bytes()
    with pytest.raises(StudyError) as caught:
        Study(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not a usable study database {why}") and "\n" not in message
    assert message.endswith("move it away to start a new study, or restore it from a backup")
    assert path.read_bytes() == spoiled  # left as it was for whoever restores it



def test_finish_does_not_overwrite_an_interrupted_mark(study: Study) -> None:
    trial = study.claim("w0", {"x": 1}, total=2)
    assert study.interrupt_running() == 1  # a resume that found its owner gone
    assert study.finish(trial, 0.5, None, 1.0) is False  # the late worker's result is not recorded
    [stored] = study.trials()
    assert (stored.status, stored.value, stored.error) == ("interrupted", None, "worker died mid-trial")


def test_opening_a_study_twice_in_one_process_keeps_the_write_ahead_log(tmp_path: Path) -> None:
    """The open's check reads the file only through SQLite: a plain open()/close() of the database
    would drop this process's POSIX locks, and the next process to close its connection would think
    itself the last and delete the live write-ahead log (the trials in it were lost)."""
    first = Study(tmp_path / "study.db")
    trial = first.claim("w0", {"x": 1}, total=2)
    second = Study(first.path)  # e.g. the heartbeat thread's connection
    reader = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('SELECT * FROM trials').fetchall()"
    subprocess.run([sys.executable, "-c", reader, str(first.path)], check=True, timeout=60)
    assert first.path.with_name("study.db-wal").exists()
    first.finish(trial, 1.0, None, 0.0)
    assert [t.status for t in second.trials()] == ["complete"]
    first.close()
    second.close()


def test_resume_interrupts_only_trials_whose_owner_is_gone(study: Study) -> None:
    from advisor.tuning.study import LEASE_S, Owner

    mine = study.claim("w0", {"x": 1}, total=9, owner=Owner.here())  # a live process on this host
    gone = study.claim("w0", {"x": 2}, total=9, owner=Owner(Owner.here().host, 2**22 + 7, None))
    away_fresh = study.claim("w0", {"x": 3}, total=9, owner=Owner("elsewhere", 1, None))
    away_stale = study.claim("w0", {"x": 4}, total=9, owner=Owner("elsewhere", 2, None))
    study.db.execute("UPDATE trials SET heartbeat = heartbeat - ? WHERE id = ?", (2 * LEASE_S, away_stale))
    assert study.interrupt_running() == 2
    status = {t.id: t.status for t in study.trials()}
    assert status == {mine: "running", gone: "interrupted", away_fresh: "running", away_stale: "interrupted"}
    assert study.trials()[0].worker_id == f"{Owner.here().host}:{Owner.here().pid}:w0"
