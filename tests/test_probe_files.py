"""Saved probe results feed `recommend --probes` and `explain --probes`: one learning rate per model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from advisor import InputFileError
from advisor.evidence.files import load_probe_results
from advisor.evidence.results import LRRangeResult, ProbeResults

from .conftest import ROOT

LR = LRRangeResult(status="ok", optimizer="adam", suggested_lr=0.004, lr_low=0.002, lr_high=0.008,
                   confidence="medium", diverged_at_lr=1.0, min_loss_lr=0.04, steps_run=100)
PROFILE = ROOT / "examples" / "tabular-mlp-adam.yaml"


def _write(path: Path, data: object, fmt: str = "json") -> Path:
    path.write_text(json.dumps(data) if fmt == "json" else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_one_result_per_file_in_json_or_yaml(tmp_path: Path) -> None:
    lr = _write(tmp_path / "lr.yaml", LR.model_dump(mode="json"), "yaml")
    loaded = load_probe_results([lr])
    assert loaded.lr_range == LR and loaded.batch is None
    whole = _write(tmp_path / "all.json", ProbeResults(lr_range=LR).model_dump(mode="json"))
    assert load_probe_results([whole]).lr_range == LR


def test_bad_files_say_what_is_wrong(tmp_path: Path) -> None:
    lr = _write(tmp_path / "lr.json", LR.model_dump(mode="json"))
    with pytest.raises(InputFileError, match="already given"):
        load_probe_results([lr, lr])
    with pytest.raises(InputFileError, match=r"already given \(by this run\)"):
        load_probe_results([lr], ProbeResults(lr_range=LR))
    broken = _write(tmp_path / "broken.json", {**LR.model_dump(mode="json"), "suggested_lr": "high"})
    with pytest.raises(InputFileError, match="suggested_lr"):
        load_probe_results([broken])
    sanity = _write(tmp_path / "sanity.json",
                    {"checks": [{"name": "init_loss", "status": "fail", "detail": "x"}]})
    assert load_probe_results([sanity]).sanity.failed == ("init_loss",)
    with pytest.raises(InputFileError, match="checks"):
        load_probe_results([_write(tmp_path / "bad-sanity.json", {"checks": [{"name": "nope"}]})])
    with pytest.raises(InputFileError, match="not a saved probe result"):
        load_probe_results([_write(tmp_path / "other.json", {"loss": [1, 2]})])
    with pytest.raises(InputFileError, match="cannot read"):
        load_probe_results([tmp_path / "missing.json"])


def test_recommend_and_explain_give_the_probe_s_learning_rate(cli, tmp_path: Path) -> None:
    lr = _write(tmp_path / "lr.json", LR.model_dump(mode="json"))
    rec = json.loads(cli("recommend", PROFILE, "--probes", lr, "-f", "json").out)
    assert rec["config"]["learning_rate"] == LR.suggested_lr
    assert rec["probes"]["lr_range"]["suggested_lr"] == LR.suggested_lr
    explained = json.loads(cli("explain", "learning_rate", "--profile", PROFILE, "--probes", lr,
                               "-f", "json").out)
    assert explained["value"] == LR.suggested_lr
    assert explained["explanations"][0]["rule"] == "probe.lr.measured"
    bad = cli("recommend", PROFILE, "--probes", tmp_path / "missing.json")
    assert bad.code != 0 and "cannot read" in bad.err and "Traceback" not in bad.err


def test_a_real_probe_round_trips_through_yaml(cli, tmp_path: Path) -> None:
    pytest.importorskip("torch")
    out = cli("probe", "lr", "--target", "digits-mlp", "--steps", "30", "-f", "yaml")
    assert out.code == 0
    saved = tmp_path / "lr.yaml"
    saved.write_text(out.out, encoding="utf-8")
    result = LRRangeResult.model_validate(yaml.safe_load(out.out))
    rec = json.loads(cli("recommend", PROFILE, "--probes", saved, "-f", "json").out)
    if result.status == "ok":
        assert rec["config"]["learning_rate"] == pytest.approx(result.suggested_lr, rel=1e-3)


def test_recommend_runs_the_sanity_checks_first(cli) -> None:
    rec = json.loads(cli("recommend", PROFILE, "--target", "digits-mlp", "--probe", "sanity",
                         "-f", "json").out)
    assert {c["name"] for c in rec["probes"]["sanity"]["checks"]} >= {"init_loss", "overfit_batch"}
    fired = {a["id"] for a in rec["advice"]}
    assert "diag.sanity.all-pass" in fired and "probe.sanity.failed" not in fired


def test_a_failed_sanity_check_is_critical_advice(cli, tmp_path: Path) -> None:
    saved = _write(tmp_path / "sanity.json", {"checks": [{"name": "overfit_batch", "status": "fail",
                                                           "detail": "loss stayed at 2.3"}]})
    rec = json.loads(cli("recommend", PROFILE, "--probes", saved, "-f", "json").out)
    advice = {a["id"]: a for a in rec["advice"]}
    assert advice["probe.sanity.failed"]["severity"] == "critical"
