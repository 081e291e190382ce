"""No Docker engine runs here: check the Dockerfile's essentials by parsing it."""

from __future__ import annotations

import json
import re

from .conftest import ROOT


def instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_slim_base_non_root_port_healthcheck_and_command() -> None:
    steps = instructions()
    keywords = [k for k, _ in steps]
    assert re.fullmatch(r"python:3\.11-slim\S*", dict(steps)["FROM"])
    user = [v for k, v in steps if k == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert keywords.index("USER") < keywords.index("CMD")
    assert "8000" in dict(steps)["EXPOSE"].split()
    health = dict(steps)["HEALTHCHECK"]
    assert "/healthz" in health and "CMD" in health
    cmd = json.loads(dict(steps)["CMD"])
    assert cmd[:2] == ["advisor", "serve"] and "0.0.0.0" in cmd
    copied = " ".join(v for k, v in steps if k == "COPY")
    for folder in ("advisor", "api", "probes", "rules", "constraints.txt"):
        assert folder in copied


def test_job_database_lives_on_a_volume_the_user_owns() -> None:
    steps = instructions()
    env = " ".join(v for k, v in steps if k == "ENV")
    assert "ADVISOR_JOB_DB=/data/jobs.sqlite" in env
    assert '"/data"' in dict(steps)["VOLUME"]
    run = " ".join(v for k, v in steps if k == "RUN")
    assert "chown advisor:advisor /data" in run


def test_the_image_serves_probe_jobs_only_with_keys() -> None:
    """The image binds 0.0.0.0: its job routes are on only when ADVISOR_API_KEYS is given, so
    `advisor serve` starts (read-only) without keys instead of refusing or running jobs open."""
    from advisor_api.server import check_exposure
    from advisor_api.settings import Settings

    env = " ".join(v for k, v in instructions() if k == "ENV")
    assert "ADVISOR_JOB_ROUTES=keyed" in env
    bare = Settings(job_routes="keyed")
    assert not bare.jobs_enabled
    check_exposure(bare, "0.0.0.0")
    assert Settings(job_routes="keyed", api_keys=("k1",)).jobs_enabled
