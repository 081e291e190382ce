"""One probe job in its own process: `python -m advisor.jobs.worker --db DB --job ID --target SPEC`.

Started by the supervisor (`advisor.jobs.runner`), which owns the timeout and cancellation. The
worker caps its own address space, dies with its parent (Linux), and records its outcome only
if the job is still running - a job cancelled or failed meanwhile is never overwritten.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import resource
import signal
import sys
import time
import traceback

from advisor.errors import AdvisorError
from advisor.jobs.probe_jobs import run_job
from advisor.jobs.store import JobStore

_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        # Without libc the supervisor's restart recovery still holds.
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent and os.getppid() != parent:  # the parent died before the line above ran
        os._exit(3)


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        limit = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="advisor.jobs.worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("--job", required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--memory-mb", type=int, default=0)
    parser.add_argument("--parent-pid", type=int, default=0)
    args = parser.parse_args(argv)
    _die_with_parent(args.parent_pid)
    _limit_memory(args.memory_mb)
    store = JobStore(args.db, create=False)
    job = store.get(args.job)
    last, done = 0.0, 0.0

    def progress(fraction: float | None, message: str) -> None:
        nonlocal last, done
        done = done if fraction is None else fraction  # a status line alone keeps the share done
        now = time.monotonic()
        if now - last >= 0.5:  # a few writes per second at most
            last = now
            store.progress(job.id, done, message)

    try:
        result = run_job(job.probe, args.target, job.options, progress)
    except MemoryError:
        store.finish(job.id, "failed", error=f"out of memory (the worker is capped at {args.memory_mb} MiB)")
        return 1
    except AdvisorError as exc:
        store.finish(job.id, "failed", error=str(exc))
        return 1
    except Exception as exc:
        traceback.print_exc()  # the server log has the details; the API only the message
        store.finish(job.id, "failed", error=f"{type(exc).__name__}: {exc}")
        return 1
    store.finish(job.id, "succeeded", result=result)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
