"""Cold start of the `advisor` command, next to a bare interpreter (run by hand).

    .venv/bin/python benchmarks/cold_start.py [--runs 10] [--example cifar10-resnet-sgd] [--bytecode]

Prints the median (and min/max) wall time of `--runs` processes each of `python -c pass`,
`advisor --help` and `advisor recommend examples/<example>.yaml --out <tmp>`, all measured in
this run so the machine's load shows in the reference row too, and which heavy modules the
recommend path imports. Target (issue 13): `advisor recommend` <= 0.3 s.

With PYTHONDONTWRITEBYTECODE set (as in this project's sandbox) every run compiles the project's
own modules from source; `--bytecode` lets the runs keep compiled modules (in a temporary
PYTHONPYCACHEPREFIX, filled by a warm-up run), as an installed package does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def walls(cmd: list[str], runs: int, env: dict[str, str]) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--example", default="cifar10-resnet-sgd")
    parser.add_argument("--bytecode", action="store_true", help="Let the runs keep compiled modules.")
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "advisor")
    example = str(ROOT / "examples" / f"{args.example}.yaml")
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as pycache:
        env = dict(os.environ)
        if args.bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = pycache
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "advisor --help": [exe, "--help"],
            f"advisor recommend {args.example} --out": [exe, "recommend", example, "--out", tmp],
        }
        for cmd in commands.values():  # warm the OS cache, the KB check cache (and the bytecode)
            subprocess.run(cmd, check=True, capture_output=True, env=env)
        results = {name: walls(cmd, args.runs, env) for name, cmd in commands.items()}
        probe = ("import io, contextlib, sys\nfrom advisor.cli import main\n"
                 "with contextlib.redirect_stdout(io.StringIO()):\n"
                 f"    main(['recommend', {example!r}, '--out', {tmp!r}])\n"
                 "print([m for m in ('torch', 'skopt') if m in sys.modules])")
        heavy = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                               text=True, env=env).stdout.strip()
    compiled = "kept" if "PYTHONDONTWRITEBYTECODE" not in env else "not kept (PYTHONDONTWRITEBYTECODE)"
    print(f"compiled modules: {compiled}")
    print(f"{'command (' + str(args.runs) + ' runs)':<44} {'median s':>9} {'min s':>7} {'max s':>7}")
    for name, times in results.items():
        print(f"{name:<44} {statistics.median(times):9.3f} {min(times):7.3f} {max(times):7.3f}")
    print(f"heavy modules imported by `advisor recommend`: {heavy}")


if __name__ == "__main__":
    main()
