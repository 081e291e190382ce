"""In-process latency of `recommend(profile)` on the full knowledge base (run by hand).

    .venv/bin/python benchmarks/recommend_speed.py [--calls 2000] [--first-loads 3]

Prints, per bundled example, p50/p95/p99 over `--calls` calls on one loaded knowledge base
(steady state), and the first call after a fresh `load_knowledge_base()` - before anything the
engine may cache lazily is warm - over the examples and `--first-loads` fresh loads each.
Targets (issue 13): steady-state p50 <= 0.1 ms, p99 <= 0.5 ms.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

from advisor import load_knowledge_base, load_profile, recommend

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def row(name: str, times: list[float]) -> str:
    return (f"{name:<28} {percentile(times, .5):8.3f} {percentile(times, .95):8.3f} "
            f"{percentile(times, .99):8.3f} {max(times):8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--first-loads", type=int, default=3)
    args = parser.parse_args()
    profiles = {p.stem: load_profile(p) for p in sorted((ROOT / "examples").glob("*.yaml"))}

    first: list[float] = []  # the first call on a freshly loaded KB
    for _ in range(args.first_loads):
        for profile in profiles.values():
            kb = load_knowledge_base()
            t = time.perf_counter()
            recommend(profile, kb=kb)
            first.append((time.perf_counter() - t) * 1e3)

    t0 = time.perf_counter()
    kb = load_knowledge_base()
    print(f"knowledge base: {len(kb)} rules, loaded in {(time.perf_counter() - t0) * 1e3:.1f} ms; "
          f"{args.calls} calls per example")
    print(f"{'example':<28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    everything: list[float] = []
    for name, profile in profiles.items():
        recommend(profile, kb=kb)  # warm
        gc.collect()
        times = []
        for _ in range(args.calls):
            t = time.perf_counter()
            recommend(profile, kb=kb)
            times.append((time.perf_counter() - t) * 1e3)
        everything += times
        print(row(name, times))
    print(row(f"ALL ({len(everything)} calls)", everything))
    print(row(f"FIRST CALL ({len(first)} loads)", first))


if __name__ == "__main__":
    main()
