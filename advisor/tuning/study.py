"""A study on disk: every finished trial in SQLite (WAL, one transaction per trial).

Finished trials are committed before the next point is asked, so killing a worker at any moment
loses at most the trial it was running; a resumed study rebuilds the optimizer from this history.
Several worker processes share one file: claiming a trial slot, and choosing its point from the
trials already there, is one IMMEDIATE transaction. Each trial records its owner (host, pid and the
pid's start time) and a heartbeat, so a resume interrupts only trials whose owner is gone.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import StudyError
from advisor.tuning.sqlite_files import connect_existing, create_new, damage

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    worker TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'interrupted')),
    config TEXT NOT NULL,
    value REAL,
    error TEXT,
    started REAL NOT NULL,
    duration REAL,
    seed INTEGER,
    host TEXT,
    pid INTEGER,
    pid_start INTEGER,
    heartbeat REAL
);
"""
# Added after the first release: a study from then gets them on open (NULL owner = owner unknown).
_LATER_COLUMNS = {"seed": "INTEGER", "host": "TEXT", "pid": "INTEGER", "pid_start": "INTEGER",
                  "heartbeat": "REAL"}
# A trial owned by another host (the study file copied or shared) counts as alive while its owner's
# heartbeat is younger than this; on this host the owner process itself is looked up.
LEASE_S = 120.0
HEARTBEAT_S = 15.0


def _pid_start(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot; Linux), None where that is unknown: with
    the pid it tells a live owner from an unrelated process that got its pid later."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[19]) if fields[0] != "Z" else -1  # a zombie is dead


@dataclass(frozen=True)
class Owner:
    """The process running a trial."""

    host: str
    pid: int
    pid_start: int | None

    @classmethod
    def here(cls) -> Owner:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, _pid_start(pid))

    def alive(self) -> bool:
        """On this host: the process exists (and is the same process). Elsewhere: unknowable here."""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # exists, another user's
        start = _pid_start(self.pid)
        return start != -1 and (self.pid_start is None or start is None or start == self.pid_start)


@dataclass(frozen=True)
class Trial:
    id: int
    worker: str
    status: str
    config: dict[str, Any]
    value: float | None
    error: str | None
    duration: float | None
    seed: int | None = None
    owner: Owner | None = None
    heartbeat: float | None = None

    @property
    def worker_id(self) -> str:
        """Unique across processes and hosts: host:pid:worker."""
        return f"{self.owner.host}:{self.owner.pid}:{self.worker}" if self.owner else self.worker

    def owner_alive(self, now: float, lease_s: float = LEASE_S) -> bool:
        """Whether the process that claimed this trial may still be running it."""
        if self.owner is None:
            return False  # claimed without an owner: nothing can show it alive
        if self.owner.alive():
            return True
        fresh = self.heartbeat is not None and now - self.heartbeat < lease_s
        return fresh and self.owner.host != socket.gethostname()


Propose = Callable[[list[Trial]], tuple[dict[str, Any], int | None]]


class Study:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            if not self.path.exists():  # only a missing file makes a new study; a damaged one is refused
                create_new(self.path, SCHEMA)
            self.db = connect_existing(self.path, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StudyError(f"{self.path}: cannot open the study database ({exc})") from None
        why = damage(self.path, self.db)
        if why is not None:
            self.db.close()
            raise StudyError(f"{self.path}: not a usable study database ({why}); move it away to start "
                             "a new study, or restore it from a backup")
        with self._errors():
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            have = {row[1] for row in self.db.execute("PRAGMA table_info(trials)")}
            if not have.issuperset(_LATER_COLUMNS):
                with self._locked():  # under the lock: two processes opening an old study at once
                    have = {row[1] for row in self.db.execute("PRAGMA table_info(trials)")}
                    for name, kind in _LATER_COLUMNS.items():
                        if name not in have:
                            self.db.execute(f"ALTER TABLE trials ADD COLUMN {name} {kind}")

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite's errors as one line naming the file (a page can go bad after the open's check)."""
        try:
            yield
        except sqlite3.OperationalError as exc:
            raise StudyError(f"{self.path}: {exc} (another process holds the study too long?)") from None
        except sqlite3.DatabaseError as exc:
            raise StudyError(f"{self.path}: not a usable study database (damaged: {exc}); "
                             "restore it from a backup, or move it away to start a new study") from None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One write transaction: what is read inside it cannot change before it commits."""
        with self._errors():
            try:
                self.db.execute("BEGIN IMMEDIATE")
                yield
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def _write(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._locked():
            return self.db.execute(sql, args)

    def meta(self) -> dict[str, str]:
        with self._errors():
            return dict(self.db.execute("SELECT key, value FROM meta").fetchall())

    def bind(self, fingerprint: dict[str, Any]) -> None:
        """Tie the study to one search space; refuse a study made for another."""
        wanted = {k: json.dumps(v, sort_keys=True) for k, v in fingerprint.items()}
        # Read and write under one lock: two runs binding a new file at once must not both see it
        # empty (the second would silently join a study of another search space).
        with self._locked():
            stored = self.meta()
            if not stored:
                self.db.executemany("INSERT INTO meta VALUES (?, ?)", wanted.items())
        if not stored:
            return
        diffs = [k for k in wanted if stored.get(k) != wanted[k]]
        if diffs:
            raise StudyError(f"{self.path} belongs to another study: its {', '.join(diffs)} differ "
                             f"(stored {stored.get(diffs[0])}, now {wanted[diffs[0]]}); "
                             "choose another `study` file")

    def trials(self) -> list[Trial]:
        with self._errors():
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM trials ORDER BY id").fetchall()
        return [_trial(r) for r in rows]

    def claim(self, worker: str, config: dict[str, Any], total: int, *, owner: Owner | None = None,
              seed: int | None = None) -> int | None:
        """Start a trial if fewer than `total` are finished or running; None when the study is full."""
        trial = self.claim_next(worker, total, lambda trials: (config, seed), owner=owner)
        return None if trial is None else trial.id

    def claim_next(self, worker: str, total: int, propose: Propose, *,
                   owner: Owner | None = None) -> Trial | None:
        """Like `claim`, with the point chosen inside the claim's transaction by `propose(trials)`: no
        other process can claim between what it sees and what is stored, so it sees every running point."""
        with self._locked():
            trials = self.trials()
            if sum(t.status in ("running", "complete", "failed") for t in trials) >= total:
                return None
            config, seed = propose(trials)
            now = time.time()
            cur = self.db.execute(
                "INSERT INTO trials (worker, status, config, started, seed, host, pid, pid_start, heartbeat) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                (worker, json.dumps(config, sort_keys=True), now, seed, owner and owner.host,
                 owner and owner.pid, owner and owner.pid_start, now if owner else None))
        return Trial(int(cur.lastrowid), worker, "running", config, None, None, None, seed=seed, owner=owner,
                     heartbeat=now if owner else None)

    def finish(self, trial_id: int, value: float | None, error: str | None, duration: float) -> bool:
        """Record a trial's outcome; False (nothing written) if it is no longer running: a resume that
        found its owner gone marked it interrupted, and that slot is someone else's now."""
        status = "complete" if error is None else "failed"
        stored = value if value is not None and math.isfinite(value) else None
        cur = self._write("UPDATE trials SET status = ?, value = ?, error = ?, duration = ? "
                          "WHERE id = ? AND status = 'running'", (status, stored, error, duration, trial_id))
        return cur.rowcount == 1

    def beat(self, trial_ids: list[int]) -> None:
        """The owner is alive: refresh the heartbeat of its running trials."""
        marks = ",".join("?" * len(trial_ids))
        self._write(f"UPDATE trials SET heartbeat = ? WHERE status = 'running' AND id IN ({marks})",
                    (time.time(), *trial_ids))

    def interrupt(self, trial_id: int, reason: str) -> None:
        """A trial stopped by an interrupt: its slot is free again (a resumed study re-runs it)."""
        self._write("UPDATE trials SET status = 'interrupted', error = ? WHERE id = ? AND status = 'running'",
                    (reason, trial_id))

    def interrupt_running(self, lease_s: float = LEASE_S) -> int:
        """On resume: trials left 'running' by a process that is gone are marked interrupted (re-run).
        A trial whose owner is alive on this host, or whose heartbeat is fresh, is another run's."""
        with self._locked():
            now = time.time()
            orphans = [t.id for t in self.trials()
                       if t.status == "running" and not t.owner_alive(now, lease_s)]
            for trial_id in orphans:
                self.db.execute("UPDATE trials SET status = 'interrupted', error = 'worker died mid-trial' "
                                "WHERE id = ? AND status = 'running'", (trial_id,))
        return len(orphans)


_COLUMNS = "id, worker, status, config, value, error, duration, seed, host, pid, pid_start, heartbeat"


def _trial(r: tuple[Any, ...]) -> Trial:
    owner = Owner(r[8], r[9], r[10]) if r[8] is not None and r[9] is not None else None
    return Trial(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], seed=r[7], owner=owner,
                 heartbeat=r[11])
