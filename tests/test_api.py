"""The HTTP API, exercised over a real socket against uvicorn running in a thread."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi.routing import APIRoute

from advisor import recommend
from advisor_api import create_app
from advisor_api.dependencies import get_knowledge_base
from advisor_api.routers import diagnose, health, jobs, rules
from advisor_api.routers import recommend as recommend_routes
from advisor_api.settings import Settings

from .conftest import EXAMPLES, base_profile, serve_in_thread


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(Settings(max_body_bytes=200_000, max_history_bytes=3_000_000, job_slots=0,
                              job_db=tmp_path_factory.mktemp("api") / "jobs.sqlite"))
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=10) as http:
        yield http


@pytest.mark.parametrize("path", EXAMPLES[:4], ids=lambda p: p.stem)
def test_recommend_matches_the_library(client: httpx.Client, path: Path, profiles) -> None:
    response = client.post("/v1/recommend", json=yaml.safe_load(path.read_text()))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == json.loads(recommend(profiles[path.stem]).to_json())
    again = client.post("/v1/recommend", json=yaml.safe_load(path.read_text()))  # from the response cache
    assert again.content == response.content


def test_invalid_profile_gives_422_with_field_paths(client: httpx.Client) -> None:
    body = base_profile(task="regression", **{"data.num_samples": -1, "optimizer": "adma"})
    body["colour"] = "blue"
    response = client.post("/v1/recommend", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 422 and problem["title"] == "Unprocessable Content"
    assert {e["path"] for e in problem["errors"]} == {"data.num_samples", "optimizer", "colour"}


def test_enum_values_in_any_case_and_a_hint_for_the_misspelt(client: httpx.Client) -> None:
    canonical = client.post("/v1/recommend", json=base_profile(optimizer="adamw"))
    spelt = client.post("/v1/recommend", json=base_profile(optimizer="AdamW", task="Classification",
                                                            **{"model.family": "MLP"}))
    assert spelt.status_code == 200 and spelt.content == canonical.content
    misspelt = client.post("/v1/recommend", json=base_profile(optimizer="adma"))
    assert misspelt.status_code == 422
    (error,) = misspelt.json()["errors"]
    assert error["path"] == "optimizer" and "did you mean 'adam'?" in error["msg"]
    assert "'nadam'" in error["msg"]  # the allowed values are listed


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

    (rules_copy / "gan.yaml").unlink()  # nothing else refers to its rules
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


HISTORIES = Path(__file__).parent / "histories"


def test_diagnose_bare_history_and_wrapped_request(client: httpx.Client) -> None:
    keras = json.loads((HISTORIES / "lr_too_low.keras.json").read_text())
    bare = client.post("/v1/diagnose", json=keras)
    assert bare.status_code == 200 and bare.json()["verdicts"][0]["name"] == "lr_too_low"
    hf = json.loads((HISTORIES / "healthy.trainer_state.json").read_text())
    assert client.post("/v1/diagnose", json=hf).json()["verdicts"][0]["name"] == "healthy"
    wrapped = client.post("/v1/diagnose", json={"history": keras, "profile": base_profile()})
    assert wrapped.status_code == 200
    assert wrapped.json()["verdicts"][0]["name"] == "lr_too_low"


def test_diagnose_matches_the_library(client: httpx.Client) -> None:
    from advisor.core.diagnosis import diagnose
    from advisor.evidence.history import parse_history_json

    rows = [{"epoch": i, "train_loss": 2 / (i + 1), "val_loss": 2 / (i + 1) + 0.05 * max(0, i - 5)}
            for i in range(20)]
    response = client.post("/v1/diagnose", json={"history": rows})
    # The library's pretty JSON in the API's one compact format (advisor_api.responses), byte for byte.
    expected = json.loads(diagnose(parse_history_json(rows)).to_json())
    assert response.content == json.dumps(expected, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.mark.parametrize(("body", "loc"), [
    ({"history": [{"epoch": 0, "loss": "abc"}]}, ["history", 0, "loss"]),
    ({"history": [{"epoch": 0, "loss": 1.0}, {"epoch": 0, "loss": 2.0}]}, ["history", 1, "loss"]),
    ({"history": [{"epoch": 0, "acc": 1.0}]}, ["history"]),
    ({"history": [{"epoch": 0, "loss": 1.0}], "profile": {"task": "nope"}}, ["profile", "task"]),
    ({"loss": [1, 2], "val_loss": [1]}, ["history"]),
    ([], ["history"]),
    ({}, ["history"]),
    (5, ["history"]),
    ({"history": [{"epoch": 0, "lösś": 1.0, "loss": "∞"}]}, ["history", 0, "loss"]),
    ({"history": [{"epoch": 0, "loss": 10**400}]}, ["history", 0, "loss"]),
    ({"history": [{"epoch": -(10**400), "loss": 1.0}]}, ["history", 0, "epoch"]),
    ({"history": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}, ["history"]),
])
def test_diagnose_bad_input_is_422_with_locations(client: httpx.Client, body, loc) -> None:
    response = client.post("/v1/diagnose", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]], response.json()


def test_diagnose_edge_cases_are_200(client: httpx.Client) -> None:
    rows = [{"epoch": i, "loss": 1e308, "val_loss": 1e308} for i in range(3)]
    huge = client.post("/v1/diagnose", json=rows)
    assert huge.status_code == 200
    rows = [{"époque": 1, "epoch": i, "loss": 1.0 / (i + 1)} for i in range(4)]
    unicode = client.post("/v1/diagnose", json=rows)
    assert unicode.status_code == 200 and unicode.json()["history"]["ignored_columns"] == ["époque"]
    one = client.post("/v1/diagnose", json=[{"epoch": 0, "loss": 1.0, "val_loss": 1.1}])
    assert one.status_code == 200 and "diag.curve.too-short" in [a["id"] for a in one.json()["advice"]]
    nan = client.post("/v1/diagnose", content=b'{"loss": [2, 1.5, NaN, NaN], "val_loss": [2, 1.6, NaN, NaN]}',
                      headers={"content-type": "application/json"})
    assert nan.status_code == 200 and nan.json()["verdicts"][0]["name"] == "diverged"


def test_diagnose_body_limit_is_its_own(client: httpx.Client) -> None:
    rows = [{"epoch": i, "loss": 1.0 / (i + 1), "val_loss": 1.1 / (i + 1)} for i in range(20_000)]
    body = json.dumps(rows)
    assert 200_000 < len(body) < 3_000_000  # over /v1/recommend's limit, under /v1/diagnose's
    response = client.post("/v1/diagnose", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200


def test_a_200_mb_upload_is_refused_without_reading_it(client: httpx.Client) -> None:
    size = 200 * 2**20

    def chunks():
        yield b"[" + b" " * (2**20 - 1)
        for _ in range(size // 2**20 - 1):
            yield b" " * 2**20

    start = time.monotonic()
    try:
        response = client.post("/v1/diagnose", content=chunks(),
                               headers={"content-type": "application/json", "content-length": str(size)})
    except httpx.TransportError:
        pytest.fail("the server should answer 413 before the body is sent")
    assert response.status_code == 413 and response.json()["status"] == 413
    assert time.monotonic() - start < 10


def test_profile_contradictions_are_422_with_one_error_each(client: httpx.Client) -> None:
    body = base_profile(**{"model.finetuning": {"method": "lora"}, "data.sequence_length": 64,
                           "budget.epochs": 2, "budget.steps": 100})
    response = client.post("/v1/recommend", json=body)
    assert response.status_code == 422
    errors = {e["path"]: e["msg"] for e in response.json()["errors"]}
    assert set(errors) == {"model.finetuning", "data.sequence_length", "budget.steps"}
    assert "pretrained" in errors["model.finetuning"]


def test_wrapped_profile_gives_the_same_answer_and_locates_errors_in_it(client: httpx.Client) -> None:
    profile = yaml.safe_load(EXAMPLES[0].read_text())
    bare = client.post("/v1/recommend", json=profile)
    wrapped = client.post("/v1/recommend", json={"profile": profile, "probes": None})
    assert wrapped.status_code == 200 and wrapped.json() == bare.json()
    body = base_profile(task="regression", **{"data.num_samples": -1})
    paths = [e["path"] for e in client.post("/v1/recommend", json={"profile": body}).json()["errors"]]
    assert paths == ["profile.data.num_samples"]
    unknown = client.post("/v1/recommend", json={"profile": base_profile(), "probe": {}})
    assert unknown.status_code == 422 and [e["loc"] for e in unknown.json()["errors"]] == [["probe"]]


def test_every_route_declares_its_response_model() -> None:
    routers = (recommend_routes.router, diagnose.router, rules.router, jobs.router, health.router,
               health.metrics_router)
    routes = [route for router in routers for route in router.routes if isinstance(route, APIRoute)]
    assert len(routes) == 12
    assert [route.path for route in routes if route.response_model is None] == []


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_is_generated_from_the_models(tmp_path: Path) -> None:
    from fastapi import FastAPI

    app = create_app(Settings(job_db=tmp_path / "jobs.sqlite", job_slots=0, log_json=False))
    assert type(app).openapi is FastAPI.openapi and "openapi" not in vars(app)  # not patched
    schema = app.openapi()
    components = schema["components"]["schemas"]
    assert {ref.removeprefix("#/components/schemas/") for ref in _refs(schema)} <= set(components)
    bodies = {path: ops["post"]["requestBody"]["content"]["application/json"]["schema"]
              for path, ops in schema["paths"].items() if "post" in ops}
    assert bodies["/v1/recommend"]["anyOf"] == [{"$ref": "#/components/schemas/Profile"},
                                                {"$ref": "#/components/schemas/RecommendRequest"}]
    assert {"$ref": "#/components/schemas/DiagnoseRequest"} in bodies["/v1/diagnose"]["anyOf"]
    assert bodies["/v1/probe-jobs"] == {"$ref": "#/components/schemas/ProbeJobRequest"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            ok = next(r for code, r in operation["responses"].items() if code.startswith("2"))
            assert all(c["schema"] for c in ok["content"].values()), (method, path)
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    assert list(response["content"]) == ["application/problem+json"], (method, path, code)
    assert "401" not in schema["paths"]["/v1/probe-jobs"]["post"]["responses"]  # no keys, no 401
