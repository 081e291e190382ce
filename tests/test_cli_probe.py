"""`advisor probe ...` and `advisor recommend --probe ...` end to end on the built-in targets."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from .conftest import ROOT


def test_probe_lr_json_and_plot(cli, tmp_path: Path) -> None:
    plot = tmp_path / "lr.png"
    result = cli("probe", "lr", "--target", "digits-mlp", "--seed", "1", "-f", "json", "--plot", plot)
    assert result.code == 0
    data = json.loads(result.out)
    assert data["status"] == "ok" and data["seed"] == 1 and data["state_restored"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = json.loads(cli("probe", "lr", "--target", "digits-mlp", "--seed", "1", "-f", "json").out)
    assert again == data  # same seed, same result


def test_probe_lr_table(cli) -> None:
    result = cli("probe", "lr", "-t", "digits-mlp")
    assert result.code == 0 and "suggested lr" in result.out and "bit for bit" in result.out


def test_probe_batch(cli, tmp_path: Path) -> None:
    plot = tmp_path / "mem.png"
    result = cli("probe", "batch", "-t", "digits-cnn", "--memory", "32MiB", "-f", "json", "--plot", plot)
    assert result.code == 0
    data = json.loads(result.out)
    assert data["status"] == "ok" and data["exact"] and data["ooms"] == 0
    assert plot.stat().st_size > 1000
    table = cli("probe", "batch", "-t", "digits-mlp", "--gpu", "a100-80gb")
    assert table.code == 0 and "largest batch that fits" in table.out


def test_probe_errors_are_one_line(cli, tmp_path: Path) -> None:
    bad = cli("probe", "lr", "-t", "nowhere_pkg_xyz:f")
    assert bad.code == 2 and "importing nowhere_pkg_xyz failed" in bad.err and "Traceback" not in bad.err
    assert cli("probe", "batch", "-t", "digits-mlp", "--memory", "lots").code == 2
    assert "unknown optimizer" in cli("probe", "lr", "-t", "digits-mlp", "--optimizer", "adma").err


def test_recommend_with_probes(cli) -> None:
    result = cli("recommend", ROOT / "examples" / "tabular-mlp-adam.yaml", "--target", "digits-mlp",
                 "--probe", "lr", "--probe", "batch", "--memory", "16MiB", "-f", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["probes"]["lr_range"]["status"] == "ok"
    assert "losses" not in data["probes"]["lr_range"]  # curves stay out of the recommendation
    assert data["probes"]["batch"]["status"] == "ok"
    winners = [e["rule"] for e in data["explanations"]["learning_rate"] if "overridden_by" not in e]
    assert "probe.lr.measured" in winners
    suggested = data["probes"]["lr_range"]["suggested_lr"]
    assert data["config"]["learning_rate"] == pytest.approx(suggested, rel=1e-3)


def test_recommend_probe_errors(cli) -> None:
    example = ROOT / "examples" / "tabular-mlp-adam.yaml"
    assert "needs --target" in cli("recommend", example, "--probe", "lr").err
    assert "unknown probe(s) speed" in cli("recommend", example, "-t", "digits-mlp", "--probe", "speed").err
    assert "without --probe" in cli("recommend", example, "-t", "digits-mlp").err


def test_probe_device_option(cli) -> None:
    ok = cli("probe", "lr", "--target", "digits-mlp", "--steps", "20", "--device", "cpu", "-f", "json")
    assert ok.code == 0 and '"status"' in ok.out
    bad = cli("probe", "batch", "--target", "digits-mlp", "--device", "tpu9")
    assert bad.code == 2 and "unknown device 'tpu9'" in bad.err and "Traceback" not in bad.err
    import torch

    if not torch.cuda.is_available():
        missing = cli("probe", "sanity", "--target", "digits-mlp", "--device", "cuda")
        assert missing.code == 2 and "CUDA is not available" in missing.err


def test_probe_with_a_profile_shows_what_recommend_starts_from(cli, tmp_path: Path) -> None:
    profile = tmp_path / "lstm.yaml"
    profile.write_text(
        "name: seq-lstm\ntask: classification\n"
        "data: {modality: sequence, num_samples: 2000, num_classes: 3, sequence_length: 20}\n"
        "model: {family: lstm, depth: 1}\noptimizer: momentum\nbudget: {steps: 900}\n"
        "hardware: {device: cpu}\n"
    )
    saved = cli("probe", "lr", "-t", "lstm", "--profile", profile, "-f", "json")
    assert saved.code == 0, saved.err
    data = json.loads(saved.out)
    assert data["optimizer"] == "momentum" and data["run_steps"] == 900  # filled from the profile
    (tmp_path / "lr.json").write_text(saved.out)
    table = cli("probe", "lr", "-t", "lstm", "--profile", profile)
    assert table.code == 0 and "`advisor recommend --probes` starts from" in table.out
    assert "probe.lr.recurrent-lower" in table.out  # a probe rule that needs the profile
    explained = json.loads(cli("explain", "learning_rate", "--profile", profile,
                               "--probes", tmp_path / "lr.json", "-f", "json").out)
    assert f"learning_rate = {explained['value']:.3g}" in table.out.replace("  ", " ")


def test_probe_progress_is_plain_lines_when_stderr_is_not_a_terminal(cli) -> None:
    result = cli("probe", "lr", "-t", "digits-mlp", "--steps", "40", "-f", "json")
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if line.startswith("LR range test: ")]
    percents = [int(line.split(": ")[1].split("%")[0]) for line in lines]
    assert 3 <= len(lines) <= 12 and percents == sorted(percents)  # about every 10%, not per step
    assert all(b - a >= 10 for a, b in itertools.pairwise(percents))
    assert "lr " in lines[-1] and "\x1b[" not in result.err
    stages = cli("probe", "sanity", "-t", "digits-mlp", "-f", "json")
    assert stages.code == 0, stages.err
    assert "Sanity checks: overfit_batch\n" in stages.err  # one line per stage


# A file target whose model raises KeyboardInterrupt (what Ctrl-C raises) mid-probe.
CTRL_C_TARGET = """\
import torch
from torch import nn
from torch.utils.data import TensorDataset


class Stops(nn.Linear):
    calls = 0

    def forward(self, x):
        Stops.calls += 1
        if Stops.calls > 15:
            raise KeyboardInterrupt
        return super().forward(x)


def probe_target():
    torch.manual_seed(0)
    return Stops(3, 2), TensorDataset(torch.randn(256, 3), torch.randn(256, 2)), nn.MSELoss()
"""


def test_ctrl_c_in_a_probe_says_nothing_was_saved(cli, tmp_path: Path) -> None:
    (tmp_path / "stops1.py").write_text(CTRL_C_TARGET)
    plot = tmp_path / "lr.png"
    result = cli("probe", "lr", "-t", f"{tmp_path / 'stops1.py'}:probe_target", "-f", "json", "--plot", plot)
    assert result.code == 130 and result.out == "" and "Traceback" not in result.err
    assert result.err.splitlines()[-1] == ("interrupted: the lr range test did not finish; nothing was saved "
                                           "(its result is printed, and --plot written, only at the end)")
    assert "LR range test: " in result.err and not plot.exists()


def test_ctrl_c_in_recommend_probes_writes_nothing(cli, tmp_path: Path) -> None:
    (tmp_path / "stops2.py").write_text(CTRL_C_TARGET)
    out = tmp_path / "out"
    result = cli("recommend", ROOT / "examples" / "tabular-mlp-adam.yaml", "-t",
                 f"{tmp_path / 'stops2.py'}:probe_target", "--probe", "lr", "--out", out)
    assert result.code == 130 and "Traceback" not in result.err
    last = result.err.splitlines()[-1]
    assert last == f"interrupted: the probes did not finish; nothing was written to {out}"
    assert not out.exists()
