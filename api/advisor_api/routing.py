"""How request bodies are read: one route class and one body declaration for the routers that take one.

- JSON is parsed with `advisor.jsonio.loads_strict`: a key given twice in an object is a 422 naming
  the key (as in YAML files), never "last one wins"; so are huge integers and too-deep nesting.
- A large body (over OFFLOAD_BYTES) is parsed and validated in a worker thread, so its CPU never
  holds the event loop (and /healthz) up; small ones stay in the loop (a thread hop costs more).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Body, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import PlainValidator, ValidationError

from advisor.jsonio import loads_strict

from .errors import invalid_body

T = TypeVar("T")
OFFLOAD_BYTES = 64_000
_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            if hasattr(self, "_json_error"):
                raise self._json_error  # parsed once, refused once: FastAPI asks again
            body = await self.body()
            try:
                if len(body) > OFFLOAD_BYTES:
                    self._json = await anyio.to_thread.run_sync(loads_strict, body)
                else:
                    self._json = loads_strict(body)
            except ValueError as exc:
                self._json_error = exc
                raise
        return self._json


class JSONRoute(APIRoute):
    """Reads bodies with StrictJSONRequest. What loads_strict refuses beyond JSON's syntax (a key
    twice, an integer over Python's digit limit, nesting too deep, bytes that are not UTF-8) is a
    422 saying so; FastAPI would call it a 400 "error parsing the body"."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        has_body = self.body_field is not None

        async def strict_handler(request: Request) -> Response:
            request = StrictJSONRequest(request.scope, request.receive)
            if has_body and request.method in _WITH_BODY and await request.body():
                try:
                    await request.json()
                except json.JSONDecodeError:
                    pass  # FastAPI's own 422, with the position
                except ValueError as exc:
                    raise RequestValidationError(
                        [{"type": "json_invalid", "loc": ("body",), "msg": f"invalid JSON: {exc}"}]
                    ) from None
            return await handler(request)

        return strict_handler


def _as_is(value: Any) -> Any:
    return value


def validated_body(schema: Any, parse: Callable[[Any], T], description: str | None = None) -> Any:
    """A dependency: the JSON body, documented as `schema`, turned into a T by `parse` (a pydantic
    ValidationError from it is a 422 located under `body`). Use as `Annotated[T, validated_body(...)]`."""
    raw_type = Annotated[
        Any, PlainValidator(_as_is, json_schema_input_type=schema), Body(description=description)
    ]

    def checked(raw: Any) -> T:
        try:
            return parse(raw)
        except ValidationError as exc:
            raise invalid_body(exc) from None  # its errors listed in the thread too

    async def dependency(body: Any, request: Request) -> T:
        if len(await request.body()) > OFFLOAD_BYTES:
            return await anyio.to_thread.run_sync(checked, body)
        return checked(body)

    dependency.__annotations__["body"] = raw_type  # a local: the string annotation would not resolve
    return Depends(dependency)
