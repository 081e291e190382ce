"""Request ids, one JSON log line per request, and Prometheus metrics - one ASGI middleware.

The request id comes from the caller's `X-Request-ID` when it is a sane token, otherwise a new
one; it is echoed on every response and on every log line written while the request runs.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("advisor_api.access")
# Metric labels are bounded by construction: a method outside this set is "other", a path that no
# route matched is "(unmatched)" (routes are templates), a status is an int of three digits.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra fields given as `extra={"fields": {...}}`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_json_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    for name in ("advisor_api", "advisor", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False


class Metrics:
    """Per-app registry (no global state: tests build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "advisor_http_requests_total",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "advisor_http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
        )
        self.queue = Gauge("advisor_probe_jobs", "Probe jobs by status", ["status"], registry=self.registry)
        self.rules = Gauge(
            "advisor_knowledge_base_rules", "Rules in the loaded knowledge base", registry=self.registry
        )


class Observability:
    """Pure ASGI (no BaseHTTPMiddleware): one header scan, one `send` wrapper per request."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # Label children by key: `labels()` takes a lock and checks its arguments on every call.
        self._counted: dict[tuple[str, str, int], Any] = {}
        self._timed: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                rid = value.decode("latin-1")
        if not _SANE_ID.match(rid):
            rid = os.urandom(16).hex()
        rid_header = (b"x-request-id", rid.encode())
        token = request_id_var.set(rid)
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", ()), rid_header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            route = getattr(scope.get("route"), "path", None) or "(unmatched)"
            method = scope["method"]
            label = method if method in METHODS else "other"
            self._count(label, route, status).inc()
            self._time(label, route).observe(elapsed)
            if access_log.isEnabledFor(logging.INFO):
                path = scope["path"]
                fields = {"method": method, "path": path, "route": route, "status": status,
                          "duration_ms": round(elapsed * 1000, 2)}
                access_log.info("%s %s %d", method, path, status, extra={"fields": fields})
            request_id_var.reset(token)

    def _count(self, method: str, route: str, status: int) -> Any:
        key = (method, route, status)
        child = self._counted.get(key)
        if child is None:
            child = self._counted[key] = self.metrics.requests.labels(method, route, str(status))
        return child

    def _time(self, method: str, route: str) -> Any:
        key = (method, route)
        child = self._timed.get(key)
        if child is None:
            child = self._timed[key] = self.metrics.latency.labels(method, route)
        return child
