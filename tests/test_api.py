"""The HTTP API, exercised over a real socket against uvicorn running in a thread."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml

from advisor import recommend
from advisor_api import create_app
from advisor_api.dependencies import get_knowledge_base
from advisor_api.settings import Settings

from .conftest import EXAMPLES, base_profile


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    app = create_app(Settings(max_body_bytes=200_000))
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=10) as http:
        yield http


@pytest.mark.parametrize("path", EXAMPLES[:4], ids=lambda p: p.stem)
def test_recommend_matches_the_library(client: httpx.Client, path: Path, profiles) -> None:
    response = client.post("/v1/recommend", json=yaml.safe_load(path.read_text()))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text == recommend(profiles[path.stem]).to_json()


def test_invalid_profile_gives_422_with_field_paths(client: httpx.Client) -> None:
    body = base_profile(task="regression", **{"data.num_samples": -1, "optimizer": "adma"})
    body["colour"] = "blue"
    response = client.post("/v1/recommend", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] == "Unprocessable Content"
    assert {e["path"] for e in problem["errors"]} == {"data.num_samples", "optimizer", "colour"}


def test_cross_field_error_has_its_path(client: httpx.Client) -> None:
    response = client.post("/v1/recommend", json=base_profile(task="regression"))
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["data", "num_classes"]]


@pytest.mark.parametrize("content,headers", [
    (b"{not json", {"content-type": "application/json"}),
    (b"[1, 2, 3]", {"content-type": "application/json"}),
    (b"", {"content-type": "application/json"}),
    ("\u00e9\u00e8".encode(), {"content-type": "application/json"}),
])
def test_malformed_bodies_are_422_not_500(client: httpx.Client, content: bytes, headers) -> None:
    response = client.post("/v1/recommend", content=content, headers=headers)
    assert response.status_code == 422
    assert response.json()["status"] == 422


def test_body_size_limit(client: httpx.Client) -> None:
    big = json.dumps({**base_profile(), "name": "x" * 300_000})
    response = client.post("/v1/recommend", content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["detail"] == "request body exceeds 200000 bytes"


def test_rules_endpoints(client: httpx.Client) -> None:
    rules = client.get("/v1/rules").json()
    assert len(rules) >= 120 and {"id", "when", "then", "because", "source"} <= set(rules[0])
    rule = client.get("/v1/rules/lr.initial.adam-family").json()
    assert rule["citations"][0]["id"] == "LR-01" and "14.2.6" in rule["citations"][0]["section"]
    missing = client.get("/v1/rules/lr.initial.adam-famly")
    assert missing.status_code == 404 and "did you mean" in missing.json()["detail"]


def test_errors_share_one_shape(client: httpx.Client) -> None:
    for response, status in ((client.get("/nope"), 404), (client.delete("/v1/rules"), 405)):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert set(response.json()) == {"type", "title", "status", "detail"}


def test_health_and_docs(client: httpx.Client) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/v1/recommend" in schema["paths"]


def test_knowledge_base_dependency_can_be_overridden(rules_copy: Path) -> None:
    from fastapi.testclient import TestClient

    from advisor import load_knowledge_base

    (rules_copy / "debugging.yaml").unlink()
    app = create_app()
    smaller = load_knowledge_base(rules_copy)
    app.dependency_overrides[get_knowledge_base] = lambda: smaller
    with TestClient(app) as test_client:
        assert test_client.get("/healthz").json()["rules"] == len(smaller)


def test_a_broken_rules_dir_stops_the_server_from_starting(rules_copy: Path) -> None:
    from advisor import KnowledgeBaseError

    (rules_copy / "bad.yaml").write_text("- id: x.y\n  source: [LR-01]\n  when: nope\n"
                                         "  then: {momentum: 0.9}\n  because: Broken on purpose.\n")
    with pytest.raises(KnowledgeBaseError):
        create_app(Settings(rules_dir=rules_copy))


def test_no_request_can_name_code(client: httpx.Client) -> None:
    # Conditions live only in the server's rules; a profile is data, validated field by field.
    body = base_profile(**{"model.family": "__import__('os').system('true')"})
    assert client.post("/v1/recommend", json=body).status_code == 422
