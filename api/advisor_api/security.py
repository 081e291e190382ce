"""Optional API-key access (`X-API-Key`), checked in constant time against the configured keys."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader

from .dependencies import SettingsDep

_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="Needed on job endpoints when the server has API keys configured.",
)


def _valid(given: str | None, keys: tuple[str, ...]) -> bool:
    if not given:
        return False
    candidate = given.encode()
    # Compare against every key (no early exit) so timing says nothing about which one matched.
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(candidate, key.encode())
    return matched


async def require_key(settings: SettingsDep, key: Annotated[str | None, Depends(_header)]) -> None:
    """401 unless the request carries one of the configured keys. Attached to routes only when
    keys are configured, so the OpenAPI schema says exactly which routes need one."""
    if settings.api_keys and not _valid(key, settings.api_keys):
        raise HTTPException(
            401, "a valid X-API-Key header is required", headers={"WWW-Authenticate": "ApiKey"}
        )


async def caller_key(request: Request, settings: SettingsDep) -> str | None:
    """The API key the request was admitted with (`require_key` checked it); None without keys.
    Read from the headers, not through `_header`, so the schema shows no key where none is needed."""
    return request.headers.get("x-api-key") if settings.api_keys else None


CallerKeyDep = Annotated[str | None, Depends(caller_key)]
