"""Shared fixtures: the shipped KB, the example and test profiles, a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from advisor import KnowledgeBase, Profile, default_knowledge_base, load_profile, parse_profile
from advisor.cli import main
from advisor.knowledge import default_rules_dir

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
