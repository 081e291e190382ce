"""Probe jobs over HTTP: allow-list, auth, cancellation, a worker killed with -9, a timeout, the
job database going away or read-only, and results fed straight into /v1/recommend and /v1/diagnose."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from advisor_api import create_app
from advisor_api.settings import Settings

from .conftest import EXAMPLES, serve_in_thread

KEY = "s3cret-key-for-tests"


def wait_for(client: httpx.Client, job_id: str, statuses: tuple[str, ...], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/v1/probe-jobs/{job_id}").json()
        if job["status"] in statuses:
            return job
        assert time.monotonic() < deadline, f"job stuck in {job['status']}: {job}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    return create_app(
        Settings(
            job_db=tmp_path_factory.mktemp("jobs") / "jobs.sqlite",
            job_slots=1,
            job_timeout_s=60,
            api_keys=(KEY, "second-key"),
            log_json=False,
        )
    )


@pytest.fixture(scope="module")
def client(app) -> Iterator[httpx.Client]:
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30, headers={"X-API-Key": KEY}) as c:
        yield c


def test_job_endpoints_need_a_key_and_reads_stay_open(client: httpx.Client) -> None:
    body = {"target": "digits-mlp", "probe": "sanity"}
    for headers in ({"X-API-Key": ""}, {"X-API-Key": "wrong"}, {"X-API-Key": KEY + "x"}):
        response = client.post("/v1/probe-jobs", json=body, headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"] == "ApiKey"
    without = httpx.post(f"{client.base_url}/v1/probe-jobs".replace("//v1", "/v1"), json=body)
    assert without.status_code == 401
    assert (
        httpx.get(f"{client.base_url}/v1/rules".replace("//v1", "/v1")).status_code == 200
    )  # read-only: open by default
    assert client.get("/v1/probe-targets", headers={"X-API-Key": "second-key"}).json() == {
        "targets": ["digits-cnn", "digits-mlp", "lstm"]
    }


def test_sanity_job_runs_in_a_worker_and_feeds_diagnose(client: httpx.Client) -> None:
    created = client.post(
        "/v1/probe-jobs",
        json={
            "target": "digits-mlp",
            "probe": "sanity",
            "options": {"checks": ["init_loss", "gradient_isolation"]},
        },
    )
    assert created.status_code == 202
    job_id = created.json()["id"]
    assert created.headers["location"] == f"/v1/probe-jobs/{job_id}"
    job = wait_for(client, job_id, ("succeeded", "failed"))
    assert job["status"] == "succeeded", job
    diagnosis = client.post("/v1/diagnose", json=job["result"])
    assert diagnosis.status_code == 200
    assert [c["name"] for c in diagnosis.json()["sanity"]["checks"]] == ["init_loss", "gradient_isolation"]


def test_lr_job_result_feeds_recommend(client: httpx.Client) -> None:
    job_id = client.post(
        "/v1/probe-jobs", json={"target": "digits-mlp", "probe": "lr", "options": {"steps": 40, "seed": 1}}
    ).json()["id"]
    job = wait_for(client, job_id, ("succeeded", "failed"))
    assert job["status"] == "succeeded" and job["progress"] == 1.0
    profile = yaml.safe_load(next(p for p in EXAMPLES if p.stem == "tabular-mlp-adam").read_text())
    rec = client.post("/v1/recommend", json={"profile": profile, "probes": job["result"]["probes"]})
    assert rec.status_code == 200
    assert rec.json()["probes"]["lr_range"]["steps_run"] == job["result"]["probes"]["lr_range"]["steps_run"]
    assert any(rule.startswith("probe.lr") for rule in rec.json()["fired"])


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"target": "os:system", "probe": "lr"}, ["target"]),
        ({"target": "advisor_probes.examples:digits_mlp", "probe": "lr"}, ["target"]),
        ({"target": "digits-mlp", "probe": "shell"}, ["probe"]),
        ({"target": "digits-mlp", "probe": "lr", "options": {"steps": 0}}, ["options", "steps"]),
        ({"target": "digits-mlp", "probe": "lr", "options": {"command": "rm -rf /"}}, ["options", "command"]),
        (
            {"target": "digits-mlp", "probe": "data-scaling", "options": {"fractions": [0.5]}},
            ["options", "fractions"],
        ),
        ({"target": "dígits-mlp-ü", "probe": "lr"}, ["target"]),
    ],
)
def test_bad_job_requests_are_422(client: httpx.Client, body: dict, loc: list) -> None:
    response = client.post("/v1/probe-jobs", json=body)
    assert response.status_code == 422, response.text
    assert loc in [e["loc"] for e in response.json()["errors"]]


def test_unknown_job_is_404(client: httpx.Client) -> None:
    for response in (client.get("/v1/probe-jobs/nope"), client.delete("/v1/probe-jobs/nope")):
        assert response.status_code == 404 and response.json()["detail"] == "no probe job 'nope'"


def test_worker_killed_with_sigkill_fails_the_job_with_the_reason(app, client: httpx.Client) -> None:
    job_id = client.post(
        "/v1/probe-jobs", json={"target": "digits-cnn", "probe": "data-scaling", "options": {"epochs": 200}}
    ).json()["id"]
    wait_for(client, job_id, ("running",))
    deadline = time.monotonic() + 20
    while job_id not in app.state.job_runner.pids():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(app.state.job_runner.pids()[job_id], signal.SIGKILL)
    job = wait_for(client, job_id, ("failed",))
    assert job["error"] == "the worker process died (signal 9)"


def test_cancel_running_and_concurrent_cancels(app, client: httpx.Client) -> None:
    job_id = client.post(
        "/v1/probe-jobs", json={"target": "digits-cnn", "probe": "data-scaling", "options": {"epochs": 200}}
    ).json()["id"]
    wait_for(client, job_id, ("running",))
    codes: list[int] = []

    def cancel() -> None:
        codes.append(client.delete(f"/v1/probe-jobs/{job_id}").status_code)

    threads = [threading.Thread(target=cancel) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(codes) <= {202}, codes
    job = wait_for(client, job_id, ("cancelled",))
    assert job["error"] == "cancelled on request" and job_id not in app.state.job_runner.pids()
    again = client.delete(f"/v1/probe-jobs/{job_id}")
    assert again.status_code == 202 and again.json()["status"] == "cancelled"


def test_finished_job_cannot_be_cancelled(client: httpx.Client) -> None:
    job_id = client.post(
        "/v1/probe-jobs",
        json={"target": "digits-mlp", "probe": "sanity", "options": {"checks": ["init_loss"]}},
    ).json()["id"]
    wait_for(client, job_id, ("succeeded",))
    response = client.delete(f"/v1/probe-jobs/{job_id}")
    assert response.status_code == 409 and "already succeeded" in response.json()["detail"]


def test_wall_clock_timeout(tmp_path: Path) -> None:
    app = create_app(
        Settings(job_db=tmp_path / "jobs.sqlite", job_slots=1, job_timeout_s=1.5, log_json=False)
    )
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        job_id = c.post(
            "/v1/probe-jobs",
            json={"target": "digits-cnn", "probe": "data-scaling", "options": {"epochs": 200}},
        ).json()["id"]
        job = wait_for(c, job_id, ("failed",), timeout=60)
        assert job["error"] == "timed out after 1.5 s (the wall-clock limit)"


def test_queued_jobs_cancel_at_once_and_the_queue_shows_in_metrics(tmp_path: Path) -> None:
    app = create_app(Settings(job_db=tmp_path / "jobs.sqlite", job_slots=0, log_json=False))
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        ids = [
            c.post("/v1/probe-jobs", json={"target": "lstm", "probe": "lr"}).json()["id"] for _ in range(3)
        ]
        metrics = c.get("/metrics").text
        assert 'advisor_probe_jobs{status="queued"} 3.0' in metrics
        assert c.delete(f"/v1/probe-jobs/{ids[0]}").json()["status"] == "cancelled"
        assert [j["id"] for j in c.get("/v1/probe-jobs").json()["jobs"]] == ids[::-1]


def test_job_database_deleted_or_unusable_while_serving(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite"
    app = create_app(Settings(job_db=db, job_slots=0, log_json=False))
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        assert c.get("/readyz").status_code == 200
        for path in tmp_path.glob("jobs.sqlite*"):
            path.unlink()
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "missing" in ready.json()["detail"]
        job = c.post("/v1/probe-jobs", json={"target": "lstm", "probe": "lr"})
        assert job.status_code == 503 and job.headers["content-type"] == "application/problem+json"
        assert "Traceback" not in job.text
        assert c.get("/healthz").status_code == 200  # alive, just not ready
        assert c.post("/v1/recommend", json=yaml.safe_load(EXAMPLES[0].read_text())).status_code == 200
        db.mkdir()  # a directory where the database should be: unreadable
        assert c.get("/readyz").status_code == 503
        assert c.get("/metrics").status_code == 200


def test_read_only_job_database_while_serving(tmp_path: Path) -> None:
    """Root ignores permission bits, so the files are made immutable (chattr +i) instead."""
    import shutil
    import subprocess

    db = tmp_path / "jobs.sqlite"
    app = create_app(Settings(job_db=db, job_slots=0, log_json=False))
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        job_id = c.post("/v1/probe-jobs", json={"target": "lstm", "probe": "lr"}).json()["id"]
        files = [str(p) for p in tmp_path.glob("jobs.sqlite*")]
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", *files]).returncode != 0:
            pytest.skip("chattr +i is not available on this filesystem")
        try:
            ready = c.get("/readyz")
            assert ready.status_code == 503 and "job" in ready.json()["detail"]
            refused = c.post("/v1/probe-jobs", json={"target": "lstm", "probe": "lr"})
            assert (
                refused.status_code == 503 and refused.headers["content-type"] == "application/problem+json"
            )
            assert c.get(f"/v1/probe-jobs/{job_id}").json()["status"] == "queued"  # reads still work
        finally:
            subprocess.run(["chattr", "-i", *files], check=True)
        assert c.get("/readyz").status_code == 200  # and it recovers once writable again
