"""advisor.jobs.probe_jobs: what a job is asked (from the registry) and the shape of its result."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from advisor.jobs.probe_jobs import ProbeJobRequest, run_job


def test_requests_fill_defaults_and_refuse_bad_options() -> None:
    request = ProbeJobRequest(target="digits-mlp", probe="lr", options={"steps": 20})
    assert request.checked_options()["steps"] == 20 and request.checked_options()["start_lr"] == 1e-6
    with pytest.raises(ValidationError):
        ProbeJobRequest(target="digits-mlp", probe="lr", options={"steps": 20}, extra=1)
    with pytest.raises(ValidationError, match="big_batch"):
        ProbeJobRequest(target="x", probe="noise-scale", options={"small_batch": 9, "big_batch": 8}
                        ).checked_options()


def test_results_are_shaped_for_where_they_are_fed_back() -> None:
    pytest.importorskip("torch")
    progress: list[tuple[float | None, str]] = []
    lr = run_job("lr", "advisor_probes.examples:digits_mlp", {"steps": 20}, lambda *a: progress.append(a))
    assert set(lr) == {"probes"} and lr["probes"]["lr_range"]["steps_run"] > 0  # -> POST /v1/recommend
    sanity = run_job("sanity", "advisor_probes.examples:digits_mlp", {"checks": ["init_loss"]},
                     lambda *a: None)
    assert set(sanity) == {"sanity"}  # -> POST /v1/diagnose
    assert progress and all(d is None or 0 <= d <= 1 for d, _ in progress)


def test_probe_names_and_optimizers_are_read_in_any_case_with_a_did_you_mean() -> None:
    from pydantic import ValidationError

    from advisor.jobs.probe_jobs import ProbeJobRequest

    request = ProbeJobRequest(target="digits-mlp", probe="LR", options={"optimizer": "AdamW"})
    assert request.probe == "lr" and request.checked_options()["optimizer"] == "adamw"
    with pytest.raises(ValidationError, match="did you mean 'lr'"):
        ProbeJobRequest(target="digits-mlp", probe="lrr")
