"""The job store's state machine, on a real SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from advisor.jobs.store import RESTART_REASON, JobConflictError, JobNotFoundError, JobStore, JobStoreError


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs.sqlite")


def test_wal_mode_and_the_lifecycle(store: JobStore) -> None:
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    a = store.create("digits-mlp", "lr", {"steps": 10})
    b = store.create("lstm", "sanity", {})
    assert a.status == b.status == "queued" and store.counts() == {"queued": 2}
    claimed = store.claim_next()
    assert claimed is not None and claimed.id == a.id and claimed.status == "running"  # oldest first
    store.progress(a.id, 0.5, "half")
    assert store.get(a.id).progress == 0.5
    assert store.finish(a.id, "succeeded", result={"probes": {}})
    assert not store.finish(a.id, "failed", error="late")  # first writer wins
    done = store.get(a.id)
    assert done.status == "succeeded" and done.result == {"probes": {}} and done.progress == 1.0
    with pytest.raises(JobConflictError, match="already succeeded"):
        store.request_cancel(a.id)
    assert store.request_cancel(b.id).status == "cancelled"
    assert store.claim_next() is None


def test_two_claimers_never_get_the_same_job(store: JobStore) -> None:
    for i in range(20):
        store.create("lstm", "lr", {"seed": i})
    got: list[str] = []
    lock = threading.Lock()

    def claim() -> None:
        while (job := JobStore(store.path, create=False).claim_next()) is not None:
            with lock:
                got.append(job.id)

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 20 == len(set(got))


def test_recover_fails_orphans_but_not_live_workers(store: JobStore) -> None:
    orphan, live, queued = (store.create("lstm", "lr", {}) for _ in range(3))
    store.claim_next()
    store.claim_next()
    store.set_worker(orphan.id, 111)
    store.set_worker(live.id, 222)
    assert store.recover(alive=lambda pid: pid == 222) == 1
    assert store.get(orphan.id).error == RESTART_REASON and store.get(orphan.id).status == "failed"
    assert store.get(live.id).status == "running" and store.get(queued.id).status == "queued"


def test_missing_database_is_an_error_not_a_new_file(store: JobStore) -> None:
    store.path.unlink()
    with pytest.raises(JobStoreError, match="missing"):
        store.create("lstm", "lr", {})
    assert not store.path.exists()
    with pytest.raises(JobNotFoundError):
        JobStore(store.path).get("nope")
