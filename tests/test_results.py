"""ProbeResults refuse what no input may hold, wherever they come from (files, HTTP bodies)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from advisor.core.recommendation import recommend
from advisor.evidence.results import MAX_RESULT_INT, ProbeResults
from advisor.profile.model import parse_profile
from advisor.yamlio import load_yaml


@pytest.mark.parametrize(("data", "message"), [
    ({"lr_range": {"suggested_lr": 10**30}}, "lr_range.suggested_lr: .* out of range"),
    ({"lr_range": {"note\ud800": 1}}, "not valid text"),
    ({"batch": {"budget_bytes": -(10**19)}}, "batch.budget_bytes"),
])
def test_hostile_values_are_validation_errors(data: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ProbeResults.model_validate(data)


def test_results_within_bounds_still_recommend() -> None:
    case = load_yaml(Path("tests/probe_cases/mlp-adam-measured.yaml").read_text(), "case")
    probes = ProbeResults.model_validate(case["probes"])
    assert probes.batch.budget_bytes < MAX_RESULT_INT
    rec = recommend(parse_profile(case["profile"]), probes)
    assert rec.config["learning_rate"] == pytest.approx(0.009006, rel=0.5)
