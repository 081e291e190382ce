"""Request limits as one pure ASGI middleware, checked before FastAPI parses anything: JSON bodies
only (415), a body size limit (413, from Content-Length or while the body streams in), and a
wall-clock limit per request (503).

One layer with one scan of the headers and one `send` wrapper: this runs on every request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.exceptions import HTTPException

from .responses import PROBLEM_JSON, encode_json

Scope = dict[str, Any]
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class BodyTooLarge(HTTPException):
    """Raised from `receive` once a streamed body passes the limit; FastAPI's handlers turn it
    into the 413 problem (the middleware answers itself when it surfaces there)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")
        self.limit = limit


class RequestLimits:
    def __init__(
        self, app: Any, *, max_bytes: int, timeout_s: float, per_path: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.per_path = per_path or {}

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
        limit = self.per_path.get(scope["path"], self.max_bytes)
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
                await _problem(send, 415, "Unsupported Media Type", detail)
                return
        if has_body:
            seen = 0

            async def limited_receive() -> dict[str, Any]:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > limit:
                        raise BodyTooLarge(limit)
                return message

        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        # asyncio.timeout cancels this task in place (asyncio.wait_for would start a task per request).
        deadline = asyncio.timeout(self.timeout_s)
        try:
            async with deadline:
                await self.app(scope, limited_receive if has_body else receive, tracking_send)
        except BodyTooLarge as exc:
            if not started:
                detail = f"request body exceeds {exc.limit} bytes"
                await _problem(send, 413, "Content Too Large", detail, close=True)
        except TimeoutError:
            if not deadline.expired():
                raise
            if not started:
                detail = f"the request took longer than {self.timeout_s:g} s"
                await _problem(send, 503, "Service Unavailable", detail)


async def _problem(send: Any, status: int, title: str, detail: str, close: bool = False) -> None:
    """A problem+json response from the middleware (before FastAPI's handlers are reached)."""
    body = encode_json({"type": "about:blank", "title": title, "status": status, "detail": detail})
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
