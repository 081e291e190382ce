"""A study on disk: every finished trial in SQLite (WAL, one transaction per trial).

Finished trials are committed before the next point is asked, so killing a worker at any moment
loses at most the trial it was running; `--resume` rebuilds the optimizer from this history.
Several worker processes share one file: claiming a trial slot is one IMMEDIATE transaction.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterator
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
    duration REAL
);
"""


@dataclass(frozen=True)
class Trial:
    id: int
    worker: str
    status: str
    config: dict[str, Any]
    value: float | None
    error: str | None
    duration: float | None


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
            rows = self.db.execute(
                "SELECT id, worker, status, config, value, error, duration FROM trials ORDER BY id"
            ).fetchall()
        return [Trial(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6]) for r in rows]

    def claim(self, worker: str, config: dict[str, Any], total: int) -> int | None:
        """Start a trial if fewer than `total` are finished or running; None when the study is full."""
        with self._locked():
            used = self.db.execute(
                "SELECT COUNT(*) FROM trials WHERE status IN ('running', 'complete', 'failed')"
            ).fetchone()[0]
            if used >= total:
                return None
            cur = self.db.execute(
                "INSERT INTO trials (worker, status, config, started) VALUES (?, 'running', ?, ?)",
                (worker, json.dumps(config, sort_keys=True), time.time()))
        return int(cur.lastrowid)

    def finish(self, trial_id: int, value: float | None, error: str | None, duration: float) -> None:
        status = "complete" if error is None else "failed"
        stored = value if value is not None and math.isfinite(value) else None
        self._write("UPDATE trials SET status = ?, value = ?, error = ?, duration = ? WHERE id = ?",
                    (status, stored, error, duration, trial_id))

    def interrupt(self, trial_id: int, reason: str) -> None:
        """A trial stopped by an interrupt: its slot is free again (a resumed study re-runs it)."""
        self._write("UPDATE trials SET status = 'interrupted', error = ? WHERE id = ? AND status = 'running'",
                    (reason, trial_id))

    def interrupt_running(self) -> int:
        """On resume: trials left 'running' by a dead process are marked interrupted (re-run)."""
        return self._write("UPDATE trials SET status = 'interrupted', error = 'worker died mid-trial' "
                           "WHERE status = 'running'").rowcount
