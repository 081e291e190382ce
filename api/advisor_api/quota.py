"""Caps on queued probe jobs: in all (counted in the job store, so it holds across restarts and
workers) and per API key (this process's record of which key queued which job)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from advisor.jobs.store import Job, JobStore

from .errors import QueueFullError


class JobQuota:
    def __init__(self, total: int, per_key: int) -> None:
        self.total = total
        self.per_key = per_key
        self._lock = threading.Lock()  # job routes run in the thread pool
        self._by_key: dict[bytes, list[str]] = {}  # key digest -> ids of jobs it queued

    def admit(self, store: JobStore, key: str | None, create: Callable[[], Job]) -> Job:
        """`create()` if the caps allow it, else QueueFullError (429)."""
        with self._lock:
            queued = store.counts().get("queued", 0)
            if queued >= self.total:
                raise QueueFullError(f"{queued} probe jobs are queued (the limit); retry later")
            digest = None if key is None else hashlib.sha256(key.encode()).digest()
            if digest is not None:
                mine = [j for j in self._by_key.get(digest, []) if store.get(j).status == "queued"]
                if len(mine) >= self.per_key:
                    raise QueueFullError(
                        f"this API key has {len(mine)} probe jobs queued (the limit); retry later"
                    )
            job = create()
            if digest is not None:
                self._by_key[digest] = [*mine, job.id]
            return job
