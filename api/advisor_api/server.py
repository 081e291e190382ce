"""The uvicorn side of the service: an HTTP/1.1 protocol with a header-read timeout, and the one
uvicorn configuration `advisor serve` (and the tests) run.

uvicorn has no limit on the time a client may take to send its request line and headers: a client
that sends half a request holds its connection (and a slot of the server's) forever. Here each
connection must deliver a complete request head within `header_timeout_s` of connecting, or of the
end of its previous response, or it is answered 408 and closed. The body is covered by the request
timeout (`limits.py`), which starts once the head is in.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from .responses import PROBLEM_JSON, encode_json
from .settings import Settings, SettingsError, get_settings

_TIMEOUT_BODY = encode_json({"type": "about:blank", "title": "Request Timeout", "status": 408,
                             "detail": "the request head (request line and headers) came too slowly"})
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: " + PROBLEM_JSON.encode()
    + b"\r\nconnection: close\r\ncontent-length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n"
    + _TIMEOUT_BODY
)
PROTOCOL = "advisor_api.server:GuardedH11Protocol"  # uvicorn's `http=` (an import string: workers pickle it)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for each request head."""

    header_timeout_s: float | None = None  # None: the settings' (ADVISOR_HEADER_TIMEOUT_S)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.header_timeout_s is None:
            self.header_timeout_s = get_settings().header_timeout_s
        self._head_timer: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        self._disarm()
        assert self.header_timeout_s is not None
        self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE:
            # Nothing of a request has been parsed: a raw 408 (h11 answers only a parsed request).
            self.transport.write(_TIMEOUT_RESPONSE)
        self.transport.close()

    def _sync_timer(self) -> None:
        """A deadline runs exactly while the connection waits for a request head."""
        waiting = self.conn.their_state is h11.IDLE and self.conn.our_state is h11.IDLE
        if not waiting:
            self._disarm()
        elif self._head_timer is None and not self.transport.is_closing():
            self._arm()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._sync_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        self._sync_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._sync_timer()


def protocol_with_timeout(header_timeout_s: float) -> type[GuardedH11Protocol]:
    """The protocol with its own timeout (an in-process server: tests, benchmarks)."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,), {"header_timeout_s": header_timeout_s})


# What every server of ours runs with (`advisor serve`, tests, benchmarks), besides host and port.
UVICORN_OPTIONS: dict[str, Any] = {
    "http": PROTOCOL,
    "timeout_keep_alive": 5,
    "h11_max_incomplete_event_size": 16 * 1024,  # request line + headers
    "log_level": "info",
    "access_log": False,  # the app writes one JSON access-log line per request itself
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def check_exposure(settings: Settings, host: str) -> None:
    """SettingsError when probe jobs (which spend the server's CPU, memory and devices) would be
    open to anyone who can reach `host`."""
    open_jobs = settings.jobs_enabled and not settings.api_keys
    if open_jobs and not settings.allow_open_jobs and not is_loopback(host):
        raise SettingsError(
            f"probe-job routes would be open to anyone who reaches {host}: set ADVISOR_API_KEYS=key1,key2, "
            "bind 127.0.0.1, turn them off (ADVISOR_JOB_ROUTES=off), or accept it "
            "(ADVISOR_ALLOW_OPEN_JOBS=true)"
        )
