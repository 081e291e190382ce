"""`pip install .` (not editable) into a clean venv works from any directory, rules included."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(ROOT)], check=True, capture_output=True)
    [wheel] = wheels.glob("*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"),
                    str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(ROOT / "examples" / "tiny-regression.yaml", elsewhere / "p.yaml")
    advisor = env_dir / "bin" / "advisor"
    out = subprocess.run([str(advisor), "recommend", "p.yaml", "-f", "json"], cwd=elsewhere,
                         check=True, capture_output=True, text=True).stdout
    assert json.loads(out)["config"]["learning_rate"] == 3e-4
    check = subprocess.run([str(advisor), "rules", "check"], cwd=elsewhere, check=True,
                           capture_output=True, text=True).stdout
    assert check.startswith("ok:")
    site = subprocess.run([str(py), "-c", "import advisor_rules, advisor_api, sys;"
                           "print(advisor_rules.__file__)"], cwd=elsewhere, check=True,
                          capture_output=True, text=True).stdout
    assert str(env_dir) in site
    top_level = {p.name for p in next((env_dir / "lib").glob("python*/site-packages")).iterdir()}
    assert not {"api", "rules", "probes"} & top_level
