"""Service concerns: one error shape for every status, request ids, JSON access logs, metrics,
readiness, the request timeout, protect_reads, and settings from the environment."""

from __future__ import annotations

import io
import json
import logging
import time
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from advisor_api import create_app
from advisor_api.dependencies import get_knowledge_base
from advisor_api.observability import JsonFormatter
from advisor_api.settings import Settings

from .conftest import EXAMPLES

PROFILE = yaml.safe_load(EXAMPLES[0].read_text())


@pytest.fixture
def client(tmp_path: Path):
    app = create_app(Settings(job_db=tmp_path / "jobs.sqlite", job_slots=0, log_json=False))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def test_every_error_status_has_the_same_shape(client: TestClient) -> None:
    assert_problem(client.get("/nope"), 404)
    assert_problem(client.put("/v1/recommend", json=PROFILE), 405)
    assert_problem(
        client.post("/v1/recommend", content=b"task: x", headers={"content-type": "text/yaml"}), 415
    )
    assert_problem(client.post("/v1/recommend", content=b"{}", headers={"content-type": "text/plain"}), 415)
    assert_problem(
        client.post("/v1/recommend", content=b"{oops", headers={"content-type": "application/json"}), 422
    )
    big = b"[" + b"1," * 600_000 + b"1]"  # 1.2 MB of valid JSON
    assert_problem(
        client.post("/v1/recommend", content=big, headers={"content-type": "application/json"}), 413
    )
    body = assert_problem(client.post("/v1/recommend", json={"task": "classification"}), 422)
    assert body["errors"] and all({"loc", "path", "msg"} <= set(e) for e in body["errors"])


def test_500_is_a_problem_without_internals(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings(job_db=tmp_path / "jobs.sqlite", job_slots=0, log_json=False))

    def broken() -> None:
        raise RuntimeError("secret internal detail")

    app.dependency_overrides[get_knowledge_base] = broken
    with TestClient(app, raise_server_exceptions=False) as c:
        body = assert_problem(c.post("/v1/recommend", json=PROFILE), 500)
    assert "secret" not in json.dumps(body)
    assert any("secret internal detail" in (r.exc_text or "") or r.exc_info for r in caplog.records)


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "trace-42.a_b"})
    assert given.headers["x-request-id"] == "trace-42.a_b"
    made = client.get("/healthz", headers={"X-Request-ID": b"bad id; with spaces" + b"\xe9"})
    assert len(made.headers["x-request-id"]) == 32 and " " not in made.headers["x-request-id"]
    assert_problem(client.get("/nope"), 404)
    assert client.get("/nope").headers["x-request-id"]


def test_one_json_log_line_per_request(client: TestClient) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("advisor_api.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client.post("/v1/recommend", json=PROFILE, headers={"X-Request-ID": "req-1"})
        client.get("/v1/rules/nope", headers={"X-Request-ID": "req-2"})
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["request_id"], e["method"], e["route"], e["status"]) for e in lines] == [
        ("req-1", "POST", "/v1/recommend", 200),
        ("req-2", "GET", "/v1/rules/{rule_id}", 404),
    ]
    assert all(e["duration_ms"] >= 0 and e["path"] for e in lines)


def test_metrics_count_routes_not_raw_paths(client: TestClient) -> None:
    for _ in range(3):
        client.post("/v1/recommend", json=PROFILE)
    client.get("/v1/rules/lr.initial.adam-family")
    client.get("/v1/rules/another.one")
    text = client.get("/metrics").text
    assert 'advisor_http_requests_total{method="POST",route="/v1/recommend",status="200"} 3.0' in text
    assert 'route="/v1/rules/{rule_id}"' in text and "another.one" not in text
    assert (
        'advisor_http_request_duration_seconds_bucket{le="0.005",method="POST",route="/v1/recommend"}' in text
    )
    assert "advisor_knowledge_base_rules 214.0" in text or "advisor_knowledge_base_rules" in text
    assert 'advisor_probe_jobs{status="queued"} 0.0' in text


def test_readyz(client: TestClient) -> None:
    assert client.get("/readyz").json() == {
        "status": "ready",
        "checks": {"knowledge_base": True, "job_store": True},
    }


def test_slow_request_times_out_with_503(tmp_path: Path) -> None:
    app = create_app(
        Settings(job_db=tmp_path / "jobs.sqlite", job_slots=0, log_json=False, request_timeout_s=0.2)
    )
    real = app.state.knowledge_base

    def slow():
        time.sleep(1.0)
        return real

    app.dependency_overrides[get_knowledge_base] = slow
    with TestClient(app, raise_server_exceptions=False) as c:
        body = assert_problem(c.post("/v1/recommend", json=PROFILE), 503)
        assert "longer than 0.2 s" in body["detail"]


def test_protect_reads_closes_everything_but_health(tmp_path: Path) -> None:
    app = create_app(
        Settings(
            job_db=tmp_path / "jobs.sqlite", job_slots=0, log_json=False, api_keys=("k",), protect_reads=True
        )
    )
    with TestClient(app) as c:
        for path in ("/v1/rules", "/metrics"):
            assert_problem(c.get(path), 401)
            assert c.get(path, headers={"X-API-Key": "k"}).status_code == 200
        assert_problem(c.post("/v1/recommend", json=PROFILE), 401)
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200
        schema = c.get("/openapi.json").json()
        assert "401" in schema["paths"]["/v1/recommend"]["post"]["responses"]


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ADVISOR_API_KEYS", " a , b,")
    monkeypatch.setenv("ADVISOR_PROBE_TARGETS", '{"mine": "mypkg.train:probe_target"}')
    monkeypatch.setenv("ADVISOR_JOB_TIMEOUT_S", "12.5")
    settings = Settings()
    assert settings.api_keys == ("a", "b") and settings.probe_targets == {"mine": "mypkg.train:probe_target"}
    assert settings.job_timeout_s == 12.5
    monkeypatch.delenv("ADVISOR_API_KEYS")
    monkeypatch.setenv("ADVISOR_PROTECT_READS", "true")
    with pytest.raises(ValueError, match="protect_reads needs api_keys"):
        Settings()
