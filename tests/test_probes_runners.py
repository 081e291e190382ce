"""advisor_probes.runners: probes by name on a target spec, in the registry's order, chained."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from advisor.errors import AdvisorError, ProbeError
from advisor_probes.runners import run_probe, run_probes


def test_run_probes_chains_the_measured_lr_into_the_sanity_checks() -> None:
    seen: list[str] = []
    results = run_probes(["sanity", "lr"], "digits-mlp",  # order given does not matter
                         options={"lr": {"steps": 30}, "sanity": {"checks": ["init_loss", "update_ratio"]}},
                         progress=lambda done, status: seen.append(status))
    assert results.lr_range is not None and results.sanity is not None and results.batch is None
    assert [c.name for c in results.sanity.checks] == ["init_loss", "update_ratio"]
    assert any(s.startswith("lr ") for s in seen) and "update_ratio" in seen


def test_options_are_validated_before_anything_runs() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 5"):
        run_probe("lr", "digits-mlp", {"steps": 2})
    with pytest.raises(AdvisorError, match="unknown probe 'speed'"):
        run_probe("speed", "digits-mlp")
    with pytest.raises(ProbeError, match="built-in targets"):
        run_probe("lr", "no_such_module_xyz:f")
