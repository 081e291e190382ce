"""Probe jobs for the server: the durable store, the supervisor and the worker process."""

from advisor.jobs.probe_jobs import ProbeJobRequest
from advisor.jobs.runner import JobRunner
from advisor.jobs.store import JobStore

__all__ = ["JobRunner", "JobStore", "ProbeJobRequest"]
