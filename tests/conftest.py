"""Shared fixtures: the shipped KB, the example and test profiles, a CLI runner."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor import KnowledgeBase, Profile, default_knowledge_base, load_profile, parse_profile
from advisor.cli import main
from advisor.core.knowledge import default_rules_dir

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
TEST_PROFILES = sorted((ROOT / "tests" / "profiles").glob("*.yaml"))
ALL_PROFILES = EXAMPLES + TEST_PROFILES
PROBE_CASES = sorted((ROOT / "tests" / "probe_cases").glob("*.yaml"))
HISTORIES = sorted(p for d in ("histories", "histories/edge") for p in (ROOT / "tests" / d).iterdir()
                   if p.suffix in (".csv", ".json"))
DIAGNOSIS_CASES = sorted((ROOT / "tests" / "diagnosis_cases").glob("*.yaml"))


@dataclass(frozen=True)
class ProbeCase:
    profile: Profile
    probes: dict[str, Any]


def load_probe_case(path: Path) -> ProbeCase:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return ProbeCase(parse_profile(raw["profile"]), raw["probes"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_in_thread(app: Any, **options: Any) -> Iterator[str]:
    """A real uvicorn server on a free loopback port (lifespan included), with uvicorn `options`
    (e.g. the protocol `advisor serve` runs); yields its base URL."""
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **{"log_level": "warning", **options})
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _job_db_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps built from the environment keep their job database out of the working tree, and the
    knowledge-base check cache out of the user's home."""
    from advisor_api.settings import get_settings

    monkeypatch.setenv("ADVISOR_JOB_DB", str(tmp_path_factory.mktemp("jobs") / "jobs.sqlite"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return default_knowledge_base()


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return {path.stem: load_profile(path) for path in ALL_PROFILES}


def base_profile(**overrides: Any) -> dict[str, Any]:
    """A valid profile as raw data; nested keys given as 'data.num_samples'."""
    data: dict[str, Any] = {
        "task": "classification",
        "data": {"modality": "tabular", "num_samples": 20000, "num_classes": 3},
        "model": {"family": "mlp", "depth": 3, "activation": "relu"},
        "budget": {"trials": 20},
    }
    for key, value in overrides.items():
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return data


@pytest.fixture(scope="session")
def probe_cases() -> dict[str, ProbeCase]:
    return {path.stem: load_probe_case(path) for path in PROBE_CASES}


@pytest.fixture
def make_profile() -> Callable[..., Profile]:
    return lambda **overrides: parse_profile(base_profile(**overrides))


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped rules, to break on purpose."""
    target = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), target, ignore=shutil.ignore_patterns("__*"))
    return target
