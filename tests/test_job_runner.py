"""The probe-job supervisor on a real SQLite job store with real worker processes: what it records
when a worker succeeds, fails, exits without a result, is killed, runs past its deadline, is
cancelled, or is still running when the server stops or restarts. Each worker imports torch
(about 2 s of CPU), so the tests start as few as they can, several at once.

Jobs that must stay running use targets (files in tmp_path) that announce themselves with a marker
file and then block on import; the tests wait for that marker, never for a fixed time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from advisor.jobs.runner import JobRunner
from advisor.jobs.store import FINISHED, RESTART_REASON, Job, JobStore

SANITY = {"checks": ["init_loss"]}


def wait_until(condition: Callable[[], bool], what: str, runner: JobRunner | None = None,
               timeout: float = 60) -> None:
    """Poll `condition` (ticking `runner` when given) until it holds, or fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        if runner is not None:
            runner.tick()
        if condition():
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def blocking_target(tmp_path: Path, name: str) -> tuple[str, Path]:
    """A target spec whose import writes `<name>.started` and then blocks; and that marker."""
    marker = tmp_path / f"{name}.started"
    module = tmp_path / f"{name}.py"
    module.write_text(f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(600)\n\n\n"
                      "def target():\n    raise AssertionError('never reached')\n")
    return f"{module}:target", marker


def tiny_target(tmp_path: Path) -> str:
    """A real target, as small as a model gets: a sanity probe on it takes a moment."""
    module = tmp_path / "tiny.py"
    module.write_text(
        "import torch\nfrom torch import nn\n\n\ndef target():\n    torch.manual_seed(0)\n"
        "    x = torch.randn(32, 4)\n    y = (x[:, 0] > 0).long()\n"
        "    return nn.Linear(4, 2), torch.utils.data.TensorDataset(x, y), nn.CrossEntropyLoss()\n")
    return f"{module}:target"


def exiting_target(tmp_path: Path, code: int) -> str:
    """A target whose import ends the worker process at once, before it records anything."""
    module = tmp_path / f"exit{code}.py"
    module.write_text(f"import os\nos._exit({code})\n")
    return f"{module}:target"


def dead(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs.sqlite")


@pytest.fixture
def make_runner(store: JobStore) -> Iterator[Callable[..., JobRunner]]:
    made: list[JobRunner] = []

    def make(targets: dict[str, str], **kwargs: object) -> JobRunner:
        runner = JobRunner(store, targets, **kwargs)  # type: ignore[arg-type]
        made.append(runner)
        return runner

    yield make
    for runner in made:  # no worker outlives its test
        runner.stop()


def finished(store: JobStore, runner: JobRunner, *jobs: Job) -> Callable[[], bool]:
    """The jobs have ended and the runner has reaped their workers (a worker exits after recording)."""
    return lambda: all(store.get(j.id).status in FINISHED for j in jobs) and not set(runner.pids()) & {
        j.id for j in jobs}


def test_a_worker_records_its_outcome_and_the_runner_keeps_it(store: JobStore, make_runner,
                                                               tmp_path: Path) -> None:
    targets = {"tiny": tiny_target(tmp_path), "missing": str(tmp_path / "missing.py:target"),
               "exits": exiting_target(tmp_path, 7)}
    runner = make_runner(targets, slots=3, timeout_s=120)
    gone = store.create("retired", "sanity", SANITY)  # its target left the allow-list after queueing
    ok = store.create("tiny", "sanity", SANITY)
    missing = store.create("missing", "sanity", SANITY)
    exits = store.create("exits", "sanity", SANITY)
    runner.tick()
    assert store.get(gone.id).status == "failed"
    assert store.get(gone.id).error == "target 'retired' is no longer allowed"
    assert set(runner.pids()) == {ok.id, missing.id, exits.id} and runner.active == 3
    assert {job.id: pid for job, pid in store.running()} == runner.pids()  # pids are in the store too
    pids = runner.pids()
    wait_until(finished(store, runner, ok, missing, exits), "every job to finish", runner)

    done = store.get(ok.id)
    assert done.status == "succeeded", done.error
    assert done.progress == 1.0 and done.error is None
    [check] = done.result["sanity"]["checks"]
    assert (check["name"], check["measured"]["classes"]) == ("init_loss", 2)  # measured on tiny.py's model
    failed = store.get(missing.id)
    assert failed.status == "failed" and "no such file" in failed.error and "missing.py" in failed.error
    assert store.get(exits.id).error == "the worker process exited with status 7 without a result"
    assert runner.active == 0 and all(dead(pid) for pid in pids.values())


def test_a_job_past_its_deadline_is_killed_and_a_cancelled_one_stopped(
        store: JobStore, make_runner, tmp_path: Path) -> None:
    spec, _ = blocking_target(tmp_path, "block")
    runner = make_runner({"block": spec}, slots=2, timeout_s=1.5)
    slow = store.create("block", "lr", {})
    cancel = store.create("block", "lr", {})
    runner.tick()
    pids = runner.pids()
    assert set(pids) == {slow.id, cancel.id}
    # Flagged only; the supervisor kills the worker at its next round. A cancellation is checked
    # before the deadline, so it wins even if that round comes late.
    assert store.request_cancel(cancel.id).status == "running"
    wait_until(finished(store, runner, slow, cancel), "the timeout and the cancellation", runner)
    assert (store.get(cancel.id).status, store.get(cancel.id).error) == ("cancelled", "cancelled on request")
    assert (store.get(slow.id).status, store.get(slow.id).error) == (
        "failed", "timed out after 1.5 s (the wall-clock limit)")
    assert store.get(slow.id).finished_at - store.get(slow.id).started_at >= 1.5
    assert all(dead(pid) for pid in pids.values())


def test_one_slot_a_worker_killed_and_the_server_stopping(store: JobStore, make_runner,
                                                         tmp_path: Path) -> None:
    spec, marker = blocking_target(tmp_path, "block")
    runner = make_runner({"block": spec}, slots=1, poll_s=0.02)
    first = store.create("block", "lr", {})
    second = store.create("block", "lr", {})
    runner.start()  # the supervisor thread ticks on its own
    wait_until(marker.exists, "the first job's worker")  # its start-up took many rounds
    # The store, not runner.pids(): the supervisor thread changes its own table meanwhile.
    [(running, pid)] = store.running()
    assert running.id == first.id and pid
    assert store.get(second.id).status == "queued"  # one slot: it waits however many rounds pass
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: store.get(second.id).status == "running" and bool(store.running()[0][1]),
               "the freed slot to take the second job")
    killed = store.get(first.id)
    assert (killed.status, killed.error) == ("failed", "the worker process died (signal 9)")
    [(_, second_pid)] = store.running()
    runner.stop()
    stopped = store.get(second.id)
    assert (stopped.status, stopped.error) == ("failed", "the server shut down while this job was running")
    assert dead(pid) and dead(second_pid) and runner.active == 0


def test_start_fails_jobs_whose_worker_died_with_the_last_server(store: JobStore, make_runner) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        orphans = [store.create("t", "lr", {"seed": i}) for i in range(3)]
        queued = store.create("t", "lr", {"seed": 9})
        for job, pid in zip(orphans, (gone.pid, None, alive.pid), strict=True):
            store.claim_next()
            if pid is not None:
                store.set_worker(job.id, pid)
        make_runner({"t": "digits-mlp"}, slots=0).start()  # no slots: recovery only, nothing started
        dead_worker, no_worker, other_server = (store.get(j.id) for j in orphans)
        assert (dead_worker.status, dead_worker.error) == ("failed", RESTART_REASON)
        assert (no_worker.status, no_worker.error) == ("failed", RESTART_REASON)
        assert other_server.status == "running"  # its live worker belongs to another live server
        assert store.get(queued.id).status == "queued"
    finally:
        alive.kill()
        alive.wait()


def test_pids_and_active_are_safe_to_read_while_the_supervisor_changes_its_table(
        store: JobStore, make_runner: Callable[..., JobRunner], tmp_path: Path) -> None:
    # Request threads read the table the supervisor thread fills and empties; a read must never
    # see it mid-change ("dictionary changed size during iteration").
    import threading

    runner = make_runner({"exit": exiting_target(tmp_path, 3)}, slots=4, poll_s=0.001)
    jobs = [store.create("exit", "lr", {}) for _ in range(24)]
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                assert len(runner.pids()) <= 4 and runner.active <= 4
            except BaseException as exc:  # reported below, with the test's failure
                errors.append(exc)
                return

    reader = threading.Thread(target=read)
    reader.start()
    runner.start()
    try:
        wait_until(lambda: all(store.get(j.id).status in FINISHED for j in jobs), "every job to end")
    finally:
        done.set()
        reader.join()
    assert not errors, errors
    exited = "the worker process exited with status 3 without a result"
    assert {store.get(j.id).error for j in jobs} == {exited}
