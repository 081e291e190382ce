"""Restart durability: queue jobs on a real `advisor serve`, kill -9 it, restart it on the same
database: every job is accounted for, the running one is failed with the reason, the queued ones
run, and the orphaned worker died with its server."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from advisor.jobs.store import RESTART_REASON

from .conftest import _free_port
from .test_api_jobs import wait_for


@contextmanager
def advisor_serve(db: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "ADVISOR_JOB_DB": str(db), "ADVISOR_JOB_SLOTS": "1", "ADVISOR_LOG_JSON": "true"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, "advisor serve exited"
            assert time.monotonic() < deadline, "advisor serve did not become ready"
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (not yet reaped) counts as dead.
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().split()[2] != "Z"


def test_kill_9_the_server_and_restart(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with advisor_serve(db, port) as server, httpx.Client(base_url=base, timeout=30) as c:
        long_id = c.post(
            "/v1/probe-jobs",
            json={"target": "digits-cnn", "probe": "data-scaling", "options": {"epochs": 200}},
        ).json()["id"]
        queued = [
            c.post(
                "/v1/probe-jobs",
                json={
                    "target": "digits-mlp",
                    "probe": "sanity",
                    "options": {"checks": ["init_loss"], "seed": i},
                },
            ).json()["id"]
            for i in range(3)
        ]
        wait_for(c, long_id, ("running",))
        deadline = time.monotonic() + 20
        while True:
            with sqlite3.connect(db) as conn:
                pid = conn.execute("SELECT worker_pid FROM jobs WHERE id = ?", (long_id,)).fetchone()[0]
            if pid:
                break
            assert time.monotonic() < deadline
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(pid):  # the worker dies with its parent (PR_SET_PDEATHSIG)
            assert time.monotonic() < deadline, "orphaned worker kept running"
            time.sleep(0.05)

    with advisor_serve(db, port), httpx.Client(base_url=base, timeout=30) as c:
        listed = {j["id"]: j for j in c.get("/v1/probe-jobs").json()["jobs"]}
        assert set(listed) == {long_id, *queued}  # every job accounted for
        failed = c.get(f"/v1/probe-jobs/{long_id}").json()
        assert failed["status"] == "failed" and failed["error"] == RESTART_REASON
        for job_id in queued:
            assert wait_for(c, job_id, ("succeeded", "failed"), timeout=90)["status"] == "succeeded"


def test_serve_refuses_a_truncated_job_store_in_one_line(tmp_path: Path) -> None:
    """Issue 15: a job store truncated to 0 bytes would open as an empty store and every job would be
    gone without a word; the server refuses to start instead, and leaves the file for a restore."""
    db = tmp_path / "advisor-jobs.sqlite"
    db.write_bytes(b"")
    env = {**os.environ, "ADVISOR_JOB_DB": str(db), "ADVISOR_JOB_SLOTS": "0"}
    done = subprocess.run([sys.executable, "-m", "advisor", "serve", "--port", str(_free_port())], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {db}: not a job store (0 bytes; it was truncated?); move it away to start an empty store, "
        "or restore it from a backup"]
    assert db.read_bytes() == b""
