"""Issue 14's CLI details for newcomers: --version, file modes, plain progress lines, Ctrl-C, topics."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from advisor.outputs.files import write_atomic

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "cifar10-resnet-sgd.yaml"


@contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_output_files_honour_the_umask(cli, tmp_path: Path, mask: int, expected: int) -> None:
    out = tmp_path / "out"
    with umask(mask):
        result = cli("recommend", EXAMPLE, "--out", out, "--export", "skopt,hydra")
        write_atomic(tmp_path / "bytes.bin", b"\x89PNG")
    assert result.code == 0, result.err
    written = sorted(out.iterdir())
    assert [p.name for p in written] == ["config.yaml", "hydra_optuna_sweeper.yaml", "recommendation.json",
                                         "search_space.skopt.json", "search_space.yaml", "tune_skopt.py"]
    assert {p.name: mode(p) for p in written} == {p.name: expected for p in written}
    assert mode(tmp_path / "bytes.bin") == expected
    assert (tmp_path / "bytes.bin").read_bytes() == b"\x89PNG"


def test_write_atomic_leaves_no_temporary_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "config.yaml"
    target.write_text("old\n")
    with pytest.raises(TypeError):
        write_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]


def test_version_prints_the_version_and_loads_no_command() -> None:
    import subprocess
    import sys

    import advisor

    done = subprocess.run([sys.executable, "-m", "advisor", "--version"], capture_output=True, text=True)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"advisor {advisor.__version__}\n", "")
    assert advisor.__version__ == "0.1.0"
    code = ("import sys\nfrom advisor.cli import main\ncode = main(['--version'])\n"
            "print(code, sorted(m for m in sys.modules if m.startswith('advisor.cli.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "0 ['advisor.cli.terminal']"  # the terminal only: no command


def test_rules_list_unknown_topic_lists_the_valid_ones(cli) -> None:
    result = cli("rules", "list", "--topic", "nosuch")
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("error: unknown topic 'nosuch'; valid topics: ")
    listed = result.err.split("valid topics: ")[1].replace("\n", " ").split(", ")
    assert {"learning_rate", "gan", "batch_size"} <= {t.strip() for t in listed}
    assert cli("rules", "list", "--topic", "gan").code == 0


def _progress_lines(updates: list[tuple[int | None, str]], total: int | None, **kwargs: object) -> list[str]:
    import io

    from advisor.cli.terminal import Terminal

    err = io.StringIO()  # not a terminal: plain lines
    with Terminal(stderr=err).progress("probe", total, **kwargs) as advance:
        for done, status in updates:
            advance(done, status)
    return err.getvalue().splitlines()


def test_plain_progress_writes_meaningful_changes_only() -> None:
    steps = [(p, f"loss {p}") for p in range(0, 101, 3)]
    lines = _progress_lines(steps, 100)
    assert lines[0] == "probe: 0%, loss 0" and lines[-1] == "probe: 96%, loss 96"
    assert len(lines) == 9  # every 10 points or more: 0, 12, 24, ..., 96; not 34 lines
    staged = _progress_lines([(None, "warm-up"), (None, "warm-up"), (None, "trace"), (40, "x"),
                              (None, "confirm")], 100)
    assert staged == ["probe: warm-up", "probe: trace", "probe: 40%, x", "probe: confirm"]
    # several probes in a row: the next one starts from 0 again and is shown
    assert _progress_lines([(0, "a"), (100, "a"), (0, "b")], 100) == [
        "probe: 0%, a", "probe: 100%, a", "probe: 0%, b"]
    trials = _progress_lines([(i, f"#{i}") for i in (1, 2, 2, 3)], 3, unit="trial", every=1)
    assert trials == ["probe: trial 1/3 done, #1", "probe: trial 2/3 done, #2", "probe: trial 3/3 done, #3"]
