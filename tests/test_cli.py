from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "cifar10-resnet-sgd.yaml"


def test_recommend_table(cli) -> None:
    result = cli("recommend", EXAMPLE)
    assert result.code == 0
    for text in ("cifar10-resnet20", "Starting config", "learning_rate", "Search space", "Advice"):
        assert text in result.out


def test_recommend_json_is_the_contract(cli) -> None:
    result = cli("recommend", EXAMPLE, "--format", "json")
    data = json.loads(result.out)
    assert list(data)[:5] == ["config", "search_space", "advice", "explanations", "probes"]
    assert data["config"]["optimizer"] == "momentum"


def test_recommend_yaml(cli) -> None:
    data = yaml.safe_load(cli("recommend", EXAMPLE, "-f", "yaml").out)
    assert data["config"]["batch_size"] == 128


def test_recommend_writes_files(cli, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "out"
    result = cli("recommend", EXAMPLE, "--out", out)
    assert result.code == 0 and "wrote" in result.err
    config = yaml.safe_load((out / "config.yaml").read_text())
    space = yaml.safe_load((out / "search_space.yaml").read_text())
    full = json.loads((out / "recommendation.json").read_text())
    assert config == full["config"]
    assert space["dimensions"] == full["search_space"]


def test_explain(cli) -> None:
    result = cli("explain", "weight_decay", "--profile", EXAMPLE)
    assert result.code == 0
    assert "reg.c1.resolution" in result.out and "overridden by" in result.out
    data = json.loads(cli("explain", "learning_rate", "-p", EXAMPLE, "-f", "json").out)
    assert data["value"] == 0.1 and data["search"]["prior"] == "log-uniform"
    assert {e["rule"] for e in data["explanations"]} >= {"lr.momentum.batchnorm-resnet"}


def test_rules_list_show_check(cli) -> None:
    listed = cli("rules", "list", "--topic", "gan")
    assert listed.code == 0 and "gan.inputs-tanh" in listed.out
    rules = json.loads(cli("rules", "list", "-f", "json").out)
    assert len(rules) >= 120
    shown = cli("rules", "show", "lr.initial.adam-family")
    assert shown.code == 0 and "LR-01" in shown.out and "14.2.6" in shown.out
    checked = cli("rules", "check")
    assert checked.code == 0 and checked.out.startswith("ok:")


def test_user_errors_are_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("task: classification\ndata: {modality: tabular, num_samples: -1}\n"
                   "model: {family: mlp}\noptimizer: adma\n")
    result = cli("recommend", bad)
    assert result.code == 2
    assert result.err.startswith("error: invalid profile")
    assert "data.num_samples" in result.err and "optimizer" in result.err
    assert "Traceback" not in result.err
    missing = cli("recommend", tmp_path / "nope.yaml")
    assert missing.code == 2 and "no such file" in missing.err
    garbled = tmp_path / "garbled.yaml"
    garbled.write_text("task: [\n")
    assert "invalid YAML" in cli("recommend", garbled).err
    unknown = cli("rules", "show", "lr.nope")
    assert unknown.code == 2 and "unknown rule id 'lr.nope'" in unknown.err
    assert cli("explain", "lerning_rate", "-p", EXAMPLE).code == 2


def test_rules_check_reports_each_problem(cli, rules_copy: Path) -> None:
    (rules_copy / "broken.yaml").write_text(
        "- id: broken.one\n  source: [NOPE-1]\n  when: optimizer == 'adma'\n"
        "  then: {momentum: 0.9}\n  because: Broken on purpose.\n")
    result = cli("rules", "check", rules_copy)
    assert result.code == 2
    assert "broken.yaml:1: rule 'broken.one': unknown source id 'NOPE-1'" in result.err
    assert "'adma' is not a value of fact 'optimizer'" in result.err
    assert cli("recommend", EXAMPLE, "--rules", rules_copy).code == 2  # refuses a broken KB


def test_debug_shows_the_traceback_and_usage_errors_exit_2() -> None:
    run = [sys.executable, "-m", "advisor"]
    plain = subprocess.run([*run, "recommend", "/nonexistent.yaml"], capture_output=True, text=True)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    debug = subprocess.run([*run, "--debug", "recommend", "/nonexistent.yaml"],
                           capture_output=True, text=True)
    assert debug.returncode == 2 and "Traceback" in debug.stderr
    usage = subprocess.run([*run, "recommend"], capture_output=True, text=True)
    assert usage.returncode == 2 and "Missing argument" in usage.stderr


def test_serve_runs_a_real_server(tmp_path: Path) -> None:
    import socket
    import time

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "advisor", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        body = yaml.safe_load(EXAMPLE.read_text())
        assert httpx.post(f"http://127.0.0.1:{port}/v1/recommend", json=body).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_rules_check_missing_directory(cli, tmp_path: Path) -> None:
    result = cli("rules", "check", tmp_path / "nowhere")
    assert result.code == 2 and "not a directory" in result.err


def test_help_lists_each_command_with_its_own_help(cli) -> None:
    from advisor.cli import COMMANDS, load_command

    listed = cli("--help").out
    for name, (_, _, text) in COMMANDS.items():
        shown = text if isinstance(text, str) else text()
        assert load_command(name).help.split("\n\n")[0] == shown, name
        assert name in listed and shown.split()[0] in listed


def _cli_modules_after(args: list[str]) -> set[str]:
    code = ("import sys, io, contextlib\nfrom advisor.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main({args!r})\n"
            "print(','.join(m for m in sys.modules if m.startswith('advisor.cli.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(out.stdout.strip().splitlines()[-1].split(","))


def test_commands_load_lazily() -> None:
    """`advisor recommend` imports no other command's module; `advisor --help` none it does not list
    by computing (the probe kinds)."""
    assert _cli_modules_after(["recommend", str(EXAMPLE), "-f", "json"]) == {
        "advisor.cli.recommend", "advisor.cli.options", "advisor.cli.terminal"}
    listed = {"advisor.cli.probe", "advisor.cli.options", "advisor.cli.terminal"}
    assert _cli_modules_after(["--help"]) <= listed
