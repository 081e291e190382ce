"""Every KNOWLEDGE.md id is cited by a rule that fires for a bundled profile; every rule fires."""

from __future__ import annotations

import re

import pytest
import yaml

from advisor import recommend
from advisor.core.diagnosis import diagnose
from advisor.evidence.history import load_history
from advisor.evidence.results import DataScalingResult, SanityResult

from .conftest import DIAGNOSIS_CASES, HISTORIES, ROOT

KNOWLEDGE_FILES = [ROOT / "docs" / "KNOWLEDGE.md", ROOT.parent / "shared" / "KNOWLEDGE.md"]


def knowledge_ids() -> set[str]:
    ids: set[str] = set()
    for path in KNOWLEDGE_FILES:
        if path.exists():
            ids |= set(re.findall(r"^- \*\*([A-Z]+-\d+|C\d)\b", path.read_text("utf-8"), re.M))
    return ids


@pytest.fixture(scope="module")
def fired(profiles, probe_cases) -> set[str]:
    out: set[str] = set()
    for profile in profiles.values():
        out |= set(recommend(profile).fired)
    for case in probe_cases.values():
        out |= set(recommend(case.profile, case.probes).fired)
    # Diagnosis rules: every history fixture, bare and with profiles that open profile-specific steps.
    diagnosis_profiles = [None, profiles["cifar10-resnet-sgd"], profiles["lstm-sentiment"],
                          profiles["tabular-mlp-adam"]]
    for path in HISTORIES:
        history = load_history(path)
        for profile in diagnosis_profiles:
            out |= set(diagnose(history, profile=profile).fired)
    for path in DIAGNOSIS_CASES:
        for doc in yaml.safe_load_all(path.read_text("utf-8")):
            sanity = SanityResult.model_validate(doc["sanity"]) if "sanity" in doc else None
            scaling = DataScalingResult.model_validate(doc["scaling"]) if "scaling" in doc else None
            out |= set(diagnose(sanity=sanity, scaling=scaling).fired)
    return out


def test_the_vendored_knowledge_list_is_complete() -> None:
    assert len(knowledge_ids()) >= 84


def test_every_knowledge_id_is_a_citable_source(kb) -> None:
    assert knowledge_ids() <= set(kb.sources)


def test_every_knowledge_id_is_cited_by_a_rule_that_fires(kb, fired) -> None:
    covered = {sid for rule in kb.rules if rule.id in fired for sid in rule.source}
    assert sorted(knowledge_ids() - covered) == []


def test_every_rule_fires_for_some_profile(kb, fired) -> None:
    assert sorted(r.id for r in kb.rules if r.id not in fired) == []


@pytest.mark.parametrize("conflict", [f"C{i}" for i in range(1, 15)])
def test_each_conflict_has_an_explained_resolving_rule(kb, fired, conflict: str) -> None:
    resolving = [r for r in kb.rules if conflict in r.source and r.id in fired]
    assert resolving, f"no firing rule resolves {conflict}"
    assert any(conflict in r.because for r in resolving), "the resolution must say what it resolves"


def test_every_source_cited_exists_with_a_section(kb) -> None:
    for rule in kb.rules:
        for sid in rule.source:
            assert kb.sources[sid].section, f"{sid} (cited by {rule.id}) has no section"


def test_topics_follow_the_design_card() -> None:
    names = {p.stem for p in (ROOT / "rules" / "advisor_rules").glob("*.yaml")}
    assert {"learning_rate", "optimizer", "batch_size", "regularization", "schedule", "finetune",
            "data", "architecture", "gan", "debugging", "search"} <= names
