"""`advisor diagnose` and `advisor probe sanity | data-scaling` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import EXAMPLES

HISTORIES = Path(__file__).parent / "histories"


def test_diagnose_table(cli) -> None:
    result = cli("diagnose", HISTORIES / "overfitting.lightning.csv")
    assert result.code == 0
    assert "1. overfitting" in result.out and "Get more real data" in result.out and "REG-06" in result.out


def test_diagnose_json_with_profile(cli) -> None:
    profile = next(p for p in EXAMPLES if p.stem == "cifar10-resnet-sgd")
    result = cli("diagnose", HISTORIES / "overfitting.lightning.csv", "--profile", profile, "-f", "json")
    data = json.loads(result.out)
    assert data["verdicts"][0]["name"] == "overfitting"
    steps = [s["rule"] for s in data["verdicts"][0]["next_steps"]]
    assert "diag.curve.overfitting.step-augment" in steps  # an image profile
    assert data["history"]["format"] == "lightning-csv" and data["facts"]["curve_has_val"] is True


def test_diagnose_yaml(cli) -> None:
    result = cli("diagnose", HISTORIES / "plateau.csv", "-f", "yaml")
    assert result.code == 0 and "name: plateau" in result.out


def test_bad_history_is_one_clear_error(cli, tmp_path: Path) -> None:
    bad = tmp_path / "h.csv"
    bad.write_text("epoch,loss\n0,1\n1,oops\n")
    result = cli("diagnose", bad)
    assert result.code == 2 and "row 3, column 'loss': 'oops' is not a number" in result.err
    assert "Traceback" not in result.err
    empty = tmp_path / "e.csv"
    empty.write_text("")
    assert "the history is empty" in cli("diagnose", empty).err
    assert "give a history file" in cli("diagnose").err


def test_sanity_json_feeds_diagnose(cli, tmp_path: Path) -> None:
    result = cli(
        "probe", "sanity", "-t", "digits-mlp", "-f", "json", "--checks", "init_loss,gradient_isolation"
    )
    assert result.code == 0
    data = json.loads(result.out)
    assert [c["name"] for c in data["checks"]] == ["init_loss", "gradient_isolation"]
    path = tmp_path / "sanity.json"
    path.write_text(result.out)
    diag = cli("diagnose", "--sanity", path)
    assert diag.code == 0 and "init_loss" in diag.out and "No sanity check failed" in diag.out
    path.write_text('{"checks": 3}')
    bad = cli("diagnose", "--sanity", path)
    assert bad.code == 2 and "not a SanityResult" in bad.err


def test_probe_sanity_table(cli) -> None:
    result = cli("probe", "sanity", "-t", "lstm")
    assert result.code == 0 and "overfit_batch" in result.out and "pass" in result.out


def test_probe_data_scaling(cli, tmp_path: Path) -> None:
    plot = tmp_path / "scaling.png"
    result = cli(
        "probe",
        "data-scaling",
        "-t",
        "digits-mlp",
        "--fractions",
        "0.2,0.4,0.8",
        "--epochs",
        "3",
        "--plot",
        plot,
    )
    assert result.code == 0 and "predicted val-loss reduction" in result.out
    assert plot.read_bytes()[:4] == b"\x89PNG"
    bad = cli("probe", "data-scaling", "-t", "digits-mlp", "--fractions", "0.2,x")
    assert bad.code == 2 and "--fractions must be comma-separated numbers" in bad.err


def test_diagnose_plot(cli, tmp_path: Path) -> None:
    plot = tmp_path / "curves.png"
    result = cli("diagnose", HISTORIES / "diverged.csv", "--plot", plot)
    assert result.code == 0 and plot.read_bytes()[:4] == b"\x89PNG"
    assert cli("diagnose", "--scaling", plot, "--plot", tmp_path / "x.png").code == 2
