"""Every JSON response, success or error, is written in the API's one format (responses.py):
compact, UTF-8 without `\\u` escapes, no NaN. Checked on the bytes, over a real socket."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from advisor_api import create_app
from advisor_api.dependencies import get_knowledge_base
from advisor_api.responses import JSONBody, encode_json
from advisor_api.settings import Settings

from .conftest import EXAMPLES, serve_in_thread

PROFILE = yaml.safe_load(EXAMPLES[0].read_text())
JSON_TYPES = ("application/json", "application/problem+json")
# Routes that do not answer JSON on success (their errors are still checked where they occur).
NOT_JSON = {("GET", "/metrics"), ("GET", "/docs")}


def reencoded(body: bytes) -> bytes:
    """The format, written independently of the app: the body must equal this."""
    return json.dumps(json.loads(body), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def assert_one_format(response: httpx.Response) -> None:
    what = f"{response.request.method} {response.request.url.path} -> {response.status_code}"
    assert response.headers["content-type"] in JSON_TYPES, what
    assert response.content == reencoded(response.content), what
    assert not response.content.endswith(b"\n"), what


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("fmt") / "jobs.sqlite"
    return create_app(Settings(job_slots=0, log_json=False, job_db=db, max_body_bytes=200_000))


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[httpx.Client]:
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=20) as http:
        yield http


def test_every_json_route_answers_in_the_one_format(app: Any, client: httpx.Client) -> None:
    rule_id = client.get("/v1/rules").json()[0]["id"]
    misspelt = {**PROFILE, "optimizer": "adamé 模型"}  # echoed in the 422: non-ASCII as itself
    rows = [{"epoch": i, "train_loss": 2 / (i + 1), "val_loss": 2 / (i + 1) + 0.05 * max(0, i - 5)}
            for i in range(20)]
    raw = {"content-type": "application/json"}
    yaml_body = {"content": b"task: x", "headers": {"content-type": "text/yaml"}}
    too_big = {"content": b"[" + b"1," * 150_000 + b"1]", "headers": raw}
    # (method, route as declared, path, request kwargs, expected status)
    calls: list[tuple[str, str, str, dict[str, Any], int]] = [
        ("GET", "/healthz", "/healthz", {}, 200),
        ("GET", "/readyz", "/readyz", {}, 200),
        ("GET", "/openapi.json", "/openapi.json", {}, 200),
        ("GET", "/docs/openapi-3.0.json", "/docs/openapi-3.0.json", {}, 200),
        ("GET", "/v1/rules", "/v1/rules", {}, 200),
        ("GET", "/v1/rules/{rule_id}", f"/v1/rules/{rule_id}", {}, 200),
        ("GET", "/v1/rules/{rule_id}", "/v1/rules/no.such.rule", {}, 404),
        ("POST", "/v1/recommend", "/v1/recommend", {"json": PROFILE}, 200),
        ("POST", "/v1/recommend", "/v1/recommend", {"json": misspelt}, 422),
        ("POST", "/v1/recommend", "/v1/recommend", {"content": b"{oops", "headers": raw}, 422),
        ("POST", "/v1/recommend", "/v1/recommend", yaml_body, 415),
        ("POST", "/v1/recommend", "/v1/recommend", too_big, 413),
        ("PUT", "/v1/recommend", "/v1/recommend", {"json": PROFILE}, 405),
        ("POST", "/v1/diagnose", "/v1/diagnose", {"json": {"history": rows}}, 200),
        ("POST", "/v1/diagnose", "/v1/diagnose",
         {"content": b'{"loss": [2, 1.5, NaN, NaN], "val_loss": [2, 1.6, NaN, NaN]}', "headers": raw}, 200),
        ("POST", "/v1/diagnose", "/v1/diagnose", {"json": {"history": [{"epoch": "x"}]}}, 422),
        ("GET", "/v1/probe-targets", "/v1/probe-targets", {}, 200),
        ("POST", "/v1/probe-jobs", "/v1/probe-jobs", {"json": {"target": "nope", "probe": "lr"}}, 422),
        ("GET", "/nope", "/nope", {}, 404),
    ]
    seen: set[tuple[str, str]] = set()
    for method, route, path, kwargs, status in calls:
        response = client.request(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.text)
        assert_one_format(response)
        seen.add((method, route))
    assert "adamé 模型".encode() in client.post("/v1/recommend", json=misspelt).content

    # Jobs: queued (no slots), listed, read, cancelled, not found. The options echo the
    # probe's defaults, small floats among them (Python writes 1e-07 where pydantic writes 1e-7).
    created = client.post("/v1/probe-jobs", json={"target": "digits-mlp", "probe": "lr"})
    assert created.status_code == 202
    job_id = created.json()["id"]
    jobs = [created, client.get("/v1/probe-jobs"), client.get(f"/v1/probe-jobs/{job_id}"),
            client.delete(f"/v1/probe-jobs/{job_id}"),
            client.get("/v1/probe-jobs/missing")]
    assert [r.status_code for r in jobs] == [202, 200, 200, 202, 404]
    for response in jobs:
        assert_one_format(response)
    seen |= {("POST", "/v1/probe-jobs"), ("GET", "/v1/probe-jobs"), ("GET", "/v1/probe-jobs/{job_id}"),
             ("DELETE", "/v1/probe-jobs/{job_id}")}

    declared = {(m, r.path) for r in app.routes if isinstance(r, APIRoute) for m in r.methods}
    assert declared - NOT_JSON <= seen, "a JSON route this test does not call"


def test_401_500_and_503_too(tmp_path: Path) -> None:
    keyed = create_app(Settings(job_db=tmp_path / "a.sqlite", job_slots=0, log_json=False, api_keys=("k",)))
    with TestClient(keyed) as c:
        assert_one_format(c.get("/v1/probe-jobs"))  # 401

    broken = create_app(Settings(job_db=tmp_path / "b.sqlite", job_slots=0, log_json=False))

    def boom() -> None:
        raise RuntimeError("ünexpected")

    broken.dependency_overrides[get_knowledge_base] = boom
    with TestClient(broken, raise_server_exceptions=False) as c:
        response = c.get("/v1/rules")
        assert response.status_code == 500
        assert_one_format(response)

    slow = create_app(
        Settings(job_db=tmp_path / "c.sqlite", job_slots=0, log_json=False, request_timeout_s=0.05)
    )

    async def sleepy() -> None:
        import asyncio

        await asyncio.sleep(1)

    slow.dependency_overrides[get_knowledge_base] = sleepy
    with TestClient(slow, raise_server_exceptions=False) as c:
        response = c.get("/v1/rules")
        assert response.status_code == 503
        assert_one_format(response)


def test_non_finite_numbers_become_null() -> None:
    value = {"a": math.nan, "b": [1.5, math.inf, -math.inf], "c": (1e-07, "é")}
    assert encode_json(value) == '{"a":null,"b":[1.5,null,null],"c":[1e-07,"é"]}'.encode()
    assert JSONBody(value).body == encode_json(value)
