"""Latency of `recommend` in process and cold start of `advisor recommend` (run by hand).

    .venv/bin/python benchmarks/recommend_latency.py [--iterations 200] [--cold-runs 15]

Prints p50/p99 per example and overall, the knowledge-base load time, the condition-evaluation
cost per rule, and the wall time of whole `advisor recommend` processes (cold start).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from advisor import default_knowledge_base, load_knowledge_base, load_profile, recommend
from advisor.core.facts import profile_facts

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def in_process(iterations: int) -> None:
    t0 = time.perf_counter()
    kb = load_knowledge_base()
    load_ms = (time.perf_counter() - t0) * 1e3
    profiles = {p.stem: load_profile(p) for p in sorted((ROOT / "examples").glob("*.yaml"))}
    everything: list[float] = []
    print(f"knowledge base: {len(kb)} rules, loaded and checked in {load_ms:.1f} ms")
    print(f"{'example':<28} {'p50 ms':>8} {'p99 ms':>8}")
    for name, profile in profiles.items():
        recommend(profile, kb=kb)  # warm
        times = []
        for _ in range(iterations):
            t = time.perf_counter()
            recommend(profile, kb=kb)
            times.append((time.perf_counter() - t) * 1e3)
        everything += times
        print(f"{name:<28} {percentile(times, .5):8.3f} {percentile(times, .99):8.3f}")
    print(f"{'ALL (' + str(len(everything)) + ' calls)':<28} {percentile(everything, .5):8.3f} "
          f"{percentile(everything, .99):8.3f}")
    facts = profile_facts(next(iter(profiles.values())))
    rules = [r for r in kb.rules if r.when.facts <= facts.keys()]
    t = time.perf_counter()
    for _ in range(iterations):
        for rule in rules:
            rule.when.evaluate(facts)
    per_rule = (time.perf_counter() - t) / (iterations * len(rules)) * 1e6
    print(f"condition evaluation: {per_rule:.2f} µs per rule "
          f"({per_rule * len(kb) / 1e3:.3f} ms for all {len(kb)})")


def cold_start(runs: int) -> None:
    exe = Path(sys.executable).parent / "advisor"
    cmd = [str(exe), "recommend", str(ROOT / "examples" / "cifar10-resnet-sgd.yaml"), "-f", "json"]
    walls = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        walls.append(time.perf_counter() - t)
    probe = ("import io, contextlib, sys\nfrom advisor.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n"
             f"    main({cmd[1:]!r})\n"
             "print([m for m in ('torch', 'skopt') if m in sys.modules])")
    heavy = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                           text=True).stdout.strip()
    print(f"cold start `advisor recommend … -f json` over {runs} runs: "
          f"median {statistics.median(walls):.3f} s, min {min(walls):.3f} s, "
          f"max {max(walls):.3f} s; heavy modules imported: {heavy}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=15)
    args = parser.parse_args()
    default_knowledge_base()
    in_process(args.iterations)
    cold_start(args.cold_runs)


if __name__ == "__main__":
    main()
