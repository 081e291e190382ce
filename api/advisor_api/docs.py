"""/docs from the Swagger UI files that the `swagger-ui-bundle` package ships: no CDN, works offline.

The page, its assets (under /docs-assets) and its schema are public, as FastAPI's own /docs and
/openapi.json are: API keys guard the operations, not their description. ReDoc is off: no installed
package ships its script, and a /redoc that loads it from a CDN would be the one page to break
offline; Swagger UI shows the same schema.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from .responses import JSONBody

DOCS = "/docs"
ASSETS = "/docs-assets"
# Swagger UI before 5 renders only `openapi: 3.0.x` ("Unable to render this definition" otherwise),
# and FastAPI writes 3.1.0: such a bundle gets this 3.0 reading of the same schema.
SCHEMA_30 = "/docs/openapi-3.0.json"
# Keys whose value maps names to schemas (or to operations, responses...): the names are not keywords.
_NAMED = frozenset({"properties", "patternProperties", "$defs", "schemas", "paths", "responses",
                    "content", "headers", "securitySchemes", "parameters", "examples"})


def install(app: FastAPI) -> None:
    """Mount the assets and add /docs (and the 3.0 schema when the bundled Swagger UI needs it)."""
    from swagger_ui_bundle import swagger_ui_path  # a path, nothing heavy

    directory = Path(str(swagger_ui_path))
    app.mount(ASSETS, StaticFiles(directory=directory), name="docs-assets")
    legacy = swagger_ui_major(directory) < 5
    schema_url = SCHEMA_30 if legacy else (app.openapi_url or "/openapi.json")
    title = f"{app.title} - API docs"

    @app.get(DOCS, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + schema_url,
            title=title,
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
            # No badge fetched from validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )

    if legacy:
        cached: list[dict[str, Any]] = []

        @app.get(SCHEMA_30, include_in_schema=False)
        async def schema_30() -> JSONBody:
            if not cached:
                cached.append(openapi_30(app.openapi()))
            return JSONBody(cached[0])


def swagger_ui_major(directory: Path) -> int:
    """The Swagger UI major version, from the bundle's folder name (`swagger-ui-4.15.5`)."""
    found = re.search(r"(\d+)\.\d+\.\d+$", directory.name)
    return int(found.group(1)) if found else 5


def openapi_30(schema: dict[str, Any]) -> dict[str, Any]:
    """The 3.1 schema in the 3.0 dialect, for display only (/openapi.json stays the reference):
    `anyOf [X, null]` -> `nullable`, `const` -> one-value `enum`, `examples: [...]` -> `example`,
    numeric `exclusiveMinimum/Maximum` -> the boolean form, `prefixItems` -> `items`."""
    out = _down(schema)
    out["openapi"] = "3.0.3"
    return out


def _down(node: Any, named: bool = False) -> Any:
    if isinstance(node, list):
        return [_down(v) for v in node]
    if not isinstance(node, dict):
        return node
    if named:
        return {k: _down(v) for k, v in node.items()}
    out = {k: _down(v, k in _NAMED and isinstance(v, dict)) for k, v in node.items()}
    null = {"type": "null"}
    for key in ("anyOf", "oneOf"):
        options = out.get(key)
        if isinstance(options, list) and null in options:
            rest = [o for o in options if o != null]
            del out[key]
            out["nullable"] = True
            if len(rest) != 1:
                out[key] = rest
            elif "$ref" in rest[0]:
                out["allOf"] = rest  # 3.0 ignores siblings of $ref
            else:
                out = {**rest[0], **out}
    types = out.get("type")
    if isinstance(types, list):
        kept = [t for t in types if t != "null"]
        if len(kept) < len(types):
            out["nullable"] = True
        out["type"] = kept[0] if len(kept) == 1 else "string"
    if "const" in out:
        out["enum"] = [out.pop("const")]
    if isinstance(out.get("examples"), list):
        examples = out.pop("examples")
        if examples:
            out["example"] = examples[0]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(bound)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[plain] = value
            out[bound] = True
    if "prefixItems" in out:
        items = out.pop("prefixItems")
        if "items" not in out or out["items"] is False:
            out["items"] = items[0] if all(i == items[0] for i in items) else {"anyOf": items}
    return out
