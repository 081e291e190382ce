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
