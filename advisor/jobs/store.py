"""Durable probe jobs in SQLite (WAL): queued, running, and finished jobs survive a restart.

Every state change is one short transaction; claiming a job is `BEGIN IMMEDIATE`, so two
supervisors never start the same job. The file is never created behind the caller's back after
startup: a database deleted while serving is reported (`JobStoreError`), not silently replaced; one
that is empty, not SQLite or damaged is refused at startup and fails the readiness check.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor.errors import JobConflictError, JobNotFoundError, JobStoreError
from advisor.tuning.sqlite_files import create_new, damage

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINISHED = ("succeeded", "failed", "cancelled")
RESTART_REASON = "the server stopped while this job was running; submit it again"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    target TEXT NOT NULL,
    probe TEXT NOT NULL,
    options TEXT NOT NULL,
    status TEXT NOT NULL,
    progress REAL NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    result TEXT,
    error TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    worker_pid INTEGER,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
"""


class Job(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    target: str
    probe: str
    options: dict[str, Any]
    status: JobStatus
    progress: float = 0.0
    message: str = ""
    result: dict[str, Any] | None = None
    error: str | None = None
    cancel_requested: bool = False
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None


class JobStore:
    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self.path = Path(path)
        if create:
            try:
                if not self.path.exists():  # only a missing file starts an empty store
                    create_new(self.path, _SCHEMA)
            except (OSError, sqlite3.Error) as exc:
                raise JobStoreError(f"cannot open the job database {self.path}: {exc}") from None
            self.check()
            with self._connect() as db:  # a store from an older version gets the tables it lacks
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)

    # -- plumbing
    @contextmanager
    def _connect(self, must_exist: bool = True) -> Iterator[sqlite3.Connection]:
        if must_exist and not self.path.exists():
            raise JobStoreError(f"the job database {self.path} is missing")
        try:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        except sqlite3.Error as exc:
            raise JobStoreError(f"cannot open the job database {self.path}: {exc}") from None
        db.row_factory = sqlite3.Row
        try:
            yield db
        except sqlite3.Error as exc:
            raise JobStoreError(f"job database error ({self.path}): {exc}") from None
        finally:
            db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _job(row: sqlite3.Row) -> Job:
        data = dict(row)
        data.pop("seq")
        data.pop("worker_pid")
        data["options"] = json.loads(data["options"])
        data["result"] = json.loads(data["result"]) if data["result"] else None
        data["cancel_requested"] = bool(data["cancel_requested"])
        return Job.model_validate(data)

    # -- API
    def create(self, target: str, probe: str, options: dict[str, Any]) -> Job:
        job_id = uuid.uuid4().hex
        with self._write() as db:
            seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs").fetchone()[0]
            db.execute(
                "INSERT INTO jobs (id, seq, target, probe, options, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'queued', ?)",
                (job_id, seq, target, probe, json.dumps(options), time.time()),
            )
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        with self._connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFoundError(job_id)
        return self._job(row)

    def list(self, limit: int = 100) -> list[Job]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
        return [self._job(r) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetchall()
        return {status: n for status, n in rows}

    def claim_next(self) -> Job | None:
        """The oldest queued job, now running (atomically)."""
        with self._write() as db:
            row = db.execute("SELECT id FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT 1").fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE jobs SET status = 'running', started_at = ?, message = 'starting' WHERE id = ?",
                (time.time(), row[0]),
            )
        return self.get(row[0])

    def set_worker(self, job_id: str, pid: int) -> None:
        with self._write() as db:
            db.execute("UPDATE jobs SET worker_pid = ? WHERE id = ?", (pid, job_id))

    def progress(self, job_id: str, fraction: float, message: str) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE jobs SET progress = ?, message = ? WHERE id = ? AND status = 'running'",
                (max(0.0, min(1.0, fraction)), message[:200], job_id),
            )

    def finish(
        self,
        job_id: str,
        status: JobStatus,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        only_if_running: bool = True,
    ) -> bool:
        """Record the end of a job; False if it had already ended (first writer wins)."""
        with self._write() as db:
            cur = db.execute(
                "UPDATE jobs SET status = ?, result = ?, error = ?, finished_at = ?, "
                "progress = CASE WHEN ? = 'succeeded' THEN 1.0 ELSE progress END, message = ? "
                "WHERE id = ?" + (" AND status = 'running'" if only_if_running else ""),
                (
                    status,
                    json.dumps(result) if result is not None else None,
                    error,
                    time.time(),
                    status,
                    status,
                    job_id,
                ),
            )
            return cur.rowcount == 1

    def request_cancel(self, job_id: str) -> Job:
        """Queued: cancelled now. Running: flagged; the supervisor stops the worker."""
        with self._write() as db:
            row = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise JobNotFoundError(job_id)
            status = row[0]
            if status == "queued":
                db.execute(
                    "UPDATE jobs SET status = 'cancelled', finished_at = ?, message = 'cancelled' "
                    "WHERE id = ?",
                    (time.time(), job_id),
                )
            elif status == "running":
                db.execute(
                    "UPDATE jobs SET cancel_requested = 1, message = 'cancelling' WHERE id = ?", (job_id,)
                )
            elif status != "cancelled":
                raise JobConflictError(f"probe job {job_id!r} already {status}; nothing to cancel")
        return self.get(job_id)

    def running(self) -> list[tuple[Job, int | None]]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs WHERE status = 'running' ORDER BY seq").fetchall()
        return [(self._job(r), r["worker_pid"]) for r in rows]

    def recover(self, alive: Callable[[int], bool]) -> int:
        """After a restart: jobs left running by a dead server are failed (documented choice).
        A job whose worker is still alive belongs to another live server process: left alone."""
        with self._write() as db:
            rows = db.execute("SELECT id, worker_pid FROM jobs WHERE status = 'running'").fetchall()
            dead = [job_id for job_id, pid in rows if not (pid and alive(pid))]
            for job_id in dead:
                db.execute(
                    "UPDATE jobs SET status = 'failed', error = ?, finished_at = ?, message = 'failed' "
                    "WHERE id = ?",
                    (RESTART_REASON, time.time(), job_id),
                )
            return len(dead)

    def check(self) -> None:
        """Raise JobStoreError, one line naming the file and what to do, unless the file is a sound
        SQLite database (not empty, not truncated, `PRAGMA quick_check` passes)."""
        if not self.path.exists():
            raise JobStoreError(f"the job database {self.path} is missing")
        with self._connect() as db:
            why = damage(self.path, db)
        if why is not None:
            raise JobStoreError(f"{self.path}: not a job store ({why}); move it away to start an empty "
                                "store, or restore it from a backup")

    def check_writable(self) -> None:
        """Raise JobStoreError unless the store is sound (`check`) and a write transaction can start
        and commit: what /readyz asks."""
        self.check()
        with self._write() as db:
            db.execute("CREATE TABLE IF NOT EXISTS _ready (at REAL)")
            db.execute("DELETE FROM _ready")
            db.execute("INSERT INTO _ready VALUES (?)", (time.time(),))
