"""The evidence registry: every list of probes (ProbeResults, the fact table, the `advisor probe`
commands, probe-job requests, saved-result reading) is derived from the kinds in advisor.evidence.kinds."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from advisor.core.facts import FACTS
from advisor.errors import AdvisorError
from advisor.evidence.files import load_probe_results
from advisor.evidence.registry import kind, kinds, probe_kinds, probe_names
from advisor.evidence.results import ProbeResults
from advisor.jobs.probe_jobs import ProbeJobRequest

# One valid result per probe kind, as small as each model allows.
MINIMAL = {
    "lr_range": {"status": "ok", "optimizer": "adam", "suggested_lr": 0.01},
    "batch": {"status": "ok", "device": "cpu", "budget_bytes": 1 << 20, "predicted_max_batch": 64},
    "sanity": {"checks": [{"name": "init_loss", "status": "pass", "detail": "ok"}]},
    "scaling": {"status": "no_fit", "points": []},
    "noise_scale": {"status": "ok", "small_batch": 8, "big_batch": 64, "noise_scale": 50.0,
                    "critical_batch": 32},
}


def test_kinds_are_ordered_and_unique() -> None:
    names = [k.name for k in kinds()]
    assert names[:5] == ["lr", "batch", "sanity", "data-scaling", "noise-scale"] and "history" in names
    assert probe_names() == ("lr", "batch", "sanity", "data-scaling", "noise-scale")
    assert len({k.slot for k in kinds()}) == len(kinds())


def test_probe_results_has_one_field_per_probe_kind() -> None:
    assert list(ProbeResults.model_fields) == [k.slot for k in probe_kinds()]
    assert set(MINIMAL) == {k.slot for k in probe_kinds()}, "add a minimal result for the new kind"


@pytest.mark.parametrize("probe", probe_kinds(), ids=lambda k: k.name)
def test_every_kind_declares_its_facts_and_states_only_those(probe) -> None:
    assert all(spec.name in FACTS for spec in probe.facts)
    result = probe.result.model_validate(MINIMAL[probe.slot])
    stated = probe.facts_of(result)
    declared = {spec.name for spec in probe.facts} | {"max_batch_size"}  # a measurement beats the profile's
    assert stated and set(stated) <= declared
    assert all(FACTS[name].accepts(value) for name, value in stated.items())
    assert set(probe.facts_of(None)) <= declared


@pytest.mark.parametrize("probe", probe_kinds(), ids=lambda k: k.name)
def test_a_saved_result_of_every_kind_is_read_back(probe, tmp_path) -> None:
    path = tmp_path / f"{probe.name}.json"
    path.write_text(probe.result.model_validate(MINIMAL[probe.slot]).model_dump_json())
    assert getattr(load_probe_results([path]), probe.slot) is not None


@pytest.mark.parametrize("probe", probe_kinds(), ids=lambda k: k.name)
def test_job_requests_take_every_probe_and_validate_its_options(probe) -> None:
    request = ProbeJobRequest(target="digits-mlp", probe=probe.name)
    defaults = request.checked_options()
    assert defaults == probe.options().model_dump(mode="json")  # the options model is the one home
    bad = ProbeJobRequest(target="digits-mlp", probe=probe.name, options={"no_such_option": 1})
    with pytest.raises(ValidationError):
        bad.checked_options()


def test_an_unknown_probe_is_refused_everywhere(cli) -> None:
    with pytest.raises(ValidationError):
        ProbeJobRequest(target="digits-mlp", probe="speed")
    with pytest.raises(AdvisorError, match="unknown probe 'speed'; allowed: lr, batch"):
        kind("speed")
    listed = cli("probe", "--help").out
    assert all(name in listed for name in probe_names())


def test_cli_flags_come_from_the_options_models(cli) -> None:
    for probe in probe_kinds():
        shown = cli("probe", probe.name, "--help").out
        for field in probe.options.model_fields:
            assert "--" + field.replace("_", "-") in shown, (probe.name, field)
    bad = cli("probe", "noise-scale", "-t", "digits-mlp", "--small-batch", "64", "--big-batch", "32")
    assert bad.code == 2 and "must exceed small_batch" in bad.err
    assert "--pairs: Input should be greater than or equal to 2" in cli(
        "probe", "noise-scale", "-t", "digits-mlp", "--pairs", "1").err


def test_the_noise_scale_probe_runs_from_the_cli(cli) -> None:
    pytest.importorskip("torch")
    out = cli("probe", "noise-scale", "-t", "digits-mlp", "--pairs", "3", "--train-steps", "2",
              "--big-batch", "64", "-f", "json")
    assert out.code == 0, out.err
    assert json.loads(out.out)["pairs"] == 3
    table = cli("probe", "noise-scale", "-t", "digits-mlp", "--pairs", "3", "--train-steps", "2")
    assert table.code == 0 and "Gradient noise scale" in table.out
