"""The supervisor: starts queued probe jobs in worker processes, one per slot, and enforces
the wall-clock timeout and cancellation. It runs as a thread inside the server.

A worker that exits without recording an outcome (killed by a signal, out of memory at the
C level) is marked failed with its exit status; a worker past its deadline is killed and marked
failed; a cancelled job's worker is killed and the job marked cancelled.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from advisor.jobs.store import JobStore, JobStoreError

log = logging.getLogger("advisor.jobs")


def _alive(pid: int) -> bool:
    """A live (not zombie) process: workers die with their server, so a live worker means a
    live supervisor in another server process."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True  # no /proc: trust the signal check


@dataclass
class _Running:
    job_id: str
    process: subprocess.Popen[bytes]
    deadline: float


class JobRunner:
    def __init__(
        self,
        store: JobStore,
        targets: Mapping[str, str],
        *,
        slots: int = 1,
        timeout_s: float = 600.0,
        memory_mb: int = 4096,
        poll_s: float = 0.2,
    ) -> None:
        self.store = store
        self.targets = dict(targets)
        self.slots = slots
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.poll_s = poll_s
        self._running: dict[str, _Running] = {}
        # The supervisor thread changes `_running` while request threads read it (`pids`, `active`).
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        recovered = self.store.recover(_alive)
        if recovered:
            log.warning("marked %d job(s) failed: the server stopped while they ran", recovered)
        if self.slots > 0:
            self._thread = threading.Thread(target=self._loop, name="probe-jobs", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            for running in list(self._running.values()):
                self._kill(running)
                self._record_safely(running.job_id, "failed",
                                    "the server shut down while this job was running")
            self._running.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except JobStoreError as exc:  # the store went away: keep serving, retry later
                log.error("probe jobs paused: %s", exc)
            except Exception:  # pragma: no cover - a supervisor bug must not kill the thread
                log.exception("probe job supervisor error")
            self._stop.wait(self.poll_s)

    def tick(self) -> None:
        """One round: reap, enforce deadlines and cancellations, then fill free slots."""
        with self._lock:
            self._tick()

    def _tick(self) -> None:
        now = time.monotonic()
        for running in list(self._running.values()):
            code = running.process.poll()
            if code is not None:
                del self._running[running.job_id]
                why = (
                    f"the worker process died (signal {-code})"
                    if code < 0
                    else f"the worker process exited with status {code} without a result"
                )
                self.store.finish(running.job_id, "failed", error=why)  # no-op if it recorded one
                continue
            job = self.store.get(running.job_id)
            if job.cancel_requested:
                self._kill(running)
                del self._running[running.job_id]
                self.store.finish(running.job_id, "cancelled", error="cancelled on request")
            elif now > running.deadline:
                self._kill(running)
                del self._running[running.job_id]
                self.store.finish(
                    running.job_id,
                    "failed",
                    error=f"timed out after {self.timeout_s:g} s (the wall-clock limit)",
                )
        while len(self._running) < self.slots:
            job = self.store.claim_next()
            if job is None:
                break
            spec = self.targets.get(job.target)
            if spec is None:  # the allow-list changed since the job was queued
                self.store.finish(job.id, "failed", error=f"target {job.target!r} is no longer allowed")
                continue
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "advisor.jobs.worker",
                    "--db",
                    str(self.store.path),
                    "--job",
                    job.id,
                    "--target",
                    spec,
                    "--memory-mb",
                    str(self.memory_mb),
                    "--parent-pid",
                    str(os.getpid()),
                ],
                stdin=subprocess.DEVNULL,
                env={**os.environ, "OMP_NUM_THREADS": "1"},
            )
            self.store.set_worker(job.id, process.pid)
            self._running[job.id] = _Running(job.id, process, time.monotonic() + self.timeout_s)
            log.info("probe job %s started: %s on %s (pid %d)", job.id, job.probe, job.target, process.pid)

    @property
    def active(self) -> int:
        with self._lock:
            return len(self._running)

    def pids(self) -> dict[str, int]:
        with self._lock:
            return {job_id: r.process.pid for job_id, r in self._running.items()}

    @staticmethod
    def _kill(running: _Running) -> None:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGKILL)
        running.process.wait(timeout=10)

    def _record_safely(self, job_id: str, status: str, error: str) -> None:
        with contextlib.suppress(JobStoreError):  # shutting down: the restart recovery covers it
            self.store.finish(job_id, status, error=error)  # type: ignore[arg-type]
