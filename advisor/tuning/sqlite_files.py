"""SQLite files that hold state worth keeping (the job store; a study file is checked with `damage`).

A new file appears complete or not at all (built under a temporary name, then hard-linked into place,
which never replaces a file another process made first). An existing file that is empty, not SQLite
or fails `PRAGMA quick_check` is reported, never silently replaced: SQLite itself would open a
truncated file as an empty database and the data would be gone without a word.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from pathlib import Path


def create_new(path: Path, schema: str) -> None:
    """Create `path` as a WAL database holding `schema`, unless a file is already there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.new")
    try:
        with contextlib.closing(sqlite3.connect(tmp, isolation_level=None)) as db:
            db.execute("PRAGMA journal_mode=WAL")  # stored in the header: every opener gets WAL
            db.executescript(schema)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic and never replaces: the first creator wins, the others join it
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            leftover.unlink(missing_ok=True)


def connect_existing(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection to the file at `path`, which must exist (a vanished file is not re-created)."""
    return sqlite3.connect(path.resolve().as_uri() + "?mode=rw", uri=True, timeout=timeout,
                           isolation_level=None)


def damage(path: Path, db: sqlite3.Connection | None = None) -> str | None:
    """Why the existing file at `path` is not a sound SQLite database (a few words), or None.

    `db`, when given, is an open connection to it (it sees the write-ahead log as well). The file is
    never opened here but through SQLite: closing any other descriptor of it would drop the POSIX locks
    this process's connections hold, and another process would then delete a live write-ahead log."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return "the file is missing"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if size == 0:
        return "0 bytes; it was truncated?"
    try:
        with contextlib.ExitStack() as stack:
            if db is None:
                db = stack.enter_context(contextlib.closing(connect_existing(path, timeout=30)))
            rows = [r[0] for r in db.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return None  # in use by another writer: not damage (the caller's next statement waits)
        return f"unreadable: {exc}"
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            return f"{size} bytes that are not an SQLite database"
        return f"damaged: {exc}"
    if rows == ["ok"]:
        return None
    lines = [line for row in rows for line in str(row).splitlines() if not line.startswith("***")]
    more = f" and {len(lines) - 1} more problem(s)" if len(lines) > 1 else ""
    return f"damaged pages: {lines[0] if lines else rows[0]}{more}"
