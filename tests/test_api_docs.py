"""/docs served offline: every asset from the app itself, over a real socket against uvicorn."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from advisor_api import create_app
from advisor_api.docs import ASSETS, SCHEMA_30, openapi_30, swagger_ui_major
from advisor_api.settings import Settings

from .conftest import serve_in_thread

# What each kind of asset must be served as (by the file's extension).
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png",
                 ".json": "application/json"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    db = tmp_path_factory.mktemp("docs") / "jobs.sqlite"
    app = create_app(Settings(job_slots=0, log_json=False, job_db=db))
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield http


def referenced(html: str) -> list[str]:
    """Every URL the page loads: src/href attributes and the schema url given to SwaggerUIBundle."""
    return re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"\burl: '([^']+)'", html)


def test_docs_reference_no_external_url_and_every_asset_answers(client: httpx.Client) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    urls = referenced(html)
    assert len(urls) == 4, urls  # css, favicon, js, schema
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        response = client.get(url)
        assert response.status_code == 200, url
        expected = CONTENT_TYPES[Path(url).suffix]
        assert response.headers["content-type"].split(";")[0] == expected, url
        assert len(response.content) > 100, url
    assert any(u.startswith(ASSETS) and u.endswith("swagger-ui-bundle.js") for u in urls)


def test_the_schema_the_page_loads_is_one_its_swagger_ui_renders(client: httpx.Client) -> None:
    """Swagger UI 4 answers "Unable to render this definition" to `openapi: 3.1.0`."""
    from swagger_ui_bundle import swagger_ui_path

    (schema_url,) = re.findall(r"\burl: '([^']+)'", client.get("/docs").text)
    shown = client.get(schema_url).json()
    reference = client.get("/openapi.json").json()
    assert reference["openapi"].startswith("3.1.")
    if swagger_ui_major(Path(str(swagger_ui_path))) < 5:
        assert schema_url == SCHEMA_30 and shown["openapi"].startswith("3.0.")
        assert_no_31_keywords(shown)
    assert shown["paths"].keys() == reference["paths"].keys()
    assert shown["components"]["schemas"].keys() == reference["components"]["schemas"].keys()
    assert SCHEMA_30 not in reference["paths"] and "/docs" not in reference["paths"]


def assert_no_31_keywords(node: Any, where: str = "") -> None:
    if isinstance(node, list):
        for i, item in enumerate(node):
            assert_no_31_keywords(item, f"{where}[{i}]")
    elif isinstance(node, dict):
        assert node.get("type") != "null" and not isinstance(node.get("type"), list), where
        assert "prefixItems" not in node, where
        assert not isinstance(node.get("exclusiveMinimum"), int | float) or isinstance(
            node["exclusiveMinimum"], bool), where
        for key, value in node.items():
            assert_no_31_keywords(value, f"{where}.{key}")


def test_redoc_is_off(client: httpx.Client) -> None:
    response = client.get("/redoc")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_docs_stay_public_when_reads_are_protected(tmp_path: Path) -> None:
    app = create_app(Settings(job_db=tmp_path / "j.sqlite", job_slots=0, log_json=False,
                              api_keys=("k",), protect_reads=True))
    with TestClient(app) as c:
        assert c.get("/v1/rules").status_code == 401
        html = c.get("/docs").text
        for url in referenced(html):
            assert c.get(url).status_code == 200, url
        assert c.get("/openapi.json").status_code == 200


def test_openapi_30_rewrites_schemas_not_names() -> None:
    schema = {
        "openapi": "3.1.0",
        "components": {"schemas": {"M": {"type": "object", "properties": {
            "const": {"type": "string", "const": "x"},
            "ref": {"anyOf": [{"$ref": "#/components/schemas/N"}, {"type": "null"}]},
            "num": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "null"}],
                    "examples": [0.1]},
            "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "integer"}]},
        }}}},
    }
    props = openapi_30(schema)["components"]["schemas"]["M"]["properties"]
    assert props["const"] == {"type": "string", "enum": ["x"]}
    assert props["ref"] == {"allOf": [{"$ref": "#/components/schemas/N"}], "nullable": True}
    assert props["num"] == {"type": "number", "minimum": 0, "exclusiveMinimum": True,
                            "nullable": True, "example": 0.1}
    assert props["pair"]["items"] == {"type": "integer"} and "prefixItems" not in props["pair"]
    assert schema["openapi"] == "3.1.0"  # the input is left as it was
