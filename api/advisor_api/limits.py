"""Request limits as one pure ASGI middleware, checked before FastAPI parses anything: JSON bodies
only (415), a body size limit (413, from Content-Length or while the body streams in), requests at
once per path (503 + Retry-After) and a wall-clock limit per request (503).

One layer with one scan of the headers and one `send` wrapper: this runs on every request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import HTTPException

from .responses import PROBLEM_JSON, encode_json

Scope = dict[str, Any]
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit. FastAPI's HTTPException, so the
    route re-raises it (any other exception while reading the body becomes FastAPI's 400); the
    middleware answers the 413 itself either way."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")
        self.limit = limit


class RequestLimits:
    def __init__(
        self,
        app: Any,
        *,
        max_bytes: int,
        timeout_s: float,
        per_path: dict[str, int] | None = None,
        concurrency: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.per_path = per_path or {}
        # path -> requests at once; one event loop per process, so a plain counter is enough.
        self.concurrency = concurrency or {}
        self.active = dict.fromkeys(self.concurrency, 0)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctype = length = b""
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-type":
                ctype = value
            elif name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        path = scope["path"]
        limit = self.per_path.get(path, self.max_bytes)
        if length.isdigit() and int(length) > limit:
            # The body may still be arriving: close the connection rather than drain it.
            await _problem(send, 413, "Content Too Large", f"request body exceeds {limit} bytes", close=True)
            return
        has_body = (length != b"" and length != b"0") or chunked
        if scope["method"] in _WITH_BODY and (ctype or has_body):
            ctype = ctype.split(b";", 1)[0].strip().lower()
            if not (ctype == b"application/json" or ctype.endswith(b"+json")):
                shown = ctype.decode("latin-1") or "none"
                detail = f"request bodies must be application/json, got {shown}"
                await _problem(send, 415, "Unsupported Media Type", detail, close=has_body)
                return
        gated = path in self.concurrency and scope["method"] in _WITH_BODY
        if gated:
            if self.active[path] >= self.concurrency[path]:
                detail = f"{self.concurrency[path]} {path} request(s) already running; retry shortly"
                await _problem(send, 503, "Service Unavailable", detail, close=has_body,
                               extra=[(b"retry-after", b"1")])
                return
            self.active[path] += 1
        try:
            await self._limited(scope, receive, send, limit, has_body)
        finally:
            if gated:
                self.active[path] -= 1

    async def _limited(self, scope: Scope, receive: Any, send: Any, limit: int, has_body: bool) -> None:
        seen = 0
        exceeded = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal started
            if exceeded:
                # Whatever the app made of the exception, the answer is ours: 413, connection
                # closed (the rest of the body is never read).
                if not started:
                    started = True
                    await _problem(send, 413, "Content Too Large", f"request body exceeds {limit} bytes",
                                   close=True)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        # asyncio.timeout cancels this task in place (asyncio.wait_for would start a task per request).
        deadline = asyncio.timeout(self.timeout_s)
        try:
            async with deadline:
                await self.app(scope, limited_receive if has_body else receive, guarded_send)
        except BodyTooLarge as exc:
            if not started:
                detail = f"request body exceeds {exc.limit} bytes"
                await _problem(send, 413, "Content Too Large", detail, close=True)
        except TimeoutError:
            if not deadline.expired():
                raise
            if not started:
                detail = f"the request took longer than {self.timeout_s:g} s"
                await _problem(send, 503, "Service Unavailable", detail, close=True)


async def _problem(
    send: Any, status: int, title: str, detail: str, close: bool = False,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """A problem+json response from the middleware (before FastAPI's handlers are reached)."""
    body = encode_json({"type": "about:blank", "title": title, "status": status, "detail": detail})
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode()),
               *(extra or ())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
