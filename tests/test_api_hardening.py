"""Issue 15, the HTTP service: one test per class of hostile input, against a real uvicorn server
running our protocol (advisor_api.server) where the class is about the server."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi.testclient import TestClient

from advisor.errors import JobStoreError
from advisor_api import create_app
from advisor_api.cache import ResponseCache
from advisor_api.server import UVICORN_OPTIONS, check_exposure, protocol_with_timeout
from advisor_api.settings import Settings, SettingsError, load_settings

from .conftest import EXAMPLES, base_profile, serve_in_thread

PROFILE = yaml.safe_load(EXAMPLES[0].read_text())


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    return Settings(job_db=tmp_path / "jobs.sqlite", job_slots=0, log_json=False, **overrides)


@contextmanager
def guarded_server(app: Any, header_timeout_s: float = 10.0) -> Iterator[tuple[str, int]]:
    """uvicorn as `advisor serve` runs it (our protocol), in a thread; yields (host, port)."""
    options = {**UVICORN_OPTIONS, "http": protocol_with_timeout(header_timeout_s)}
    with serve_in_thread(app, **options) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def _read_response(sock: socket.socket, timeout: float = 10) -> tuple[bytes, bool]:
    """(what the server sent, whether it then closed the connection)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        return data, False
    except ConnectionResetError:
        pass
    return data, True


# -- 1. a chunked body over the limit: 413, and the connection is closed, not drained


def test_oversize_chunked_body_is_413_and_the_connection_closes(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, max_body_bytes=100_000))
    with guarded_server(app) as (host, port), socket.create_connection((host, port)) as sock:
        sock.sendall(b"POST /v1/recommend HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"  # 64 KiB per chunk, no Content-Length
        sent = 0
        try:
            for _ in range(100 * 16):  # up to 100 MB
                sock.sendall(chunk)
                sent += 0x10000
        except (BrokenPipeError, ConnectionResetError):
            pass
        data, closed = _read_response(sock)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), data[:300]
    assert b"connection: close" in head.lower()
    assert json.loads(body)["detail"] == "request body exceeds 100000 bytes"
    assert closed and sent < 50 * 2**20  # refused long before the client got through 100 MB


# -- 2. a request head sent slowly is cut off


def test_slow_request_heads_time_out(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    with guarded_server(app, header_timeout_s=0.5) as (host, port):
        socks = [socket.create_connection((host, port)) for _ in range(50)]
        for sock in socks:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        assert httpx.get(f"http://{host}:{port}/healthz", timeout=5).status_code == 200
        time.sleep(1.0)
        for sock in socks:
            data, closed = _read_response(sock, timeout=5)
            assert closed and data.startswith(b"HTTP/1.1 408"), data[:100]
            sock.close()
        # A kept-alive connection gets the same deadline for its next request's head.
        with socket.create_connection((host, port)) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.2)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            sock.sendall(b"GET /healthz HTTP/1.1\r\n")
            data, closed = _read_response(sock, timeout=5)
            assert closed and data.startswith(b"HTTP/1.1 408")


# -- 3. validation is bounded: a capped error list, and the event loop stays free


def test_a_body_with_many_problems_is_a_short_422_and_health_stays_fast(tmp_path: Path) -> None:
    # Profiles refuse objects of over 64 keys up front; a job's options are checked key by key.
    body = {"target": "digits-mlp", "probe": "lr", "options": {f"k{i}": 1 for i in range(70_000)}}
    raw = json.dumps(body).encode()
    assert len(raw) < 1_000_000
    app = create_app(_settings(tmp_path))
    with guarded_server(app) as (host, port):
        url = f"http://{host}:{port}"
        response = httpx.post(f"{url}/v1/probe-jobs", content=raw,
                              headers={"content-type": "application/json"}, timeout=30)
        assert response.status_code == 422
        problem = response.json()
        assert problem["detail"] == "70000 invalid field(s); the first 20 are listed"
        assert len(problem["errors"]) == 20 and len(response.content) < 10_000

        slowest = 0.0

        def flood() -> None:
            with httpx.Client(timeout=60) as c:
                for _ in range(2):
                    c.post(f"{url}/v1/probe-jobs", content=raw, headers={"content-type": "application/json"})

        threads = [threading.Thread(target=flood) for _ in range(4)]
        for t in threads:
            t.start()
        with httpx.Client(timeout=10) as c:
            while any(t.is_alive() for t in threads):
                start = time.perf_counter()
                assert c.get(f"{url}/healthz").status_code == 200
                slowest = max(slowest, time.perf_counter() - start)
                time.sleep(0.02)
    assert slowest < 1.0, f"/healthz took {slowest:.2f} s while validating"


# -- 4. memory is bounded: the response cache (bytes, canonical key), metric labels, /v1/diagnose


def test_response_cache_is_keyed_on_the_profile_and_bounded_in_bytes(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    cache = app.state.response_cache
    with TestClient(app) as c:
        first = c.post("/v1/recommend", json=PROFILE)
        for pad in range(1, 30):  # the same profile, padded differently: one entry
            padded = json.dumps(PROFILE, indent=pad).encode() + b" " * 1000 * pad
            again = c.post("/v1/recommend", content=padded, headers={"content-type": "application/json"})
            assert again.content == first.content
    assert len(cache) == 1 and cache.hits == 29

    small = ResponseCache(size=1000, max_bytes=10_000)
    for i in range(100):
        small.put(i, b"x" * 1000)
    assert small.bytes <= 10_000 and len(small) == 10 and small.get(99) and small.get(0) is None
    small.put("huge", b"x" * 5000)  # over an eighth of the budget: not stored
    assert small.get("huge") is None


def test_metric_labels_are_bounded(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    with TestClient(app) as c:
        for i in range(50):
            c.request(f"X{i}WEIRD", f"/random/{i}")
        text = c.get("/metrics").text
    assert "WEIRD" not in text and "/random/" not in text
    assert 'advisor_http_requests_total{method="other",route="(unmatched)",status="404"} 50.0' in text


def test_diagnose_is_bounded_in_rows_columns_and_requests_at_once(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, max_history_rows=1000, max_history_columns=8,
                               diagnose_concurrency=1))
    with guarded_server(app) as (host, port):
        url = f"http://{host}:{port}"
        rows = [{"epoch": i, "loss": 1.0} for i in range(1001)]
        response = httpx.post(f"{url}/v1/diagnose", json=rows)
        assert response.status_code == 422 and "1001 rows is over the limit of 1000" in response.text
        wide = [{"epoch": 0, "loss": 1.0, **{f"m{j}": 1.0 for j in range(10)}}]
        response = httpx.post(f"{url}/v1/diagnose", json={"history": wide})
        assert response.status_code == 422 and "12 columns is over the limit of 8" in response.text
        keras = {"loss": [1.0] * 1001}
        assert httpx.post(f"{url}/v1/diagnose", json=keras).status_code == 422
        # One request in flight (its body still arriving) holds the only slot: the next is 503.
        with socket.create_connection((host, port)) as slow:
            slow.sendall(b"POST /v1/diagnose HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n[")
            time.sleep(0.3)
            busy = httpx.post(f"{url}/v1/diagnose", json=rows[:5])
            assert busy.status_code == 503 and busy.headers["retry-after"] == "1"
            assert busy.headers["content-type"] == "application/problem+json"
        time.sleep(0.3)
        assert httpx.post(f"{url}/v1/diagnose", json=rows[:5]).status_code == 200


# -- 5. access control fails closed


@pytest.mark.parametrize("keys", ["", ",", " ", " , "])
def test_keys_set_but_empty_are_a_startup_error(monkeypatch: pytest.MonkeyPatch, keys: str) -> None:
    monkeypatch.setenv("ADVISOR_API_KEYS", keys)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith("ADVISOR_API_KEYS: holds no key") and "\n" not in str(caught.value)


def test_serve_refuses_bad_settings_and_open_jobs_in_one_line(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    monkeypatch.setenv("ADVISOR_PROTECT_READS", "true")
    monkeypatch.setenv("ADVISOR_API_KEYS", ",")
    result = cli("serve")
    assert result.code == 2 and "Traceback" not in result.err
    assert [line for line in result.err.splitlines() if line.strip()] == [
        line for line in result.err.splitlines() if "ADVISOR_API_KEYS" in line
    ]
    monkeypatch.delenv("ADVISOR_PROTECT_READS")
    monkeypatch.delenv("ADVISOR_API_KEYS")
    from advisor_api.settings import get_settings

    get_settings.cache_clear()
    result = cli("serve", "--host", "0.0.0.0")
    assert result.code == 2 and "Traceback" not in result.err
    assert "ADVISOR_API_KEYS" in result.err and len(result.err.strip().splitlines()) == 1


def test_open_job_routes_only_where_safe(tmp_path: Path) -> None:
    check_exposure(_settings(tmp_path), "127.0.0.1")
    check_exposure(_settings(tmp_path), "::1")
    check_exposure(_settings(tmp_path, api_keys=("k",)), "0.0.0.0")
    check_exposure(_settings(tmp_path, allow_open_jobs=True), "0.0.0.0")
    check_exposure(_settings(tmp_path, job_routes="keyed"), "0.0.0.0")  # the Docker image: jobs off
    for host in ("0.0.0.0", "10.1.2.3", "example.org"):
        with pytest.raises(SettingsError, match="ADVISOR_API_KEYS"):
            check_exposure(_settings(tmp_path), host)
    keyed_off = create_app(_settings(tmp_path, job_routes="keyed"))
    with TestClient(keyed_off) as c:
        assert c.post("/v1/probe-jobs", json={"target": "digits-mlp", "probe": "lr"}).status_code == 404
        assert "/v1/probe-jobs" not in c.get("/openapi.json").json()["paths"]


def test_queued_jobs_are_capped_in_all_and_per_key(tmp_path: Path) -> None:
    job = {"target": "digits-mlp", "probe": "sanity"}
    app = create_app(_settings(tmp_path, api_keys=("a", "b"), max_queued_jobs=5, max_queued_jobs_per_key=3))
    with TestClient(app) as c:
        statuses = [c.post("/v1/probe-jobs", json=job, headers={"X-API-Key": "a"}).status_code
                    for _ in range(4)]
        assert statuses == [202, 202, 202, 429]
        full = c.post("/v1/probe-jobs", json=job, headers={"X-API-Key": "a"})
        assert full.headers["retry-after"] and "this API key" in full.json()["detail"]
        first = c.get("/v1/probe-jobs", headers={"X-API-Key": "a"}).json()["jobs"][-1]["id"]
        assert c.delete(f"/v1/probe-jobs/{first}", headers={"X-API-Key": "a"}).status_code == 202
        assert c.post("/v1/probe-jobs", json=job, headers={"X-API-Key": "a"}).status_code == 202  # room again
        statuses = [c.post("/v1/probe-jobs", json=job, headers={"X-API-Key": "b"}).status_code
                    for _ in range(3)]
        assert statuses == [202, 202, 429]  # 5 queued in all
        assert "5 probe jobs are queued" in c.post("/v1/probe-jobs", json=job,
                                                   headers={"X-API-Key": "b"}).json()["detail"]


# -- 6. a key given twice is a 422 naming it, as in YAML files


def test_duplicate_keys_are_422_naming_the_key(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    bodies = {
        "/v1/recommend": b'{"task": "classification", "task": "regression"}',
        "/v1/diagnose": b'{"history": [{"epoch": 0, "loss": 1.0, "loss": 2.0}]}',
        "/v1/probe-jobs": b'{"target": "digits-mlp", "probe": "lr", "options": {"steps": 10, "steps": 20}}',
    }
    with TestClient(app) as c:
        for path, body in bodies.items():
            response = c.post(path, content=body, headers={"content-type": "application/json"})
            assert response.status_code == 422, (path, response.text)
            (error,) = response.json()["errors"]
            assert "duplicate key 'task'" in error["msg"] or "duplicate key 'loss'" in error["msg"] \
                or "duplicate key 'steps'" in error["msg"], error
        deep = b"[" * 100_000 + b"]" * 100_000
        assert c.post("/v1/diagnose", content=deep,
                      headers={"content-type": "application/json"}).status_code in (413, 422)
        huge = json.dumps(base_profile()).replace('"trials": 20', '"trials": ' + "9" * 5000).encode()
        response = c.post("/v1/recommend", content=huge, headers={"content-type": "application/json"})
        assert response.status_code == 422


# -- 7. a damaged job store: start-up refuses it in one line, /readyz reports it


def test_a_damaged_job_store_stops_startup_and_fails_readiness(tmp_path: Path, monkeypatch, cli) -> None:
    db = tmp_path / "jobs.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JobStoreError):
        create_app(Settings(job_db=db, job_slots=0, log_json=False))
    monkeypatch.setenv("ADVISOR_JOB_DB", str(db))
    from advisor_api.settings import get_settings

    get_settings.cache_clear()
    result = cli("serve")
    assert result.code == 2 and "Traceback" not in result.err and str(db) in result.err
    assert len(result.err.strip().splitlines()) == 1

    good = tmp_path / "good.sqlite"
    app = create_app(Settings(job_db=good, job_slots=0, log_json=False))
    with TestClient(app) as c:
        assert c.get("/readyz").status_code == 200
        good.write_bytes(b"garbage" * 1000)  # damaged while serving
        for suffix in ("-wal", "-shm"):
            Path(f"{good}{suffix}").unlink(missing_ok=True)
        response = c.get("/readyz")
        assert response.status_code == 503 and "\n" not in response.json()["detail"]
        assert str(good) in response.json()["detail"]
