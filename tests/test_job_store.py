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


# Issue 15: a job store that lost its data is refused in one line, never replaced by an empty one.

def _filled(path: Path) -> Path:
    store = JobStore(path)
    for i in range(40):
        store.create("digits-mlp", "lr", {"seed": i, "note": "n" * 200})
    assert not path.with_name(path.name + "-wal").exists()  # every connection closed: checkpointed
    return path


def _damage_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[2 * page + 8: 2 * page + 400] = bytes(range(256)) + bytes(136)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("spoil", "why"), [
    (lambda p: p.write_bytes(b""), "(0 bytes; it was truncated?)"),
    (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "(damaged"),
    (_damage_pages, "(damaged"),
])
def test_a_truncated_or_damaged_store_is_refused_in_one_line(tmp_path: Path, spoil, why: str) -> None:
    path = _filled(tmp_path / "advisor-jobs.sqlite")
    spoil(path)
    spoiled = path.read_bytes()
    with pytest.raises(JobStoreError) as caught:
        JobStore(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not a job store {why}") and "\n" not in message
    assert message.endswith("move it away to start an empty store, or restore it from a backup")
    assert path.read_bytes() == spoiled
    with pytest.raises(JobStoreError, match="not a job store"):  # what /readyz calls
        JobStore(path, create=False).check_writable()


def test_a_store_damaged_while_serving_fails_the_readiness_check(tmp_path: Path) -> None:
    store = JobStore(_filled(tmp_path / "jobs.sqlite"))
    store.check_writable()
    _damage_pages(store.path)
    with pytest.raises(JobStoreError, match="not a job store \\(damaged"):
        store.check_writable()


def test_a_new_path_still_makes_an_empty_store(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "new" / "jobs.sqlite")
    store.check_writable()
    assert store.counts() == {} and sorted(p.name for p in store.path.parent.iterdir())[0] == "jobs.sqlite"
