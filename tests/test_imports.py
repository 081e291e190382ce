"""`import advisor` and `advisor recommend` without probes load neither torch nor skopt."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT

HEAVY = ("torch", "skopt", "sklearn", "numpy", "fastapi", "uvicorn")


def _loaded_after(code: str) -> set[str]:
    probe = (f"{code}\nimport sys\n"
             f"print('loaded:' + ','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    return set(filter(None, out.removeprefix("loaded:").split(",")))


def test_import_advisor_is_light() -> None:
    assert _loaded_after("import advisor") == set()


def test_recommend_path_is_light() -> None:
    code = ("import sys, io, contextlib\nfrom advisor.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['recommend', 'examples/cifar10-resnet-sgd.yaml', '-f', 'json']) == 0")
    assert _loaded_after(code) == set()


def test_skopt_loads_only_for_the_conversion() -> None:
    code = ("from advisor import load_profile, recommend\n"
            "recommend(load_profile('examples/tiny-regression.yaml')).to_skopt()")
    assert "skopt" in _loaded_after(code)
