"""Confusion table of the curve diagnosis: the regime a run was trained into vs the top verdict.

    .venv/bin/python benchmarks/diagnosis_confusion.py [--seeds 1,2,3]

Seed 0 is the committed fixture set (tests/histories/, the thresholds were checked on it); the
other seeds re-run the same recipes with different initializations and data orders and were never
looked at while writing the rules: they are the held-out estimate.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from advisor.diagnosis import diagnose
from advisor.history import parse_history_json

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "histories"))
import generate  # noqa: E402  (the fixture recipes)

DROP = generate.DROP


def regime(name: str) -> str:
    return name.split(".")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0,1,2,3", help="0 = the committed fixtures' recipes")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "diagnosis_confusion.json")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    pairs: dict[str, list[tuple[str, str]]] = {"calibration": [], "held-out": []}
    rows = []
    for seed in seeds:
        start = time.perf_counter()
        runs = generate.runs(seed)
        for name, history in runs.items():
            rows_ = generate.without(DROP.get(name, ()), history)
            top = diagnose(parse_history_json(rows_)).top or "none"
            pairs["calibration" if seed == 0 else "held-out"].append((regime(name), top))
            rows.append({"seed": seed, "run": name, "expected": regime(name), "top": top})
        print(f"seed {seed}: {len(runs)} runs trained and diagnosed in {time.perf_counter() - start:.1f} s",
              file=sys.stderr)
    for split, items in pairs.items():
        if not items:
            continue
        labels = sorted({e for e, _ in items} | {t for _, t in items})
        counts = Counter(items)
        right = sum(n for (e, t), n in counts.items() if e == t)
        print(f"\n{split}: {right}/{len(items)} top verdicts right ({right / len(items):.0%})")
        width = max(len(x) for x in labels)
        print("| trained into \\ top verdict | " + " | ".join(labels) + " |")
        print("|---" * (len(labels) + 1) + "|")
        for e in labels:
            if any(x == e for x, _ in items):
                cells = [str(counts.get((e, t), 0) or "") for t in labels]
                print(f"| {e:<{width}} | " + " | ".join(cells) + " |")
    args.out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"\nwrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
